"""The `precis` command as a user runs it: in this process where a subprocess adds nothing, `serve` for real."""

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from models.presets import load_presets
from tests.server import ROOT, free_port, running_server

SAMPLE_ARCHIVE = ROOT / "examples" / "archive.jsonl"


def test_precis_alone_lists_its_commands(precis) -> None:
    run = precis()
    assert run.code == 2
    for command in ("serve", "summarise", "ask", "brief", "add", "ingest", "batch", "eval", "train"):
        assert command in run.err


def test_help_on_every_command(precis) -> None:
    for command in ([], ["serve"], ["summarise"], ["ask"], ["brief"], ["add"], ["ingest"], ["batch"], ["eval"]):
        run = precis(*command, "--help")
        assert run.code == 0 and "usage: precis" in run.out


def test_summarise_a_file(precis, news) -> None:
    article = news["harbour_bridge"]
    run = precis("summarise", str(article.path), "--preset", "short", "--json")
    assert run.code == 0, run.err
    summary = json.loads(run.out)
    assert summary["preset"] == "short" and len(summary["sentences"]) == 2
    assert summary["sentences"][0]["text"] == article.text.split("\n")[0]


def test_ask_from_stdin(precis, news) -> None:
    text = news["vaccine_trial"].text
    found = precis("ask", "-", "Who led the study?", "--title", "Malaria vaccine", stdin=text)
    assert found.code == 0 and "Kwame Asante" in found.out
    missing = precis("ask", "-", "What is the capital of Australia?", stdin=text)
    assert missing.code == 0 and "doesn't say" in missing.out


def test_an_empty_question_is_refused_as_the_api_refuses_it(precis, news) -> None:
    run = precis("ask", str(news["vaccine_trial"].path), "  ")
    assert run.code == 1
    assert run.err.strip() == "precis: invalid input: question: must not be empty or only whitespace"


def test_a_page_with_furniture_is_summarised_and_answered_from_its_story(precis, shared) -> None:
    run = precis("summarise", str(shared.catl_page), "--preset", "long", "--json")
    assert run.code == 0, run.err
    sentences = [sentence["text"] for sentence in json.loads(run.out)["sentences"]]
    assert sentences[0].startswith("Contemporary Amperex Technology (CATL)")
    for furniture in ("founder says", "Photo:", "Orange background", "Related Articles", "storm eye"):
        assert not any(furniture in sentence for sentence in sentences)
    # The page's teaser for another story holds this answer; the story does not.
    teaser = precis("ask", str(shared.catl_page), "What did Meta change?")
    assert teaser.code == 0 and "doesn't say" in teaser.out


def test_an_html_page_is_summarised_from_its_story_not_its_scripts(precis, shared) -> None:
    page = shared.news_pages / "bbc.com_70cb2d5bca.html"
    story = json.loads((shared.news_pages / "ground-truth.json").read_text(encoding="utf-8"))
    body = next(value["articleBody"] for key, value in story.items() if key.startswith("bbc.com"))
    run = precis("summarise", str(page), "--json")
    assert run.code == 0, run.err
    sentences = [sentence["text"] for sentence in json.loads(run.out)["sentences"]]
    assert len(sentences) == load_presets()["medium"].sentences
    squashed_body = " ".join(body.split())
    # The story's sentences (the extracted text may open with the headline), never the page's code.
    assert sum(" ".join(sentence.split()) in squashed_body for sentence in sentences) >= len(sentences) - 1
    assert not any(code in sentence for sentence in sentences for code in ("function", "{", "window.", "var "))
    # Piped in, the page is read the same way when the user says it is HTML.
    piped = precis("summarise", "-", "--html", "--json", stdin=page.read_bytes())
    assert [s["text"] for s in json.loads(piped.out)["sentences"]] == sentences


def test_a_binary_file_is_refused_in_one_sentence(precis) -> None:
    run = precis("summarise", sys.executable)
    assert run.code == 1
    assert run.err.strip().startswith(f"precis: {sys.executable}: not UTF-8 text") and "Traceback" not in run.err


def test_a_missing_file_a_folder_and_a_pdf_are_refused_in_one_plain_sentence(precis, tmp_path: Path) -> None:
    pdf = tmp_path / "story.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    for args, said in (
        (["summarise", str(tmp_path / "missing.txt")], f"precis: {tmp_path / 'missing.txt'}: there is no such file."),
        (
            ["ask", str(tmp_path), "Who?"],
            f"precis: {tmp_path} is a folder, not an article file (precis ingest reads a folder).",
        ),
        (["summarise", str(pdf)], f"precis: {pdf} is a PDF; give the article as a text or HTML file."),
    ):
        run = precis(*args)
        assert run.code == 1 and run.err.strip() == said and "Errno" not in run.err


def test_eval_without_its_extra_says_how_to_install_it(precis, monkeypatch: pytest.MonkeyPatch) -> None:
    # As if `pip install -e .` had been run without the eval extra: the module cannot be found.
    monkeypatch.setitem(sys.modules, "rouge_score", None)
    run = precis("eval", "summaries", "--limit", "1")
    assert run.code == 1
    assert run.err.strip() == (
        "precis: precis eval needs the eval extra (rouge_score missing): pip install -e '.[eval]'"
    )


def test_add_is_idempotent_and_reports_errors(precis, news, tmp_path: Path) -> None:
    path = news["football_final"].path
    first = json.loads(precis("add", str(path)).out)
    again = json.loads(precis("add", str(path)).out)
    assert first["created"] is True and again == {**first, "created": False}
    missing = precis("add", str(tmp_path / "nope.txt"))
    assert missing.code == 1 and "nope.txt" in missing.err and "Traceback" not in missing.err


