"""The metrics, as their owners define them: ROUGE from the rouge-score package; EM/F1 of the official SQuAD v1.1
script live with the reader's training (models/squad.py)."""

from collections.abc import Sequence
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


def holds_answer(start: int | None, end: int | None, answers: Sequence[str], answer_starts: Sequence[int]) -> bool:
    """Whether the returned context [start, end) covers one gold answer span (by character offsets,
    so an answer string that also occurs elsewhere in the text does not count)."""
    if start is None or end is None:
        return False
    return any(start <= s and s + len(a) <= end for a, s in zip(answers, answer_starts, strict=True))
