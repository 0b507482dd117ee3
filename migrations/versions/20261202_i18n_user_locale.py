"""interface language: the language each person chose

Revision ID: i18n_20261202
Revises: expiry_20261201
Create Date: 2026-12-02 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i18n_20261202'
down_revision = 'expiry_20261201'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))


def downgrade():
    from data_loss import refuse_to_lose

    refuse_to_lose('chosen interface languages',
                   'SELECT count(*) FROM "user" WHERE locale IS NOT NULL')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('locale')
