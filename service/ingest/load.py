"""Stores what the record readers produce, counting what was added, already there, or skipped."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from service.ingest.sources import Record
from service.store.articles import add_article


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
        elif len(record.article.text) > max_text_chars:
            report.skipped.append((record.location, f"text longer than {max_text_chars} characters"))
        else:
            row, created = add_article(session, record.article)
            (report.added if created else report.already_stored).append(row.id)
    return report
