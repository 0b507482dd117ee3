"""cohort invitations: when an e-mail told the address

Revision ID: invitemail_20261208
Revises: figvacuum_20261202
Create Date: 2026-12-08 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'invitemail_20261208'
down_revision = 'figvacuum_20261202'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cohort_invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    from data_loss import refuse_to_lose

    refuse_to_lose('notes of which invitations were e-mailed',
                   'SELECT count(*) FROM cohort_invitation WHERE emailed_at IS NOT NULL')
    with op.batch_alter_table('cohort_invitation', schema=None) as batch_op:
        batch_op.drop_column('emailed_at')
