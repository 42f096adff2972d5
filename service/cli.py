"""`precis` — the command line: the same functions as the HTTP API, plus `serve`."""

import argparse
import json
import signal
import socket
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from models.errors import ModelLoadError
from models.presets import load_presets
from models.squad import DEFAULT_SQUAD_FILE
from service.errors import PrecisError, describe_validation_errors
from service.logs import configure_logging, logging_config
from service.settings import Settings, get_settings
from service.store.database import StoreUnavailable, make_engine, make_session_factory

HTML_SUFFIXES = {".html", ".htm"}

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.orm import Session, sessionmaker

    from models.registry import Models
    from service.ingest.load import IngestReport
    from service.ingest.sources import Record
    from service.schemas import AnswerResponse


def _read_input(source: str) -> str:
    """A file's text, or stdin's for "-": UTF-8, as every importer reads it."""
    from service.ingest.sources import RecordError, decode_text

    if source == "-":
        content = sys.stdin.buffer.read()
    else:
        path = Path(source)
        if path.is_dir():
            raise PrecisError(f"{source} is a folder, not an article file (precis ingest reads a folder).")
        if not path.exists():
            raise PrecisError(f"{source}: there is no such file.")
        try:
            content = path.read_bytes()
        except OSError as error:
            raise PrecisError(f"{source}: cannot be read ({(error.strerror or str(error)).lower()}).") from None
    # A PDF's text is not reachable without a PDF reader, which Precis does not include: say so, not "not UTF-8".
    if content.startswith(b"%PDF-"):
        raise PrecisError(f"{source} is a PDF; give the article as a text or HTML file.")
    try:
        return decode_text(content)
    except RecordError as error:
        raise PrecisError(f"{source}: {error}") from error


def _is_html(args: argparse.Namespace) -> bool:
    return args.html or Path(args.file).suffix.lower() in HTML_SUFFIXES


def _story(args: argparse.Namespace) -> tuple[str | None, str]:
    """The headline and story in the article file, read exactly as `add` and `ingest` read it."""
    from service.ingest.sources import RecordError, page_story

    try:
        return page_story(_read_input(args.file), _is_html(args), args.title)
    except RecordError as error:
        raise PrecisError(f"{args.file}: {error}") from error


def _load_models(settings: Settings) -> "Models":
    from service.model_loading import load_models

    return load_models(settings)


def _print_json(model: BaseModel) -> None:
    print(model.model_dump_json(indent=2))


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by a stopped server is free to reuse.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    from models.registry import check_config

    host, port = args.host or settings.host, args.port or settings.port
    check_config(settings.model_config_for_loading())
    # Before the models load, which takes seconds: a busy port should fail at once.
    if not _port_is_free(host, port):
        raise PrecisError(f"port {port} on {host} is in use (another precis serve?); choose another with --port.")
    # The migrations, once, before any worker starts: an unreachable database is one sentence here, and the
    # workers find the schema at head.
    make_engine(settings.database_url, settings.database_connect_timeout).dispose()
    workers = args.workers or settings.workers
    app: str | FastAPI = "service.app:create_app"
    if workers == 1:
        # This process serves: its models start loading now, beside the imports of uvicorn and the app (a third
        # of a second), instead of after them.
        from service.model_loading import load_models_in_background

        loading = load_models_in_background(settings)
        from service.app import create_app

        app = create_app(settings, loading=loading)
    import uvicorn

    uvicorn.run(
        app,
        factory=isinstance(app, str),
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        log_config=logging_config(settings.log_level),
        # No "server: uvicorn" banner: it tells an attacker which server's bugs to try.
        server_header=False,
        # SIGTERM stops taking connections and lets the requests in flight finish, for at most this long.
        timeout_graceful_shutdown=30,
    )


def _sessions(settings: Settings) -> "sessionmaker[Session]":
    """Sessions on the configured store, its schema brought to the newest migration."""
    return make_session_factory(make_engine(settings.database_url, settings.database_connect_timeout))


