"""The evaluation harness (`precis eval`) and the ranking fit: metrics on hand-computed toy examples, and
both evaluations end to end on small fixed subsets of the shared data (5 articles, 20 questions)."""

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from models.presets import load_presets
from models.registry import Models
from models.results import Summary, SummarySentence
from models.sentences import split_sentences
from models.squad import Question, load_squad, split_by_article, squad_em_f1
from models.verifier_training import surest
from scripts.fit_ranking import fit_logistic, oracle, rewrite_values
from service.evaluation import answers, data, selective, summaries
from service.evaluation import command as evaluate
from service.evaluation.baselines import bm25_best_sentence, lead, sumy_picker
from service.evaluation.metrics import holds_answer, rouge_f1
from service.evaluation.report import paired_bootstrap, table
from service.settings import Settings
from tests.conftest import SharedData

# ---------------------------------------------------------------- metrics on toy examples


def test_rouge_equals_the_hand_computed_value() -> None:
    # Prediction "the cat sat on the mat" (6 tokens), reference "the cat sat" (3 tokens).
    # ROUGE-1: 3 shared unigrams, P = 3/6, R = 3/3, F = 2/3. ROUGE-2: both reference bigrams occur among
    # the prediction's 5, P = 2/5, R = 1, F = 4/7. ROUGE-L: the LCS is "the cat sat", F = 2/3.
    scores = rouge_f1(["The cat sat on the mat."], ["The cat sat."])
    assert scores["rouge1"] == pytest.approx(2 / 3)
    assert scores["rouge2"] == pytest.approx(4 / 7)
    assert scores["rougeL"] == pytest.approx(2 / 3)


def test_rouge_stems_words() -> None:
    assert rouge_f1(["Councils voted"], ["council votes"])["rouge1"] == pytest.approx(1.0)


def test_squad_em_and_f1_follow_the_official_normalisation() -> None:
    # Articles, case and punctuation are normalised away: an exact match.
    assert squad_em_f1("the Denver Broncos.", ["Denver Broncos"]) == (1.0, 1.0)
    # [broncos, of, denver] vs [denver, broncos]: 2 shared tokens, P = 2/3, R = 1, F1 = 0.8.
    em, f1 = squad_em_f1("Broncos of Denver", ["Denver Broncos", "Carolina"])
    assert em == 0.0 and f1 == pytest.approx(0.8)
    # The best of several gold answers counts; no answer scores 0, as in the official script.
    assert squad_em_f1("Carolina", ["Denver Broncos", "Carolina"]) == (1.0, 1.0)
    assert squad_em_f1(None, ["Denver Broncos"]) == (0.0, 0.0)


def test_answer_sentence_recall_goes_by_offsets() -> None:
    assert holds_answer(10, 40, ["Denver"], [12])
    assert not holds_answer(10, 15, ["Denver"], [12]), "the answer runs past the context"
    assert not holds_answer(None, None, ["Denver"], [12])


def test_paired_bootstrap_of_equal_systems_is_zero() -> None:
    assert paired_bootstrap([0.2, 0.3, 0.4], [0.2, 0.3, 0.4]) == {"mean": 0.0, "low": 0.0, "high": 0.0}
    lead_by_one = paired_bootstrap([0.3, 0.4, 0.5], [0.2, 0.3, 0.4])
    assert lead_by_one["low"] == pytest.approx(0.1) and lead_by_one["high"] == pytest.approx(0.1)


def test_markdown_table() -> None:
    rendered = table([{"system": "lead-3", "rougeL": 0.26294}], ["system", "rougeL"], markdown=True)
    assert rendered.splitlines() == ["| system | rougeL |", "|---|---|", "| lead-3 | 0.263 |"]


# ---------------------------------------------------------------- data and baselines


def test_headline_from_the_url_slug() -> None:
    assert (
        data.title_from_url(
            "http://web.archive.org/web/2015id_/http://www.dailymail.co.uk/news/article-3025219/"
            "Greece-denies-fail-pay-loan.html"
        )
        == "Greece denies fail pay loan"
    )
    assert (
        data.title_from_url("http://edition.cnn.com/2015/04/07/entertainment/bb-king-hospitaliized/index.html")
        == "bb king hospitaliized"
    )
    assert data.title_from_url("http://example.com/") is None


def test_baselines_pick_from_our_sentences(news) -> None:
    sentences = split_sentences(news["harbour_bridge"].text)
    assert lead(sentences, 3) == [0, 1, 2]
    for kind in ("lexrank", "textrank"):
        picked = sumy_picker(kind)(sentences, 4)
        assert len(picked) == 4 and picked == sorted(set(picked))
    best = bm25_best_sentence(sentences, "Which Norwegian firm drew up the design?")
    assert "Halvorsen" in sentences[best].text


