"""Ingest: JSONL, CSV, folders of HTML / text pages, bad records reported with their place, idempotent."""

import json
import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from models.presets import load_presets
from models.registry import Models
from service.ingest.load import store_records
from service.ingest.plaintext import extract_text_article
from service.ingest.sources import read_records
from service.store.database import make_engine, make_session_factory
from service.store.tables import ArticleRow
from tests.conftest import SharedData


def _ingest(database_url: str, path: Path):  # type: ignore[no-untyped-def]
    sessions = make_session_factory(make_engine(database_url))
    with sessions() as session:
        return store_records(session, read_records(path), max_text_chars=200_000)


def test_jsonl_reports_bad_lines_and_stores_the_rest(
    tmp_path: Path, database_url: str, news, shared: SharedData
) -> None:
    article = news["harbour_bridge"]
    lines = [
        json.dumps({"title": article.title, "text": article.text, "source": "Gazette"}),
        "{not json",
        json.dumps({"title": "Empty", "text": "   "}),
        json.dumps({"html": (shared.news_pages / "bbc.com_70cb2d5bca.html").read_text(encoding="utf-8")}),
        json.dumps(["a list"]),
    ]
    path = tmp_path / "archive.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = _ingest(database_url, path)
    assert len(report.added) == 2
    assert [location for location, _ in report.skipped] == [f"{path}:2", f"{path}:3", f"{path}:5"]
    assert "not JSON" in report.skipped[0][1] and "text" in report.skipped[1][1]
    again = _ingest(database_url, path)
    assert again.added == [] and sorted(again.already_stored) == sorted(report.added)


def test_csv_with_quoted_newlines(tmp_path: Path, database_url: str, news) -> None:
    article = news["vaccine_trial"]
    path = tmp_path / "archive.csv"
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["title", "text", "url", "published_at"])
        writer.writeheader()
        writer.writerow(
            {"title": article.title, "text": article.text, "url": "https://example.org/v", "published_at": "2026-11-20"}
        )
        writer.writerow({"title": "No body", "text": "", "url": "", "published_at": ""})
        writer.writerow({"title": "Bad date", "text": "Some text here.", "url": "", "published_at": "someday"})
    report = _ingest(database_url, path)
    assert len(report.added) == 1 and len(report.skipped) == 2
    assert report.skipped[0][0].startswith(f"{path}:") and "published_at" in report.skipped[1][1]
    sessions = make_session_factory(make_engine(database_url))
    with sessions() as session:
        stored = session.get(ArticleRow, report.added[0])
        assert stored.text == article.text and stored.published_at.year == 2026


def _page_folder(tmp_path: Path, shared: SharedData) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    for name in ("bbc.com_70cb2d5bca.html", "wired.com_2f42ef1d3e.html", "nytimes.com_04a6711caa.html"):
        shutil.copy(shared.news_pages / name, folder / name)
    shutil.copy(shared.catl_page, folder / "catl.txt")
    (folder / "broken.html").write_text("<html><body><div>", encoding="utf-8")
    (folder / "latin1.txt").write_bytes("Caf\xe9 news\nThe caf\xe9 opened.".encode("latin-1"))
    (folder / "notes.md").write_text("ignored", encoding="utf-8")
    return folder


def test_folder_of_pages_is_extracted_and_bad_files_reported(
    tmp_path: Path, database_url: str, shared: SharedData
) -> None:
    folder = _page_folder(tmp_path, shared)
    report = _ingest(database_url, folder)
    assert len(report.added) == 4
    skipped = dict(report.skipped)
    assert set(skipped) == {str(folder / "broken.html"), str(folder / "latin1.txt")}
    assert "UTF-8" in skipped[str(folder / "latin1.txt")]
    truth = json.loads((shared.news_pages / "ground-truth.json").read_text(encoding="utf-8"))
    sessions = make_session_factory(make_engine(database_url))
    with sessions() as session:
        titles = session.scalars(select(ArticleRow.title)).all()
        assert "CATL's EV battery plants to become carbon neutral this year, founder says" in titles
        bbc = session.scalars(select(ArticleRow).where(ArticleRow.url.is_(None))).all()
        assert len(bbc) == 4
        body_start = next(v["articleBody"] for k, v in truth.items() if k.startswith("bbc.com"))[:60]
        assert any(body_start.split()[0] in row.text for row in bbc)
    assert _ingest(database_url, folder).added == []


def test_catl_page_text_yields_the_story_not_the_furniture(models: Models, shared: SharedData) -> None:
    article = extract_text_article(shared.catl_page.read_text(encoding="utf-8"))
    assert article is not None
    assert article.title == "CATL's EV battery plants to become carbon neutral this year, founder says"
    assert article.text.startswith("Contemporary Amperex Technology (CATL)")
    for furniture in (
        "Try Our AI Features",
        "Related Articles",
        "Download",
        "storm eye",
        "baby bonus",
        "Meta Platforms",
        "No comments",
        "logo",
    ):
        assert furniture not in article.text
    summary = models.summariser.summarise(article.text, article.title, load_presets()["medium"])
    assert all("CATL" in s.text or "carbon" in s.text or "company" in s.text for s in summary.sentences[:2])
    assert all(s.text in article.text for s in summary.sentences)


def test_a_clean_text_file_is_unchanged(news) -> None:
    article = news["harbour_bridge"]
    extracted = extract_text_article(article.path.read_text(encoding="utf-8"))
    assert extracted is not None and (extracted.title, extracted.text) == (article.title, article.text)


def test_post_html_instead_of_title_and_text(client: TestClient, shared: SharedData) -> None:
    page = (shared.news_pages / "nytimes.com_04a6711caa.html").read_text(encoding="utf-8")
    created = client.post("/v1/articles", json={"html": page, "source": "NYT"})
    assert created.status_code == 201, created.text
    stored = client.get(f"/v1/articles/{created.json()['id']}").json()
    assert stored["title"] and stored["source"] == "NYT" and len(stored["text"].split()) > 200
    assert "<" not in stored["text"]
    broken = client.post("/v1/articles", json={"html": "<html><body><nav>Home</nav></body></html>"})
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "unreadable_article"
    both = client.post("/v1/articles", json={"html": page, "text": "Also text.", "title": "t"})
    assert both.status_code == 422 and both.json()["error"]["code"] == "invalid_input"
