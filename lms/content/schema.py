"""The catalog's immutable records: courses, modules, lessons (quizzes are in ``questions``).

Learner records refer to content by stable slugs (``course/module/lesson``), never by row ids, so a
reloaded or reordered catalog keeps every learner's hours and results.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lms.content.questions import Quiz


@dataclass(frozen=True)
class Lesson:
    course_slug: str
    module_slug: str
    slug: str  #: the file name without its number prefix and ``.md``
    number: int
    title: str
    minutes: int
    objectives: tuple[str, ...]
    html: str
    toc: tuple[tuple[str, str], ...]
    words: int
    path: str  #: relative to the content root

    @property
    def key(self) -> str:
        return f"{self.course_slug}/{self.module_slug}/{self.slug}"

    @property
    def seconds(self) -> int:
        return self.minutes * 60


@dataclass(frozen=True)
class Module:
    course_slug: str
    slug: str
    number: int
    title: str
    minutes: int
    outcomes: tuple[str, ...]
    lessons: tuple[Lesson, ...]
    quiz: Quiz | None

    @property
    def key(self) -> str:
        return f"{self.course_slug}/{self.slug}"


@dataclass(frozen=True)
class CourseTranslation:
    """A course's texts in another language (course.yaml ``translations``), for the certificate."""

    locale: str  #: e.g. ``ur``
    title: str


@dataclass(frozen=True)
class Course:
    slug: str
    code: str  #: serial prefix on certificates, e.g. CPSA
    title: str
    summary: str
    summary_html: str
    summary_text: str  #: the summary without markup, for the Open Badges description
    audience: str
    certificate_title: str
    pass_mark: int
    modules: tuple[Module, ...] = field(default_factory=tuple)
    #: how long a certificate of this course stays valid; ``None``: it never expires
    valid_for_years: int | None = None
    #: the course's title in other languages (none: the original everywhere)
    translations: tuple[CourseTranslation, ...] = ()

    def title_in(self, locale: str) -> str:
        """The course's title in ``locale``, or the original title when it has no translation."""
        return next((t.title for t in self.translations if t.locale == locale), self.title)

    @property
    def required_minutes(self) -> int:
        """The course's hours are the sum of its modules' minutes: no second number to keep in step."""
        return sum(m.minutes for m in self.modules)

    @property
    def lessons(self) -> tuple[Lesson, ...]:
        return tuple(lesson for m in self.modules for lesson in m.lessons)

    def module(self, slug: str) -> Module | None:
        return next((m for m in self.modules if m.slug == slug), None)
