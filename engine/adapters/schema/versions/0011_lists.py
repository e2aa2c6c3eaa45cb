"""Lists that stay flat at a million proposals, the overdue filter.

Revision 0011_lists:
- ix_overdue_records_open on overdue_records (proposal_id) WHERE resolved_at IS NULL: the
  proposals with an overdue record still open (the search's 超期 filter) were found by
  reading every overdue record of every year; the open ones are a few, and this partial
  index holds only them.
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_lists"
down_revision = "0010_year"
branch_labels = None
depends_on = None

OPEN = sa.text("resolved_at IS NULL")


def upgrade() -> None:
    """Add the partial index."""
    op.create_index("ix_overdue_records_open", "overdue_records", ["proposal_id"],
                    postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade() -> None:
    """Drop it again."""
    op.drop_index("ix_overdue_records_open", "overdue_records")
