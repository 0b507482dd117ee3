"""Translated lessons and quizzes on the web: each reader sees the interface language where a
translation exists (and is told when it does not); hours and attempts are the same in any language."""

from __future__ import annotations

from datetime import timedelta

from lms.content import markdown as content_markdown
from lms.extensions import db
from lms.models.hours import LessonCredit
from lms.models.quizzes import QuizAttempt
from lms.services import clock
from tests.conftest import log_in_quietly, soup
from tests.factories import NOW, enrol
from tests.web.test_quiz import FULL, fill, start

WELCOME = "/courses/demo/01-basics/welcome"  # translated into Urdu
STEPS = "/courses/demo/01-basics/next-steps"  # not translated
NOTE = "This lesson is not yet available in Urdu; it is shown in English."
#: full marks on the demo quiz as an Urdu reader sees it (choice texts from 01-basics.ur.yaml)
FULL_UR = {
    "q-single": "سنیں",
    "q-multiple": ["نیل کے نشان", "بھوک"],
    "q-tf": "درست",  # the true/false labels are the interface's (True)
    "q-short": "ایک صفر نو نو",  # an answer the translation accepts
    "q-match": {
        "معمولی جرم": "3 سال تک",
        "بڑا جرم": "3 سال سے زیادہ اور 7 سال تک",
        "سنگین جرم": "7 سال سے زیادہ",
    },
}


def choose(client, locale: str) -> None:
    assert client.post("/language", data={"lang": locale, "next": "/"}).status_code == 303


def test_an_urdu_reader_gets_the_translated_lesson(client, reader):
    choose(client, "ur")
    page = soup(client.get(WELCOME))
    assert (page.html["lang"], page.html["dir"]) == ("ur", "rtl")
    assert page.h1.get_text() == "خوش آمدید"
    assert page.title.get_text().startswith("خوش آمدید")
    assert [li.get_text() for li in page.select(".objectives li")] == ["اپنا راستہ پہچانیں"]
    prose = page.select_one("div.prose")
    assert (prose["lang"], prose["dir"]) == ("ur", "rtl")
    assert prose.select_one(".admonition.case h3").get_text() == "کیس: آمنہ، 12، لاہور"
    assert [a.get_text() for a in page.select("nav.toc a")] == ["پہلا حصہ", "دوسرا حصہ"]
    assert [a["href"] for a in page.select("nav.toc a")] == ["#first-section", "#second-section"]
    assert page.select_one(".untranslated") is None
    # the same lesson for hours: the heartbeat names the lesson, not the language
    assert page.select_one("article[data-lesson]")["data-lesson"] == "demo/01-basics/welcome"
    # the next lesson is not translated: its English title, as on its own page
    assert page.select_one("a[rel=next]").get_text(" ", strip=True) == "Next steps ›"


def test_an_untranslated_lesson_says_so_and_marks_its_english_body(client, reader):
    choose(client, "ur")
    page = soup(client.get(STEPS))
    assert page.html["lang"] == "ur"
    note = page.select_one("article .untranslated")
    assert note["role"] == "note"
    assert note.get_text() in (
        NOTE,
        "یہ سبق ابھی اردو میں دستیاب نہیں؛ اسے انگریزی میں دکھایا گیا ہے۔",
    )
    prose = page.select_one("div.prose")
    assert (prose["lang"], prose["dir"]) == ("en", "ltr")
    assert page.h1.get_text() == "Next steps"
    # the lesson before it is translated, and the link to it says so
    assert page.select_one("a[rel=prev]").get_text(" ", strip=True) == "‹ خوش آمدید"


def test_an_english_reader_gets_the_original_with_no_note(client, reader):
    page = soup(client.get(WELCOME))
    assert page.h1.get_text() == "Welcome"
    prose = page.select_one("div.prose")
    assert (prose["lang"], prose["dir"]) == ("en", "ltr")
    assert page.select_one(".untranslated") is None
    assert "پہلا حصہ" not in page.get_text()


def test_course_page_and_dashboard_show_translated_titles(client, reader):
    choose(client, "ur")
    course = soup(client.get("/courses/demo"))
    module = course.select("li.module")[0]
    assert [a.get_text() for a in module.select("ol.lessons a")] == ["خوش آمدید", "Next steps"]
    assert "اپنا راستہ پہچانیں" in module.get_text()
    dashboard = soup(client.get("/dashboard"))
    assert "خوش آمدید" in dashboard.select_one(".enrolled").get_text()  # continue with lesson 1
    choose(client, "en")
    course = soup(client.get("/courses/demo"))
    assert [a.get_text() for a in course.select("li.module")[0].select("ol.lessons a")] == [
        "Welcome",
        "Next steps",
    ]


