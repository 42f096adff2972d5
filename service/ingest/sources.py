"""Reads articles from files: JSONL, CSV, JSON, or .html / .txt pages (or a folder of them).

Bad records are reported with their location, not fatal."""

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models.readability import readability_rules
from service.errors import describe_validation_errors
from service.ingest.plaintext import extract_text_article
from service.ingest.story import ExtractedArticle, extract_story
from service.schemas import ArticleSubmission
from service.store.articles import NewArticle

PAGE_SUFFIXES = {".html", ".htm", ".txt"}
# A page whose "story" is shorter than this is navigation or an index page, not an article.
MIN_EXTRACTED_WORDS = 15


# extract_story's signature: the API passes one that runs in a worker process (extraction_worker.py).
Extractor = Callable[[str, str | None], ExtractedArticle | None]


class RecordError(ValueError):
    """A record that cannot become an article; the message says why, for a human. The API answers it with a
    422 (service/api/articles.py), the commands print it: what it means to a user is theirs to say."""


@dataclass(frozen=True)
class Record:
    location: str  # "file:line" or "file", for error reports
    article: NewArticle | None
    error: str | None = None


def _story_in_html(html: str, url: str | None, extract: Extractor = extract_story) -> ExtractedArticle:
    extracted = extract(html, url)
    if extracted is None or len(extracted.text.split()) < MIN_EXTRACTED_WORDS:
        raise RecordError("no article text could be extracted from the HTML")
    return extracted


def _without_furniture(text: str) -> str:
    """The story without the page's teaser lines ("READ MORE: ...", "Related: ...": prompts/readability.toml)."""
    return readability_rules().without_furniture_lines(text)


def _story_text(text: str) -> str:
    story = _without_furniture(text)
    if not story.strip():
        raise RecordError('text: holds only page furniture ("READ MORE", "Advertisement" …), no story')
    return story


def article_from_submission(submission: ArticleSubmission, extract: Extractor = extract_story) -> NewArticle:
    """Turns `{html}` into title and text by extraction; fields given explicitly win over extracted ones.
    Either way the text is stored without furniture lines. What the store would refuse (a story left blank, an
    extracted headline over its length) is a RecordError, as every other unusable record is."""
    if submission.html is None:
        fields = submission.model_dump(exclude={"html"})
        fields["text"] = _story_text(fields["text"])
    else:
        extracted = _story_in_html(submission.html, submission.url, extract)
        fields = {
            "title": submission.title or extracted.title,
            "text": _story_text(extracted.text),
            "url": submission.url,
            "published_at": submission.published_at or extracted.published_at,
            "source": submission.source or extracted.source,
        }
        if not fields["title"]:
            raise RecordError("the page has no title; give one")
    try:
        return NewArticle.model_validate(fields)
    except ValidationError as error:
        raise RecordError(describe_validation_errors(error.errors())) from None


def record_from_fields(location: str, fields: Mapping[str, Any]) -> Record:
    """A record from ArticleSubmission-shaped fields."""
    try:
        return Record(location, article_from_submission(ArticleSubmission.model_validate(fields)))
    except ValidationError as error:
        return Record(location, None, describe_validation_errors(error.errors()))
    except RecordError as error:
        return Record(location, None, str(error))


def decode_text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RecordError(f"not UTF-8 text (byte {error.start})") from error


def _read_text(path: Path) -> str:
    return decode_text(path.read_bytes())


def _read_jsonl(path: Path) -> Iterator[Record]:
    for number, line in enumerate(io.StringIO(_read_text(path)), start=1):
        if not line.strip():
            continue
        location = f"{path}:{number}"
        try:
            fields = json.loads(line)
        except json.JSONDecodeError as error:
            yield Record(location, None, f"not JSON: {error.msg}")
            continue
        if not isinstance(fields, dict):
            yield Record(location, None, "a line must hold a JSON object")
            continue
        yield record_from_fields(location, fields)


def _read_csv(path: Path) -> Iterator[Record]:
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    for row in reader:
        # An empty cell is an absent field (a CSV cannot say null). line_num is where the row ended; a quoted
        # field can span lines.
        fields = {key: value for key, value in row.items() if value != ""}
        yield record_from_fields(f"{path}:{reader.line_num}", fields)


def _read_json(path: Path) -> Iterator[Record]:
    try:
        content = json.loads(_read_text(path))
    except json.JSONDecodeError as error:
        yield Record(str(path), None, f"not JSON: {error.msg}")
        return
    items = content if isinstance(content, list) else [content]
    for number, fields in enumerate(items, start=1):
        location = f"{path}[{number}]" if isinstance(content, list) else str(path)
        if isinstance(fields, dict):
            yield record_from_fields(location, fields)
        else:
            yield Record(location, None, "expected a JSON object")


def text_page(content: str) -> tuple[str | None, str]:
    """A text page's headline (when it has one) and body: a clean article, or a page's text with its furniture."""
    extracted = extract_text_article(content)
    if extracted is None:
        raise RecordError("no article text found: the file has no paragraphs of prose")
    return extracted.title, extracted.text


def page_story(content: str, is_html: bool, title: str | None = None) -> tuple[str | None, str]:
    """A page's headline (None if it has none) and story, read as `page_record` reads it, for commands that
    summarise or answer from a file without storing it. A text page given its title holds only the body."""
    if is_html:
        extracted = _story_in_html(content, None)
        return title or extracted.title, _without_furniture(extracted.text)
    headline, text = (title, content) if title else text_page(content)
    return headline, _without_furniture(text)


def page_record(location: str, content: str, is_html: bool, **given: str | None) -> Record:
    """One page as a record: HTML to extract the story from, or text whose first line is the headline.

    `given` fields (title, url, source) win over what the page says. A text page given its title is taken to
    hold only the body, so all of it is kept."""
    given = {key: value for key, value in given.items() if value}
    if is_html:
        return record_from_fields(location, {"html": content} | given)
    try:
        title, text = page_story(content, is_html=False, title=given.get("title"))
    except RecordError as error:
        return Record(location, None, str(error))
    if title is None:
        return Record(location, None, "no headline found: put it on the first line (or give a title)")
    return record_from_fields(location, given | {"title": title, "text": text})


def _read_page(path: Path) -> Record:
    try:
        content = _read_text(path)
    except RecordError as error:
        return Record(str(path), None, str(error))
    return page_record(str(path), content, is_html=path.suffix.lower() != ".txt")


def read_records(path: Path) -> Iterator[Record]:
    """Every record under `path`, in a stable order, each either an article or an error."""
    if path.is_dir():
        for page in sorted(p for p in path.rglob("*") if p.suffix.lower() in PAGE_SUFFIXES and p.is_file()):
            yield _read_page(page)
        return
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            yield from _read_jsonl(path)
        elif suffix == ".csv":
            yield from _read_csv(path)
        elif suffix == ".json":
            yield from _read_json(path)
        elif suffix in PAGE_SUFFIXES:
            yield _read_page(path)
        else:
            yield Record(str(path), None, "unsupported file type (use .jsonl, .csv, .json, .html, .txt or a folder)")
    except RecordError as error:
        yield Record(str(path), None, str(error))
