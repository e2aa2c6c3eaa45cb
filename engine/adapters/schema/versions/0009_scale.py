"""Lists that stay flat at a million proposals.

Revision 0009_scale:
- ix_open_tasks_proposal on open_tasks (proposal_id): a proposal's open tasks (the dossier,
  the overdue filter's EXISTS) were found by scanning every open task.
- ix_open_tasks_unit_due on open_tasks (unit_id, role, due_at, created_at): a unit's task
  list in its order (earliest due first) without sorting all the unit's tasks.
- PostgreSQL only: the function cppcc_bigrams(title, number) (the distinct two-character
  pieces of the lower-cased title and number; cppcc_bigrams(q, NULL) those of a searched text) and the GIN index ix_proposals_bigrams on it, so the
  search's "contains" finds a two-character Chinese term (停车) by index; SQLite keeps LIKE.
"""
from alembic import op

revision = "0009_scale"
down_revision = "0008_sessions"
branch_labels = None
depends_on = None

BIGRAMS = """
CREATE OR REPLACE FUNCTION cppcc_bigrams(title text, number text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
  FROM (SELECT lower(coalesce(title, '') || coalesce(' ' || number, '')) AS t) s,
       generate_series(1, greatest(length(t) - 1, 0)) AS i
$$
"""


def upgrade() -> None:
    """Add the indexes (and on PostgreSQL the bigram function and its index)."""
    op.create_index("ix_open_tasks_proposal", "open_tasks", ["proposal_id"])
    op.create_index("ix_open_tasks_unit_due", "open_tasks", ["unit_id", "role", "due_at", "created_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(BIGRAMS)
        op.execute("CREATE INDEX ix_proposals_bigrams ON proposals USING gin (cppcc_bigrams(title, number))")


def downgrade() -> None:
    """Drop them again."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_proposals_bigrams")
        op.execute("DROP FUNCTION IF EXISTS cppcc_bigrams(text, text)")
    op.drop_index("ix_open_tasks_unit_due", "open_tasks")
    op.drop_index("ix_open_tasks_proposal", "open_tasks")
