"""Read ``courses/`` and ``quizzes/`` into a validated catalog, collecting every problem on the way.

``load_catalog(root)`` returns a ``Catalog`` or raises ``ContentInvalid`` listing every problem as
``file:line: message``; ``check_content(root)`` returns the list. ``inspect_content(root)`` returns
both the errors and the warnings (quiz weaknesses an author should fix, see ``quality``); warnings
never stop the site, and a loaded catalog carries them as ``catalog.warnings``. Nothing here knows
about Flask or the database: the application passes in how a lesson's URL is spelled.

Translations (``NN-slug.ur.md`` beside a lesson, ``<module>.ur.yaml`` beside a quiz) are read with
their originals and checked against them (``translations``); the catalog carries each on its
original (``Lesson.translations``, ``Quiz.translations``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lms import i18n
from lms.content import locales, quality, translations
from lms.content.catalog import Catalog
from lms.content.compiled import content_files
from lms.content.errors import ContentError, ContentInvalid, ContentWarning, Problems
from lms.content.markdown import (
    BLOCK_RE,
    BLOCKS,
    count_words,
    lesson_link_resolver,
    plain_text,
    render_fragment,
    render_lesson,
    split_front_matter,
)
from lms.content.questions import Quiz, parse_question
from lms.content.schema import Course, CourseTranslation, Lesson, Module, ModuleTranslation
from lms.content.text import _
from lms.content.yamlio import LineMap, YamlProblem, parse_yaml

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
CODE_RE = re.compile(r"^[A-Z]{2,8}$")
LESSON_FILE_RE = re.compile(r"^(\d{2})-([a-z0-9][a-z0-9-]*)\.md$")
COURSE_KEYS = {
    "slug",
    "code",
    "title",
    "summary",
    "audience",
    "certificate_title",
    "pass_mark",
    "valid_for_years",
    "modules",
    "translations",
}
#: what ``translations: {ur: {...}}`` may translate, on the course and on a module
COURSE_TRANSLATION_KEYS = {"title", "audience", "summary"}
MODULE_TRANSLATION_KEYS = {"title", "outcomes"}
MODULE_KEYS = {"slug", "title", "minutes", "outcomes", "translations"}
LESSON_KEYS = {"title", "minutes", "objectives"}
QUIZ_KEYS = {"title", "pass_mark", "attempts", "shuffle", "questions"}

LessonUrl = Callable[[str, str, str], str]
#: the file of a course's own pre-test and post-test, beside its module quizzes
KNOWLEDGE_TEST_FILE = "pre-post"
#: how many questions a pre-test and post-test has (drawn from the module quizzes: as many as
#: there are, up to ``KNOWLEDGE_TEST_DRAWN``)
KNOWLEDGE_TEST_SIZE = (10, 15)
KNOWLEDGE_TEST_DRAWN = 12


def default_lesson_url(course: str, module: str, lesson: str) -> str:
    return f"/courses/{course}/{module}/{lesson}"


@dataclass
class _LessonDraft:
    path: Path
    number: int
    slug: str
    title: str
    minutes: int
    objectives: tuple[str, ...]
    body: str
    body_line: int
    front: LineMap = field(default_factory=LineMap)
    locale: str = locales.ORIGINAL
    translations: list[_LessonDraft] = field(default_factory=list)

    def compared(self) -> dict:
        """What ``translations.check_lesson`` compares."""
        return {
            "front": self.front,
            "minutes": self.minutes,
            "objectives": self.objectives,
            "body": self.body,
            "body_line": self.body_line,
        }


@dataclass
class _ModuleDraft:
    slug: str
    number: int
    title: str
    minutes: int
    outcomes: tuple[str, ...]
    line: int
    lessons: list[_LessonDraft] = field(default_factory=list)
    translations: tuple[ModuleTranslation, ...] = ()


@dataclass
class _CourseDraft:
    """A course.yaml read and checked, with its modules and their lessons, before rendering."""

    slug: str  # the folder's name
    course_yaml: Path
    data: LineMap
    code: str
    pass_mark: int
    modules: list[_ModuleDraft]
    valid_for_years: int | None = None  #: certificates expire after this many years; None: never
    translations: tuple[CourseTranslation, ...] = ()  #: title, audience, summary in other languages


def _read_yaml(path: Path, problems: Problems, first_line: int = 1, text: str | None = None):
    try:
        source = path.read_text(encoding="utf-8") if text is None else text
    except UnicodeDecodeError:
        problems.add(path, 1, _("not UTF-8 text"))
        return None
    try:
        return parse_yaml(source, first_line)
    except YamlProblem as exc:
        problems.add(path, exc.line, exc.message)
        return None


def _string(data: LineMap, key: str, path: Path, problems: Problems, required=True) -> str:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(path, data.line_of(key), _("missing `%(key)s`", key=key))
        return ""
    if not isinstance(value, str):
        problems.add(path, data.line_of(key), _("`%(key)s` must be text", key=key))
        return ""
    return value.strip()


def _positive_int(data: LineMap, key: str, path: Path, problems: Problems) -> int:
    value = data.get(key)
    if value is None:
        problems.add(path, data.line, _("missing `%(key)s`", key=key))
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        problems.add(
            path, data.line_of(key), _("`%(key)s` must be a positive whole number", key=key)
        )
        return 0
    return value


def _string_list(data: LineMap, key: str, path: Path, problems: Problems, required=True):
    value = data.get(key)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not value:
        problems.add(path, data.line_of(key), _("`%(key)s` must be a non-empty list", key=key))
        return ()
    if any(not isinstance(v, str) or not v.strip() for v in value):
        problems.add(
            path, data.line_of(key), _("every item of `%(key)s` must be non-empty text", key=key)
        )
        return ()
    return tuple(v.strip() for v in value)


def _unknown_keys(data: LineMap, allowed: set[str], path: Path, problems: Problems, what: str):
    for key in data:
        if key not in allowed:
            problems.add(
                path, data.line_of(key), _("unknown key `%(key)s` in %(what)s", key=key, what=what)
            )


def _translated_texts(
    data: LineMap, path: Path, problems: Problems, prefix: str, allowed: set[str]
) -> list[tuple[str, LineMap]]:
    """The optional ``translations: {ur: {...}}`` of course.yaml or of one of its modules (``prefix``
    names the module in messages), as (language, texts) pairs checked for languages and keys."""
    value = data.get("translations")
    if value is None:
        return []
    others = [code for code in i18n.LOCALES if code != i18n.DEFAULT_LOCALE]
    if not isinstance(value, LineMap):
        problems.add(path, data.line_of("translations"), prefix + _("`translations` must be a "
                     "mapping of languages (%(languages)s) to texts",
                     languages=", ".join(others)))  # fmt: skip
        return []
    found = []
    for locale, texts in value.items():
        if locale not in others:
            problems.add(path, value.line_of(locale), prefix + _("`translations` has no language "
                         "%(locale)r (one of: %(languages)s)", locale=locale,
                         languages=", ".join(others)))  # fmt: skip
            continue
        if not isinstance(texts, LineMap):
            problems.add(path, value.line_of(locale),
                         prefix + _("`translations.%(locale)s` must be a mapping",
                                    locale=locale))  # fmt: skip
            continue
        _unknown_keys(texts, allowed, path, problems, f"translations.{locale}")
        found.append((locale, texts))
    return found


def _translations(data: LineMap, path: Path, problems: Problems) -> tuple[CourseTranslation, ...]:
    """The course's title, audience and summary in the interface's other languages, for the pages
    and the certificate's Urdu side. The summary is rendered here, once, as the original's is."""
    found = []
    for locale, texts in _translated_texts(data, path, problems, "", COURSE_TRANSLATION_KEYS):
        title = _string(texts, "title", path, problems)
        audience = _string(texts, "audience", path, problems, required=False)
        summary = _string(texts, "summary", path, problems, required=False)
        if title:
            found.append(
                CourseTranslation(
                    locale,
                    title,
                    audience=audience,
                    summary=summary,
                    summary_html=render_fragment(summary) if summary else "",
                )
            )
    return tuple(found)


def _module_translations(
    item: LineMap, path: Path, problems: Problems, prefix: str, outcomes: tuple[str, ...]
) -> tuple[ModuleTranslation, ...]:
    """A module's title and outcomes in other languages: as many outcomes as the original has, in
    its order (a learner reading either language is promised the same things)."""
    found = []
    for locale, texts in _translated_texts(item, path, problems, prefix, MODULE_TRANSLATION_KEYS):
        title = _string(texts, "title", path, problems)
        translated = _string_list(texts, "outcomes", path, problems, required=False)
        if translated and len(translated) != len(outcomes):
            problems.add(path, texts.line_of("outcomes"), prefix + _("`translations.%(locale)s."
                         "outcomes` has %(count)d items; the module's `outcomes` has %(original)d "
                         "(one translation for each, in the same order)", locale=locale,
                         count=len(translated), original=len(outcomes)))  # fmt: skip
            translated = ()
        if title:
            found.append(ModuleTranslation(locale, title, outcomes=translated))
    return tuple(found)


def _check_module_translations(
    course_yaml: Path,
    course: tuple[CourseTranslation, ...],
    modules: list[_ModuleDraft],
    problems: Problems,
) -> None:
    """A course whose title is translated into a language has every module's title in it too
    (else its Urdu pages and certificate would mix in English module titles): a warning."""
    course_locales = {t.locale for t in course}
    for module in modules:
        have = {t.locale for t in module.translations}
        for locale in sorted(course_locales - have):
            problems.warn(course_yaml, module.line, _("module %(module)s has no title in "
                          "%(locale)r (`translations: {%(locale)s: {title: ...}}`), though the "
                          "course's title has one", module=module.slug, locale=locale))  # fmt: skip


def _read_lesson(
    path: Path, problems: Problems, locale: str = locales.ORIGINAL
) -> _LessonDraft | None:
    """A lesson file, or (``locale`` given) a translation of one, read and checked on its own."""
    name_re = LESSON_FILE_RE if locale == locales.ORIGINAL else translations.LESSON_TRANSLATION_RE
    match = name_re.match(path.name)
    if not match:
        problems.add(
            path, 1, _("a lesson file is named NN-lowercase-slug.md (e.g. 01-forms-of-abuse.md)")
        )
        return None
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.add(path, 1, _("not UTF-8 text"))
        return None
    front = split_front_matter(source)
    if front is None:
        problems.add(path, 1, _("a lesson starts with front matter between --- lines"))
        return None
    data = _read_yaml(path, problems, first_line=2, text=front.text)
    if data is None:
        return None
    if not isinstance(data, LineMap):
        problems.add(path, 2, _("front matter must be a mapping of title, minutes, objectives"))
        return None
    _unknown_keys(data, LESSON_KEYS, path, problems, _("lesson front matter"))
    for number, line in enumerate(front.body.splitlines(), front.body_line):
        block = BLOCK_RE.match(line)
        if not block:
            continue
        kind, title = block.group(1), block.group(2).strip()
        if kind not in BLOCKS:
            problems.add(path, number, _("unknown block `!!! %(kind)s` (known: %(known)s)",
                                           kind=kind, known=", ".join(BLOCKS)))  # fmt: skip
        elif kind != "keypoints" and not re.fullmatch(r'"[^"]+"', title):
            problems.add(
                path, number, _("`!!! %(kind)s` needs a title in double quotes", kind=kind)
            )
    return _LessonDraft(
        path=path,
        number=int(match.group(1)),
        slug=match.group(2),
        title=_string(data, "title", path, problems),
        minutes=_positive_int(data, "minutes", path, problems),
        objectives=_string_list(data, "objectives", path, problems),
        body=front.body,
        body_line=front.body_line,
        front=data,
        locale=locale,
    )


def _read_modules(course_yaml: Path, data: LineMap, problems: Problems) -> list[_ModuleDraft]:
    items = data.get("modules")
    if not isinstance(items, list) or not items:
        problems.add(course_yaml, data.line_of("modules"), _("`modules` must be a non-empty list"))
        return []
    modules: list[_ModuleDraft] = []
    seen: set[str] = set()
    for number, item in enumerate(items, 1):
        if not isinstance(item, LineMap):
            problems.add(course_yaml, data.line_of("modules"),
                         _("module %(number)d must be a mapping", number=number))  # fmt: skip
            continue
        _unknown_keys(item, MODULE_KEYS, course_yaml, problems, _("a module"))
        slug = _string(item, "slug", course_yaml, problems)
        if slug and not SLUG_RE.match(slug):
            problems.add(course_yaml, item.line_of("slug"),
                         _("module slug %(slug)r is not a-z0-9-", slug=slug))  # fmt: skip
            slug = ""
        if slug in seen:
            problems.add(course_yaml, item.line_of("slug"),
                         _("module %(slug)r is listed twice", slug=slug))  # fmt: skip
            continue
        seen.add(slug)
        outcomes = _string_list(item, "outcomes", course_yaml, problems, required=False)
        prefix = _("module %(module)s: ", module=slug or number)
        modules.append(
            _ModuleDraft(
                slug=slug,
                number=number,
                title=_string(item, "title", course_yaml, problems),
                minutes=_positive_int(item, "minutes", course_yaml, problems),
                outcomes=outcomes,
                line=item.line,
                translations=_module_translations(item, course_yaml, problems, prefix, outcomes),
            )
        )
    return modules


def _read_lessons(course_dir: Path, course_yaml: Path, module: _ModuleDraft, problems: Problems):
    folder = course_dir / module.slug
    if not folder.is_dir():
        problems.add(course_yaml, module.line,
                     _("module folder %(module)s/ does not exist", module=module.slug))  # fmt: skip
        return
    translated: list[tuple[Path, str]] = []
    for path in sorted(folder.iterdir()):
        if path.is_dir() or path.suffix != ".md":
            problems.add(
                path,
                1,
                _(
                    "unexpected file in a module folder (only NN-slug.md lessons and their "
                    "translations NN-slug.ur.md)"
                ),
            )
            continue
        if match := translations.LESSON_TRANSLATION_RE.match(path.name):
            translated.append((path, match.group(3)))
            continue
        lesson = _read_lesson(path, problems)
        if lesson:
            module.lessons.append(lesson)
    for path, locale in translated:
        _read_lesson_translation(path, locale, folder, module, problems)
    if not module.lessons:
        problems.add(
            course_yaml, module.line, _("module %(module)s has no lessons", module=module.slug)
        )
        return
    shared = {  # the placeholder filled below: the module
        "slug": _("two lessons in %(module)s share the slug"),
        "number": _("two lessons in %(module)s share the number"),
    }
    for attr in ("slug", "number"):
        values = [getattr(lesson, attr) for lesson in module.lessons]
        for lesson in module.lessons:
            if values.count(getattr(lesson, attr)) > 1:
                problems.add(lesson.path, 1, shared[attr] % {"module": module.slug})
    total = sum(lesson.minutes for lesson in module.lessons)
    if (
        module.minutes
        and all(lesson.minutes for lesson in module.lessons)
        and total != module.minutes
    ):
        problems.add(
            course_yaml,
            module.line,
            _(
                "lesson minutes of %(module)s add up to %(total)d, but the module has "
                "%(minutes)d minutes",
                module=module.slug,
                total=total,
                minutes=module.minutes,
            ),
        )


def _read_lesson_translation(
    path: Path, locale: str, folder: Path, module: _ModuleDraft, problems: Problems
) -> None:
    """A translation beside its original: read, compared with the original, kept on its draft."""
    if locale not in locales.TRANSLATIONS:
        problems.add(path, 1, translations.unknown_language(locale))
        return
    number, slug = path.name.split(".", 1)[0].split("-", 1)
    original_name = f"{number}-{slug}.md"
    original = next((d for d in module.lessons if d.number == int(number) and d.slug == slug), None)
    if original is None and not (folder / original_name).is_file():
        problems.add(
            path,
            1,
            _(
                "a translation of %(original)s, which does not exist: a translation sits beside "
                "its original, with the same number and name",
                original=original_name,
            ),
        )
        return
    draft = _read_lesson(path, problems, locale)
    if draft is None or original is None:  # an unreadable original reports its own problems
        return
    translations.check_lesson(
        draft.compared(),
        original.compared(),
        original_name,
        lambda line, message: problems.add(path, line, message),
        lambda line, message: problems.warn(path, line, message),
    )
    translations.check_digits(draft.body, draft.body_line, lambda n, m: problems.warn(path, n, m))
    original.translations.append(draft)


def _read_quiz(
    root: Path, course: _CourseDraft, module: _ModuleDraft, problems: Problems
) -> Quiz | None:
    path = root / "quizzes" / course.slug / f"{module.slug}.yaml"
    if not path.is_file():
        problems.add(
            course.course_yaml,
            module.line,
            _(
                "quiz file quizzes/%(course)s/%(module)s.yaml is missing",
                course=course.slug,
                module=module.slug,
            ),
        )
        return None
    errors_before = len(problems.errors)
    quiz = _read_quiz_file(path, course.slug, module.slug, course.pass_mark, problems)
    if quiz is None:
        return None
    return _with_translations(path, quiz, errors_before, problems)


def _with_translations(path: Path, quiz: Quiz, errors_before: int, problems: Problems) -> Quiz:
    """The quiz read from ``path`` with its translations beside it (``<stem>.<locale>.yaml``),
    each checked against it; short answers also accept the translations' answers. A module quiz
    and a course's pre-test and post-test (``pre-post.yaml``) alike."""
    found = []
    for locale in locales.TRANSLATIONS:
        translation_path = path.with_name(f"{path.stem}.{locale}.yaml")
        if not translation_path.is_file():
            continue
        if len(problems.errors) > errors_before:
            # compared with a broken original, a translation would only repeat its problems
            continue
        translation = _read_quiz_translation(translation_path, quiz, locale, problems)
        if translation is not None:
            found.append(translation)
            quiz = translations.accept_translated_answers(quiz, translation)
    return dataclasses.replace(quiz, translations=tuple(found)) if found else quiz


