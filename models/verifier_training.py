"""Fitting the answer verifier (models/verifier.py): a logistic regression from scikit-learn over the features of
the reader's readings, its answer threshold set for a target precision, and the figures that show what it does,
every one cross-validated by article (a fold's readings are judged by a verifier that never saw its article).

The unit of judgement is a *question asked of a text*: the reader reads a few passages of it (`Readings` rows
sharing one `asked` id), the verifier scores each, and the surest one is the candidate. A candidate is "right" when
its token F1 against a gold answer reaches RIGHT_F1; an asked text that cannot answer (a paragraph without the
answer, an unrelated article) has no right candidate.
"""

import itertools
from dataclasses import dataclass

import numpy as np

from models.verifier import FEATURES, RIGHT_F1, CalibrationBin, VerifierFile, standardised_logistic

# The share of given answers that must be right (F1 >= 0.5) on validation: the threshold is the lowest confidence
# that reaches it.
TARGET_PRECISION = 0.8
# Below this confidence a candidate is not shown at all ("the article doesn't say").
FLOOR = 0.2
CALIBRATION_EDGES = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001]
REGULARISATION = 1.0


@dataclass(frozen=True)
class Readings:
    """Every reading of every asked text, with what is known of it once the gold answers are."""

    rows: np.ndarray  # (readings, FEATURES)
    f1: np.ndarray  # (readings,): token F1 of the reading's span (0 where the text cannot answer)
    asked: np.ndarray  # (readings,): which asked text the reading belongs to
    group: np.ndarray  # (readings,): the article (fold) of the question, as an integer

    def __post_init__(self) -> None:
        if self.rows.shape != (len(self.f1), len(FEATURES)):
            raise ValueError(f"readings must have {len(FEATURES)} features each")


@dataclass(frozen=True)
class Model:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def confidence(self, rows: np.ndarray) -> np.ndarray:
        return standardised_logistic(rows, self.mean, self.scale, self.coef, self.intercept)


def fit_model(rows: np.ndarray, right: np.ndarray, seed: int = 0) -> Model:
    from sklearn.linear_model import LogisticRegression

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=REGULARISATION, max_iter=2000, random_state=seed)
    model.fit((rows - mean) / scale, right)
    return Model(mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0]))


def surest(confidence: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """Indices of the surest reading of each asked text, in the order of the asked ids."""
    order = np.lexsort((-confidence, asked))
    first = np.ones(len(order), dtype=bool)
    first[1:] = asked[order][1:] != asked[order][:-1]
    return order[first]


def out_of_fold(readings: Readings, seed: int = 0) -> np.ndarray:
    """Each reading's confidence from a verifier fitted on the other articles (leave one article out)."""
    confidence = np.zeros(len(readings.f1))
    right = readings.f1 >= RIGHT_F1
    for group in np.unique(readings.group):
        held = readings.group == group
        confidence[held] = fit_model(readings.rows[~held], right[~held], seed).confidence(readings.rows[held])
    return confidence


def threshold_for(confidence: np.ndarray, f1: np.ndarray, target: float = TARGET_PRECISION) -> float:
    """The lowest confidence at which the answers given (confidence >= it) are right at least `target` of the
    time; 1.0 when no threshold reaches it."""
    order = np.argsort(-confidence, kind="stable")
    right = (f1[order] >= RIGHT_F1).cumsum()
    precision = right / np.arange(1, len(order) + 1)
    reaching = np.flatnonzero(precision >= target)
    # The largest prefix that still reaches the target; among equal confidences the threshold takes them all.
    return float(confidence[order][reaching[-1]]) if len(reaching) else 1.0


def calibration(confidence: np.ndarray, f1: np.ndarray) -> list[CalibrationBin]:
    bins = []
    for low, high in itertools.pairwise(CALIBRATION_EDGES):
        members = (confidence >= low) & (confidence < high)
        bins.append(CalibrationBin(low, min(high, 1.0), int(members.sum()), int((f1[members] >= RIGHT_F1).sum())))
    return bins


def nested_thresholds(readings: Readings, seed: int = 0, target: float = TARGET_PRECISION) -> dict[int, float]:
    """Per held-out article, the threshold chosen on the other articles alone (from their own out-of-fold
    confidences), so that no reported figure comes from a threshold that saw its article."""
    thresholds = {}
    for group in np.unique(readings.group):
        rest = readings.group != group
        inner = Readings(readings.rows[rest], readings.f1[rest], readings.asked[rest], readings.group[rest])
        confidence = out_of_fold(inner, seed)
        chosen = surest(confidence, inner.asked)
        thresholds[int(group)] = threshold_for(confidence[chosen], inner.f1[chosen], target)
    return thresholds


def fit_verifier(readings: Readings, reader_sha256: str, seed: int = 0, fit: dict | None = None) -> VerifierFile:
    """The verifier to ship: fitted on every article; its threshold and calibration from out-of-fold confidences."""
    model = fit_model(readings.rows, readings.f1 >= RIGHT_F1, seed)
    confidence = out_of_fold(readings, seed)
    chosen = surest(confidence, readings.asked)
    return VerifierFile(
        reader_sha256=reader_sha256,
        features=list(FEATURES),
        mean=[round(float(v), 6) for v in model.mean],
        scale=[round(float(v), 6) for v in model.scale],
        coef=[round(float(v), 6) for v in model.coef],
        intercept=round(model.intercept, 6),
        threshold=round(threshold_for(confidence[chosen], readings.f1[chosen]), 4),
        floor=FLOOR,
        target_precision=TARGET_PRECISION,
        calibration=calibration(confidence[chosen], readings.f1[chosen]),
        fit=fit or {},
    )
