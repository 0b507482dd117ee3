"""certificates: an Open Badges 3.0 revocation status list index per certificate

Every certificate gets its bit in the Bitstring Status List: existing ones in the order they were
issued (1, 2, 3 ...), and the counter row ``~STATUS`` continues from there for new ones.

Revision ID: ob3_20261201
Revises: consent_20261201
Create Date: 2026-12-01 23:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "ob3_20261201"
down_revision = "consent_20261201"
branch_labels = None
depends_on = None

STATUS_COUNTER = "~STATUS"


def upgrade():
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_index", sa.Integer(), nullable=True))
    conn = op.get_bind()
    ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM certificate ORDER BY id"))]
    for number, certificate_id in enumerate(ids, start=1):
        conn.execute(
            sa.text("UPDATE certificate SET status_index = :n WHERE id = :id"),
            {"n": number, "id": certificate_id},
        )
    conn.execute(
        sa.text(
            "INSERT INTO serial_counter (course_code, year, last_number) VALUES (:code, 0, :n)"
        ),
        {"code": STATUS_COUNTER, "n": len(ids)},
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.alter_column("status_index", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_certificate_status_index"), ["status_index"]
        )


def downgrade():
    # Issued credentials carry their index: dropping it would let a later upgrade give a revoked
    # certificate's bit to another one, so refuse while any certificate has one.
    from data_loss import refuse_to_lose

    refuse_to_lose(
        "status list indexes of issued certificates (signed credentials carry them)",
        "SELECT count(*) FROM certificate",
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_certificate_status_index"), type_="unique")
        batch_op.drop_column("status_index")
    op.get_bind().execute(
        sa.text("DELETE FROM serial_counter WHERE course_code = :code"), {"code": STATUS_COUNTER}
    )