def _read_quiz_translation(
    path: Path, original: Quiz, locale: str, problems: Problems
) -> Quiz | None:
    data = _read_yaml(path, problems)
    if data is None:
        return None
    return translations.translate_quiz(
        original,
        data,
        locale,
        problems.rel(path),
        lambda line, message: problems.add(path, line, message),
        render_fragment,
    )


def read_quiz_file(path: Path, *, pass_mark: int = 70) -> tuple[Quiz | None, list[ContentError]]:
    """Validate one quiz file on its own (for the GIFT commands): the quiz, or every problem."""
    problems = Problems(path.parent)
    quiz = _read_quiz_file(path, "", path.stem, pass_mark, problems)
    return (None if problems else quiz), problems.errors


def _read_quiz_file(
    path: Path, course_slug: str, module_slug: str, pass_mark: int, problems: Problems
) -> Quiz | None:
    data = _read_yaml(path, problems)
    if data is None:
        return None
    if not isinstance(data, LineMap):
        problems.add(path, 1, _("a quiz file is a mapping with a `questions:` list"))
        return None
    _unknown_keys(data, QUIZ_KEYS, path, problems, _("a quiz file"))
    own_mark = data.get("pass_mark", pass_mark)
    if not isinstance(own_mark, int) or isinstance(own_mark, bool) or not 1 <= own_mark <= 100:
        problems.add(path, data.line_of("pass_mark"), _("`pass_mark` must be a whole number 1-100"))
        own_mark = pass_mark
    attempts = data.get("attempts")
    if attempts is not None and (
        not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1
    ):
        problems.add(
            path, data.line_of("attempts"), _("`attempts` must be a positive whole number")
        )
        attempts = None
    shuffle = data.get("shuffle", True)
    if not isinstance(shuffle, bool):
        problems.add(path, data.line_of("shuffle"), _("`shuffle` must be true or false"))
        shuffle = True
    items = data.get("questions")
    if not isinstance(items, list) or not items:
        problems.add(path, data.line_of("questions"), _("`questions` must be a non-empty list"))
        items = []

    def report(line: int, message: str) -> None:
        problems.add(path, line, message)

    questions = []
    for item in items:
        question = parse_question(item, report, render_fragment, data.line_of("questions"))
        if question is not None:
            questions.append(question)
    ids = [q.id for q in questions]
    for q in questions:
        if ids.count(q.id) > 1:
            problems.add(path, q.line, _("question id %(id)r is used twice", id=q.id))
    quiz = Quiz(
        course_slug=course_slug,
        module_slug=module_slug,
        path=problems.rel(path),
        pass_mark=own_mark,
        attempts=attempts,
        shuffle=shuffle,
        questions=tuple(questions),
        title=_string(data, "title", path, problems, required=False),
    )
    quality.check_quiz(quiz, lambda line, message: problems.warn(path, line, message))
    return quiz


