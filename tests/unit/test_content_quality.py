"""Quiz quality warnings: reported at file:line, counted per quiz and per course, never fatal."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lms.content import ContentWarning, check_content, inspect_content, load_catalog
from lms.content.quality import key_is_strictly_longest
from lms.content.questions import Choice, SingleChoice
from tests.unit.test_content_loader import edit, line_of

WEAK = Path(__file__).parent.parent / "data" / "weak-quiz"
QUIZ = "quizzes/weak/01-only.yaml"
COURSE = "courses/weak/course.yaml"


@pytest.fixture
def content(tmp_path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(WEAK, root)
    return root


def longest_warnings(warnings, path):
    return [w for w in warnings if w.path == path and "longest choice" in w.message]


def feedback_warnings(warnings):
    return [w for w in warnings if "full sentence" in w.message]


def test_weak_quiz_loads_but_warns_with_file_line_and_fraction():
    report = inspect_content(WEAK)
    assert report.errors == ()
    assert report.catalog is not None
    (quiz_warning,) = longest_warnings(report.warnings, QUIZ)
    assert quiz_warning.line == 1
    assert "2 of 3 single-choice questions (67%)" in quiz_warning.message
    (course_warning,) = longest_warnings(report.warnings, COURSE)
    assert "across the course's quizzes" in course_warning.message
    assert "2 of 3" in course_warning.message
    (short,) = feedback_warnings(report.warnings)
    assert short.path == QUIZ
    assert short.line == line_of(WEAK, QUIZ, "text: In the lock-up")
    assert "w-2" in short.message and "'No.'" in short.message
    assert str(short).startswith(f"{QUIZ}:{short.line}: warning: ")


def test_warnings_never_stop_loading_and_ride_on_the_catalog():
    assert check_content(WEAK) == []
    catalog = load_catalog(WEAK)
    assert catalog.module("weak", "01-only").quiz is not None
    assert catalog.warnings == inspect_content(WEAK).warnings
    assert all(isinstance(w, ContentWarning) for w in catalog.warnings)


def test_exactly_a_third_is_not_warned(content):
    # Make w-1's distractor longer than its key: one of three keys is then the longest.
    edit(
        content,
        QUIZ,
        "text: Under 14",
        "text: Any person under the age of 14 years, as in Article 11(3)",
    )
    report = inspect_content(content)
    assert longest_warnings(report.warnings, QUIZ) == []
    assert longest_warnings(report.warnings, COURSE) == []


def test_a_tie_in_length_is_not_strictly_longest(content):
    edit(content, QUIZ, "text: Under 14", "text: Any person who has not yet reached the age of 14")
    edit(
        content, QUIZ, "text: In the lock-up", "text: In a police lock-up with an officer watching"
    )
    assert longest_warnings(inspect_content(content).warnings, QUIZ) == []


def test_feedback_of_four_words_passes_and_missing_feedback_warns(content):
    edit(content, QUIZ, "feedback: No.", "feedback: A lock-up is forbidden.")
    assert feedback_warnings(inspect_content(content).warnings) == []
    edit(content, QUIZ, "        feedback: A lock-up is forbidden.\n", "")
    (missing,) = feedback_warnings(inspect_content(content).warnings)
    assert "has no feedback" in missing.message


def test_true_false_short_answer_and_matching_feedback_are_checked(content):
    path = content / QUIZ
    path.write_text(
        path.read_text()
        + """  - id: w-4
    type: true_false
    prompt: A child is under 18.
    answer: true
    feedback_true: Right.
    feedback_false: The Act says a child is under 18.
  - id: w-5
    type: short_answer
    prompt: Which helpline number?
    answers: ["1099"]
    feedback: It is 1099.
  - id: w-6
    type: matching
    prompt: Match them.
    pairs:
      - {left: Minor offence, right: Up to 3 years}
      - {left: Major offence, right: More than 3 and up to 7 years}
    feedback: Section 2 of the Act defines both kinds of offence.
"""
    )
    messages = [(w.line, w.message) for w in feedback_warnings(inspect_content(content).warnings)]
    assert any("w-4: answer true" in m for _, m in messages)
    assert not any("w-4: answer false" in m for _, m in messages)
    assert any(m.startswith("question w-5 ") for _, m in messages)
    assert not any("w-6" in m for _, m in messages)
    (w4_line,) = [line for line, m in messages if "w-4" in m]
    assert w4_line == line_of(content, QUIZ, "id: w-4")


def test_broken_content_still_reports_its_warnings(content):
    edit(content, "courses/weak/01-only/01-lesson.md", "minutes: 10", "minutes: ten")
    report = inspect_content(content)
    assert report.errors and report.catalog is None
    assert longest_warnings(report.warnings, QUIZ)


def test_key_is_strictly_longest_needs_one_key_longer_than_every_other_choice():
    def question(*texts_and_correct):
        choices = tuple(
            Choice(str(i), text, correct, "Feedback that says why.")
            for i, (text, correct) in enumerate(texts_and_correct)
        )
        return SingleChoice(id="q", prompt="?", prompt_html="?", choices=choices)

    assert key_is_strictly_longest(question(("longer text", True), ("short", False)))
    assert not key_is_strictly_longest(question(("same", True), ("size", False)))
    assert not key_is_strictly_longest(question(("short", True), ("longer text", False)))


def test_the_site_starts_on_content_with_warnings(db_url):
    from tests.conftest import make_app

    app = make_app(db_url, LMS_CONTENT_DIR=str(WEAK))
    catalog = app.extensions["lms.catalog"]
    assert catalog.course("weak") is not None
    assert longest_warnings(catalog.warnings, QUIZ)
    with app.app_context():
        from lms.extensions import db

        db.engine.dispose()
