"""The content loader: good content loads; each kind of broken content is reported at file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lms.content import ContentInvalid, check_content, load_catalog
from lms.content.markdown import count_words, split_front_matter

GOOD = Path(__file__).parent.parent / "data" / "good"
WELCOME = "courses/demo/01-basics/01-welcome.md"
WELCOME_UR = "courses/demo/01-basics/01-welcome.ur.md"
COURSE = "courses/demo/course.yaml"
QUIZ = "quizzes/demo/01-basics.yaml"
#: the demo course's and its first module's ``translations`` blocks, as course.yaml has them
COURSE_UR = (
    "translations:\n  ur:\n    title: ڈیمو کورس\n    audience: آزمائشی قارئین\n"
    "    summary: |\n      **ٹیسٹوں** کے لیے ایک چھوٹا سا کورس۔\n"
)
BASICS_UR = (
    "    translations:\n      ur:\n        title: بنیادی باتیں\n"
    "        outcomes:\n          - بنیادی باتیں جاننا\n"
)


@pytest.fixture
def content(tmp_path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(GOOD, root)
    return root


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def line_of(root: Path, rel: str, needle: str) -> int:
    for number, line in enumerate((root / rel).read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {rel}")


def only_error(root: Path):
    errors = check_content(root)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def test_good_content_loads_in_order_with_rendered_html():
    catalog = load_catalog(GOOD)
    course = catalog.course("demo")
    assert [m.slug for m in course.modules] == ["01-basics", "02-practice"]
    assert [lesson.slug for lesson in course.modules[0].lessons] == ["welcome", "next-steps"]
    assert course.required_minutes == 30  # the sum of the modules' minutes
    welcome = catalog.lesson("demo", "01-basics", "welcome")
    assert welcome.objectives == ("Find your way around",)
    assert welcome.toc == (("first-section", "First section"), ("second-section", "Second section"))
    assert 'href="/courses/demo/01-basics/next-steps"' in welcome.html
    assert 'href="/courses/demo/02-practice/try-it#doing"' in welcome.html
    assert '<div class="admonition case" role="note">' in welcome.html
    assert course.modules[1].quiz.attempts == 2
    assert course.modules[0].quiz.pass_mark == 70  # the course's, by default
    assert len(catalog.version) == 12


def test_version_changes_with_any_content_file(content):
    before = load_catalog(content).version
    edit(content, QUIZ, "It is 1099.", "The number is 1099.")
    assert load_catalog(content).version != before


def test_bad_yaml_is_reported_at_its_line(content):
    edit(content, COURSE, "pass_mark: 70", "pass_mark: [70")
    error = only_error(content)
    assert error.path == COURSE
    assert error.line >= line_of(content, COURSE, "pass_mark: [70")
    assert "invalid YAML" in error.message


def test_missing_front_matter_field(content):
    edit(content, WELCOME, "minutes: 12\n", "")
    errors = check_content(content)
    assert any(
        e.path == WELCOME and e.line == 2 and "missing `minutes`" in e.message for e in errors
    ), [str(e) for e in errors]


def test_minutes_that_do_not_add_up(content):
    edit(content, WELCOME, "minutes: 12", "minutes: 13")
    edit(content, WELCOME_UR, "minutes: 12", "minutes: 13")  # a translation takes its minutes
    error = only_error(content)
    assert error.path == COURSE
    assert error.line == line_of(content, COURSE, "slug: 01-basics")
    assert "add up to 21" in error.message and "20 minutes" in error.message


def test_missing_quiz_file(content):
    (content / QUIZ).unlink()
    error = only_error(content)
    assert (error.path, error.line) == (COURSE, line_of(content, COURSE, "slug: 01-basics"))
    assert "quizzes/demo/01-basics.yaml is missing" in error.message


def test_broken_link_between_lessons(content):
    edit(content, WELCOME, "(02-next-steps.md)", "(02-no-such-lesson.md)")
    error = only_error(content)
    assert (error.path, error.line) == (WELCOME, line_of(content, WELCOME, "02-no-such-lesson.md"))
    assert "broken link" in error.message


def test_duplicate_key_is_an_error_not_a_silent_overwrite(content):
    edit(content, COURSE, "pass_mark: 70", "pass_mark: 70\npass_mark: 50")
    error = only_error(content)
    assert error.line == line_of(content, COURSE, "pass_mark: 50")
    assert "appears twice" in error.message


def test_unknown_block_and_untitled_case(content):
    edit(content, WELCOME, '!!! activity "Try it"', "!!! exercise")
    edit(content, WELCOME, '!!! case "Case: Amina, 12, Lahore"', "!!! case")
    messages = {(e.line, e.message) for e in check_content(content)}
    assert (
        line_of(content, WELCOME, "!!! exercise"),
        "unknown block `!!! exercise` (known: case, activity, law, warning, worksheet, keypoints)",
    ) in messages
    assert (line_of(content, WELCOME, "!!! case"), "`!!! case` needs a title in double quotes") in (
        messages
    )


def test_quiz_problems_are_all_reported_with_lines(content):
    edit(
        content,
        QUIZ,
        "        correct: true\n        feedback: Right.",
        "        correct: false\n        feedback: Right.",
    )
    edit(content, QUIZ, "id: q-multiple", "id: q-single")
    edit(content, QUIZ, "type: matching", "type: essay")
    errors = [e for e in check_content(content) if e.path == QUIZ]
    text = [f"{e.line}: {e.message}" for e in errors]
    assert any("exactly one correct choice" in t for t in text), text
    assert any("'q-single' is used twice" in t for t in text), text
    assert any(
        e.line == line_of(content, QUIZ, "type: essay") and "unknown type 'essay'" in e.message
        for e in errors
    ), text


def test_unlisted_module_folder_and_orphan_quiz(content):
    (content / "courses/demo/03-extra").mkdir()
    (content / "quizzes/demo/99-orphan.yaml").write_text("questions: []\n")
    messages = [str(e) for e in check_content(content)]
    assert (
        "courses/demo/03-extra:1: module folder 03-extra/ is not listed in course.yaml" in messages
    )
    assert any(m.startswith("quizzes/demo/99-orphan.yaml:1:") for m in messages)


def test_load_raises_with_every_problem(content):
    edit(content, WELCOME, "minutes: 12", "minutes: twelve")
    (content / QUIZ).unlink()
    with pytest.raises(ContentInvalid) as info:
        load_catalog(content)
    assert len(info.value.errors) == 2
    assert f"{WELCOME}:3: `minutes` must be a positive whole number" in str(info.value)


def test_lesson_file_names_and_encoding(content):
    (content / "courses/demo/01-basics/Intro.md").write_text("---\ntitle: x\n---\n")
    (content / "courses/demo/01-basics/03-latin1.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    messages = [str(e) for e in check_content(content)]
    assert any("Intro.md:1: a lesson file is named NN-lowercase-slug.md" in m for m in messages)
    assert any("03-latin1.md:1: not UTF-8 text" in m for m in messages)


def test_front_matter_split_and_word_count():
    front = split_front_matter("---\ntitle: A\nminutes: 1\n---\n\nBody text here.\n")
    assert front.text == "title: A\nminutes: 1\n"
    assert front.body_line == 5
    assert count_words("Child protection is everyone's business — really.") == 6
    assert split_front_matter("no front matter") is None


@pytest.mark.parametrize("bad", ["0", "-1", "2.5", "three", "true", "[3]"])
def test_valid_for_years_must_be_a_positive_whole_number(content, bad):
    edit(content, COURSE, "valid_for_years: 2", f"valid_for_years: {bad}")
    error = only_error(content)
    assert (error.path, error.line) == (COURSE, line_of(content, COURSE, "valid_for_years:"))
    assert "`valid_for_years` must be a positive whole number" in error.message


def test_valid_for_years_is_optional(content):
    assert load_catalog(content).course("demo").valid_for_years == 2
    edit(content, COURSE, "valid_for_years: 2\n", "")
    assert load_catalog(content).course("demo").valid_for_years is None


def test_cpsa_certificates_are_valid_for_three_years():
    from lms.config import ROOT
    from lms.content.yamlio import parse_yaml

    data = parse_yaml((ROOT / "courses" / "cpsa" / "course.yaml").read_text(encoding="utf-8"), 1)
    assert data["valid_for_years"] == 3


def test_a_course_title_may_carry_its_urdu_translation(content):
    course = load_catalog(content).course("demo")
    assert course.title_in("ur") == "ڈیمو کورس"
    assert course.title_in("en") == course.title == "Demo Course"
    edit(content, COURSE, COURSE_UR, "")
    assert load_catalog(content).course("demo").title_in("ur") == "Demo Course"  # the original


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  ur:\n", "  fr:\n", "`translations` has no language 'fr' (one of: ur)"),
        ("    title: ڈیمو کورس\n", "    title: ''\n", "missing `title`"),
        ("    title: ڈیمو کورس\n", "    title: [a]\n", "`title` must be text"),
        (
            "    title: ڈیمو کورس\n",
            "    title: ڈیمو کورس\n    certificate_title: x\n",
            "unknown key `certificate_title`",
        ),
        (
            COURSE_UR.removeprefix("translations:\n"),
            "  ur: ڈیمو کورس\n",
            "`translations.ur` must be a mapping",
        ),
        (
            COURSE_UR,
            "translations: [ur]\n",
            "must be a mapping",
        ),
    ],
    ids=["unknown-language", "empty", "not-text", "unknown-key", "not-a-mapping", "a-list"],
)
def test_a_bad_translation_is_reported_at_its_line(content, old, new, message):
    edit(content, COURSE, old, new)
    error = only_error(content)
    assert error.path == COURSE and message in error.message
    assert error.line == line_of(content, COURSE, new.strip().splitlines()[-1].strip())


def test_the_shipped_courses_carry_their_urdu_titles():
    from lms.config import ROOT

    catalog = load_catalog(ROOT)
    assert catalog.course("cpsa").title_in("ur") == "بچوں کے تحفظ اور حفاظت سے آگاہی"
    assert catalog.course("juvenile-justice").title_in("ur") == "جووینائل جسٹس اور بچوں کے حقوق"


def test_a_module_title_may_carry_its_urdu_translation(content):
    module = load_catalog(content).module("demo", "01-basics")
    assert module.title_in("ur") == "بنیادی باتیں"
    assert module.title_in("en") == module.title == "Basics"
    # the page's copy of the course keeps the translation (lessons in Urdu, titles by title_in)
    assert load_catalog(content).course_in("demo", "ur").modules[0].title_in("ur") == "بنیادی باتیں"
    edit(content, COURSE, BASICS_UR, "")
    assert load_catalog(content).module("demo", "01-basics").title_in("ur") == "Basics"


@pytest.mark.parametrize(
    ("old", "new", "message", "at"),
    [
        ("      ur:\n        title: مشق\n", "      fr:\n        title: مشق\n",
         "module 02-practice: `translations` has no language 'fr' (one of: ur)", "fr:"),
        ("        title: مشق\n", "        title: ''\n", "missing `title`", "title: ''"),
        ("        title: مشق\n", "        title: مشق\n        minutes: 5\n",
         "unknown key `minutes` in translations.ur", "minutes: 5"),
        ("      ur:\n        title: مشق\n", "      ur: مشق\n",
         "module 02-practice: `translations.ur` must be a mapping", "ur: مشق"),
        ("    translations:\n      ur:\n        title: مشق\n", "    translations: [ur]\n",
         "module 02-practice: `translations` must be a mapping", "translations: [ur]"),
    ],
    ids=["unknown-language", "empty", "unknown-key", "not-a-mapping", "a-list"],
)  # fmt: skip
def test_a_bad_module_translation_is_reported_at_its_line(content, old, new, message, at):
    edit(content, COURSE, old, new)
    error = only_error(content)
    assert error.path == COURSE and message in error.message
    assert error.line == line_of(content, COURSE, at)


def test_a_module_without_the_courses_languages_is_warned_about(content):
    from lms.content import inspect_content

    edit(content, COURSE, "    translations:\n      ur:\n        title: مشق\n", "")
    report = inspect_content(content)
    assert report.catalog is not None  # a warning, never an error
    (warning,) = [w for w in report.warnings if w.path == COURSE and "has no title" in w.message]
    assert warning.line == line_of(content, COURSE, "- slug: 02-practice")
    assert "module 02-practice has no title in 'ur'" in warning.message


def test_the_shipped_modules_all_carry_their_urdu_titles():
    from lms.config import ROOT

    for course in load_catalog(ROOT):
        for module in course.modules:
            urdu = module.title_in("ur")
            assert urdu != module.title and not any(
                "a" <= ch.lower() <= "z" for ch in urdu if module.slug != "07-learning-to-pause"
            )
    jj = load_catalog(ROOT).course("juvenile-justice")
    # the glossary's terms (docs/reviews/jj-urdu-glossary*.md): ضمانت، ڈائیورژن، تحویل، پروبیشن
    assert jj.module("04-bail-and-diversion").title_in("ur") == "ضمانت اور ڈائیورژن"
    assert "تحویل" in jj.module("03-arrest-custody-age").title_in("ur")
    assert "پروبیشن" in jj.module("05-court-and-reintegration").title_in("ur")
