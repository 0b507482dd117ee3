"""Question types: how each is read from a quiz file, how a learner's answer is read, how it is graded.

One class per type, registered in ``QUESTION_TYPES`` (the CTFd registry pattern). Everything here is
pure: no database, no request. A question parses and validates its own part of the quiz file
(``from_yaml``), turns submitted form values into a response (``read_response``, which refuses ids
that are not in the question), and grades a response (``grade``, a score between 0 and 1).

A question also reads its item of a quiz translation (``translated``): the same question with the
words of another language. The answer key (which choice is right, true or false, which right item
matches which left) is never in a translation: it is copied from the original, so a translated
question keeps the original's choice keys, order and key, and grading never depends on the language.
"""

from __future__ import annotations

import dataclasses
import re
import string
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from lms.content import locales
from lms.content.linemap import LineMap
from lms.content.text import _

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class AnswerRejected(ValueError):
    """A submitted answer does not fit its question (an id the question does not have, say)."""


@dataclass(frozen=True)
class Choice:
    key: str  #: stable within the question: "0", "1", ... in file order; never sent to a browser
    text: str
    correct: bool
    feedback: str
    line: int = field(default=1, compare=False)  #: where the choice stands in its quiz file


@dataclass(frozen=True)
class Feedback:
    """One piece of feedback shown after submitting.

    ``about`` names the option it is on (a choice's text, or True/False), so a list of several can
    be told apart; it is empty for feedback on the whole question. ``chosen`` says whether the
    learner picked that option and ``correct`` whether it is a right one.
    """

    text: str
    about: str = ""
    chosen: bool = False
    correct: bool = False


@dataclass(frozen=True)
class Mark:
    """The grade of one question: ``score`` from 0 to 1."""

    score: float

    @property
    def correct(self) -> bool:
        return self.score >= 1.0


Report = Callable[[int, str], None]
Render = Callable[[str], str]


@dataclass(frozen=True)
class Question:
    TYPE: ClassVar[str] = ""
    LABEL: ClassVar[str] = ""

    id: str
    prompt: str  #: Markdown source
    prompt_html: str
    case: str = ""  #: Markdown source of the scenario, if any
    case_html: str = ""
    line: int = 1

    # --- reading the quiz file ------------------------------------------------------------
    @classmethod
    def from_yaml(cls, raw: LineMap, common: dict, report: Report, render: Render) -> Question:
        raise NotImplementedError

    # --- reading and grading an answer ----------------------------------------------------
    def read_response(self, values: Sequence[str]) -> Any:
        """Form values for this question -> a response; ``AnswerRejected`` if they do not fit."""
        raise NotImplementedError

    def grade(self, response: Any) -> Mark:
        raise NotImplementedError

    def full_marks(self) -> Any:
        """The response that scores 100% (used by tests and by the answer shown after submitting)."""
        raise NotImplementedError

    def answer_text(self, response: Any) -> str:
        """The response in words, for the review page ("No answer" when empty)."""
        raise NotImplementedError

    def feedback_for(self, response: Any) -> list[Feedback]:
        """Feedback to show after submitting: on what was chosen, and on the right answer."""
        raise NotImplementedError

    def translated(self, raw: LineMap, report: Report, render: Render) -> Question:
        """This question in another language, from its item in a quiz translation: the words are
        the translation's, everything else (id, keys, order, answer key) the original's."""
        raise NotImplementedError

    def to_json(self, response: Any) -> Any:
        return response

    def from_json(self, data: Any) -> Any:
        return data

    @property
    def is_scenario(self) -> bool:
        return bool(self.case)


def _text(raw: LineMap, key: str, report: Report, *, required: bool = True) -> str:
    value = raw.get(key)
    if value is None:
        if required:
            report(raw.line, _("missing `%(key)s`", key=key))
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        report(raw.line_of(key), _("`%(key)s` must be text", key=key))
        return ""
    text = str(value).strip()
    if required and not text:
        report(raw.line_of(key), _("`%(key)s` is empty", key=key))
    return text


def _check_keys(raw: LineMap, allowed: set[str], report: Report, what: str) -> None:
    for key in raw:
        if key not in allowed:
            report(raw.line_of(key), _("unknown key `%(key)s` in %(what)s", key=key, what=what))


