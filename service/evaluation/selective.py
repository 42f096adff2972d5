"""Selective answering, measured and fitted: every question of the held-out SQuAD articles asked of four texts (its
paragraph, its whole article, another paragraph of its article without the answer, an unrelated news article), the
reader's readings of each collected once with the verifier's features, then

- `precis train verifier`: the verifier fitted on all of them (models/verifier_training.py), written beside the
  reader;
- `precis eval answers`: what the verifier does, every figure from a verifier and a threshold fitted without the
  question's article (leave one article out), as a risk-coverage curve and a calibration table beside F1.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from models.answers import STOP_WORDS, AnswerFinder
from models.onnx_cache import file_sha256
from models.reader_files import check_reader_files
from models.results import Answer, Candidate
from models.squad import VALIDATION_ARTICLES, f1_score, load_squad, metric_max_over_ground_truths, split_by_article
from models.verifier import RIGHT_F1, Reading, VerifierFile, features, save_verifier
from models.verifier_training import (
    FLOOR,
    Readings,
    calibration,
    fit_verifier,
    nested_thresholds,
    out_of_fold,
    surest,
)
from service.evaluation.answers import Outcomes, Task, make_task
from service.evaluation.data import load_news, sample
from service.evaluation.report import Row

# The four texts each question is asked of, in Outcomes' order.
KINDS = ("paragraph", "whole", "distractor", "news")
COVERAGES = (1.0, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3)


@dataclass
class Collected:
    """The readings of every (question, text) asked, in one flat table (Readings) and what maps it back."""

    readings: Readings
    spans: list[str]  # per reading: the span's text
    margins: np.ndarray  # per reading: the reader's margin
    ranks: np.ndarray  # per reading: its context's retrieval rank
    asked: list[tuple[int, str]]  # per asked id: (question index, kind)
    gold: list[tuple[str, ...]]  # per question: its gold answers
    seconds: list[float] = field(default_factory=list)  # per question: reading its paragraph
    whole_seconds: list[float] = field(default_factory=list)  # per question: reading its whole article


def collect(finder: AnswerFinder, task: Task, progress: bool = True) -> Collected:
    topics = sorted({q.topic for q in task.questions})
    rows, f1s, asked_ids, groups, spans, margins, ranks = [], [], [], [], [], [], []
    asked: list[tuple[int, str]] = []
    seconds: list[float] = []
    whole_seconds: list[float] = []
    for k, question in enumerate(tqdm(task.questions, desc="readings", disable=None if progress else True)):
        texts = (question.context, task.whole[k], task.paragraphs[k], task.articles[k])
        for kind, text in zip(KINDS, texts, strict=True):
            # Timed as a served answer costs: retrieval, the reader and the verifier's features.
            started = time.perf_counter()
            index = finder.index(text)
            readings: list[Reading] = finder.readings(index, text, question.question) if index.sentences else []
            judged = [features(question.question, text, r, index.sentences, STOP_WORDS) for r in readings]
            if kind in ("paragraph", "whole"):
                (seconds if kind == "paragraph" else whole_seconds).append(time.perf_counter() - started)
            asked_id = len(asked)
            asked.append((k, kind))
            for reading, row in zip(readings, judged, strict=True):
                span = text[reading.span.start : reading.span.end]
                answerable = kind in ("paragraph", "whole")
                rows.append(row)
                f1s.append(metric_max_over_ground_truths(f1_score, span, question.answers) if answerable else 0.0)
                asked_ids.append(asked_id)
                groups.append(topics.index(question.topic))
                spans.append(span)
                margins.append(reading.span.margin)
                ranks.append(reading.rank)
    table = Readings(
        np.array(rows).reshape(len(rows), -1), np.array(f1s), np.array(asked_ids, dtype=int), np.array(groups)
    )
    return Collected(
        table,
        spans,
        np.array(margins),
        np.array(ranks),
        asked,
        [q.answers for q in task.questions],
        seconds,
        whole_seconds,
    )


def _outcomes(
    collected: Collected, chosen: np.ndarray, given: np.ndarray, offered: np.ndarray, confidence: np.ndarray | None
) -> Outcomes:
    """Outcomes (as answers.row reads them) of one way of choosing and giving, per asked id: its `chosen` reading,
    `given` as the answer, else `offered` as "not sure", else "no answer"."""
    questions = max(k for k, _ in collected.asked) + 1
    by_kind: dict[str, list[Answer]] = {kind: [Answer.none(0.0, "precis")] * questions for kind in KINDS}
    asked_of = collected.readings.asked
    for reading, is_given, is_offered in zip(chosen, given, offered, strict=True):
        k, kind = collected.asked[int(asked_of[reading])]
        text = collected.spans[reading]
        margin = float(collected.margins[reading])
        sure = None if confidence is None else float(confidence[reading])
        # The harness scores the span's text only: its offsets here are the span's own, not the article's.
        if is_given:
            by_kind[kind][k] = Answer(text, 0, len(text), margin, None, None, None, "precis", sure)
        elif is_offered:
            candidate = Candidate(text, 0, len(text), sure or 0.0)
            by_kind[kind][k] = Answer(None, None, None, margin, None, None, None, "precis", sure, candidate)
        else:
            by_kind[kind][k] = Answer.none(margin, "precis", sure)
    return Outcomes(
        by_kind["paragraph"], by_kind["whole"], by_kind["distractor"], by_kind["news"], list(collected.seconds)
    )


def margin_outcomes(collected: Collected, threshold: float, later_context_margin: float) -> Outcomes:
    """The reader before the verifier: the best margin (a later passage's must beat the first's by
    `later_context_margin` per rank), given when it reaches the reader's threshold."""
    chosen = surest(collected.margins - later_context_margin * collected.ranks, collected.readings.asked)
    given = collected.margins[chosen] >= threshold
    # Without a verifier there is no "not sure": below the threshold the text does not say.
    return _outcomes(collected, chosen, given, np.zeros_like(given), None)


