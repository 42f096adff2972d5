"""The embedded answer finder (MiniLM + BM25 + spaCy NER) on hand-written questions."""

import pytest

from models.answers import expected_entity_labels
from models.registry import Models

ANSWERABLE = [
    ("harbour_bridge", "How much will the bridge cost?", "£48 million"),
    ("harbour_bridge", "When is the bridge due to open?", "2028"),
    ("harbour_bridge", "Who designed the bridge?", "Halvorsen Engineering"),
    ("harbour_bridge", "How long will the bridge be?", "240 metres"),
    ("harbour_bridge", "Where will the steel deck be made?", "Middlesbrough"),
    ("harbour_bridge", "Who leads the opposition group?", "Peter Danvers"),
    ("harbour_bridge", "How many boats does the Fishermen's Association have?", "23"),
    ("harbour_bridge", "When was the old swing bridge built?", "1896"),
    ("harbour_bridge", "How much has the government promised?", "£36 million"),
    ("vaccine_trial", "How many children received the vaccine?", "4,800"),
    ("vaccine_trial", "Who led the study?", "Kwame Asante"),
    ("vaccine_trial", "Which company developed the vaccine?", "Meridian Biologics"),
    ("vaccine_trial", "Where will the doses be produced?", "Pune"),
    ("vaccine_trial", "How much does each dose cost to make?", "$3"),
    ("football_final", "Who scored the winning penalty?", "Jonas Ekwueme"),
    ("football_final", "How many people watched the final?", "18,450"),
    ("football_final", "Who is the Rovers manager?", "Anna Lindqvist"),
    ("football_final", "How much prize money do the winners receive?", "£250,000"),
]

UNANSWERABLE = [
    ("harbour_bridge", "What is the capital of Australia?"),
    ("vaccine_trial", "Who won the football match?"),
    ("football_final", "How much does the malaria vaccine cost?"),
    ("vaccine_trial", "When will the bridge open?"),
]


@pytest.mark.parametrize(("name", "question", "expected"), ANSWERABLE)
def test_answer_span_contains_the_expected_answer(models: Models, news, name, question, expected) -> None:
    text = news[name].text
    answer = models.answers.answer(text, question)
    assert answer.answer is not None and expected in answer.answer
    assert text[answer.start : answer.end] == answer.answer
    assert text[answer.context_start : answer.context_end] == answer.context
    assert answer.context_start <= answer.start < answer.end <= answer.context_end


@pytest.mark.parametrize(("name", "question"), UNANSWERABLE)
def test_no_answer_when_the_article_does_not_say(models: Models, news, name, question) -> None:
    answer = models.answers.answer(news[name].text, question)
    assert answer.answer is None and answer.start is None and answer.context is None


def test_entity_questions_are_narrowed_to_a_short_span(models: Models, news) -> None:
    answer = models.answers.answer(news["vaccine_trial"].text, "Who led the study?")
    assert answer.answer is not None and len(answer.answer.split()) <= 4
    assert answer.context is not None and len(answer.context) > len(answer.answer)


@pytest.mark.parametrize(
    ("question", "label"),
    [
        ("Who led it?", "PERSON"),
        ("When did it open?", "DATE"),
        ("How many boats?", "CARDINAL"),
        ("Where is it?", "GPE"),
        ("How much did it cost?", "MONEY"),
        ("Which company built it?", "ORG"),
    ],
)
def test_question_kind_selects_the_entity_labels(question: str, label: str) -> None:
    assert label in expected_entity_labels(question)


def test_open_questions_expect_no_particular_entity() -> None:
    assert expected_entity_labels("Why did the council vote for the bridge?") == frozenset()
