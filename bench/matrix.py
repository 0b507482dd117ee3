"""The progress matrix of a large cohort, timed in-process (imported by ``python -m bench``): the
first page of the grid, which computes every learner (filters and sorts apply to the whole cohort)
and renders ``lms.web.cohorts.MATRIX_PAGE`` of them."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, date, datetime


def matrix_ms(
    learners: int = 500, *, profile: bool = False, url: str | None = None
) -> tuple[float, float, int]:
    """(median ms of GET matrix, median ms of GET /healthz as baseline, queries per matrix).
    ``profile``: print where the matrix's time goes (cProfile over its seven requests); ``url``:
    an empty database to fill and use instead of a new SQLite file (its tables are dropped after)."""
    from sqlalchemy import event, insert

    from lms import create_app
    from lms.extensions import db
    from lms.models import CohortMember, Enrolment, HoursAdjustment, LessonCredit, User
    from lms.models.cohorts import Cohort, CohortInstructor

    tmp = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{tmp}/matrix.sqlite3",
                      "SECRET_KEY": "m" * 40, "TESTING": True, "WTF_CSRF_ENABLED": False})  # fmt: skip
    now = datetime(2026, 3, 2, tzinfo=UTC)
    with app.app_context():
        db.create_all()
        course = next(iter(app.extensions["lms.catalog"]))
        people = [dict(email=f"m{i}@bench.example", full_name=f"Learner {i:04d}", password_hash="!",
                       role="learner", organisation_type="ngo", organisation="", job_title="",
                       province="Sindh", district="", active=True, session_version=1,
                       must_change_password=False, created_at=now) for i in range(learners)]  # fmt: skip
        people.append(dict(people[0], email="teacher@bench.example", role="instructor"))
        db.session.execute(insert(User), people)
        teacher = db.session.query(User).filter_by(email="teacher@bench.example").one()
        ids = [u.id for u in db.session.query(User).filter(User.role == "learner")]
        cohort = Cohort(name="Bench", course_slug=course.slug, starts_on=date(2026, 1, 1),
                        ends_on=date(2026, 12, 31), join_code="BENCH001", created_by=teacher.id,
                        created_at=now)  # fmt: skip
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortInstructor(cohort_id=cohort.id, user_id=teacher.id))
        db.session.execute(
            insert(Enrolment),
            [dict(user_id=i, course_slug=course.slug, enrolled_at=now) for i in ids],
        )
        db.session.execute(
            insert(CohortMember), [dict(cohort_id=cohort.id, user_id=i, added_at=now) for i in ids]
        )
        lessons = course.lessons
        db.session.execute(insert(LessonCredit), [
            dict(user_id=i, course_slug=course.slug, module_slug=lesson.module_slug, lesson_key=lesson.key,
                 day=now.date(), seconds=(i * 37) % (lesson.minutes * 60))
            for i in ids for lesson in lessons
        ])  # fmt: skip
        db.session.execute(insert(HoursAdjustment), [
            dict(user_id=i, course_slug=course.slug, module_slug=course.modules[-1].slug, minutes=5,
                 reason="bench", created_by=teacher.id, created_at=now) for i in ids[::3]
        ])  # fmt: skip
        db.session.commit()
        if db.engine.dialect.name == "postgresql":  # what autovacuum would have done by now
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        cohort_id, teacher_id, version = cohort.id, teacher.id, teacher.session_version
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{teacher_id}.{version}"

    def median(path: str) -> float:
        times = []
        for _ in range(7):
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
        return sorted(times)[len(times) // 2]

    statements: list[str] = []
    with app.app_context():
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        client.get(f"/teach/cohorts/{cohort_id}/matrix")
        event.remove(db.engine, "before_cursor_execute", listener)
    if profile:
        import cProfile
        import pstats

        with cProfile.Profile() as profiler:
            median(f"/teach/cohorts/{cohort_id}/matrix")
        pstats.Stats(profiler).sort_stats("cumtime").print_stats(30)
    result = median(f"/teach/cohorts/{cohort_id}/matrix"), median("/healthz"), len(statements)
    if url:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
    return result
