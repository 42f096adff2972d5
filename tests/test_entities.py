"""Named entities: the real spaCy recogniser on real text."""

import pytest

from models import entities as entities_module
from models.entities import KINDS, find_entities, group, load_ner, name_key, recognise
from service.ingest.sources import text_page
from tests.conftest import SharedData


@pytest.fixture(scope="module")
def ner():
    return load_ner()


@pytest.fixture(scope="module")
def catl_story(shared: SharedData) -> tuple[str, str]:
    """The shared CATL page's headline and story, as `precis add` stores them (the page furniture dropped)."""
    title, text = text_page(shared.catl_page.read_text(encoding="utf-8"))
    assert title is not None
    return title, text



# The recogniser and the grouping


def test_the_shared_catl_story_names_catl_an_organisation(ner, catl_story) -> None:
    _, text = catl_story
    mentions = recognise(ner, [text])[0]
    assert mentions and all(text[m.start : m.end] == m.text for m in mentions)
    assert {m.kind for m in mentions} <= set(KINDS)
    found = {(entity.name, entity.kind): entity for entity in group(mentions)}
    # "Contemporary Amperex Technology (CATL" as the recogniser reads it is two names, each on its own side.
    assert found["CATL", "organisation"].count == 2
    assert ("Contemporary Amperex Technology", "organisation") in found
    assert ("Robin Zeng Yuqun", "person") in found and ("Hong Kong", "place") in found
    assert ("April 2023", "date") in found
    assert not any("(" in name or ")" in name for name, _ in found)
    counts = [entity.count for entity in found.values()]
    assert counts == sorted(counts, reverse=True)
    assert find_entities([text]) == [group(mentions)]


def test_mentions_are_cleaned_and_grouped_under_one_name(ner) -> None:
    text = (
        "The BBC's report on Tuesday said the BBC would pay £250,000 to staff in London.\n"
        "\n"
        "  A spokesperson for the   bbc said London had agreed."
    )
    mentions = recognise(ner, [text])[0]
    assert all(text[m.start : m.end] == m.text for m in mentions)
    entities = {entity.name: entity for entity in group(mentions)}
    # "The BBC's", "the BBC" and "bbc": one organisation, named as the article most often writes it.
    assert entities["BBC"].kind == "organisation" and entities["BBC"].count >= 2
    assert [text[start:end] for start, end in entities["London"].mentions] == ["London", "London"]
    # The currency sign the recogniser leaves out is put back.
    assert entities["£250,000"].kind == "money"
    assert name_key("the  BBC\u2019s") == name_key("BBC") == "bbc"


def test_a_line_longer_than_a_piece_is_read_in_pieces_with_exact_offsets(
    ner, monkeypatch: pytest.MonkeyPatch
) -> None:
    sentence = "Angela Merkel met Emmanuel Macron in Paris on Friday. "
    text = "Headline about Berlin\n" + sentence * 6
    whole = recognise(ner, [text])[0]
    monkeypatch.setattr(entities_module, "MAX_PIECE_CHARS", 2 * len(sentence) + 5)
    pieces = recognise(ner, [text])[0]
    assert all(text[m.start : m.end] == m.text for m in pieces)
    assert [m.text for m in pieces if m.kind == "place"] == [m.text for m in whole if m.kind == "place"]
    assert sum(m.text == "Paris" for m in pieces) == 6
