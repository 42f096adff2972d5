"""The reader's pages and the related-articles endpoint, through TestClient with the real models and store."""

import html
import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.store.articles import NewArticle, add_article, list_articles
from service.store.database import make_engine, make_session_factory
from service.store.fulltext import FULLTEXT_OBJECTS
from service.store.tables import ArticleVectorRow, Base
from service.web import pages
from tests.conftest import DATA, NewsArticle, read_article

RELATED = ("bridge_cost", "tram_bridge", "measles_vaccine", "flu_vaccine")
PARAGRAPH = re.compile(r'<p data-start="(\d+)">(.*?)</p>', re.S)


@pytest.fixture(scope="module")
def topics() -> dict[str, NewsArticle]:
    """Short articles on two subjects, bridges and vaccines, beside the ones in tests/data."""
    assert sorted(RELATED) == sorted(path.stem for path in (DATA / "related").glob("*.txt"))
    return {name: read_article(f"related/{name}") for name in RELATED}


def _store(client: TestClient, article: NewsArticle, **fields: str) -> int:
    response = client.post("/v1/articles", json={"title": article.title, "text": article.text, **fields})
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def _store_all(client: TestClient, articles: dict[str, NewsArticle]) -> dict[str, int]:
    return {name: _store(client, article) for name, article in articles.items()}


def _headlines(page: str) -> list[str]:
    return [html.unescape(title) for title in re.findall(r'<a class="headline" href="/articles/\d+">(.*?)</a>', page)]


# The article list


def test_list_page_shows_title_source_and_date_newest_first(client: TestClient, news) -> None:
    _store(client, news["vaccine_trial"], source="Health Desk", published_at="2026-11-23T09:00:00Z")
    _store(client, news["harbour_bridge"], source="Brackwater Gazette", published_at="2026-11-24T18:00:00Z")
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert _headlines(response.text) == [news["harbour_bridge"].title, news["vaccine_trial"].title]
    assert "Brackwater Gazette" in response.text and "24 November 2026" in response.text
    assert '<time datetime="2026-11-23">23 November 2026</time>' in response.text


