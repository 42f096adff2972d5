"""Measured summary and answer quality against baselines: the code behind `precis eval`.

    precis eval summaries [--limit N] [--preset medium] [--data FILE] [--output FILE] [--markdown]
    precis eval answers [--limit N] [--seed 0] [--data FILE] [--output FILE] [--markdown]

Prints a table, writes a JSON report.
"""

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.registry import Models
    from service.settings import Settings


def _load(settings: "Settings") -> "Models":
    """The configured models, with one torch thread unless PRECIS_TORCH_THREADS says otherwise."""
    from service.model_loading import load_models

    return load_models(settings, default_threads=1)


def _print_tables(tables: list[tuple[str, list[dict[str, Any]], list[str]]], markdown: bool) -> None:
    from service.evaluation.report import table

    for heading, rows, columns in tables:
        print(f"\n{'### ' if markdown else ''}{heading}\n")
        print(table(rows, columns, markdown))


def run_summaries(args: argparse.Namespace, settings: "Settings") -> None:
    from models.extractive import ExtractiveSummariser
    from models.presets import load_presets
    from service.evaluation import data, summaries
    from service.evaluation.report import write_json

    items = data.load_news(args.data or data.NEWS_FILE, args.limit)
    preset = load_presets()[args.preset]
    models = _load(settings)
    # The extractive summariser is always measured (against the baselines); a configured abstractive one beside it.
    abstractive = models.summariser if settings.summariser else None
    extractive = ExtractiveSummariser(models.embedder) if abstractive else models.summariser
    systems = summaries.systems_for(extractive, preset, abstractive)
    report = summaries.report(items, preset, summaries.evaluate(items, systems))
    report["data"] = str(args.data or data.NEWS_FILE)
    write_json(args.output, report)
    heading = (
        f"Summaries: {len(items)} articles, preset {preset.name} ({preset.sentences} sentences), "
        f"ROUGE F1 (rouge-score, stemming); references average {report['reference_words']:.0f} words"
    )
    differences = [
        {"precis minus": name, "rougeL": d["mean"], "95% interval": f"{d['low']:+.3f} .. {d['high']:+.3f}"}
        for name, d in report["precis_minus_baseline_rougeL"].items()
    ]
    _print_tables(
        [
            (heading, report["systems"], summaries.COLUMNS),
            ("ROUGE-L difference, paired bootstrap over articles", differences, list(differences[0])),
        ],
        args.markdown,
    )
    print(f"\nJSON report: {args.output}", file=sys.stderr)


def run_answers(args: argparse.Namespace, settings: "Settings") -> None:
    from models.entities import load_ner
    from models.entity_answers import EntityAnswerFinder
    from models.squad import DEFAULT_SQUAD_FILE, load_squad, split_by_article
    from service.evaluation import answers, data
    from service.evaluation.report import write_json

    pool = load_squad(args.data or DEFAULT_SQUAD_FILE)
    # The split the reader was trained with (the same defaults): figures only on articles it never saw.
    _, validation = split_by_article(pool, seed=args.seed)
    questions = data.sample(validation, args.limit, args.seed)
    task = answers.make_task(questions, validation, [item.article for item in data.load_news()], args.seed)
    models = _load(settings)
    reader_name = f"precis {models.answers.name}"
    entity = EntityAnswerFinder(models.embedder, load_ner())
    systems = {
        reader_name: answers.run(answers.open_reader_finder(models.answers).answer, task, "reader"),
        f"previous {entity.name}": answers.run(entity.answer, task, "entities"),
        "bm25 best sentence": answers.run(answers.bm25_answerer, task, "bm25"),
    }
    threshold = models.answers.reader.threshold
    thresholds = {reader_name: threshold}
    rows = [
        answers.row(name, task, outcomes, thresholds.get(name, -float("inf"))) for name, outcomes in systems.items()
    ]
    per_type = answers.by_type(task, systems, thresholds)
    trade_off = answers.trade_off(task, systems[reader_name], sorted({threshold, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0}))
    topics = sorted({q.topic for q in validation})
    report = {
        "task": "answers",
        "data": str(args.data or DEFAULT_SQUAD_FILE),
        "validation_articles": topics,
        "questions": len(questions),
        "seed": args.seed,
        "reader_threshold": threshold,
        "systems": rows,
        "f1_by_question_type": per_type,
        "reader_threshold_trade_off": trade_off,
    }
    write_json(args.output, report)
    heading = (
        f"Answers: {len(questions)} SQuAD v1.1 questions from {len(topics)} articles the reader never trained on "
        f"({', '.join(topics)}); made up = answered where (a) another paragraph of the article or (b) an unrelated "
        "news article does not say"
    )
    _print_tables(
        [
            (heading, rows, answers.COLUMNS),
            ("F1 by question type", per_type, ["type", "questions", *systems]),
            (f"The reader's no-answer threshold (fitted: {threshold:.3f})", trade_off, answers.TRADE_OFF_COLUMNS),
        ],
        args.markdown,
    )
    print(f"\nJSON report: {args.output}", file=sys.stderr)


def run(args: argparse.Namespace, settings: "Settings") -> None:
    {"summaries": run_summaries, "answers": run_answers}[args.eval_command](args, settings)
