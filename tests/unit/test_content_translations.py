"""Translations of lessons and quizzes: loaded beside their originals, each mismatch with the
original's structure reported at the translation's file:line, and the compiled catalog rebuilt
when a translation changes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lms import i18n
from lms.content import check_content, compiled, inspect_content, load_catalog, loader, locales
from lms.content.questions import normalise_short_answer
from tests.unit.test_content_loader import GOOD, edit, line_of

WELCOME = "courses/demo/01-basics/01-welcome.md"
WELCOME_UR = "courses/demo/01-basics/01-welcome.ur.md"
QUIZ_UR = "quizzes/demo/01-basics.ur.yaml"


@pytest.fixture
def content(tmp_path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(GOOD, root)
    return root


def line_after(root: Path, rel: str, anchor: str, needle: str) -> int:
    """The first line holding ``needle`` after the line holding ``anchor``."""
    start = line_of(root, rel, anchor)
    lines = (root / rel).read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if n > start and needle in line)


def errors_in(root: Path, rel: str) -> list[tuple[int, str]]:
    return [(e.line, e.message) for e in check_content(root) if e.path == rel]


def only_error_in(root: Path, rel: str) -> tuple[int, str]:
    errors = check_content(root)
    assert [e.path for e in errors] == [rel], [str(e) for e in errors]
    return errors[0].line, errors[0].message


# --- what loads -----------------------------------------------------------------------------------
def test_the_content_languages_are_the_interface_languages():
    assert (locales.ORIGINAL, *locales.TRANSLATIONS) == i18n.LOCALES


def test_a_lesson_translation_loads_on_its_original_with_its_anchors_and_urdu_titles():
    catalog = load_catalog(GOOD)
    welcome = catalog.lesson("demo", "01-basics", "welcome")
    urdu = welcome.in_locale("ur")
    assert (welcome.locale, urdu.locale) == ("en", "ur")
    assert urdu.key == welcome.key and urdu.minutes == welcome.minutes == 12
    assert urdu.title == "خوش آمدید" and urdu.path == WELCOME_UR
    # the headings keep the original's anchors, so links to a section work in both languages
    assert [a for a, _ in urdu.toc] == [a for a, _ in welcome.toc]
    assert urdu.toc[0][1] == "پہلا حصہ"
    # links to other lessons (and to a section of one) are rewritten as in the original
    assert 'href="/courses/demo/02-practice/try-it#doing"' in urdu.html
    # the words around the lesson's own: a block's default title and a table's label
    assert '<h2 class="admonition-title">اہم نکات</h2>' in urdu.html
    assert 'aria-label="جدول"' in urdu.html
    assert "Key points" not in urdu.html and 'aria-label="Table"' not in urdu.html
    # an untranslated lesson is the original in every language
    steps = catalog.lesson("demo", "01-basics", "next-steps")
    assert steps.in_locale("ur") is steps and steps.translations == ()
    # the module's minutes still add up from the originals alone
    assert sum(lesson.minutes for lesson in catalog.module("demo", "01-basics").lessons) == 20


def test_a_quiz_translation_keeps_the_original_key_and_choice_keys():
    quiz = load_catalog(GOOD).module("demo", "01-basics").quiz
    urdu = quiz.in_locale("ur")
    assert urdu.locale == "ur" and urdu.path == QUIZ_UR and urdu.title == "بنیادی باتیں: کوئز"
    assert [q.id for q in urdu.questions] == [q.id for q in quiz.questions]
    single = urdu.question("q-single")
    assert [c.text for c in single.choices] == ["سنیں", "نظر انداز کریں", "چلائیں"]
    assert [(c.key, c.correct) for c in single.choices] == [
        (c.key, c.correct) for c in quiz.question("q-single").choices
    ]
    assert urdu.question("q-tf").answer is quiz.question("q-tf").answer is True
    assert [p.right for p in urdu.question("q-match").pairs][0] == "3 سال تک"
    assert (urdu.pass_mark, urdu.attempts, urdu.shuffle) == (70, None, True)
    assert urdu.translations == () and quiz.in_locale("en") is quiz


def test_short_answers_accept_the_translation_answers_in_any_language():
    quiz = load_catalog(GOOD).module("demo", "01-basics").quiz
    original, urdu = quiz.question("q-short"), quiz.in_locale("ur").question("q-short")
    for question in (original, urdu):
        assert question.grade("1099").correct
        assert question.grade("ایک صفر نو نو").correct
        assert question.grade("۱۰۹۹").correct  # Urdu digits, as an Urdu phone keyboard types them
        assert not question.grade("1098").correct
    assert original.answers == ("1099",)  # the original's own list is unchanged (GIFT export)
    assert urdu.full_marks() == "ایک صفر نو نو"  # the review shows the answer in Urdu


def test_short_answers_read_urdu_digits_and_punctuation():
    assert normalise_short_answer(" آرٹیکل  ۱۹۔ ") == "آرٹیکل 19"
    assert normalise_short_answer("١٩") == "19"


# --- lesson translations: each mismatch at its line ----------------------------------------------
def test_minutes_must_equal_the_original(content):
    edit(content, WELCOME_UR, "minutes: 12", "minutes: 15")
    line, message = only_error_in(content, WELCOME_UR)
    assert line == line_of(content, WELCOME_UR, "minutes: 15")
    assert message.startswith("`minutes` is 15, but 01-welcome.md has 12")


def test_objectives_one_for_one(content):
    edit(content, WELCOME_UR, "  - اپنا راستہ پہچانیں\n", "  - اپنا راستہ پہچانیں\n  - ایک اور\n")
    line, message = only_error_in(content, WELCOME_UR)
    assert line == line_of(content, WELCOME_UR, "objectives:")
    assert message.startswith("2 objectives, but 01-welcome.md has 1")


def test_front_matter_needs_a_title_and_no_other_keys(content):
    edit(content, WELCOME_UR, "title: خوش آمدید\n", "")
    edit(content, WELCOME_UR, "minutes: 12\n", "minutes: 12\nauthor: x\n")
    errors = errors_in(content, WELCOME_UR)
    assert (2, "missing `title`") in errors
    assert (
        line_of(content, WELCOME_UR, "author:"),
        "unknown key `author` in lesson front matter",
    ) in (errors)


def test_a_heading_at_another_level(content):
    edit(content, WELCOME_UR, "## دوسرا حصہ", "### دوسرا حصہ")
    line, message = only_error_in(content, WELCOME_UR)
    assert line == line_of(content, WELCOME_UR, "### دوسرا حصہ")
    assert message.startswith(
        "heading 2 is `### دوسرا حصہ`, but heading 2 of 01-welcome.md (line "
        f"{line_of(content, WELCOME, '## Second section')}) is `## Second section`"
    )


def test_a_missing_heading(content):
    edit(content, WELCOME_UR, "## دوسرا حصہ\n", "")
    line, message = only_error_in(content, WELCOME_UR)
    assert line == line_of(content, WELCOME_UR, "## پہلا حصہ")  # after the last one there is
    assert message.startswith("heading 2 of 01-welcome.md, `## Second section` at line")
    assert "the translation has 1 headings, the original 2" in message


def test_an_extra_heading(content):
    edit(content, WELCOME_UR, "!!! keypoints", "## تیسرا حصہ\n\n!!! keypoints")
    line, message = only_error_in(content, WELCOME_UR)
    assert line == line_of(content, WELCOME_UR, "## تیسرا حصہ")
    assert message.startswith("heading 3, `## تیسرا حصہ`, is not in 01-welcome.md, which has 2")


def test_a_block_of_another_kind(content):
    edit(content, WELCOME_UR, '!!! activity "کر کے دیکھیں"', '!!! warning "احتیاط"')
    line, message = only_error_in(content, WELCOME_UR)
    assert line == line_of(content, WELCOME_UR, "!!! warning")
    assert message.startswith('block 2 is `!!! warning "احتیاط"`, but block 2 of 01-welcome.md')
    assert 'is `!!! activity "Try it"`' in message


def test_a_missing_block(content):
    edit(content, WELCOME_UR, "!!! keypoints\n    - ایک نکتہ\n", "")
    line, message = only_error_in(content, WELCOME_UR)
    assert line == line_of(content, WELCOME_UR, "!!! activity")
    assert message.startswith("block 3 of 01-welcome.md, `!!! keypoints` at line")


def test_an_extra_block(content):
    edit(content, WELCOME_UR, "## دوسرا حصہ", '!!! law "قانون، دفعہ 5"\n    متن۔\n\n## دوسرا حصہ')
    line, message = only_error_in(content, WELCOME_UR)
    assert line == line_of(content, WELCOME_UR, "!!! law")
    assert message.startswith("block 3 is `!!! law")  # the keypoints block comes after it


def test_block_rules_apply_to_translations_too(content):
    edit(content, WELCOME_UR, '!!! case "کیس: آمنہ، 12، لاہور"', "!!! case")
    line, message = only_error_in(content, WELCOME_UR)
    assert (line, message) == (
        line_of(content, WELCOME_UR, "!!! case"),
        "`!!! case` needs a title in double quotes",
    )


def test_a_broken_link_in_a_translation(content):
    edit(content, WELCOME_UR, "(02-next-steps.md)", "(02-nowhere.md)")
    line, message = only_error_in(content, WELCOME_UR)
    assert line == line_of(content, WELCOME_UR, "02-nowhere.md")
    assert "broken link" in message


def test_a_link_to_a_translation_file_goes_to_its_lesson(content):
    edit(content, WELCOME_UR, "(02-next-steps.md)", "(01-welcome.ur.md#second-section)")
    urdu = load_catalog(content).lesson("demo", "01-basics", "welcome").in_locale("ur")
    assert 'href="/courses/demo/01-basics/welcome#second-section"' in urdu.html


def test_an_orphan_translation(content):
    (content / "courses/demo/01-basics/03-gone.ur.md").write_text("---\ntitle: x\n---\n")
    line, message = only_error_in(content, "courses/demo/01-basics/03-gone.ur.md")
    assert line == 1
    assert message.startswith("a translation of 03-gone.md, which does not exist")


def test_an_unknown_language(content):
    shutil.copy(content / WELCOME_UR, content / "courses/demo/01-basics/01-welcome.fr.md")
    shutil.copy(content / QUIZ_UR, content / "quizzes/demo/01-basics.pa.yaml")
    messages = {(e.path, e.line, e.message) for e in check_content(content)}
    assert messages == {
        (
            "courses/demo/01-basics/01-welcome.fr.md",
            1,
            "unknown language `fr` in the file name (translations are in: ur)",
        ),
        (
            "quizzes/demo/01-basics.pa.yaml",
            1,
            "unknown language `pa` in the file name (translations are in: ur)",
        ),
    }


def test_a_broken_original_is_reported_once(content):
    edit(content, WELCOME, "minutes: 12", "minutes: twelve")
    errors = [str(e) for e in check_content(content)]
    assert errors == [f"{WELCOME}:3: `minutes` must be a positive whole number"]


def test_warnings_for_changed_numbers_and_eastern_digits(content):
    edit(content, WELCOME_UR, "کیس: آمنہ، 12، لاہور", "کیس: آمنہ، 13، لاہور")
    edit(content, WELCOME_UR, "| 1 | 2 |", "| ۱ | ۲ |")
    report = inspect_content(content)
    assert report.errors == ()
    warnings = [(w.line, w.message) for w in report.warnings if w.path == WELCOME_UR]
    assert warnings == [
        (
            line_of(content, WELCOME_UR, "!!! case"),
            'the title of `!!! case "کیس: آمنہ، 13، لاہور"` has the numbers 13, the original\'s '
            f"12 (line {line_of(content, WELCOME, '!!! case')}): section numbers, ages and years "
            "stay the same",
        ),
        (line_of(content, WELCOME_UR, "| ۱ |"), "write numbers in the digits 0-9, as Pakistani "
         "forms and phones do"),
    ]  # fmt: skip


# --- quiz translations: each mismatch at its line ------------------------------------------------
def test_the_answer_key_never_comes_from_a_translation(content):
    edit(content, QUIZ_UR, "      - text: سنیں\n", "      - text: سنیں\n        correct: true\n")
    edit(
        content, QUIZ_UR, "    feedback_true: درست۔", "    answer: false\n    feedback_true: درست۔"
    )
    errors = errors_in(content, QUIZ_UR)
    rule = "does not belong in a translation: the answer key always comes from the original"
    assert errors == [
        (line_of(content, QUIZ_UR, "correct: true"), f"question q-single: `correct` {rule}"),
        (line_of(content, QUIZ_UR, "answer: false"), f"question q-tf: `answer` {rule}"),
    ]
    # and grading is the original's: the first choice is still the only right one
    edit(content, QUIZ_UR, "        correct: true\n", "")
    edit(content, QUIZ_UR, "    answer: false\n", "")
    quiz = load_catalog(content).module("demo", "01-basics").quiz
    assert quiz.in_locale("ur").question("q-tf").answer is True


def test_settings_come_from_the_original(content):
    edit(content, QUIZ_UR, "questions:", "pass_mark: 10\nquestions:")
    assert only_error_in(content, QUIZ_UR) == (
        line_of(content, QUIZ_UR, "pass_mark"),
        "`pass_mark` does not belong in a translation: it comes from the original",
    )


def test_a_quiz_translation_needs_a_title(content):
    edit(content, QUIZ_UR, 'title: "بنیادی باتیں: کوئز"\n', "")
    assert only_error_in(content, QUIZ_UR) == (1, "missing `title`")


def test_a_missing_question(content):
    text = (content / QUIZ_UR).read_text()
    start, end = text.index("  - id: q-tf"), text.index("  - id: q-short")
    (content / QUIZ_UR).write_text(text[:start] + text[end:])
    assert only_error_in(content, QUIZ_UR) == (
        line_of(content, QUIZ_UR, "questions:"),
        "question 'q-tf' of the original is missing",
    )


def test_a_question_the_original_does_not_have(content):
    edit(content, QUIZ_UR, "id: q-tf", "id: q-true")
    errors = errors_in(content, QUIZ_UR)
    assert (
        line_of(content, QUIZ_UR, "id: q-true"),
        "question 'q-true' is not in the original",
    ) in (errors)
    assert (
        line_of(content, QUIZ_UR, "questions:"),
        "question 'q-tf' of the original is missing",
    ) in (errors)


def test_questions_out_of_order(content):
    text = (content / QUIZ_UR).read_text()
    start, middle, end = (text.index(f"  - id: {q}") for q in ("q-single", "q-multiple", "q-tf"))
    swapped = text[:start] + text[middle:end] + text[start:middle] + text[end:]
    (content / QUIZ_UR).write_text(swapped)
    assert only_error_in(content, QUIZ_UR) == (
        line_of(content, QUIZ_UR, "id: q-multiple"),
        "question 'q-multiple' is out of order: 'q-single' comes here in the original, and a "
        "translation keeps the original's order",
    )


def test_a_question_of_another_type(content):
    edit(content, QUIZ_UR, "    type: multiple", "    type: single")
    assert only_error_in(content, QUIZ_UR) == (
        line_after(content, QUIZ_UR, "id: q-multiple", "type: single"),
        "question q-multiple: type 'single' differs from the original's 'multiple'",
    )


def test_choices_and_pairs_keep_their_count(content):
    edit(content, QUIZ_UR, "      - {text: مسکرانا, feedback: نہیں۔}\n", "")
    edit(content, QUIZ_UR, "      - {left: سنگین جرم, right: 7 سال سے زیادہ}\n", "")
    errors = errors_in(content, QUIZ_UR)
    same = "a translation has the same ones in the same order"
    assert errors == [
        (
            line_after(content, QUIZ_UR, "id: q-multiple", "choices:"),
            f"question q-multiple: `choices` has 2 items but the original has 3: {same}",
        ),
        (
            line_of(content, QUIZ_UR, "pairs:"),
            f"question q-match: `pairs` has 2 items but the original has 3: {same}",
        ),
    ]


def test_a_short_answer_translation_needs_its_own_answers(content):
    edit(content, QUIZ_UR, '    answers: ["ایک صفر نو نو"]\n', "")
    line, message = only_error_in(content, QUIZ_UR)
    assert line == line_of(content, QUIZ_UR, "id: q-short")
    assert message.startswith("question q-short: `answers` must be a non-empty list")


def test_feedback_and_cases_mirror_the_original(content):
    edit(
        content,
        QUIZ_UR,
        "      - text: نظر انداز کریں\n        feedback: نہیں۔\n",
        "      - text: نظر انداز کریں\n",
    )
    edit(content, QUIZ_UR, "    prompt: ان میں سے", "    case: ایک کیس۔\n    prompt: ان میں سے")
    errors = errors_in(content, QUIZ_UR)
    assert errors == [
        (
            line_of(content, QUIZ_UR, "text: نظر انداز کریں"),
            "question q-single: missing `feedback`: the original has one",
        ),
        (
            line_of(content, QUIZ_UR, "case: ایک کیس۔"),
            "question q-multiple: `case` is not in the original: a translation has the same parts",
        ),
    ]  # fmt: skip


def test_an_orphan_quiz_translation(content):
    shutil.copy(content / QUIZ_UR, content / "quizzes/demo/09-gone.ur.yaml")
    line, message = only_error_in(content, "quizzes/demo/09-gone.ur.yaml")
    assert line == 1 and message.startswith("a translation of quizzes/demo/09-gone.yaml, a quiz ")


def test_a_broken_original_quiz_is_reported_alone(content):
    edit(content, "quizzes/demo/01-basics.yaml", "    answer: true\n", "")
    errors = check_content(content)
    assert {e.path for e in errors} == {"quizzes/demo/01-basics.yaml"}


# --- the compiled catalog -------------------------------------------------------------------------
def test_a_changed_translation_rebuilds_the_compiled_catalog(content, tmp_path, monkeypatch):
    monkeypatch.setattr(compiled, "_built", {})
    builds = []
    real = loader.load_catalog
    monkeypatch.setattr(loader, "load_catalog", lambda root: builds.append(root) or real(root))
    cache = tmp_path / "cache"
    key = compiled.catalog_key(content)
    before = compiled.cached_catalog(content, cache)
    compiled._built.clear()  # a new process: reads the file
    assert compiled.cached_catalog(content, cache).version == before.version and len(builds) == 1

    edit(content, WELCOME_UR, "یہ کیوں اہم ہے۔", "یہ کیوں بہت اہم ہے۔")
    assert compiled.catalog_key(content) != key
    compiled._built.clear()
    after = compiled.cached_catalog(content, cache)
    assert len(builds) == 2
    assert (
        "یہ کیوں بہت اہم ہے۔" in after.lesson("demo", "01-basics", "welcome").in_locale("ur").html
    )
    assert after.version != before.version
    # a read-back catalog keeps its translations, and pages' per-language courses
    compiled._built.clear()
    read = compiled.cached_catalog(content, cache)
    assert read.course_in("demo", "ur").modules[0].lessons[0].title == "خوش آمدید"
    assert read.course_in("demo", "ur").modules[0].quiz.locale == "ur"
    assert read.module("demo", "01-basics").quiz.in_locale("ur") == after.module(
        "demo", "01-basics"
    ).quiz.in_locale("ur")


# --- the pre-test and post-test (quizzes/<course>/pre-post.yaml) and its translation ----------------
PRE_POST = "quizzes/demo/pre-post.yaml"
PRE_POST_UR = "quizzes/demo/pre-post.ur.yaml"


def _pre_post(root: Path, *, urdu: bool = True, skip_urdu: int | None = None) -> None:
    """Ten single-choice questions (the first choice right), and their Urdu beside them."""
    english = ["questions:"]
    for n in range(1, 11):
        english += [f"  - id: k{n}", "    type: single", f"    prompt: Question {n} in English?",
                    "    choices:", f"      - {{text: Yes {n}, correct: true}}",
                    f"      - {{text: No {n}, correct: false}}"]  # fmt: skip
    (root / PRE_POST).write_text("\n".join(english) + "\n")
    if not urdu:
        return
    ur = ['title: "جانچ: کورس سے پہلے اور بعد"', "questions:"]
    for n in range(1, 11):
        if n == skip_urdu:
            continue
        ur += [f"  - id: k{n}", "    type: single", f"    prompt: سوال {n} اردو میں؟",
               "    choices:", f"      - {{text: جی ہاں {n}}}", f"      - {{text: جی نہیں {n}}}"]  # fmt: skip
    (root / PRE_POST_UR).write_text("\n".join(ur) + "\n")


def test_a_pre_post_translation_loads_on_the_knowledge_test_with_the_originals_key(content):
    _pre_post(content)
    assert [str(e) for e in check_content(content)] == []
    test = load_catalog(content).course("demo").knowledge_test
    urdu = test.in_locale("ur")
    assert (urdu.locale, urdu.path, urdu.title) == ("ur", PRE_POST_UR, "جانچ: کورس سے پہلے اور بعد")
    assert [q.id for q in urdu.questions] == [q.id for q in test.questions]
    first = urdu.question("k1")
    assert first.prompt == "سوال 1 اردو میں؟"
    assert [c.text for c in first.choices] == ["جی ہاں 1", "جی نہیں 1"]
    # the key is the original's: the first choice is right, in either language
    assert [c.correct for c in first.choices] == [c.correct for c in test.question("k1").choices]
    assert [c.correct for c in first.choices] == [True, False]


def test_a_pre_post_translation_is_checked_like_a_quiz_translation(content):
    _pre_post(content, skip_urdu=4)
    assert only_error_in(content, PRE_POST_UR) == (
        line_of(content, PRE_POST_UR, "questions:"),
        "question 'k4' of the original is missing",
    )
    _pre_post(content)
    edit(
        content, PRE_POST_UR, "      - {text: جی ہاں 2}", "      - {text: جی ہاں 2, correct: true}"
    )
    line, message = only_error_in(content, PRE_POST_UR)
    assert line == line_of(content, PRE_POST_UR, "correct: true")
    assert "`correct` does not belong in a translation" in message


def test_a_pre_post_translation_without_its_original(content):
    _pre_post(content)
    (content / PRE_POST).unlink()
    line, message = only_error_in(content, PRE_POST_UR)
    assert line == 1 and "quizzes/demo/pre-post.yaml, which does not exist" in message


def test_a_pre_post_translation_in_an_unknown_language(content):
    _pre_post(content, urdu=False)
    (content / "quizzes/demo/pre-post.fr.yaml").write_text("title: x\nquestions: []\n")
    line, message = only_error_in(content, "quizzes/demo/pre-post.fr.yaml")
    assert line == 1 and "unknown language `fr`" in message


# --- course.yaml: the course's audience and summary, a module's outcomes ---------------------------
COURSE = "courses/demo/course.yaml"


def test_the_courses_audience_summary_and_outcomes_load_in_urdu_with_the_original_beside():
    catalog = load_catalog(GOOD)
    course = catalog.course("demo")
    assert course.audience_in("ur") == "آزمائشی قارئین"
    assert course.audience_in("en") == course.audience == "Test readers"
    # the translated summary is Markdown, rendered at load time like the original's
    assert (
        course.summary_html_in("ur") == "<p><strong>ٹیسٹوں</strong> کے لیے ایک چھوٹا سا کورس۔</p>"
    )
    assert course.summary_html_in("en") == course.summary_html
    assert "<strong>tests</strong>" in course.summary_html
    assert course.summary_text == "A tiny course used by the tests."  # the badge keeps English
    basics, practice = course.modules
    assert basics.outcomes_in("ur") == ("بنیادی باتیں جاننا",)
    assert basics.outcomes_in("en") == basics.outcomes == ("Know the basics",)
    assert practice.outcomes_in("ur") == practice.outcomes == ()
    # the page's copy of the course keeps them
    assert catalog.course_in("demo", "ur").audience_in("ur") == "آزمائشی قارئین"
    assert catalog.course_in("demo", "ur").modules[0].outcomes_in("ur") == ("بنیادی باتیں جاننا",)


def test_untranslated_texts_fall_back_to_the_original(content):
    edit(content, COURSE, "    audience: آزمائشی قارئین\n", "")
    edit(content, COURSE, "    summary: |\n      **ٹیسٹوں** کے لیے ایک چھوٹا سا کورس۔\n", "")
    edit(content, COURSE, "        outcomes:\n          - بنیادی باتیں جاننا\n", "")
    assert check_content(content) == []
    course = load_catalog(content).course("demo")
    assert course.title_in("ur") == "ڈیمو کورس"
    assert course.audience_in("ur") == "Test readers"
    assert course.summary_html_in("ur") == course.summary_html
    assert course.modules[0].outcomes_in("ur") == ("Know the basics",)


def test_a_wrong_number_of_outcomes_is_reported_at_its_line(content):
    edit(content, COURSE, "          - بنیادی باتیں جاننا\n",
         "          - بنیادی باتیں جاننا\n          - ایک اور\n")  # fmt: skip
    line, message = only_error_in(content, COURSE)
    assert line == line_after(content, COURSE, "title: بنیادی باتیں", "outcomes:")
    assert message == (
        "module 01-basics: `translations.ur.outcomes` has 2 items; the module's `outcomes` has 1 "
        "(one translation for each, in the same order)"
    )


def test_outcomes_for_a_module_without_outcomes_are_reported(content):
    edit(
        content,
        COURSE,
        "        title: مشق\n",
        "        title: مشق\n        outcomes: [مشق کرنا]\n",
    )
    line, message = only_error_in(content, COURSE)
    assert line == line_of(content, COURSE, "outcomes: [مشق کرنا]")
    assert "module 02-practice: `translations.ur.outcomes` has 1 items" in message
    assert "`outcomes` has 0" in message


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    audience: آزمائشی قارئین\n", "    audience: آزمائشی قارئین\n    code: ڈیمو\n",
         "unknown key `code` in translations.ur"),
        ("        title: بنیادی باتیں\n", "        title: بنیادی باتیں\n        summary: x\n",
         "unknown key `summary` in translations.ur"),
        ("    summary: |\n      **ٹیسٹوں** کے لیے ایک چھوٹا سا کورس۔\n", "    summary: [a, b]\n",
         "`summary` must be text"),
        ("    audience: آزمائشی قارئین\n", "    audience: {a: b}\n", "`audience` must be text"),
        ("          - بنیادی باتیں جاننا\n", "          - ''\n",
         "every item of `outcomes` must be non-empty text"),
        ("        outcomes:\n          - بنیادی باتیں جاننا\n", "        outcomes: جاننا\n",
         "`outcomes` must be a non-empty list"),
    ],
    ids=["course-unknown-key", "module-unknown-key", "summary-not-text", "audience-not-text",
         "empty-outcome", "outcomes-not-a-list"],
)  # fmt: skip
def test_a_bad_translated_text_is_reported_at_its_line(content, old, new, message):
    edit(content, COURSE, old, new)
    line, reported = only_error_in(content, COURSE)
    assert message in reported
    last = new.strip().splitlines()[-1].strip()
    at = "outcomes:" if last == "- ''" else last
    expected = (
        line_after(content, COURSE, "title: بنیادی باتیں", at)
        if at == "outcomes:"
        else line_of(content, COURSE, at)
    )
    assert line == expected


def test_the_shipped_courses_carry_their_urdu_audience_summary_and_outcomes():
    from lms.config import ROOT

    catalog = load_catalog(ROOT)
    for course in catalog:
        assert course.audience_in("ur") != course.audience
        assert course.summary_html_in("ur") != course.summary_html
        for module in course.modules:
            urdu = module.outcomes_in("ur")
            assert len(urdu) == len(module.outcomes) and urdu != module.outcomes, module.key
            assert all(re.search("[\u0600-\u06ff]", o) for o in urdu), module.key  # Urdu script
    cpsa = catalog.course("cpsa").summary_html_in("ur")
    assert "17.5 گھنٹے" in cpsa and "<strong>سیف زون</strong>" in cpsa
    jj = catalog.course("juvenile-justice").summary_html_in("ur")
    assert "<strong>جووینائل جسٹس سسٹم ایکٹ 2018</strong>" in jj and "90 منٹ" in jj