def test_an_urdu_lesson_request_parses_no_markdown(client, reader, monkeypatch, driver_statements):
    choose(client, "ur")
    client.get(WELCOME)  # warm up

    def no_markdown(*args, **kwargs):
        raise AssertionError("Markdown parsed during a request")

    monkeypatch.setattr(content_markdown, "render_lesson", no_markdown)
    monkeypatch.setattr(content_markdown.markdown.Markdown, "convert", no_markdown)
    for path in (WELCOME, STEPS):
        driver_statements.clear()
        response = client.get(path)
        assert response.status_code == 200
        assert len(driver_statements) == 1, driver_statements


# --- hours ----------------------------------------------------------------------------------------
def test_hours_are_the_same_whichever_language_was_read(client, app, make_user, monkeypatch):
    """Two learners read the same lesson with the same heartbeats, one in English and one in
    Urdu (switching halfway): each is credited the same seconds on the same lesson."""
    readers = []
    for locale, email in (("en", "english@example.org"), ("ur", "urdu@example.org")):
        user = make_user(role="learner", email=email)
        enrol(user, "demo")
        browser = log_in_quietly(app.test_client(), user)
        choose(browser, locale)
        readers.append((user, browser))

    def beat(browser, seconds: int, seq: int):
        body = {"lesson": "demo/01-basics/welcome", "seconds": 30, "seq": seq, "tab": "tab-12345"}
        monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(seconds=seconds))
        response = browser.post("/api/heartbeat", json=body)
        assert response.status_code == 200
        return response.get_json()

    credited = {}
    for user, browser in readers:
        page = soup(browser.get(WELCOME))
        lesson_key = page.select_one("article[data-lesson]")["data-lesson"]
        replies = [beat(browser, 0, 1), beat(browser, 30, 2)]
        if user.email.startswith("urdu"):
            choose(browser, "en")  # a switch of language halfway changes nothing
        replies += [beat(browser, 60, 3), beat(browser, 90, 4)]
        rows = db.session.query(LessonCredit.lesson_key, LessonCredit.seconds).filter_by(
            user_id=user.id
        )
        credited[user.email] = (lesson_key, [r["credited"] for r in replies], sorted(rows.all()))
    assert credited["english@example.org"] == credited["urdu@example.org"]
    assert credited["urdu@example.org"][0] == "demo/01-basics/welcome"
    assert credited["urdu@example.org"][2] == [("demo/01-basics/welcome", 90)]


# --- quizzes --------------------------------------------------------------------------------------
def _options(page) -> dict[str, list[str]]:
    """Each question's option ids in the order the page offers them."""
    return {
        fieldset["id"]: [
            tag["value"]
            for tag in fieldset.select("input[type=radio], input[type=checkbox], option")
            if tag["value"]
        ]
        for fieldset in page.select("form.quiz fieldset.question")
    }


def _picked(page) -> dict[str, list[str]]:
    return {
        fieldset["id"]: [tag["value"] for tag in fieldset.select("[checked], [selected]")]
        + [tag["value"] for tag in fieldset.select("input[type=text]") if tag.get("value")]
        for fieldset in page.select("form.quiz fieldset.question")
    }


def test_an_attempt_started_in_english_continues_in_urdu_and_is_graded_by_the_original_key(
    client, reader
):
    attempt_id = start(client)
    english = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    # save two answers in English
    partial = {"q-single": FULL["q-single"], "q-multiple": FULL["q-multiple"]}
    saved = client.post(f"/quiz/attempts/{attempt_id}", data=fill(english, partial, "save"))
    assert saved.status_code == 302
    english = soup(client.get(f"/quiz/attempts/{attempt_id}"))

    choose(client, "ur")
    assert start(client) == attempt_id  # the same attempt, whatever the language
    urdu = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    assert (urdu.html["lang"], urdu.html["dir"]) == ("ur", "rtl")
    # the same questions in the same order, the same option ids in the same order
    assert [f["id"] for f in urdu.select("fieldset.question")] == [
        f["id"] for f in english.select("fieldset.question")
    ]
    assert _options(urdu) == _options(english)
    # the saved answers are still chosen
    assert _picked(urdu) == _picked(english)
    assert len(_picked(urdu)["q-q-multiple"]) == 2
    # the words are the translation's
    assert urdu.select_one(".scenario").get_text(strip=True) == "آمنہ، 12، آپ کو کچھ بتاتی ہے۔"
    assert set(s.get_text() for s in urdu.select("fieldset#q-q-single label.choice span")) == {
        "سنیں",
        "نظر انداز کریں",
        "چلائیں",
    }

    # finish in Urdu: the key is the original's, and the Urdu short answer is accepted
    response = client.post(f"/quiz/attempts/{attempt_id}", data=fill(urdu, FULL_UR))
    assert response.status_code == 302
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.score == 100 and attempt.passed
    assert attempt.responses["q-short"] == "ایک صفر نو نو"

    # the review in Urdu shows the translation's feedback; in English the original's
    review = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    text = review.select_one("ol.review").get_text(" ", strip=True)
    assert "درست۔" in text and "یہ 1099 ہے۔" in text and "Right." not in text
    choose(client, "en")
    review = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    text = review.select_one("ol.review").get_text(" ", strip=True)
    assert "Right." in text and "It is 1099." in text and "درست۔" not in text