def test_list_page_is_paginated(client: TestClient, news, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    titles = [article.title for article in news.values()]
    for article in news.values():
        _store(client, article)
    newest_first = titles[::-1]
    first = client.get("/").text
    assert _headlines(first) == newest_first[:2] and "page 1 of 2" in first
    assert 'href="/?page=2" rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/", params={"page": 2}).text
    assert _headlines(second) == newest_first[2:4] and 'href="/" rel="prev"' in second and 'rel="next"' not in second
    beyond = client.get("/", params={"page": 9}).text
    assert _headlines(beyond) == [] and "There is no page 9" in beyond and 'href="/?page=2" rel="prev"' in beyond


def test_the_home_page_searches_the_archive_by_keywords_and_meaning(client: TestClient, news, topics) -> None:
    ids = _store_all(client, news | topics)
    found = client.get("/", params={"q": "  spending on infrastructure "}).text
    bridges = {topics["bridge_cost"].title, topics["tram_bridge"].title, news["harbour_bridge"].title}
    assert set(_headlines(found)[:3]) == bridges and 'value="spending on infrastructure"' in found
    assert "Found by meaning" in found
    by_word = client.get("/", params={"q": "malaria"}).text
    assert _headlines(by_word)[0] == news["vaccine_trial"].title and "Found by keywords" in by_word
    assert f'href="/articles/{ids["vaccine_trial"]}"' in by_word
    nothing = client.get("/", params={"q": "<b>zebra</b>"}).text
    assert "No stored story matches “&lt;b&gt;zebra&lt;/b&gt;”" in nothing and "<b>zebra" not in nothing


def test_the_home_page_asks_the_archive(client: TestClient, news, topics) -> None:
    ids = _store_all(client, news | topics)
    page = client.get("/", params={"ask": "Where was the malaria vaccine trial held?"}).text
    answer = page[page.index('id="archive-answer"') :]
    assert '<p class="answer-text">northern Ghana</p>' in answer
    assert f'<a class="headline" href="/articles/{ids["vaccine_trial"]}">' in answer
    none = client.get("/", params={"ask": "Who won the Monaco Grand Prix?"}).text
    assert "No stored article says." in none
    # A span the verifier is not sure of is offered as such, in plain weight, never as the answer.
    unsure = client.get("/", params={"ask": "Where will the malaria vaccine doses be produced?"}).text
    unsure = unsure[unsure.index('id="archive-answer"') :]
    assert '<p class="not-sure"><strong>Not sure</strong> — a stored article may say: “Pune' in unsure
    assert 'class="answer-text"' not in unsure and "% sure)" in unsure
    assert f'<a class="headline" href="/articles/{ids["vaccine_trial"]}">' in unsure
    too_long = client.get("/", params={"ask": "why " * 200})
    assert too_long.status_code == 200 and "500" in too_long.text and 'role="alert"' in too_long.text


def test_an_empty_archive_says_how_to_add_articles(client: TestClient) -> None:
    page = client.get("/").text
    assert "No articles yet" in page and "precis add" in page


def test_every_page_has_an_icon(client: TestClient) -> None:
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/").text
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith("<svg") and icon.text == client.get("/static/favicon.svg").text


# The article page


def test_article_body_is_the_stored_text_with_each_paragraphs_offset(client: TestClient, news) -> None:
    article = news["harbour_bridge"]
    article_id = _store(client, article, url="https://example.org/bridge")
    page = client.get(f"/articles/{article_id}")
    assert page.status_code == 200
    assert f'<h1 id="headline">{html.escape(article.title)}</h1>' in page.text
    paragraphs = PARAGRAPH.findall(page.text)
    assert len(paragraphs) == article.text.count("\n") + 1
    for start, text in paragraphs:
        assert article.text[int(start) : int(start) + len(html.unescape(text))] == html.unescape(text)
    assert 'href="https://example.org/bridge"' in page.text
    # The AI panel is revealed by the script, so a reader without JavaScript is not shown dead buttons.
    assert 'id="ai-panel"' in page.text and "hidden>" in page.text and 'id="needs-script"' in page.text
    assert '<button type="button" class="primary" id="summarise">Summarise</button>' in page.text
    assert 'aria-live="polite"' in page.text and 'value="bullets"' in page.text and "Key points" in page.text


def test_unknown_article_is_a_friendly_html_404(client: TestClient) -> None:
    for path in ("/articles/424242", "/articles/not-a-number", "/articles/99999999999999999999999"):
        response = client.get(path)
        assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
        assert "find that article" in response.text and 'href="/"' in response.text


def test_a_list_page_that_is_not_a_number_is_a_friendly_html_error(client: TestClient) -> None:
    for page in ("abc", "-1", "2.5", "", "99999999999999999999"):
        response = client.get("/", params={"q": "bridge", "page": page})
        assert response.status_code == 422 and response.headers["content-type"].startswith("text/html")
        assert "<title>There is no such page · Precis</title>" in response.text and 'href="/"' in response.text
        assert "Content-Security-Policy" in response.headers


def test_markup_in_articles_is_shown_as_text(client: TestClient, news) -> None:
    article = news["xss_article"]
    article_id = _store(
        client,
        NewsArticle("xss", "<script>alert('title')</script> headline", article.text),
        source='"><img src=x onerror=alert(2)>',
        url="javascript:alert(3)",
    )
    for page in (client.get(f"/articles/{article_id}"), client.get("/")):
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "javascript:" not in page.text
        assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; headline" in page.text
        assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in page.text
        # A second wall: the page permits no inline script even if escaping ever failed.
        assert "unsafe-inline" not in page.headers["content-security-policy"]
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
    body = client.get(f"/articles/{article_id}").text
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body


def test_the_reader_script_and_style_are_served_and_never_insert_html(client: TestClient) -> None:
    script = client.get("/static/reader.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "innerHTML" not in script.text and "insertAdjacentHTML" not in script.text
    assert client.get("/static/reader.css").status_code == 200


# Related articles


def test_related_articles_rank_the_same_subject_first(client: TestClient, news, topics) -> None:
    ids = _store_all(client, news | topics)
    name_of = {article_id: name for name, article_id in ids.items()}
    expected = {
        "harbour_bridge": ["bridge_cost", "tram_bridge"],
        "bridge_cost": ["harbour_bridge", "tram_bridge"],
        "measles_vaccine": ["vaccine_trial", "flu_vaccine"],
    }
    for name, closest in expected.items():
        body = client.get(f"/v1/articles/{ids[name]}/related", params={"limit": 2}).json()
        assert body["article_id"] == ids[name] and body["model"].startswith("all-MiniLM-L6-v2")
        assert [name_of[item["id"]] for item in body["items"]] == closest
        scores = [item["score"] for item in body["items"]]
        assert scores == sorted(scores, reverse=True) and all(0 < score < 1 for score in scores)
    everything = client.get(f"/v1/articles/{ids['flu_vaccine']}/related", params={"limit": 50}).json()["items"]
    assert ids["flu_vaccine"] not in [item["id"] for item in everything]
    # Articles about something else are left out rather than passed off as related.
    assert not {"football_final", "harbour_bridge", "bridge_cost"} & {name_of[item["id"]] for item in everything}
    first = everything[0]
    assert set(first) == {"id", "title", "source", "published_at", "score"}


def test_related_articles_appear_under_the_article(client: TestClient, news, topics) -> None:
    ids = _store_all(client, news | topics)
    page = client.get(f"/articles/{ids['harbour_bridge']}").text
    related = page[page.index('id="related-list"') :]
    assert _headlines(related) == [topics["bridge_cost"].title, topics["tram_bridge"].title]
    # "Brief me on this story" briefs the article and its related ones; reader.js shows it.
    briefed = " ".join(str(ids[name]) for name in ("harbour_bridge", "bridge_cost", "tram_bridge"))
    assert f'data-article-ids="{briefed}"' in related and "Brief me on this story" in related
    alone = client.get(f"/articles/{ids['football_final']}").text
    assert 'id="related-list"' not in alone and "No stored article is on a related subject yet." in alone
    assert 'id="briefing"' not in alone


def test_the_article_stays_readable_when_related_articles_fail(
    client: TestClient, news, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("vector store unreachable")

    monkeypatch.setattr(pages, "related_articles", broken)
    article_id = _store(client, news["harbour_bridge"])
    page = client.get(f"/articles/{article_id}")
    assert page.status_code == 200 and "Related articles are unavailable right now." in page.text
    assert len(PARAGRAPH.findall(page.text)) == news["harbour_bridge"].text.count("\n") + 1


def test_related_articles_errors(client: TestClient, news) -> None:
    article_id = _store(client, news["harbour_bridge"])
    missing = client.get("/v1/articles/424242/related")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "article_not_found"
    bad_limit = client.get(f"/v1/articles/{article_id}/related", params={"limit": 0})
    assert bad_limit.status_code == 422 and bad_limit.json()["error"]["code"] == "invalid_input"
    assert client.get(f"/v1/articles/{article_id}/related").json()["items"] == []


def test_vectors_are_stored_once_and_filled_in_for_articles_stored_without_models(
    client: TestClient, news, topics
) -> None:
    """`precis add` and `precis ingest` store articles without loading the models."""
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as session:
        for article in topics.values():
            add_article(session, NewArticle(title=article.title, text=article.text))
        assert session.scalar(select(func.count()).select_from(ArticleVectorRow)) == 0
    bridge_id = _store(client, news["harbour_bridge"])
    _store(client, news["harbour_bridge"])
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ArticleVectorRow)) == 1
    items = client.get(f"/v1/articles/{bridge_id}/related").json()["items"]
    assert [item["title"] for item in items] == [topics["bridge_cost"].title, topics["tram_bridge"].title]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ArticleVectorRow)) == 1 + len(topics)


