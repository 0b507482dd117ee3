"""Taking module quizzes: attempts, stored order, saving, grading once, review, and refusals."""

from __future__ import annotations

import random
import re
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.content import load_catalog
from lms.content.questions import AnswerRejected
from lms.extensions import db
from lms.models.quizzes import QuizAttempt
from lms.services import quizzes
from tests.conftest import GOOD_CONTENT, soup
from tests.factories import NOW

QUIZ = "/courses/demo/01-basics/quiz"
#: answers that score 100% on the demo quiz, by question id, as the learner sees them (choice texts)
FULL = {
    "q-single": "Listen",
    "q-multiple": ["Bruises", "Hunger"],
    "q-tf": "True",
    "q-short": "1099",
    "q-match": {
        "Minor offence": "Up to 3 years",
        "Major offence": "More than 3 and up to 7 years",
        "Heinous offence": "More than 7 years",
    },
}


def fill(page, picks: dict, action: str = "submit") -> dict[str, list[str]]:
    """The form a browser sends for ``picks`` (by question id: choice texts, matches or text)."""
    data: dict[str, list[str]] = {"action": [action]}
    for qid, pick in picks.items():
        name = f"q-{qid}"
        fieldset = page.select_one(f"fieldset[id='{name}']")
        if fieldset.select_one("input[type=text]"):
            data[name] = [pick]
        elif fieldset.select_one("select"):
            data[name] = []
            for label in fieldset.select(".match label"):
                if label.get_text(strip=True) in pick:
                    menu = fieldset.select_one(f"select[id='{label['for']}']")
                    wanted = pick[label.get_text(strip=True)]
                    option = next(o for o in menu.select("option") if o.get_text() == wanted)
                    data[name].append(option["value"])
        else:
            wanted = {pick} if isinstance(pick, str) else set(pick)
            data[name] = [
                label.input["value"]
                for label in fieldset.select("label.choice")
                if label.get_text(strip=True) in wanted
            ]
    return data


def answer(client, attempt_id: int, picks: dict, action: str = "submit"):
    page = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    return client.post(f"/quiz/attempts/{attempt_id}", data=fill(page, picks, action))


def text(tag) -> str:
    return " ".join(tag.get_text(" ", strip=True).split())


def feedback(item) -> list[tuple[str, str, str]]:
    """A reviewed question's feedback on options: (option, what the learner did, feedback)."""
    return [
        (
            block.select_one(".about strong").get_text(),
            text(block.select_one(".about")).split(": ", 1)[1],
            block.select("p")[1].get_text(),
        )
        for block in item.select(".feedback .on-option")
    ]


def start(client, quiz: str = QUIZ) -> int:
    response = client.post(f"{quiz}/start")
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_overview_explains_the_quiz_and_offers_to_start(client, reader):
    page = soup(client.get(QUIZ))
    assert page.h1.get_text() == "Module 1 quiz"
    facts = [li.get_text(" ", strip=True) for li in page.select("ul.facts li")]
    assert "5 questions, all on one page" in facts
    assert "Pass mark: 70%" in facts  # the course's pass mark
    assert "You may try as often as you need." in facts
    assert page.find("button", string="Start the quiz")
    limited = soup(client.get("/courses/demo/02-practice/quiz"))
    facts = [li.get_text(" ", strip=True) for li in limited.select("ul.facts li")]
    assert "Pass mark: 50%" in facts and "Attempts allowed: 2 (2 left)." in facts


def test_take_page_shows_every_question_and_never_the_answer_key(client, reader):
    attempt_id = start(client)
    page = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    fieldsets = page.select("form.quiz fieldset.question")
    assert len(fieldsets) == 5
    text = page.get_text(" ", strip=True)
    for secret in ("It is 1099", "No, under 18", "See s.2", "1099"):
        assert secret not in text
    for tag in page.select("form.quiz input, form.quiz option"):
        assert set(tag.attrs) <= {
            "type",
            "name",
            "value",
            "checked",
            "selected",
            "id",
            "maxlength",
            "autocomplete",
            "dir",  # the text's own direction (auto): says nothing about the answer
        }
    assert page.select_one(".scenario").get_text(strip=True) == "Amina, 12, tells you something."


