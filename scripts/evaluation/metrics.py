"""The metrics, as their owners define them: ROUGE from the rouge-score package, EM/F1 from the
official SQuAD v1.1 evaluation script (its few normalisation lines are copied below, unchanged in effect)."""

import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache

from rouge_score import rouge_scorer

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")


@cache
def _scorer() -> rouge_scorer.RougeScorer:
    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def rouge_f1(prediction: Sequence[str], reference: Sequence[str]) -> dict[str, float]:
    """ROUGE F1 of a summary against a reference, both given as sentences. rougeL is the LCS over the
    whole text; rougeLsum, the CNN/DailyMail convention, takes the union LCS per reference sentence."""
    scores = _scorer().score("\n".join(reference), "\n".join(prediction))
    return {name: scores[name].fmeasure for name in ROUGE_TYPES}


@cache
def _rouge_l_scorer() -> rouge_scorer.RougeScorer:
    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l(prediction: Sequence[str], reference: Sequence[str]) -> float:
    """ROUGE-L F1 alone: the quality bar, and the fitting objective (a quarter of `rouge_f1`'s work)."""
    return _rouge_l_scorer().score("\n".join(reference), "\n".join(prediction))["rougeL"].fmeasure


# --- official SQuAD v1.1 evaluation (rajpurkar/SQuAD-explorer, evaluate-v1.1.py) ---
def normalize_answer(s: str) -> str:
    """Lower text and remove punctuation, articles and extra whitespace."""

    def remove_articles(text: str) -> str:
        return re.sub(r"\b(a|an|the)\b", " ", text)

    def white_space_fix(text: str) -> str:
        return " ".join(text.split())

    def remove_punc(text: str) -> str:
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def f1_score(prediction: str, ground_truth: str) -> float:
    prediction_tokens = normalize_answer(prediction).split()
    ground_truth_tokens = normalize_answer(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0.0
    precision = num_same / len(prediction_tokens)
    recall = num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def exact_match_score(prediction: str, ground_truth: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(ground_truth))


def metric_max_over_ground_truths(
    metric_fn: Callable[[str, str], float], prediction: str, ground_truths: Sequence[str]
) -> float:
    return max(metric_fn(prediction, ground_truth) for ground_truth in ground_truths)


# --- end of the official script's lines ---


def squad_em_f1(prediction: str | None, ground_truths: Sequence[str]) -> tuple[float, float]:
    """EM and F1 of one prediction; as in the official script, an unanswered question scores 0."""
    if prediction is None:
        return 0.0, 0.0
    return (
        metric_max_over_ground_truths(exact_match_score, prediction, ground_truths),
        metric_max_over_ground_truths(f1_score, prediction, ground_truths),
    )


def holds_answer(
    start: int | None, end: int | None, answers: Sequence[str], answer_starts: Sequence[int]
) -> bool:
    """Whether the returned context [start, end) covers one gold answer span (by character offsets,
    so an answer string that also occurs elsewhere in the text does not count)."""
    if start is None or end is None:
        return False
    return any(start <= s and s + len(a) <= end for a, s in zip(answers, answer_starts, strict=True))
