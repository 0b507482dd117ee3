"""``flask --app lms lms ...``: content checks, accounts, demo data, backups, maintenance.

The commands speak English, or Urdu with ``LMS_CLI_LOCALE=ur``: their messages and the services'
errors (Flask-Babel, in the app's context), check-content's report (``lms.content.text``: it runs
without the app, and the content's problems are made in that language), and ``--help`` (each
command's and option's help is marked with ``N_`` and translated when the help is shown,
``LocalisedCommand``).
"""

from __future__ import annotations

import functools
import inspect
import os
import secrets
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click
import yaml
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from lms import i18n
from lms.certificates import codes
from lms.config import ROOT
from lms.content import gift, inspect_content, locales, text
from lms.content.loader import read_quiz_file
from lms.content.text import N_
from lms.extensions import db
from lms.models.users import User
from lms.services import ServiceError, accounts, clock, heartbeat, jobs, recovery
from lms.web.links import public_url


def cli_locale() -> str:
    """The commands' language: ``LMS_CLI_LOCALE`` if it names one of the interface's, else English."""
    return i18n.known(os.environ.get("LMS_CLI_LOCALE")) or i18n.DEFAULT_LOCALE


#: click's own words in a help page, for the catalogue (click passes them to the formatter)
CLICK_WORDS = (N_("Usage:"), N_("Options"), N_("Commands"), N_("Arguments"),
               N_("Show this message and exit."))  # fmt: skip


def _help(value: str | None) -> str | None:
    """A help text in the commands' language (``speaking`` is active while help is shown)."""
    return inspect.cleandoc(text._(value)) if value else value


class _Formatter(click.HelpFormatter):
    """Click's help formatter with its headings and usage prefix in the commands' language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix if prefix is not None else f"{text._('Usage:')} ")

    def write_heading(self, heading: str) -> None:
        super().write_heading(text._(heading))


class _Context(click.Context):
    formatter_class = _Formatter


class _LocalisedHelp:
    """``--help`` in ``cli_locale()``: the command's help, its short help in a group's list, and
    each option's help translated when shown (click keeps them as written, in English)."""

    context_class = _Context

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with text.speaking(cli_locale()):
            params = self.get_params(ctx)
            english = [(p, getattr(p, "help", None)) for p in params]
            english_help = self.help
            try:
                self.help = _help(english_help)
                for param, value in english:
                    if value:
                        param.help = _help(value)
                super().format_help(ctx, formatter)
            finally:
                self.help = english_help
                for param, value in english:
                    if value:
                        param.help = value

    def get_short_help_str(self, limit: int = 45) -> str:
        with text.speaking(cli_locale()):
            english, self.help = self.help, _help(self.help)
            try:
                return super().get_short_help_str(limit)
            finally:
                self.help = english


class LocalisedOption(click.Option):
    """An option whose prompt (and its confirmation) is asked in ``cli_locale()``."""

    def prompt_for_value(self, ctx: click.Context):
        english = self.prompt, self.confirmation_prompt
        with text.speaking(cli_locale()):
            self.prompt = text._(english[0]) if english[0] else english[0]
            if isinstance(english[1], str):
                self.confirmation_prompt = text._(english[1])
            try:
                return super().prompt_for_value(ctx)
            finally:
                self.prompt, self.confirmation_prompt = english


class LocalisedCommand(_LocalisedHelp, click.Command):
    """A command whose ``--help`` is in ``cli_locale()``."""


class LocalisedGroup(_LocalisedHelp, AppGroup):
    """An ``AppGroup`` whose commands run in ``cli_locale()`` and whose help is in it."""

    def command(self, *args, **kwargs):
        kwargs.setdefault("cls", LocalisedCommand)
        register = super().command(*args, **kwargs)

        def decorator(f):
            @functools.wraps(f)
            def in_locale(*f_args, **f_kwargs):
                with force_locale(cli_locale()), text.speaking(cli_locale()):
                    return f(*f_args, **f_kwargs)

            return register(in_locale)

        return decorator


lms_cli = LocalisedGroup("lms", help=N_("Children's Champions LMS commands."))


