"""Fits the ranking weights in prompts/ranking.toml on the shared evaluation data, and reports
cross-validated figures, so that the weights are not judged on the items they were fitted to.

    python -m scripts.fit_ranking [--only summaries|answers] [--dry-run] [--output fit-ranking.json]

Summaries: a logistic regression over the sentence features of models/extractive.py, trained on oracle
sentences (greedy ROUGE-L against the human summary), plus the picking settings (MMR trade-off, per-word
cost, caption length limit, how many leading sentences are candidates) chosen by ROUGE-L. Figures: nested 5-fold
cross-validation over articles.
Answers: the semantic vs BM25 weight, chosen by how often the best passage holds the answer, and the
no-answer threshold, chosen to tell answerable questions from the same questions asked of a paragraph on
another topic. Figures: cross-validation over SQuAD topics (Wikipedia articles).
"""

import argparse
import itertools
import re
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from models.answers import AnswerFinder, passage_scores
from models.embedder import Embedder
from models.entities import load_ner
from models.entity_answers import EntityAnswerFinder
from models.extractive import FEATURES, candidate_count, logistic_scores, pick_sentences, sentence_features
from models.presets import load_presets, load_ranking
from models.sentences import Sentence, split_sentences
from models.squad import DEFAULT_SQUAD_FILE, load_squad
from service.evaluation import data
from service.evaluation.metrics import holds_answer, rouge_l
from service.evaluation.report import paired_bootstrap, table, write_json
from service.model_loading import load_models
from service.settings import Settings

RANKING_FILE = Path(__file__).resolve().parents[1] / "prompts" / "ranking.toml"
FOLDS = 5
REPEATS = 3  # shuffles of the summary folds: one 5-fold split of 151 articles is a noisy estimate
ORACLE_SENTENCES = 3  # the human summaries have 3.7 sentences on average
L2 = 1.0  # ridge penalty of the logistic regression: 150 articles are few
# Picking settings tried (chosen by ROUGE-L on the training folds only).
MAX_WORDS = (45, 60)
MMR_LAMBDAS = (0.8, 0.9, 1.0)
LENGTH_PENALTIES = (0.0, 0.003)
CANDIDATES = (8, 10, 12, 15, 20)
WHOLE_ARTICLE = 10_000  # a candidate cap no article reaches
SEMANTIC_WEIGHTS = tuple(round(0.1 * k, 1) for k in range(2, 10))
THRESHOLDS = tuple(round(0.01 * k, 2) for k in range(10, 51))


# ---------------------------------------------------------------- summaries


@dataclass
class Article:
    sentences: list[Sentence]
    vectors: np.ndarray
    title_vector: np.ndarray | None
    reference: list[str]
    labels: np.ndarray  # 1.0 for the oracle sentences


def oracle(sentences: list[Sentence], reference: list[str]) -> np.ndarray:
    """Greedily add the sentence that raises ROUGE-L most, up to ORACLE_SENTENCES, while it still rises."""
    chosen: list[int] = []
    best = 0.0
    while len(chosen) < min(ORACLE_SENTENCES, len(sentences)):
        gains = {
            i: rouge_l([sentences[k].text for k in sorted([*chosen, i])], reference)
            for i in range(len(sentences))
            if i not in chosen
        }
        pick = max(gains, key=lambda i: gains[i])
        if gains[pick] <= best:
            break
        chosen.append(pick)
        best = gains[pick]
    labels = np.zeros(len(sentences))
    labels[chosen] = 1.0
    return labels


def prepare_articles(embedder: Embedder, items: list[data.NewsItem]) -> list[Article]:
    articles = []
    for item in tqdm(items, desc="articles (embed, oracle)", disable=None):
        sentences = split_sentences(item.article)
        vectors = embedder.embed([s.text for s in sentences] + ([item.title] if item.title else []))
        reference = [s.text for s in split_sentences(item.reference)]
        title_vector = vectors[-1] if item.title else None
        articles.append(
            Article(sentences, vectors[: len(sentences)], title_vector, reference, oracle(sentences, reference))
        )
    return articles


