"""figures_change: vacuumed and analysed by autovacuum after every 200 changed rows (on PostgreSQL),
so that the refresh's plan follows the queue's real size

Revision ID: figvacuum_20261202
Revises: offlinedata_20261202
Create Date: 2026-12-02 15:20:00

"""

from alembic import op

revision = "figvacuum_20261202"
down_revision = "offlinedata_20261202"
branch_labels = None
depends_on = None

#: as ``lms.models.figures.AUTOVACUUM`` (written out: a migration does not follow later models)
SETTINGS = {
    "autovacuum_vacuum_scale_factor": "0",
    "autovacuum_vacuum_threshold": "200",
    "autovacuum_analyze_scale_factor": "0",
    "autovacuum_analyze_threshold": "200",
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no autovacuum
    settings = ", ".join(f"{name} = {value}" for name, value in SETTINGS.items())
    op.execute(f"ALTER TABLE figures_change SET ({settings})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE figures_change RESET ({', '.join(SETTINGS)})")
