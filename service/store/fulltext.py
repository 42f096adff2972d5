"""Keyword search over the articles, with the database's own full-text index (migration 0005): SQLite's FTS5 with
BM25, PostgreSQL's tsvector with ts_rank_cd; the headline weighs more than the body in both."""

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session

# What migration 0005 makes for it beside the tables in tables.py (which the ORM never reads or writes): FTS5's
# table and its shadow tables on SQLite, the generated column and its index on PostgreSQL.
FULLTEXT_OBJECTS = frozenset(
    {"articles_fts", *(f"articles_fts_{part}" for part in ("data", "idx", "content", "docsize", "config"))}
    | {"search_vector", "ix_articles_search_vector"}
)

# FTS5's bm25() takes a weight per column (title, text); lower is better.
_SQLITE = text(
    "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :query ORDER BY bm25(articles_fts, 4.0, 1.0) LIMIT :limit"
)
_POSTGRESQL = text(
    "SELECT id FROM articles, to_tsquery('english', :query) AS query WHERE search_vector @@ query"
    " ORDER BY ts_rank_cd(search_vector, query) DESC, id DESC LIMIT :limit"
)


def keyword_matches(session: Session, words: Sequence[str], limit: int) -> list[int]:
    """Ids of the articles holding any of these words (each made of letters and digits only), best first."""
    if not words:
        return []
    if session.get_bind().dialect.name == "sqlite":
        # Quoted, each word is a term whatever it spells (AND, NEAR, a column name); any of them may match.
        query, statement = " OR ".join(f'"{word}"' for word in words), _SQLITE
    else:
        query, statement = " | ".join(words), _POSTGRESQL
    return list(session.scalars(statement, {"query": query, "limit": limit}))