@lms_cli.command(
    "check-content",
    with_appcontext=False,
    help=N_(
        "Validate every course, lesson and quiz; list every problem and exit 1 if there is any.\n\n"
        "Warnings (quizzes that length gives away, feedback too short to say why) are listed "
        "too, but never fail the check: the site starts with them. Runs without building the "
        "app, so it still works (and says why) when the content is broken."
    ),
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=N_(
        "Content folder holding courses/ and quizzes/ (default: LMS_CONTENT_DIR or the repository)."
    ),
)
def check_content_command(root: Path | None) -> None:
    # no app, so no Flask-Babel: the report, the content's problems included, speaks through
    # lms.content.text (``LocalisedGroup`` made it speak ``cli_locale()``)
    root = root or Path(os.environ.get("LMS_CONTENT_DIR") or ROOT)
    report = inspect_content(root)
    for error in report.errors:
        click.echo(str(error), err=True)
    for warning in report.warnings:
        click.echo(str(warning), err=True)
    if report.warnings:
        count = len(report.warnings)
        click.echo(text.ngettext("%(num)d warning in %(root)s", "%(num)d warnings in %(root)s",
                                 count, root=root), err=True)  # fmt: skip
    if report.errors or report.catalog is None:
        count = len(report.errors)
        click.echo(text.ngettext("%(num)d problem in %(root)s", "%(num)d problems in %(root)s",
                                 count, root=root), err=True)  # fmt: skip
        raise click.exceptions.Exit(1)
    catalog = report.catalog
    for course in catalog:
        lessons = sum(len(m.lessons) for m in course.modules)
        questions = sum(len(m.quiz.questions) for m in course.modules if m.quiz)
        click.echo(
            text._("%(course)s: %(modules)d modules, %(lessons)d lessons, %(questions)d quiz "
                   "questions, %(hours)s hours", course=course.slug, modules=len(course.modules),
                   lessons=lessons, questions=questions, hours=f"{course.required_minutes / 60:g}")
        )  # fmt: skip
        quizzes = [m.quiz for m in course.modules if m.quiz]
        for locale in locales.TRANSLATIONS:
            done = sum(lesson.in_locale(locale) is not lesson for lesson in course.lessons)
            done_quizzes = sum(quiz.in_locale(locale) is not quiz for quiz in quizzes)
            if done or done_quizzes:
                click.echo(
                    text._("  %(locale)s: %(done)d of %(lessons)d lessons and %(quizzes)d of "
                           "%(total)d quizzes translated", locale=locale, done=done,
                           lessons=lessons, quizzes=done_quizzes, total=len(quizzes))
                )  # fmt: skip
    click.echo(text._("content version %(version)s: OK", version=catalog.version))


def _profile(name: str, email: str, org_type: str = "other") -> accounts.Profile:
    return accounts.Profile(
        name,
        email,
        org_type,
        "Children's Champions",
        "",
        "Islamabad Capital Territory",
        "Islamabad",
    )


@lms_cli.command(
    "create-admin",
    help=N_("Create an administrator account (or make an existing account an administrator)."),
)
@click.option("--email", prompt=N_("E-mail"), cls=LocalisedOption)
@click.option("--name", "full_name", prompt=N_("Full name"), cls=LocalisedOption)
@click.password_option(
    prompt=N_("Password"),
    confirmation_prompt=N_("Password again"),
    help=N_("At least 10 characters."),
    cls=LocalisedOption,
)
def create_admin(email: str, full_name: str, password: str) -> None:
    user = accounts.find_by_email(db.session, email)
    if user is not None:
        user.role = "admin"
        db.session.commit()
        click.echo(_("%(email)s is now an administrator.", email=user.email))
        return
    try:
        user = accounts.create_user(
            db.session, _profile(full_name, email), password, now=clock.now(), role="admin"
        )
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(_("Administrator %(email)s created.", email=user.email))


