"""Splits text into sentences with exact character offsets."""

import re
from dataclasses import dataclass

import blingfire

# Paragraph and line breaks always end a sentence in news copy (headings,
# captions and list items rarely carry a full stop).
_LINE = re.compile(r"[^\n]+")

# Web copy loses the line break after a photo caption, so the caption runs into the story's next sentence
# without a full stop: "... in Dortmund on Wednesday He said: ...", "... his RBS pension pot A respected
# bank manager ...", "... with a towel on her face An 86-year-old nun ...". A lower-case word followed by a
# capitalised sentence opener that is itself followed by a lower-case word or a number marks such a seam
# ("told The Sun" and "Plan A" stay whole). 142 of the 3 435 sentences of the shared CNN/DailyMail set held one.
_OPENERS = "A|An|The|He|She|It|They|We|But|His|Her|Their|Its|This|These|Those|There|However|Now|When|After|Police"
_RUN_IN = rf"(?<=[a-z0-9%)\u2019']) (?=(?:{_OPENERS}) [a-z0-9])"
# Paragraphs glued without a space: "... the community.Dr Venter said ...". Two lower-case letters before the
# stop keep "Mr.Smith", "U.S.Army" and web addresses whole.
_GLUED = "(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])|(?<=[a-z][.!?][\"\u201d])(?=[A-Z][a-z])"
_SEAM = re.compile(f"{_RUN_IN}|{_GLUED}")


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
            sentences.extend(_split_run_ins(text, start + line.start(), end + line.start()))
    return sentences


def _split_run_ins(text: str, start: int, end: int) -> list[Sentence]:
    pieces = []
    for seam in _SEAM.finditer(text, start, end):
        pieces.append(Sentence(text[start : seam.start()], start, seam.start()))
        start = seam.end()
    pieces.append(Sentence(text[start:end], start, end))
    return pieces