def cmd_keys(args: argparse.Namespace, settings: Settings) -> None:
    from service.store.keys import KeyNameTaken, create_key, list_keys, revoke_key

    with _sessions(settings)() as session:
        if args.keys_command == "create":
            try:
                row, key = create_key(session, args.name)
            except KeyNameTaken as error:
                raise PrecisError(str(error)) from None
            # The key alone on stdout, for scripts; the advice on stderr.
            print(key)
            print(f"API key {row.name!r} created; it is shown only this once.", file=sys.stderr)
        elif args.keys_command == "list":
            for row in list_keys(session):
                state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
                print(f"{row.name}\tprecis_{row.prefix}_…\tcreated {row.created_at:%Y-%m-%d %H:%M}\t{state}")
        elif revoke_key(session, args.name) is None:
            raise PrecisError(f"no API key named {args.name!r} (see precis keys list).")


def cmd_delete(args: argparse.Namespace, settings: Settings) -> None:
    from service.store.articles import delete_article, get_article

    with _sessions(settings)() as session:
        article = get_article(session, args.id)
        if article is None:
            raise PrecisError(f"no article with id {args.id}.")
        delete_article(session, article)


def _key_name(value: str) -> str:
    from service.store.keys import KEY_NAME

    if not KEY_NAME.fullmatch(value):
        raise argparse.ArgumentTypeError("use letters, digits, '.', '_' and '-' (up to 100, a letter or digit first)")
    return value


def cmd_summarise(args: argparse.Namespace, settings: Settings) -> None:
    from service.operations import summarise_text
    from service.schemas import SummaryRequest

    title, text = _story(args)
    request = SummaryRequest(text=text, title=title, preset=args.preset)
    summary = summarise_text(_load_models(settings), settings, request.text, request.title, args.preset)
    if args.json:
        _print_json(summary)
        return
    bullet = "• " if summary.style == "bullets" else ""
    print(("\n" if bullet else " ").join(bullet + s.text for s in summary.sentences))


def cmd_ask(args: argparse.Namespace, settings: Settings) -> None:
    from service.operations import answer_question
    from service.schemas import TextQuestionRequest

    if args.archive is not None:
        if args.file is not None:
            raise PrecisError("ask either about a file (precis ask FILE QUESTION) or the archive (--archive QUESTION).")
        _ask_archive(args, settings)
        return
    if args.question is None:
        raise PrecisError("give the question after the file: precis ask FILE QUESTION (or: --archive QUESTION).")
    _, text = _story(args)
    request = TextQuestionRequest(text=text, question=args.question)
    answer = answer_question(_load_models(settings), settings, request.text, request.question)
    if args.json:
        _print_json(answer)
        return
    print(_reply(answer, "The article doesn't say.", "the article may say"))
    if answer.context and args.context:
        print(f"\n{answer.context}")


def _reply(answer: "AnswerResponse", nothing: str, may_say: str) -> str:
    """The answer as a reader is shown it: a candidate the verifier is not sure of is never printed as the answer."""
    if answer.answer is not None:
        sure = f"  ({answer.confidence:.0%} sure)" if answer.confidence is not None else ""
        return answer.answer + sure
    if answer.candidate is not None:
        return f"Not sure — {may_say}: “{answer.candidate.text}” ({answer.candidate.confidence:.0%} sure)"
    return nothing


def _ask_archive(args: argparse.Namespace, settings: Settings) -> None:
    from service.archive.answers import answer_from_archive
    from service.archive.index import open_archive_index
    from service.schemas import QuestionRequest

    request = QuestionRequest(question=args.archive)
    models = _load_models(settings)
    with _sessions(settings)() as session:
        index = open_archive_index(settings, models, session)
        answer = answer_from_archive(session, models, index, settings, request.question)
    if args.json:
        _print_json(answer)
        return
    print(_reply(answer, "No stored article says.", "a stored article may say"))
    if answer.article_id is None:
        return
    print(f"  — [{answer.article_id}] {answer.title}")
    if answer.context and args.context:
        print(f"\n{answer.context}")
    for other in answer.alternatives:
        print(f"also: {other.answer} — [{other.article_id}] {other.title}")