def test_a_wrong_answer_in_urdu_is_wrong_by_the_original_key(client, reader):
    choose(client, "ur")
    attempt_id = start(client)
    page = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    picks = {**FULL_UR, "q-single": "چلائیں", "q-short": "ایک صفر نو آٹھ"}
    assert client.post(f"/quiz/attempts/{attempt_id}", data=fill(page, picks)).status_code == 302
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.marks["q-single"] == 0.0 and attempt.marks["q-short"] == 0.0
    assert attempt.score == 60
    review = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    right = sorted(dd.get_text() for dd in review.select("dd.right-answer"))
    assert right == sorted(["سنیں", "ایک صفر نو نو"])  # in the attempt's own order on the page


# --- module titles --------------------------------------------------------------------------------
def test_an_urdu_reader_sees_the_modules_urdu_titles(client, reader):
    choose(client, "ur")
    course = soup(client.get("/courses/demo"))
    titles = [h3.get_text() for h3 in course.select("li.module h3")]
    assert titles == ["ماڈیول 1: بنیادی باتیں", "ماڈیول 2: مشق"]
    lesson = soup(client.get(STEPS))  # the lesson itself is English: its module's title is not
    assert lesson.select_one("article .meta").get_text().startswith("ماڈیول 1: بنیادی باتیں")
    quiz = soup(client.get("/courses/demo/01-basics/quiz"))
    assert quiz.select_one("p.lead").get_text() == "بنیادی باتیں"
    assert "بنیادی باتیں" in quiz.title.get_text()
    choose(client, "en")
    course = soup(client.get("/courses/demo"))
    assert [h3.get_text() for h3 in course.select("li.module h3")] == [
        "Module 1: Basics", "Module 2: Practice",
    ]  # fmt: skip


def test_the_hours_ledger_names_modules_and_lessons_in_the_readers_language(
    client, reader, monkeypatch
):
    for seq, seconds in enumerate((0, 30, 60), 1):
        monkeypatch.setattr(clock, "now", lambda s=seconds: NOW + timedelta(seconds=s))
        body = {"lesson": "demo/01-basics/welcome", "seconds": 30, "seq": seq, "tab": "tab-12345"}
        assert client.post("/api/heartbeat", json=body).status_code == 200
    choose(client, "ur")
    page = soup(client.get("/courses/demo/hours"))
    modules = [p.get_text() for p in page.select(".module-hours li > p strong")]
    assert modules == ["ماڈیول 1: بنیادی باتیں", "ماڈیول 2: مشق"]
    (row,) = page.select("table")[0].select("tbody tr")
    assert row.select("td")[1].get_text() == "خوش آمدید"  # the lesson's Urdu title
    choose(client, "en")
    page = soup(client.get("/courses/demo/hours"))
    assert page.select("table")[0].select("tbody tr td")[1].get_text() == "Welcome"
    assert page.select_one(".module-hours li > p strong").get_text() == "Module 1: Basics"


PRACTICE = "/courses/demo/02-practice/quiz"  # not translated into Urdu
QUIZ_NOTE = (
    "This quiz is not yet available in Urdu; it is shown in English.",
    "یہ کوئز ابھی اردو میں دستیاب نہیں؛ اسے انگریزی میں دکھایا گیا ہے۔",
)


