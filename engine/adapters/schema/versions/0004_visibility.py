"""Who holds a late step, which lead unit a task belongs to, and every rating per unit.

- open_tasks.lead_unit: the lead unit whose handling an open task belongs to;
- overdue_records.holder_role, holder, lead_unit: an office or one person (not only a
  unit) can be the one late, and the lead unit whose reply it is;
- ratings: each rater's rating of each unit (the reply for the lead unit, the help of
  each assisting unit), per handling round.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_visibility"
down_revision = "0003_robust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns (all nullable: existing rows keep their meaning) and the ratings table."""
    with op.batch_alter_table("open_tasks") as table:
        table.add_column(sa.Column("lead_unit", sa.String(length=40), nullable=True))
    with op.batch_alter_table("overdue_records") as table:
        table.add_column(sa.Column("holder_role", sa.String(length=40), nullable=True))
        table.add_column(sa.Column("holder", sa.String(length=80), nullable=True))
        table.add_column(sa.Column("lead_unit", sa.String(length=40), nullable=True))
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=40), nullable=False),
        sa.Column("reply_unit", sa.String(length=40), nullable=True),
        sa.Column("rater", sa.String(length=80), nullable=False),
        sa.Column("satisfaction", sa.String(length=40), nullable=False),
        sa.Column("handling_round", sa.Integer(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_ratings_proposal_id", "proposal_id"),
        sa.Index("ix_ratings_unit", "unit_id", "satisfaction"),
    )


def downgrade() -> None:
    """Drop the ratings table and the added columns."""
    op.drop_table("ratings")
    with op.batch_alter_table("overdue_records") as table:
        table.drop_column("lead_unit")
        table.drop_column("holder")
        table.drop_column("holder_role")
    with op.batch_alter_table("open_tasks") as table:
        table.drop_column("lead_unit")