def content_version(root: Path) -> str:
    """A short hash of every content file: certificates and attempts record what they were made from."""
    digest = hashlib.sha256()
    for path in content_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class ContentReport:
    """What loading found: errors (the catalog is None if there is any) and warnings."""

    errors: tuple[ContentError, ...]
    warnings: tuple[ContentWarning, ...]
    catalog: Catalog | None


def _read_course(course_dir: Path, problems: Problems) -> _CourseDraft | None:
    """A course folder's course.yaml, modules and lessons; None if course.yaml cannot be read."""
    course_yaml = course_dir / "course.yaml"
    if not course_yaml.is_file():
        problems.add(course_dir, 1, _("a course folder needs a course.yaml"))
        return None
    data = _read_yaml(course_yaml, problems)
    if data is not None and not isinstance(data, LineMap):
        problems.add(course_yaml, 1, _("course.yaml must be a mapping"))
        data = None
    if data is None:
        return None
    _unknown_keys(data, COURSE_KEYS, course_yaml, problems, "course.yaml")
    slug = _string(data, "slug", course_yaml, problems)
    if slug and slug != course_dir.name:
        problems.add(course_yaml, data.line_of("slug"),
                     _("slug %(slug)r must match its folder", slug=slug))  # fmt: skip
    code = _string(data, "code", course_yaml, problems)
    if code and not CODE_RE.match(code):
        problems.add(course_yaml, data.line_of("code"), _("`code` is 2-8 capital letters (CPSA)"))
    pass_mark = data.get("pass_mark")
    if not isinstance(pass_mark, int) or isinstance(pass_mark, bool) or not 1 <= pass_mark <= 100:
        problems.add(course_yaml, data.line_of("pass_mark"),
                     _("`pass_mark` is a whole number 1-100"))  # fmt: skip
        pass_mark = 100
    valid_for_years = data.get("valid_for_years")
    if valid_for_years is not None and (
        not isinstance(valid_for_years, int)
        or isinstance(valid_for_years, bool)
        or valid_for_years <= 0
    ):
        problems.add(
            course_yaml,
            data.line_of("valid_for_years"),
            _(
                "`valid_for_years` must be a positive whole number of years (leave it out for "
                "certificates that never expire)"
            ),
        )
        valid_for_years = None
    modules = _read_modules(course_yaml, data, problems)
    translated = _translations(data, course_yaml, problems)
    _check_module_translations(course_yaml, translated, modules, problems)
    listed = {m.slug for m in modules}
    for extra in sorted(d for d in course_dir.iterdir() if d.is_dir() and d.name not in listed):
        problems.add(extra, 1, _("module folder %(module)s/ is not listed in course.yaml",
                                  module=extra.name))  # fmt: skip
    for module in modules:
        if module.slug:
            _read_lessons(course_dir, course_yaml, module, problems)
    return _CourseDraft(
        course_dir.name, course_yaml, data, code, pass_mark, modules, valid_for_years, translated
    )


