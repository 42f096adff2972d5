"""SQuAD-format data for the QA reader: questions read from the official JSON layout, the split by article that
keeps validation articles unseen in training, and the official v1.1 metric (exact match and token F1)."""

import json
import random
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

# The shared data beside a source checkout (../shared/eval), the one place its location is known: the training and
# evaluation sets, and the developer tools' data.
SHARED_EVAL_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
DEFAULT_SQUAD_FILE = SHARED_EVAL_DIR / "squad-v1.1-dev-part.json"

# Articles held out of training for validation (4 of the shared file's 24: about 1 100 questions).
VALIDATION_ARTICLES = 4


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    context: str
    answers: tuple[str, ...]
    answer_starts: tuple[int, ...]
    # Which SQuAD article (Wikipedia page) the paragraph comes from.
    topic: str


def load_squad(path: Path) -> list[Question]:
    """Every question of a SQuAD v1.1 file (the official JSON layout), paragraph by paragraph."""
    questions = []
    for article in json.loads(Path(path).read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = qa.get("answers") or []
                questions.append(
                    Question(
                        qa["id"],
                        qa["question"],
                        paragraph["context"],
                        tuple(a["text"] for a in answers),
                        tuple(a["answer_start"] for a in answers),
                        article["title"],
                    )
                )
    return questions


def split_by_article(
    questions: list[Question], validation_articles: int = VALIDATION_ARTICLES, seed: int = 0
) -> tuple[list[Question], list[Question]]:
    """(train, validation): whole articles go to one side, so no validation figure comes from an article the
    reader trained on. The same data, count and seed always give the same split."""
    topics = sorted({q.topic for q in questions})
    if not 0 < validation_articles < len(topics):
        raise ValueError(f"cannot hold out {validation_articles} of {len(topics)} articles for validation")
    held_out = set(random.Random(seed).sample(topics, validation_articles))
    return [q for q in questions if q.topic not in held_out], [q for q in questions if q.topic in held_out]


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