# --- translations --------------------------------------------------------------------------------
#: Keys that carry the answer key: they belong to the original only.
_KEY_MATERIAL = ("correct", "answer")


def _check_translated_keys(raw: LineMap, allowed: set[str], report: Report, what: str) -> None:
    for key in raw:
        if key in _KEY_MATERIAL:
            report(
                raw.line_of(key),
                _(
                    "`%(key)s` does not belong in a translation: the answer key always comes from "
                    "the original",
                    key=key,
                ),
            )
        elif key not in allowed:
            report(raw.line_of(key), _("unknown key `%(key)s` in %(what)s", key=key, what=what))


def _mirrored(raw: LineMap, key: str, original: str, report: Report) -> str:
    """A text the translation has exactly when the original has it (a case, a feedback)."""
    present = key in raw
    if original and not present:
        report(raw.line, _("missing `%(key)s`: the original has one", key=key))
        return ""
    if not original and present:
        report(
            raw.line_of(key),
            _("`%(key)s` is not in the original: a translation has the same parts", key=key),
        )
        return ""
    return _text(raw, key, report, required=bool(original))


def _translated_common(
    original: Question, raw: LineMap, extra: set[str], report: Report, render: Render
) -> dict[str, Any]:
    """Checks the keys; the translated prompt and case, ready for ``dataclasses.replace``."""
    allowed = {"id", "type", "prompt", "case", *extra}
    _check_translated_keys(
        raw, allowed, report, _("a translated %(type)s question", type=original.TYPE)
    )
    prompt = _text(raw, "prompt", report)
    case = _mirrored(raw, "case", original.case, report)
    return {
        "prompt": prompt,
        "prompt_html": render(prompt) if prompt else "",
        "case": case,
        "case_html": render(case) if case else "",
        "line": raw.line,
    }


def _same_count(raw: LineMap, key: str, items: Any, count: int, report: Report) -> bool:
    if not isinstance(items, list) or not items:
        report(raw.line_of(key), _("`%(key)s` must be a non-empty list", key=key))
        return False
    if len(items) != count:
        report(
            raw.line_of(key),
            _(
                "`%(key)s` has %(count)d items but the original has %(total)d: a translation has "
                "the same ones in the same order",
                key=key,
                count=len(items),
                total=count,
            ),
        )
        return False
    return True


def _translated_choices(
    original: tuple[Choice, ...], raw: LineMap, report: Report
) -> tuple[Choice, ...]:
    items = raw.get("choices")
    if not _same_count(raw, "choices", items, len(original), report):
        return original
    result = []
    seen: set[str] = set()
    for index, (choice, item) in enumerate(zip(original, items, strict=True)):
        if not isinstance(item, LineMap):
            report(
                raw.line_of("choices"),
                _("choice %(number)d must be a mapping with text", number=index + 1),
            )
            result.append(choice)
            continue
        _check_translated_keys(item, {"text", "feedback"}, report, _("a translated choice"))
        text = _text(item, "text", report)
        feedback = _mirrored(item, "feedback", choice.feedback, report)
        if text and text.casefold() in seen:
            report(item.line, _("choice %(text)r appears twice", text=text))
        seen.add(text.casefold())
        result.append(dataclasses.replace(choice, text=text, feedback=feedback, line=item.line))
    return tuple(result)


def _choices(raw: LineMap, report: Report) -> tuple[Choice, ...]:
    items = raw.get("choices")
    if not isinstance(items, list) or not items:
        report(raw.line_of("choices"), _("`choices` must be a non-empty list"))
        return ()
    result = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, LineMap):
            report(
                raw.line_of("choices"),
                _("choice %(number)d must be a mapping with text", number=index + 1),
            )
            continue
        _check_keys(item, {"text", "correct", "feedback"}, report, _("a choice"))
        text = _text(item, "text", report)
        correct = item.get("correct", False)
        if not isinstance(correct, bool):
            report(item.line_of("correct"), _("`correct` must be true or false"))
            correct = False
        feedback = _text(item, "feedback", report, required=False)
        if text.casefold() in seen:
            report(item.line, _("choice %(text)r appears twice", text=text))
        seen.add(text.casefold())
        result.append(Choice(str(index), text, correct, feedback, item.line))
    return tuple(result)


