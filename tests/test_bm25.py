"""Passage BM25 in numpy arrays gives rank_bm25's BM25Okapi scores, on real news text and on edge cases: equal up
to float rounding (a mean idf summed in another order), and the same passages in the same order."""

import json

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from models.answers import content_words
from models.bm25 import PassageBM25
from models.sentences import split_sentences
from tests.conftest import SharedData

QUESTIONS = [
    "Who is the article about?",
    "When did the police say the minister was arrested?",
    "How much money did the company make last year?",
    "said said said",  # a word in most passages (floored idf), asked three times
    "zebra quantum",  # words no passage holds
]


def _spans(count: int, window: int = 3) -> list[tuple[int, int]]:
    return [(i, j) for i in range(count) for j in range(i, min(i + window, count))]


def _both(sentence_words: list[list[str]]) -> tuple[PassageBM25, BM25Okapi]:
    spans = _spans(len(sentence_words))
    # rank_bm25 is given each passage's words, with a placeholder for a passage that has none.
    documents = [[w for k in range(i, j + 1) for w in sentence_words[k]] or ["\0"] for i, j in spans]
    return PassageBM25(sentence_words, spans), BM25Okapi(documents)


def test_scores_and_idf_equal_rank_bm25_on_news_articles(shared: SharedData) -> None:
    articles = [line for line in shared.news_summaries.read_text(encoding="utf-8").splitlines() if line][:25]
    for line in articles:
        ours, theirs = _both([content_words(s.text) for s in split_sentences(json.loads(line)["article"])])
        for question in QUESTIONS:
            words = content_words(question)
            expected = theirs.get_scores(words)
            np.testing.assert_allclose(ours.scores(words), expected, rtol=1e-12, atol=1e-12)
            ranked = np.argsort(-ours.scores(words), kind="stable")
            assert np.array_equal(ranked, np.argsort(-expected, kind="stable"))
            for word in words:
                if word in theirs.idf:
                    assert ours.idf_of(word) == pytest.approx(theirs.idf[word], rel=1e-12, abs=1e-12)
                else:  # no passage holds it
                    assert ours.idf_of(word) is None


def test_passages_without_words_count_as_one_placeholder_word() -> None:
    ours, theirs = _both([["mayor"], [], [], ["bridge", "mayor"], [], []])
    words = ["mayor", "bridge", "mayor"]
    np.testing.assert_allclose(ours.scores(words), theirs.get_scores(words), rtol=1e-12)
    assert ours.idf_of("mayor") == pytest.approx(theirs.idf["mayor"], rel=1e-12)
    assert ours.idf_of("\0") is None  # the placeholder is no word a question can ask for


def test_a_text_without_any_content_words() -> None:
    ours, theirs = _both([[], []])
    assert ours.scores(["mayor"]).tolist() == theirs.get_scores(["mayor"]).tolist() == [0.0, 0.0, 0.0]
    assert ours.scores([]).tolist() == [0.0, 0.0, 0.0]
