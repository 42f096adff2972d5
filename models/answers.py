"""Extractive answers: retrieval finds the passages that may answer a question, the trained reader reads them.

Retrieval scores runs of sentences over the whole article, so a long article is covered end to end: by word overlap
(BM25) alone in the reader's path (prompts/ranking.toml [reader]), optionally with meaning (MiniLM cosine). The
reader (models/reader.py) reads the best few passages, each widened to a paragraph-sized context as it was trained
on, and returns the best span across them, unless the null answer beats every span by the reader's fitted
threshold: then the article does not say.
"""

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

from models.embedder import Embedder
from models.presets import load_ranking
from models.reader import QAReader
from models.results import Answer
from models.sentences import Sentence, split_sentences

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


class AnswerFinder:
    def __init__(self, embedder: Embedder, reader: QAReader) -> None:
        self.embedder = embedder
        self.reader = reader
        ranking = load_ranking()
        self.weights = {**ranking["answers"], **ranking["reader"]}
        retrieval = "bm25" if self.weights["w_semantic"] == 0 else f"{embedder.name}+bm25"
        self.name = f"answers/{retrieval}+{reader.name}"

    def answer(self, text: str, question: str) -> Answer:
        """The answer span, or Answer.none when the reader finds none in the text."""
        sentences = split_sentences(text)
        if not sentences:
            return Answer.none(0.0, self.name)
        contexts = self.reading_contexts(text, sentences, question)
        spans = self.reader.read(question, [text[start:end] for start, end in contexts])
        later = self.weights["later_context_margin"]
        # Contexts come best passage first. Margins are not comparable across contexts, so a later one must beat the
        # best passage's by `later_context_margin` to be preferred.
        _, margin, start, end = max(
            (span.margin - rank * later, span.margin, ctx[0] + span.start, ctx[0] + span.end)
            for rank, (span, ctx) in enumerate(zip(spans, contexts, strict=True))
            if span is not None
        )
        if margin < self.reader.threshold or start >= end:
            return Answer.none(round(margin, 4), self.name)
        # The sentences the span lies in: what a reader is shown around the answer.
        holding = [s for s in sentences if s.start < end and start < s.end]
        return Answer(
            answer=text[start:end],
            start=start,
            end=end,
            score=round(margin, 4),
            context=text[holding[0].start : holding[-1].end],
            context_start=holding[0].start,
            context_end=holding[-1].end,
            model=self.name,
        )

    def reading_contexts(self, text: str, sentences: list[Sentence], question: str) -> list[tuple[int, int]]:
        """(start, end) of the texts the reader reads: the whole text when it is paragraph-sized, otherwise the
        best passages, each widened with its neighbours to a paragraph, without reading a sentence twice."""
        if len(text.split()) <= int(self.weights["whole_text_words"]):
            return [(sentences[0].start, sentences[-1].end)]
        words = int(self.weights["context_words"])
        contexts: list[tuple[int, int]] = []
        taken: set[int] = set()
        for passage in self.rank_passages(sentences, question):
            if len(contexts) == int(self.weights["contexts"]):
                break
            if taken.intersection(range(passage.first, passage.last + 1)):
                continue
            first, last = widen(sentences, passage.first, passage.last, words, taken)
            taken.update(range(first, last + 1))
            contexts.append((sentences[first].start, sentences[last].end))
        return contexts

    def rank_passages(self, sentences: list[Sentence], question: str) -> list[Passage]:
        """Runs of up to `window` sentences, best first, scored by meaning and word overlap."""
        spans, semantic, lexical = self.passage_features(sentences, question)
        extra = np.array([j - i for i, j in spans])
        scores = passage_scores(semantic, lexical, extra, self.weights["w_semantic"], self.weights["w_lexical"])
        order = np.argsort(-scores, kind="stable")
        return [
            Passage(
                spans[k][0], spans[k][1], sentences[spans[k][0]].start, sentences[spans[k][1]].end, float(scores[k])
            )
            for k in order
        ]

    def passage_features(
        self, sentences: list[Sentence], question: str
    ) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
        """The candidate passages (first, last sentence) with their MiniLM cosine to the question and their
        scaled BM25 match: the two parts of a passage's score (kept apart so that they can be weighed)."""
        window = int(self.weights["window"])
        spans = [(i, j) for i in range(len(sentences)) for j in range(i, min(i + window, len(sentences)))]
        lexical = self._lexical_match([sentences[i : j + 1] for i, j in spans], question)
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

    @staticmethod
    def _lexical_match(passages: list[list[Sentence]], question: str) -> np.ndarray:
        """BM25 of each passage, scaled so that 1.0 means every question word occurs once."""
        documents = [content_words(" ".join(s.text for s in passage)) or ["\0"] for passage in passages]
        terms = content_words(question)
        if not terms:
            return np.zeros(len(passages))
        bm25 = BM25Okapi(documents)
        raw = bm25.get_scores(terms)
        # A question word the article never uses is as rare as a word can be: it counts fully against it.
        rarest = float(np.log((len(documents) + 0.5) / 0.5))
        full_match = sum(max(bm25.idf.get(term, rarest), 0.0) for term in terms)
        return np.clip(raw / full_match, 0.0, 1.0) if full_match > 0 else np.zeros(len(passages))


def widen(sentences: list[Sentence], first: int, last: int, words: int, taken: set[int]) -> tuple[int, int]:
    """Adds neighbouring sentences, one before then one after, until the run holds about `words` words; a
    sentence already read for another passage is not added again."""

    def size(i: int) -> int:
        return len(sentences[i].text.split())

    total = sum(size(i) for i in range(first, last + 1))
    while total < words:
        grown = False
        for candidate in (first - 1, last + 1):
            if 0 <= candidate < len(sentences) and candidate not in taken and total + size(candidate) <= 2 * words:
                first, last = min(first, candidate), max(last, candidate)
                total += size(candidate)
                grown = True
        if not grown:
            break
    return first, last
