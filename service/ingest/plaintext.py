"""Plain text copied from a news page → the story: its headline and its body, without the page furniture.

A page's text holds the story as one block of prose paragraphs, surrounded by short lines that are not prose:
the logo, menu items, "Related articles", teaser headlines, "Download the app". Teasers carry a paragraph of
prose each, but alone, between such lines. So the body is the run of consecutive prose lines with the most
paragraphs, then words (body-text extraction in the manner of Finn et al.'s BTE, by lines instead of tags); a
single non-prose
line between two prose lines (a sub-heading, a photo credit) does not end the run, and is left out. The
headline is the last non-prose line of three or more words before the body. A clean file, headline first and
paragraphs after, comes through unchanged.
"""

import re
from dataclasses import dataclass

from service.ingest.story import ExtractedArticle

# A line that ends like a sentence (optionally inside quotes or brackets), or that is long, is prose.
_ENDS_LIKE_A_SENTENCE = re.compile("[.!?\u2026][\"'\u201d\u2019)\\]]*\\s*$")
_LONG_LINE_WORDS = 25
_MIN_HEADLINE_WORDS = 3


@dataclass(frozen=True)
class _Line:
    text: str
    prose: bool


def _classify(text: str) -> list[_Line]:
    lines = [line.strip() for line in text.splitlines()]
    return [
        _Line(line, bool(_ENDS_LIKE_A_SENTENCE.search(line)) or len(line.split()) >= _LONG_LINE_WORDS)
        for line in lines
        if line
    ]


def _prose_runs(lines: list[_Line]) -> list[tuple[int, int]]:
    """(first, last) indices of runs of prose lines, bridging single non-prose lines."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, line in enumerate(lines):
        if line.prose:
            if start is None:
                start = index
            continue
        bridged = 0 < index < len(lines) - 1 and lines[index - 1].prose and lines[index + 1].prose
        if start is not None and not bridged:
            runs.append((start, index - 1))
            start = None
    if start is not None:
        runs.append((start, len(lines) - 1))
    return runs


def _paragraphs_and_words(run: list[_Line]) -> tuple[int, int]:
    """A story has several paragraphs, a teaser one (however long): paragraphs count first."""
    prose = [line for line in run if line.prose]
    return len(prose), sum(len(line.text.split()) for line in prose)


def extract_text_article(text: str) -> ExtractedArticle | None:
    lines = _classify(text)
    runs = _prose_runs(lines)
    if not runs:
        return None
    first, last = max(runs, key=lambda run: _paragraphs_and_words(lines[run[0] : run[1] + 1]))
    body = [line.text for line in lines[first : last + 1] if line.prose]
    headline = next(
        (line.text for line in reversed(lines[:first]) if len(line.text.split()) >= _MIN_HEADLINE_WORDS), None
    )
    if headline is None and len(body) > 1 and len(body[0].split()) < _LONG_LINE_WORDS:
        # A headline that ends like a sentence ("Should councils pay?") heads a clean file's body.
        headline, body = body[0], body[1:]
    return ExtractedArticle(title=headline, text="\n".join(body), published_at=None, source=None)
