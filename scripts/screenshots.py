"""Screenshots of the reader page for the README.

    python -m scripts.screenshots [--output docs]

Starts `precis serve` on a temporary SQLite database, stores articles from tests/data, and drives Debian's
Chromium through Playwright (tests/server.py, shared with the browser tests).
"""

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.server import launch_chromium, running_server, store_article

ROOT = Path(__file__).resolve().parent.parent


def _summarise_and_highlight(page: Page) -> None:
    page.get_by_text("Medium", exact=True).click()
    page.get_by_role("button", name="Summarise").click()
    sentences = page.locator("#summary-result button.sentence")
    expect(sentences.first).to_be_visible(timeout=30_000)
    sentences.nth(1).click()
    expect(page.locator("mark.hit").first).to_be_in_viewport()


def _ask(page: Page, question: str) -> None:
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")
    expect(page.locator("#answer-result .answer-text")).to_be_visible(timeout=30_000)
    expect(page.locator("mark.answer").first).to_be_in_viewport()


def take_screenshots(output: Path) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    paths = [output / "reader-summary.png", output / "reader-answer.png", output / "reader-not-sure.png"]
    with (
        tempfile.TemporaryDirectory() as database_dir,
        running_server(f"sqlite:///{Path(database_dir) / 'precis.db'}") as server,
        sync_playwright() as playwright,
    ):
        for name in ("related/tram_bridge", "related/bridge_cost"):
            store_article(server, name, source="Brackwater Gazette", published_at="2026-11-20T08:00:00Z")
        article_id = store_article(
            server, "harbour_bridge", source="Brackwater Gazette", published_at="2026-11-24T18:00:00Z"
        )
        browser = launch_chromium(playwright)
        # Reduced motion: the page scrolls to a highlight at once instead of smoothly, so the shot is steady.
        page = browser.new_page(viewport={"width": 1280, "height": 860}, reduced_motion="reduce")
        page.goto(f"{server.url}/articles/{article_id}")
        _summarise_and_highlight(page)
        # A pointer left over a button would show it hovered.
        page.mouse.move(0, 0)
        page.screenshot(path=paths[0])
        page.reload()
        _ask(page, "How much will the bridge cost?")
        page.screenshot(path=paths[1])
        # A span the verifier is not sure of: offered with its passage, never as the answer.
        page.reload()
        page.get_by_label("Your question").fill("How long will the bridge be?")
        page.get_by_label("Your question").press("Enter")
        expect(page.locator("#answer-result .not-sure")).to_be_visible(timeout=30_000)
        page.mouse.move(0, 0)
        page.screenshot(path=paths[2])
        browser.close()
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs", help="where the PNGs go (default: docs/)")
    for path in take_screenshots(parser.parse_args().output):
        print(path)


if __name__ == "__main__":
    main()
