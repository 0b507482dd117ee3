"""GIFT (Moodle's plain-text quiz format) to and from our quiz files.

Supported, because they map onto our question types: ``//`` comments, ``::title::`` (becomes the
question id when it is a valid id), ``[markdown]``/``[html]``/``[plain]``/``[moodle]`` markers,
``=``/``~`` answers with ``#feedback``, ``%weight%`` answers (positive = right, zero or negative =
wrong) for multiple select, ``T``/``F``/``TRUE``/``FALSE`` with their two feedbacks
(``{T#shown to a wrong answer#shown to a right answer}``), short answers, matching with ``->``,
``####`` general feedback, the escapes ``\\~ \\= \\# \\{ \\} \\: \\n``, questions over several lines
and the "missing word" form (text after the answers). ``$CATEGORY`` lines are ignored.

Refused with their line number (or, with ``skip_unsupported``, skipped and listed): numerical
questions (``{#...}``), essays (``{}``), descriptions (no answers), and partial-credit short
answers. A scenario (our ``case``) travels as a Markdown block quote at the start of the question
text, so export then import gives back the same questions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from lms.content.questions import ID_RE

ESCAPABLE = "~=#{}:"
_PLACEHOLDER = {c: chr(0xE000 + i) for i, c in enumerate(ESCAPABLE + "\\")}
_RESTORE = {v: k for k, v in _PLACEHOLDER.items()}
META_PREFIX = "// lms-quiz:"
FORMATS = ("markdown", "html", "plain", "moodle")


class GiftError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass
class GiftImport:
    settings: dict[str, Any] = field(default_factory=dict)
    questions: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  #: (line, reason)
    notes: list[tuple[int, str]] = field(default_factory=list)  #: (line, what was dropped)


# --- reading ---------------------------------------------------------------------------------------
def _protect(text: str) -> str:
    """Hide escaped characters behind private-use code points while the structure is parsed."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in _PLACEHOLDER:
                out.append(_PLACEHOLDER[nxt])
                i += 2
                continue
            if nxt == "n":
                out.append("\n")
                i += 2
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _restore(text: str) -> str:
    return "".join(_RESTORE.get(ch, ch) for ch in text)


def _blocks(source: str) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """Split into (first line, text) blocks at blank lines outside answer braces; read settings."""
    settings: dict[str, Any] = {}
    blocks: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    depth = 0
    for number, raw in enumerate(source.splitlines(), 1):
        line = _protect(raw)
        stripped = line.strip()
        if stripped.startswith("//"):
            if raw.strip().startswith(META_PREFIX):
                try:
                    settings = json.loads(raw.strip()[len(META_PREFIX) :])
                except json.JSONDecodeError as error:
                    raise GiftError(number, f"unreadable quiz settings comment ({error})") from None
            continue
        if not stripped and depth == 0:
            if current:
                blocks.append((start, "\n".join(current)))
                current = []
            continue
        if not current:
            start = number
        current.append(line)
        depth += line.count("{") - line.count("}")
        if depth < 0:
            raise GiftError(number, "a '}' without its '{' (write \\} for a literal brace)")
    if depth > 0:
        raise GiftError(start, "an answer block '{' is never closed")
    if current:
        blocks.append((start, "\n".join(current)))
    return settings, blocks


def _split_feedback(text: str) -> tuple[str, str]:
    body, _, feedback = text.partition("#")
    return body, feedback


def _clean(text: str) -> str:
    return _restore(text).strip()


