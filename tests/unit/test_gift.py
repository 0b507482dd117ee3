"""GIFT import and export: every supported feature, refusals with line numbers, and round trips."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.cli import lms_cli
from lms.content.gift import GiftError, read_gift, write_gift
from lms.content.loader import read_quiz_file
from tests.conftest import GOOD_CONTENT

DEMO_QUIZ = GOOD_CONTENT / "quizzes" / "demo" / "01-basics.yaml"


def one(source: str) -> dict:
    result = read_gift(source)
    assert len(result.questions) == 1, result.questions
    return result.questions[0]


def test_single_choice_with_title_feedback_and_comments():
    q = one(
        """// a comment line
::Q1:: Who decides a juvenile's bail? {
  =The Juvenile Court#Right: section 6.
  ~The SHO#No.
  // a comment inside the answers
  ~The complainant
}"""
    )
    assert q == {
        "id": "q1",
        "type": "single",
        "prompt": "Who decides a juvenile's bail?",
        "choices": [
            {"text": "The Juvenile Court", "correct": True, "feedback": "Right: section 6."},
            {"text": "The SHO", "correct": False, "feedback": "No."},
            {"text": "The complainant", "correct": False},
        ],
    }


def test_weights_make_multiple_select_and_negative_weights_are_wrong():
    q = one("Which are signs? {~%50%Bruises ~%50%Hunger#yes ~%-100%Smiling#no ~%0%Singing}")
    assert q["type"] == "multiple"
    assert [c["correct"] for c in q["choices"]] == [True, True, False, False]
    assert q["choices"][1]["feedback"] == "yes"


@pytest.mark.parametrize(
    ("mark", "answer"),
    [("T", True), ("TRUE", True), ("F", False), ("FALSE", False), ("true", True)],
)
def test_true_false_and_its_two_feedbacks(mark, answer):
    q = one(
        f"A child is a person under 18. {{{mark}#shown to a wrong answer#shown to a right answer}}"
    )
    assert q["type"] == "true_false" and q["answer"] is answer
    right_key, wrong_key = (
        ("feedback_true", "feedback_false") if answer else ("feedback_false", "feedback_true")
    )
    assert q[right_key] == "shown to a right answer"
    assert q[wrong_key] == "shown to a wrong answer"


def test_short_answer_with_alternatives_and_general_feedback():
    q = one(
        "Which Act sets up juvenile courts? {=JJSA 2018 =%100%Juvenile Justice System Act ####Section 4.}"
    )
    assert q == {
        "id": "q-01",
        "type": "short_answer",
        "prompt": "Which Act sets up juvenile courts?",
        "answers": ["JJSA 2018", "Juvenile Justice System Act"],
        "feedback": "Section 4.",
    }


def test_matching():
    q = one("Match them. {=Minor -> up to 3 years =Heinous -> more than 7 years}")
    assert q["type"] == "matching"
    assert q["pairs"] == [
        {"left": "Minor", "right": "up to 3 years"},
        {"left": "Heinous", "right": "more than 7 years"},
    ]


def test_escapes_and_format_markers():
    q = one(r"::Esc::[markdown]Is 2 \= 2 \{really\} \# \~ \: ?\nSecond line {=yes \= yes ~no}")
    assert q["prompt"] == "Is 2 = 2 {really} # ~ : ?\nSecond line"
    assert q["choices"][0]["text"] == "yes = yes"
    for marker in ("[html]", "[plain]", "[moodle]"):
        assert one(f"{marker}Plain? {{T}}")["prompt"] == "Plain?"


def test_question_over_several_lines_and_missing_word_form():
    q = one("The first\ncontact is the\n{=police ~judge} officer.")
    assert q["prompt"] == "The first\ncontact is the _____ officer."


def test_block_quote_becomes_the_scenario():
    q = one(
        r"> Bilal, 15, is arrested.\n>\n> He is alone.\n\nWhat first? {=Call his parents ~Wait}"
    )
    assert q["case"] == "Bilal, 15, is arrested.\n\nHe is alone."
    assert q["prompt"] == "What first?"


@pytest.mark.parametrize(
    ("source", "line", "reason"),
    [
        ("Q1 {=a ~b}\n\nHow many? {#3:1}", 3, "numerical"),
        ("Write an essay. {}", 1, "essay"),
        ("Just a description.", 1, "description"),
        ("Q {=%50%half =%100%full}", 1, "partial credit"),
    ],
)
def test_unsupported_types_are_refused_with_their_line(source, line, reason):
    with pytest.raises(GiftError) as caught:
        read_gift(source)
    assert caught.value.line == line
    assert reason in caught.value.message


def test_skip_unsupported_imports_the_rest_and_lists_what_it_skipped():
    result = read_gift(
        "Q1 {=a ~b}\n\nHow many? {#3:1}\n\nEssay {}\n\n$CATEGORY: x\n\nQ2 {T}",
        skip_unsupported=True,
    )
    assert [q["id"] for q in result.questions] == ["q-01", "q-02"]
    assert [line for line, _ in result.skipped] == [3, 5]


@pytest.mark.parametrize(
    ("source", "line"),
    [("Q1 {=a ~b\n\nQ2 {T}", 1), ("Q1 } {T}", 1), ("::same:: A {T}\n\n::same:: B {F}", 3), ("", 1)],
)
def test_malformed_gift_is_refused(source, line):
    with pytest.raises(GiftError) as caught:
        read_gift(source)
    assert caught.value.line == line


def _questions_of(path):
    quiz, errors = read_quiz_file(path)
    assert not errors
    return [
        {k: v for k, v in vars(q).items() if k not in ("line", "prompt_html", "case_html")}
        for q in quiz.questions
    ]


def test_export_then_import_gives_back_the_same_questions(tmp_path):
    runner = CliRunner()
    gift_file, back = tmp_path / "quiz.gift", tmp_path / "back.yaml"
    result = runner.invoke(lms_cli, ["export-gift", str(DEMO_QUIZ), "--out", str(gift_file)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(lms_cli, ["import-gift", str(gift_file), "--out", str(back)])
    assert result.exit_code == 0, result.output
    assert _questions_of(back) == _questions_of(DEMO_QUIZ)


text = (
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"]),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=60, deadline=None)
@given(prompt=text, right=text, wrong=text, feedback=text)
def test_any_text_survives_a_round_trip(prompt, right, wrong, feedback):
    if right.casefold() == wrong.casefold() or prompt.startswith(">"):
        return
    questions = [
        {"id": "a", "type": "single", "prompt": prompt, "choices": [
            {"text": right, "correct": True, "feedback": feedback},
            {"text": wrong, "correct": False, "feedback": feedback},
        ]},
        {"id": "b", "type": "true_false", "prompt": prompt, "answer": False,
         "feedback_true": feedback, "feedback_false": right},
    ]  # fmt: skip
    assert read_gift(write_gift({}, questions)).questions == questions


def test_import_refusal_writes_nothing(tmp_path):
    source = tmp_path / "in.gift"
    source.write_text("Q1 {=a ~b}\n\nHow many? {#3:1}\n", encoding="utf-8")
    target = tmp_path / "out.yaml"
    result = CliRunner().invoke(lms_cli, ["import-gift", str(source), "--out", str(target)])
    assert result.exit_code != 0
    assert f"{source}:3: a numerical question" in result.output
    assert not target.exists()
    result = CliRunner().invoke(
        lms_cli, ["import-gift", str(source), "--out", str(target), "--skip-unsupported"]
    )
    assert result.exit_code == 0
    assert "skipped" in result.output and "1 question written" in result.output
    assert yaml.safe_load(target.read_text())["questions"][0]["choices"][0]["text"] == "a"


def test_import_of_questions_that_do_not_validate_writes_nothing(tmp_path):
    source = tmp_path / "in.gift"
    source.write_text("Q1 {=a =a ~b}\n", encoding="utf-8")  # duplicate choice text
    target = tmp_path / "out.yaml"
    result = CliRunner().invoke(lms_cli, ["import-gift", str(source), "--out", str(target)])
    assert result.exit_code != 0
    assert not target.exists()
