"""``flask --app lms lms ...`` commands."""

from __future__ import annotations

import re
import shutil
import sqlite3

from click.testing import CliRunner
from sqlalchemy import select

from lms.cli import lms_cli
from lms.extensions import db
from lms.models.users import User
from tests.conftest import GOOD_CONTENT, make_app
from tests.factories import make_user


def test_check_content_passes_good_content_without_building_the_app():
    result = CliRunner().invoke(lms_cli, ["check-content", "--root", str(GOOD_CONTENT)])
    assert result.exit_code == 0, result.output
    assert "demo: 2 modules, 3 lessons, 6 quiz questions, 0.5 hours" in result.output
    assert "  ur: 1 of 3 lessons and 1 of 2 quizzes translated" in result.output


def test_check_content_reports_a_translation_that_leaves_its_original(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(GOOD_CONTENT, root)
    lesson = root / "courses/demo/01-basics/01-welcome.ur.md"
    lesson.write_text(lesson.read_text().replace("## دوسرا حصہ", "### دوسرا حصہ"))
    quiz = root / "quizzes/demo/01-basics.ur.yaml"
    quiz.write_text(
        quiz.read_text().replace(
            "      - text: سنیں\n", "      - text: سنیں\n        correct: true\n"
        )
    )
    result = CliRunner().invoke(lms_cli, ["check-content", "--root", str(root)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(
        line.startswith("courses/demo/01-basics/01-welcome.ur.md:26: heading 2 is `### دوسرا حصہ`")
        for line in lines
    ), result.output
    assert any(
        line.startswith("quizzes/demo/01-basics.ur.yaml:10: question q-single: `correct` does not")
        for line in lines
    ), result.output
    assert "2 problems in" in result.output


def test_check_content_lists_every_problem_and_fails(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(GOOD_CONTENT, root)
    (root / "quizzes/demo/02-practice.yaml").unlink()
    lesson = root / "courses/demo/01-basics/01-welcome.md"
    lesson.write_text(lesson.read_text().replace("minutes: 12", "minutes: twelve"))
    result = CliRunner().invoke(lms_cli, ["check-content", "--root", str(root)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if re.match(r"^\S+:\d+: ", line)]
    assert len(lines) >= 2, result.output
    assert any(line.startswith("courses/demo/course.yaml:") for line in lines)
    assert any(line.startswith("courses/demo/01-basics/01-welcome.md:") for line in lines)


def test_seed_demo_creates_three_accounts_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(lms_cli, args=["seed-demo"], catch_exceptions=False)
    passwords = re.findall(
        r"^\s+(admin|instructor|learner)\s+(\S+@\S+)\s+(\S+)$", first.output, re.M
    )
    assert [role for role, _, _ in passwords] == ["admin", "instructor", "learner"]
    roles = dict(db.session.execute(select(User.email, User.role)).all())
    assert sorted(roles.values()) == ["admin", "instructor", "learner"]
    for _, email, password in passwords:
        assert db.session.scalar(select(User).filter_by(email=email)).check_password(password)

    second = runner.invoke(lms_cli, args=["seed-demo"], catch_exceptions=False)
    assert "nothing created" in second.output
    assert db.session.query(User).count() == 3
    assert not re.search(r"@\S+\s+\S+$", second.output, re.M)


def test_seed_demo_reset_prints_new_passwords_for_demo_accounts_only(app, learner):
    runner = app.test_cli_runner()
    refused = runner.invoke(lms_cli, args=["seed-demo", "--reset"])
    assert refused.exit_code != 0 and "No demo account" in refused.output
    db.session.query(User).delete()
    db.session.commit()
    runner.invoke(lms_cli, args=["seed-demo"], catch_exceptions=False)
    other = make_user(email="someone@example.org")
    other_hash = other.password_hash
    result = runner.invoke(lms_cli, args=["seed-demo", "--reset"], catch_exceptions=False)
    fresh = re.findall(r"^\s+(admin|instructor|learner)\s+(\S+@\S+)\s+(\S+)$", result.output, re.M)
    assert [role for role, _, _ in fresh] == ["admin", "instructor", "learner"]
    db.session.expire_all()
    for _, email, password in fresh:
        assert db.session.scalar(select(User).filter_by(email=email)).check_password(password)
    assert db.session.get(User, other.id).password_hash == other_hash


def test_create_admin_creates_or_promotes(app, learner):
    runner = app.test_cli_runner()
    result = runner.invoke(
        lms_cli,
        args=[
            "create-admin",
            "--email",
            "Head@Example.org",
            "--name",
            "Head Office",
            "--password",
            "a very long password",
        ],
    )
    assert result.exit_code == 0, result.output
    head = db.session.scalar(select(User).filter_by(email="head@example.org"))
    assert head.role == "admin" and head.check_password("a very long password")

    result = runner.invoke(
        lms_cli,
        args=["create-admin", "--email", learner.email, "--name", "x", "--password", "whatever12"],
    )
    assert "now an administrator" in result.output
    db.session.refresh(learner)
    assert learner.role == "admin"


def test_create_admin_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(
        lms_cli,
        args=["create-admin", "--email", "a@example.org", "--name", "A", "--password", "short"],
    )
    assert result.exit_code != 0
    assert db.session.query(User).count() == 0


def test_backup_copies_the_sqlite_database(tmp_path):
    database = tmp_path / "live.sqlite3"
    app = make_app(f"sqlite:///{database}")
    with app.app_context():
        db.create_all()
        db.session.add(
            User(
                email="a@example.org",
                full_name="A",
                password_hash="x",
                role="learner",
                organisation_type="ngo",
                province="Sindh",
            )
        )
        db.session.commit()
        target = tmp_path / "copy.sqlite3"
        result = app.test_cli_runner().invoke(lms_cli, args=["backup", str(target)])
        assert result.exit_code == 0, result.output
        db.engine.dispose()
    with sqlite3.connect(target) as copy:
        assert copy.execute('select email from "user"').fetchall() == [("a@example.org",)]


def test_check_content_lists_warnings_with_file_line_but_passes():
    weak = GOOD_CONTENT.parent / "weak-quiz"
    result = CliRunner().invoke(lms_cli, ["check-content", "--root", str(weak)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if ": warning: " in line]
    assert any(
        line.startswith("quizzes/weak/01-only.yaml:1: warning: ") and "2 of 3" in line
        for line in warnings
    ), result.output
    assert any(line.startswith("courses/weak/course.yaml:1: warning: ") for line in warnings)
    assert any(
        re.match(r"^quizzes/weak/01-only\.yaml:\d+: warning: question w-2", w) for w in warnings
    )
    assert "3 warnings" in result.output
    assert "content version" in result.output and ": OK" in result.output


def test_prune_forgets_heartbeat_tabs_silent_for_a_day(app, learner):
    """The maintenance command that keeps ``heartbeat_tab`` small (the heartbeat never deletes)."""
    from lms.models.hours import HeartbeatTab
    from lms.services import clock

    now_ms = int(clock.now().timestamp() * 1000)
    for tab, seen_at in (("stale-tab", now_ms - 25 * 3600_000), ("live-tab", now_ms - 60_000)):
        db.session.add(HeartbeatTab(user_id=learner.id, tab=tab, last_seq=3, seen_at=seen_at))
    db.session.commit()
    result = app.test_cli_runner().invoke(lms_cli, args=["prune"])
    assert result.exit_code == 0, result.output
    assert "Pruned 1 heartbeat tab not heard from" in result.output
    assert db.session.scalars(select(HeartbeatTab.tab)).all() == ["live-tab"]


# --- the command line in Urdu (LMS_CLI_LOCALE) -----------------------------------------------------
def _broken(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(GOOD_CONTENT, root)
    lesson = root / "courses/demo/01-basics/01-welcome.md"
    lesson.write_text(lesson.read_text().replace("minutes: 12", "minutes: twelve"))
    course = root / "courses/demo/course.yaml"
    course.write_text(course.read_text().replace("      ur:\n        title: مشق\n",
                                                 "      fr:\n        title: مشق\n"))  # fmt: skip
    return root


def test_check_content_reports_in_urdu_with_lms_cli_locale_ur(tmp_path):
    root = _broken(tmp_path)
    result = CliRunner(env={"LMS_CLI_LOCALE": "ur"}).invoke(
        lms_cli, ["check-content", "--root", str(root)]
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    # file:line: as ever, then the message in Urdu
    assert "courses/demo/01-basics/01-welcome.md:3: `minutes` ایک مثبت پورا عدد ہونا چاہیے" in lines
    assert any(
        re.fullmatch(r"courses/demo/course\.yaml:\d+: ماڈیول 02-practice: `translations` میں زبان "
                     r"'fr' نہیں ہو سکتی \(ان میں سے ایک: ur\)", line)
        for line in lines
    ), result.output  # fmt: skip
    assert any(re.search(r":\d+: انتباہ: سوال q-single: انتخاب 'Listen' کا فیڈبیک", line)
               for line in lines), result.output  # fmt: skip
    assert f"{root} میں 2 مسائل" in lines
    assert "must be a positive whole number" not in result.output


def test_check_content_speaks_english_without_the_variable_or_for_another_language(tmp_path):
    root = _broken(tmp_path)
    for env in ({}, {"LMS_CLI_LOCALE": "fr"}):
        result = CliRunner(env=env).invoke(lms_cli, ["check-content", "--root", str(root)])
        assert (
            "courses/demo/01-basics/01-welcome.md:3: `minutes` must be a positive whole number"
            in (result.output)
        )
        assert "2 problems in" in result.output and "warning: question q-single" in result.output
    good = CliRunner(env={"LMS_CLI_LOCALE": "ur"}).invoke(
        lms_cli, ["check-content", "--root", str(GOOD_CONTENT)]
    )
    assert good.exit_code == 0, good.output
    assert "demo: 2 ماڈیول" in good.output and "مواد کا ورژن" in good.output


def test_help_is_in_urdu_with_lms_cli_locale_ur():
    urdu = CliRunner(env={"LMS_CLI_LOCALE": "ur"})
    group = urdu.invoke(lms_cli, ["--help"]).output
    assert group.startswith("استعمال: ")
    assert "چلڈرنز چیمپئنز LMS کی کمانڈز۔" in group
    assert "اختیارات:" in group and "کمانڈز:" in group
    assert re.search(r"check-content +ہر کورس، سبق اور کوئز کی جانچ کریں", group), group
    command = urdu.invoke(lms_cli, ["check-content", "--help"]).output
    assert "ہر کورس، سبق اور کوئز کی جانچ کریں" in command
    assert "مواد کا فولڈر جس میں courses/ اور quizzes/ ہوں" in command  # --root
    assert "یہ پیغام دکھائیں اور بند کریں۔" in command  # --help itself
    assert not re.search(r"\b(Validate|Options|Usage|Show this message)\b", command), command
    keys = urdu.invoke(lms_cli, ["keys", "rotate", "--help"]).output
    assert "نئی دستخطی کلید بنائیں۔" in keys
    # and English as before without it; the English help is the same text as ever
    english = CliRunner().invoke(lms_cli, ["check-content", "--help"]).output
    assert english.startswith("Usage: ") and "Validate every course, lesson and quiz" in english
    assert "Content folder holding courses/ and quizzes/" in english
    assert "Show this message and exit." in english


def test_every_commands_help_has_its_urdu_translation():
    """A command added later, or a new option, without Urdu would print English in an Urdu help."""
    import click

    from lms.content import text

    def helps(command: click.Command):
        yield command.help
        for param in command.params:
            yield getattr(param, "help", None)
        for sub in getattr(command, "commands", {}).values():
            yield from helps(sub)

    with text.speaking("ur"):
        untranslated = [h for h in helps(lms_cli) if h and text._(h) == h]
    assert untranslated == []


def test_import_gift_speaks_urdu_with_lms_cli_locale_ur(tmp_path):
    source = tmp_path / "in.gift"
    source.write_text("Q1 {=a ~b}\n\nHow many? {#3:1}\n", encoding="utf-8")
    target = tmp_path / "out.yaml"
    urdu = CliRunner(env={"LMS_CLI_LOCALE": "ur"})
    result = urdu.invoke(
        lms_cli, ["import-gift", str(source), "--out", str(target), "--skip-unsupported"]
    )
    assert result.exit_code == 0, result.output
    assert f"1 سوال {target} میں لکھا گیا؛ 1 چھوڑ دیے گئے" in result.output
    assert f"چھوڑ دیا گیا {source}:3: " in result.output
    result = urdu.invoke(lms_cli, ["import-gift", str(source), "--out", str(target)])
    assert result.exit_code != 0
    assert f"{target} پہلے سے موجود ہے؛" in result.output


def test_create_admin_asks_in_urdu_with_lms_cli_locale_ur(app):
    """Its prompts (and the password's confirmation) are the interface's words, in Urdu."""
    from lms.content import text

    runner = app.test_cli_runner(env={"LMS_CLI_LOCALE": "ur"})
    answers = "head@example.org\nHead Office\na very long password\na very long password\n"
    result = runner.invoke(lms_cli, args=["create-admin"], input=answers)
    assert result.exit_code == 0, result.output
    with text.speaking("ur"):
        asked = [text._(word) for word in ("E-mail", "Full name", "Password", "Password again")]
    for prompt in asked:
        assert f"{prompt}: " in result.output, result.output
    assert "Full name" not in result.output and "Repeat for confirmation" not in result.output
