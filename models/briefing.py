"""Briefings: one summary across several articles, each fact told once, the newest article's facts first.

Sentences are chosen as a summary's are (models/extractive.py): each article's leading sentences are embedded in one
pass with the headlines, scored by the fitted summary ranking within their own article, and picked by MMR among the
sentences the readability rules allow. Across the articles, no two picks may be repeats (prompts/briefing.toml
max_similarity). An article's sentences stay together in the briefing and open with one that does not lean on the
sentence before ("He said ..."), so whatever a later one leans on is right there."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

import numpy as np

from models.embedder import Embedder
from models.extractive import (
    candidate_count,
    embedded_leads,
    readable_candidates,
    select_by_mmr,
    sentence_scores,
)
from models.presets import Preset, load_briefing, load_ranking
from models.results import Article, Briefing, BriefingSentence
from models.sentences import Sentence


@dataclass(frozen=True, kw_only=True)
class DatedArticle(Article):
    """An article to brief on: its id, which every sentence taken from it carries, and when it was published."""

    id: int
    published_at: datetime | None = None


def briefing_model_name(embedder_name: str) -> str:
    return f"briefing/{embedder_name}"


def briefing_length(preset: Preset, article_count: int) -> int:
    """Sentences in a briefing: the preset's length and more for each further article, at most twice the length."""
    extra = int(load_briefing()["sentences_per_extra_article"]) * max(article_count - 1, 0)
    return min(preset.sentences + extra, 2 * preset.sentences)


def briefing_order(articles: Sequence[DatedArticle]) -> list[int]:
    """Indices of the articles, newest first, then those without a date; articles of the same date as given."""

    def key(index: int) -> tuple[bool, float]:
        published = articles[index].published_at
        return (published is None, -published.timestamp() if published else 0.0)

    return sorted(range(len(articles)), key=key)


@dataclass
class _Candidates:
    """The briefing's candidate sentences, one row each: the newest article's first, each article's in its order."""

    sentences: list[Sentence] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)  # the article of each row, by its place in the briefing
    usable: list[int] = field(default_factory=list)
    leaning: set[int] = field(default_factory=set)
    scores: list[np.ndarray] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)


def _candidates(
    embedder: Embedder, ordered: Sequence[DatedArticle], cap: int, weights: dict[str, float]
) -> _Candidates:
    found = _Candidates()
    for group, lead in enumerate(embedded_leads(embedder, ordered, cap)):
        row = len(found.sentences)
        usable, leaning = readable_candidates(lead.sentences)
        found.usable.extend(row + i for i in usable)
        found.leaning.update(row + i for i in leaning)
        if lead.sentences:
            found.scores.append(sentence_scores(lead.sentences, lead.vectors, lead.title_vector, weights))
            found.vectors.append(lead.vectors)
        found.sentences.extend(lead.sentences)
        found.groups.extend([group] * len(lead.sentences))
    return found


def told_once(usable: list[int], groups: list[int], vectors: np.ndarray, scores: np.ndarray, limit: float) -> list[int]:
    """The usable rows less those that repeat a row of a newer article (cosine `limit` or more): a fact several
    articles report is told where the newest tells it, and is worth the best of its tellings (`scores` is raised
    to that). Rows are in the briefing's order, the newest article's first."""
    kept: list[int] = []
    for row in usable:
        newer = [other for other in kept if groups[other] != groups[row]]
        similarity = vectors[newer] @ vectors[row] if newer else np.zeros(0)
        if similarity.size and similarity.max() >= limit:
            same = newer[int(np.argmax(similarity))]
            scores[same] = max(scores[same], scores[row])
        else:
            kept.append(row)
    return kept


def brief(embedder: Embedder, articles: Sequence[DatedArticle], preset: Preset) -> Briefing:
    """The briefing on these articles: its sentences newest article first, each article's in their order.

    Each article first says what happened: its part opens with its first usable sentence that does not lean on the
    one before and is not a newer article's fact again (its opener), as a short summary opens with the lead. The
    best openers are picked first, as many as the length allows, so that the briefing covers its articles; the
    length left goes to the best of the other sentences, each after its article's opener."""
    weights = load_ranking()["summary"]
    limit = float(load_briefing()["max_similarity"])
    ordered = [articles[i] for i in briefing_order(articles)]
    found = _candidates(embedder, ordered, candidate_count(preset.sentences, weights), weights)
    model = briefing_model_name(embedder.name)
    if not found.sentences:
        return Briefing([], [article.id for article in ordered], preset.name, model)
    scores, vectors = np.concatenate(found.scores), np.vstack(found.vectors)
    usable = told_once(found.usable, found.groups, vectors, scores, limit)
    openers = []
    for group in sorted(set(found.groups)):
        opener = next((row for row in usable if found.groups[row] == group and row not in found.leaning), None)
        if opener is not None:
            openers.append(opener)
    words = np.array([len(sentence.text.split()) for sentence in found.sentences], dtype=float)
    pick = partial(
        select_by_mmr,
        scores - weights["length_penalty"] * words,
        vectors,
        trade_off=weights["mmr_lambda"],
        groups=found.groups,
        max_similarity=limit,
    )
    length = briefing_length(preset, len(articles))
    leads = pick(min(length, len(openers)), candidates=openers)
    picked = pick(length, candidates=usable, never_first=set(usable) - set(openers), chosen=leads)
    sentences = found.sentences
    return Briefing(
        [
            BriefingSentence(
                ordered[found.groups[i]].id,
                sentences[i].text,
                sentences[i].start,
                sentences[i].end,
                round(float(scores[i]), 4),
            )
            for i in picked
        ],
        [article.id for article in ordered],
        preset.name,
        model,
    )