def test_unanswerable_texts_of_the_task_do_not_hold_the_answer() -> None:
    pool = [
        Question(str(k), f"q{k}", f"context {k} says {topic}", (f"a{k}",), (0,), topic)
        for k, topic in enumerate("aabbc")
    ]
    task = answers.make_task(pool, pool, ["news one", "news two"])
    for question, paragraph in zip(pool, task.paragraphs, strict=True):
        assert paragraph != question.context and question.answers[0] not in paragraph
    assert set(task.articles) <= {"news one", "news two"}


# ---------------------------------------------------------------- end to end on small subsets


@pytest.fixture(scope="module")
def five_articles(shared: SharedData) -> list[data.NewsItem]:
    return data.load_news(shared.news_summaries, limit=5)


@pytest.fixture(scope="module")
def twenty_question_task(shared: SharedData) -> answers.Task:
    _, validation = split_by_article(load_squad(shared.squad))
    questions = data.sample(validation, 20, seed=0)
    unrelated = [item.article for item in data.load_news(shared.news_summaries, limit=10)]
    return answers.make_task(questions, validation, unrelated)


def test_eval_summaries_end_to_end(models: Models, five_articles, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(evaluate, "_load", lambda settings: models)
    output = tmp_path / "summaries.json"
    args = argparse.Namespace(eval_command="summaries", data=None, limit=5, preset="long", output=output, markdown=True)
    evaluate.run(args, Settings())
    report = json.loads(output.read_text())
    systems = {row["system"]: row for row in report["systems"]}
    # A preset of other than three sentences gets LEAD at its own budget too.
    assert set(systems) == {
        "precis (long)",
        "precis (long), no headline",
        "lead-3",
        "lead-7",
        "sumy lexrank-7",
        "sumy textrank-7",
    }
    for row in systems.values():
        assert all(0.0 <= row[m] <= 1.0 for m in ("rouge1", "rouge2", "rougeL", "rougeLsum"))
        assert row["rouge2"] <= row["rouge1"] and row["words"] > 0
    assert systems["lead-3"]["sentences"] == 3 and systems["precis (long)"]["sentences"] == 7
    # The readability columns: LEAD is the lead and never dangles; Precis's summaries never open mid-thought.
    assert systems["lead-3"]["= lead"] == 1.0 and systems["lead-3"]["mid-thought"] == 0.0
    assert systems["precis (long)"]["mid-thought"] == 0.0 and systems["precis (long)"]["marker"] == 0.0
    assert report["articles"] == 5 and len(report["per_article_rougeL"]["lead-3"]) == 5
    assert "| precis (long) |" in capsys.readouterr().out


def test_summary_rouge_of_lead_3_equals_rouge_of_its_text(five_articles) -> None:
    scores = summaries.evaluate(five_articles, {"lead-3": summaries.picker_system(lead, 3)}, progress=False)
    item = five_articles[0]
    text = [s.text for s in split_sentences(item.article)[:3]]
    reference = [s.text for s in split_sentences(item.reference)]
    assert scores["lead-3"].rouge["rougeL"][0] == rouge_f1(text, reference)["rougeL"]


def test_eval_answers_end_to_end(models: Models, twenty_question_task: answers.Task) -> None:
    task = twenty_question_task
    collected = selective.collect(models.answers, task, progress=False)
    verified = selective.cross_validated(collected)
    alone = selective.margin_outcomes(collected, models.answers.reader.threshold, 3.0)
    bm25 = answers.run(answers.bm25_answerer, task, "bm25", progress=False)
    rows = [answers.row("verified", task, verified.outcomes), answers.row("alone", task, alone)]
    rows.append(answers.row("bm25", task, bm25))
    for result in rows:
        for metric in ("EM", "F1", "answered", "made up (paragraphs)", "made up (articles)", "no-answer recall"):
            assert 0.0 <= result[metric] <= 1.0
        assert result["EM"] <= result["F1"]
    assert rows[2]["made up (articles)"] == 1.0, "the BM25 sentence always answers"
    assert rows[1]["F1"] > rows[2]["F1"], "a span beats a whole sentence"
    assert rows[0]["answered"] <= rows[1]["answered"], "the verifier turns answers into 'not sure', never the reverse"
    curve = selective.risk_coverage(collected, verified)
    assert [r["coverage"] for r in curve] == list(selective.COVERAGES)
    confidence = [r["confidence at least"] for r in curve]
    assert confidence == sorted(confidence), "answering fewer questions takes the surer ones"
    calibration = selective.calibration_rows(collected, verified)
    assert sum(r["candidates"] for r in calibration) == len(np.unique(collected.readings.asked))
    per_type = answers.by_type(task, {"verified": verified.outcomes}, {})
    assert sum(r["questions"] for r in per_type) == 20


def test_the_evaluation_judges_as_the_served_finder_does(models: Models, twenty_question_task) -> None:
    """The harness reads each text once and decides afterwards; with the shipped verifier's weights and thresholds
    that decision must be exactly what AnswerFinder.answer returns."""
    verifier = models.answers.verifier
    assert verifier is not None
    collected = selective.collect(models.answers, twenty_question_task, progress=False)
    confidence = verifier.confidence(collected.readings.rows)
    chosen = surest(confidence, collected.readings.asked)
    texts = {
        "paragraph": lambda k: twenty_question_task.questions[k].context,
        "whole": lambda k: twenty_question_task.whole[k],
        "distractor": lambda k: twenty_question_task.paragraphs[k],
        "news": lambda k: twenty_question_task.articles[k],
    }
    for reading in chosen[:40]:
        k, kind = collected.asked[int(collected.readings.asked[reading])]
        direct = models.answers.answer(texts[kind](k), twenty_question_task.questions[k].question)
        given = confidence[reading] >= verifier.threshold
        said = direct.answer if given else (direct.candidate.text if direct.candidate else None)
        assert direct.confidence == pytest.approx(round(float(confidence[reading]), 4))
        if confidence[reading] >= verifier.floor:
            assert said == collected.spans[reading]
        assert (direct.answer is not None) == given


class _FirstSentenceSummariser:
    """Stands in for the transformers summariser (PRECIS_SUMMARISER): generated text, no offsets."""

    name = "abstractive/fake"

    def summarise(self, text: str, title: str | None, preset) -> Summary:
        return Summary([SummarySentence(split_sentences(text)[0].text, None, None, 1.0)], preset.name, self.name)


def test_a_configured_abstractive_summariser_gets_its_own_row(models: Models, five_articles) -> None:
    systems = summaries.systems_for(models.summariser, load_presets()["short"], _FirstSentenceSummariser())
    scores = summaries.evaluate(five_articles[:2], systems, progress=False)
    assert "abstractive abstractive/fake (short)" in scores
    assert "lead-2" in scores and "sumy lexrank-2" in scores, "baselines at the preset's budget"
    assert scores["abstractive abstractive/fake (short)"].sentences == [1, 1]


# ---------------------------------------------------------------- the ranking fit


def test_rewrite_values_keeps_comments_and_other_sections() -> None:
    text = "[summary]\n# why\nw_title = 0.5  # note\nmax_words = 45\n\n[answers]\nw_title = 0.5\n"
    rewritten = rewrite_values(text, "summary", {"w_title": 1.23456, "max_words": 60})
    assert rewritten == "[summary]\n# why\nw_title = 1.2346  # note\nmax_words = 60\n\n[answers]\nw_title = 0.5\n"


def test_logistic_fit_learns_the_sign_of_a_feature() -> None:
    features = np.array([[0.0], [0.1], [0.2], [0.8], [0.9], [1.0]])
    weights = fit_logistic(features, np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0]))
    assert weights[0] > 0 and weights[1] < 0


