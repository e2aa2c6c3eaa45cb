"""The committee's year: a proposal's year and session, and the unit assessment's tables.

Revision 0008_sessions:
- proposals.year (the China year of submission) and proposals.session (届次/会次 code of the
  region's `sessions:`; empty for 平时提案), both indexed. Existing proposals get the year
  of their submission and no session (the year's ordinary proposals); the committee may set
  the session when it reviews a proposal.
- assessment_adjustments: manual items of the unit assessment (领导重视, 特色创新 ...).
- assessment_snapshots: frozen unit scores of a year.
- ix_events_task on events (task_name, proposal_id, unit_id): the statistics' lookups of one
  kind of step (replies, contacts, assisting opinions) of a proposal.
"""
import sqlalchemy as sa
from alembic import op

from engine.model import clock

revision = "0008_sessions"
down_revision = "0007_public"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns, fill the year from the submission time (China time, UTC+8), add the tables."""
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("year", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("session", sa.String(length=40), nullable=True))
        batch.create_index("ix_proposals_year", ["year"])
        batch.create_index("ix_proposals_session", ["session"])
    bind = op.get_bind()
    proposals = sa.table("proposals", sa.column("id", sa.Integer), sa.column("submitted_at", sa.DateTime(timezone=True)),
                         sa.column("year", sa.Integer))
    if bind.dialect.name == "postgresql":
        year = sa.func.extract("year", sa.func.timezone(clock.CHINA_SQL_ZONE, proposals.c.submitted_at)).cast(sa.Integer)
    else:  # stored as UTC text; China is UTC+8 all year
        year = sa.cast(sa.func.strftime("%Y", sa.func.datetime(proposals.c.submitted_at, clock.CHINA_SQLITE_OFFSET)), sa.Integer)
    bind.execute(proposals.update().values(year=year))
    op.create_table(
        "assessment_adjustments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=40), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(length=80), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_assessment_adjustments_year", "assessment_adjustments", ["year", "unit_id", "item"], unique=True)
    op.create_table(
        "assessment_snapshots",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("frozen_by", sa.String(length=80), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_assessment_snapshots_year", "assessment_snapshots", ["year"])
    op.create_index("ix_events_task", "events", ["task_name", "proposal_id", "unit_id"])


def downgrade() -> None:
    """Drop the tables, the index and the columns."""
    op.drop_index("ix_events_task", table_name="events")
    op.drop_index("ix_assessment_snapshots_year", table_name="assessment_snapshots")
    op.drop_table("assessment_snapshots")
    op.drop_index("ix_assessment_adjustments_year", table_name="assessment_adjustments")
    op.drop_table("assessment_adjustments")
    with op.batch_alter_table("proposals") as batch:
        batch.drop_index("ix_proposals_session")
        batch.drop_index("ix_proposals_year")
        batch.drop_column("session")
        batch.drop_column("year")
