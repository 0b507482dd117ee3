"""account erasure: when an administrator erased a person on request

Revision ID: lead_20261201
Revises: c8586e49e05a
Create Date: 2026-12-01 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'lead_20261201'
down_revision = 'c8586e49e05a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    from data_loss import refuse_to_lose

    refuse_to_lose('erasure markers of erased accounts',
                   'SELECT count(*) FROM "user" WHERE erased_at IS NOT NULL')
    # The erased rows keep their replaced name and e-mail; only the marker goes.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
