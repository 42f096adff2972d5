"""`precis` — the command line: the same functions as the HTTP API, plus `serve`."""

import argparse
import json
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from models.errors import ModelLoadError
from models.presets import load_presets
from models.squad import DEFAULT_SQUAD_FILE
from service.errors import PrecisError
from service.logs import configure_logging, logging_config
from service.settings import Settings, get_settings

if TYPE_CHECKING:
    from models.registry import Models
    from service.ingest.load import IngestReport
    from service.ingest.sources import Record


def _read_input(source: str) -> str:
    return sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")


def _headline_and_body(content: str, title: str | None) -> tuple[str | None, str]:
    """A text file's headline and body, the same for add, summarise and ask as for a page in `ingest`.

    With --title the file holds only the body; without it, the page's furniture must not be summarised or
    answered from."""
    from service.ingest.sources import text_page

    return (title, content) if title else text_page(content)


def _load_models(settings: Settings) -> "Models":
    from service.model_loading import load_models

    return load_models(settings)


def _print_json(model: BaseModel) -> None:
    print(model.model_dump_json(indent=2))


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from models.registry import check_config

    check_config(settings.model_config_for_loading())
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

    title, text = _headline_and_body(_read_input(args.file), args.title)
    summary = summarise_text(_load_models(settings), settings, text, title, args.preset)
    if args.json:
        _print_json(summary)
        return
    bullet = "• " if summary.style == "bullets" else ""
    print(("\n" if bullet else " ").join(bullet + s.text for s in summary.sentences))


def cmd_ask(args: argparse.Namespace, settings: Settings) -> None:
    from service.operations import answer_question

    _, text = _headline_and_body(_read_input(args.file), args.title)
    answer = answer_question(_load_models(settings), settings, text, args.question)
    if args.json:
        _print_json(answer)
        return
    print(answer.answer if answer.answer is not None else "The article doesn't say.")
    if answer.context and args.context:
        print(f"\n{answer.context}")


def _store(settings: Settings, records: Iterable["Record"]) -> "IngestReport":
    from service.ingest.load import store_records
    from service.store.database import make_engine, make_session_factory

    with make_session_factory(make_engine(settings.database_url))() as session:
        return store_records(session, records, settings.max_text_chars)


def cmd_add(args: argparse.Namespace, settings: Settings) -> None:
    from service.ingest.sources import page_fields, read_records, record_from_fields

    if args.file == "-" or Path(args.file).suffix.lower() in {".txt", ".html", ".htm"}:
        content = _read_input(args.file)
        if args.html or Path(args.file).suffix.lower() in {".html", ".htm"}:
            fields = page_fields(content, is_html=True)
        else:
            title, text = _headline_and_body(content, args.title)
            fields = {"title": title, "text": text}
        overrides = {"title": args.title, "url": args.url, "source": args.source}
        records = [record_from_fields(args.file, fields | {k: v for k, v in overrides.items() if v})]
    else:
        records = list(read_records(Path(args.file)))
    report = _store(settings, records)
    for location, reason in report.skipped:
        print(f"{location}: {reason}", file=sys.stderr)
    for article_id in report.added + report.already_stored:
        print(json.dumps({"id": article_id, "created": article_id in report.added}))
    if report.skipped:
        sys.exit(1)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> None:
    from tqdm import tqdm

    from service.ingest.sources import read_records

    path = Path(args.path)
    if not path.exists():
        raise PrecisError(f"{path} does not exist.")
    records = tqdm(read_records(path), desc="ingest", unit=" records", disable=None)
    report = _store(settings, records)
    for location, reason in report.skipped:
        print(f"skipped {location}: {reason}", file=sys.stderr)
    print(
        f"added {len(report.added)}, already stored {len(report.already_stored)}, skipped {len(report.skipped)}"
    )


