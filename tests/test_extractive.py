"""The embedded extractive summariser on real MiniLM embeddings."""

import pytest

from models.extractive import lexrank_centrality, select_by_mmr
from models.presets import load_presets
from models.registry import Models
from models.results import Article

PRESETS = load_presets()


@pytest.mark.parametrize("name", ["harbour_bridge", "vaccine_trial", "football_final"])
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_summary_sentences_come_from_the_article_with_exact_offsets(models: Models, news, name, preset) -> None:
    article = news[name]
    summary = models.summariser.summarise(article.text, article.title, PRESETS[preset])
    assert summary.sentences
    assert len(summary.sentences) <= PRESETS[preset].sentences
    for sentence in summary.sentences:
        assert article.text[sentence.start : sentence.end] == sentence.text
        assert 0.0 <= sentence.score <= 1.0
    starts = [s.start for s in summary.sentences]
    assert starts == sorted(starts), "sentences are returned in article order"
    assert len(set(starts)) == len(starts)


def test_short_preset_is_shorter_than_long(models: Models, news) -> None:
    article = news["harbour_bridge"]
    short = models.summariser.summarise(article.text, article.title, PRESETS["short"])
    long = models.summariser.summarise(article.text, article.title, PRESETS["long"])
    assert sum(len(s.text) for s in short.sentences) < sum(len(s.text) for s in long.sentences)
    assert len(short.sentences) == 2 and len(long.sentences) == 7


@pytest.mark.parametrize("name", ["harbour_bridge", "vaccine_trial", "football_final"])
def test_inverted_pyramid_lead_is_chosen(models: Models, news, name) -> None:
    article = news[name]
    lead = article.text.split("\n")[0]
    summary = models.summariser.summarise(article.text, article.title, PRESETS["short"])
    assert summary.sentences[0].text == lead


def test_summarise_many_equals_one_at_a_time(models: Models, news) -> None:
    articles = [Article(a.text, a.title) for a in news.values()]
    together = models.summariser.summarise_many(articles, PRESETS["medium"])
    alone = [models.summariser.summarise(a.text, a.title, PRESETS["medium"]) for a in articles]
    assert [[s.start for s in x.sentences] for x in together] == [[s.start for s in x.sentences] for x in alone]


def test_lexrank_ranks_the_sentence_most_like_the_others_first() -> None:
    import numpy as np

    similarity = np.array([[1.0, 0.9, 0.8], [0.9, 1.0, 0.2], [0.8, 0.2, 1.0]])
    centrality = lexrank_centrality(similarity, threshold=0.1, damping=0.85)
    assert int(np.argmax(centrality)) == 0 and centrality.max() == 1.0


def test_mmr_skips_a_near_duplicate() -> None:
    import numpy as np

    vectors = np.array([[1.0, 0.0], [0.999, 0.0447], [0.0, 1.0]])
    picked = select_by_mmr(np.array([1.0, 0.95, 0.6]), vectors, count=2, trade_off=0.5)
    assert picked == [0, 2]


class _CountingEmbedder:
    """The real embedder, counting the texts it is given."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self.name = embedder.name
        self.texts = 0

    def embed(self, texts: list[str]):
        self.texts += len(texts)
        return self.embedder.embed(texts)


def test_summaries_pick_from_the_leading_sentences_and_embed_only_those(models: Models, news) -> None:
    from models.extractive import ExtractiveSummariser, candidate_count
    from models.sentences import split_sentences

    article = news["harbour_bridge"]
    # The story told twice over: the second telling is as relevant, but lies past the candidates.
    text = article.text + "\n" + article.text + "\n" + article.text
    sentences = split_sentences(text)
    counting = _CountingEmbedder(models.embedder)
    summariser = ExtractiveSummariser(counting)  # type: ignore[arg-type]
    cap = candidate_count(PRESETS["medium"].sentences, summariser.weights)
    assert len(sentences) > cap
    summary = summariser.summarise(text, article.title, PRESETS["medium"])
    assert counting.texts == cap + 1  # the candidates and the headline
    assert all(s.start < sentences[cap].start for s in summary.sentences)
    # Longer presets reach further, so that each of their picks is still a choice.
    assert candidate_count(PRESETS["long"].sentences, summariser.weights) == 2 * PRESETS["long"].sentences
