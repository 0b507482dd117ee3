"""The shipped courses keep the shape their issues promise: modules, minutes, words, blocks, quizzes.

Each module is checked on its own (loaded through the real content engine from a copy of its course
that holds only that module), so one unfinished module names itself instead of hiding the others:
``pytest tests/content -k 03-safe-zone``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from lms import i18n
from lms.content.loader import check_content, inspect_content, load_catalog
from lms.content.questions import MultipleChoice, SingleChoice, TrueFalse

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Rules:
    modules: int
    module_minutes: int
    lessons: tuple[int, int]
    words: tuple[int, int]
    questions: tuple[int, int]
    scenario_share: float
    worksheets_in: frozenset[str] = frozenset()


#: Courses whose course.yaml exists; a course ships once its first module is written.
RULES = {
    "cpsa": Rules(
        7,
        150,
        (4, 6),
        (5000, 8000),
        (12, 20),
        0.6,
        frozenset({"02-safety-assessment", "03-safe-zone"}),
    ),
    "juvenile-justice": Rules(6, 90, (3, 4), (3000, 5000), (10, 15), 0.5),
}
REQUIRED_BLOCKS = ("case", "activity", "keypoints")


def _course_data(course: str) -> dict:
    path = ROOT / "courses" / course / "course.yaml"
    if not path.exists():
        return {"modules": []}
    return yaml.safe_load(path.read_text(encoding="utf-8"))


MODULES = [
    pytest.param(course, module["slug"], id=f"{course}/{module['slug']}")
    for course in RULES
    for module in _course_data(course)["modules"]
]


def test_shipped_content_validates():
    problems = check_content(ROOT)
    assert not problems, "\n".join(str(p) for p in problems)


def test_shipped_content_has_no_warnings():
    """No quiz gives its key away by length, no feedback is a bare "Yes." (check-content warns)."""
    warnings = inspect_content(ROOT).warnings
    assert not warnings, "\n".join(str(w) for w in warnings)


@pytest.mark.parametrize("course", sorted(RULES))
def test_each_course_uses_short_answer_and_matching_questions(course):
    kinds = Counter(
        q["type"]
        for quiz in sorted((ROOT / "quizzes" / course).glob("*.yaml"))
        if ".ur." not in quiz.name and quiz.name != "pre-post.yaml"
        for q in yaml.safe_load(quiz.read_text(encoding="utf-8"))["questions"]
    )
    assert kinds["short_answer"] >= 2 and kinds["matching"] >= 2, kinds


def _single_module_root(tmp_path: Path, course: str, module_slug: str) -> Path:
    data = _course_data(course)
    data["modules"] = [m for m in data["modules"] if m["slug"] == module_slug]
    course_dir = tmp_path / "courses" / course
    course_dir.mkdir(parents=True)
    (course_dir / "course.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    (course_dir / module_slug).symlink_to(ROOT / "courses" / course / module_slug)
    quiz = ROOT / "quizzes" / course / f"{module_slug}.yaml"
    (tmp_path / "quizzes" / course).mkdir(parents=True)
    if quiz.exists():
        (tmp_path / "quizzes" / course / quiz.name).symlink_to(quiz)
    return tmp_path


def _blocks(html: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for div in BeautifulSoup(html, "html.parser").select("div.admonition"):
        for kind in div.get("class", []):
            counts[kind] = counts.get(kind, 0) + 1
    return counts


@pytest.mark.parametrize(("course", "module_slug"), MODULES)
def test_module_meets_its_brief(tmp_path, course, module_slug):
    rules = RULES[course]
    root = _single_module_root(tmp_path, course, module_slug)
    problems = check_content(root)
    assert not problems, "\n".join(str(p) for p in problems)
    module = load_catalog(root).module(course, module_slug)

    assert module.minutes == rules.module_minutes
    assert sum(lesson.minutes for lesson in module.lessons) == module.minutes
    low, high = rules.lessons
    assert low <= len(module.lessons) <= high, f"{len(module.lessons)} lessons"
    words = sum(lesson.words for lesson in module.lessons)
    assert rules.words[0] <= words <= rules.words[1], f"{words} words"

    worksheets = 0
    for lesson in module.lessons:
        assert lesson.objectives, f"{lesson.path}: no objectives"
        blocks = _blocks(lesson.html)
        for kind in REQUIRED_BLOCKS:
            assert blocks.get(kind, 0) >= 1, f"{lesson.path}: no !!! {kind} block"
        worksheets += blocks.get("worksheet", 0)
    if module_slug in rules.worksheets_in:
        assert worksheets >= 2, f"{module_slug}: {worksheets} worksheets"

    quiz = module.quiz
    assert quiz is not None, f"{module_slug}: no quiz"
    low, high = rules.questions
    assert low <= len(quiz.questions) <= high, f"{len(quiz.questions)} questions"
    scenarios = sum(q.is_scenario for q in quiz.questions)
    assert scenarios >= rules.scenario_share * len(quiz.questions), f"{scenarios} scenarios"
    for question in quiz.questions:
        if isinstance(question, SingleChoice | MultipleChoice):
            assert all(c.feedback.strip() for c in question.choices), question.id
        elif isinstance(question, TrueFalse):
            assert question.feedback_true.strip() and question.feedback_false.strip(), question.id


def _incomplete(course: str) -> bool:
    return len(_course_data(course)["modules"]) < RULES[course].modules


@pytest.mark.parametrize(
    "course",
    [
        pytest.param(
            course,
            marks=pytest.mark.xfail(
                _incomplete(course),
                strict=True,
                reason=f"issues 7/8: not every module of {course} is written yet",
            ),
        )
        for course in RULES
    ],
)
def test_course_is_whole_and_totals_its_hours(course):
    loaded = load_catalog(ROOT).course(course)
    rules = RULES[course]
    assert loaded is not None, f"courses/{course}/course.yaml is not shipped yet"
    assert len(loaded.modules) == rules.modules
    assert loaded.required_minutes == rules.modules * rules.module_minutes


def test_every_shipped_lesson_renders_cleanly(db_url):
    """Each lesson page of the real courses serves, with every block parsed (no stray '!!!')."""
    from lms.config import ROOT as APP_ROOT
    from tests.conftest import Client, make_app
    from tests.factories import make_user

    app = make_app(db_url, LMS_CONTENT_DIR=str(APP_ROOT))
    app.test_client_class = Client
    with app.app_context():
        from lms.extensions import db

        admin = make_user(role="admin")
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = f"{admin.id}.{admin.session_version}"
        for course in load_catalog(ROOT):
            for lesson in course.lessons:
                response = client.get(
                    f"/courses/{lesson.key}", headers={"Accept-Encoding": "identity"}
                )
                assert response.status_code == 200, lesson.key
                page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
                text = page.select_one(".prose").get_text()
                assert "!!!" not in text, f"{lesson.path}: a block was not parsed"
                assert page.select(".prose div.admonition.keypoints"), lesson.key
                for translation in lesson.translations:  # and its page in that language
                    client.set_cookie(i18n.COOKIE, translation.locale)
                    response = client.get(
                        f"/courses/{lesson.key}", headers={"Accept-Encoding": "identity"}
                    )
                    client.delete_cookie(i18n.COOKIE)
                    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
                    prose = page.select_one(".prose")
                    assert prose["lang"] == translation.locale, translation.path
                    assert page.h1.get_text() == translation.title, translation.path
                    assert "!!!" not in prose.get_text(), (
                        f"{translation.path}: a block was not parsed"
                    )
                    assert page.select_one(".untranslated") is None, translation.path
        db.session.remove()
        from tests.conftest import empty_all_tables

        empty_all_tables(db.engine)
        db.engine.dispose()
