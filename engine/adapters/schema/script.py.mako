"""${message}

Revision ${up_revision}, after ${down_revision | comma,n}; written ${create_date}.
Read what autogenerate wrote before committing: renames come out as drop + add, and a
new NOT NULL column on a table with rows needs a server_default or a data step.
"""
import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    """Apply this revision."""
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    """Undo this revision."""
    ${downgrades if downgrades else "pass"}