@dataclass
class Selective:
    """Cross-validated confidences and thresholds, and the outcomes they give."""

    confidence: np.ndarray  # per reading, out of fold
    thresholds: dict[int, float]  # per article (group), chosen without it
    chosen: np.ndarray  # per asked id: its surest reading
    given: np.ndarray  # per asked id: answered (confidence at or above its article's threshold)
    outcomes: Outcomes


def cross_validated(collected: Collected, seed: int = 0) -> Selective:
    table = collected.readings
    confidence = out_of_fold(table, seed)
    thresholds = nested_thresholds(table, seed)
    chosen = surest(confidence, table.asked)
    limit = np.array([thresholds[int(g)] for g in table.group[chosen]])
    given = confidence[chosen] >= limit
    # Below the floor nothing is offered ("no answer"), as the served finder does.
    offered = confidence[chosen] >= FLOOR
    return Selective(confidence, thresholds, chosen, given, _outcomes(collected, chosen, given, offered, confidence))


def _of_kind(collected: Collected, chosen: np.ndarray, kind: str) -> np.ndarray:
    """The chosen readings of the texts of one kind."""
    return np.array([r for r in chosen if collected.asked[int(collected.readings.asked[r])][1] == kind], dtype=int)


def trust_row(name: str, collected: Collected, outcomes: Outcomes) -> Row:
    """The figures a newsroom reads: of the answers given, how many are wrong (F1 = 0) and how good they are."""
    row: Row = {"system": name}
    for label, answers_given in (("paragraph", outcomes.answers), ("whole article", outcomes.in_whole)):
        given = [a for a in answers_given if a.answer is not None]
        row[f"answered ({label})"] = len(given) / len(answers_given)
        f1 = _given_f1(collected, answers_given)
        row[f"wrong among given ({label})"] = float(np.mean([v == 0 for v in f1])) if f1 else 0.0
        row[f"F1 of given ({label})"] = float(np.mean(f1)) if f1 else 0.0
    row["ms p50 (whole article)"] = 1000 * float(np.median(collected.whole_seconds))
    row["made up (paragraphs)"] = float(np.mean([a.answer is not None for a in outcomes.on_paragraphs]))
    row["made up (articles)"] = float(np.mean([a.answer is not None for a in outcomes.on_articles]))
    shown = [a for a in outcomes.answers if a.candidate is not None]
    row["not sure (paragraph)"] = len(shown) / len(outcomes.answers)
    return row


