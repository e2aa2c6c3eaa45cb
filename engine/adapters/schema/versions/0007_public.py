"""Paper ratings entered by the committee (代录) and the publication of replies (办理结果公开).

Revision 0007_public: ratings.entered_by and ratings.evidence_id (empty for every rating
given before: all were given online by the rater), and the table publications (the
committee's publication review of a sent reply, or a member's withdrawal of consent).
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_public"
down_revision = "0006_similar"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the two nullable columns and the table."""
    with op.batch_alter_table("ratings") as batch:
        batch.add_column(sa.Column("entered_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("evidence_id", sa.Integer(), nullable=True))
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reply_event_id", sa.Integer(), sa.ForeignKey("events.id"), nullable=False, unique=True),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("proposals.id"), nullable=False),
        sa.Column("unit_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("full_text_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_publications_proposal_id", "publications", ["proposal_id"])
    op.create_index("ix_publications_status", "publications", ["status"])


def downgrade() -> None:
    """Drop the table and the columns."""
    op.drop_index("ix_publications_status", table_name="publications")
    op.drop_index("ix_publications_proposal_id", table_name="publications")
    op.drop_table("publications")
    with op.batch_alter_table("ratings") as batch:
        batch.drop_column("evidence_id")
        batch.drop_column("entered_by")
