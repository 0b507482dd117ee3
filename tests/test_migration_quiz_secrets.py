"""The quiz-secrets migration gives every stored attempt its own secret and keeps its answers."""

from __future__ import annotations

import json
import re

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from lms.extensions import db
from tests import factories
from tests.conftest import make_app
from tests.test_migrations import MIGRATIONS, _differences, empty_database  # noqa: F401

BEFORE = "lead_20261201"
ATTEMPT = text(
    "INSERT INTO quiz_attempt (user_id, course_slug, module_slug, number, seed, question_ids,"
    " pass_mark, content_version, started_at, submitted_at, responses)"
    " VALUES (:user, 'demo', '01-basics', :number, 1, :questions, 70, 'x', :now, :done, :responses)"
)


def test_existing_attempts_get_a_secret_each_and_keep_their_answers(empty_database):  # noqa: F811
    app = make_app(empty_database)
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE)
        learner_id = factories.make_user_row()
        responses = {"q-single": "0", "q-match": {"0": "0"}}
        for number, done in ((1, factories.NOW), (2, None)):  # one submitted, one open
            db.session.execute(
                ATTEMPT,
                {"user": learner_id, "number": number, "questions": json.dumps(["q-single"]),
                 "now": factories.NOW, "done": done, "responses": json.dumps(responses)},
            )  # fmt: skip
        db.session.commit()
        db.session.remove()

        upgrade(directory=MIGRATIONS)
        assert _differences(db.engine) == []
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT choice_secret, responses FROM quiz_attempt")).all()
        secrets = [secret for secret, _ in rows]
        assert all(re.fullmatch(r"[0-9a-f]{64}", s) for s in secrets)
        assert len(set(secrets)) == 2
        assert [json.loads(r) if isinstance(r, str) else r for _, r in rows] == [responses] * 2

        downgrade(directory=MIGRATIONS, revision=BEFORE, x_arg=["data-loss=allow"])
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM quiz_attempt")).scalar() == 2
        db.session.remove()
        db.engine.dispose()
