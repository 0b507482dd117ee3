"""The dashboard's Continue button opens the lesson where the learner left off."""

from __future__ import annotations

from datetime import date

import pytest

from lms.extensions import db
from lms.models.hours import LessonCredit
from tests.conftest import soup
from tests.factories import enrol

WELCOME, NEXT, TRY = "01-basics/welcome", "01-basics/next-steps", "02-practice/try-it"
MINUTES = {WELCOME: 12, NEXT: 8, TRY: 10}


def credit(user, lesson: str, seconds: int, day: int) -> None:
    module = lesson.split("/")[0]
    db.session.add(
        LessonCredit(user_id=user.id, course_slug="demo", module_slug=module,
                     lesson_key=f"demo/{lesson}", day=date(2026, 3, day), seconds=seconds)
    )  # fmt: skip
    db.session.commit()


def continue_link(client) -> str | None:
    button = soup(client.get("/dashboard")).select_one(".course-card a.button:not(.secondary)")
    return button["href"] if button else None


@pytest.mark.parametrize(
    ("reading", "expected"),
    [
        ([], WELCOME),  # nothing read: the first lesson
        ([(WELCOME, 60, 1)], WELCOME),  # part read: the same lesson again
        ([(WELCOME, 12 * 60, 1)], NEXT),  # finished: the next one
        ([(WELCOME, 60, 1), (TRY, 30, 2)], TRY),  # the latest read, not the first in order
        ([(TRY, 10 * 60, 1), (WELCOME, 12 * 60, 2)], NEXT),  # what still has time, after the latest
        ([(WELCOME, 12 * 60, 1), (NEXT, 8 * 60, 2), (TRY, 10, 3)], TRY),
        ([(TRY, 600, 3), (WELCOME, 30, 1)], WELCOME),  # wraps round to what is left earlier
    ],
)
def test_continue_opens_where_the_learner_left_off(client, learner, login_as, reading, expected):
    enrol(learner, "demo")
    for lesson, seconds, day in reading:
        credit(learner, lesson, seconds, day)
    login_as(learner)
    assert continue_link(client) == f"/courses/demo/{expected}"


def test_every_lesson_read_sends_the_learner_to_the_course_page(client, learner, login_as):
    enrol(learner, "demo")
    for day, (lesson, minutes) in enumerate(MINUTES.items(), start=1):
        credit(learner, lesson, minutes * 60, day)
    login_as(learner)
    assert continue_link(client) is None
    link = soup(client.get("/dashboard")).select_one(".course-card a.button.secondary")
    assert link["href"] == "/courses/demo"
