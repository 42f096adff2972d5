"""Extractive summaries: rank an article's own sentences and pick a non-redundant few."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.embedder import Embedder
from models.presets import Preset, load_ranking
from models.readability import readability_rules
from models.results import Article, Summary, SummarySentence
from models.sentences import Sentence, split_sentences


def lexrank_centrality(similarity: np.ndarray, threshold: float, damping: float) -> np.ndarray:
    """Stationary distribution of a random walk over the sentence-similarity graph, scaled to max 1."""
    n = similarity.shape[0]
    if n == 1:
        return np.ones(1)
    graph = np.where(similarity >= threshold, similarity, 0.0)
    np.fill_diagonal(graph, 0.0)
    row_sums = graph.sum(axis=1, keepdims=True)
    # A sentence like no other would be a sink; let it jump uniformly instead.
    transition = np.divide(graph, row_sums, out=np.full_like(graph, 1.0 / n), where=row_sums > 0)
    scores = np.full(n, 1.0 / n)
    for _ in range(50):
        updated = (1 - damping) / n + damping * transition.T @ scores
        if np.abs(updated - scores).sum() < 1e-6:
            scores = updated
            break
        scores = updated
    return scores / scores.max()


# What the sentence scorer looks at, one weight each ("w_" + name in ranking.toml):
# position   lead-position prior 1 / (1 + index / position_decay): news puts the story first
# centrality LexRank centrality in the MiniLM similarity graph: what the article keeps coming back to
# title      cosine similarity to the headline (or, without one, to the article's mean vector)
# length     words / 30, capped at 60 words
# long       more than max_words words: in web copy, usually photo captions run together without full stops
# short      fewer than min_words words: datelines, bylines, "Scroll down for video"
# first, second, third  the lead sentences themselves: their worth is not a smooth curve (in web copy the
#            first is often a caption or a teaser run into the lead, and is fitted to count for less)
FEATURES = ("position", "centrality", "title", "length", "long", "short", "first", "second", "third")


def sentence_features(
    sentences: list[Sentence],
    vectors: np.ndarray,
    title_vector: np.ndarray | None,
    weights: dict[str, float],
) -> np.ndarray:
    """One row per sentence, one column per entry of FEATURES."""
    words = np.array([len(s.text.split()) for s in sentences], dtype=float)
    centrality = lexrank_centrality(vectors @ vectors.T, weights["lexrank_threshold"], weights["lexrank_damping"])
    index = np.arange(len(sentences))
    position = 1.0 / (1.0 + index / weights["position_decay"])
    if title_vector is None:
        # Without a headline, the article's mean sentence vector (what it is about) stands in for one. A
        # missing feature of 0 would lower every score and let the per-word cost pick fragments: ROUGE-L
        # fell from 0.257 to 0.221 on the shared set; with this stand-in it is 0.256.
        centroid = vectors.sum(axis=0)
        title_vector = centroid / max(float(np.linalg.norm(centroid)), 1e-9)
    title = np.clip(vectors @ title_vector, 0.0, 1.0)
    return np.column_stack(
        [
            position,
            centrality,
            title,
            np.minimum(words, 60) / 30,
            words > weights["max_words"],
            words < weights["min_words"],
            index == 0,
            index == 1,
            index == 2,
        ]
    ).astype(float)


def logistic_scores(features: np.ndarray, weights: dict[str, float]) -> np.ndarray:
    """P(sentence belongs in a summary): a logistic regression fitted on oracle sentences of news
    articles with human summaries (scripts/fit_ranking.py)."""
    coefficients = np.array([weights[f"w_{name}"] for name in FEATURES])
    return 1.0 / (1.0 + np.exp(-(weights["intercept"] + features @ coefficients)))


def sentence_scores(
    sentences: list[Sentence],
    vectors: np.ndarray,
    title_vector: np.ndarray | None,
    weights: dict[str, float],
) -> np.ndarray:
    """Relevance of each sentence in [0, 1]."""
    return logistic_scores(sentence_features(sentences, vectors, title_vector, weights), weights)


def readable_candidates(sentences: list[Sentence]) -> tuple[list[int], set[int]]:
    """Which sentences a reader can take in a summary (models/readability.py): no furniture, captions or
    fragments (all of them, if that leaves none); and which of those lean on the sentence before ("He said ...",
    "But ..."), so that they may come only after an earlier sentence of their article."""
    rules = readability_rules()
    usable = [i for i, s in enumerate(sentences) if rules.summary_material(s.text)] or list(range(len(sentences)))
    leaning = {i for i in usable if i > 0 and rules.leans_on_previous(sentences[i].text)}
    return usable, leaning


def pick_sentences(
    sentences: list[Sentence], scores: np.ndarray, vectors: np.ndarray, count: int, weights: dict[str, float]
) -> list[int]:
    """MMR over the scores less a per-word cost (of two equally relevant sentences the shorter one costs the
    reader less), among the sentences a reader can take in a summary (readable_candidates): a sentence that
    leans on what came before comes after an earlier sentence of the article, or with the one before it.
    Presets of up to `keep_lead_up_to` sentences open with the lead: a two-sentence summary without what
    happened is no summary."""
    usable, leaning = readable_candidates(sentences)
    words = np.array([len(s.text.split()) for s in sentences], dtype=float)
    lead = [next((i for i in usable if i not in leaning), usable[0])] if usable else []
    return select_by_mmr(
        scores - weights["length_penalty"] * words,
        vectors,
        count,
        weights["mmr_lambda"],
        candidates=usable,
        never_first=leaning,
        chosen=lead if count <= weights["keep_lead_up_to"] else [],
    )


def select_by_mmr(
    scores: np.ndarray,
    vectors: np.ndarray,
    count: int,
    trade_off: float,
    candidates: list[int] | None = None,
    never_first: set[int] | frozenset[int] = frozenset(),
    chosen: list[int] | None = None,
    groups: Sequence[int] | None = None,
    max_similarity: float | None = None,
) -> list[int]:
    """Maximal marginal relevance: each pick is relevant and unlike the picks before it. Only `candidates`
    (default: all) are picked, and `chosen` are taken first. A sentence in `never_first` may not open the
    summary: it is picked once an earlier sentence is, or together with the sentence before it as a pair
    (valued at the pair's mean) while the budget has room. With `groups` (one label a sentence: its article,
    its sentences consecutive), "earlier" and "before it" mean in the same group. With `max_similarity`, no
    pick has that cosine or more with another pick."""

    def together(i: int, j: int) -> bool:
        return groups is None or groups[i] == groups[j]

    def repeats(option: list[int]) -> bool:
        if max_similarity is None:
            return False
        similarity = vectors[option] @ vectors[chosen + option].T
        for row in range(len(option)):
            similarity[row, len(chosen) + row] = -1.0  # a sentence is not a repeat of itself
        return bool(similarity.max() >= max_similarity)

    chosen = list(chosen or [])
    remaining = [i for i in (range(len(scores)) if candidates is None else candidates) if i not in chosen]
    while len(chosen) < count:
        options: list[list[int]] = []
        for i in remaining:
            if i not in never_first or any(j < i and together(i, j) for j in chosen):
                options.append([i])
            elif i - 1 in remaining and together(i - 1, i) and i - 1 not in never_first and len(chosen) + 2 <= count:
                options.append([i - 1, i])
        options = [option for option in options if not repeats(option)]
        if not options:
            break
        relevance = np.array([scores[option].mean() for option in options])
        if chosen:
            redundancy = np.array([(vectors[option] @ vectors[chosen].T).max() for option in options])
        else:
            redundancy = np.zeros(len(options))
        best = options[int(np.argmax(trade_off * relevance - (1 - trade_off) * redundancy))]
        chosen.extend(best)
        remaining = [i for i in remaining if i not in best]
    return sorted(chosen)


def candidate_count(budget: int, weights: dict[str, float]) -> int:
    """How many of the leading sentences a summary of `budget` sentences may pick from. News states its
    story first; letting the ranking roam the whole article picked more asides than it found buried facts
    (the cap is fitted, scripts/fit_ranking.py), and the sentences past it need no embedding. Longer
    presets get twice their length so that every pick is still a choice."""
    return max(int(weights["candidate_sentences"]), 2 * budget)


@dataclass(frozen=True)
class EmbeddedLead:
    """An article's leading sentences, their vectors, and its headline's vector (None without a headline)."""

    sentences: list[Sentence]
    vectors: np.ndarray
    title_vector: np.ndarray | None


def embedded_leads(embedder: Embedder, articles: Sequence[Article], cap: int) -> list[EmbeddedLead]:
    """Each article's first `cap` sentences, embedded with the headlines in one pass over all the articles."""
    split = [split_sentences(article.text, cap) for article in articles]
    titles = [article.title for article in articles if article.title]
    vectors = embedder.embed([s.text for sentences in split for s in sentences] + titles)
    title_vectors = iter(vectors[len(vectors) - len(titles) :])
    leads = []
    offset = 0
    for article, sentences in zip(articles, split, strict=True):
        title_vector = next(title_vectors) if article.title else None
        leads.append(EmbeddedLead(sentences, vectors[offset : offset + len(sentences)], title_vector))
        offset += len(sentences)
    return leads


