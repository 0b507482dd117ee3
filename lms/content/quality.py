"""Quiz quality checks that warn an author but never stop the site.

Two weaknesses let a learner pass without reading, or leave them no wiser after a wrong answer:

- the keyed answer is the longest choice so often that "pick the longest" passes the quiz;
- feedback too short to say why a choice is right or wrong ("Yes.", "Correct.").

``check_quiz`` reports both for one quiz, ``check_course`` the longest-key share across a course's
quizzes. Each calls ``warn(line, message)``; the loader turns that into a ``ContentWarning``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lms.content.questions import (
    Matching,
    MultipleChoice,
    Quiz,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
)
from lms.content.text import _

#: Feedback with fewer words than this cannot say why.
MIN_FEEDBACK_WORDS = 4
#: Warn when the key is the strictly longest choice in more than this share of single questions.
LONGEST_KEY_SHARE = (1, 3)

Warn = Callable[[int, str], None]


def key_is_strictly_longest(question: SingleChoice) -> bool:
    """True when the correct choice has more characters than every other choice."""
    keys = [c for c in question.choices if c.correct]
    if len(keys) != 1 or len(question.choices) < 2:
        return False
    key = keys[0]
    return all(len(key.text) > len(c.text) for c in question.choices if c is not key)


def longest_key_count(quizzes: Iterable[Quiz]) -> tuple[int, int]:
    """(questions whose key is strictly the longest choice, single-choice questions) over quizzes."""
    longest = total = 0
    for quiz in quizzes:
        for question in quiz.questions:
            if isinstance(question, SingleChoice):
                total += 1
                longest += key_is_strictly_longest(question)
    return longest, total


def _over_threshold(longest: int, total: int) -> bool:
    share, of = LONGEST_KEY_SHARE
    return total > 0 and longest * of > total * share


def _share(longest: int, total: int) -> str:
    return _("%(longest)d of %(total)d single-choice questions (%(share)d%%)", longest=longest,
             total=total, share=round(100 * longest / total))  # fmt: skip


def _words(text: str) -> int:
    return len(text.split())


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def check_quiz(quiz: Quiz, warn: Warn) -> None:
    longest, total = longest_key_count([quiz])
    if _over_threshold(longest, total):
        warn(
            1,
            _(
                "the keyed answer is the longest choice in %(share)s; keep it to a third or fewer, "
                "so that length gives nothing away",
                share=_share(longest, total),
            ),
        )
    for question in quiz.questions:
        _check_feedback(question, warn)


def _check_feedback(question, warn: Warn) -> None:
    def too_short(text: str) -> bool:
        return _words(text) < MIN_FEEDBACK_WORDS

    def advice(text: str) -> str:
        if not text.strip():
            return _("has no feedback")
        return _("has feedback of %(words)d word(s), %(text)r", words=_words(text),
                 text=text.strip())  # fmt: skip

    tail = _("; say why in a full sentence (at least %(words)d words)", words=MIN_FEEDBACK_WORDS)
    if isinstance(question, SingleChoice | MultipleChoice):
        for choice in question.choices:
            if too_short(choice.feedback):
                warn(
                    choice.line,
                    _(
                        "question %(id)s: choice %(choice)r %(advice)s%(tail)s",
                        id=question.id,
                        choice=_short(choice.text),
                        advice=advice(choice.feedback),
                        tail=tail,
                    ),
                )
    elif isinstance(question, TrueFalse):
        for name, text in (("true", question.feedback_true), ("false", question.feedback_false)):
            if too_short(text):
                warn(question.line, _("question %(id)s: answer %(answer)s %(advice)s%(tail)s",
                                      id=question.id, answer=name, advice=advice(text),
                                      tail=tail))  # fmt: skip
    elif isinstance(question, ShortAnswer | Matching) and too_short(question.feedback):
        warn(question.line, _("question %(id)s %(advice)s%(tail)s", id=question.id,
                              advice=advice(question.feedback), tail=tail))  # fmt: skip


def check_course(quizzes: Iterable[Quiz], warn: Warn) -> None:
    longest, total = longest_key_count(quizzes)
    if _over_threshold(longest, total):
        warn(
            1,
            _(
                "across the course's quizzes, the keyed answer is the longest choice in %(share)s; "
                "keep it to a third or fewer",
                share=_share(longest, total),
            ),
        )
