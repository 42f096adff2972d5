"""Extractive answers: find the passage that answers a question, then the span inside it."""

import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from rank_bm25 import BM25Okapi
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language

from models.embedder import Embedder
from models.presets import load_ranking
from models.results import Answer
from models.sentences import Sentence, split_sentences

_WORD = re.compile(r"\w+")
_CURRENCY_SIGNS = "£$€¥"

# Which named-entity labels answer which kind of question. Checked in order, first match wins,
# so the more specific patterns come first.
_EXPECTED_ENTITIES: list[tuple[re.Pattern[str], frozenset[str]]] = [
    (
        re.compile(r"\bhow (many|much)\b.*\b(percent|percentage)\b|\bwhat (percent|percentage)\b"),
        frozenset({"PERCENT"}),
    ),
    (
        re.compile(r"\bhow much\b.*\b(cost|costs|pay|paid|worth|spend|spent|raise|raised|price)\b"),
        frozenset({"MONEY"}),
    ),
    (re.compile(r"\bhow much\b"), frozenset({"MONEY", "QUANTITY", "CARDINAL", "PERCENT"})),
    (re.compile(r"\bhow many\b"), frozenset({"CARDINAL", "QUANTITY"})),
    (re.compile(r"\bhow (long|old)\b"), frozenset({"DATE", "TIME", "QUANTITY", "CARDINAL"})),
    (re.compile(r"\bhow (far|tall|high|big|large|heavy)\b"), frozenset({"QUANTITY", "CARDINAL"})),
    (
        re.compile(r"\bwhen\b|\bwhat (year|date|day|month|time)\b|\bwhich (year|date|day|month)\b"),
        frozenset({"DATE", "TIME"}),
    ),
    (
        re.compile(r"\bwhere\b|\b(what|which) (country|city|state|town|region|place|continent)\b"),
        frozenset({"GPE", "LOC", "FAC"}),
    ),
    (
        re.compile(r"\b(what|which) (company|companies|firm|organi[sz]ation|agency|team|group|party|bank)\b"),
        frozenset({"ORG"}),
    ),
    (re.compile(r"\bwho(m|se)?\b"), frozenset({"PERSON", "ORG", "NORP"})),
]


def expected_entity_labels(question: str) -> frozenset[str]:
    lowered = question.lower()
    for pattern, labels in _EXPECTED_ENTITIES:
        if pattern.search(lowered):
            return labels
    return frozenset()


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]


@dataclass(frozen=True, slots=True)
class Passage:
    """One sentence or a short run of neighbouring sentences."""

    first: int
    last: int
    start: int
    end: int
    score: float


class SpanReader(Protocol):
    """Extracts the exact answer span from a short context (the transformers QA reader)."""

    name: str

    def read(self, question: str, context: str) -> tuple[int, int, float] | None: ...