class _Unsupported(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _answer_tokens(answers: str) -> list[tuple[str, str]]:
    """``=a#f ~b`` -> [("=", "a#f"), ("~", "b")]."""
    tokens: list[tuple[str, str]] = []
    for match in re.finditer(r"([=~])([^=~]*)", answers):
        tokens.append((match.group(1), match.group(2)))
    leading = answers[: answers.find(tokens[0][0])] if tokens else answers
    if leading.strip():
        raise ValueError(f"text before the first answer: {_clean(leading)!r}")
    return tokens


_WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")
_TF = re.compile(r"^(T|F|TRUE|FALSE)\s*(?:#(.*?))?\s*(?:#(.*))?$", re.S | re.I)


def _parse_question(text: str, index: int) -> dict[str, Any]:
    title = ""
    body = text.strip()
    if body.startswith("$CATEGORY:"):
        raise _Unsupported("category")
    title_match = re.match(r"^::(.*?)::", body, re.S)
    if title_match:
        title = _clean(title_match.group(1))
        body = body[title_match.end() :].lstrip()
    format_match = re.match(r"^\[(\w+)\]", body)
    if format_match and format_match.group(1).lower() in FORMATS:
        body = body[format_match.end() :].lstrip()
    if "{" not in body:
        raise _Unsupported("a description (no answers) is not a question type we have")
    before, _, rest = body.partition("{")
    answers, _, after = rest.partition("}")
    prompt = before.rstrip()
    if after.strip():
        prompt = f"{prompt} _____ {after.strip()}"  # the "missing word" form
    answers = answers.strip()
    general = ""
    if "####" in answers:
        answers, _, general = answers.partition("####")
        answers = answers.strip()

    question: dict[str, Any] = {"id": _question_id(title, index)}
    case, prompt = _split_case(_clean(prompt))
    if case:
        question["case"] = case
    question["prompt"] = prompt
    if not answers:
        raise _Unsupported("an essay question is not a question type we have")
    if answers.startswith("#"):
        raise _Unsupported("a numerical question is not a question type we have")

    tf = _TF.match(answers)
    if tf:
        right = tf.group(1).upper() in ("T", "TRUE")
        wrong_feedback, right_feedback = _clean(tf.group(2) or ""), _clean(tf.group(3) or "")
        question.update(type="true_false", answer=right)
        true_fb, false_fb = (
            (right_feedback, wrong_feedback) if right else (wrong_feedback, right_feedback)
        )
        if true_fb:
            question["feedback_true"] = true_fb
        if false_fb:
            question["feedback_false"] = false_fb
        return question

    tokens = _answer_tokens(answers)
    if all(op == "=" for op, _ in tokens) and any("->" in t for _, t in tokens):
        pairs = []
        for _, token in tokens:
            left, arrow, right = token.partition("->")
            if not arrow:
                raise ValueError("every matching answer needs 'left -> right'")
            pairs.append({"left": _clean(left), "right": _clean(right)})
        question.update(type="matching", pairs=pairs)
        if general.strip():
            question["feedback"] = _clean(general)
        return question

    if all(op == "=" for op, _ in tokens):
        accepted, feedbacks = [], []
        for _, token in tokens:
            weight = _WEIGHT.match(token)
            if weight and float(weight.group(1)) != 100:
                raise _Unsupported("a short answer with partial credit is not something we grade")
            token = token[weight.end() :] if weight else token
            answer, feedback = _split_feedback(token)
            accepted.append(_clean(answer))
            if feedback.strip():
                feedbacks.append(_clean(feedback))
        question.update(type="short_answer", answers=accepted)
        feedback = _clean(general) or (feedbacks[0] if feedbacks else "")
        if feedback:
            question["feedback"] = feedback
        return question

    weighted = any(_WEIGHT.match(t) for _, t in tokens)
    choices = []
    for op, token in tokens:
        weight = _WEIGHT.match(token)
        if weight:
            correct = float(weight.group(1)) > 0
            token = token[weight.end() :]
        else:
            correct = op == "="
        answer, feedback = _split_feedback(token)
        choice: dict[str, Any] = {"text": _clean(answer), "correct": correct}
        if feedback.strip():
            choice["feedback"] = _clean(feedback)
        choices.append(choice)
    rights = sum(c["correct"] for c in choices)
    kind = "multiple" if weighted or rights != 1 else "single"
    question.update(type=kind, choices=choices)
    if general.strip():
        raise _GeneralFeedbackDropped(question, _clean(general))
    return question


class _GeneralFeedbackDropped(Exception):
    def __init__(self, question: dict[str, Any], feedback: str):
        super().__init__(feedback)
        self.question = question
        self.feedback = feedback


def _question_id(title: str, index: int) -> str:
    candidate = title.strip().lower()
    if ID_RE.match(candidate):
        return candidate
    slug = re.sub(r"[^a-z0-9]+", "-", candidate).strip("-")[:64]
    return slug if slug and ID_RE.match(slug) else f"q-{index:02d}"


def _split_case(text: str) -> tuple[str, str]:
    """A block quote at the start of the question text is the scenario."""
    lines = text.split("\n")
    quoted = []
    while lines and lines[0].startswith(">"):
        quoted.append(lines.pop(0)[1:].removeprefix(" "))
    if not quoted:
        return "", text
    return "\n".join(quoted).strip(), "\n".join(lines).strip()


def read_gift(source: str, *, skip_unsupported: bool = False) -> GiftImport:
    """Parse GIFT text. Unsupported questions raise ``GiftError`` unless ``skip_unsupported``."""
    settings, blocks = _blocks(source)
    result = GiftImport(settings=settings)
    seen: dict[str, int] = {}
    for line, text in blocks:
        index = len(result.questions) + 1
        try:
            question = _parse_question(text, index)
        except _Unsupported as unsupported:
            if unsupported.reason == "category":
                continue
            if not skip_unsupported:
                raise GiftError(line, unsupported.reason) from None
            result.skipped.append((line, unsupported.reason))
            continue
        except _GeneralFeedbackDropped as dropped:
            question = dropped.question
            result.notes.append((line, f"general feedback dropped: {dropped.feedback!r}"))
        except ValueError as error:
            raise GiftError(line, str(error)) from None
        first = ("id", "type", "case", "prompt")
        question = {k: question[k] for k in first if k in question} | {
            k: v for k, v in question.items() if k not in first
        }
        qid = question["id"]
        if qid in seen:
            raise GiftError(line, f"question id {qid!r} is used twice (also line {seen[qid]})")
        seen[question["id"]] = line
        result.questions.append(question)
    if not result.questions and not result.skipped:
        raise GiftError(1, "no questions found")
    return result


# --- writing ---------------------------------------------------------------------------------------
def _escape(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for ch in ESCAPABLE:
        out = out.replace(ch, "\\" + ch)
    return out.replace("\n", "\\n")


def _weight(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def _question_text(question: dict[str, Any]) -> str:
    text = question["prompt"]
    if question.get("case"):
        quoted = "\n".join(f"> {line}".rstrip() for line in question["case"].strip().split("\n"))
        text = f"{quoted}\n\n{text}"
    return _escape(text)


def write_gift(settings: dict[str, Any], questions: list[dict[str, Any]]) -> str:
    """GIFT text for quiz-file questions (dicts as in the YAML). Settings travel as a comment."""
    out = ["// Exported from the Children's Champions LMS quiz format."]
    if settings:
        out.append(META_PREFIX + " " + json.dumps(settings, sort_keys=True))
    for q in questions:
        head = f"::{_escape(q['id'])}::[markdown]{_question_text(q)}"
        kind = q["type"]
        lines: list[str] = []
        if kind == "true_false":
            right, wrong = (
                (q.get("feedback_true", ""), q.get("feedback_false", ""))
                if q["answer"]
                else (q.get("feedback_false", ""), q.get("feedback_true", ""))
            )
            mark = "TRUE" if q["answer"] else "FALSE"
            feedback = ""
            if wrong or right:
                feedback = f"#{_escape(wrong)}"
                if right:
                    feedback += f"#{_escape(right)}"
            out.append(f"\n{head} {{{mark}{feedback}}}")
            continue
        if kind == "single":
            for c in q["choices"]:
                fb = f"#{_escape(c['feedback'])}" if c.get("feedback") else ""
                lines.append(f"\t{'=' if c['correct'] else '~'}{_escape(c['text'])}{fb}")
        elif kind == "multiple":
            n_right = sum(1 for c in q["choices"] if c["correct"])
            for c in q["choices"]:
                share = 100 / n_right
                weight = _weight(share if c["correct"] else -share)
                fb = f"#{_escape(c['feedback'])}" if c.get("feedback") else ""
                lines.append(f"\t~%{weight}%{_escape(c['text'])}{fb}")
        elif kind == "short_answer":
            lines += [f"\t={_escape(a)}" for a in q["answers"]]
        elif kind == "matching":
            lines += [f"\t={_escape(p['left'])} -> {_escape(p['right'])}" for p in q["pairs"]]
        else:
            raise ValueError(f"question {q['id']}: type {kind!r} has no GIFT form")
        if kind in ("short_answer", "matching") and q.get("feedback"):
            lines.append(f"\t####{_escape(q['feedback'])}")
        out.append(f"\n{head} {{\n" + "\n".join(lines) + "\n}")
    return "\n".join(out) + "\n"
