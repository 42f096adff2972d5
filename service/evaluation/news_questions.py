"""Hand-written news questions (news_questions.jsonl beside this file): what a reader of a news site asks of the
shared news pages and of the CATL page, each with every acceptable answer copied from the text, or none when the
article does not say. Written by someone who looked at no model's answer; nothing was fitted on them.

An outcome is "right" (an answer given, token F1 >= 0.5 against an acceptable one), "wrong" (any other answer
given, and every answer to a question the article does not answer), "not sure" (a candidate offered, not given as
fact) or "no answer".
"""

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from models.answers import AnswerFinder
from models.squad import SHARED_EVAL_DIR, f1_score, metric_max_over_ground_truths
from models.verifier import RIGHT_F1
from service.evaluation.report import Row

QUESTIONS_FILE = Path(__file__).with_name("news_questions.jsonl")
PAGES = SHARED_EVAL_DIR / "news-pages" / "ground-truth.json"
# The whole page as a client may post it (story, photo caption, comments, teasers): ../shared/examples.
CATL_PAGE = SHARED_EVAL_DIR.parent / "examples" / "news-page-catl.txt"
OUTCOMES = ("right", "wrong", "not sure", "no answer")


@dataclass(frozen=True)
class NewsQuestion:
    source: str
    question: str
    answers: tuple[str, ...]  # empty: the article does not say
    kind: str


@dataclass(frozen=True)
class Asked:
    question: NewsQuestion
    outcome: str
    said: str | None  # the answer given, or the candidate offered
    confidence: float | None


def load_questions(path: Path = QUESTIONS_FILE) -> list[NewsQuestion]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [NewsQuestion(r["source"], r["question"], tuple(r["answers"]), r["type"]) for r in rows]


def source_texts() -> dict[str, str]:
    """Each source's text: a shared news page's checked story, or the CATL page as it is."""
    texts = {name: page["articleBody"] for name, page in json.loads(PAGES.read_text(encoding="utf-8")).items()}
    texts[CATL_PAGE.name] = CATL_PAGE.read_text(encoding="utf-8")
    return texts


def outcome(question: NewsQuestion, answer: str | None, candidate: str | None) -> str:
    if answer is not None:
        right = question.answers and metric_max_over_ground_truths(f1_score, answer, question.answers) >= RIGHT_F1
        return "right" if right else "wrong"
    return "not sure" if candidate is not None else "no answer"


def ask_all(finder: AnswerFinder, questions: list[NewsQuestion], texts: dict[str, str]) -> list[Asked]:
    asked = []
    for question in questions:
        found = finder.answer(texts[question.source], question.question)
        candidate = found.candidate.text if found.candidate else None
        asked.append(
            Asked(question, outcome(question, found.answer, candidate), found.answer or candidate, found.confidence)
        )
    return asked


def summary_rows(asked: list[Asked]) -> list[Row]:
    """Outcomes per set (the CATL page, the other pages) and per answerable / unanswerable."""
    rows = []
    for label, chosen in (
        ("CATL page", [a for a in asked if a.question.source == CATL_PAGE.name]),
        ("21 news pages", [a for a in asked if a.question.source != CATL_PAGE.name]),
    ):
        for answerable in (True, False):
            members = [a for a in chosen if bool(a.question.answers) == answerable]
            counts = Counter(a.outcome for a in members)
            rows.append(
                {"questions": f"{label}, {'answerable' if answerable else 'unanswerable'}", "asked": len(members)}
                | {name: counts.get(name, 0) for name in OUTCOMES}
            )
    return rows


SUMMARY_COLUMNS = ["questions", "asked", *OUTCOMES]