def cmd_search(args: argparse.Namespace, settings: Settings) -> None:
    from service.archive.index import open_archive_index
    from service.archive.search import SearchMode
    from service.operations import search_archive

    models = _load_models(settings)
    with _sessions(settings)() as session:
        index = open_archive_index(settings, models, session)
        results = search_archive(session, models, index, settings, args.query, args.limit, SearchMode(args.mode))
    if args.json:
        _print_json(results)
        return
    if not results.items:
        print("No stored article matches.")
    for hit in results.items:
        print(f"[{hit.id}] {hit.title}\n    {hit.sentence.text}")


def cmd_index(args: argparse.Namespace, settings: Settings) -> None:
    from service.archive.index import archive_index_for
    from service.related import store_missing_vectors

    models = _load_models(settings)
    with _sessions(settings)() as session:
        # Articles stored without the models (precis add, ingest) get their vectors first: the index holds them all.
        added = store_missing_vectors(session, models)
        index = archive_index_for(settings, models)
        count = index.rebuild(session)
    print(f"indexed {count} articles ({added} new vectors) in {index.directory}", file=sys.stderr)


def cmd_brief(args: argparse.Namespace, settings: Settings) -> None:
    from service.archive.index import open_archive_index
    from service.briefings import brief_articles
    from service.schemas import BriefingRequest

    if (args.query is None) == (args.ids is None):
        raise PrecisError('brief either on a query (precis brief "CATL") or on stored articles (--ids 3,5,8).')
    request = BriefingRequest(query=args.query, article_ids=args.ids, preset=args.preset)
    models = _load_models(settings)
    with _sessions(settings)() as session:
        index = open_archive_index(settings, models, session)
        briefing = brief_articles(session, models, index, request)
    if args.json:
        _print_json(briefing)
        return
    bullet = "• " if briefing.style == "bullets" else ""
    for sentence in briefing.sentences:
        print(f"{bullet}[{sentence.article_id}] {sentence.text}")
    print()
    for article in briefing.articles:
        published = f"{article.published_at:%Y-%m-%d}" if article.published_at else None
        about = ", ".join(part for part in (article.source, published) if part)
        print(f"[{article.id}] {article.title}" + (f" ({about})" if about else ""))


def _store(settings: Settings, records: Iterable["Record"]) -> "IngestReport":
    from service.ingest.load import store_records

    with _sessions(settings)() as session:
        report = store_records(session, records, settings.max_text_chars)
    for location, reason in report.skipped:
        print(f"skipped {location}: {reason}", file=sys.stderr)
    return report


def cmd_add(args: argparse.Namespace, settings: Settings) -> None:
    from service.ingest.sources import PAGE_SUFFIXES, page_record, read_records

    if args.file == "-" or args.html or Path(args.file).suffix.lower() in PAGE_SUFFIXES:
        given = {"title": args.title, "url": args.url, "source": args.source}
        records = [page_record(args.file, _read_input(args.file), _is_html(args), **given)]
    else:
        records = list(read_records(Path(args.file)))
    report = _store(settings, records)
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
    print(f"added {len(report.added)}, already stored {len(report.already_stored)}, skipped {len(report.skipped)}")
    if not report.added and not report.already_stored and not report.skipped:
        raise PrecisError(f"{path} holds no articles (.jsonl, .csv, .json, or .html / .txt pages).")
    if report.skipped:
        sys.exit(1)


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

    plan = BatchPlan(presets=args.presets, since=args.since, limit=args.limit, chunk_size=args.chunk_size)
    if args.engine == "ray":
        try:
            from service.batch.on_ray import run_batch_on_ray
        except ImportError as error:
            raise PrecisError(f"--engine ray needs Ray ({error.name} is missing): pip install -e '.[ray]'") from error
        # The Ray workers load the models; this process only hands out the work.
        report = run_batch_on_ray(settings, plan)
    else:
        report = run_batch(_sessions(settings), _load_models(settings), plan)
    rate = report.articles / report.seconds if report.seconds else 0.0
    stored = ", ".join(f"{preset} {count}" for preset, count in report.stored.items())
    print(
        f"stored {report.total} summaries ({stored}) for {report.articles} articles "
        f"and {report.vectors} related-article vectors, and the entities of {report.entities} articles "
        f"in {report.seconds:.1f} s, {rate:.1f} articles/s"
    )


