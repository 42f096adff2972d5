"""Summaries a reader trusts at a glance: no openers leaning on a sentence left out, no captions, teasers or page
furniture, no fragments, and an article in another language refused in one sentence instead of summarised."""

import numpy as np
import pytest
from fastapi.testclient import TestClient

from models.extractive import pick_sentences
from models.language import detect_language
from models.presets import load_presets, load_ranking
from models.readability import readability_rules
from models.registry import Models
from models.results import SummarySentence
from models.sentences import Sentence, split_sentences
from service.batch.local import BatchPlan, run_batch
from service.evaluation.summaries import readability
from service.ingest.sources import page_record, text_page
from tests.conftest import DATA, SharedData

RULES = readability_rules()
PRESETS = load_presets()
GERMAN = DATA / "other_languages" / "brucke.txt"


@pytest.mark.parametrize(
    "sentence",
    [
        "He said the plan would work.",
        '"But the council disagreed," she said.',
        "And while it was a good day Woods, the crowd went home early.",
        "They host Chelsea on Saturday.",
        "This is the end of an era for the club.",
        "However, the report was never published.",
    ],
)
def test_openers_that_lean_on_the_sentence_before(sentence: str) -> None:
    assert RULES.leans_on_previous(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "This week the council voted to build the bridge.",
        "Theresa May resigned on Friday.",
        "Heavy rain closed the coast road.",
        "The bridge will cost £48 million.",
        "Italy's prime minister said the deal was done.",
    ],
)
def test_openers_that_stand_alone(sentence: str) -> None:
    assert not RULES.leans_on_previous(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Scroll down for video Lindsey Vonn was back at Augusta on Sunday.",
        "Sister Gertrud Tiefenbacher (not pictured) was found in her bedroom.",
        "Rep. Ilhan OmarIlhan OmarHillicon Valley: the week in tech policy.",
        "READ MORE: Why the harbour bridge failed its inspection",
        "The mayor (left) and her deputy cut the ribbon on Tuesday.",
    ],
)
def test_captions_teasers_and_link_text_are_marked(sentence: str) -> None:
    assert RULES.has_marker(sentence)
    assert not RULES.summary_material(sentence)


def test_story_sentences_are_not_marked() -> None:
    for sentence in split_sentences((DATA / "harbour_bridge.txt").read_text(encoding="utf-8")):
        assert not RULES.has_marker(sentence.text), sentence.text


def test_furniture_lines_are_whole_teaser_lines_not_sentences_that_mention_them() -> None:
    for line in (
        "READ MORE: Bridges that fell",
        "DON'T MISS",
        "Related: Council votes",
        "Advertisement",
        "Don't miss: the final in pictures",
        "Scroll down for video",
    ):
        assert RULES.is_furniture_line(line), line
    for line in ("Read more about it in the engineers' report, he said.", "Related stories were not found."):
        assert not RULES.is_furniture_line(line), line


def _texts(text: str) -> list[str]:
    sentences = split_sentences(text)
    assert all(text[s.start : s.end] == s.text for s in sentences)
    return [s.text for s in sentences]


def test_a_caption_run_into_a_sentence_starting_with_a_number_is_split() -> None:
    text = "Sister Gertrud was found in her bedroom, with a towel on her face An 86-year-old nun was killed."
    assert _texts(text) == [
        "Sister Gertrud was found in her bedroom, with a towel on her face",
        "An 86-year-old nun was killed.",
    ]


def test_paragraphs_glued_without_a_space_are_split_with_exact_offsets() -> None:
    text = 'She thanked the community.Dr Venter said the trial worked.He added: "We are done."Then he left.'
    assert _texts(text) == [
        "She thanked the community.",
        "Dr Venter said the trial worked.",
        'He added: "We are done."',
        "Then he left.",
    ]
    assert _texts("Mr.Smith met U.S.Army officers, said www.example.org.") == [
        "Mr.Smith met U.S.Army officers, said www.example.org."
    ]


def _sentences(*texts: str) -> list[Sentence]:
    sentences, start = [], 0
    for text in texts:
        sentences.append(Sentence(text, start, start + len(text)))
        start += len(text) + 1
    return sentences


def test_a_leaning_sentence_comes_only_with_the_sentence_before_it() -> None:
    sentences = _sentences(
        "The council approved the bridge on Tuesday after a long debate.",
        "The mayor, Helen Carter, welcomed the decision in a speech.",
        "She said it would bring new shops to the harbour front.",
        "Opponents say the cost of the bridge has doubled since March.",
    )
    vectors = np.eye(4)
    weights = load_ranking()["summary"] | {"keep_lead_up_to": 0}
    # The leaning sentence scores best, but nothing before it is picked: it would open the summary.
    assert pick_sentences(sentences, np.array([0.5, 0.1, 0.9, 0.6]), vectors, 2, weights) == [0, 3]
    # With the sentence before it, as a pair, it may come.
    assert pick_sentences(sentences, np.array([0.5, 0.8, 0.9, 0.1]), vectors, 2, weights) == [1, 2]
    # After an earlier sentence, it reads on from that one.
    assert pick_sentences(sentences, np.array([0.9, 0.1, 0.8, 0.1]), vectors, 2, weights) == [0, 2]


def test_short_summaries_keep_the_lead(models: Models, shared: SharedData) -> None:
    title, story = text_page(shared.catl_page.read_text(encoding="utf-8"))
    summary = models.summariser.summarise(story, title, PRESETS["short"])
    assert summary.sentences[0].text.startswith("Contemporary Amperex Technology (CATL), the world's largest")
    assert "carbon neutral" in summary.sentences[0].text


