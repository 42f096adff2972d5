"""The reader page in a real browser: headless Chromium (Debian's) against a real `precis serve`."""

import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect, sync_playwright

from tests.conftest import read_article
from tests.server import CHROMIUM, launch_chromium, running_server, store_article

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason=f"{CHROMIUM} is missing (apt-get install chromium); CI must run these tests",
    ),
    pytest.mark.slow,
]

# Summaries take ~0.2 s on an idle machine; shared CI machines can be far slower.
expect.set_options(timeout=20_000)
PUBLISHED = "2026-11-24T18:00:00Z"


@dataclass(frozen=True)
class Site:
    url: str
    ids: dict[str, int]
    auth: dict[str, str]

    def article(self, name: str) -> str:
        return f"{self.url}/articles/{self.ids[name]}"


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with (
        tempfile.TemporaryDirectory() as database_dir,
        running_server(f"sqlite:///{Path(database_dir) / 'precis.db'}") as server,
    ):
        names = [
            "football_final",
            "vaccine_trial",
            "xss_article",
            "related/tram_bridge",
            "related/bridge_cost",
            "harbour_bridge",
        ]
        ids = {
            Path(name).name: store_article(server, name, source="Brackwater Gazette", published_at=PUBLISHED)
            for name in names
        }
        yield Site(server.url, ids, server.auth)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"CI must run the browser tests, but {CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    # Any alert() would mean article text ran as code; any uncaught error or refused resource, a broken page.
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    def refused_by_policy(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            problems.append(f"CSP: {message.text}")

    page.on("console", refused_by_policy)
    yield page
    context.close()
    assert problems == []


def _summarise(page: Page, length: str) -> None:
    page.get_by_text(length, exact=True).click()
    page.get_by_role("button", name="Summarise").click()


def _ask(page: Page, question: str) -> None:
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")


def _marked(page: Page, kind: str) -> str:
    return "".join(page.locator(f"#article-body mark.{kind}").all_text_contents())


def test_summarise_then_select_a_sentence_to_highlight_it(page: Page, site: Site) -> None:
    page.goto(site.article("harbour_bridge"))
    _summarise(page, "Short")
    sentences = page.locator("#summary-result ol.summary button.sentence")
    expect(sentences).to_have_count(2)
    second = sentences.nth(1)
    second.click()
    expect(page.locator("#article-body mark.hit").first).to_be_in_viewport()
    assert _marked(page, "hit") == second.text_content()
    expect(second).to_have_attribute("aria-current", "true")
    # Key points come as a list; choosing another sentence moves the highlight.
    _summarise(page, "Key points")
    points = page.locator("#summary-result ul.summary.bullets button.sentence")
    expect(points).to_have_count(5)
    points.last.click()
    expect(page.locator("#article-body mark.hit").first).to_be_in_viewport()
    assert _marked(page, "hit") == points.last.text_content()


def test_highlights_land_exactly_after_emoji(page: Page, site: Site) -> None:
    """The API counts code points, JavaScript counts UTF-16 units: an emoji is one and two of them."""
    text = (
        "🎉🎉 Crowds filled the old square 🎈 for the lantern festival on Saturday night.\n"
        "The 🏮 lanterns were lit at nine o'clock by the mayor, Ana Ruiz, to loud cheers.\n"
        "Traders said it had been the busiest night of the year for the market stalls."
    )
    title = "Lantern festival 🏮 fills the square"
    response = httpx.post(f"{site.url}/v1/articles", json={"title": title, "text": text}, headers=site.auth)
    page.goto(f"{site.url}/articles/{response.json()['id']}")
    _summarise(page, "Long")
    sentences = page.locator("#summary-result button.sentence")
    expect(sentences).to_have_count(3)
    for sentence in sentences.all():
        sentence.click()
        assert _marked(page, "hit") == sentence.text_content()
    _ask(page, "At what time were the lanterns lit?")
    expect(page.locator("#answer-result .answer-text")).to_have_text("nine o'clock")
    assert _marked(page, "answer") == "nine o'clock"


def test_a_slow_summary_shows_a_loading_state(page: Page, site: Site) -> None:
    held: list[Route] = []
    page.route("**/v1/articles/*/summary?*", lambda route: held.append(route))
    page.goto(site.article("vaccine_trial"))
    _summarise(page, "Long")
    result = page.locator("#summary-result")
    expect(result.locator(".loading")).to_contain_text("Summarising…")
    expect(result).to_have_attribute("aria-busy", "true")
    expect(page.get_by_role("button", name="Summarise")).to_have_attribute("aria-disabled", "true")
    held[0].continue_()
    expect(result.locator("button.sentence").first).to_be_visible()
    expect(result).not_to_have_attribute("aria-busy", "true")
    expect(result.locator(".loading")).to_have_count(0)


def test_failures_are_explained_in_the_result_area(page: Page, site: Site) -> None:
    page.route(
        "**/v1/articles/*/summary?*",
        lambda route: route.fulfill(
            status=503, json={"error": {"code": "not_ready", "message": "The models are still loading."}}
        ),
    )
    page.route("**/v1/articles/*/answers", lambda route: route.abort())
    page.goto(site.article("harbour_bridge"))
    _summarise(page, "Medium")
    expect(page.locator("#summary-result")).to_have_text(
        "Summaries are unavailable right now: The models are still loading."
    )
    _ask(page, "Who designed the bridge?")
    expect(page.locator("#answer-result")).to_have_text(
        "Answers are unavailable right now: the server could not be reached."
    )


def test_ask_highlights_the_answer_and_its_passage(page: Page, site: Site) -> None:
    page.goto(site.article("harbour_bridge"))
    _ask(page, "Who leads the opposition group?")
    expect(page.locator("#answer-result .answer-text")).to_have_text("Peter Danvers")
    expect(page.locator("#answer-result p.confidence")).to_have_text(re.compile(r"^\d{1,3}% sure$"))
    expect(page.locator("#article-body mark.answer").first).to_be_in_viewport()
    assert _marked(page, "answer") == "Peter Danvers"
    # The passage is shown once, with the answer in bold inside it, and is what is marked in the article.
    passage = page.locator("#answer-result button.passage-link")
    expect(passage.locator("strong")).to_have_text("Peter Danvers")
    text = passage.text_content() or ""
    assert len(text) > len("Peter Danvers") and text.count("Peter Danvers") == 1
    assert _marked(page, "passage").replace(" ", "") == text.replace(" ", "").replace("\n", "")


def test_a_span_the_verifier_is_not_sure_of_is_never_shown_as_the_answer(page: Page, site: Site) -> None:
    """The reader finds "Jonas Ekwueme" for this question, but its verifier is not sure (confidence under its
    threshold): the page offers it as what the article may say, with its passage, never in bold as the answer."""
    page.goto(site.article("football_final"))
    _ask(page, "Who scored the winning penalty?")
    note = page.locator("#answer-result .not-sure")
    expect(note).to_contain_text("Not sure — the article may say: “Jonas Ekwueme”")
    expect(note).to_contain_text("% sure)")
    expect(page.locator("#answer-result .answer-text")).to_have_count(0)
    expect(page.locator("#answer-result strong")).to_have_text("Not sure")
    expect(page.locator("#article-body mark.answer")).to_have_count(0)
    # The passage is marked in the story (not the span as an answer) and offered, the span underlined in it.
    expect(page.locator("#article-body mark.passage").first).to_be_in_viewport()
    expect(page.locator("#answer-result button.passage-link u")).to_have_text("Jonas Ekwueme")
    assert "Jonas Ekwueme" in _marked(page, "passage")


def test_a_question_the_article_cannot_answer(page: Page, site: Site) -> None:
    page.goto(site.article("harbour_bridge"))
    _ask(page, "How much will the bridge cost?")
    expect(page.locator("#answer-result .answer-text")).to_have_text("£48 million")
    _ask(page, "What is the capital of Peru?")
    expect(page.locator("#answer-result .no-answer")).to_have_text("This article doesn't say.")
    expect(page.locator("#article-body mark")).to_have_count(0)


def test_related_articles_lead_to_a_story_on_the_same_subject(page: Page, site: Site) -> None:
    page.goto(site.article("harbour_bridge"))
    related = page.locator("#related-list a")
    expect(related).to_have_count(2)
    expect(related.first).to_have_text(read_article("related/bridge_cost").title)
    related.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(read_article("related/bridge_cost").title)
    expect(page.locator("#related-list a").first).to_have_text(read_article("harbour_bridge").title)


def test_brief_me_on_this_story_gives_each_related_article_its_say(page: Page, site: Site) -> None:
    page.goto(site.article("harbour_bridge"))
    page.get_by_role("button", name="Brief me on this story").click()
    result = page.locator("#briefing-result")
    # All three are published at the same time: this article first, then its related articles, closest first.
    sources = result.locator(".briefing-source a")
    expect(sources).to_have_count(3)
    titles = [read_article(name).title for name in ("harbour_bridge", "related/bridge_cost", "related/tram_bridge")]
    assert sources.all_text_contents() == titles
    expect(sources.nth(1)).to_have_attribute("href", f"/articles/{site.ids['bridge_cost']}")
    # This article's sentences are shown in it; the others' lead to their articles.
    own = result.locator("button.sentence")
    expect(own.first).to_be_visible()
    own.first.click()
    expect(page.locator("#article-body mark.hit").first).to_be_in_viewport()
    assert _marked(page, "hit") == own.first.text_content()
    sources.nth(1).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(titles[1])


def test_an_entity_chip_leads_to_the_articles_that_mention_it(page: Page, site: Site) -> None:
    page.goto(site.article("harbour_bridge"))
    people = page.locator(".entity-kind", has=page.locator("dt", has_text="People"))
    chip = people.locator("a.chip", has_text="Margaret Oyelaran")
    expect(chip).to_be_visible()
    chip.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Margaret Oyelaran")
    listed = page.locator("#entity-articles a.headline")
    expect(listed).to_have_count(1)
    expect(listed).to_have_text(read_article("harbour_bridge").title)
    listed.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(read_article("harbour_bridge").title)


def test_markup_in_an_article_stays_text(page: Page, site: Site) -> None:
    page.goto(site.article("xss_article"))
    body = page.locator("#article-body")
    expect(body).to_contain_text("<script>alert('pwned')</script>")
    expect(body).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator("#article-body script, #article-body img").count() == 0
    _summarise(page, "Long")
    expect(page.locator("#summary-result")).to_contain_text("<img src=x onerror=alert(1)>")
    _ask(page, "What should publishers escape?")
    expect(page.locator("#answer-result .answer-text")).to_have_text("every piece of user text")
    assert page.locator("#ai-panel script, #ai-panel img").count() == 0


def test_keyboard_tab_reaches_summarise_and_enter_activates_it(page: Page, site: Site) -> None:
    page.goto(site.article("football_final"))
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "summarise":
            break
    else:
        pytest.fail("Tab never reached the Summarise button")
    page.keyboard.press("Enter")
    expect(page.locator("#summary-result button.sentence").first).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "summarise"


def test_readable_on_a_phone_without_sideways_scrolling(page: Page, site: Site) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    no_sideways_scroll = "document.documentElement.scrollWidth <= window.innerWidth"
    page.goto(site.url)
    assert page.evaluate(no_sideways_scroll)
    page.goto(site.article("harbour_bridge"))
    _summarise(page, "Long")
    expect(page.locator("#summary-result button.sentence").first).to_be_visible()
    _ask(page, "When will the bridge open?")
    expect(page.locator("#answer-result .answer-text")).to_be_visible()
    assert page.evaluate(no_sideways_scroll)
    box = page.get_by_role("button", name="Summarise").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375


def test_the_article_reads_without_javascript(browser: Browser, site: Site) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.article("harbour_bridge"))
    expect(page.locator("#article-body p").first).to_be_visible()
    expect(page.locator("#ai-panel")).to_be_hidden()
    expect(page.get_by_text("Summaries and questions need JavaScript")).to_be_visible()
    context.close()