def _lesson_targets(drafts: list[_CourseDraft], lesson_url: LessonUrl) -> dict[Path, str]:
    """Every lesson file's URL, known before any lesson is rendered so links are checked in one pass.
    A translation's file has its original's URL (the page shows the reader's language)."""
    return {
        path.resolve(): lesson_url(course.slug, module.slug, lesson.slug)
        for course in drafts
        for module in course.modules
        for lesson in module.lessons
        for path in (lesson.path, *(t.path for t in lesson.translations))
    }


def _link_line(draft: _LessonDraft, href: str) -> int:
    """The line of a lesson's body that links to ``href`` (the body's first line if none does)."""
    return next(
        (
            n
            for n, text in enumerate(draft.body.splitlines(), draft.body_line)
            if f"]({href}" in text or f"<{href}>" in text
        ),
        draft.body_line,
    )


def _build_lesson(
    course_slug: str,
    module: _ModuleDraft,
    draft: _LessonDraft,
    targets: dict[Path, str],
    problems: Problems,
    anchors: tuple[str, ...] = (),
) -> Lesson:
    """The lesson rendered, with its translations (which take its headings' anchors)."""
    resolve = lesson_link_resolver(draft.path, targets)
    rendered = render_lesson(draft.body, resolve, draft.locale, anchors)
    for href in rendered.broken_links:
        problems.add(draft.path, _link_line(draft, href),
                     _("broken link %(href)r: no such lesson", href=href))  # fmt: skip
    translated = tuple(
        _build_lesson(course_slug, module, t, targets, problems, rendered.anchors)
        for t in sorted(draft.translations, key=lambda t: t.locale)
    )
    return Lesson(
        course_slug=course_slug,
        module_slug=module.slug,
        slug=draft.slug,
        number=draft.number,
        title=draft.title,
        minutes=draft.minutes,
        objectives=draft.objectives,
        html=rendered.html,
        toc=rendered.toc,
        words=count_words(draft.body),
        path=problems.rel(draft.path),
        locale=draft.locale,
        translations=translated,
    )


