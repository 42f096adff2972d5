"""The answer verifier: answer or abstain, decided by a model of its own (selective QA).

The reader's margin alone says how much a span beats "no answer" in its window; it does not know whether a "when"
question got a date, whether the question's words stand near the span, or how long the span is. The verifier is a
logistic regression over what is known when an answer is found (the reader's log-probabilities, the span's length
and kind, the question's kind, the passage's rank, the question's words around the span), fitted by
`precis train verifier` on articles the reader never trained on (models/verifier_training.py). Its output is a
calibrated `confidence`: of the answers given at that confidence on validation, that share were right (token F1 of
at least 0.5 against a gold answer).

It lives beside the reader it was fitted for (`verifier.json` in the reader's directory), with that reader's hash:
another reader's margins mean something else, so a verifier fitted for another reader is refused at load.
"""

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import ModelLoadError
from models.reader import Span
from models.sentences import Sentence

VERIFIER_FILE = "verifier.json"
VERIFIER_FORMAT = 1
# An answer is "right" for the verifier when its token F1 against a gold answer (SQuAD's metric) reaches this.
RIGHT_F1 = 0.5

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_NUMBER_WORDS = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|billion|trillion|dozen|half|percent|per cent)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|"
    r"jun|jul|aug|sep|sept|oct|nov|dec|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|"
    r"tomorrow|century|centuries|decade|decades|year|years|month|months|week|weeks|day|days|ago|morning|evening|"
    r"night|spring|summer|autumn|winter|[12]\d{3}s?|\d{1,2}(st|nd|rd|th))\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"\b[A-Z][\w'-]*")

# Question kinds, the specific before the general ("what year" asks "when"): the first that matches.
QUESTION_TYPES: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in [
        ("how many/much", r"\bhow (many|much)\b|\bby how\b|\bwhat (percentage|share|proportion|number|amount)\b"),
        ("when", r"\bwhen\b|\bwhat (year|date|day|month|time|century|decade)\b|\bwhich (year|date|day|month)\b"),
        ("where", r"\bwhere\b|\bin what (city|country|state|place)\b|\bwhich (city|country|state|place)\b"),
        ("why", r"\bwhy\b"),
        ("who", r"\bwho(m|se)?\b"),
        ("which", r"\bwhich\b"),
        ("what", r"\bwhat\b"),
        ("how", r"\bhow\b"),
    ]
]
KINDS = [name for name, _ in QUESTION_TYPES]


def question_type(question: str) -> str:
    """The first kind that matches, the specific before the general ("what year" is a "when" question)."""
    for name, pattern in QUESTION_TYPES:
        if pattern.search(question):
            return name
    return "other"


# The verifier's inputs, in this order (verifier.json names them, and a file naming others is refused).
FEATURES = [
    "margin",
    "span_logprob",
    "null_logprob",
    "share",
    "rival_gap",
    "answer_words",
    "rank",
    "text_sentences",
    "answer_in_question",
    "focus_in_sentence",
    "focus_near",
    "has_number",
    "has_date",
    "capitalised",
    *[f"question_{kind}" for kind in KINDS],
    "how_many_number",
    "when_date",
    "who_capitalised",
    "where_capitalised",
]


def _content(text: str, stop_words: frozenset[str]) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in stop_words}


@dataclass(frozen=True, slots=True)
class Reading:
    """One span the reader found, where it was found: what the verifier judges."""

    span: Span  # offsets into the text (not the context)
    rank: int  # the context's place in retrieval's order (0: the best passage)