def cmd_eval(args: argparse.Namespace, settings: Settings) -> None:
    import importlib.util

    # Before the models load: a missing extra should fail at once, in one sentence.
    missing = [module for module in ("rouge_score", "sumy") if importlib.util.find_spec(module) is None]
    if missing:
        raise PrecisError(f"precis eval needs the eval extra ({', '.join(missing)} missing): pip install -e '.[eval]'")
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
    print(
        f"reader written to {args.output}; fit its answer verifier with `PRECIS_QA_MODEL={args.output} precis train "
        f"verifier`, then use it with PRECIS_QA_MODEL={args.output}"
    )


def cmd_train_verifier(args: argparse.Namespace, settings: Settings) -> None:
    from models.reader_files import MANIFEST, shipped_reader_dir
    from service.evaluation.selective import train_verifier

    if not args.data.is_file():
        raise PrecisError(f"no SQuAD data at {args.data} (the reader's training file; see --data).")
    reader_dir = Path(settings.qa_model) if settings.qa_model else shipped_reader_dir()
    if not (reader_dir / MANIFEST).is_file():
        raise PrecisError(
            f"PRECIS_QA_MODEL={settings.qa_model} is not a reader written by `precis train reader`: only such a "
            "reader knows the articles it never saw, on which its verifier is fitted."
        )
    from service.model_loading import load_models

    models = load_models(settings, with_verifier=False)
    weights = train_verifier(models.answers, reader_dir, args.data, args.limit)
    figures = weights.fit["cross_validated"]
    print(
        f"verifier written to {reader_dir}: answer at confidence >= {weights.threshold:.3f} "
        f"(target: {weights.target_precision:.0%} of answers right). Cross-validated by article: "
        f"{figures['answered (paragraph)']:.1%} answered, {figures['wrong among given (paragraph)']:.1%} of them "
        f"wrong; whole article {figures['answered (whole article)']:.1%} answered, "
        f"{figures['wrong among given (whole article)']:.1%} wrong."
    )


def _ids(value: str) -> list[int]:
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a list of article ids such as 3,5,8") from None


def _port(value: str) -> int:
    port = int(value)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1 to 65535)")
    return port