def _build_module(
    root: Path,
    course: _CourseDraft,
    module: _ModuleDraft,
    targets: dict[Path, str],
    problems: Problems,
) -> Module:
    lessons = tuple(
        _build_lesson(course.slug, module, draft, targets, problems)
        for draft in sorted(module.lessons, key=lambda d: d.number)
    )
    return Module(
        course_slug=course.slug,
        slug=module.slug,
        number=module.number,
        title=module.title,
        minutes=module.minutes,
        outcomes=module.outcomes,
        lessons=lessons,
        quiz=_read_quiz(root, course, module, problems),
        translations=module.translations,
    )


def _drawn_test(course_slug: str, modules: tuple[Module, ...]) -> Quiz | None:
    """Questions taken in turn from each module's quiz, in file order, up to
    ``KNOWLEDGE_TEST_DRAWN``: the same questions for every learner, so a pre-test and a post-test
    compare. Ids get their module's number (``m2.who-reports``): ids are unique only per quiz.
    Where module quizzes are translated, the drawn test is too (the same questions, for showing)."""
    quizzes = [(m.number, m.quiz) for m in modules if m.quiz is not None]
    if not quizzes:
        return None

    def draw(locale: str) -> tuple:
        pools = [
            [
                dataclasses.replace(q, id=f"m{number}.{q.id}")
                for q in quiz.in_locale(locale).questions
            ]
            for number, quiz in quizzes
        ]
        drawn: list = []
        while any(pools) and len(drawn) < KNOWLEDGE_TEST_DRAWN:
            for pool in pools:
                if pool and len(drawn) < KNOWLEDGE_TEST_DRAWN:
                    drawn.append(pool.pop(0))
        return tuple(drawn)

    def test(locale: str, translated: tuple = ()) -> Quiz:
        return Quiz(
            course_slug=course_slug, module_slug=KNOWLEDGE_TEST_FILE, path=quizzes[0][1].path,
            pass_mark=0, attempts=1, shuffle=True, questions=draw(locale), locale=locale,
            translations=translated,
        )  # fmt: skip

    offered = sorted({t.locale for _, quiz in quizzes for t in quiz.translations})
    return test(locales.ORIGINAL, tuple(test(locale) for locale in offered))


