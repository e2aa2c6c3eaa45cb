"""The statistics of a year and session, selective with years of data stored.

Revision 0010_year:
- ix_proposals_year_session on proposals (year, session): the statistics, the report and the
  lists filter by year and session (统计分析 ?year=2026&session=6-5): both are then an index
  condition, where ix_proposals_year left the session to filter row by row.
"""
from alembic import op

revision = "0010_year"
down_revision = "0009_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the index."""
    op.create_index("ix_proposals_year_session", "proposals", ["year", "session"])


def downgrade() -> None:
    """Drop it again."""
    op.drop_index("ix_proposals_year_session", "proposals")