class AnswerFinder:
    def __init__(self, embedder: Embedder, ner: Language, reader: SpanReader | None = None) -> None:
        self.embedder = embedder
        self.ner = ner
        self.reader = reader
        self.weights = load_ranking()["answers"]
        parts = [embedder.name, "bm25", ner.meta.get("name", "ner")]
        self.name = "answers/" + "+".join(parts + ([reader.name] if reader else []))

    def answer(self, text: str, question: str, sentence_vectors: np.ndarray | None = None) -> Answer:
        """The answer span, or Answer.none. `sentence_vectors` (one row per sentence of `text`, as
        `split_sentences` cuts it) spares the embedding of a stored article's sentences."""
        sentences = split_sentences(text)
        if not sentences:
            return Answer.none(0.0, self.name)
        passages = self.rank_passages(sentences, question, sentence_vectors)
        best = passages[0]
        if best.score < self.weights["no_answer_threshold"]:
            return Answer.none(round(best.score, 4), self.name)
        if self.reader is not None:
            return self._read_span(text, question, passages[0])
        return self._narrow_to_entity(text, question, passages)

    def rank_passages(
        self, sentences: list[Sentence], question: str, sentence_vectors: np.ndarray | None = None
    ) -> list[Passage]:
        """Runs of up to `window` sentences, best first, scored by meaning and word overlap."""
        spans, semantic, lexical = self.passage_features(sentences, question, sentence_vectors)
        scores = self.weights["w_semantic"] * semantic + self.weights["w_lexical"] * lexical
        # A longer passage must earn its place: on a tie the single sentence is the sharper context.
        scores -= 0.01 * np.array([j - i for i, j in spans])
        order = np.argsort(-scores, kind="stable")
        return [
            Passage(spans[k][0], spans[k][1], sentences[spans[k][0]].start, sentences[spans[k][1]].end,
                    float(scores[k]))
            for k in order
        ]

    def passage_features(
        self, sentences: list[Sentence], question: str, sentence_vectors: np.ndarray | None = None
    ) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
        """The candidate passages (first, last sentence) with their MiniLM cosine to the question and their
        scaled BM25 match: the two parts of a passage's score (kept apart so that they can be weighed)."""
        window = int(self.weights["window"])
        spans = [(i, j) for i in range(len(sentences)) for j in range(i, min(i + window, len(sentences)))]
        lexical = self._lexical_match([sentences[i : j + 1] for i, j in spans], question)
        if sentence_vectors is None:
            # Embedding is the expensive step: embed only the sentences that share the most words
            # with the question, and score only the passages made of them.
            shortlist = sorted(self._shortlist(spans, lexical, int(self.weights["shortlist"])))
            vectors = self.embedder.embed([question] + [sentences[i].text for i in shortlist])
            question_vector = vectors[0]
            sentence_vectors = np.zeros((len(sentences), vectors.shape[1]), dtype=vectors.dtype)
            sentence_vectors[shortlist] = vectors[1:]
            members = set(shortlist)
            keep = [k for k, (i, j) in enumerate(spans) if members.issuperset(range(i, j + 1))]
        else:
            question_vector = self.embedder.embed([question])[0]
            keep = list(range(len(spans)))
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

    def _read_span(self, text: str, question: str, passage: Passage) -> Answer:
        assert self.reader is not None
        found = self.reader.read(question, text[passage.start : passage.end])
        if found is None:
            return Answer.none(round(passage.score, 4), self.name)
        start, end, _ = found
        return self._make_answer(text, passage.start + start, passage.start + end, passage)

    def _narrow_to_entity(self, text: str, question: str, passages: list[Passage]) -> Answer:
        labels = expected_entity_labels(question)
        if labels:
            question_words = set(content_words(question))
            # A close runner-up that holds the kind of thing asked for beats a best passage that doesn't.
            for passage in passages[:3]:
                if passage.score < passages[0].score - 0.1:
                    break
                span = self._entity_in(text, passage, labels, question_words)
                if span:
                    return self._make_answer(text, *span, passage)
        return self._make_answer(text, passages[0].start, passages[0].end, passages[0])

    def _entity_in(
        self, text: str, passage: Passage, labels: frozenset[str], question_words: set[str]
    ) -> tuple[int, int] | None:
        context = text[passage.start : passage.end]
        doc = self.ner(context)
        # Entities the question already names are not the answer to it.
        candidates = [
            e for e in doc.ents if e.label_ in labels and not set(content_words(e.text)) <= question_words
        ]
        if not candidates:
            return None
        anchors = [t.idx for t in doc if t.lower_ in question_words]
        if anchors:
            candidates.sort(key=lambda e: min(abs(e.start_char - a) for a in anchors))
        entity = candidates[0]
        start = entity.start_char
        # The recogniser often leaves a leading currency sign out of a MONEY entity ("£" + "250,000").
        if entity.label_ == "MONEY" and start > 0 and context[start - 1] in _CURRENCY_SIGNS:
            start -= 1
        return passage.start + start, passage.start + entity.end_char

    def _make_answer(self, text: str, start: int, end: int, passage: Passage) -> Answer:
        return Answer(
            answer=text[start:end],
            start=start,
            end=end,
            score=round(passage.score, 4),
            context=text[passage.start : passage.end],
            context_start=passage.start,
            context_end=passage.end,
            model=self.name,
        )
