"""The catalog's immutable records: courses, modules, lessons (quizzes are in ``questions``).

Learner records refer to content by stable slugs (``course/module/lesson``), never by row ids, so a
reloaded or reordered catalog keeps every learner's hours and results.

A lesson or a quiz may carry translations (``02-forms-of-harm.ur.md`` beside the lesson,
``01-understanding-abuse.ur.yaml`` beside the quiz): records of the same class, with the same key,
minutes and structure and the words of another language. ``in_locale`` gives the record a reader
of that language sees: the translation when there is one, else the original (whose ``locale`` then
differs from the page's, so the page can say so). Hours, attempts and grading always use the
original's key and numbers; only the words change.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from lms.content import locales
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
    locale: str = locales.ORIGINAL  #: the language of the title, objectives and body
    #: the same lesson in other languages (each with no translations of its own)
    translations: tuple[Lesson, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.course_slug}/{self.module_slug}/{self.slug}"

    @property
    def seconds(self) -> int:
        return self.minutes * 60

    def in_locale(self, locale: str) -> Lesson:
        """The lesson in ``locale`` if it is translated into it, else this (the original)."""
        return next((t for t in self.translations if t.locale == locale), self)


@dataclass(frozen=True)
class CourseTranslation:
    """A course's texts in another language (course.yaml ``translations``); an empty text: the
    original shows."""

    locale: str  #: e.g. ``ur``
    title: str
    audience: str = ""
    summary: str = ""  #: Markdown, as the original's
    summary_html: str = ""  #: rendered when the catalog is loaded, never per request


@dataclass(frozen=True)
class ModuleTranslation:
    """A module's texts in another language (the module's ``translations`` in course.yaml)."""

    locale: str
    title: str
    #: as many as the original's outcomes, in the same order; empty: the original's show
    outcomes: tuple[str, ...] = ()


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
    #: the module's title and outcomes in other languages (course.yaml, the module's
    #: ``translations``)
    translations: tuple[ModuleTranslation, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.course_slug}/{self.slug}"

    def title_in(self, locale: str) -> str:
        """The module's title in ``locale``, or the original title when it has no translation.
        Pages, the hours ledger and the certificate's Urdu side show this; keys never change."""
        return next((t.title for t in self.translations if t.locale == locale), self.title)

    def outcomes_in(self, locale: str) -> tuple[str, ...]:
        """The module's outcomes in ``locale``, or the original outcomes when not translated."""
        return next(
            (t.outcomes for t in self.translations if t.locale == locale and t.outcomes),
            self.outcomes,
        )

    def in_locale(self, locale: str) -> Module:
        """The module as a reader of ``locale`` sees it: each lesson and the quiz in that language
        where a translation exists. Same slugs, minutes and order: never for hours or grading."""
        return dataclasses.replace(
            self,
            lessons=tuple(lesson.in_locale(locale) for lesson in self.lessons),
            quiz=self.quiz.in_locale(locale) if self.quiz is not None else None,
        )


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
    #: the pre-test and post-test (``lms.services.knowledge``): ``quizzes/<course>/pre-post.yaml``,
    #: or questions drawn from the module quizzes; never counts toward the certificate
    knowledge_test: Quiz | None = None
    #: the course's title, audience and summary in other languages (none: the original everywhere)
    translations: tuple[CourseTranslation, ...] = ()

    def _translation(self, locale: str) -> CourseTranslation | None:
        return next((t for t in self.translations if t.locale == locale), None)

    def title_in(self, locale: str) -> str:
        """The course's title in ``locale``, or the original title when it has no translation."""
        translated = self._translation(locale)
        return translated.title if translated else self.title

    def audience_in(self, locale: str) -> str:
        """Who the course is for, in ``locale``, or the original when it is not translated."""
        translated = self._translation(locale)
        return translated.audience if translated and translated.audience else self.audience

    def summary_html_in(self, locale: str) -> str:
        """The rendered summary in ``locale``, or the original's when it is not translated. The
        Open Badges description (``summary_text``) stays the original's."""
        translated = self._translation(locale)
        return (
            translated.summary_html if translated and translated.summary_html else self.summary_html
        )

    @property
    def required_minutes(self) -> int:
        """The course's hours are the sum of its modules' minutes: no second number to keep in step."""
        return sum(m.minutes for m in self.modules)

    @property
    def lessons(self) -> tuple[Lesson, ...]:
        return tuple(lesson for m in self.modules for lesson in m.lessons)

    def module(self, slug: str) -> Module | None:
        return next((m for m in self.modules if m.slug == slug), None)

    def in_locale(self, locale: str) -> Course:
        """The course as a reader of ``locale`` sees it (see ``Module.in_locale``); for pages only:
        ``Catalog.course_in`` keeps one per language."""
        return dataclasses.replace(self, modules=tuple(m.in_locale(locale) for m in self.modules))
