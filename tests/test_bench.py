"""The benchmark's arithmetic (scripts/bench.py): the FLOP count it holds Precis to and the articles it builds."""

import pytest

from models.embedder import bundled_minilm_path
from scripts.bench import article_of, mflop_per_token, news_articles, slope
from tests.conftest import SharedData


def test_minilm_costs_21_2_mflop_a_token() -> None:
    assert mflop_per_token(bundled_minilm_path()) == pytest.approx(21.23, abs=0.01)


def test_long_articles_are_whole_shared_articles_up_to_the_length(shared: SharedData) -> None:
    articles = news_articles(shared.news_summaries)
    for words in (600, 5_000, 20_000):
        text = article_of(words, articles)
        assert abs(len(text.split()) - words) < 600
        assert text.split("\n")[0] == articles[0].split("\n")[0]


def test_slope_is_ms_per_thousand_words() -> None:
    assert slope([1_000, 3_000, 5_000], [12.0, 16.0, 20.0]) == pytest.approx((2.0, 10.0))
