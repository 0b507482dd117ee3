"""certificate expiry, renewals and history: expires_at, generation, renews_id; certificate_event;
expiry_reminder

Existing certificates get ``expires_at`` NULL (no expiry): they were issued, printed and published
without an expiry date, and a validity period set on a course later applies only to certificates
issued from then on. Each existing certificate gets an "issued" event, a revoked one a "revoked"
event, and every "certificate restored" entry of the audit log becomes a "restored" event, so the
history starts as complete as the old schema allows (who revoked before a restoration was not kept).

Revision ID: expiry_20261201
Revises: consent_20261201
Create Date: 2026-12-01 23:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "expiry_20261201"
down_revision = "jobs_20261201"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("generation", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("renews_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint("uq_certificate_user_id_course_slug", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_certificate_user_id_course_slug_generation"),
            ["user_id", "course_slug", "generation"],
        )
        batch_op.create_unique_constraint(batch_op.f("uq_certificate_renews_id"), ["renews_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_certificate_renews_id_certificate"), "certificate", ["renews_id"], ["id"]
        )
        batch_op.create_check_constraint("generation_positive", "generation >= 1")

    op.create_table(
        "certificate_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('issued', 'revoked', 'restored', 'renewed', 'reminded')",
            name=op.f("ck_certificate_event_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["by"], ["user.id"], name=op.f("fk_certificate_event_by_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"], ["certificate.id"],
            name=op.f("fk_certificate_event_certificate_id_certificate"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_event")),
    )  # fmt: skip
    with op.batch_alter_table("certificate_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certificate_event_certificate_id"), ["certificate_id"], unique=False
        )
    op.create_table(
        "expiry_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"], ["certificate.id"],
            name=op.f("fk_expiry_reminder_certificate_id_certificate"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_expiry_reminder_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expiry_reminder")),
        sa.UniqueConstraint(
            "certificate_id", "days_before",
            name=op.f("uq_expiry_reminder_certificate_id_days_before"),
        ),
    )  # fmt: skip
    with op.batch_alter_table("expiry_reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expiry_reminder_user_id"), ["user_id"], unique=False)

    # The history so far, from what the old schema kept.
    conn = op.get_bind()
    certificate = sa.table(
        "certificate",
        sa.column("id", sa.Integer),
        sa.column("issued_at", sa.DateTime(timezone=True)),
        sa.column("issued_by", sa.Integer),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
        sa.column("revoked_by", sa.Integer),
        sa.column("revoked_reason", sa.Text),
    )
    event = sa.table(
        "certificate_event",
        sa.column("certificate_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("by", sa.Integer),
        sa.column("reason", sa.Text),
    )
    audit = sa.table(
        "audit_event",
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor_id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("target", sa.String),
    )
    rows = []
    known = set()
    for c in conn.execute(sa.select(certificate)).all():
        known.add(c.id)
        rows.append({"certificate_id": c.id, "kind": "issued", "at": c.issued_at,
                     "by": c.issued_by, "reason": None})  # fmt: skip
        if c.revoked_at is not None:
            rows.append({"certificate_id": c.id, "kind": "revoked", "at": c.revoked_at,
                         "by": c.revoked_by, "reason": c.revoked_reason})  # fmt: skip
    restored = conn.execute(
        sa.select(audit.c.at, audit.c.actor_id, audit.c.target).where(
            audit.c.action == "certificate restored"
        )
    ).all()
    for at, actor_id, target in restored:
        _, _, raw = target.partition(":")
        if raw.isdigit() and int(raw) in known:
            rows.append({"certificate_id": int(raw), "kind": "restored", "at": at,
                         "by": actor_id, "reason": None})  # fmt: skip
    if rows:
        conn.execute(event.insert(), sorted(rows, key=lambda r: (r["at"], r["certificate_id"])))


def downgrade():
    from data_loss import refuse_to_drop_rows, refuse_to_lose

    refuse_to_drop_rows("certificate_event", "expiry_reminder")
    refuse_to_lose(
        "certificates' expiry dates",
        "SELECT count(*) FROM certificate WHERE expires_at IS NOT NULL",
    )
    refuse_to_lose(
        "earlier certificates that a renewal replaced (only the latest of each learner and course "
        "would be kept)",
        "SELECT count(*) FROM certificate WHERE generation > 1",
    )
    with op.batch_alter_table("expiry_reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expiry_reminder_user_id"))
    op.drop_table("expiry_reminder")
    with op.batch_alter_table("certificate_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_event_certificate_id"))
    op.drop_table("certificate_event")
    # Allowed to lose data: keep each learner's latest certificate of a course.
    op.execute("UPDATE certificate SET renews_id = NULL")
    op.execute(
        "DELETE FROM certificate WHERE EXISTS (SELECT 1 FROM certificate AS later "
        "WHERE later.user_id = certificate.user_id AND later.course_slug = certificate.course_slug "
        "AND later.generation > certificate.generation)"
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_certificate_generation_positive"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_certificate_renews_id_certificate"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_certificate_renews_id"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("uq_certificate_user_id_course_slug_generation"), type_="unique"
        )
        batch_op.create_unique_constraint(
            "uq_certificate_user_id_course_slug", ["user_id", "course_slug"]
        )
        batch_op.drop_column("renews_id")
        batch_op.drop_column("generation")
        batch_op.drop_column("expires_at")