def _no_answer() -> str:
    """What the review page shows for an empty answer, in the page's language (English outside a
    request)."""
    return gettext("No answer")


def _choice_texts(choices: tuple[Choice, ...], keys) -> str:
    texts = [c.text for c in choices if c.key in keys]
    return "; ".join(texts) if texts else _no_answer()


def _choice_feedback(choices: tuple[Choice, ...], picked) -> list[Feedback]:
    """Feedback of every picked choice, then of the right choices that were not picked."""
    shown = [c for c in choices if c.key in picked]
    shown += [c for c in choices if c.correct and c.key not in picked]
    return [Feedback(c.feedback, c.text, c.key in picked, c.correct) for c in shown if c.feedback]


def _choice_keys(question_choices: tuple[Choice, ...], values: Sequence[str]) -> list[str]:
    keys = {c.key for c in question_choices}
    for value in values:
        if value not in keys:
            raise AnswerRejected("an answer that is not one of the question's choices")
    return list(values)


@dataclass(frozen=True)
class SingleChoice(Question):
    TYPE: ClassVar[str] = "single"
    LABEL: ClassVar[str] = _l("Choose one answer.")
    choices: tuple[Choice, ...] = ()

    @classmethod
    def from_yaml(cls, raw, common, report, render):
        _check_keys(
            raw, {"id", "type", "prompt", "case", "choices"}, report, _("a single question")
        )
        choices = _choices(raw, report)
        if choices and sum(c.correct for c in choices) != 1:
            report(
                raw.line_of("choices"), _("a `single` question needs exactly one correct choice")
            )
        if choices and len(choices) < 2:
            report(raw.line_of("choices"), _("a choice question needs at least two choices"))
        return cls(choices=choices, **common)

    def translated(self, raw, report, render):
        common = _translated_common(self, raw, {"choices"}, report, render)
        choices = _translated_choices(self.choices, raw, report)
        return dataclasses.replace(self, choices=choices, **common)

    def read_response(self, values):
        if len(values) > 1:
            raise AnswerRejected("more than one answer to a single-choice question")
        keys = _choice_keys(self.choices, values)
        return keys[0] if keys else None

    def grade(self, response):
        chosen = next((c for c in self.choices if c.key == response), None)
        return Mark(1.0 if chosen is not None and chosen.correct else 0.0)

    def full_marks(self):
        return next(c.key for c in self.choices if c.correct)

    def answer_text(self, response):
        return _choice_texts(self.choices, {response})

    def feedback_for(self, response):
        return _choice_feedback(self.choices, {response})


@dataclass(frozen=True)
class MultipleChoice(Question):
    TYPE: ClassVar[str] = "multiple"
    LABEL: ClassVar[str] = _l("Choose all that apply.")
    choices: tuple[Choice, ...] = ()

    @classmethod
    def from_yaml(cls, raw, common, report, render):
        _check_keys(
            raw, {"id", "type", "prompt", "case", "choices"}, report, _("a multiple question")
        )
        choices = _choices(raw, report)
        if choices and not any(c.correct for c in choices):
            report(
                raw.line_of("choices"), _("a `multiple` question needs at least one correct choice")
            )
        if choices and len(choices) < 2:
            report(raw.line_of("choices"), _("a choice question needs at least two choices"))
        return cls(choices=choices, **common)

    def translated(self, raw, report, render):
        common = _translated_common(self, raw, {"choices"}, report, render)
        choices = _translated_choices(self.choices, raw, report)
        return dataclasses.replace(self, choices=choices, **common)

    def read_response(self, values):
        return frozenset(_choice_keys(self.choices, values))

    def grade(self, response):
        """Right picks minus wrong picks, over the number of right choices, floored at zero."""
        picked = response or frozenset()
        right = sum(1 for c in self.choices if c.correct and c.key in picked)
        wrong = sum(1 for c in self.choices if not c.correct and c.key in picked)
        total = sum(1 for c in self.choices if c.correct)
        return Mark(max(0, right - wrong) / total)

    def full_marks(self):
        return frozenset(c.key for c in self.choices if c.correct)

    def answer_text(self, response):
        return _choice_texts(self.choices, response or frozenset())

    def feedback_for(self, response):
        return _choice_feedback(self.choices, response or frozenset())

    def to_json(self, response):
        return sorted(response or ())

    def from_json(self, data):
        return frozenset(data or ())


