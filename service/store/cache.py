"""Stored summaries and answers: computed once per (text, versioned model, preset or question)."""

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.store.tables import AnswerRow, SummaryRow


def question_hash(question: str) -> str:
    """Questions that differ only in case and spacing share one stored answer."""
    return hashlib.sha256(" ".join(question.lower().split()).encode("utf-8")).hexdigest()


def get_summary(session: Session, content_hash: str, model: str, preset: str) -> dict[str, Any] | None:
    return session.scalar(
        select(SummaryRow.payload).where(
            SummaryRow.content_hash == content_hash, SummaryRow.model == model, SummaryRow.preset == preset
        )
    )


def put_summary(
    session: Session, content_hash: str, model: str, preset: str, payload: dict[str, Any]
) -> None:
    _insert_once(session, SummaryRow(content_hash=content_hash, model=model, preset=preset, payload=payload))


def get_answer(session: Session, content_hash: str, model: str, question: str) -> dict[str, Any] | None:
    return session.scalar(
        select(AnswerRow.payload).where(
            AnswerRow.content_hash == content_hash,
            AnswerRow.model == model,
            AnswerRow.question_hash == question_hash(question),
        )
    )


def put_answer(
    session: Session, content_hash: str, model: str, question: str, payload: dict[str, Any]
) -> None:
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
