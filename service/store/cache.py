"""Stored summaries and answers: computed once per (text, versioned model, preset or question).

The one owner of stored results: the key, reading and writing one or many, what is still pending, and the ETag
built from the key. The HTTP API and both batch engines come here.
"""

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Exists, Select, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.language import SUPPORTED
from service.store.tables import AnswerRow, ArticleRow, SummaryRow


def summary_etag(content_hash: str, model: str, preset: str) -> str:
    """The ETag of a stored summary's key: known before any work is done, so a client's If-None-Match can be
    answered at once."""
    key = f"{content_hash}|{model}|{preset}"
    return '"' + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + '"'


def question_hash(question: str) -> str:
    """Questions that differ only in case and spacing share one stored answer."""
    return hashlib.sha256(" ".join(question.lower().split()).encode("utf-8")).hexdigest()


def get_summary(session: Session, content_hash: str, model: str, preset: str) -> dict[str, Any] | None:
    return session.scalar(
        select(SummaryRow.payload).where(
            SummaryRow.content_hash == content_hash, SummaryRow.model == model, SummaryRow.preset == preset
        )
    )


def put_summary(session: Session, content_hash: str, model: str, preset: str, payload: dict[str, Any]) -> None:
    _insert_once(session, SummaryRow(content_hash=content_hash, model=model, preset=preset, payload=payload))


def add_summaries(session: Session, model: str, payloads: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
    """Adds (content hash, preset, payload) rows to the session's transaction, for the caller to commit with the
    rest of its chunk: a chunk is stored whole or not at all."""
    session.add_all(
        SummaryRow(content_hash=content_hash, model=model, preset=preset, payload=payload)
        for content_hash, preset, payload in payloads
    )


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
    readable = or_(ArticleRow.language.is_(None), ArticleRow.language.in_(SUPPORTED))
    query = select(ArticleRow).where(readable, or_(*(~_summarised(model, preset) for preset in presets)))
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
    row = AnswerRow(
        content_hash=content_hash,
        model=model,
        question_hash=question_hash(question),
        question=question,
        payload=payload,
    )
    _insert_once(session, row)


def _insert_once(session: Session, row: SummaryRow | AnswerRow) -> None:
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        # A concurrent request stored the same key first; its result is as good as ours.
        session.rollback()