@dataclass(frozen=True)
class TrueFalse(Question):
    TYPE: ClassVar[str] = "true_false"
    LABEL: ClassVar[str] = _l("True or false?")
    answer: bool = True
    feedback_true: str = ""
    feedback_false: str = ""

    @classmethod
    def from_yaml(cls, raw, common, report, render):
        allowed = {"id", "type", "prompt", "case", "answer", "feedback_true", "feedback_false"}
        _check_keys(raw, allowed, report, _("a true_false question"))
        answer = raw.get("answer")
        if not isinstance(answer, bool):
            report(
                raw.line_of("answer"), _("a `true_false` question needs `answer: true` or `false`")
            )
            answer = True
        return cls(
            answer=answer,
            feedback_true=_text(raw, "feedback_true", report, required=False),
            feedback_false=_text(raw, "feedback_false", report, required=False),
            **common,
        )

    def translated(self, raw, report, render):
        feedback = {"feedback_true", "feedback_false"}
        common = _translated_common(self, raw, feedback, report, render)
        return dataclasses.replace(
            self,
            feedback_true=_mirrored(raw, "feedback_true", self.feedback_true, report),
            feedback_false=_mirrored(raw, "feedback_false", self.feedback_false, report),
            **common,
        )

    def read_response(self, values):
        if len(values) > 1 or any(v not in ("true", "false") for v in values):
            raise AnswerRejected("a true/false answer must be true or false")
        return (values[0] == "true") if values else None

    def grade(self, response):
        return Mark(1.0 if response is not None and response == self.answer else 0.0)

    def full_marks(self):
        return self.answer

    def answer_text(self, response):
        if response is None:
            return _no_answer()
        return gettext("True") if response else gettext("False")

    def feedback_for(self, response):
        """Feedback on the learner's answer, then on the right one if that was not chosen."""
        shown = [] if response is None else [response]
        shown += [self.answer] if response != self.answer else []
        return [
            Feedback(text, self.answer_text(value), value == response, value == self.answer)
            for value in shown
            if (text := self.feedback_true if value else self.feedback_false)
        ]


def _accepted_answers(raw: LineMap, report: Report, message: str) -> tuple[str, ...]:
    answers = raw.get("answers")
    if (
        not isinstance(answers, list)
        or not answers
        or any(not isinstance(a, str | int) or not normalise_short_answer(str(a)) for a in answers)
    ):
        report(raw.line_of("answers"), message)
        return ()
    return tuple(str(a).strip() for a in answers)


_TRAILING_PUNCTUATION = string.punctuation + "\u06d4\u061f\u060c"  # plus Urdu full stop, ?, comma


#: Arabic-Indic and Extended Arabic-Indic (Urdu) digits, as an Urdu phone keyboard may type them
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def normalise_short_answer(text: str) -> str:
    """Case-folded, inner spaces collapsed, surrounding spaces and final punctuation removed, and
    digits written 0-9 (``۱۹`` is ``19``)."""
    collapsed = " ".join(text.split()).casefold().translate(_DIGITS)
    return collapsed.rstrip(_TRAILING_PUNCTUATION).strip()


