"""The status-list migration gives every issued certificate its own bit, in the order they were issued."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from lms.extensions import db
from lms.services import certificates
from tests import factories
from tests.conftest import make_app
from tests.test_migrations import MIGRATIONS, _differences, empty_database  # noqa: F401

BEFORE = "consent_20261201"
CERTIFICATE = text(
    "INSERT INTO certificate (user_id, course_slug, serial, code, name, course_title,"
    " certificate_title, minutes, modules, issued_at, issuer_name, signatory_name,"
    " signatory_title, content_version, recipient_salt, recipient_hash)"
    " VALUES (:user, :course, :serial, :code, 'A', 'Demo', 'Demo', 30, '[]', :now, 'I', 'S', 'T',"
    " 'x', 'salt', 'sha256$x')"
)


def test_existing_certificates_get_indexes_and_new_ones_follow(empty_database):  # noqa: F811
    app = make_app(empty_database)
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE)
        learner_id = factories.make_user_row()
        for n, course in enumerate(("demo", "other", "third"), start=1):
            db.session.execute(
                CERTIFICATE,
                {"user": learner_id, "course": course, "serial": f"DEMO-2026-{n:06d}",
                 "code": f"CODE{n:012d}", "now": factories.NOW},
            )  # fmt: skip
        db.session.commit()
        db.session.remove()

        upgrade(directory=MIGRATIONS)
        assert _differences(db.engine) == []
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT status_index FROM certificate ORDER BY id")).all()
        assert [index for (index,) in rows] == [1, 2, 3]
        assert certificates.next_status_index(db.session) == 4  # the counter carries on
        db.session.rollback()

        downgrade(directory=MIGRATIONS, revision=BEFORE, x_arg=["data-loss=allow"])
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM certificate")).scalar() == 3
            counters = conn.execute(text("SELECT count(*) FROM serial_counter")).scalar()
        assert counters == 0
        db.session.remove()
        db.engine.dispose()
