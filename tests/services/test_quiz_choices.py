"""The quiz page holds no answer key: options are named by random ids of each attempt.

In the shipped quizzes the right single choice is usually the first in the file and a matching
pair's right item has the left item's index, so a page naming options by file order (``"0"``,
``"i:i"``) lets a script pass every quiz knowing nothing. Here the strategies such a script can
still follow, using only what the page shows (its order, its ids), are played against many attempts
at every shipped quiz, and must score what blind guessing scores, far below the pass mark.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from fractions import Fraction
from itertools import combinations
from statistics import mean

import pytest

from lms.config import ROOT
from lms.content import load_catalog
from lms.content.questions import (
    Matching,
    MultipleChoice,
    Question,
    Quiz,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
)
from lms.models.quizzes import QuizAttempt
from lms.services import quizzes
from tests.conftest import GOOD_CONTENT

ATTEMPTS = 40  #: per quiz and strategy


@pytest.fixture(scope="module")
def shipped() -> list[Quiz]:
    catalog = load_catalog(ROOT)
    return [m.quiz for course in catalog for m in course.modules if m.quiz is not None]


def attempt_at(quiz: Quiz, n: int) -> QuizAttempt:
    rng = random.Random(f"{quiz.module_slug}:{n}")  # seeded: the same attempts on every run
    seed = rng.randrange(2**31)
    return QuizAttempt(
        seed=seed,
        choice_secret=rng.randbytes(32).hex(),
        question_ids=quizzes.question_order(quiz, seed),
        pass_mark=quiz.pass_mark,
    )


def right_count(question: Question) -> int:
    return sum(c.correct for c in getattr(question, "choices", ())) or 1


# --- strategies: what a script sends, from the page alone ----------------------------------------
def first_on_the_page(item: quizzes.ShownQuestion) -> list[str]:
    """ "First in file" as the page now lets one try it: the first options shown (as many as there
    are right ones, which is more than a script knows), the n-th item for the n-th menu."""
    if item.free_text:
        return []
    if item.rows:
        return [row.options[i].id for i, row in enumerate(item.rows)]
    return [o.id for o in item.options[: right_count(item.question)]]


def smallest_ids(item: quizzes.ShownQuestion) -> list[str]:
    """The same, by the ids' order instead of the page's: ids that leaked the file order would
    sort the first choice first."""
    if item.free_text:
        return []
    if item.rows:
        return [min(o.id for o in row.options) for row in item.rows]
    return sorted(o.id for o in item.options)[: right_count(item.question)]


Strategy = Callable[[quizzes.ShownQuestion], list[str]]


def play(quiz: Quiz, attempt: QuizAttempt, strategy: Strategy) -> int:
    form = {s.field: strategy(s) for s in quizzes.shown_questions(quiz, attempt)}
    return quizzes.grade(quiz, attempt, quizzes.read_answers(quiz, attempt, form)).score


# --- what blind guessing scores ------------------------------------------------------------------
def chance(question: Question, strategy: Strategy) -> Fraction:
    """The expected score of ``strategy`` on ``question`` when the options' order and ids are a
    uniformly random permutation, as they are for every attempt."""
    if isinstance(question, ShortAnswer):
        return Fraction(0)
    if isinstance(question, SingleChoice):
        return Fraction(1, len(question.choices))
    if isinstance(question, MultipleChoice):
        k, c = len(question.choices), right_count(question)
        picks = list(combinations(range(k), c))  # any c choices, equally likely
        right = {i for i, choice in enumerate(question.choices) if choice.correct}
        return sum(
            (Fraction(max(0, 2 * len(right & set(p)) - c), c) for p in picks), Fraction(0)
        ) / len(picks)
    if isinstance(question, TrueFalse):
        if strategy is first_on_the_page:  # True is always shown first
            return Fraction(int(question.answer))
        return Fraction(1, 2)
    if isinstance(question, Matching):
        return Fraction(1, len(question.pairs))
    raise AssertionError(question)


@pytest.mark.parametrize("strategy", [first_on_the_page, smallest_ids])
def test_answers_by_file_order_score_at_chance_on_every_shipped_quiz(shipped, strategy):
    assert len(shipped) >= 13
    everything = []
    for quiz in shipped:
        scores = [play(quiz, attempt_at(quiz, n), strategy) for n in range(ATTEMPTS)]
        expected = 100 * mean(chance(q, strategy) for q in quiz.questions)
        assert abs(mean(scores) - expected) < 6, quiz.module_slug
        assert mean(scores) < quiz.pass_mark - 20, quiz.module_slug
        everything += scores
    assert mean(everything) < 45
    assert sum(score >= 70 for score in everything) <= len(everything) // 100


def test_the_strategies_win_where_ids_follow_the_file_order(monkeypatch):
    """The test above has teeth: were the ids the file-order keys (the demo quiz, like the shipped
    ones, has its right choices first), the same strategies would pass."""
    quiz = load_catalog(GOOD_CONTENT).module("demo", "01-basics").quiz
    monkeypatch.setattr(quizzes, "_opaque_id", lambda secret, qid, kind, *keys: ":".join(keys))
    attempt = attempt_at(quiz, 0)
    assert play(quiz, attempt, first_on_the_page) == 80  # all but the short answer
    form = {s.field: smallest_ids(s) for s in quizzes.shown_questions(quiz, attempt)}
    marks = quizzes.grade(quiz, attempt, quizzes.read_answers(quiz, attempt, form)).marks
    assert marks["q-single"] == marks["q-multiple"] == 1.0


# --- the page's ids ------------------------------------------------------------------------------
FILE_ORDER = re.compile(r"^(\d+(:\d+)?|true|false)$")


def test_ids_are_never_file_order_keys_and_differ_between_attempts(shipped):
    for quiz in shipped:
        seen: set[str] = set()
        for n in range(3):
            ids = [
                option.id
                for s in quizzes.shown_questions(quiz, attempt_at(quiz, n))
                for option in s.options + tuple(o for row in s.rows for o in row.options)
            ]
            assert not [i for i in ids if FILE_ORDER.match(i)]
            assert len(set(ids)) == len(ids)  # unique on the page
            assert seen.isdisjoint(ids)  # and new for every attempt
            seen.update(ids)


def test_a_reload_shows_the_same_ids_in_the_same_order(shipped):
    quiz = shipped[0]
    attempt = attempt_at(quiz, 1)
    assert quizzes.shown_questions(quiz, attempt) == quizzes.shown_questions(quiz, attempt)