@dataclass(frozen=True)
class ShortAnswer(Question):
    TYPE: ClassVar[str] = "short_answer"
    LABEL: ClassVar[str] = _l("Type a short answer.")
    MAX_LENGTH: ClassVar[int] = 200
    answers: tuple[str, ...] = ()
    feedback: str = ""
    #: accepted as well as ``answers``: the original's answers in a translation, and every
    #: translation's answers in the original, so a short answer is graded alike in any language
    also_accepted: tuple[str, ...] = ()

    @classmethod
    def from_yaml(cls, raw, common, report, render):
        _check_keys(
            raw, {"id", "type", "prompt", "case", "answers", "feedback"}, report, _("a question")
        )
        return cls(
            answers=_accepted_answers(
                raw, report, _("`answers` must be a non-empty list of accepted answers")
            ),
            feedback=_text(raw, "feedback", report, required=False),
            **common,
        )

    def translated(self, raw, report, render):
        common = _translated_common(self, raw, {"answers", "feedback"}, report, render)
        answers = _accepted_answers(
            raw,
            report,
            "`answers` must be a non-empty list of the answers also accepted in this language "
            "(the original's are always accepted too)",
        )
        return dataclasses.replace(
            self,
            answers=answers or self.answers,
            also_accepted=self.answers,
            feedback=_mirrored(raw, "feedback", self.feedback, report),
            **common,
        )

    def accepting(self, more: Sequence[str]) -> ShortAnswer:
        """This question accepting ``more`` answers too (a translation's, for the original)."""
        known = {normalise_short_answer(a) for a in (*self.answers, *self.also_accepted)}
        added = tuple(a for a in more if normalise_short_answer(a) not in known)
        return dataclasses.replace(self, also_accepted=self.also_accepted + added)

    def read_response(self, values):
        if len(values) > 1:
            raise AnswerRejected("more than one short answer")
        text = values[0].strip() if values else ""
        if len(text) > self.MAX_LENGTH:
            raise AnswerRejected(f"a short answer must be at most {self.MAX_LENGTH} characters")
        return text or None

    def grade(self, response):
        if not response:
            return Mark(0.0)
        accepted = {normalise_short_answer(a) for a in (*self.answers, *self.also_accepted)}
        return Mark(1.0 if normalise_short_answer(response) in accepted else 0.0)

    def full_marks(self):
        return self.answers[0]

    def answer_text(self, response):
        return response or _no_answer()

    def feedback_for(self, response):
        return [Feedback(self.feedback)] if self.feedback else []


@dataclass(frozen=True)
class Pair:
    left: str
    right: str


@dataclass(frozen=True)
class Matching(Question):
    """Match each left item to one right item. Scored per pair."""

    TYPE: ClassVar[str] = "matching"
    LABEL: ClassVar[str] = _l("Match each item on the left with one on the right.")
    pairs: tuple[Pair, ...] = ()
    feedback: str = ""

    @classmethod
    def from_yaml(cls, raw, common, report, render):
        _check_keys(
            raw, {"id", "type", "prompt", "case", "pairs", "feedback"}, report, _("a question")
        )
        items = raw.get("pairs")
        pairs: list[Pair] = []
        if not isinstance(items, list) or len(items) < 2:
            report(
                raw.line_of("pairs"), _("`pairs` must be a list of at least two left/right pairs")
            )
            items = []
        for item in items:
            if not isinstance(item, LineMap):
                report(
                    raw.line_of("pairs"), _("each pair must be a mapping with `left` and `right`")
                )
                continue
            _check_keys(item, {"left", "right"}, report, _("a pair"))
            pairs.append(Pair(_text(item, "left", report), _text(item, "right", report)))
        for side in ("left", "right"):
            values = [getattr(p, side).casefold() for p in pairs]
            if len(set(values)) != len(values):
                report(
                    raw.line_of("pairs"), _("two pairs have the same `%(side)s` text", side=side)
                )
        return cls(
            pairs=tuple(pairs), feedback=_text(raw, "feedback", report, required=False), **common
        )

    def translated(self, raw, report, render):
        common = _translated_common(self, raw, {"pairs", "feedback"}, report, render)
        items = raw.get("pairs")
        pairs = self.pairs
        if _same_count(raw, "pairs", items, len(self.pairs), report):
            translated: list[Pair] = []
            for pair, item in zip(self.pairs, items, strict=True):
                if not isinstance(item, LineMap):
                    report(
                        raw.line_of("pairs"),
                        _("each pair must be a mapping with `left` and `right`"),
                    )
                    translated.append(pair)
                    continue
                _check_translated_keys(item, {"left", "right"}, report, _("a translated pair"))
                translated.append(Pair(_text(item, "left", report), _text(item, "right", report)))
            for side in ("left", "right"):
                values = [getattr(p, side).casefold() for p in translated]
                if len(set(values)) != len(values):
                    report(
                        raw.line_of("pairs"),
                        _("two pairs have the same `%(side)s` text", side=side),
                    )
            pairs = tuple(translated)
        return dataclasses.replace(
            self, pairs=pairs, feedback=_mirrored(raw, "feedback", self.feedback, report), **common
        )

    def read_response(self, values):
        """Values are ``"<left index>:<right index>"``; unmatched left items are simply absent."""
        result: dict[str, str] = {}
        valid = {str(i) for i in range(len(self.pairs))}
        for value in values:
            left, sep, right = value.partition(":")
            if not sep or left not in valid or right not in valid or left in result:
                raise AnswerRejected("a match that is not one of the question's items")
            result[left] = right
        return result

    def grade(self, response):
        matched = response or {}
        right = sum(1 for i in range(len(self.pairs)) if matched.get(str(i)) == str(i))
        return Mark(right / len(self.pairs))

    def full_marks(self):
        return {str(i): str(i) for i in range(len(self.pairs))}

    def answer_text(self, response):
        matched = response or {}
        parts = [
            f"{pair.left} {_arrow(pair.left)} {self.pairs[int(matched[str(i)])].right}"
            for i, pair in enumerate(self.pairs)
            if str(i) in matched
        ]
        return "; ".join(parts) if parts else _no_answer()

    def feedback_for(self, response):
        return [Feedback(self.feedback)] if self.feedback else []

    def from_json(self, data):
        return dict(data or {})


