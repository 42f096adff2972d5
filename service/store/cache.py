"""Stored summaries and answers: computed once per (text, versioned model, preset or question).

The one owner of stored results: the key, reading and writing one or many, what is still pending, and the ETag
built from the key. The HTTP API and both batch engines come here.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Exists, Select, exists, func, or_, select
from sqlalchemy.orm import Session

from service.store.articles import readable
from service.store.database import insert_new_rows
from service.store.tables import AnswerRow, ArticleRow, SummaryRow, utc_now


class RecentResults:
    """The stored results this process read last, in memory.

    A stored result never changes for its key (text hash, versioned model, preset or question hash), so a copy
    can never be stale, whichever process stored it; a stored summary then costs one query (its article) instead
    of two. A deleted article's results linger here unreachable: only an article with the same text could ask
    for them, and they would be its results."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[object, ...], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> dict[str, Any] | None:
        with self._lock:
            payload = self._items.get(key)
            if payload is not None:
                self._items.move_to_end(key)
            return payload

    def put(self, key: tuple[object, ...], payload: dict[str, Any]) -> None:
        with self._lock:
            self._items[key] = payload
            self._items.move_to_end(key)
            if len(self._items) > self.size:
                self._items.popitem(last=False)


# A summary's payload is about 2 KB: 20 000 of them, some 40 MB, cover a news site's recent articles.
_recent = RecentResults(20_000)


def summary_etag(content_hash: str, model: str, preset: str) -> str:
    """The ETag of a stored summary's key: known before any work is done, so a client's If-None-Match can be
    answered at once."""
    key = f"{content_hash}|{model}|{preset}"
    return '"' + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + '"'


def question_hash(question: str) -> str:
    """Questions that differ only in case and spacing share one stored answer."""
    return hashlib.sha256(" ".join(question.lower().split()).encode("utf-8")).hexdigest()


def get_summary(store: Session | Connection, content_hash: str, model: str, preset: str) -> dict[str, Any] | None:
    """The stored summary (callers must not change it: it may be shared with other requests). `store`: a session,
    or a connection for a reader that needs nothing else from the ORM."""
    # The database is part of the key: two stores in one process (tests, tools) never see each other's results.
    url = store.get_bind().url if isinstance(store, Session) else store.engine.url
    key = (url, content_hash, model, preset)
    payload = _recent.get(key)
    if payload is None:
        payload = store.scalar(
            select(SummaryRow.payload).where(
                SummaryRow.content_hash == content_hash, SummaryRow.model == model, SummaryRow.preset == preset
            )
        )
        if payload is not None:
            _recent.put(key, payload)
    return payload


def put_summary(session: Session, content_hash: str, model: str, preset: str, payload: dict[str, Any]) -> None:
    add_summaries(session, model, [(content_hash, preset, payload)])
    session.commit()


def add_summaries(session: Session, model: str, payloads: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
    """Adds (content hash, preset, payload) rows to the session's transaction, for the caller to commit with the
    rest of its chunk: a chunk is stored whole or not at all. A summary another writer stored first is kept."""
    now = utc_now()
    rows = [
        {"content_hash": content_hash, "model": model, "preset": preset, "payload": payload, "created_at": now}
        for content_hash, preset, payload in payloads
    ]
    insert_new_rows(session, SummaryRow, rows)


def stored_keys(
    session: Session, content_hashes: Sequence[str], model: str, presets: Sequence[str]
) -> set[tuple[str, str]]:
    """Which (content hash, preset) of these already have a stored summary."""
    query = select(SummaryRow.content_hash, SummaryRow.preset).where(
        SummaryRow.content_hash.in_(content_hashes), SummaryRow.model == model, SummaryRow.preset.in_(presets)
    )
    return {(content_hash, preset) for content_hash, preset in session.execute(query)}


def _summarised(model: str, preset: str) -> Exists:
    return exists().where(
        SummaryRow.content_hash == ArticleRow.content_hash, SummaryRow.model == model, SummaryRow.preset == preset
    )


def pending_articles(model: str, presets: Sequence[str], since: datetime | None) -> Select[tuple[ArticleRow]]:
    """Articles lacking a stored summary for this versioned model and any of the presets, oldest id first.

    An article found at ingest to be in a language the models do not read is never pending: it is not
    summarised, here or through the API (422 unsupported_language)."""
    query = select(ArticleRow).where(readable(), or_(*(~_summarised(model, preset) for preset in presets)))
    if since is not None:
        query = query.where(ArticleRow.published_at >= since)
    return query.order_by(ArticleRow.id)


def count_pending(session: Session, model: str, presets: Sequence[str], since: datetime | None) -> int:
    pending = pending_articles(model, presets, since).order_by(None).subquery()
    return session.scalar(select(func.count()).select_from(pending)) or 0


def get_answer(session: Session, content_hash: str, model: str, question: str) -> dict[str, Any] | None:
    return session.scalar(
        select(AnswerRow.payload).where(
            AnswerRow.content_hash == content_hash,
            AnswerRow.model == model,
            AnswerRow.question_hash == question_hash(question),
        )
    )


def put_answer(session: Session, content_hash: str, model: str, question: str, payload: dict[str, Any]) -> None:
    row = {
        "content_hash": content_hash,
        "model": model,
        "question_hash": question_hash(question),
        "question": question,
        "payload": payload,
        "created_at": utc_now(),
    }
    insert_new_rows(session, AnswerRow, [row])
    session.commit()
