"""Extractive answers: retrieval finds the passages that may answer a question, the trained reader reads them.

Retrieval scores runs of sentences over the whole article, so a long article is covered end to end: by word overlap
(BM25) alone in the reader's path (prompts/ranking.toml [reader]), optionally with meaning (MiniLM cosine). The
reader (models/reader.py) reads the best few passages, each widened to a paragraph-sized context as it was trained
on, and returns the best span across them, unless the null answer beats every span by the reader's fitted
threshold: then the article does not say.

What retrieval needs of a text whatever the question (its sentences, word counts, the BM25 index of its passages) is
built once per text and kept in a small LRU cache (text_index), so a second question about the same article costs
only the question: its BM25 scores and the reader.
"""

import importlib.util
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from models.bm25 import PassageBM25
from models.embedder import Embedder
from models.presets import load_ranking
from models.reader import QAReader
from models.results import Answer, Candidate
from models.sentences import split_sentences
from models.verifier import Reading, Verifier, features

_WORD = re.compile(r"\w+")


def _english_stop_words() -> frozenset[str]:
    """spaCy's English stop words, read from its stop_words.py alone. Importing that module the usual way runs the
    spacy package first, which loads thinc and torch (seconds and hundreds of MiB) for a list of words; the file
    itself is plain data."""
    package = importlib.util.find_spec("spacy")  # locates the package without importing it
    if package is None or not package.submodule_search_locations:
        raise ImportError("spacy is not installed")
    path = Path(package.submodule_search_locations[0]) / "lang" / "en" / "stop_words.py"
    spec = importlib.util.spec_from_file_location("precis_english_stop_words", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(module.STOP_WORDS)


STOP_WORDS = _english_stop_words()


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]


def passage_scores(
    semantic: np.ndarray, lexical: np.ndarray, extra_sentences: np.ndarray, w_semantic: float, w_lexical: float
) -> np.ndarray:
    """A passage's retrieval score from its MiniLM cosine, its scaled BM25 match and how many sentences it has
    beyond the first."""
    # A longer passage must earn its place: on a tie the single sentence is the sharper context.
    return w_semantic * semantic + w_lexical * lexical - 0.01 * extra_sentences


@dataclass(frozen=True, slots=True)
class Passage:
    """One sentence or a short run of neighbouring sentences."""

    first: int
    last: int
    start: int
    end: int
    score: float


# Texts whose index is kept. A 20,000-word article's index is a few MiB; news articles' are far smaller.
INDEXED_TEXTS = 16


class TextIndex:
    """A text's sentences, its candidate passages (runs of up to `window` sentences) and their BM25 index."""

    def __init__(self, text: str, window: int) -> None:
        self.sentences = split_sentences(text)
        self.words = len(text.split())
        self.sentence_words = [len(s.text.split()) for s in self.sentences]
        count = len(self.sentences)
        self.spans = [(i, j) for i in range(count) for j in range(i, min(i + window, count))]

    @cached_property
    def bm25(self) -> PassageBM25:
        """BM25 over the content words of each passage (built on first use: a short text is read whole, unranked)."""
        return PassageBM25([content_words(s.text) for s in self.sentences], self.spans)

    def lexical_match(self, question: str) -> np.ndarray:
        """BM25 of each passage, scaled so that 1.0 means every question word occurs once."""
        terms = content_words(question)
        if not terms:
            return np.zeros(len(self.spans))
        raw = self.bm25.scores(terms)
        # A question word the article never uses is as rare as a word can be: it counts fully against it.
        rarest = float(np.log((len(self.spans) + 0.5) / 0.5))
        full_match = sum(max(idf if (idf := self.bm25.idf_of(term)) is not None else rarest, 0.0) for term in terms)
        return np.clip(raw / full_match, 0.0, 1.0) if full_match > 0 else np.zeros(len(self.spans))


@lru_cache(maxsize=INDEXED_TEXTS)
def text_index(text: str, window: int) -> TextIndex:
    """The index of `text`, built once while it stays among the last INDEXED_TEXTS texts asked about (the cache
    finds it by the text's hash, then equality: a stored article or the same text sent again)."""
    return TextIndex(text, window)