def fit_logistic(features: np.ndarray, labels: np.ndarray, l2: float = L2) -> np.ndarray:
    """Ridge logistic regression by Newton's method; returns [coefficients..., intercept] in the units of
    `features`. The penalty applies to standardised features, so that it shrinks every feature alike
    whatever its scale (a 0/1 flag and a cosine would otherwise be shrunk very differently)."""
    mean, scale = features.mean(axis=0), features.std(axis=0)
    scale[scale == 0] = 1.0
    x = np.hstack([(features - mean) / scale, np.ones((len(features), 1))])
    penalty = np.diag([l2] * features.shape[1] + [0.0])  # the intercept is not shrunk
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-x @ w))
        step = np.linalg.solve((x * (p * (1 - p))[:, None]).T @ x + penalty, x.T @ (p - labels) + penalty @ w)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    coefficients = w[:-1] / scale
    return np.append(coefficients, w[-1] - coefficients @ mean)


class SummaryFit:
    """Features per article (computed once per caption length limit and candidate count) and the fitting
    of one variant."""

    def __init__(self, articles: list[Article], base: dict[str, float], budget: int) -> None:
        self.articles = articles
        self.base = base
        self.budget = budget
        self.features = {
            (m, c): [
                sentence_features(
                    a.sentences[: self.cap(c)], a.vectors[: self.cap(c)], a.title_vector, {**base, "max_words": m}
                )
                for a in articles
            ]
            for m in {*MAX_WORDS, base["max_words"]}
            for c in {*CANDIDATES, WHOLE_ARTICLE, base["candidate_sentences"]}
        }

    def cap(self, candidates: float) -> int:
        return candidate_count(self.budget, {"candidate_sentences": candidates})

    def _features(self, i: int, setting: dict[str, float]) -> np.ndarray:
        return self.features[setting["max_words"], setting["candidate_sentences"]][i]

    def weights(self, indices: list[int], columns: Sequence[str], setting: dict[str, float]) -> dict[str, float]:
        """Fitted on the articles at `indices`, using only the features in `columns`."""
        keep = [FEATURES.index(c) for c in columns]
        cap = self.cap(setting["candidate_sentences"])
        features = np.vstack([self._features(i, setting)[:, keep] for i in indices])
        fitted = fit_logistic(features, np.concatenate([self.articles[i].labels[:cap] for i in indices]))
        coefficients = dict.fromkeys(FEATURES, 0.0) | dict(zip(columns, fitted[:-1], strict=True))
        return {
            **self.base,
            **setting,
            "intercept": fitted[-1],
            **{f"w_{k}": v for k, v in coefficients.items()},
        }

    def rouge(self, indices: list[int], weights: dict[str, float]) -> list[float]:
        cap = self.cap(weights["candidate_sentences"])
        scores = []
        for i in indices:
            article = self.articles[i]
            relevance = logistic_scores(self._features(i, weights), weights)
            picked = pick_sentences(article.sentences[:cap], relevance, article.vectors[:cap], self.budget, weights)
            scores.append(rouge_l([article.sentences[k].text for k in picked], article.reference))
        return scores

    def choose(self, indices: list[int], columns: Sequence[str], settings: list[dict[str, float]]) -> dict[str, float]:
        """The fitted weights under the setting with the best ROUGE-L on these same articles."""
        candidates = [self.weights(indices, columns, setting) for setting in settings]
        return max(candidates, key=lambda w: statistics.mean(self.rouge(indices, w)))

    def cross_validate(self, columns: Sequence[str], settings: list[dict[str, float]]) -> list[float]:
        """Held-out ROUGE-L per article, averaged over REPEATS shuffles of the fold assignment; the weights
        and the picking setting are chosen on the other folds only (nested cross-validation)."""
        n = len(self.articles)
        held_out = np.zeros(n)
        for repeat in range(REPEATS):
            fold_of = np.random.default_rng(repeat).permutation(n) % FOLDS
            for fold in range(FOLDS):
                test = [i for i in range(n) if fold_of[i] == fold]
                weights = self.choose([i for i in range(n) if fold_of[i] != fold], columns, settings)
                held_out[test] += np.array(self.rouge(test, weights)) / REPEATS
        return held_out.tolist()