def test_the_page_carries_no_file_order_index(client, reader):
    """Every value a learner can send, and every element id, is this attempt's own random id."""
    quiz = load_catalog(GOOD_CONTENT).module("demo", "01-basics").quiz
    keys = {str(i) for q in quiz.questions for i in range(len(getattr(q, "choices", ())))}
    keys |= {f"{i}:{j}" for i in range(3) for j in range(3)} | {"true", "false"}
    seen: set[str] = set()
    for _ in range(2):
        attempt_id = start(client)
        page = soup(client.get(f"/quiz/attempts/{attempt_id}"))
        values = [
            tag["value"]
            for tag in page.select("form.quiz input:not([type=hidden]), form.quiz option")
            if tag.get("type") != "text" and tag["value"] != ""
        ]
        assert len(values) == 3 + 3 + 2 + 3 * 3  # single, multiple, true/false, matching
        assert not keys & set(values)
        assert not [v for v in values if re.fullmatch(r"[0-9:]+", v)]
        assert len(set(values)) == len(values)
        assert seen.isdisjoint(values)  # random per attempt
        seen.update(values)
        menus = [tag["id"] for tag in page.select("form.quiz select")]
        assert not [m for m in menus if re.search(r"-[0-9]+$", m)]
        answer(client, attempt_id, {"q-short": "1"})


def test_first_on_the_page_and_same_index_answers_score_at_chance(client, reader, monkeypatch):
    """What a script that knows nothing can send scores what guessing scores, not 100%."""
    secrets = random.Random(7)  # seeded, so the attempts are the same on every run
    monkeypatch.setattr(quizzes, "new_choice_secret", lambda: secrets.randbytes(32).hex())
    scores = []
    for _ in range(12):
        attempt_id = start(client)
        page = soup(client.get(f"/quiz/attempts/{attempt_id}"))
        data = {"action": "submit", "q-q-short": "x"}
        for fieldset in page.select("form.quiz fieldset"):
            name = fieldset["id"]
            boxes = [i["value"] for i in fieldset.select("input[type=checkbox]")]
            radios = [i["value"] for i in fieldset.select("input[type=radio]")]
            menus = [
                [o["value"] for o in m.select("option")][1:] for m in fieldset.select("select")
            ]
            if boxes:
                data[name] = boxes[:2]  # the multiple-choice question has two right choices
            elif radios:
                data[name] = radios[:1]
            elif menus:
                data[name] = [options[i] for i, options in enumerate(menus)]  # "i:i"
        assert client.post(f"/quiz/attempts/{attempt_id}", data=data).status_code == 302
        scores.append(db.session.get(QuizAttempt, attempt_id).score)
    # chance: single 1/3, multiple 1/3, true/false 1 (True comes first), short 0, matching 1/3
    assert 25 <= statistics.mean(scores) <= 55
    assert statistics.mean(scores) < 70 - 15  # far below the pass mark


def test_reload_shows_the_same_order(client, reader):
    attempt_id = start(client)
    first = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    again = soup(client.get(f"/quiz/attempts/{attempt_id}"))

    def order(page):
        return [i["value"] for i in page.select("form.quiz input[type=radio], form.quiz option")]

    assert order(first) == order(again)
    assert start(client) == attempt_id  # starting again resumes the open attempt


def test_submit_full_marks_then_review_with_feedback(client, reader):
    attempt_id = start(client)
    response = answer(client, attempt_id, FULL)
    assert response.status_code == 302
    page = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    assert text(page.select_one(".result")) == "100% · Passed"
    assert "You scored 100% and passed" in page.select_one(".flash").get_text()
    items = page.select("ol.review li")
    assert len(items) == 5 and all("right" in li["class"] for li in items)
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.score == 100 and attempt.passed and attempt.submitted_at is not None


def test_wrong_answers_show_the_right_answer_and_feedback(client, reader):
    attempt_id = start(client)
    answers = {**FULL, "q-single": "Shout", "q-tf": "False", "q-multiple": ["Bruises", "Smiling"]}
    answer(client, attempt_id, answers)
    page = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    assert text(page.select_one(".result")) == "40% · Not passed (pass mark 70%)"
    by_prompt = {
        li.select_one(".prompt").get_text(strip=True): li for li in page.select("ol.review li")
    }
    single = by_prompt["What do you do first?"]
    assert single.select_one(".your-answer").get_text() == "Shout"
    assert single.select_one(".right-answer").get_text() == "Listen"
    assert feedback(single) == [
        ("Shout", "you chose this, and it is not right.", "No."),
        ("Listen", "you did not choose this, and it is right.", "Right."),
    ]
    tf = by_prompt["A child is a person under 18."]
    assert feedback(tf) == [
        ("False", "you chose this, and it is not right.", "No, under 18."),
        ("True", "you did not choose this, and it is right.", "Right."),
    ]
    assert db.session.get(QuizAttempt, attempt_id).passed is False


