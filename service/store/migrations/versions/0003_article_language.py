"""The language each article was found to be in at ingest.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Null for articles stored before, and for text too short to tell: both are read as English.
    op.add_column("articles", sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    op.drop_column("articles", "language")