def picking_settings(
    max_words: Sequence[float],
    lambdas: Sequence[float],
    penalties: Sequence[float],
    candidates: Sequence[float] = CANDIDATES,
) -> list[dict[str, float]]:
    return [
        {"max_words": m, "mmr_lambda": lam, "length_penalty": pen, "candidate_sentences": c}
        for m, lam, pen, c in itertools.product(max_words, lambdas, penalties, candidates)
    ]


def fit_summaries(embedder: Embedder, base: dict[str, float]) -> tuple[dict[str, float], dict[str, Any]]:
    budget = load_presets()["medium"].sentences  # the default preset: the one users see
    fit = SummaryFit(prepare_articles(embedder, data.load_news()), base, budget)
    lead = [rouge_l([s.text for s in a.sentences[:3]], a.reference) for a in fit.articles]
    whole_article = picking_settings(MAX_WORDS, MMR_LAMBDAS, LENGTH_PENALTIES, [WHOLE_ARTICLE])
    full_grid = picking_settings(MAX_WORDS, MMR_LAMBDAS, LENGTH_PENALTIES)
    variants = {
        "position, centrality, title, length features; whole article": (FEATURES[:6], whole_article),
        "+ first/second/third sentence; whole article": (FEATURES, whole_article),
        "+ first/second/third sentence; leading sentences only (cap fitted)": (FEATURES, full_grid),
    }
    rows = [{"model": "lead-3 (reference point)", "sentences": 3, "cv rougeL": statistics.mean(lead)}]
    for name, (columns, settings) in tqdm(variants.items(), desc="cross-validation", disable=None):
        held_out = fit.cross_validate(columns, settings)
        versus = paired_bootstrap(held_out, lead)
        rows.append(
            {
                "model": name,
                "sentences": budget,
                "cv rougeL": statistics.mean(held_out),
                "vs lead-3": versus["mean"],
                "95% interval": f"{versus['low']:+.3f} .. {versus['high']:+.3f}",
            }
        )
    final = fit.choose(list(range(len(fit.articles))), FEATURES, full_grid)
    fitted = {k: final[k] for k in ("intercept", *(f"w_{f}" for f in FEATURES), *full_grid[0])}
    report = {
        "articles": len(fit.articles),
        "budget_sentences": budget,
        "oracle_sentences_mean": statistics.mean(a.labels.sum() for a in fit.articles),
        "cross_validated": rows,
        "in_sample_rougeL": statistics.mean(fit.rouge(list(range(len(fit.articles))), final)),
        "fitted": fitted,
    }
    return fitted, report


# ---------------------------------------------------------------- answers


@dataclass
class Candidates:
    """One question's passages in its own paragraph and in a paragraph on another topic."""

    topic: str
    semantic: np.ndarray
    lexical: np.ndarray
    lengths: np.ndarray
    holds: np.ndarray  # whether each passage holds a gold answer
    distractor_semantic: np.ndarray
    distractor_lexical: np.ndarray
    distractor_lengths: np.ndarray


def candidates(finder: AnswerFinder, question: data.Question, distractor: str) -> Candidates:
    index = finder.index(question.context)
    sentences = index.sentences
    spans, semantic, lexical = finder.passage_features(index, question.question)
    other_spans, other_semantic, other_lexical = finder.passage_features(finder.index(distractor), question.question)
    holds = [
        holds_answer(sentences[i].start, sentences[j].end, question.answers, question.answer_starts) for i, j in spans
    ]
    return Candidates(
        question.topic,
        semantic,
        lexical,
        np.array([j - i for i, j in spans]),
        np.array(holds),
        other_semantic,
        other_lexical,
        np.array([j - i for i, j in other_spans]),
    )


