"""Measured summary and answer quality against baselines: the code behind `precis eval`.

    precis eval summaries [--limit N] [--preset medium] [--data FILE] [--output FILE] [--markdown]
    precis eval answers [--limit 1000] [--seed 0] [--data FILE] [--output FILE] [--markdown]

(`python -m scripts.evaluate summaries ...` is the same command.) Prints a table, writes a JSON report.
"""

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.registry import Models
    from service.settings import Settings


def _load(settings: "Settings") -> "Models":
    """The configured models, loaded once: the embedded ones, plus the transformers backends when
    PRECIS_SUMMARISER / PRECIS_QA_MODEL name them."""
    from dataclasses import replace

    from models.registry import load_models

    config = settings.model_config_for_loading()
    # One torch thread unless PRECIS_TORCH_THREADS says otherwise: on the shared 2-core machine, torch's
    # spinning worker threads made a batch of embeddings 25x slower when other processes were busy.
    return load_models(replace(config, torch_threads=config.torch_threads or 1))


def _print_tables(tables: list[tuple[str, list[dict[str, Any]], list[str]]], markdown: bool) -> None:
    from scripts.evaluation.report import table

    for heading, rows, columns in tables:
        print(f"\n{'### ' if markdown else ''}{heading}\n")
        print(table(rows, columns, markdown))


def run_summaries(args: argparse.Namespace, settings: "Settings") -> None:
    from models.extractive import ExtractiveSummariser
    from models.presets import load_presets
    from scripts.evaluation import data, summaries
    from scripts.evaluation.report import write_json

    items = data.load_news(args.data or data.NEWS_FILE, args.limit)
    preset = load_presets()[args.preset]
    models = _load(settings)
    extractive = models.summariser if isinstance(models.summariser, ExtractiveSummariser) else None
    abstractive = None if extractive else models.summariser
    systems = summaries.systems_for(extractive or ExtractiveSummariser(models.embedder), preset, abstractive)
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
    from models.answers import AnswerFinder
    from scripts.evaluation import answers, data
    from scripts.evaluation.report import write_json

    pool = data.load_squad(args.data or data.SQUAD_FILE)
    questions = data.sample(pool, args.limit, args.seed)
    distractors = data.distractor_contexts(questions, pool, args.seed)
    models = _load(settings)
    finders = [AnswerFinder(models.embedder, models.answers.ner)]
    if models.answers.reader is not None:
        finders.append(models.answers)
    threshold = finders[0].weights["no_answer_threshold"]
    rows, trade_offs = [], {}
    for finder in finders:
        outcomes, distractor_best = answers.evaluate(finder, questions, distractors)
        rows.append(answers.precis_row(f"precis {finder.name}", questions, outcomes, threshold))
        rows.append(answers.precis_row("  same, no threshold", questions, outcomes, -float("inf")))
        thresholds = sorted({*answers.THRESHOLDS, threshold})
        trade_offs[finder.name] = answers.trade_off(questions, outcomes, distractor_best, thresholds)
    rows.append(answers.bm25_row(questions))
    report = {
        "task": "answers",
        "data": str(args.data or data.SQUAD_FILE),
        "questions": len(questions),
        "seed": args.seed,
        "no_answer_threshold": threshold,
        "systems": rows,
        "no_answer_trade_off": trade_offs,
    }
    write_json(args.output, report)
    tables = [
        (
            f"Answers: {len(questions)} SQuAD v1.1 dev questions (seed {args.seed}), threshold {threshold}",
            rows,
            answers.COLUMNS,
        ),
    ]
    tables += [
        (
            f"No-answer threshold, {name}: each question also asked of a paragraph on another topic",
            trade_off,
            answers.TRADE_OFF_COLUMNS,
        )
        for name, trade_off in trade_offs.items()
    ]
    _print_tables(tables, args.markdown)
    print(f"\nJSON report: {args.output}", file=sys.stderr)


def run(args: argparse.Namespace, settings: "Settings") -> None:
    {"summaries": run_summaries, "answers": run_answers}[args.eval_command](args, settings)


if __name__ == "__main__":
    from service.cli import main

    main(["eval", *sys.argv[1:]])
