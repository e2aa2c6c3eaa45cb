"""Stalled cases (异常案件): the incidents table.

Revision 0003_robust: a case not completed, with no open task and no armed timer,
is recorded here by the step that left it so, and resolved when it moves on.
"""
import sqlalchemy as sa
from alembic import op

from engine.adapters.schema import adopted_tables

revision = "0003_robust"
down_revision = "0002_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the incidents table (unless an adopted database already has it)."""
    if "incidents" in adopted_tables():
        return
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("last_step", sa.String(length=200), nullable=False),
        sa.Column("last_actor", sa.String(length=80), nullable=True),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_incidents_case_id", "case_id"),
        sa.Index("ix_incidents_detected_at", "detected_at"),
        sa.Index("ix_incidents_proposal_id", "proposal_id"),
    )


def downgrade() -> None:
    """Drop the incidents table."""
    op.drop_table("incidents")
