"""Named entities: the people, organisations, places, sums and dates each article's text mentions.

`article_entities` holds one row per entity of a text (keyed by content hash, versioned recogniser, kind and name
key, with its mentions' offsets), indexed by name key for "the articles that mention X". `recognised_texts`
records each text the recogniser has read, so that one mentioning nothing is not read again.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recognised_texts",
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("model", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("content_hash", "model"),
    )
    op.create_table(
        "article_entities",
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("model", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("content_hash", "model", "kind", "name_key"),
    )
    op.create_index("ix_article_entities_name", "article_entities", ["name_key", "model"])


def downgrade() -> None:
    op.drop_index("ix_article_entities_name", table_name="article_entities")
    op.drop_table("article_entities")
    op.drop_table("recognised_texts")