def test_the_script_replaces_the_javascript_notice_with_the_panel(page: Page, site: Site) -> None:
    page.goto(site.article("harbour_bridge"))
    expect(page.locator("#ai-panel")).to_be_visible()
    expect(page.get_by_text("Summaries and questions need JavaScript")).to_have_count(0)


def test_the_home_page_searches_by_meaning_and_opens_an_article(page: Page, site: Site) -> None:
    page.goto(site.url)
    page.get_by_label("Search the archive").fill("spending on infrastructure")
    page.get_by_label("Search the archive").press("Enter")
    headlines = page.locator(".search-results a.headline")
    expect(headlines).to_have_count(3)
    expect(page.locator(".search-results .matched-by").first).to_have_text("Found by meaning")
    headlines.first.click()
    expect(page.locator("#ai-panel")).to_be_visible()
    expect(page.locator("#headline")).to_contain_text("bridge")


def test_the_home_page_asks_the_archive_and_cites_the_article(page: Page, site: Site) -> None:
    page.goto(site.url)
    page.get_by_label("Ask the archive").fill("Where was the malaria vaccine trial held?")
    page.get_by_role("button", name="Ask").click()
    expect(page.locator("#archive-answer .answer-text")).to_have_text("northern Ghana")
    page.locator("#archive-answer .citation a").click()
    expect(page).to_have_url(site.article("vaccine_trial"))


def test_the_api_docs_render_without_internet(site: Site, page: Page) -> None:
    """Chromium here has no internet: Swagger UI must come from Precis itself."""
    page.goto(f"{site.url}/docs")
    expect(page.get_by_text("/v1/articles/{article_id}/summary").first).to_be_visible()
    expect(page.locator(".opblock-summary-method", has_text="POST").first).to_be_visible()
