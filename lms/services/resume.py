"""Where a learner picks up a course again: the "Continue" button.

The lesson read most recently, if it still has time to earn; otherwise the next lesson, in course
order, that still has time to earn; the first lesson for someone who has read nothing. ``None``
when every lesson has its full time (the course page is then the place to go).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.content.schema import Course, Lesson
from lms.models.hours import LessonCredit


def resume_lesson(session: Session, course: Course, user_id: int) -> Lesson | None:
    lessons = course.lessons
    if not lessons:
        return None
    rows = session.execute(
        select(
            LessonCredit.lesson_key,
            func.sum(LessonCredit.seconds),
            func.max(LessonCredit.day),
            func.max(LessonCredit.id),
        )
        .where(LessonCredit.user_id == user_id, LessonCredit.course_slug == course.slug)
        .group_by(LessonCredit.lesson_key)
    ).all()
    index = {lesson.key: i for i, lesson in enumerate(lessons)}
    read = [row for row in rows if row[0] in index]
    if not read:
        return lessons[0]
    credited = {key: int(seconds or 0) for key, seconds, _, _ in read}
    last_key = max(read, key=lambda row: (row[2], row[3]))[0]
    start = index[last_key]
    for lesson in lessons[start:] + lessons[:start]:
        if credited.get(lesson.key, 0) < lesson.seconds:
            return lesson
    return None