def _knowledge_test(
    root: Path, course: _CourseDraft, modules: tuple[Module, ...], problems: Problems
) -> Quiz | None:
    path = root / "quizzes" / course.slug / f"{KNOWLEDGE_TEST_FILE}.yaml"
    if not path.is_file():
        for locale in locales.TRANSLATIONS:
            orphan = path.with_name(f"{KNOWLEDGE_TEST_FILE}.{locale}.yaml")
            if not orphan.is_file():
                continue
            problems.add(
                orphan, 1, f"a translation of quizzes/{course.slug}/{KNOWLEDGE_TEST_FILE}.yaml, "
                "which does not exist: a translation sits beside its original",
            )  # fmt: skip
        return _drawn_test(course.slug, modules)
    errors_before = len(problems.errors)
    quiz = _read_quiz_file(path, course.slug, KNOWLEDGE_TEST_FILE, course.pass_mark, problems)
    if quiz is None:
        return None
    low, high = KNOWLEDGE_TEST_SIZE
    if not low <= len(quiz.questions) <= high:
        problems.add(
            path, 1, _("a pre-test and post-test has %(low)d to %(high)d questions, not "
                       "%(count)d", low=low, high=high, count=len(quiz.questions)),
        )  # fmt: skip
    return _with_translations(path, quiz, errors_before, problems)


