"""Certificates: eligibility, issuing exactly once, gapless serials, codes, PDF content."""

from __future__ import annotations

import io
import threading
from datetime import date, time

import pypdf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.certificates import codes
from lms.certificates.pdf import render
from lms.extensions import db
from lms.models.certificates import Certificate
from lms.models.hours import HoursAdjustment, LessonCredit
from lms.models.quizzes import QuizAttempt
from lms.services import ServiceError, certificates, workshops
from tests.factories import NOW, enrol, make_user
from tests.pdftext import same_urdu

ISSUER = certificates.Issuer(
    "Children's Champions Programme", "Dr Sadia Malik", "Programme Director"
)


@pytest.fixture
def catalog(app):
    return app.extensions["lms.catalog"]


@pytest.fixture
def course(catalog):
    return catalog.course("demo")


def online(user, module: str, minutes: int) -> None:
    lesson = {"01-basics": "welcome", "02-practice": "try-it"}[module]
    db.session.add(LessonCredit(user_id=user.id, course_slug="demo", module_slug=module,
                                lesson_key=f"demo/{module}/{lesson}", day=NOW.date(),
                                seconds=minutes * 60))  # fmt: skip
    db.session.commit()


def adjust(user, module: str, minutes: int) -> None:
    db.session.add(HoursAdjustment(user_id=user.id, course_slug="demo", module_slug=module,
                                   minutes=minutes, reason="test", created_by=user.id,
                                   created_at=NOW))  # fmt: skip
    db.session.commit()


def quiz(user, module: str, passed: bool = True) -> None:
    number = (
        db.session.query(QuizAttempt).filter_by(user_id=user.id, module_slug=module).count() + 1
    )
    db.session.add(QuizAttempt(user_id=user.id, course_slug="demo", module_slug=module, number=number,
                               seed=1, question_ids=[], pass_mark=70, content_version="t",
                               started_at=NOW, submitted_at=NOW, responses={}, marks={},
                               score=90 if passed else 40, passed=passed))  # fmt: skip
    db.session.commit()


def finished(user) -> None:
    enrol(user, "demo")
    online(user, "01-basics", 12)
    adjust(user, "01-basics", 8)
    adjust(user, "02-practice", 10)
    quiz(user, "01-basics")
    quiz(user, "02-practice")


def test_eligible_when_every_module_is_credited_and_every_quiz_passed(course, learner):
    finished(learner)
    status = certificates.eligibility(db.session, course, learner.id)
    assert status.eligible and status.missing == ()


def test_one_minute_short(course, learner):
    finished(learner)
    adjust(learner, "02-practice", -1)
    status = certificates.eligibility(db.session, course, learner.id)
    assert [m.describe() for m in status.missing] == ["Module 2: 1 min to go"]


def test_one_quiz_failed(course, learner):
    enrol(learner, "demo")
    adjust(learner, "01-basics", 20)
    adjust(learner, "02-practice", 10)
    quiz(learner, "01-basics")
    quiz(learner, "02-practice", passed=False)
    status = certificates.eligibility(db.session, course, learner.id)
    assert [m.describe() for m in status.missing] == ["Module 2: quiz not passed yet"]
    quiz(learner, "02-practice", passed=True)  # any attempt at the pass mark counts
    assert certificates.eligibility(db.session, course, learner.id).eligible


def test_the_missing_list_reads_well(course, learner):
    enrol(learner, "demo")
    online(learner, "01-basics", 5)
    status = certificates.eligibility(db.session, course, learner.id)
    assert [m.describe() for m in status.missing] == [
        "Module 1: 15 min to go; quiz not passed yet",
        "Module 2: 10 min to go; quiz not passed yet",
    ]


def test_workshop_only_learner(catalog, course, learner, instructor):
    enrol(learner, "demo")
    for module, minutes in (("01-basics", 20), ("02-practice", 10)):
        workshop = workshops.create_workshop(
            db.session, catalog, course_slug="demo", module_slug=module, held_on=date(2026, 3, 2),
            starts_at=time(9), minutes=minutes, place="Police Training College, Lahore",
            facilitator="A", by=instructor.id, now=NOW,
        )  # fmt: skip
        workshops.mark(
            db.session,
            workshop,
            learner.id,
            status="present",
            by=instructor.id,
            now=NOW,
            catalog=catalog,
            issuer=ISSUER,
        )
    db.session.commit()
    quiz(learner, "01-basics")
    quiz(learner, "02-practice")
    assert certificates.eligibility(db.session, course, learner.id).eligible


