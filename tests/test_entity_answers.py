"""The previous answer method, kept as the named baseline of `precis eval answers`: which entities a question asks
for, and a passage narrowed to one of them."""

import pytest

from models.entities import load_ner
from models.entity_answers import EntityAnswerFinder, expected_entity_labels
from models.registry import Models


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


def test_the_baseline_narrows_an_entity_question_to_a_short_span(models: Models, news) -> None:
    finder = EntityAnswerFinder(models.embedder, load_ner())
    answer = finder.answer(news["vaccine_trial"].text, "Who led the study?")
    assert answer.answer == "Kwame Asante"
    assert answer.context is not None and len(answer.context) > len(answer.answer)