QUESTION_TYPES: Mapping[str, type[Question]] = {
    cls.TYPE: cls for cls in (SingleChoice, MultipleChoice, TrueFalse, ShortAnswer, Matching)
}


def parse_question(raw: Any, report: Report, render: Render, line: int) -> Question | None:
    """Validate one item of a quiz file's ``questions:`` list; ``None`` if it cannot be used."""
    if not isinstance(raw, LineMap):
        report(line, _("a question must be a mapping with id, type and prompt"))
        return None
    qid = raw.get("id")
    if not isinstance(qid, str) or not ID_RE.match(qid):
        report(
            raw.line_of("id"), _("each question needs an `id` of lowercase letters, digits and '-'")
        )
        qid = f"line-{raw.line}"
    kind = raw.get("type")
    cls = QUESTION_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        known = ", ".join(QUESTION_TYPES)
        report(raw.line_of("type"), _("question %(id)s: unknown type %(kind)r (known: %(known)s)",
                                      id=qid, kind=kind, known=known))  # fmt: skip
        return None

    def scoped(at: int, message: str) -> None:
        report(at, _("question %(id)s: %(message)s", id=qid, message=message))

    prompt = _text(raw, "prompt", scoped)
    case = _text(raw, "case", scoped, required=False)
    common: dict[str, Any] = {
        "id": qid,
        "prompt": prompt,
        "prompt_html": render(prompt) if prompt else "",
        "case": case,
        "case_html": render(case) if case else "",
        "line": raw.line,
    }
    return cls.from_yaml(raw, common, scoped, render)


@dataclass(frozen=True)
class Quiz:
    course_slug: str
    module_slug: str
    path: str
    pass_mark: int  #: percent
    attempts: int | None  #: None = unlimited
    shuffle: bool
    questions: tuple[Question, ...] = field(default_factory=tuple)
    title: str = ""
    locale: str = locales.ORIGINAL  #: the language of the questions' words
    #: the same quiz in other languages: same ids, order, choice keys and answer key. Grading
    #: always uses the original (``lms.services.quizzes``); a translation is for showing only.
    translations: tuple[Quiz, ...] = ()

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    def in_locale(self, locale: str) -> Quiz:
        """The quiz in ``locale`` if it is translated into it, else this (the original)."""
        return next((t for t in self.translations if t.locale == locale), self)


def _arrow(text: str) -> str:
    """An arrow from ``text`` onwards in the direction it is written: Unicode does not mirror
    arrows in right-to-left text, so Urdu needs its own."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "←"
        if kind == "L":
            return "→"
    return "→"
