"""Screenshots of the reader page for the README, and the running server the browser tests drive.

    python -m scripts.screenshots [--output docs]

Starts `precis serve` on a temporary SQLite database, stores articles from tests/data, and drives Debian's
Chromium through Playwright. Never `playwright install`: downloading a browser build fails without internet,
and the distribution's browser gets security updates from apt.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from scripts.local_server import free_port, wait_until_ready

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "tests" / "data"
CHROMIUM = Path("/usr/bin/chromium")
# No sandbox: CI runs as root in a container. The rest keeps Chromium from phoning home, which would only hang
# or fail without internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def running_server(database_url: str) -> Iterator[str]:
    """A real `precis serve` on a free port, until the block ends; yields its base URL."""
    port = free_port()
    env = os.environ | {
        "PRECIS_DATABASE_URL": database_url,
        "PRECIS_LOG_LEVEL": "warning",
        # This checkout's code, whatever an installed copy points at.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with tempfile.TemporaryDirectory() as workdir, tempfile.TemporaryFile() as log:
        # Run from an empty directory so that no developer's .env changes the settings.
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_ready(base_url, process, log)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def store_article(base_url: str, name: str, **fields: str) -> int:
    """Stores tests/data/<name>.txt (headline on the first line) through the API; returns its id."""
    title, _, text = (TEST_DATA / f"{name}.txt").read_text(encoding="utf-8").partition("\n")
    response = httpx.post(
        f"{base_url}/v1/articles", json={"title": title.strip(), "text": text.strip(), **fields}, timeout=60
    )
    response.raise_for_status()
    return int(response.json()["id"])


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


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
    paths = [output / "reader-summary.png", output / "reader-answer.png"]
    with (
        tempfile.TemporaryDirectory() as database_dir,
        running_server(f"sqlite:///{Path(database_dir) / 'precis.db'}") as base_url,
        sync_playwright() as playwright,
    ):
        for name in ("related/tram_bridge", "related/bridge_cost"):
            store_article(base_url, name, source="Brackwater Gazette", published_at="2026-11-20T08:00:00Z")
        article_id = store_article(
            base_url, "harbour_bridge", source="Brackwater Gazette", published_at="2026-11-24T18:00:00Z"
        )
        browser = launch_chromium(playwright)
        # Reduced motion: the page scrolls to a highlight at once instead of smoothly, so the shot is steady.
        page = browser.new_page(viewport={"width": 1280, "height": 860}, reduced_motion="reduce")
        page.goto(f"{base_url}/articles/{article_id}")
        _summarise_and_highlight(page)
        # A pointer left over a button would show it hovered.
        page.mouse.move(0, 0)
        page.screenshot(path=paths[0])
        page.reload()
        _ask(page, "How much will the bridge cost?")
        page.screenshot(path=paths[1])
        browser.close()
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs", help="where the PNGs go (default: docs/)")
    for path in take_screenshots(parser.parse_args().output):
        print(path)


if __name__ == "__main__":
    main()
