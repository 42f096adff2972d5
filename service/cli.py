"""`precis` — the command line: the same functions as the HTTP API, plus `serve`."""

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from models.errors import ModelLoadError
from models.presets import load_presets
from service.errors import PrecisError
from service.logs import configure_logging, logging_config
from service.settings import Settings, get_settings

if TYPE_CHECKING:
    from models.registry import Models


def _read_input(source: str) -> str:
    return sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")


def _split_title(text: str, title: str | None) -> tuple[str | None, str]:
    """Without --title, a plain-text file's first line is its headline."""
    if title is not None:
        return title, text
    first, _, rest = text.strip().partition("\n")
    return (first.strip(), rest.strip()) if rest.strip() else (None, text)


def _load_models(settings: Settings) -> "Models":
    from models.registry import load_models

    return load_models(settings.model_config_for_loading())


def _print_json(model: BaseModel) -> None:
    print(model.model_dump_json(indent=2))


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers or settings.workers,
        log_level=settings.log_level,
        log_config=logging_config(settings.log_level),
    )


def cmd_summarise(args: argparse.Namespace, settings: Settings) -> None:
    from service.operations import summarise_text

    title, text = _split_title(_read_input(args.file), args.title)
    summary = summarise_text(_load_models(settings), settings, text, title, args.preset)
    if args.json:
        _print_json(summary)
        return
    bullet = "• " if summary.style == "bullets" else ""
    print(("\n" if bullet else " ").join(bullet + s.text for s in summary.sentences))


def cmd_ask(args: argparse.Namespace, settings: Settings) -> None:
    from service.operations import answer_question

    answer = answer_question(_load_models(settings), settings, _read_input(args.file), args.question)
    if args.json:
        _print_json(answer)
        return
    print(answer.answer if answer.answer is not None else "The article doesn't say.")
    if answer.context and args.context:
        print(f"\n{answer.context}")


def cmd_add(args: argparse.Namespace, settings: Settings) -> None:
    from service.schemas import ArticleIn
    from service.store.articles import add_article
    from service.store.database import make_engine, make_session_factory

    raw = _read_input(args.file)
    if args.file.endswith(".json"):
        article = ArticleIn.model_validate_json(raw)
    else:
        title, text = _split_title(raw, args.title)
        if title is None:
            raise PrecisError("No title: give --title, or put the headline on the file's first line.")
        article = ArticleIn(title=title, text=text, url=args.url, source=args.source)
    from service.operations import check_length

    check_length("text", article.text, settings.max_text_chars)
    with make_session_factory(make_engine(settings.database_url))() as session:
        row, created = add_article(session, article)
    print(json.dumps({"id": row.id, "content_hash": row.content_hash, "created": created}))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="precis", description="Article summaries and answers for a news site."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP API (defaults from PRECIS_* settings)")
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default 8000)")
    serve.add_argument("--workers", type=int, help="uvicorn worker processes (default 1)")
    serve.set_defaults(handler=cmd_serve)

    summarise = commands.add_parser("summarise", help="print the summary of an article file (- for stdin)")
    summarise.add_argument("file", help="a text file whose first line is the headline, or - for stdin")
    summarise.add_argument("--title", help="the headline, if the file holds only the body")
    summarise.add_argument(
        "--preset", default="medium", choices=sorted(load_presets()), help="summary length/style"
    )
    summarise.add_argument("--json", action="store_true", help="print the API's JSON response")
    summarise.set_defaults(handler=cmd_summarise)

    ask = commands.add_parser("ask", help="answer a question about an article file (- for stdin)")
    ask.add_argument("file", help="a text file, or - for stdin")
    ask.add_argument("question")
    ask.add_argument("--context", action="store_true", help="also print the passage the answer came from")
    ask.add_argument("--json", action="store_true", help="print the API's JSON response")
    ask.set_defaults(handler=cmd_ask)

    add = commands.add_parser(
        "add", help="store an article (a .json ArticleIn, or text with the headline first)"
    )
    add.add_argument("file", help="a .json file, a text file, or - for stdin")
    add.add_argument("--title", help="the headline, if the file holds only the body")
    add.add_argument("--url")
    add.add_argument("--source")
    add.set_defaults(handler=cmd_add)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_logging("warning" if args.command != "serve" else settings.log_level)
    try:
        args.handler(args, settings)
    except (PrecisError, ModelLoadError) as error:
        sys.exit(f"precis: {getattr(error, 'message', error)}")
    except ValidationError as error:
        sys.exit(f"precis: invalid input: {error.errors()[0]['msg']}")
    except OSError as error:
        sys.exit(f"precis: {error}")


if __name__ == "__main__":
    main()
