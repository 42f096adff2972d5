"""`precis eval answers`: EM/F1 and answer-sentence recall on SQuAD, against a BM25 sentence baseline,
and the no-answer threshold's precision/recall trade-off."""

import math
import statistics
import time
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from models.answers import AnswerFinder
from models.embedder import Embedder
from models.results import Answer
from models.sentences import split_sentences
from scripts.evaluation.baselines import bm25_best_sentence
from scripts.evaluation.data import Question
from scripts.evaluation.metrics import holds_answer, squad_em_f1
from scripts.evaluation.report import Row

COLUMNS = ["system", "EM", "F1", "answer-sentence recall", "answered", "context words", "ms/question"]
TRADE_OFF_COLUMNS = ["threshold", "answered", "distractors refused", "precision", "answer-sentence recall"]
THRESHOLDS = [round(0.05 * k, 2) for k in range(3, 15)]


class CachedEmbedder:
    """Remembers the vectors of the current question's texts, so that looking up the best passage's score
    after `answer` costs no second embedding pass. Cleared before each question to keep timings honest."""

    def __init__(self, embedder: Embedder) -> None:
        self.inner = embedder
        self.name = embedder.name
        self.dimension = embedder.dimension
        self.vectors: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        self.vectors.update(zip(missing, self.inner.embed(missing), strict=True))
        return np.stack([self.vectors[t] for t in texts]) if texts else self.inner.embed([])


def open_finder(finder: AnswerFinder) -> AnswerFinder:
    """A copy of `finder` that never refuses: the threshold is applied afterwards, for every candidate
    value, to the best passage's score, exactly as `AnswerFinder.answer` applies it."""
    copy = AnswerFinder(CachedEmbedder(finder.embedder), finder.ner, finder.reader)  # type: ignore[arg-type]
    copy.weights = {**finder.weights, "no_answer_threshold": -math.inf}
    return copy


@dataclass(frozen=True)
class Outcome:
    """One question, answered without a threshold; `best` is the score the threshold is compared with."""

    answer: Answer
    best: float
    seconds: float

    def at(self, threshold: float) -> Answer | None:
        return self.answer if self.best >= threshold else None


def best_score(finder: AnswerFinder, text: str, question: str) -> float:
    sentences = split_sentences(text)
    return finder.rank_passages(sentences, question)[0].score if sentences else 0.0


def run_finder(finder: AnswerFinder, question: str, text: str) -> Outcome:
    finder.embedder.vectors.clear()  # type: ignore[attr-defined]
    started = time.perf_counter()
    answer = finder.answer(text, question)
    seconds = time.perf_counter() - started
    return Outcome(answer, best_score(finder, text, question), seconds)


def precis_row(name: str, questions: list[Question], outcomes: list[Outcome], threshold: float) -> Row:
    answers = [outcome.at(threshold) for outcome in outcomes]
    em_f1 = [squad_em_f1(a.answer if a else None, q.answers) for a, q in zip(answers, questions, strict=True)]
    held = [
        holds_answer(a.context_start, a.context_end, q.answers, q.answer_starts) if a else False
        for a, q in zip(answers, questions, strict=True)
    ]
    given = [a for a in answers if a is not None]
    return {
        "system": name,
        "EM": statistics.mean(em for em, _ in em_f1),
        "F1": statistics.mean(f1 for _, f1 in em_f1),
        "answer-sentence recall": float(statistics.mean(held)),
        "answered": len(given) / len(answers),
        "context words": statistics.mean(len((a.context or "").split()) for a in given) if given else None,
        "ms/question": 1000 * statistics.mean(o.seconds for o in outcomes),
    }


def bm25_row(questions: list[Question]) -> Row:
    """The best BM25 sentence returned as both the answer and its context."""
    em_f1, held, words, seconds = [], [], [], []
    for q in questions:
        started = time.perf_counter()
        sentences = split_sentences(q.context)
        best = sentences[bm25_best_sentence(sentences, q.question)]
        seconds.append(time.perf_counter() - started)
        em_f1.append(squad_em_f1(best.text, q.answers))
        held.append(holds_answer(best.start, best.end, q.answers, q.answer_starts))
        words.append(len(best.text.split()))
    return {
        "system": "bm25 best sentence",
        "EM": statistics.mean(em for em, _ in em_f1),
        "F1": statistics.mean(f1 for _, f1 in em_f1),
        "answer-sentence recall": float(statistics.mean(held)),
        "answered": 1.0,
        "context words": statistics.mean(words),
        "ms/question": 1000 * statistics.mean(seconds),
    }


def trade_off(
    questions: list[Question], outcomes: list[Outcome], distractor_best: list[float], thresholds: list[float]
) -> list[Row]:
    """Per threshold, on the questions (answerable) and the same questions asked of a paragraph about
    something else (not answerable): how many are answered, refused, and how often an answer is right."""
    rows = []
    for threshold in thresholds:
        answered = [o.best >= threshold for o in outcomes]
        wrongly = sum(score >= threshold for score in distractor_best)
        held = [
            ok and holds_answer(o.answer.context_start, o.answer.context_end, q.answers, q.answer_starts)
            for ok, o, q in zip(answered, outcomes, questions, strict=True)
        ]
        rows.append(
            {
                "threshold": threshold,
                "answered": float(statistics.mean(answered)),
                "distractors refused": 1 - wrongly / len(distractor_best),
                # Of all answers given (to answerable questions and distractor pairs): right passage.
                "precision": sum(held) / max(1, sum(answered) + wrongly),
                "answer-sentence recall": float(statistics.mean(held)),
            }
        )
    return rows


def evaluate(
    finder: AnswerFinder, questions: list[Question], distractors: list[str], progress: bool = True
) -> tuple[list[Outcome], list[float]]:
    """Each question against its own paragraph and against a distractor paragraph."""
    opened = open_finder(finder)
    outcomes, distractor_best = [], []
    for question, distractor in tqdm(
        list(zip(questions, distractors, strict=True)),
        desc=f"answers {finder.name}",
        unit=" questions",
        disable=None if progress else True,
    ):
        outcomes.append(run_finder(opened, question.question, question.context))
        opened.embedder.vectors.clear()  # type: ignore[attr-defined]
        distractor_best.append(best_score(opened, distractor, question.question))
    return outcomes, distractor_best
