"""What extraction finds on a page, and the extractor imported where it runs.

The extractor (service/ingest/extract.py: trafilatura, readability-lxml, lxml) took 0.2 s to import. The server
extracts only in its worker process (service/ingest/extraction_worker.py), so it names the extractor through this
module and never imports it itself; the commands import it on their first page."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractedArticle:
    title: str | None
    text: str  # paragraphs separated by "\n"
    published_at: str | None  # ISO date, YYYY-MM-DD
    source: str | None  # the site's name


def extract_story(html: str, url: str | None = None) -> ExtractedArticle | None:
    """service.ingest.extract.extract_article, imported on first use."""
    from service.ingest.extract import extract_article

    return extract_article(html, url)
