"""The answer method before the trained reader, kept as a named baseline for `precis eval answers`: the best
passage by retrieval, narrowed to the named entity of the kind the question asks for (spaCy's recogniser), or the
whole passage when none fits, and no answer when the best passage scores under a fitted threshold."""

import itertools
import re

from spacy.language import Language

from models.answers import AnswerFinder, Passage, content_words
from models.embedder import Embedder
from models.entities import money_start
from models.presets import load_ranking
from models.results import Answer

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


class EntityAnswerFinder(AnswerFinder):
    def __init__(self, embedder: Embedder, ner: Language) -> None:
        self.embedder = embedder
        self.ner = ner
        self.weights = load_ranking()["answers"]
        self.name = f"answers/{embedder.name}+bm25+{ner.meta.get('name', 'ner')}"

    def answer(self, text: str, question: str) -> Answer:
        index = self.index(text)
        if not index.sentences:
            return Answer.none(0.0, self.name)
        # The best three: the runners-up the entity narrowing may prefer to the best.
        passages = list(itertools.islice(self.rank_passages(index, question), 3))
        if passages[0].score < self.weights["no_answer_threshold"]:
            return Answer.none(round(passages[0].score, 4), self.name)
        return self._narrow_to_entity(text, question, passages)

    def _narrow_to_entity(self, text: str, question: str, passages: list[Passage]) -> Answer:
        labels = expected_entity_labels(question)
        if labels:
            question_words = set(content_words(question))
            # A close runner-up that holds the kind of thing asked for beats a best passage that doesn't.
            for passage in passages:
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
        candidates = [e for e in doc.ents if e.label_ in labels and not set(content_words(e.text)) <= question_words]
        if not candidates:
            return None
        anchors = [t.idx for t in doc if t.lower_ in question_words]
        if anchors:
            candidates.sort(key=lambda e: min(abs(e.start_char - a) for a in anchors))
        entity = candidates[0]
        start = money_start(context, entity.start_char) if entity.label_ == "MONEY" else entity.start_char
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