# The store, on SQLite and PostgreSQL


def test_migrations_create_exactly_the_tables_in_tables_py(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            # The full-text index is the database's own, beside the tables (service/store/fulltext.py).
            options = {"include_name": lambda name, *_: name not in FULLTEXT_OBJECTS}
            assert compare_metadata(MigrationContext.configure(connection, opts=options), Base.metadata) == []
    finally:
        engine.dispose()


def test_title_search_is_case_insensitive_and_literal(database_url: str) -> None:
    engine = make_engine(database_url)
    titles = ["Bridge opens", "New BRIDGE approved", "Rates rise 100%", "under_score news", "Cup final"]
    try:
        with make_session_factory(engine)() as session:
            for title in titles:
                add_article(session, NewArticle(title=title, text=f"Text of {title}."))

            def found(words: str | None, limit: int = 10, offset: int = 0) -> tuple[list[str], int]:
                rows, total = list_articles(session, limit, offset, words)
                return [row.title for row in rows], total

            assert found("bridge") == (["New BRIDGE approved", "Bridge opens"], 2)
            assert found("bridge", limit=1, offset=1) == (["Bridge opens"], 2)
            assert found("100%") == (["Rates rise 100%"], 1)
            assert found("%") == (["Rates rise 100%"], 1)
            assert found("_") == (["under_score news"], 1)
            assert found("  ") == (titles[::-1], len(titles))
            assert found(None) == (titles[::-1], len(titles))
    finally:
        engine.dispose()