def test_a_second_submission_is_refused_and_not_regraded(client, reader):
    attempt_id = start(client)
    page = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    assert answer(client, attempt_id, {"q-single": "Ignore"}).status_code == 302
    before = db.session.get(QuizAttempt, attempt_id)
    score, submitted = before.score, before.submitted_at
    assert submitted is not None
    response = client.post(f"/quiz/attempts/{attempt_id}", data=fill(page, FULL))
    assert response.status_code == 409
    assert "already submitted" in soup(response).select_one("main").get_text()
    db.session.expire_all()
    after = db.session.get(QuizAttempt, attempt_id)
    assert (after.score, after.submitted_at) == (score, submitted)


def test_no_attempts_left(client, reader):
    limited = "/courses/demo/02-practice/quiz"
    for _ in range(2):
        attempt_id = start(client, limited)
        answer(client, attempt_id, {"p-1": "Police lock-up"})
    response = client.post(f"{limited}/start")
    assert response.status_code == 409
    assert "used all 2 attempts" in soup(response).select_one("main").get_text()
    assert db.session.query(QuizAttempt).count() == 2
    assert "used every attempt" in soup(client.get(limited)).get_text()


def _ids(page, qid: str) -> list[str]:
    return [
        tag["value"]
        for tag in page.select(f"fieldset[id='q-{qid}'] input, fieldset[id='q-{qid}'] option")
        if tag.get("value")
    ]


#: name -> the fields to send instead of the right ones, from the attempt's page
TAMPERED = {
    "unknown id": lambda page: {"q-q-single": ["9"]},
    "file-order key": lambda page: {"q-q-single": ["0"]},
    "two answers to a single choice": lambda page: {"q-q-single": _ids(page, "q-single")[:2]},
    "another question's id": lambda page: {"q-q-single": _ids(page, "q-multiple")[:1]},
    "question not in the attempt": lambda page: {"q-q-nope": _ids(page, "q-single")[:1]},
    "old true/false value": lambda page: {"q-q-tf": ["true"]},
    "true/false id of a choice": lambda page: {"q-q-tf": _ids(page, "q-single")[:1]},
    "file-order match": lambda page: {"q-q-match": ["0:0"]},
    "ids glued into a match": lambda page: {"q-q-match": [":".join(_ids(page, "q-match")[:2])]},
    "two matches for one item": lambda page: {"q-q-match": _ids(page, "q-match")[:2]},
    "overlong short answer": lambda page: {"q-q-short": ["x" * 500]},
}


@pytest.mark.parametrize("tamper", sorted(TAMPERED))
@pytest.mark.parametrize("action", ["save", "submit"])
def test_tampered_answers_are_refused_and_nothing_is_saved(client, reader, tamper, action):
    attempt_id = start(client)
    assert answer(client, attempt_id, {"q-short": "10"}, "save").status_code == 302
    page = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    data = {**fill(page, FULL, action), **TAMPERED[tamper](page)}
    response = client.post(f"/quiz/attempts/{attempt_id}", data=data)
    assert response.status_code == 400
    assert "could not be read" in soup(response).select_one("main").get_text()
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.submitted_at is None and attempt.responses == {"q-short": "10"}


def test_ids_of_one_attempt_do_not_work_in_the_next(client, reader):
    first = start(client)
    old_page = soup(client.get(f"/quiz/attempts/{first}"))
    assert answer(client, first, {"q-short": "10"}).status_code == 302
    second = start(client)
    response = client.post(f"/quiz/attempts/{second}", data=fill(old_page, FULL))
    assert response.status_code == 400
    assert db.session.get(QuizAttempt, second).responses == {}


def test_empty_submission_is_refused_with_the_form_again(client, reader):
    attempt_id = start(client)
    response = client.post(f"/quiz/attempts/{attempt_id}", data={"action": "submit"})
    assert response.status_code == 400
    page = soup(response)
    assert (
        page.select_one(".form-errors").get_text(strip=True)
        == "You have not answered any question yet."
    )
    assert len(page.select("fieldset.question")) == 5
    assert db.session.get(QuizAttempt, attempt_id).submitted_at is None


