"""Splits text into sentences with exact character offsets."""

import re
from dataclasses import dataclass

import blingfire

# Paragraph and line breaks always end a sentence in news copy (headings,
# captions and list items rarely carry a full stop).
_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    for line in _LINE.finditer(text):
        if not line.group().strip():
            continue
        _, offsets = blingfire.text_to_sentences_and_offsets(line.group())
        for start, end in offsets:
            start, end = start + line.start(), end + line.start()
            sentences.append(Sentence(text[start:end], start, end))
    return sentences
