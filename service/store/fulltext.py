"""Keyword search over the articles, with the database's own full-text index (migration 0005): SQLite's FTS5 with
BM25, PostgreSQL's tsvector with ts_rank_cd; the headline weighs more than the body in both."""

from collections.abc import Sequence

import snowballstemmer
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

# What migration 0005 makes for it beside the tables in tables.py (which the ORM never reads or writes): FTS5's
# table and its shadow tables on SQLite, the generated column and its index on PostgreSQL.
FULLTEXT_OBJECTS = frozenset(
    {"articles_fts", *(f"articles_fts_{part}" for part in ("data", "idx", "content", "docsize", "config", "vocab"))}
    | {"search_vector", "ix_articles_search_vector"}
)

# FTS5's bm25() takes a weight per column (title, text); lower is better.
_SQLITE = text(
    "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :query ORDER BY bm25(articles_fts, 4.0, 1.0) LIMIT :limit"
)
_VOCABULARY = text("SELECT term, doc FROM articles_fts_vocab WHERE term IN :terms").bindparams(
    bindparam("terms", expanding=True)
)
_STEMMER = snowballstemmer.stemmer("porter")
QUERY_TERMS = 8
# Articles a keyword query may score (the sum of its words' document counts): at a million articles 5 000 took FTS5
# 8 ms p50, 20 000 took 19 ms (python -m scripts.bench_archive scale, on two busy cores).
POSTINGS_BUDGET = 5_000

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
        query = " OR ".join(f'"{word}"' for word in telling_words(session, words))
        statement = _SQLITE
    else:
        query, statement = " | ".join(words), _POSTGRESQL
    return list(session.scalars(statement, {"query": query, "limit": limit})) if query else []


def telling_words(session: Session, words: Sequence[str]) -> list[str]:
    """The query's words that tell articles apart best, for SQLite: the rarest first, as many as fit in
    POSTINGS_BUDGET articles to score (the rarest always), at most QUERY_TERMS. FTS5 scores every article any word
    matches, so at a million articles a word held by a tenth of them costs some 30 ms, while its BM25 weight is next
    to nothing beside a rarer word's; meaning search still reads the whole query. A word's count comes from the
    index's own vocabulary, looked up by its Porter stem (FTS5's tokenizer); a stem the lookup misses (a few in a
    hundred with diacritics or a final -y) counts as rare and is kept."""
    stems = {word: _STEMMER.stemWord(word) for word in words}
    counts = dict(session.execute(_VOCABULARY, {"terms": sorted(set(stems.values()))}).all())
    kept: list[str] = []
    postings = 0
    for word in sorted(words, key=lambda word: counts.get(stems[word], 0))[:QUERY_TERMS]:
        postings += counts.get(stems[word], 0)
        if kept and postings > POSTINGS_BUDGET:
            break
        kept.append(word)
    return kept