def test_online_only_learner(course, learner):
    enrol(learner, "demo")
    online(learner, "01-basics", 20)  # more than one lesson's minutes in this fixture row is fine
    online(learner, "02-practice", 10)
    quiz(learner, "01-basics")
    quiz(learner, "02-practice")
    assert certificates.eligibility(db.session, course, learner.id).eligible


def test_issue_takes_a_snapshot_that_later_changes_do_not_alter(catalog, learner):
    finished(learner)
    issued = certificates.issue(db.session, catalog, ISSUER, learner.id, "demo", now=NOW)
    db.session.commit()
    assert issued.serial == "DEMO-2026-000001"
    assert (issued.name, issued.minutes, issued.issuer_name) == (learner.full_name, 30, ISSUER.name)
    assert issued.modules == ["Module 1: Basics", "Module 2: Practice"]
    assert (
        issued.recipient_hash.startswith("sha256$") and learner.email not in issued.recipient_hash
    )
    learner.full_name = "Someone Else"
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Certificate, issued.id).name != "Someone Else"
    again = certificates.issue(db.session, catalog, ISSUER, learner.id, "demo", now=NOW)
    assert again.id == issued.id


def test_not_eligible_is_refused_with_what_is_missing(catalog, learner):
    enrol(learner, "demo")
    with pytest.raises(ServiceError, match="Module 1: 20 min to go; quiz not passed yet"):
        certificates.issue(db.session, catalog, ISSUER, learner.id, "demo", now=NOW)
    assert (
        certificates.issue_if_eligible(db.session, catalog, ISSUER, learner.id, "demo", now=NOW)
        is None
    )


def _in_threads(app, work, count):
    barrier = threading.Barrier(count)
    errors, results = [], []

    def run(i):
        try:
            with app.app_context():
                barrier.wait(10)
                results.append(work(i))
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_concurrent_completions_issue_exactly_once(app, catalog, learner):
    finished(learner)
    user_id = learner.id
    db.session.commit()

    def complete(_):
        return certificates.issue(db.session, catalog, ISSUER, user_id, "demo", now=NOW).serial

    serials = _in_threads(app, complete, 4)
    db.session.expire_all()
    assert db.session.query(Certificate).count() == 1
    assert set(serials) == {"DEMO-2026-000001"}


def test_concurrent_issuing_allocates_serials_without_gaps_or_duplicates(app, catalog):
    people = [make_user() for _ in range(6)]
    for person in people:
        finished(person)
    ids = [p.id for p in people]
    db.session.commit()

    def complete(i):
        return certificates.issue(db.session, catalog, ISSUER, ids[i], "demo", now=NOW).serial

    serials = _in_threads(app, complete, len(ids))
    assert sorted(serials) == [f"DEMO-2026-{n:06d}" for n in range(1, len(ids) + 1)]


def test_a_new_year_starts_a_new_series(catalog, learner, make_user):
    finished(learner)
    other = make_user()
    finished(other)
    first = certificates.issue(db.session, catalog, ISSUER, learner.id, "demo", now=NOW)
    second = certificates.issue(db.session, catalog, ISSUER, other.id, "demo",
                                now=NOW.replace(year=2027))  # fmt: skip
    assert (first.serial, second.serial) == ("DEMO-2026-000001", "DEMO-2027-000001")


def test_revoke_and_restore_keep_the_code(catalog, learner, admin):
    finished(learner)
    issued = certificates.issue(db.session, catalog, ISSUER, learner.id, "demo", now=NOW)
    code = issued.code
    with pytest.raises(ServiceError):
        certificates.revoke(db.session, issued, "", by=admin.id, now=NOW)
    certificates.revoke(db.session, issued, "Issued to the wrong person", by=admin.id, now=NOW)
    assert issued.revoked and certificates.by_code(db.session, code).revoked_reason
    certificates.restore(db.session, issued, by=admin.id, now=NOW)
    assert not issued.revoked and issued.code == code


# --- codes ---------------------------------------------------------------------------------------
@given(st.integers(min_value=0, max_value=10_000))
def test_new_codes_are_valid_and_use_the_alphabet(attempt):
    code = codes.new_code()
    assert len(code) == 16 and set(code) <= set(codes.ALPHABET)
    assert codes.normalise(code) == code


