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
    from models.squad import DEFAULT_SQUAD_FILE, VALIDATION_ARTICLES
    from service.evaluation import answers, news_questions, selective
    from service.evaluation.report import write_json

    data = args.data or DEFAULT_SQUAD_FILE
    # The split the reader was trained with (the same defaults): figures only on articles it never saw.
    task = selective.held_out_task(data, VALIDATION_ARTICLES, args.seed, args.limit)
    models = _load(settings)
    finder = models.answers
    collected = selective.collect(finder, task)
    # Every figure of the verifier from one fitted without the question's article (leave one article out).
    verified = selective.cross_validated(collected, args.seed)
    threshold = finder.reader.threshold
    reader_alone = selective.margin_outcomes(collected, threshold, finder.weights["later_context_margin"])
    entity = EntityAnswerFinder(models.embedder, load_ner())
    verified_name, alone_name = "precis: reader + verifier (cross-validated)", "precis: reader alone (margin)"
    systems = {
        verified_name: verified.outcomes,
        alone_name: reader_alone,
        f"previous {entity.name}": answers.run(entity.answer, task, "entities"),
        "bm25 best sentence": answers.run(answers.bm25_answerer, task, "bm25"),
    }
    rows = [answers.row(name, task, outcomes) for name, outcomes in systems.items()]
    trust = [selective.trust_row(name, collected, systems[name]) for name in (verified_name, alone_name)]
    per_type = answers.by_type(task, systems, {})
    curve = selective.risk_coverage(collected, verified)
    curve_whole = selective.risk_coverage(collected, verified, "whole")
    calibrated = selective.calibration_rows(collected, verified)
    asked = news_questions.ask_all(finder, news_questions.load_questions(), news_questions.source_texts())
    news = news_questions.summary_rows(asked)
    topics = sorted({q.topic for q in task.questions})
    report = {
        "task": "answers",
        "data": str(data),
        "validation_articles": topics,
        "questions": len(task.questions),
        "seed": args.seed,
        "model": finder.name,
        "reader_threshold": threshold,
        "verifier_thresholds_by_article": {topics[g]: t for g, t in verified.thresholds.items()},
        "systems": rows,
        "trust": trust,
        "f1_by_question_type": per_type,
        "risk_coverage_paragraph": curve,
        "risk_coverage_whole_article": curve_whole,
        "calibration": calibrated,
        "news_questions": news,
        "news_questions_asked": [
            {
                "source": a.question.source,
                "question": a.question.question,
                "outcome": a.outcome,
                "said": a.said,
                "confidence": a.confidence,
            }
            for a in asked
        ],
    }
    write_json(args.output, report)
    heading = (
        f"Answers: {len(task.questions)} SQuAD v1.1 questions from {len(topics)} articles the reader never trained on "
        f"({', '.join(topics)}); made up = answered where (a) another paragraph of the article or (b) an unrelated "
        "news article does not say. The verifier's figures are cross-validated: each article's questions judged by "
        "a verifier, and a threshold, fitted on the other articles alone"
    )
    _print_tables(
        [
            (heading, rows, answers.COLUMNS),
            ("Trust: of the answers given, how many are wrong (F1 = 0)", trust, selective.TRUST_COLUMNS),
            ("F1 by question type (unanswered = 0)", per_type, ["type", "questions", *systems]),
            ("Risk-coverage, question asked of its paragraph (surest first)", curve, selective.RISK_COLUMNS),
            ("Risk-coverage, question asked of its whole article", curve_whole, selective.RISK_COLUMNS),
            (
                "Calibration: out-of-fold confidence against right (F1 >= 0.5), all four texts",
                calibrated,
                selective.CALIBRATION_COLUMNS,
            ),
            ("Hand-written news questions (shipped verifier)", news, news_questions.SUMMARY_COLUMNS),
        ],
        args.markdown,
    )
    print(f"\nJSON report: {args.output}", file=sys.stderr)


def run(args: argparse.Namespace, settings: "Settings") -> None:
    {"summaries": run_summaries, "answers": run_answers}[args.eval_command](args, settings)