@lms_cli.command(
    "reset-link",
    help=N_(
        "Print a one-time link (valid 7 days) for EMAIL to choose a new password. Audited.\n\n"
        "For an administrator who is locked out; the password itself is never shown or set here."
    ),
)
@click.argument("email")
def reset_link(email: str) -> None:
    user = accounts.find_by_email(db.session, email)
    if user is None:
        raise click.ClickException(_("No account has the e-mail address %(email)s.", email=email))
    try:
        code = recovery.issue_link(db.session, user, by=None, now=clock.now(), via="cli")
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    until = f"{user.setup_expires_at:%Y-%m-%d %H:%M}"
    click.echo(_("One-time link for %(email)s (valid until %(until)s UTC):", email=user.email,
                 until=until))  # fmt: skip
    click.echo(f"  {public_url(f'/welcome/{code}')}")
    click.echo("  " + _("or open %(page)s and type the code %(code)s", page=public_url("/welcome"),
                        code=codes.grouped(code)))  # fmt: skip


DEMO_ACCOUNTS = (
    ("admin", "Programme Administrator", "admin@demo.childrens-champions.example", "other"),
    (
        "instructor",
        "Instructor Sana Baloch",
        "instructor@demo.childrens-champions.example",
        "police",
    ),
    ("learner", "Learner Imran Qureshi", "learner@demo.childrens-champions.example", "ngo"),
)


@lms_cli.command(
    "seed-demo",
    help=N_(
        "On an empty database, create one admin, one instructor and one learner; print their "
        "passwords once.\n\n"
        "With --reset, the demo accounts get new passwords, printed again; no other account "
        "is touched."
    ),
)
@click.option(
    "--reset",
    is_flag=True,
    help=N_("Give the three demo accounts new passwords and print them (demo databases only)."),
)
def seed_demo(reset: bool) -> None:
    if current_app.config.get("LMS_ENV") == "production":
        raise click.ClickException(_("seed-demo is for demonstration databases, not production."))
    if reset:
        _reset_demo_passwords()
        return
    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo(
            _(
                "Demo accounts: the database already has accounts; nothing created "
                "(`flask --app lms lms seed-demo --reset` prints new demo passwords)."
            )
        )
        return
    click.echo(_("Demo accounts (shown once; write them down):"))
    for role, name, email, org_type in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(9)
        accounts.create_user(
            db.session, _profile(name, email, org_type), password, now=clock.now(), role=role
        )
        click.echo(f"  {role:<10} {email:<45} {password}")
    db.session.commit()


def _reset_demo_passwords() -> None:
    found = 0
    lines = []
    for role, _name, email, _org_type in DEMO_ACCOUNTS:
        user = accounts.find_by_email(db.session, email)
        if user is None:
            continue
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        user.must_change_password = False
        user.session_version += 1  # sessions made with the old password end
        found += 1
        lines.append(f"  {role:<10} {email:<45} {password}")
    if not found:
        raise click.ClickException(
            _(
                "No demo account in this database; run `flask --app lms lms seed-demo` on an "
                "empty one."
            )
        )
    db.session.commit()
    click.echo(_("Demo accounts, new passwords (write them down):"))
    for line in lines:
        click.echo(line)


@lms_cli.command(
    "backup",
    help=N_("Write a consistent copy of the SQLite database (for PostgreSQL, use pg_dump)."),
)
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path), required=False)
def backup(target: Path | None) -> None:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise click.ClickException(
            _("backup copies the embedded SQLite database; for PostgreSQL use pg_dump.")
        )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = target or Path(current_app.instance_path) / "backups" / f"lms-{stamp}.sqlite3"
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(url.database)
    copy = sqlite3.connect(target)
    with copy:
        source.backup(copy)  # SQLite's online backup: a consistent snapshot while the site runs
    copy.close()
    source.close()
    click.echo(_("Backup written to %(path)s", path=target))