def _build_course(
    root: Path, course: _CourseDraft, targets: dict[Path, str], problems: Problems
) -> Course:
    modules = tuple(_build_module(root, course, m, targets, problems) for m in course.modules)
    quality.check_course(
        [m.quiz for m in modules if m.quiz is not None],
        lambda line, message: problems.warn(course.course_yaml, line, message),
    )
    data, course_yaml = course.data, course.course_yaml
    summary = _string(data, "summary", course_yaml, problems)
    return Course(
        slug=course.slug,
        code=course.code,
        title=_string(data, "title", course_yaml, problems),
        summary=summary,
        summary_html=render_fragment(summary) if summary else "",
        summary_text=plain_text(render_fragment(summary)) if summary else "",
        audience=_string(data, "audience", course_yaml, problems, required=False),
        certificate_title=_string(data, "certificate_title", course_yaml, problems),
        pass_mark=course.pass_mark,
        valid_for_years=course.valid_for_years,
        modules=modules,
        knowledge_test=_knowledge_test(root, course, modules, problems),
        translations=course.translations,
    )


def _check_orphan_quizzes(
    root: Path, courses: list[Course], unreadable: set[str], problems: Problems
) -> None:
    """A quiz file must belong to a listed module (unless its course.yaml could not be read)."""
    quizzes_dir = root / "quizzes"
    if not quizzes_dir.is_dir():
        return
    known = {(c.slug, m.slug) for c in courses for m in c.modules}
    for path in sorted(quizzes_dir.rglob("*")):
        if path.parent.name in unreadable or not path.is_file():
            continue
        translated = translations.QUIZ_TRANSLATION_RE.match(path.name)
        if translated and translated.group(2) not in locales.TRANSLATIONS:
            problems.add(path, 1, translations.unknown_language(translated.group(2)))
        elif path.name.split(".", 1)[0] == KNOWLEDGE_TEST_FILE and path.parent.name in {
            c.slug for c in courses
        }:
            continue  # a course's own pre-test and post-test (``_knowledge_test``)
        elif translated and (path.parent.name, translated.group(1)) not in known:
            problems.add(
                path,
                1,
                _(
                    "a translation of quizzes/%(course)s/%(module)s.yaml, a quiz for a module "
                    "that no course.yaml lists",
                    course=path.parent.name,
                    module=translated.group(1),
                ),
            )
        elif not translated and (path.parent.name, path.stem) not in known:
            problems.add(path, 1, _("quiz file for a module that no course.yaml lists"))