def test_the_sample_archive_ingests(precis) -> None:
    first = precis("ingest", str(SAMPLE_ARCHIVE))
    assert first.code == 0, first.err
    assert first.out.strip() == "added 7, already stored 0, skipped 0"
    assert precis("ingest", str(SAMPLE_ARCHIVE)).out.strip() == "added 0, already stored 7, skipped 0"


def test_ingest_fails_when_rows_are_skipped_and_says_why(precis, tmp_path: Path) -> None:
    archive = tmp_path / "bad.jsonl"
    archive.write_text(
        json.dumps({"title": "No body", "text": ""}) + "\n" + json.dumps({"text": "A story without a title."}) + "\n",
        encoding="utf-8",
    )
    run = precis("ingest", str(archive))
    assert run.code == 1
    assert "added 0, already stored 0, skipped 2" in run.out
    assert f"skipped {archive}:1: text: must not be empty or only whitespace" in run.err
    assert f"skipped {archive}:2: give either title and text, or html" in run.err
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = precis("ingest", str(empty))
    assert nothing.code == 1 and "holds no articles" in nothing.err
    missing = precis("ingest", str(tmp_path / "nope"))
    assert missing.code == 1 and "does not exist" in missing.err


def test_serve_refuses_a_port_that_is_no_port(precis) -> None:
    run = precis("serve", "--port", "99999")
    assert run.code == 2 and "99999 is not a port (1 to 65535)" in run.err


def test_serve_refuses_a_busy_port_before_loading_models(precis) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = precis("serve", "--port", str(port))
    assert run.code == 1
    assert run.err.strip() == (
        f"precis: port {port} on 127.0.0.1 is in use (another precis serve?); choose another with --port."
    )


def test_serve_refuses_a_missing_model_in_one_sentence(precis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRECIS_QA_MODEL", "/nonexistent/reader")
    run = precis("serve", "--port", str(free_port()))
    assert run.code == 1
    assert run.err.strip().splitlines() == [
        "precis: PRECIS_QA_MODEL: cannot load '/nonexistent/reader': no local directory of that name and not "
        "in the Hugging Face cache (this machine has no network)."
    ]


def test_serve_fails_its_start_when_a_model_loading_beside_it_fails(tmp_path: Path) -> None:
    """The models load while `precis serve` imports the app; a reader that cannot load still ends the start."""
    broken = tmp_path / "reader"
    broken.mkdir()
    (broken / "reader.json").write_text("{}", encoding="utf-8")  # found by the checks, refused when loaded
    environment = os.environ | {
        "PRECIS_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "PRECIS_QA_MODEL": str(broken),
        "PYTHONPATH": str(ROOT),
    }
    port = free_port()
    run = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 3  # uvicorn's "application startup failed"
    assert f"{broken} has no readable reader.json" in run.stdout + run.stderr
    assert "Uvicorn running" not in run.stdout + run.stderr


@pytest.mark.slow
def test_serve_answers_http_requests(news, tmp_path: Path) -> None:
    with running_server(f"sqlite:///{tmp_path / 'serve.db'}") as server:
        base = server.url
        article = news["harbour_bridge"]
        fields = {"title": article.title, "text": article.text}
        created = httpx.post(f"{base}/v1/articles", json=fields, headers=server.auth).json()
        summary = httpx.get(f"{base}/v1/articles/{created['id']}/summary").json()
        assert len(summary["sentences"]) == load_presets()["medium"].sentences
        icon = httpx.get(f"{base}/favicon.ico")
        assert icon.status_code == 200 and "server" not in icon.headers  # no banner naming the server


def test_search_and_ask_the_archive_from_the_command_line(precis) -> None:
    assert precis("ingest", str(SAMPLE_ARCHIVE)).code == 0
    # Stored without the models, the articles have no vectors yet: a search finds them by keyword at once...
    found = precis("search", "Brackwater bridge", "--mode", "keywords")
    assert found.code == 0 and "[2] Cost of Brackwater harbour bridge rises to £55m" in found.out
    rebuilt = precis("index", "rebuild")
    assert rebuilt.code == 0 and "indexed 7 articles (7 new vectors)" in rebuilt.err
    # ... and by meaning once indexed.
    meaning = precis("search", "spending on infrastructure", "--json")
    assert meaning.code == 0
    assert {item["id"] for item in json.loads(meaning.out)["items"][:3]} == {1, 2, 3}
    answer = precis("ask", "--archive", "How much will the Brackwater bridge cost now?")
    assert answer.code == 0
    # The answer with the verifier's confidence, then its citation.
    cited = r"£55 million  \(\d+% sure\)\n  — \[2\] Cost of Brackwater harbour bridge rises to £55m"
    assert re.match(cited, answer.out), answer.out
    nothing = precis("ask", "--archive", "Who won the Monaco Grand Prix?")
    assert nothing.code == 0 and nothing.out == "No stored article says.\n"


def test_ask_needs_a_file_and_a_question_or_the_archive(precis, news) -> None:
    for args in (["ask"], ["ask", "-"], ["ask", "-", "--archive", "Who?"]):
        run = precis(*args, stdin=news["harbour_bridge"].text)
        assert run.code == 1 and run.err.startswith("precis: ") and run.err.count("\n") == 1, args


def test_the_archive_commands_run_as_installed(tmp_path: Path) -> None:
    """In a fresh process, as a user runs them: the vector index's library and ONNX Runtime load in the order
    that works (the other one crashed the process)."""
    environment = {"PRECIS_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "service.cli", "search", "bridge"],
        cwd=tmp_path,
        env=os.environ | environment,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0 and run.stdout == "No stored article matches.\n", run.stderr