def test_furniture_and_captions_never_reach_a_summary(models: Models, news) -> None:
    article = news["harbour_bridge"]
    paragraphs = article.text.split("\n")
    debris = [
        "Scroll down for video The bridge will be the longest of its kind in the county.",
        "READ MORE: Why the old harbour bridge was closed",
    ]
    text = "\n".join([debris[0], paragraphs[0], debris[1], *paragraphs[1:]])
    for preset in PRESETS.values():
        summary = models.summariser.summarise(text, article.title, preset)
        assert summary.sentences and not any(RULES.has_marker(s.text) for s in summary.sentences)
        assert not any(RULES.is_fragment(s.text) for s in summary.sentences)


def test_furniture_lines_are_dropped_when_an_article_is_stored(client: TestClient, news) -> None:
    article = news["harbour_bridge"]
    paragraphs = article.text.split("\n")
    text = "\n".join([paragraphs[0], "READ MORE: Why the old harbour bridge was closed", *paragraphs[1:]])
    created = client.post("/v1/articles", json={"title": article.title, "text": text})
    stored = client.get(f"/v1/articles/{created.json()['id']}").json()
    assert stored["text"] == article.text and stored["language"] == "en"


def test_the_language_is_told_from_real_text_and_not_guessed_from_a_few_words(news) -> None:
    assert detect_language(GERMAN.read_text(encoding="utf-8")) == "de"
    assert detect_language(news["vaccine_trial"].text) == "en"
    assert detect_language("Text of Title.") is None


def test_an_article_in_another_language_is_refused_not_summarised(client: TestClient, news) -> None:
    title, _, text = GERMAN.read_text(encoding="utf-8").partition("\n")
    refused = client.post("/v1/summaries", json={"title": title, "text": text})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "unsupported_language" and "(detected: de)" in error["message"]
    question = client.post("/v1/answers", json={"text": text, "question": "Was kostet die Brücke?"})
    assert question.status_code == 422 and question.json()["error"]["code"] == "unsupported_language"
    english = client.post("/v1/summaries", json={"text": news["vaccine_trial"].text})
    assert english.status_code == 200 and english.json()["language"] == "en"


def test_a_stored_article_in_another_language_is_kept_but_never_summarised(client: TestClient, models: Models) -> None:
    title, _, text = GERMAN.read_text(encoding="utf-8").partition("\n")
    created = client.post("/v1/articles", json={"title": title, "text": text})
    assert created.status_code == 201
    article_id = created.json()["id"]
    assert client.get(f"/v1/articles/{article_id}").json()["language"] == "de"
    summary = client.get(f"/v1/articles/{article_id}/summary")
    assert summary.status_code == 422 and summary.json()["error"]["code"] == "unsupported_language"
    # The batch does not count it as pending, so it neither summarises it nor tries it again and again.
    report = run_batch(client.app.state.sessions, models, BatchPlan(presets=["short"]), progress=False)
    assert report.articles == 0
    # The reader's page says why there is no summary, instead of offering buttons that can only fail.
    page = client.get(f"/articles/{article_id}").text
    assert "this one is in another\n    language (de)" in page and 'id="ai-panel"' not in page
    assert 'id="ai-panel"' in client.get(f"/articles/{_english_article(client)}").text


def _english_article(client: TestClient) -> int:
    text = (DATA / "vaccine_trial.txt").read_text(encoding="utf-8")
    title, _, body = text.partition("\n")
    return int(client.post("/v1/articles", json={"title": title, "text": body}).json()["id"])


def test_the_command_line_refuses_another_language_in_one_sentence(precis) -> None:
    run = precis("summarise", str(GERMAN))
    assert run.code == 1
    assert run.err.startswith("precis: This text is in another language than English (detected: de)")


def test_eval_flags_what_a_reader_stumbles_on() -> None:
    text = (
        "The council approved the bridge on Tuesday after a long debate. The mayor welcomed the decision. "
        "She said it would bring new shops. Opponents say the cost has doubled since March."
    )
    article = split_sentences(text)

    def summary(*indices: int) -> list[SummarySentence]:
        return [SummarySentence(article[i].text, article[i].start, article[i].end, 1.0) for i in indices]

    lead = readability(summary(0, 1), article)
    assert lead.same_as_lead and not lead.mid_thought and not lead.marker
    assert not readability(summary(0, 2), article).mid_thought  # "She" follows the lead
    dangling = readability(summary(2, 3), article)
    assert dangling.mid_thought and not dangling.same_as_lead
    assert readability(summary(1, 2), article).mid_thought is False
    assert readability(summary(1), article).fragment  # "The mayor welcomed the decision." has five words
    generated = [SummarySentence("He said the bridge would be built.", None, None, 1.0)]
    assert readability(generated, article).mid_thought


def test_summaries_of_every_shared_news_page_read_cleanly(models: Models, shared: SharedData) -> None:
    """Real pages from 21 sites, extracted as ingest extracts them: no summary opens mid-thought or carries a
    caption, teaser or fragment, and no furniture line is left in a stored story."""
    pages = sorted(shared.news_pages.glob("*.html"))
    assert len(pages) == 21
    for page in pages:
        record = page_record(str(page), page.read_text(encoding="utf-8"), is_html=True)
        assert record.article is not None, record.error
        text = record.article.text
        assert not any(RULES.is_furniture_line(line) for line in text.split("\n")), page.name
        for preset in ("short", "medium"):
            summary = models.summariser.summarise(text, record.article.title, PRESETS[preset])
            flags = readability(summary.sentences, split_sentences(text))
            assert not (flags.mid_thought or flags.marker or flags.fragment), (page.name, preset, summary.sentences)