def best_scores(items: list[Candidates], w_semantic: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question: does the best passage hold the answer, its score, and the best distractor score
    (the same formula as AnswerFinder.rank_passages)."""

    def score(semantic: np.ndarray, lexical: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        return passage_scores(semantic, lexical, lengths, w_semantic, 1 - w_semantic)

    held, best, distractor = [], [], []
    for c in items:
        own = score(c.semantic, c.lexical, c.lengths)
        top = int(np.argmax(own))  # argmax takes the first of equals, as the stable sort does
        held.append(c.holds[top])
        best.append(own[top])
        distractor.append(score(c.distractor_semantic, c.distractor_lexical, c.distractor_lengths).max())
    return np.array(held), np.array(best), np.array(distractor)


def balanced_accuracy(best: np.ndarray, distractor: np.ndarray, threshold: float) -> float:
    """Mean of the share of answerable questions answered and the share of distractor pairs refused."""
    return float(((best >= threshold).mean() + (distractor < threshold).mean()) / 2)


def choose_answer_weights(items: list[Candidates]) -> tuple[float, float]:
    w_semantic = max(SEMANTIC_WEIGHTS, key=lambda w: best_scores(items, w)[0].mean())
    _, best, distractor = best_scores(items, w_semantic)
    # On a tie the lowest threshold wins: refusing an answerable question is the costlier mistake.
    threshold = max(THRESHOLDS, key=lambda t: (balanced_accuracy(best, distractor, t), -t))
    return w_semantic, threshold


def _answer_row(name: str, items: list[Candidates], folds: list[dict[str, Any]]) -> dict[str, Any]:
    """The folds' figures weighted by their number of questions."""
    total = sum(row["questions"] for row in folds)
    averaged = {
        key: sum(row[key] * row["questions"] for row in folds) / total
        for key in ("best passage holds answer", "answered", "distractors refused", "answer-sentence recall")
    }
    return {"fold": name, "questions": len(items), "w_semantic": None, "threshold": None, **averaged}


def fit_answers(
    finder: AnswerFinder, questions: list[data.Question], distractors: list[str], before: dict[str, float]
) -> tuple:
    items = [
        candidates(finder, q, d)
        for q, d in tqdm(list(zip(questions, distractors, strict=True)), desc="questions", disable=None)
    ]
    topics = sorted({c.topic for c in items})
    rows = []
    for fold in range(FOLDS):
        test_topics = set(topics[fold::FOLDS])
        train = [c for c in items if c.topic not in test_topics]
        test = [c for c in items if c.topic in test_topics]
        w_semantic, threshold = choose_answer_weights(train)
        held, best, distractor = best_scores(test, w_semantic)
        rows.append(
            {
                "fold": fold,
                "questions": len(test),
                "w_semantic": w_semantic,
                "threshold": threshold,
                "best passage holds answer": float(held.mean()),
                "answered": float((best >= threshold).mean()),
                "distractors refused": float((distractor < threshold).mean()),
                "answer-sentence recall": float((held & (best >= threshold)).mean()),
            }
        )
    rows.append(_answer_row("mean of the held-out folds", items, rows))
    held, best, distractor = best_scores(items, before["w_semantic"])
    rows.append(
        {
            "fold": "before the fit (all questions)",
            "questions": len(items),
            "w_semantic": before["w_semantic"],
            "threshold": before["no_answer_threshold"],
            "best passage holds answer": float(held.mean()),
            "answered": float((best >= before["no_answer_threshold"]).mean()),
            "distractors refused": float((distractor < before["no_answer_threshold"]).mean()),
            "answer-sentence recall": float((held & (best >= before["no_answer_threshold"])).mean()),
        }
    )
    w_semantic, threshold = choose_answer_weights(items)
    per_weight = {w: float(best_scores(items, w)[0].mean()) for w in SEMANTIC_WEIGHTS}
    fitted = {
        "w_semantic": w_semantic,
        "w_lexical": round(1 - w_semantic, 2),
        "no_answer_threshold": threshold,
    }
    report = {
        "questions": len(items),
        "topics": len(topics),
        "cross_validated": rows,
        "in_sample_recall_by_w_semantic": per_weight,
        "fitted": fitted,
    }
    return fitted, report


# ---------------------------------------------------------------- ranking.toml


def rewrite_values(text: str, section: str, values: dict[str, float]) -> str:
    """`text` with the values of `key = value` lines in [section] replaced; comments and order kept."""
    current = None
    lines = []
    for line in text.splitlines(keepends=True):
        header = re.match(r"\s*\[([^\]]+)\]", line)
        current = header.group(1) if header else current
        found = re.match(r"(\s*)(\w+)(\s*=\s*)([^#\n]*?)(\s*(#.*)?)$", line.rstrip("\n"))
        if current == section and found and found.group(2) in values:
            value = float(values[found.group(2)])
            # An integer stays an integer (max_words = 45), everything else is a float to 4 places.
            whole = "." not in found.group(4) and value.is_integer()
            rendered = str(int(value)) if whole else repr(round(value, 4))
            line = f"{found.group(1)}{found.group(2)}{found.group(3)}{rendered}{found.group(5)}\n"
        lines.append(line)
    return "".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["summaries", "answers"], help="fit only one of the two")
    parser.add_argument("--questions", type=int, default=1500, help="SQuAD questions to fit the answers on")
    parser.add_argument("--dry-run", action="store_true", help="report, but leave ranking.toml as it is")
    parser.add_argument("--output", type=Path, default=Path("fit-ranking.json"), help="the JSON report")
    args = parser.parse_args(argv)

    models = load_models(Settings(), default_threads=1)
    ranking = load_ranking()
    text = RANKING_FILE.read_text(encoding="utf-8")
    report: dict[str, Any] = {}
    steps: dict[str, Callable[[], tuple]] = {
        "summaries": lambda: fit_summaries(models.embedder, ranking["summary"]),
        "answers": lambda: _fit_answers_on_squad(models, args.questions),
    }
    for section, step in steps.items():
        if args.only and args.only != section:
            continue
        fitted, report[section] = step()
        text = rewrite_values(text, {"summaries": "summary", "answers": "answers"}[section], fitted)
        rows = report[section]["cross_validated"]
        columns = list(dict.fromkeys(column for row in rows for column in row))
        print(f"\n{section}: cross-validated\n{table(rows, columns)}\nfitted: {fitted}")
    write_json(args.output, report)
    if not args.dry_run:
        RANKING_FILE.write_text(text, encoding="utf-8")
        print(f"\nwrote {RANKING_FILE}", file=sys.stderr)


