"""Heartbeats per second under gunicorn, with none lost (imported by ``python -m bench``).

Many learners read at once: each client process cycles over its own learners, one tab each, so a
learner's heartbeats are about a second apart and earn real seconds. After the run the credited
total in the database must equal the sum of the ``credited`` values the server acknowledged, and
every tab's last sequence number must equal the heartbeats it sent.
"""

from __future__ import annotations

import json
import re
import socket
import statistics
import subprocess
import time

SET_COOKIE = re.compile(rb"(?im)^Set-Cookie: session=([^;\r\n]+)")

PREPARE = r"""
import json, os, secrets
import flask
from flask_wtf.csrf import generate_csrf
from sqlalchemy import insert, select
from lms import create_app
from lms.extensions import db
from lms.models import Enrolment, User
from lms.services.clock import now
app = create_app()
n = int(os.environ["BENCH_LEARNERS"])
course = next(iter(app.extensions["lms.catalog"]))
lesson = course.modules[0].lessons[0]
with app.app_context():
    stamp = now()
    rows = [dict(email=f"hb{i}-{secrets.token_hex(3)}@bench.example", full_name=f"Reader {i}",
                 password_hash="!", role="learner", organisation_type="ngo", organisation="",
                 job_title="", province="Punjab", district="", active=True, session_version=1,
                 must_change_password=False, created_at=stamp) for i in range(n)]
    db.session.execute(insert(User), rows)
    ids = db.session.scalars(select(User.id).where(User.email.like("hb%@bench.example"))).all()
    db.session.execute(insert(Enrolment), [dict(user_id=i, course_slug=course.slug, enrolled_at=stamp) for i in ids])
    db.session.commit()
    signer = app.session_interface.get_signing_serializer(app)
    def token(raw):  # signed by Flask-WTF itself
        with app.app_context(), app.test_request_context():  # a fresh g each time
            flask.session["csrf_token"] = raw
            return generate_csrf()
    out = []
    for i in ids:
        raw = secrets.token_hex(20)
        out.append({"id": i, "cookie": signer.dumps({"_user_id": f"{i}.1", "_fresh": True, "csrf_token": raw}),
                    "token": token(raw)})
    print(json.dumps({"lesson": lesson.key, "learners": out}))
"""

CHECK = r"""
import json, os
from sqlalchemy import func, select
from lms import create_app
from lms.extensions import db
from lms.models import HeartbeatTab, LessonCredit
app = create_app()
ids = json.loads(os.environ["BENCH_IDS"])
with app.app_context():
    total = db.session.scalar(select(func.coalesce(func.sum(LessonCredit.seconds), 0)).where(LessonCredit.user_id.in_(ids)))
    seqs = dict(db.session.execute(select(HeartbeatTab.user_id, HeartbeatTab.last_seq).where(HeartbeatTab.user_id.in_(ids))).all())
print(json.dumps({"total": total, "seqs": {str(k): v for k, v in seqs.items()}}))
"""


def prepare(python: str, env: dict, root, learners: int) -> dict:
    out = subprocess.run(
        [python, "-c", PREPARE],
        env={**env, "BENCH_LEARNERS": str(learners)},
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def check(python: str, env: dict, root, ids: list[int]) -> dict:
    out = subprocess.run(
        [python, "-c", CHECK],
        env={**env, "BENCH_IDS": json.dumps(ids)},
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def send(args) -> tuple[int, int, list[dict], int]:
    """One client process for one round: (requests answered, credited seconds acknowledged, its
    learners with their last sequence number and cookie, errors). Like a browser, it keeps the
    session cookie the server sets, and it carries sequence numbers over from the last round."""
    port, lesson, learners, seconds = args
    learners = [dict(learner) for learner in learners]
    done = credited = errors = 0
    end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < end:
        learner = learners[i % len(learners)]
        i += 1
        n = learner.get("seq", 0) + 1
        body = json.dumps(
            {"lesson": lesson, "seconds": 1, "seq": n, "tab": f"bench-{learner['id']:06d}"}
        ).encode()
        request = (
            f"POST /api/heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"User-Agent: lms-bench\r\nX-CSRFToken: {learner['token']}\r\n"
            f"Cookie: session={learner['cookie']}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(request)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        raw = b"".join(chunks)
        learner["seq"] = n  # sent: the server must have seen it, answered or not
        head, _, payload = raw.partition(b"\r\n\r\n")
        if cookie := SET_COOKIE.search(head):
            learner["cookie"] = cookie.group(1).decode()
        if raw[9:12] != b"200":
            errors += 1
            continue
        credited += json.loads(payload)["credited"]
        done += 1
    return done, credited, learners, errors


def run(pool, port: int, beats: dict, seconds: float, rounds: int, clients: int, baseline) -> dict:
    """Timed rounds, each followed by a round of ``baseline()`` (the bare route's requests per
    second) under the same load on the shared host; the rate is the median round's, the ratio the
    median of the rounds' paired ratios, and the other figures cover every round."""
    chunks = [beats["learners"][i::clients] for i in range(clients)]
    rates, pairs, acknowledged, errors = [], [], 0, 0
    for _ in range(rounds):
        outcome = pool.map(send, [(port, beats["lesson"], chunk, seconds) for chunk in chunks])
        rates.append(sum(o[0] for o in outcome) / seconds)
        pairs.append(rates[-1] / baseline())
        acknowledged += sum(o[1] for o in outcome)
        errors += sum(o[3] for o in outcome)
        chunks = [o[2] for o in outcome]
    sent = {str(learner["id"]): learner.get("seq") for chunk in chunks for learner in chunk}
    return {
        "rate": statistics.median(rates),
        "ratio": statistics.median(pairs),
        "pairs": sorted(pairs),
        "acknowledged": acknowledged,
        "errors": errors,
        "sent": sent,
    }
