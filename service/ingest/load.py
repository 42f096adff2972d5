"""Stores what the record readers produce, counting what was added, already there, or skipped."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from service.errors import TextTooLong
from service.ingest.sources import Record
from service.operations import store_article


@dataclass
class IngestReport:
    added: list[int] = field(default_factory=list)
    already_stored: list[int] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (location, reason)


def store_records(session: Session, records: Iterable[Record], max_text_chars: int) -> IngestReport:
    report = IngestReport()
    for record in records:
        if record.article is None:
            report.skipped.append((record.location, record.error or "unreadable"))
            continue
        try:
            row, created = store_article(session, record.article, max_text_chars)
        except TextTooLong as error:
            report.skipped.append((record.location, error.message))
            continue
        (report.added if created else report.already_stored).append(row.id)
    return report