def _date(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _presets(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(names) - set(load_presets()))
    if unknown or not names:
        choices = ", ".join(load_presets())
        raise argparse.ArgumentTypeError(f"unknown preset {', '.join(unknown)}; choose from {choices}")
    return names


def cmd_batch(args: argparse.Namespace, settings: Settings) -> None:
    from service.batch.local import BatchPlan, run_batch
    from service.related import store_missing_vectors
    from service.store.database import make_engine, make_session_factory

    if args.engine == "ray":
        # Before the models load: a missing extra should fail at once.
        try:
            from service.batch.on_ray import run_batch_on_ray
        except ImportError as error:
            raise PrecisError(f"--engine ray needs Ray ({error.name} is missing): pip install -e '.[ray]'") from error

    plan = BatchPlan(presets=args.presets, since=args.since, limit=args.limit, chunk_size=args.chunk_size)
    sessions = make_session_factory(make_engine(settings.database_url))
    models = _load_models(settings)
    if args.engine == "ray":
        report = run_batch_on_ray(settings, plan, models.summariser_id)
    else:
        report = run_batch(sessions, models, plan)
    # Related-article vectors as well, so that no reader's request has to fill them in (on Ray the actors
    # stored those of the articles they summarised; this fills in the rest).
    with sessions() as session:
        print(f"stored {store_missing_vectors(session, models)} article vectors for related articles")
    rate = report.articles / report.seconds if report.seconds else 0.0
    stored = ", ".join(f"{preset} {count}" for preset, count in report.stored.items())
    print(
        f"stored {report.total} summaries ({stored}) for {report.articles} articles "
        f"in {report.seconds:.1f} s, {rate:.1f} articles/s"
    )


def cmd_eval(args: argparse.Namespace, settings: Settings) -> None:
    from service.evaluation.command import run

    run(args, settings)


def cmd_train_reader(args: argparse.Namespace, settings: Settings) -> None:
    from models.reader_training import TrainingConfig, train

    if not args.data.is_file():
        raise PrecisError(f"no training data at {args.data} (a SQuAD-format JSON file; see --data).")
    config = TrainingConfig(
        data=args.data,
        output=args.output,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        unanswerable_share=args.unanswerable_share,
        validation_articles=args.validation_articles,
        seed=args.seed,
        limit=args.limit,
        threads=settings.torch_threads,
    )
    try:
        report = train(config)
    except (KeyError, ValueError) as error:
        raise PrecisError(f"cannot train on {args.data}: {error}") from error
    for epoch in report.epochs:
        print(
            f"epoch {epoch.epoch}: loss {epoch.loss:.3f}, validation EM {epoch.exact_match:.3f} F1 {epoch.f1:.3f} "
            f"({epoch.seconds / 60:.1f} min)"
        )
    print(f"reader written to {args.output}; use it with PRECIS_QA_MODEL={args.output}")


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
    ask.add_argument("file", help="a text file whose first line is the headline, or - for stdin")
    ask.add_argument("question")
    ask.add_argument("--title", help="the headline, if the file holds only the body (all of it is then searched)")
    ask.add_argument("--context", action="store_true", help="also print the passage the answer came from")
    ask.add_argument("--json", action="store_true", help="print the API's JSON response")
    ask.set_defaults(handler=cmd_ask)

    add = commands.add_parser("add", help="store one article: text (headline first), HTML, or JSON")
    add.add_argument("file", help="a .txt, .html or .json file, or - for stdin")
    add.add_argument("--title", help="the headline, if the file holds only the body")
    add.add_argument("--html", action="store_true", help="stdin holds an HTML page")
    add.add_argument("--url")
    add.add_argument("--source")
    add.set_defaults(handler=cmd_add)

    evaluate = commands.add_parser("eval", help="measure summary and answer quality against baselines")
    evaluations = evaluate.add_subparsers(dest="eval_command", required=True, metavar="WHAT")
    eval_summaries = evaluations.add_parser(
        "summaries", help="ROUGE on CNN/DailyMail articles vs LEAD-3, LexRank, TextRank"
    )
    eval_summaries.add_argument("--preset", default="medium", choices=sorted(load_presets()))
    eval_answers = evaluations.add_parser(
        "answers", help="EM/F1 and made-up answers on SQuAD articles the reader never saw, vs earlier methods"
    )
    eval_answers.add_argument("--seed", type=int, default=0, help="the train/validation split (as in training)")
    for sub, what, limit in ((eval_summaries, "summaries", None), (eval_answers, "answers", None)):
        sub.add_argument("--limit", type=int, default=limit, help=f"items to use (default: {limit or 'all'})")
        sub.add_argument("--data", type=Path, help="another data file (default: the one in ../shared/eval)")
        sub.add_argument("--output", type=Path, default=Path(f"eval-{what}.json"), help="the JSON report")
        sub.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
        sub.set_defaults(handler=cmd_eval)

    train = commands.add_parser("train", help="train Precis's own models")
    trainings = train.add_subparsers(dest="train_command", required=True, metavar="WHAT")
    reader = trainings.add_parser(
        "reader", help="fine-tune the QA reader on SQuAD-format JSON (resumes from its checkpoint if interrupted)"
    )
    reader.add_argument("--data", type=Path, default=DEFAULT_SQUAD_FILE, help="SQuAD-format JSON (default: shared)")
    reader.add_argument("--output", type=Path, default=Path("precis-reader"), help="where the reader is written")
    reader.add_argument("--epochs", type=int, default=3)
    reader.add_argument("--batch-size", type=int, default=16)
    reader.add_argument("--learning-rate", type=float, default=1e-4)
    reader.add_argument(
        "--unanswerable-share", type=float, default=0.25, help="extra unanswerable pairs per answerable question"
    )
    reader.add_argument("--validation-articles", type=int, default=4, help="articles held out for validation")
    reader.add_argument("--seed", type=int, default=0)
    reader.add_argument("--limit", type=int, help="only this many training and validation questions (a quick run)")
    reader.set_defaults(handler=cmd_train_reader)

    ingest = commands.add_parser("ingest", help="store many articles: JSONL, CSV, or a folder of .html/.txt")
    ingest.add_argument("path", help="a .jsonl or .csv file, or a folder of .html / .txt pages")
    ingest.set_defaults(handler=cmd_ingest)

    batch = commands.add_parser("batch", help="pre-summarise every stored article lacking a stored summary")
    batch.add_argument(
        "--presets", type=_presets, default=list(load_presets()), help="comma-separated (default: all presets)"
    )
    batch.add_argument("--since", type=_date, help="only articles published on or after this date (ISO 8601)")
    batch.add_argument("--limit", type=int, help="at most this many articles per preset in this run")
    batch.add_argument("--chunk-size", type=int, default=32, help="articles per transaction (default 32)")
    batch.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="local: this process; ray: Ray Data workers (PRECIS_RAY_ADDRESS, or a local Ray)",
    )
    batch.set_defaults(handler=cmd_batch)
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
    except KeyboardInterrupt:
        # Whatever was committed stays; the chunk in flight was rolled back and will be redone next run.
        sys.exit("precis: interrupted; run the same command again to continue")


if __name__ == "__main__":
    main()
