"""Question types: reading answers, grading, and the properties grading must keep."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.content import load_catalog
from lms.content.questions import (
    QUESTION_TYPES,
    AnswerRejected,
    Choice,
    Feedback,
    Matching,
    MultipleChoice,
    Pair,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
    normalise_short_answer,
)
from tests.conftest import GOOD_CONTENT

COMMON = {"id": "q", "prompt": "?", "prompt_html": "<p>?</p>"}


def choices(*correct: bool) -> tuple[Choice, ...]:
    return tuple(Choice(str(i), f"choice {i}", c, f"feedback {i}") for i, c in enumerate(correct))


def test_registry_has_the_five_types():
    assert set(QUESTION_TYPES) == {"single", "multiple", "true_false", "short_answer", "matching"}


def test_single_choice():
    q = SingleChoice(choices=choices(False, True, False), **COMMON)
    assert q.grade(q.read_response(["1"])).score == 1
    assert q.grade(q.read_response(["0"])).score == 0
    assert q.grade(q.read_response([])).score == 0
    with pytest.raises(AnswerRejected):
        q.read_response(["7"])
    with pytest.raises(AnswerRejected):
        q.read_response(["0", "1"])
    assert q.answer_text("1") == "choice 1"
    assert q.feedback_for("0") == [  # on the choice picked, then on the right one, each named
        Feedback("feedback 0", "choice 0", chosen=True, correct=False),
        Feedback("feedback 1", "choice 1", chosen=False, correct=True),
    ]
    assert q.feedback_for("1") == [Feedback("feedback 1", "choice 1", chosen=True, correct=True)]


@pytest.mark.parametrize(
    ("picked", "score"),
    [
        ({"0", "1"}, 1.0),  # both right ones
        ({"0"}, 0.5),
        ({"0", "2"}, 0.0),  # one right minus one wrong
        ({"0", "1", "2"}, 0.5),
        ({"2", "3"}, 0.0),  # floored at zero, never negative
        (set(), 0.0),
    ],
)
def test_multiple_choice_partial_credit(picked, score):
    q = MultipleChoice(choices=choices(True, True, False, False), **COMMON)
    assert q.grade(q.read_response(sorted(picked))).score == score


def test_true_false_reads_only_true_or_false():
    q = TrueFalse(answer=False, feedback_true="no", feedback_false="yes", **COMMON)
    assert q.grade(q.read_response(["false"])).score == 1
    assert q.grade(q.read_response(["true"])).score == 0
    assert q.feedback_for(True) == [
        Feedback("no", "True", chosen=True, correct=False),
        Feedback("yes", "False", chosen=False, correct=True),
    ]
    assert q.feedback_for(None) == [Feedback("yes", "False", chosen=False, correct=True)]
    with pytest.raises(AnswerRejected):
        q.read_response(["maybe"])


@pytest.mark.parametrize(
    "typed", ["juvenile court", "  Juvenile   COURT. ", "juvenile court!", "Juvenile Court؟"]
)
def test_short_answer_ignores_case_spaces_and_final_punctuation(typed):
    q = ShortAnswer(answers=("Juvenile Court", "JJ court"), **COMMON)
    assert q.grade(q.read_response([typed])).score == 1


def test_short_answer_rejects_overlong_text_and_wrong_answers():
    q = ShortAnswer(answers=("1099",), **COMMON)
    assert q.grade(q.read_response(["1098"])).score == 0
    with pytest.raises(AnswerRejected):
        q.read_response(["x" * 201])
    assert normalise_short_answer("  A  b. ") == "a b"


def test_matching_scores_per_pair_and_refuses_unknown_items():
    q = Matching(pairs=(Pair("a", "1"), Pair("b", "2"), Pair("c", "3"), Pair("d", "4")), **COMMON)
    assert q.grade(q.read_response(["0:0", "1:1", "2:3", "3:2"])).score == 0.5
    assert q.grade(q.read_response([])).score == 0
    for bad in (["0:9"], ["x"], ["0:1", "0:2"], ["9:0"]):
        with pytest.raises(AnswerRejected):
            q.read_response(bad)
    assert q.answer_text({"0": "0"}) == "a → 1"


def test_a_matched_pair_in_urdu_points_the_way_urdu_reads():
    """Arrows are not mirrored in right-to-left text: an Urdu pair gets one pointing left."""
    q = Matching(pairs=(Pair("معمولی جرم", "3 سال تک"), Pair("(2) سنگین", "7")), **COMMON)
    assert q.answer_text({"0": "0", "1": "1"}) == "معمولی جرم ← 3 سال تک; (2) سنگین ← 7"


# --- properties over every question of the demo quizzes ----------------------------------------
QUESTIONS = [
    q for course in load_catalog(GOOD_CONTENT) for m in course.modules for q in m.quiz.questions
]


def _values_for(question, response) -> list[str]:
    """Form values that a browser would send for ``response``."""
    if isinstance(question, MultipleChoice):
        return sorted(response)
    if isinstance(question, Matching):
        return [f"{left}:{right}" for left, right in response.items()]
    if isinstance(question, TrueFalse):
        return ["true" if response else "false"]
    return [response]


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_full_marks_score_100(question):
    response = question.read_response(_values_for(question, question.full_marks()))
    assert question.grade(response).score == 1.0


@st.composite
def any_answer(draw, question):
    if isinstance(question, SingleChoice):
        return draw(st.lists(st.sampled_from([c.key for c in question.choices]), max_size=1))
    if isinstance(question, MultipleChoice):
        return draw(st.lists(st.sampled_from([c.key for c in question.choices]), unique=True))
    if isinstance(question, TrueFalse):
        return draw(st.lists(st.sampled_from(["true", "false"]), max_size=1))
    if isinstance(question, ShortAnswer):
        return [draw(st.text(max_size=200))]
    n = len(question.pairs)
    lefts = draw(st.lists(st.integers(0, n - 1), unique=True))
    return [f"{left}:{draw(st.integers(0, n - 1))}" for left in lefts]


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
@given(data=st.data())
def test_scores_stay_between_0_and_1_and_json_round_trips(question, data):
    values = data.draw(any_answer(question))
    response = question.read_response(values)
    score = question.grade(response).score
    assert 0.0 <= score <= 1.0
    assert question.grade(question.from_json(question.to_json(response))).score == score


@pytest.mark.parametrize("question", [q for q in QUESTIONS if isinstance(q, MultipleChoice)])
@given(data=st.data(), seed=st.integers())
def test_the_order_values_arrive_in_never_changes_a_grade(question, data, seed):
    values = data.draw(any_answer(question))
    shuffled = list(values)
    random.Random(seed).shuffle(shuffled)
    assert question.grade(question.read_response(values)) == question.grade(
        question.read_response(shuffled)
    )