class CachedEmbedder:
    """Remembers every vector it computes: the fit scores the same sentences under many weightings."""

    def __init__(self, embedder: Embedder) -> None:
        self.inner = embedder
        self.name = embedder.name
        self.dimension = embedder.dimension
        self.vectors: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        self.vectors.update(zip(missing, self.inner.embed(missing), strict=True))
        return np.stack([self.vectors[t] for t in texts]) if texts else self.inner.embed([])


def _fit_answers_on_squad(models: Any, count: int) -> tuple:
    pool = load_squad(DEFAULT_SQUAD_FILE)
    # A different sample from `precis eval answers` (seed 0); the figures are cross-validated by topic.
    questions = data.sample(pool, count, seed=1)
    distractors = data.distractor_contexts(questions, pool, seed=1)
    # The [answers] weights are the MiniLM + BM25 retrieval's, used as they are by the entity baseline.
    finder = EntityAnswerFinder(CachedEmbedder(models.embedder), load_ner())  # type: ignore[arg-type]
    # Embed every paragraph's sentences once, in one batched pass (the cache then serves them).
    paragraphs = sorted({q.context for q in questions} | set(distractors))
    finder.embedder.embed([s.text for p in paragraphs for s in split_sentences(p)])
    return fit_answers(finder, questions, distractors, load_ranking()["answers"])


if __name__ == "__main__":
    main()
