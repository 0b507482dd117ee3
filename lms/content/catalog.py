"""The catalog: every course, read once at start-up, immutable, looked up by slug."""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType

from lms.content.errors import ContentWarning
from lms.content.schema import Course, Lesson, Module


class Catalog:
    def __init__(
        self, courses: Iterable[Course], version: str, warnings: Iterable[ContentWarning] = ()
    ):
        self.courses = MappingProxyType({c.slug: c for c in courses})
        self.version = version
        #: weaknesses an author should fix (``flask lms check-content`` lists them); never fatal
        self.warnings = tuple(warnings)
        self._lessons = MappingProxyType(
            {lesson.key: lesson for c in self.courses.values() for lesson in c.lessons}
        )
        self._modules = MappingProxyType(
            {m.key: m for c in self.courses.values() for m in c.modules}
        )

    def __reduce__(self):
        # the mapping proxies cannot be pickled; they are rebuilt from the courses
        return (Catalog, (tuple(self.courses.values()), self.version, self.warnings))

    def __iter__(self):
        return iter(self.courses.values())

    def course(self, slug: str) -> Course | None:
        return self.courses.get(slug)

    def module(self, course: str, module: str) -> Module | None:
        return self._modules.get(f"{course}/{module}")

    def lesson(self, course: str, module: str, lesson: str) -> Lesson | None:
        return self._lessons.get(f"{course}/{module}/{lesson}")

    def lesson_by_key(self, key: str) -> Lesson | None:
        return self._lessons.get(key)

    def neighbours(self, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
        """The lessons before and after this one in the course's reading order."""
        order = self.courses[lesson.course_slug].lessons
        index = order.index(lesson)
        before = order[index - 1] if index > 0 else None
        after = order[index + 1] if index + 1 < len(order) else None
        return before, after
