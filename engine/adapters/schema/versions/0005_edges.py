"""Claims on open tasks: who of a pool (a unit's clerks, the committee's staff) has taken a task.

Revision 0005_edges: open_tasks.claimed_by and open_tasks.claimed_at, empty for every
task open at upgrade time (nobody has claimed them).
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_edges"
down_revision = "0004_visibility"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the two nullable columns."""
    with op.batch_alter_table("open_tasks") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("open_tasks") as batch:
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