class AnswerFinder:
    def __init__(self, embedder: Embedder, reader: QAReader, verifier: Verifier | None = None) -> None:
        self.embedder = embedder
        self.reader = reader
        self.verifier = verifier
        ranking = load_ranking()
        self.weights = {**ranking["answers"], **ranking["reader"]}
        retrieval = "bm25" if self.weights["w_semantic"] == 0 else f"{embedder.name}+bm25"
        self.name = f"answers/{retrieval}+{reader.name}" + (f"+{verifier.name}" if verifier else "")

    def index(self, text: str) -> TextIndex:
        return text_index(text, int(self.weights["window"]))

    def answer(self, text: str, question: str) -> Answer:
        """The answer span; or, with a verifier, the candidate it is not sure of (Answer.candidate); or
        Answer.none when the reader finds nothing close in the text."""
        index = self.index(text)
        if not index.sentences:
            return Answer.none(0.0, self.name)
        readings = self.readings(index, text, question)
        if not readings:
            # The reader found no span it could read at all (a text of control characters, say).
            return Answer.none(0.0, self.name)
        if self.verifier is None:
            best, confidence = self._surest_by_margin(readings), None
            given = best.span.margin >= self.reader.threshold
        else:
            rows = np.stack([features(question, text, r, index.sentences, STOP_WORDS) for r in readings])
            scores = self.verifier.confidence(rows)
            k = int(scores.argmax())
            best, confidence = readings[k], round(float(scores[k]), 4)
            if confidence < self.verifier.floor:
                return Answer.none(round(best.span.margin, 4), self.name, confidence)
            given = confidence >= self.verifier.threshold
        span = best.span
        if not given and confidence is None:
            return Answer.none(round(span.margin, 4), self.name)
        # The sentences the span lies in: what a reader is shown around the answer.
        holding = [s for s in index.sentences if s.start < span.end and span.start < s.end]
        found = text[span.start : span.end]
        return Answer(
            answer=found if given else None,
            start=span.start if given else None,
            end=span.end if given else None,
            score=round(span.margin, 4),
            context=text[holding[0].start : holding[-1].end],
            context_start=holding[0].start,
            context_end=holding[-1].end,
            model=self.name,
            confidence=confidence,
            candidate=None if given else Candidate(found, span.start, span.end, confidence or 0.0),
        )

    def readings(self, index: TextIndex, text: str, question: str) -> list[Reading]:
        """The reader's best span in each reading context, in text offsets, best passage first (spans it could
        not read at all, and empty ones, left out)."""
        contexts = self.reading_contexts(index, question)
        spans = self.reader.read(question, [text[start:end] for start, end in contexts])
        return [
            Reading(replace(span, start=context[0] + span.start, end=context[0] + span.end), rank)
            for rank, (span, context) in enumerate(zip(spans, contexts, strict=True))
            if span is not None and math.isfinite(span.margin) and span.start < span.end
        ]

    def _surest_by_margin(self, readings: list[Reading]) -> Reading:
        """Without a verifier: margins are not comparable across contexts, so a later one must beat the best
        passage's by `later_context_margin` per rank to be preferred."""
        later = self.weights["later_context_margin"]
        return max(readings, key=lambda r: r.span.margin - r.rank * later)

    def reading_contexts(self, index: TextIndex, question: str) -> list[tuple[int, int]]:
        """(start, end) of the texts the reader reads: the whole text when it is paragraph-sized, otherwise the
        best passages, each widened with its neighbours to a paragraph, without reading a sentence twice."""
        sentences = index.sentences
        if index.words <= int(self.weights["whole_text_words"]):
            return [(sentences[0].start, sentences[-1].end)]
        words = int(self.weights["context_words"])
        contexts: list[tuple[int, int]] = []
        taken: set[int] = set()
        for passage in self.rank_passages(index, question):
            if len(contexts) == int(self.weights["contexts"]):
                break
            if taken.intersection(range(passage.first, passage.last + 1)):
                continue
            first, last = widen(index.sentence_words, passage.first, passage.last, words, taken)
            taken.update(range(first, last + 1))
            contexts.append((sentences[first].start, sentences[last].end))
        return contexts

    def rank_passages(self, index: TextIndex, question: str) -> Iterator[Passage]:
        """Runs of up to `window` sentences, best first, scored by meaning and word overlap (made as they are taken:
        a long article has thousands, and a question reads a few)."""
        sentences = index.sentences
        spans, semantic, lexical = self.passage_features(index, question)
        extra = np.array([j - i for i, j in spans])
        scores = passage_scores(semantic, lexical, extra, self.weights["w_semantic"], self.weights["w_lexical"])
        for k in np.argsort(-scores, kind="stable"):
            first, last = spans[k]
            yield Passage(first, last, sentences[first].start, sentences[last].end, float(scores[k]))

    def passage_features(self, index: TextIndex, question: str) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
        """The candidate passages (first, last sentence) with their MiniLM cosine to the question and their
        scaled BM25 match: the two parts of a passage's score (kept apart so that they can be weighed)."""
        sentences, spans = index.sentences, index.spans
        lexical = index.lexical_match(question)
        if self.weights["w_semantic"] == 0:  # word overlap alone: nothing to embed
            return spans, np.zeros(len(spans)), lexical
        # Embedding is the expensive step: embed only the sentences that share the most words
        # with the question, and score only the passages made of them.
        shortlist = sorted(self._shortlist(spans, lexical, int(self.weights["shortlist"])))
        vectors = self.embedder.embed([question] + [sentences[i].text for i in shortlist])
        question_vector = vectors[0]
        sentence_vectors = np.zeros((len(sentences), vectors.shape[1]), dtype=vectors.dtype)
        sentence_vectors[shortlist] = vectors[1:]
        members = set(shortlist)
        keep = [k for k, (i, j) in enumerate(spans) if members.issuperset(range(i, j + 1))]
        spans, lexical = [spans[k] for k in keep], lexical[keep]
        pooled = np.stack([sentence_vectors[i : j + 1].sum(axis=0) for i, j in spans])
        pooled /= np.linalg.norm(pooled, axis=1, keepdims=True).clip(min=1e-9)
        return spans, pooled @ question_vector, lexical

    @staticmethod
    def _shortlist(spans: list[tuple[int, int]], lexical: np.ndarray, size: int) -> set[int]:
        """The `size` sentences with the best word overlap; on ties the earlier sentence wins."""
        single = [(float(lexical[k]), -i) for k, (i, j) in enumerate(spans) if i == j]
        ranked = sorted(range(len(single)), key=lambda i: single[i], reverse=True)
        return set(ranked[:size]) if size > 0 else set(ranked)


def widen(sizes: list[int], first: int, last: int, words: int, taken: set[int]) -> tuple[int, int]:
    """Adds neighbouring sentences (of `sizes` words each), one before then one after, until the run holds about
    `words` words; a sentence already read for another passage is not added again."""
    total = sum(sizes[first : last + 1])
    while total < words:
        grown = False
        for candidate in (first - 1, last + 1):
            if 0 <= candidate < len(sizes) and candidate not in taken and total + sizes[candidate] <= 2 * words:
                first, last = min(first, candidate), max(last, candidate)
                total += sizes[candidate]
                grown = True
        if not grown:
            break
    return first, last