def features(
    question: str, text: str, reading: Reading, sentences: list[Sentence], stop_words: frozenset[str]
) -> np.ndarray:
    """The verifier's inputs for one reading (FEATURES, in order)."""
    span = reading.span
    answer = text[span.start : span.end]
    answer_words = _content(answer, stop_words)
    question_words = _content(question, stop_words)
    holding = [k for k, s in enumerate(sentences) if s.start < span.end and span.start < s.end]
    first, last = (holding[0], holding[-1]) if holding else (0, -1)
    sentence = text[sentences[first].start : sentences[last].end] if holding else answer
    near = (
        text[sentences[max(first - 1, 0)].start : sentences[min(last + 1, len(sentences) - 1)].end] if holding else ""
    )
    # The focus: the question's words the answer itself does not hold, looked for around the span.
    focus = question_words - answer_words
    kind = question_type(question)
    has_number = bool(_DIGIT.search(answer) or _NUMBER_WORDS.search(answer))
    has_date = bool(_DATE.search(answer))
    capitalised = bool(_CAPITALISED.search(answer))
    values = {
        "margin": min(max(span.margin, -10.0), 30.0),
        "span_logprob": max(span.span_logprob, -20.0),
        "null_logprob": max(span.null_logprob, -30.0),
        "share": span.share,
        "rival_gap": span.rival_gap,
        "answer_words": math.log1p(len(answer.split())),
        "rank": float(reading.rank),
        # How hard the passage was to find: a paragraph is read whole, a long article through retrieval's best few.
        "text_sentences": math.log1p(len(sentences)),
        "answer_in_question": len(answer_words & question_words) / len(answer_words) if answer_words else 1.0,
        "focus_in_sentence": _share(focus, _content(sentence, stop_words)),
        "focus_near": _share(focus, _content(near, stop_words)),
        "has_number": float(has_number),
        "has_date": float(has_date),
        "capitalised": float(capitalised),
        **{f"question_{name}": float(kind == name) for name in KINDS},
        "how_many_number": float(kind == "how many/much" and has_number),
        "when_date": float(kind == "when" and (has_date or has_number)),
        "who_capitalised": float(kind == "who" and capitalised),
        "where_capitalised": float(kind == "where" and capitalised),
    }
    return np.array([values[name] for name in FEATURES], dtype=np.float64)


def _share(wanted: set[str], found: set[str]) -> float:
    return len(wanted & found) / len(wanted) if wanted else 1.0


@dataclass
class CalibrationBin:
    """Answers whose out-of-fold confidence fell in [low, high), and how many of them were right."""

    low: float
    high: float
    answers: int
    right: int


@dataclass
class VerifierFile:
    """verifier.json: a standardised logistic regression, its thresholds and how it was fitted."""

    reader_sha256: str
    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    # Answer at or above this confidence (chosen for `target_precision` on validation); below, "not sure".
    threshold: float
    # Below this confidence, the candidate is not worth showing: "the article doesn't say".
    floor: float
    target_precision: float
    calibration: list[CalibrationBin] = field(default_factory=list)
    fit: dict[str, Any] = field(default_factory=dict)
    format: int = VERIFIER_FORMAT


class Verifier:
    def __init__(self, weights: VerifierFile, threshold: float | None = None) -> None:
        """`threshold` replaces the fitted answer threshold (a site's own point on the risk-coverage curve)."""
        if weights.features != FEATURES:
            raise ModelLoadError("the verifier was fitted on other features; refit it with `precis train verifier`.")
        self.weights = weights
        self.mean = np.array(weights.mean)
        self.scale = np.array(weights.scale)
        self.coef = np.array(weights.coef)
        self.threshold = weights.threshold if threshold is None else threshold
        self.floor = min(weights.floor, self.threshold)

    @property
    def name(self) -> str:
        """Named by its weights and thresholds: a refitted verifier never serves answers stored under another."""
        fitted = json.dumps([self.weights.coef, self.weights.intercept, self.threshold, self.floor])
        return f"verifier-{hashlib.sha256(fitted.encode()).hexdigest()[:8]}"

    def confidence(self, rows: np.ndarray) -> np.ndarray:
        """The chance each reading is right (rows: readings x FEATURES)."""
        return standardised_logistic(np.atleast_2d(rows), self.mean, self.scale, self.coef, self.weights.intercept)


def standardised_logistic(
    rows: np.ndarray, mean: np.ndarray, scale: np.ndarray, coef: np.ndarray, intercept: float
) -> np.ndarray:
    """The verifier's model, as fitted and as served: a logistic regression over standardised features."""
    return 1.0 / (1.0 + np.exp(-(((rows - mean) / scale) @ coef + intercept)))


def save_verifier(weights: VerifierFile, directory: Path) -> None:
    (directory / VERIFIER_FILE).write_text(json.dumps(asdict(weights), indent=2) + "\n", encoding="utf-8")


def load_verifier(directory: Path, reader_sha256: str, threshold: float | None = None) -> Verifier | None:
    """The verifier beside a reader, checked against it; None when the reader has none (then the reader's margin
    alone decides, as before verifiers)."""
    path = directory / VERIFIER_FILE
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw["calibration"] = [CalibrationBin(**b) for b in raw.get("calibration", [])]
        weights = VerifierFile(**raw)
    except (OSError, ValueError, TypeError) as error:
        raise ModelLoadError(f"{path} is not a readable verifier ({error}).") from error
    if weights.format != VERIFIER_FORMAT:
        raise ModelLoadError(f"{path} is format {weights.format}, not {VERIFIER_FORMAT}.")
    if weights.reader_sha256 != reader_sha256:
        raise ModelLoadError(
            f"{path} was fitted for another reader; refit it with `precis train verifier --reader {directory}`."
        )
    return Verifier(weights, threshold)
