"""`precis eval answers`: the reader against the previous method (entity narrowing) and the best BM25 sentence, on
SQuAD questions from the articles the reader never trained on, overall and per question type: each question asked of
its paragraph and of its whole article (every paragraph, so retrieval must find the passage), and how often each
system makes an answer up where the text has none: (a) a question paired with another paragraph of its article that
lacks the answer, (b) a question asked of a whole unrelated news article."""

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from tqdm import tqdm

from models.reader_training import unanswerable_pairs
from models.results import Answer
from models.sentences import split_sentences
from models.squad import Question, squad_em_f1
from models.verifier import QUESTION_TYPES, question_type
from service.evaluation.baselines import bm25_best_sentence
from service.evaluation.report import Row

COLUMNS = [
    "system",
    "EM",
    "F1",
    "answered",
    "EM (whole article)",
    "F1 (whole article)",
    "made up (paragraphs)",
    "made up (articles)",
    "no-answer precision",
    "no-answer recall",
    "ms/question",
]


@dataclass(frozen=True)
class Task:
    """The answerable questions and the two sets of texts that cannot answer them."""

    questions: list[Question]
    paragraphs: list[str]  # (a): per question, another paragraph of its article without the answer
    articles: list[str]  # (b): per question, an unrelated news article
    # Per question, its whole SQuAD article (every paragraph, one per line): the answer must be found in it.
    whole: list[str]


def make_task(questions: list[Question], pool: list[Question], news: list[str], seed: int = 0) -> Task:
    rng = random.Random(seed)
    pairs = {(e.question, e.context) for e in unanswerable_pairs(pool, len(pool), random.Random(seed))}
    by_question: dict[str, str] = {}
    for question, context in sorted(pairs):
        by_question.setdefault(question, context)
    # A question whose article has no paragraph without its answer falls back to another article's paragraph.
    fallback = sorted({q.context for q in pool})
    paragraphs = [by_question.get(q.question) or rng.choice([c for c in fallback if c != q.context]) for q in questions]
    by_topic: dict[str, list[str]] = {}
    for q in pool:
        if q.context not in by_topic.setdefault(q.topic, []):
            by_topic[q.topic].append(q.context)
    whole = {topic: "\n".join(paragraphs) for topic, paragraphs in by_topic.items()}
    return Task(questions, paragraphs, [rng.choice(news) for _ in questions], [whole[q.topic] for q in questions])


Answerer = Callable[[str, str], Answer]


@dataclass
class Outcomes:
    answers: list[Answer]
    in_whole: list[Answer]
    on_paragraphs: list[Answer]
    on_articles: list[Answer]
    seconds: list[float]


def run(answerer: Answerer, task: Task, name: str, progress: bool = True) -> Outcomes:
    outcomes = Outcomes([], [], [], [], [])
    for k, question in enumerate(tqdm(task.questions, desc=f"answers {name}", disable=None if progress else True)):
        started = time.perf_counter()
        outcomes.answers.append(answerer(question.context, question.question))
        outcomes.seconds.append(time.perf_counter() - started)
        outcomes.in_whole.append(answerer(task.whole[k], question.question))
        outcomes.on_paragraphs.append(answerer(task.paragraphs[k], question.question))
        outcomes.on_articles.append(answerer(task.articles[k], question.question))
    return outcomes


def at(answer: Answer, threshold: float) -> Answer | None:
    return answer if answer.answer is not None and answer.score >= threshold else None


def row(name: str, task: Task, outcomes: Outcomes, threshold: float = -float("inf")) -> Row:
    given = [at(a, threshold) for a in outcomes.answers]
    em_f1 = [squad_em_f1(a.answer if a else None, q.answers) for a, q in zip(given, task.questions, strict=True)]
    whole = [
        squad_em_f1(a.answer if (a := at(found, threshold)) else None, q.answers)
        for found, q in zip(outcomes.in_whole, task.questions, strict=True)
    ]
    made_up_paragraphs = [at(a, threshold) is not None for a in outcomes.on_paragraphs]
    made_up_articles = [at(a, threshold) is not None for a in outcomes.on_articles]
    refused_answerable = sum(a is None for a in given)
    refused_unanswerable = made_up_paragraphs.count(False) + made_up_articles.count(False)
    return {
        "system": name,
        "EM": statistics.mean(em for em, _ in em_f1),
        "F1": statistics.mean(f1 for _, f1 in em_f1),
        "answered": sum(a is not None for a in given) / len(given),
        "EM (whole article)": statistics.mean(em for em, _ in whole),
        "F1 (whole article)": statistics.mean(f1 for _, f1 in whole),
        "made up (paragraphs)": statistics.mean(made_up_paragraphs),
        "made up (articles)": statistics.mean(made_up_articles),
        # Of the "doesn't say" replies, how many were right; of the texts that don't say, how many were refused.
        "no-answer precision": refused_unanswerable / max(1, refused_unanswerable + refused_answerable),
        "no-answer recall": refused_unanswerable / (len(made_up_paragraphs) + len(made_up_articles)),
        "ms/question": 1000 * statistics.mean(outcomes.seconds),
    }


def by_type(task: Task, systems: dict[str, Outcomes], thresholds: dict[str, float]) -> list[Row]:
    """F1 per question type for each system, with how many questions each type has."""
    kinds = [question_type(q.question) for q in task.questions]
    rows = []
    for kind in [name for name, _ in QUESTION_TYPES] + ["other"]:
        members = [k for k, found in enumerate(kinds) if found == kind]
        if not members:
            continue
        result: Row = {"type": kind, "questions": len(members)}
        for name, outcomes in systems.items():
            threshold = thresholds.get(name, -float("inf"))
            result[name] = statistics.mean(
                squad_em_f1(a.answer if (a := at(outcomes.answers[k], threshold)) else None, task.questions[k].answers)[
                    1
                ]
                for k in members
            )
        rows.append(result)
    return rows


def bm25_answerer(text: str, question: str) -> Answer:
    """The best BM25 sentence, returned as the answer: what a reader got before any span was read."""
    sentences = split_sentences(text)
    if not sentences:
        return Answer.none(0.0, "bm25")
    best = sentences[bm25_best_sentence(sentences, question)]
    return Answer(best.text, best.start, best.end, 1.0, best.text, best.start, best.end, "bm25")