def test_logistic_fit_is_in_the_units_of_the_features_whatever_their_scale() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 2))
    labels = (features[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(float)
    weights = fit_logistic(features, labels)
    rescaled = fit_logistic(features * [100.0, 1.0], labels)
    # The penalty works on standardised features, so scaling one changes its weight, not the model.
    assert np.allclose(rescaled[0] * 100.0, weights[0]) and np.allclose(rescaled[1:], weights[1:])


def test_oracle_picks_the_sentence_that_matches_the_reference() -> None:
    sentences = split_sentences("The mayor opened the bridge. It rained all day. A dog barked at a cat.")
    labels = oracle(sentences, ["The mayor opened the new bridge."])
    assert labels.tolist()[0] == 1.0 and labels.sum() >= 1


def test_fitted_ranking_weights_are_in_the_data_file() -> None:
    from models.extractive import FEATURES
    from models.presets import load_ranking

    summary = load_ranking()["summary"]
    assert all(f"w_{name}" in summary for name in FEATURES) and "intercept" in summary
    assert 0.0 < load_ranking()["answers"]["no_answer_threshold"] < 1.0
    assert load_presets()["medium"].sentences >= 1


def test_eval_commands_are_on_the_command_line() -> None:
    import subprocess
    import sys

    for command in (["-m", "service.cli", "eval", "summaries"], ["-m", "service.cli", "eval", "answers"]):
        result = subprocess.run(
            [sys.executable, *command, "--help"], capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0 and "--limit" in result.stdout and "--markdown" in result.stdout
