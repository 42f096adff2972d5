"""Archive search: a full-text index over every article, and the log the vector index follows.

SQLite gets an FTS5 table over the articles' title and text (external content: the text is not stored twice),
kept current by triggers; PostgreSQL a weighted tsvector column (headline above body) with a GIN index. Both are
the database's own, so every writer (the API, `precis add`, a batch on Ray) keeps them current without knowing.

`vector_index_log` records, in commit order, every article whose vector was stored or that was deleted: each
process's vector index (service/archive_index.py) replays what it has not seen, so several processes and machines
sharing one database stay consistent with it.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_UP = [
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='id',"
    " tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN"
    " INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN"
    " INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN"
    " INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);"
    " INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
    # Each indexed term with the number of articles holding it: what lets a query leave out its commonest words.
    "CREATE VIRTUAL TABLE articles_fts_vocab USING fts5vocab(articles_fts, 'row')",
]
_SQLITE_DOWN = [
    "DROP TABLE articles_fts_vocab",
    "DROP TRIGGER articles_fts_update",
    "DROP TRIGGER articles_fts_delete",
    "DROP TRIGGER articles_fts_insert",
    "DROP TABLE articles_fts",
]
# A tsvector holds at most 1 MB: the first 200 000 characters of a text are what is indexed (a news story is far
# shorter). The headline weighs more than the body (A over B) in ts_rank_cd.
_POSTGRESQL_UP = [
    "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    " setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', left(text, 200000)), 'B')"
    ") STORED",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
]
_POSTGRESQL_DOWN = ["DROP INDEX ix_articles_search_vector", "ALTER TABLE articles DROP COLUMN search_vector"]


def upgrade() -> None:
    statements = _SQLITE_UP if op.get_bind().dialect.name == "sqlite" else _POSTGRESQL_UP
    for statement in statements:
        op.execute(statement)
    op.create_table(
        "vector_index_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("vector_index_log")
    statements = _SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else _POSTGRESQL_DOWN
    for statement in statements:
        op.execute(statement)