def test_unknown_action_and_oversized_body(client, reader):
    attempt_id = start(client)
    assert (
        client.post(f"/quiz/attempts/{attempt_id}", data={"action": "grade-me"}).status_code == 400
    )
    big = {"q-q-short": "x" * (5 * 1024 * 1024)}
    assert client.post(f"/quiz/attempts/{attempt_id}", data=big).status_code == 413
    assert db.session.get(QuizAttempt, attempt_id).submitted_at is None


def test_save_keeps_answers_for_later_without_grading(client, reader):
    attempt_id = start(client)
    picks = {
        "q-single": "Ignore",
        "q-multiple": ["Hunger", "Smiling"],
        "q-tf": "False",
        "q-short": "10",
        "q-match": {"Minor offence": "More than 7 years"},
    }
    response = answer(client, attempt_id, picks, "save")
    assert response.status_code == 302
    page = soup(client.get(f"/quiz/attempts/{attempt_id}"))

    def checked(qid):
        return [
            label.get_text(strip=True)
            for label in page.select(f"fieldset[id='q-{qid}'] label.choice")
            if label.input.has_attr("checked")
        ]

    assert checked("q-single") == ["Ignore"]
    assert sorted(checked("q-multiple")) == ["Hunger", "Smiling"]
    assert checked("q-tf") == ["False"]
    assert page.select_one("input[name=q-q-short]")["value"] == "10"
    selected = [
        (menu.find_previous("label").get_text(), option.get_text())
        for menu in page.select("select[name=q-q-match]")
        for option in menu.select("option[selected]")
    ]
    assert selected == [("Minor offence", "More than 7 years")]
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.submitted_at is None and attempt.score is None


def test_attempts_stored_before_random_ids_resume_and_grade_as_before(client, reader):
    """Responses were, and are, stored by file-order key: an attempt saved before the page used
    random ids shows its answers checked, and submitting the page as it is grades them."""
    old = QuizAttempt(
        user_id=reader.id, course_slug="demo", module_slug="01-basics", number=1, seed=5,
        question_ids=["q-single", "q-multiple", "q-tf", "q-short", "q-match"], pass_mark=70,
        content_version="before", started_at=NOW,
        responses={"q-single": "0", "q-multiple": ["0"], "q-tf": True, "q-match": {"0": "0"}},
    )  # fmt: skip
    db.session.add(old)
    db.session.commit()
    page = soup(client.get(f"/quiz/attempts/{old.id}"))
    data = {"action": "submit"}
    for tag in page.select("form.quiz input[checked], form.quiz option[selected]"):
        name = tag.get("name") or tag.find_parent("select")["name"]
        data.setdefault(name, []).append(tag["value"])
    assert client.post(f"/quiz/attempts/{old.id}", data=data).status_code == 302
    db.session.expire_all()
    graded = db.session.get(QuizAttempt, old.id)
    assert graded.responses == old.responses
    assert graded.marks == {
        "q-single": 1.0, "q-multiple": 0.5, "q-tf": 1.0, "q-short": 0.0, "q-match": 1 / 3
    }  # fmt: skip
    review = soup(client.get(f"/quiz/attempts/{old.id}"))
    answers = [text(dd) for dd in review.select("ol.review .your-answer")]
    assert answers == ["Listen", "Bruises", "True", "No answer", "Minor offence → Up to 3 years"]


def test_multiple_choice_review_says_which_option_each_feedback_is_on(client, reader):
    attempt_id = start(client)
    answer(client, attempt_id, {"q-multiple": ["Hunger", "Smiling"]})
    page = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    item = next(
        li
        for li in page.select("ol.review li")
        if text(li.select_one(".prompt")) == "Which are signs?"
    )
    assert feedback(item) == [
        ("Hunger", "you chose this, and it is right.", "Yes."),
        ("Smiling", "you chose this, and it is not right.", "No."),
        ("Bruises", "you did not choose this, and it is right.", "Yes."),
    ]
    assert len(item.select(".feedback p")) == 2 * 3  # nothing unlabelled besides