@given(st.data())
def test_codes_survive_how_people_type_them(data):
    code = codes.new_code()
    typed = codes.grouped(code)
    typed = "".join(
        data.draw(st.sampled_from([ch, ch.lower()])) + data.draw(st.sampled_from(["", " ", "-"]))
        for ch in typed
    )
    typed = typed.replace("0", data.draw(st.sampled_from(["0", "O", "o"])))
    typed = typed.replace("1", data.draw(st.sampled_from(["1", "I", "l", "L", "i"])))
    assert codes.normalise(typed) == code


@given(st.data())
def test_any_single_mistyped_character_is_caught(data):
    code = codes.new_code()
    position = data.draw(st.integers(0, 15))
    wrong = data.draw(st.sampled_from([c for c in codes.ALPHABET if c != code[position]]))
    assert codes.normalise(code[:position] + wrong + code[position + 1 :]) is None


def test_codes_have_at_least_60_random_bits():
    assert codes.RANDOM_CHARS * 5 >= 60
    assert codes.normalise("U" * 16) is None and codes.normalise("short") is None


# --- the PDF -------------------------------------------------------------------------------------
def _pdf_text(certificate) -> str:
    from lms.web.certificates import view_of

    return pypdf.PdfReader(io.BytesIO(render(view_of(certificate)))).pages[0].extract_text()


@pytest.mark.parametrize("name", ["Amina Khan", "آمنہ خان"])
def test_pdf_holds_the_name_hours_serial_code_and_verification_url(app, catalog, learner, name):
    learner.full_name = name
    finished(learner)
    issued = certificates.issue(db.session, catalog, ISSUER, learner.id, "demo", now=NOW)
    with app.test_request_context():
        text = _pdf_text(issued)
    page = pypdf.PdfReader(io.BytesIO(render_for(app, issued))).pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape
    if name.isascii():
        assert name in text
    else:  # shaped Nastaliq comes back as its letters, not in order (test_certificate_languages)
        assert same_urdu(text, name)
    assert "completed 0 hours 30 minutes of training" in text
    assert issued.serial in text
    assert codes.grouped(issued.code) in text
    assert f"http://127.0.0.1:5000/verify/{codes.grouped(issued.code)}" in text
    assert "Dr Sadia Malik" in text


def render_for(app, certificate) -> bytes:
    from lms.web.certificates import view_of

    with app.test_request_context():
        return render(view_of(certificate))


def test_rendering_is_deterministic(app, catalog, learner):
    finished(learner)
    issued = certificates.issue(db.session, catalog, ISSUER, learner.id, "demo", now=NOW)
    assert render_for(app, issued) == render_for(app, issued)


def test_the_qr_code_encodes_the_verification_url(app, catalog, learner):
    import segno

    from lms.certificates import pdf as pdf_module

    finished(learner)
    issued = certificates.issue(db.session, catalog, ISSUER, learner.id, "demo", now=NOW)
    drawn: list[str] = []
    original = segno.make

    def spy(content, **kwargs):
        drawn.append(content)
        return original(content, **kwargs)

    pdf_module.segno.make = spy
    try:
        render_for(app, issued)
    finally:
        pdf_module.segno.make = original
    assert drawn == [f"http://127.0.0.1:5000/verify/{codes.grouped(issued.code)}"]


@pytest.mark.parametrize("name", ["Amina Khan", "آمنہ خان"])
def test_fonts_are_parsed_once_per_process_and_give_the_same_bytes(
    app, catalog, learner, name, monkeypatch
):
    """The shared parsed fonts give exactly the PDF that fpdf2's own ``add_font`` gives."""
    from fpdf.fonts import TTFFont

    from lms.certificates import pdf as pdf_module

    learner.full_name = name
    finished(learner)
    issued = certificates.issue(db.session, catalog, ISSUER, learner.id, "demo", now=NOW)
    render_for(app, issued)  # every font this certificate needs is parsed by now
    parsed = []
    real_init = TTFFont.__init__

    def counting(self, *args, **kwargs):
        parsed.append(args[1])
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(TTFFont, "__init__", counting)
    shared = [render_for(app, issued), render_for(app, issued)]
    assert parsed == []

    def fpdf2s_own(pdf, family, style, path):
        pdf.add_font(family, style, path)
        pdf_module.lean(pdf.fonts[f"{family.lower()}{style}"].ttfont)  # the same lighter subset

    monkeypatch.setattr(pdf_module, "_add_font", fpdf2s_own)
    assert render_for(app, issued) == shared[0] == shared[1]
    assert len(parsed) == (3 if name != "Amina Khan" else 2)  # fpdf2's way parses every time