TRUST_COLUMNS = [
    "system",
    "answered (paragraph)",
    "wrong among given (paragraph)",
    "F1 of given (paragraph)",
    "not sure (paragraph)",
    "answered (whole article)",
    "wrong among given (whole article)",
    "F1 of given (whole article)",
    "ms p50 (whole article)",
    "made up (paragraphs)",
    "made up (articles)",
]


def _given_f1(collected: Collected, answers: list[Answer]) -> list[float]:
    gold = collected.gold
    return [
        metric_max_over_ground_truths(f1_score, a.answer, gold[k])
        for k, a in enumerate(answers)
        if a.answer is not None
    ]


def risk_coverage(collected: Collected, selective: Selective, kind: str = "paragraph") -> list[Row]:
    """Answering only the surest share of the questions: how many of those answers are wrong, and their F1."""
    chosen = _of_kind(collected, selective.chosen, kind)
    order = chosen[np.argsort(-selective.confidence[chosen], kind="stable")]
    f1 = collected.readings.f1[order]
    rows = []
    for coverage in COVERAGES:
        n = max(1, round(coverage * len(order)))
        rows.append(
            {
                "coverage": coverage,
                "confidence at least": float(selective.confidence[order[n - 1]]),
                "wrong (F1 = 0)": float(np.mean(f1[:n] == 0)),
                "right (F1 >= 0.5)": float(np.mean(f1[:n] >= RIGHT_F1)),
                "F1": float(np.mean(f1[:n])),
            }
        )
    return rows


RISK_COLUMNS = ["coverage", "confidence at least", "wrong (F1 = 0)", "right (F1 >= 0.5)", "F1"]


def calibration_rows(collected: Collected, selective: Selective) -> list[Row]:
    """Out-of-fold confidence against how often the candidates (all four kinds of text) were right."""
    chosen = selective.chosen
    bins = calibration(selective.confidence[chosen], collected.readings.f1[chosen])
    rows = []
    for b in bins:
        members = chosen[(selective.confidence[chosen] >= b.low) & (selective.confidence[chosen] < b.high + 1e-9)]
        rows.append(
            {
                "confidence": f"{b.low:.1f}-{b.high:.1f}",
                "candidates": b.answers,
                "mean confidence": float(selective.confidence[members].mean()) if len(members) else None,
                "right": b.right / b.answers if b.answers else None,
            }
        )
    return rows


CALIBRATION_COLUMNS = ["confidence", "candidates", "mean confidence", "right"]


def held_out_task(data: Path, validation_articles: int, seed: int, limit: int | None) -> Task:
    """The questions of the articles the reader never trained on (its training's split), each with the texts it
    is asked of."""
    pool = load_squad(data)
    _, validation = split_by_article(pool, validation_articles, seed)
    questions = sample(validation, limit, seed)
    return make_task(questions, validation, [item.article for item in load_news()], seed)


def train_verifier(finder: AnswerFinder, reader_dir: Path, data: Path, limit: int | None = None) -> VerifierFile:
    """Fits the verifier of the reader in `reader_dir` on its held-out articles and writes it there."""
    manifest = check_reader_files(reader_dir)
    config = manifest.training.get("config", {})
    seed = int(config.get("seed", 0))
    task = held_out_task(data, int(config.get("validation_articles", VALIDATION_ARTICLES)), seed, limit)
    collected = collect(finder, task)
    selective = cross_validated(collected, seed)
    trust = trust_row("precis", collected, selective.outcomes)
    weights = fit_verifier(
        collected.readings,
        manifest.weights_sha256,
        seed,
        fit={
            "command": "precis train verifier",
            "data": {"file": data.name, "sha256": file_sha256(data).hex()},
            "articles": sorted({q.topic for q in task.questions}),
            "questions": len(task.questions),
            "readings": len(collected.spans),
            "cross_validated": {key: value for key, value in trust.items() if key != "system"},
        },
    )
    save_verifier(weights, reader_dir)
    return weights
