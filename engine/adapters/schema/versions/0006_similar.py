"""Similar proposals and merges (并案).

Revision 0006_similar: table proposal_similarities (the earlier proposals found
similar to a proposal at its submission, with their score) and
proposals.merged_into_id (the proposal a merged one went into), empty for the
proposals there are at upgrade time.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_similar"
down_revision = "0005_edges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the table and the column."""
    op.create_table(
        "proposal_similarities",
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("proposals.id"), primary_key=True),
        sa.Column("other_id", sa.Integer(), sa.ForeignKey("proposals.id"), primary_key=True),
        sa.Column("score", sa.Float(), nullable=False),
    )
    op.create_index("ix_proposal_similarities_other", "proposal_similarities", ["other_id"])
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.create_index("ix_proposals_merged_into_id", "proposals", ["merged_into_id"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_proposals_merged_into_id", table_name="proposals")
    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("merged_into_id")
    op.drop_index("ix_proposal_similarities_other", table_name="proposal_similarities")
    op.drop_table("proposal_similarities")