class ExtractiveSummariser:
    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.name = f"extractive/{embedder.name}"
        self.weights = load_ranking()["summary"]

    def summarise(self, text: str, title: str | None, preset: Preset) -> Summary:
        return self.summarise_many([Article(text, title)], preset)[0]

    def summarise_many(self, articles: list[Article], preset: Preset) -> list[Summary]:
        """Summaries of several articles with one embedding pass over all their sentences."""
        return [by_preset[0] for by_preset in self.summarise_each(articles, [preset])]

    def summarise_each(self, articles: list[Article], presets: list[Preset]) -> list[list[Summary]]:
        """For each article, one summary per preset; the sentences are embedded once for all presets."""
        caps = [candidate_count(preset.sentences, self.weights) for preset in presets]
        return [
            [
                self._summarise_split(lead.sentences[:cap], lead.vectors[:cap], lead.title_vector, preset)
                for preset, cap in zip(presets, caps, strict=True)
            ]
            for lead in embedded_leads(self.embedder, articles, max(caps))
        ]

    def _summarise_split(
        self,
        sentences: list[Sentence],
        vectors: np.ndarray,
        title_vector: np.ndarray | None,
        preset: Preset,
    ) -> Summary:
        if not sentences:
            return Summary([], preset.name, self.name)
        scores = sentence_scores(sentences, vectors, title_vector, self.weights)
        picked = pick_sentences(sentences, scores, vectors, preset.sentences, self.weights)
        return Summary(
            [
                SummarySentence(sentences[i].text, sentences[i].start, sentences[i].end, round(float(scores[i]), 4))
                for i in picked
            ],
            preset.name,
            self.name,
        )