def test_an_untranslated_quiz_says_so_and_marks_its_english_text(client, reader):
    choose(client, "ur")
    overview = soup(client.get(PRACTICE))
    assert overview.select_one(".untranslated[role=note]").get_text() in QUIZ_NOTE
    attempt_id = start(client, PRACTICE)
    page = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    assert page.html["lang"] == "ur" and page.select_one(".untranslated").get_text() in QUIZ_NOTE
    prompt = page.select_one("fieldset.question .prompt")
    assert (prompt["lang"], prompt["dir"]) == ("en", "ltr")
    assert prompt.get_text(strip=True) == "Where is a juvenile held?"
    for span in page.select("fieldset.question label.choice span"):
        assert (span["lang"], span["dir"]) == ("en", "ltr")
    # the interface's own words around it stay Urdu: the legend is not marked English
    assert not page.select_one("fieldset.question legend").has_attr("lang")
    assert client.post(f"/quiz/attempts/{attempt_id}", data=fill(page, {"p-1": "Observation home"}))
    review = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    assert review.select_one(".untranslated").get_text() in QUIZ_NOTE
    assert review.select_one("ol.review .prompt")["lang"] == "en"
    feedback = review.select_one("ol.review .feedback strong")
    assert (feedback["lang"], feedback["dir"]) == ("en", "ltr")


def test_a_translated_quiz_has_no_note_and_no_english_marks(client, reader):
    choose(client, "ur")
    assert soup(client.get("/courses/demo/01-basics/quiz")).select_one(".untranslated") is None
    page = soup(client.get(f"/quiz/attempts/{start(client)}"))
    assert page.select_one(".untranslated") is None
    assert all(not p.has_attr("lang") and p["dir"] == "auto" for p in page.select(".prompt"))
    choose(client, "en")  # an English reader of an English quiz: no note either
    page = soup(client.get(f"/quiz/attempts/{start(client, PRACTICE)}"))
    assert page.select_one(".untranslated") is None and not page.select_one(".prompt[lang]")


def test_the_verification_page_names_the_modules_in_the_readers_language(client, learner):
    from lms.certificates import codes
    from tests.factories import make_certificate

    certificate = make_certificate(learner)
    certificate.modules = ["Module 1: Basics", "Module 2: An old title"]
    db.session.commit()
    url = f"/verify/{codes.grouped(certificate.code)}"
    english = soup(client.get(url))
    listed = [li.get_text() for li in english.select("main ul li[dir=auto]")]
    assert listed == ["Module 1: Basics", "Module 2: An old title"]
    choose(client, "ur")
    urdu = soup(client.get(url))
    # a module the content still has, in Urdu; one renamed since, as it was issued
    listed = [li.get_text() for li in urdu.select("main ul li[dir=auto]")]
    assert listed == ["ماڈیول 1: بنیادی باتیں", "Module 2: An old title"]


def test_the_course_is_named_in_the_readers_language_wherever_it_is_named(client, reader):
    """The course's Urdu title (course.yaml ``translations``) on the course, lesson, quiz and hours
    pages and the dashboard; the English title on the same pages in English."""
    pages = ("/courses/demo", WELCOME, "/courses/demo/hours", "/dashboard")
    for locale, title in (("ur", "ڈیمو کورس"), ("en", "Demo Course")):
        choose(client, locale)
        for url in pages:
            text = soup(client.get(url)).select_one("main").get_text(" ")
            assert title in text, (locale, url)
        assert soup(client.get("/courses/demo")).h1.get_text() == title


def test_the_course_page_shows_audience_summary_and_outcomes_in_the_readers_language(
    client, reader
):
    choose(client, "ur")
    page = soup(client.get("/courses/demo"))
    summary = page.select_one("div.prose")
    assert summary.get_text().strip() == "ٹیسٹوں کے لیے ایک چھوٹا سا کورس۔"
    assert summary.strong.get_text() == "ٹیسٹوں"
    audience = page.select_one("main p strong + span[dir=auto]")
    assert audience.get_text() == "آزمائشی قارئین"
    basics = page.select("li.module")[0]
    assert [li.get_text() for li in basics.select(":scope > details > ul > li")] == [
        "بنیادی باتیں جاننا"
    ]
    cards = soup(client.get("/courses"))
    assert "آزمائشی قارئین" in cards.select_one(".course-card").get_text()

    choose(client, "en")
    page = soup(client.get("/courses/demo"))
    assert page.select_one("div.prose").get_text().strip() == "A tiny course used by the tests."
    assert page.select_one("main p strong + span[dir=auto]").get_text() == "Test readers"
    basics = page.select("li.module")[0]
    assert [li.get_text() for li in basics.select(":scope > details > ul > li")] == [
        "Know the basics"
    ]
    assert "Test readers" in soup(client.get("/courses")).select_one(".course-card").get_text()
