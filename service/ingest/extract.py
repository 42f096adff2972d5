"""HTML news page → the story it carries: headline, body paragraphs, date and site name.

The rule, and what each step gained on the 21 pages of ../shared/eval/news-pages (mean token F1 against the
checked article bodies, and the worst page; `python -m scripts.eval_extraction`):

1. trafilatura with its defaults: 0.945, worst 0.620. `favor_recall=True` changes nothing.
2. trafilatura with `favor_precision=True`, comments off: 0.964 (+0.019), worst 0.620. It drops teaser and
   newsletter boxes that the default keeps: four pages better (up to 0.77 → 1.00), none worse.
3. A second opinion from readability-lxml: when its text is at least 1.5 times as long and holds at least
   90% of trafilatura's tokens, it is the same story found more completely, and wins. This is for bodies
   split into sibling containers by inline ads or pull quotes, where trafilatura keeps only the first
   container (the worst page: 0.620 → 0.984). 0.982 (+0.017), worst 0.944; the same one page switches for
   any ratio from 1.2 to 2.0 and coverage from 0.8 to 0.95. Weaker second opinions: justext (0.980, and at
   ratio 1.2 it also replaces a correct page by one with furniture), trafilatura's `baseline()` (0.937: it
   switches three pages, two of them wrongly) and trafilatura's bundled readability fork (it does not join
   the split containers).
4. A first paragraph repeating the headline is dropped, as the title is returned on its own: 0.984 (+0.002,
   three pages).
5. Small blocks holding a button or a form are removed before extraction (see `_WIDGET_BOXES`): 0.985
   (+0.001, one newsletter sign-up); they are mainly for boxes placed between story paragraphs.
"""

import copy
import re
from collections import Counter

import lxml.etree
import lxml.html
import trafilatura
from readability import Document as ReadabilityDocument
from readability.readability import Unparseable
from trafilatura.settings import Document

from service.ingest.story import ExtractedArticle

# A readability text this much longer than trafilatura's, containing this share of its tokens, is taken to
# be the same story found more completely (see the module docstring for how the figures were chosen).
FULLER_RATIO = 1.5
MIN_COVERAGE = 0.9

# A small block holding a button or a form is a widget (an AI assistant, a newsletter sign-up, a poll), never
# story text; trafilatura drops such boxes around the story but keeps those placed between its paragraphs.
# The size guard keeps story containers, which also hold buttons (share, "show more"): F1 is the same for any
# limit from 300 to 2000 characters, and at 5000 whole stories vanish from five pages.
_WIDGET_BOXES = lxml.etree.XPath(
    "//*[self::div or self::section or self::aside][.//button or .//form][string-length(normalize-space()) < 300]"
)
# Elements whose text is one paragraph; only the innermost count, so a <li><p>…</p></li> is not doubled.
_PARAGRAPH_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "th", "dd", "dt")
_WORD = re.compile(r"\w+")


def extract_article(html: str, url: str | None = None) -> ExtractedArticle | None:
    """The article on a page, or None when the page has no article text (empty, broken or not HTML)."""
    tree = trafilatura.load_html(html)
    if tree is None:
        return None
    for box in _WIDGET_BOXES(tree):
        # Emptied in place: dropping it would join its tail text to a neighbour's, which lxml refuses for
        # characters it parsed but will not set (U+FFFF from an entity), failing the whole page.
        box.clear(keep_tail=True)
    # trafilatura prunes the tree it is given, and readability still has to read the whole page.
    document = trafilatura.bare_extraction(
        copy.deepcopy(tree), url=url, favor_precision=True, include_comments=False, with_metadata=True
    )
    if not isinstance(document, Document) or not document.text:
        return None
    text = _fuller_story(document.text, _readability_text(tree))
    text = _without_leading_title(text, document.title)
    if not text:
        return None
    return ExtractedArticle(
        title=document.title or None,
        text=text,
        published_at=document.date or None,
        source=document.sitename or None,
    )


def _readability_text(tree: lxml.html.HtmlElement) -> str:
    try:
        summary = ReadabilityDocument(tree).summary(html_partial=True)
        root = lxml.html.fromstring(summary)
    except (Unparseable, lxml.etree.ParserError):
        # trafilatura already found text, so the page is not worth failing over a second opinion.
        return ""
    paragraphs = (
        " ".join(element.text_content().split())
        for element in root.iter(*_PARAGRAPH_TAGS)
        if next(element.iterdescendants(*_PARAGRAPH_TAGS), None) is None
    )
    return "\n".join(paragraph for paragraph in paragraphs if paragraph)


def _fuller_story(text: str, alternative: str) -> str:
    """`alternative` when it is the same story as `text`, only more of it; otherwise `text`."""
    tokens, alternative_tokens = Counter(_tokens(text)), Counter(_tokens(alternative))
    longer = alternative_tokens.total() >= FULLER_RATIO * tokens.total()
    covers = (tokens & alternative_tokens).total() >= MIN_COVERAGE * tokens.total()
    return alternative if longer and covers else text


def _without_leading_title(text: str, title: str | None) -> str:
    first, _, rest = text.partition("\n")
    if title and _tokens(first) == _tokens(title):
        return rest.strip()
    return text


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())