def _check_codes(courses_dir: Path, courses: list[Course], problems: Problems) -> None:
    codes = [c.code for c in courses if c.code]
    for course in courses:
        if codes.count(course.code) > 1:
            problems.add(
                courses_dir / course.slug / "course.yaml",
                1,
                _("code %(code)s is used twice", code=course.code),
            )


def _load(root: Path, lesson_url: LessonUrl) -> ContentReport:
    root = root.resolve()
    problems = Problems(root)
    courses_dir = root / "courses"
    if not courses_dir.is_dir():
        problems.add(courses_dir, 1, _("the content folder has no courses/ folder"))
        return ContentReport(tuple(problems.errors), (), None)

    drafts: list[_CourseDraft] = []
    unreadable: set[str] = set()  # courses whose course.yaml failed: their quizzes are not orphans
    for course_dir in sorted(d for d in courses_dir.iterdir() if d.is_dir()):
        draft = _read_course(course_dir, problems)
        if draft is None:
            unreadable.add(course_dir.name)
        else:
            drafts.append(draft)

    targets = _lesson_targets(drafts, lesson_url)
    courses = [_build_course(root, draft, targets, problems) for draft in drafts]
    _check_orphan_quizzes(root, courses, unreadable, problems)
    _check_codes(courses_dir, courses, problems)

    warnings = tuple(sorted(problems.warnings))
    if problems:
        return ContentReport(tuple(sorted(problems.errors)), warnings, None)
    return ContentReport((), warnings, Catalog(courses, content_version(root), warnings))


def inspect_content(root: Path, lesson_url: LessonUrl = default_lesson_url) -> ContentReport:
    """Every error and every warning in the content under ``root``, each sorted by file and line."""
    return _load(root, lesson_url)


def check_content(root: Path, lesson_url: LessonUrl = default_lesson_url) -> list[ContentError]:
    """Every problem in the content under ``root``, sorted by file and line."""
    return list(_load(root, lesson_url).errors)


def load_catalog(root: Path, lesson_url: LessonUrl = default_lesson_url) -> Catalog:
    """The catalog, carrying its warnings; ``ContentInvalid`` if there is any error."""
    report = _load(root, lesson_url)
    if report.errors or report.catalog is None:
        raise ContentInvalid(list(report.errors))
    return report.catalog
