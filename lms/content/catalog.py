"""The catalog: every course, read once at start-up, immutable, looked up by slug.

Services use the originals (``course``, ``lesson``...): hours, attempts and grading never depend on
the reader's language. Pages show ``course_in(slug, locale)``: the same course with each lesson and
quiz in that language where a translation exists, built once here for every translation language.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType

from lms.content import locales
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
        self._in_locale = {
            locale: MappingProxyType({c.slug: c.in_locale(locale) for c in self.courses.values()})
            for locale in locales.TRANSLATIONS
        }

    def __reduce__(self):
        # the mapping proxies cannot be pickled; they are rebuilt from the courses
        return (Catalog, (tuple(self.courses.values()), self.version, self.warnings))

    def __iter__(self):
        return iter(self.courses.values())

    def course(self, slug: str) -> Course | None:
        return self.courses.get(slug)

    def course_in(self, slug: str, locale: str) -> Course | None:
        """The course for a reader of ``locale``: translated lessons and quizzes where there are
        some, the originals elsewhere (``Lesson.locale`` says which). For pages only."""
        localized = self._in_locale.get(locale)
        return (localized if localized is not None else self.courses).get(slug)

    def module(self, course: str, module: str) -> Module | None:
        return self._modules.get(f"{course}/{module}")

    def lesson(self, course: str, module: str, lesson: str) -> Lesson | None:
        return self._lessons.get(f"{course}/{module}/{lesson}")

    def lesson_by_key(self, key: str, locale: str | None = None) -> Lesson | None:
        """The lesson (given ``locale``: as a reader of that language sees it, for pages)."""
        lesson = self._lessons.get(key)
        return lesson.in_locale(locale) if lesson is not None and locale else lesson

    def neighbours(self, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
        """The lessons before and after this one in the course's reading order."""
        order = self.courses[lesson.course_slug].lessons
        index = order.index(lesson)
        before = order[index - 1] if index > 0 else None
        after = order[index + 1] if index + 1 < len(order) else None
        return before, after
