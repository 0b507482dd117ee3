"""Translations of lessons and quizzes: each checked against its original's structure.

A lesson ``NN-slug.md`` may have a translation ``NN-slug.<locale>.md`` beside it, and a quiz
``<module>.yaml`` a translation ``<module>.<locale>.yaml`` (``locales.TRANSLATIONS``: ``ur``). The
original is the reference; a translation changes the words and nothing else:

- a lesson translation has the front matter ``title``, ``minutes`` (equal to the original's) and
  ``objectives`` (as many as the original's), the same ``##``/``###`` headings at the same levels in
  the same order, and the same ``!!!`` blocks in the same order;
- a quiz translation has ``title`` and ``questions``: the original's ids in the original's order,
  each of the same ``type``, with its words (``prompt``, ``case``, ``feedback``, choices' ``text`` and
  ``feedback``, pairs' ``left`` and ``right``) and never the answer key (``correct``, ``answer``),
  which always comes from the original. A short answer's ``answers`` in a translation are answers
  accepted as well as the original's.

Each mismatch is a ``file:line`` error at the translation's offending heading, block or key. Two
weaknesses are warnings: a block title whose numbers (a section, an age, a year) differ from the
original's, and Eastern Arabic-Indic digits where readers and forms in Pakistan use 0-9.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lms.content import locales
from lms.content.linemap import LineMap
from lms.content.markdown import BLOCK_RE
from lms.content.questions import ID_RE, Question, Quiz, ShortAnswer
from lms.content.text import N_, _

Report = Callable[[int, str], None]
Render = Callable[[str], str]

#: ``02-forms-of-harm.ur.md``: number, slug, language
LESSON_TRANSLATION_RE = re.compile(r"^(\d{2})-([a-z0-9][a-z0-9-]*)\.([^.]+)\.md$")
#: ``01-understanding-abuse.ur.yaml``: module slug, language
QUIZ_TRANSLATION_RE = re.compile(r"^([^.]+)\.([^.]+)\.yaml$")
HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(\S.*?)[ \t#]*$")
FENCE_RE = re.compile(r"^(```|~~~)")
NUMBER_RE = re.compile(r"\d+", re.ASCII)
EASTERN_DIGIT_RE = re.compile(r"[\u0660-\u0669\u06f0-\u06f9]")
#: quiz settings that belong to the original only
QUIZ_SETTINGS = ("pass_mark", "attempts", "shuffle")


def unknown_language(locale: str) -> str:
    known = ", ".join(locales.TRANSLATIONS)
    return _("unknown language `%(locale)s` in the file name (translations are in: %(known)s)",
             locale=locale, known=known)  # fmt: skip


# --- lessons --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Landmark:
    """A heading (``kind`` is ``##``, ``###``...) or a block (``case``...) of a lesson body."""

    kind: str
    title: str
    line: int

    def describe(self) -> str:
        if self.kind.startswith("#"):
            return f"`{self.kind} {self.title}`"
        return f"`!!! {self.kind}{' ' + self.title if self.title else ''}`"


def landmarks(body: str, first_line: int) -> tuple[list[Landmark], list[Landmark]]:
    """The headings and the blocks of a lesson body, in order, with their lines in the file.

    Only lines that start in the first column count (an indented line is inside a block), and
    nothing inside a fenced code block."""
    headings: list[Landmark] = []
    blocks: list[Landmark] = []
    fenced = False
    for number, line in enumerate(body.splitlines(), first_line):
        if FENCE_RE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        if heading := HEADING_RE.match(line):
            headings.append(Landmark(heading.group(1), heading.group(2), number))
        elif block := BLOCK_RE.match(line):
            blocks.append(Landmark(block.group(1), block.group(2).strip(), number))
    return headings, blocks


def _compare(
    what: str,
    translation: list[Landmark],
    original: list[Landmark],
    original_name: str,
    fallback_line: int,
    report: Report,
) -> None:
    """Report the first place where the translation's sequence leaves the original's.
    ``what`` is ``heading`` or ``block``: each has its own sentences (``_SEQUENCE``)."""
    differs, missing_one, extra_one = _SEQUENCE[what]
    for index, (mine, theirs) in enumerate(zip(translation, original, strict=False), 1):
        if mine.kind != theirs.kind:
            report(mine.line, _(differs, index=index, mine=mine.describe(), original=original_name,
                                line=theirs.line, theirs=theirs.describe()))  # fmt: skip
            return
    if len(translation) < len(original):
        missing = original[len(translation)]
        line = translation[-1].line if translation else fallback_line
        report(line, _(missing_one, index=len(translation) + 1, original=original_name,
                       theirs=missing.describe(), line=missing.line, count=len(translation),
                       total=len(original)))  # fmt: skip
    elif len(translation) > len(original):
        extra = translation[len(original)]
        report(extra.line, _(extra_one, index=len(original) + 1, mine=extra.describe(),
                             original=original_name, total=len(original)))  # fmt: skip


#: the sentences of ``_compare``, for headings and for blocks: (a different one, one missing,
#: one too many)
_SEQUENCE = {
    "heading": (
        N_("heading %(index)d is %(mine)s, but heading %(index)d of %(original)s (line %(line)d) "
           "is %(theirs)s: a translation has the same headings as its original, in the same "
           "order"),
        N_("heading %(index)d of %(original)s, %(theirs)s at line %(line)d, is missing: the "
           "translation has %(count)d headings, the original %(total)d"),
        N_("heading %(index)d, %(mine)s, is not in %(original)s, which has %(total)d headings: a "
           "translation has the same headings as its original, in the same order"),
    ),
    "block": (
        N_("block %(index)d is %(mine)s, but block %(index)d of %(original)s (line %(line)d) is "
           "%(theirs)s: a translation has the same blocks as its original, in the same order"),
        N_("block %(index)d of %(original)s, %(theirs)s at line %(line)d, is missing: the "
           "translation has %(count)d blocks, the original %(total)d"),
        N_("block %(index)d, %(mine)s, is not in %(original)s, which has %(total)d blocks: a "
           "translation has the same blocks as its original, in the same order"),
    ),
}  # fmt: skip


def _numbers(text: str) -> list[str]:
    return sorted(NUMBER_RE.findall(text))


def check_lesson(
    translation: dict[str, Any],
    original: dict[str, Any],
    original_name: str,
    report: Report,
    warn: Report,
) -> None:
    """Compare a lesson translation with its original.

    Each side is a mapping with ``front`` (the front matter's ``LineMap``), ``minutes``,
    ``objectives``, ``body`` and ``body_line``, as the loader read them."""
    front: LineMap = translation["front"]
    if (
        original["minutes"]
        and translation["minutes"]
        and (translation["minutes"] != original["minutes"])
    ):
        report(
            front.line_of("minutes"),
            _(
                "`minutes` is %(minutes)s, but %(original)s has %(theirs)s: a translation takes "
                "the original's minutes",
                minutes=translation["minutes"],
                original=original_name,
                theirs=original["minutes"],
            ),
        )
    if (
        original["objectives"]
        and translation["objectives"]
        and (len(translation["objectives"]) != len(original["objectives"]))
    ):
        report(
            front.line_of("objectives"),
            _(
                "%(count)d objectives, but %(original)s has %(total)d: translate each objective, "
                "one for one",
                count=len(translation["objectives"]),
                original=original_name,
                total=len(original["objectives"]),
            ),
        )
    headings, blocks = landmarks(translation["body"], translation["body_line"])
    their_headings, their_blocks = landmarks(original["body"], original["body_line"])
    _compare("heading", headings, their_headings, original_name, translation["body_line"], report)
    _compare("block", blocks, their_blocks, original_name, translation["body_line"], report)
    for mine, theirs in zip(blocks, their_blocks, strict=False):
        if mine.kind == theirs.kind and _numbers(mine.title) != _numbers(theirs.title):
            warn(
                mine.line,
                _(
                    "the title of %(block)s has the numbers %(mine)s, the original's %(theirs)s "
                    "(line %(line)d): section numbers, ages and years stay the same",
                    block=mine.describe(),
                    mine=", ".join(_numbers(mine.title)) or _("none"),
                    theirs=", ".join(_numbers(theirs.title)) or _("none"),
                    line=theirs.line,
                ),
            )


def check_digits(text: str, first_line: int, warn: Report) -> None:
    """Warn at the first line that writes a number in Eastern Arabic-Indic digits."""
    for number, line in enumerate(text.splitlines(), first_line):
        if EASTERN_DIGIT_RE.search(line):
            warn(number, _("write numbers in the digits 0-9, as Pakistani forms and phones do"))
            return


# --- quizzes --------------------------------------------------------------------------------------
def _text(data: LineMap, key: str, report: Report) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        report(data.line_of(key), _("missing `%(key)s`", key=key) if value is None
               else _("`%(key)s` must be text", key=key))  # fmt: skip
        return ""
    return value.strip()


def translate_quiz(
    original: Quiz,
    data: Any,
    locale: str,
    path: str,
    report: Report,
    render: Render,
) -> Quiz | None:
    """The translation of ``original`` read from its parsed file ``data``; every mismatch is
    reported. The result has the original's questions, keys and settings with the translated
    words (a question the translation lacks keeps the original's, but that is an error)."""
    if not isinstance(data, LineMap):
        report(1, _("a quiz translation is a mapping with `title` and a `questions:` list"))
        return None
    for key in data:
        if key in QUIZ_SETTINGS:
            report(
                data.line_of(key),
                _(
                    "`%(key)s` does not belong in a translation: it comes from the original",
                    key=key,
                ),
            )
        elif key not in ("title", "questions"):
            report(data.line_of(key), _("unknown key `%(key)s` in a quiz translation", key=key))
    title = _text(data, "title", report)
    items = data.get("questions")
    if not isinstance(items, list) or not items:
        report(data.line_of("questions"), _("`questions` must be a non-empty list"))
        return None

    by_id: dict[str, LineMap] = {}
    order: list[tuple[str, LineMap]] = []
    for item in items:
        if not isinstance(item, LineMap):
            report(data.line_of("questions"), _("a question must be a mapping with id and type"))
            continue
        qid = item.get("id")
        if not isinstance(qid, str) or not ID_RE.match(qid):
            report(item.line_of("id"), _("each question needs the `id` of its original"))
            continue
        if original.question(qid) is None:
            report(item.line_of("id"), _("question %(id)r is not in the original", id=qid))
            continue
        if qid in by_id:
            report(item.line_of("id"), _("question id %(id)r is used twice", id=qid))
            continue
        by_id[qid] = item
        order.append((qid, item))
    for question in original.questions:
        if question.id not in by_id:
            report(
                data.line_of("questions"),
                _("question %(id)r of the original is missing", id=question.id),
            )
    expected = [q.id for q in original.questions if q.id in by_id]
    for (qid, item), wanted in zip(order, expected, strict=True):
        if qid != wanted:
            report(
                item.line_of("id"),
                _(
                    "question %(id)r is out of order: %(wanted)r comes here in the original, and a "
                    "translation keeps the original's order",
                    id=qid,
                    wanted=wanted,
                ),
            )
            break

    translated: list[Question] = []
    for question in original.questions:
        item = by_id.get(question.id)
        if item is None:
            translated.append(question)
            continue

        def scoped(line: int, message: str, qid: str = question.id) -> None:
            report(line, _("question %(id)s: %(message)s", id=qid, message=message))

        kind = item.get("type")
        if kind != question.TYPE:
            scoped(
                item.line_of("type"),
                _(
                    "type %(kind)r differs from the original's %(type)r",
                    kind=kind,
                    type=question.TYPE,
                ),
            )
            translated.append(question)
            continue
        translated.append(question.translated(item, scoped, render))
    return dataclasses.replace(
        original, path=path, title=title, locale=locale, questions=tuple(translated)
    )


def accept_translated_answers(original: Quiz, translation: Quiz) -> Quiz:
    """The original, its short answers also accepting the translation's answers (one key)."""
    extra = {q.id: q.answers for q in translation.questions if isinstance(q, ShortAnswer)}
    questions = tuple(
        q.accepting(extra[q.id]) if isinstance(q, ShortAnswer) and q.id in extra else q
        for q in original.questions
    )
    return dataclasses.replace(original, questions=questions)