@lms_cli.command(
    "prune",
    help=N_(
        "Delete what the hours rule no longer needs: heartbeat tabs silent for a day. Run it daily."
    ),
)
def prune() -> None:
    removed = heartbeat.prune_tabs(db.session, now=clock.now())
    hours = int(heartbeat.TAB_KEPT.total_seconds() // 3600)
    click.echo(
        ngettext(
            "Pruned %(num)d heartbeat tab not heard from in the last %(hours)d hours.",
            "Pruned %(num)d heartbeat tabs not heard from in the last %(hours)d hours.",
            removed,
            hours=hours,
        )
    )
    removed = jobs.prune(db.session, now=clock.now())
    db.session.commit()
    click.echo(
        ngettext(
            "Deleted %(num)d background job finished more than %(days)d days ago.",
            "Deleted %(num)d background jobs finished more than %(days)d days ago.",
            removed,
            days=jobs.KEPT.days,
        )
    )


@lms_cli.command(
    "worker",
    help=N_(
        "Run a job worker: bulk issuing, registers, large roster imports and exports (RQ on "
        "Redis).\n\n"
        "Needs LMS_REDIS_URL, the same on the web servers and the workers. Without it, jobs "
        "run inline in the request that starts them and no worker is needed."
    ),
)
@click.option(
    "--burst", is_flag=True, help=N_("Stop once the queue is empty (for tests and cron).")
)
def worker(burst: bool) -> None:
    from lms import jobs as background

    if not background.redis_url():
        raise click.ClickException(
            _(
                "LMS_REDIS_URL is not set, so jobs run inline in the web requests and no worker "
                "is needed. Set it (for example redis://127.0.0.1:6379/1) on the web servers and "
                "here."
            )
        )
    background.run_worker(current_app, burst=burst)


def _mail_sender():
    """``send_mail(to, subject, body)`` from ``lms.mail`` when a mail server is configured, else
    None. (``lms.mail`` is the mail module; without it, or without a server, there is no e-mail.)"""
    import importlib

    try:
        mail = importlib.import_module("lms.mail")
    except ImportError:
        return None
    return mail.send_mail if mail.mail_configured() else None


@lms_cli.command(
    "send-reminders",
    help=N_("E-mail certificate expiry reminders that are due; each one once. Run it daily."),
)
def send_reminders_command() -> None:
    from flask import render_template

    from lms.services import reminders
    from lms.web.links import public_url

    send_mail = _mail_sender()
    if send_mail is None:
        click.echo(_("No mail server is configured: expiry reminders show on dashboards only."))
        return
    config = current_app.config

    def send(user, due) -> None:
        body = render_template(
            "mail/expiry_reminder.txt", user=user, reminders=due,
            dashboard_url=public_url("/dashboard"), issuer_name=config["LMS_ISSUER_NAME"],
        )  # fmt: skip
        subject = (
            "Your certificate expires soon: take the refresher"
            if len(due) == 1
            else "Your certificates expire soon: take the refresher"
        )
        send_mail(user.email, subject, body)

    outcome = reminders.send_reminders(db.session, now=clock.now(), send=send)
    click.echo(
        ngettext(
            "Sent %(num)d reminder message; %(failed)d failed (retried next run).",
            "Sent %(num)d reminder messages; %(failed)d failed (retried next run).",
            outcome.sent,
            failed=outcome.failed,
        )
    )


@lms_cli.command(
    "import-gift",
    with_appcontext=False,
    help=N_(
        "Convert a Moodle GIFT file into a quiz file. Nothing is written if anything is refused."
    ),
)
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "target",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("The quiz file to write (quizzes/<course>/<module>.yaml)."),
)
@click.option(
    "--skip-unsupported",
    is_flag=True,
    help=N_("Import the questions we support and list the ones skipped."),
)
@click.option("--force", is_flag=True, help=N_("Replace TARGET if it exists."))
def import_gift(source: Path, target: Path, skip_unsupported: bool, force: bool) -> None:
    if target.exists() and not force:
        raise click.ClickException(
            text._("%(target)s exists; pass --force to replace it.", target=target)
        )
    try:
        source_text = source.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(text._("%(source)s: not UTF-8 text", source=source)) from None
    try:
        imported = gift.read_gift(source_text, skip_unsupported=skip_unsupported)
    except gift.GiftError as error:
        raise click.ClickException(f"{source}:{error.line}: {error.message}") from None
    if not imported.questions:
        raise click.ClickException(
            text._("%(source)s: no question of a supported type", source=source)
        )
    document = {**imported.settings, "questions": imported.questions}
    rendered = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    with tempfile.TemporaryDirectory() as tmp:
        draft = Path(tmp) / target.name
        draft.write_text(rendered, encoding="utf-8")
        _, errors = read_quiz_file(draft)
    if errors:
        for error in errors:
            click.echo(f"{source}: {error.message}", err=True)
        raise click.ClickException(
            text._("the imported questions do not validate; nothing written")
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_text(rendered, encoding="utf-8")
    partial.replace(target)
    for line, reason in imported.skipped:
        click.echo(text._("skipped %(where)s: %(reason)s", where=f"{source}:{line}", reason=reason),
                   err=True)  # fmt: skip
    for line, note in imported.notes:
        click.echo(text._("note %(where)s: %(note)s", where=f"{source}:{line}", note=note),
                   err=True)  # fmt: skip
    written = text.ngettext("%(num)d question written to %(target)s",
                            "%(num)d questions written to %(target)s",
                            len(imported.questions), target=target)  # fmt: skip
    if imported.skipped:
        written += text._("; %(count)d skipped", count=len(imported.skipped))
    click.echo(written)


@lms_cli.command(
    "export-gift",
    with_appcontext=False,
    help=N_("Write a quiz file's questions as Moodle GIFT (importable back without loss)."),
)
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "target",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("The GIFT file to write."),
)
def export_gift(source: Path, target: Path) -> None:
    _, errors = read_quiz_file(source)
    if errors:
        for error in errors:
            click.echo(f"{source}:{error.line}: {error.message}", err=True)
        raise click.ClickException(text._("the quiz file does not validate; nothing written"))
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    settings = {k: data[k] for k in ("title", "pass_mark", "attempts", "shuffle") if k in data}
    target.write_text(gift.write_gift(settings, data["questions"]), encoding="utf-8")
    click.echo(text.ngettext("%(num)d question written to %(target)s",
                             "%(num)d questions written to %(target)s",
                             len(data["questions"]), target=target))  # fmt: skip