def _article_file_arguments(optional: bool = False) -> argparse.ArgumentParser:
    """How summarise, ask and add name an article: the same file reads the same way in each."""
    arguments = argparse.ArgumentParser(add_help=False)
    arguments.add_argument(
        "file",
        nargs="?" if optional else None,
        help="a text file whose first line is the headline, an .html page, or - for stdin",
    )
    arguments.add_argument("--title", help="the headline, if the text file holds only the body (all of it is kept)")
    arguments.add_argument("--html", action="store_true", help="the file (or stdin) is an HTML page")
    return arguments


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="precis", description="Article summaries and answers for a news site.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    article_file = _article_file_arguments()

    serve = commands.add_parser("serve", help="run the HTTP API and the reader page (defaults from PRECIS_*)")
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port to bind (default 8000)")
    serve.add_argument("--workers", type=int, help="uvicorn worker processes (default 1)")
    serve.set_defaults(handler=cmd_serve)

    summarise = commands.add_parser(
        "summarise", parents=[article_file], help="print the summary of an article file (- for stdin)"
    )
    summarise.add_argument("--preset", default="medium", choices=sorted(load_presets()), help="summary length/style")
    summarise.add_argument("--json", action="store_true", help="print the API's JSON response")
    summarise.set_defaults(handler=cmd_summarise)

    ask = commands.add_parser(
        "ask",
        parents=[_article_file_arguments(optional=True)],
        help="answer a question about an article file (- for stdin), or ask the whole archive (--archive)",
    )
    ask.add_argument("question", nargs="?")
    ask.add_argument("--archive", metavar="QUESTION", help="ask the stored articles; the answer cites its article")
    ask.add_argument("--context", action="store_true", help="also print the passage the answer came from")
    ask.add_argument("--json", action="store_true", help="print the API's JSON response")
    ask.set_defaults(handler=cmd_ask)

    search = commands.add_parser("search", help="search the stored articles by keywords and meaning")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=10, choices=range(1, 51), metavar="1-50")
    search.add_argument("--mode", default="fused", choices=["fused", "keywords", "meaning"])
    search.add_argument("--json", action="store_true", help="print the API's JSON response")
    search.set_defaults(handler=cmd_search)

    index = commands.add_parser("index", help="the archive's vector index (search, related articles, --archive)")
    index_commands = index.add_subparsers(dest="index_command", required=True, metavar="ACTION")
    rebuild = index_commands.add_parser("rebuild", help="rebuild it from the stored vectors (adding missing ones)")
    rebuild.set_defaults(handler=cmd_index)

    brief = commands.add_parser("brief", help="print one summary across several stored articles, each fact once")
    brief.add_argument("query", nargs="?", help="brief on the archive's best matches for these words")
    brief.add_argument("--ids", type=_ids, help="or on these stored articles, comma-separated: 3,5,8 (2 to 10)")
    brief.add_argument("--preset", default="medium", choices=sorted(load_presets()), help="briefing length/style")
    brief.add_argument("--json", action="store_true", help="print the API's JSON response")
    brief.set_defaults(handler=cmd_brief)

    add = commands.add_parser(
        "add", parents=[article_file], help="store one article: a text or HTML page, or a .json/.jsonl/.csv file"
    )
    add.add_argument("--url")
    add.add_argument("--source")
    add.set_defaults(handler=cmd_add)

    keys = commands.add_parser("keys", help="API keys: the HTTP API stores and deletes articles only with one")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = key_commands.add_parser("create", help="make a key and print it (shown once; only a hash is kept)")
    create.add_argument("name", type=_key_name, help="who the key is for, e.g. newsroom-cms")
    key_commands.add_parser("list", help="the keys, active and revoked (never the keys themselves)")
    revoke = key_commands.add_parser("revoke", help="stop a key from working (403 from then on)")
    revoke.add_argument("name", type=_key_name)
    keys.set_defaults(handler=cmd_keys)

    delete = commands.add_parser("delete", help="delete a stored article with its summaries, answers and vector")
    delete.add_argument("id", type=int)
    delete.set_defaults(handler=cmd_delete)

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
    verifier = trainings.add_parser(
        "verifier",
        help="fit the answer verifier of the configured reader on the articles it never trained on (written beside it)",
    )
    verifier.add_argument(
        "--data", type=Path, default=DEFAULT_SQUAD_FILE, help="the reader's SQuAD file (default: shared)"
    )
    verifier.add_argument("--limit", type=int, help="only this many questions (a quick run)")
    verifier.set_defaults(handler=cmd_train_verifier)

    ingest = commands.add_parser("ingest", help="store many articles: JSONL, CSV, or a folder of .html/.txt")
    ingest.add_argument("path", help="a .jsonl or .csv file, or a folder of .html / .txt pages")
    ingest.set_defaults(handler=cmd_ingest)

    batch = commands.add_parser(
        "batch",
        help="pre-summarise every stored article lacking a stored summary; store missing vectors and entities",
    )
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


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        sys.exit(2)
    try:
        settings = get_settings()
        configure_logging("warning" if args.command != "serve" else settings.log_level)
        if args.command != "serve":  # uvicorn has its own graceful shutdown
            # A service manager's stop (SIGTERM) ends a command as Ctrl-C does: the chunk in flight rolled back.
            signal.signal(signal.SIGTERM, _stop)
        args.handler(args, settings)
    except (PrecisError, ModelLoadError, StoreUnavailable) as error:
        sys.exit(f"precis: {getattr(error, 'message', error)}")
    except ValidationError as error:
        sys.exit(f"precis: invalid input: {describe_validation_errors(error.errors())}")
    except OSError as error:
        sys.exit(f"precis: {error}")
    except KeyboardInterrupt:
        # Whatever was committed stays; the chunk in flight was rolled back and will be redone next run.
        sys.exit("precis: interrupted; run the same command again to continue")


if __name__ == "__main__":
    main()