def test_someone_elses_attempt_is_404(client, reader, make_user, login_as):
    attempt_id = start(client)
    login_as(make_user())
    assert client.get(f"/quiz/attempts/{attempt_id}").status_code == 404
    page_of_owner = {"action": "submit", "q-q-short": "1099"}
    assert client.post(f"/quiz/attempts/{attempt_id}", data=page_of_owner).status_code == 404
    assert client.get("/quiz/attempts/999999").status_code == 404


def test_not_enrolled_cannot_start(client, learner, login_as):
    login_as(learner)
    assert client.get(QUIZ).status_code == 403
    assert client.post(f"{QUIZ}/start").status_code == 403
    assert db.session.query(QuizAttempt).count() == 0


def test_module_without_quiz_or_unknown_module_is_404(client, reader):
    assert client.get("/courses/demo/99-none/quiz").status_code == 404


def test_best_score_shows_on_course_page_and_dashboard(client, reader):
    for answers in ({"q-single": "Ignore"}, FULL):
        attempt_id = start(client)
        answer(client, attempt_id, answers)
    course = soup(client.get("/courses/demo"))
    quiz_line = course.select_one("[id='01-basics'] .module-quiz").get_text(" ", strip=True)
    assert "passed, best 100%" in quiz_line
    dashboard = soup(client.get("/dashboard"))
    assert dashboard.select_one(".quiz-progress").get_text() == "Module quizzes passed: 1 of 2"
    assert [li.get_text() for li in dashboard.select(".quiz-scores li")] == [
        "Module 1: 100% (passed)"
    ]
    history = soup(client.get(QUIZ)).select("table.attempts tbody tr")
    assert [r.select("td")[2].get_text() for r in history] == ["0%", "100%"]


# --- the service, without requests ---------------------------------------------------------------
#: the same answers as the service stores them (file-order keys)
FULL_KEYS = {
    "q-single": ["0"],
    "q-multiple": ["0", "1"],
    "q-tf": ["true"],
    "q-short": ["1099"],
    "q-match": ["0:0", "1:1", "2:2"],
}


def browser_values(item: quizzes.ShownQuestion, keys: list[str]) -> list[str]:
    """The ids a browser sends for file-order values: the inverse of ``ShownQuestion.values``."""
    if item.free_text:
        return keys
    table = {o.key: o.id for o in item.options}
    table.update({f"{row.key}:{o.key}": o.id for row in item.rows for o in row.options})
    return [table[key] for key in keys]


def browser_form(quiz, attempt, answers: dict[str, list[str]]) -> dict[str, list[str]]:
    shown = {s.question.id: s for s in quizzes.shown_questions(quiz, attempt)}
    return {f"q-{qid}": browser_values(shown[qid], keys) for qid, keys in answers.items()}


@settings(max_examples=50, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**31 - 1), secret=st.binary(min_size=32, max_size=32))
def test_the_attempt_order_never_changes_a_grade(seed, secret):
    quiz = load_catalog(GOOD_CONTENT).module("demo", "01-basics").quiz
    attempt = QuizAttempt(
        seed=seed, choice_secret=secret.hex(), question_ids=quizzes.question_order(quiz, seed),
        pass_mark=50,
    )  # fmt: skip
    shown = quizzes.shown_questions(quiz, attempt)
    assert sorted(s.question.id for s in shown) == sorted(q.id for q in quiz.questions)
    answers = quizzes.read_answers(quiz, attempt, browser_form(quiz, attempt, FULL_KEYS))
    assert answers["q-multiple"] == ["0", "1"]  # stored as file-order keys, as before
    assert quizzes.grade(quiz, attempt, answers).score == 100
    partial = {**answers, "q-multiple": ["0", "2"]}
    assert quizzes.grade(quiz, attempt, partial).score == 80
    with pytest.raises(AnswerRejected):  # file-order keys are not what a page sends
        quizzes.read_answers(quiz, attempt, {"q-q-single": ["0"]})


def test_two_starts_at_once_make_one_open_attempt(app, learner):
    catalog = app.extensions["lms.catalog"]
    first = quizzes.start_or_resume(db.session, catalog, learner.id, "demo", "01-basics", now=NOW)
    second = quizzes.start_or_resume(db.session, catalog, learner.id, "demo", "01-basics", now=NOW)
    db.session.commit()
    assert first.id == second.id
    assert db.session.query(QuizAttempt).count() == 1