keys_cli = LocalisedGroup(
    "keys", help=N_("The Open Badges 3.0 signing keys (kept outside the database).")
)
lms_cli.add_command(keys_cli)


def _first_key_file() -> Path | None:
    """Production refuses to start without a key, so the very first one is made before the app:
    into LMS_SIGNING_KEY_FILE if that names a file that does not exist yet."""
    from lms.certificates.keys import new_key_set, write_key_file

    path = os.environ.get("LMS_SIGNING_KEY_FILE")
    if not path or Path(path).exists() or os.environ.get("LMS_SIGNING_KEY"):
        return None
    write_key_file(Path(path), new_key_set())
    return Path(path)


@keys_cli.command(
    "rotate",
    with_appcontext=False,
    help=N_(
        "Make a new signing key. Every earlier key stays published (as a public key only), "
        "so the credentials it signed still verify; new credentials are signed with the new "
        "key."
    ),
)
@click.pass_context
def rotate_keys(ctx: click.Context) -> None:
    from flask.cli import ScriptInfo

    from lms.config import ConfigError
    from lms.services import audit

    info = ctx.ensure_object(ScriptInfo)
    made = _first_key_file()
    try:
        app = info.load_app()
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    with app.app_context(), force_locale(cli_locale()):
        ring = app.extensions["lms.keys"]
        if made is not None:
            action, text = "signing key created", None
        else:
            action, text = "signing key rotated", ring.rotate()
        kid = ring.signing_kid()
        try:  # the key file is written already: an unmigrated database must not hide that
            audit.record(db.session, None, action, f"signing-key:{kid}", now=clock.now(),
                         keys=len(ring.public_keys()))  # fmt: skip
            db.session.commit()
        except SQLAlchemyError as error:
            db.session.rollback()
            click.echo(
                _(
                    "Warning: the audit log could not record this (%(error)s); is the database "
                    "migrated (`flask --app lms db upgrade`)?",
                    error=type(error).__name__,
                ),
                err=True,
            )
        if ring.path is None:
            click.echo(text, nl=False)
            click.echo(
                _(
                    "The key set comes from LMS_SIGNING_KEY: set it to the text above (it holds "
                    "the new private key; keep it secret) and restart the site."
                ),
                err=True,
            )
            return
        published = len(ring.public_keys())
        click.echo(
            ngettext(
                "New signing key %(kid)s in %(path)s; %(num)d key published.",
                "New signing key %(kid)s in %(path)s; %(num)d keys published.",
                published,
                kid=kid,
                path=ring.path,
            )
        )
