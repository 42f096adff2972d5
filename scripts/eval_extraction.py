"""Quality of the HTML → article extraction on real news pages, against their checked article bodies.

    python -m scripts.eval_extraction [--data ../shared/eval/news-pages] [--markdown FILE] [--json FILE]

The data is a folder of saved pages and `ground-truth.json`, which maps each page's file name to
`{url, articleBody}` (from scrapinghub's article-extraction-benchmark). The metric is token precision, recall
and F1 of the extracted text against the article body, tokens being lowercased `\\w+` words counted with
multiplicity (the benchmark itself compares 4-word shingles, which punishes reordering more). A page with
nothing extracted scores 0. Pages are listed worst first.
"""

import argparse
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from models.squad import SHARED_EVAL_DIR
from service.ingest.extract import extract_article

DEFAULT_DATA = SHARED_EVAL_DIR / "news-pages"
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class PageScore:
    page: str
    precision: float
    recall: float
    f1: float
    extracted_tokens: int
    reference_tokens: int


def token_counts(text: str) -> Counter[str]:
    return Counter(_WORD.findall(text.lower()))


def score_page(page: str, extracted: str, reference: str) -> PageScore:
    got, expected = token_counts(extracted), token_counts(reference)
    common = (got & expected).total()
    precision = common / got.total() if common else 0.0
    recall = common / expected.total() if common else 0.0
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return PageScore(page, precision, recall, f1, got.total(), expected.total())


def evaluate(data: Path) -> list[PageScore]:
    """Every page in the ground truth, worst F1 first."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    scores = []
    for page, expected in truth.items():
        article = extract_article((data / page).read_text(encoding="utf-8"), expected["url"])
        scores.append(score_page(page, article.text if article else "", expected["articleBody"]))
    return sorted(scores, key=lambda score: (score.f1, score.page))


def means(scores: list[PageScore]) -> dict[str, float]:
    return {name: sum(getattr(s, name) for s in scores) / len(scores) for name in ("precision", "recall", "f1")}


def markdown_table(scores: list[PageScore]) -> str:
    rows = [
        "| page | precision | recall | F1 | tokens extracted / reference |",
        "|---|---:|---:|---:|---:|",
    ]
    rows += [
        f"| {s.page} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {s.extracted_tokens} / {s.reference_tokens} |"
        for s in scores
    ]
    mean = means(scores)
    rows.append(
        f"| **mean of {len(scores)} pages** | {mean['precision']:.3f} | {mean['recall']:.3f} | **{mean['f1']:.3f}** | |"
    )
    return "\n".join(rows) + "\n"


def text_table(scores: list[PageScore]) -> str:
    width = max(len(s.page) for s in scores)
    lines = [f"{'page':<{width}}  precision  recall      F1  tokens (extracted/reference)"]
    lines += [
        f"{s.page:<{width}}  {s.precision:9.3f}  {s.recall:6.3f}  {s.f1:6.3f}"
        f"  {s.extracted_tokens}/{s.reference_tokens}"
        for s in scores
    ]
    mean = means(scores)
    lines.append(f"{'mean':<{width}}  {mean['precision']:9.3f}  {mean['recall']:6.3f}  {mean['f1']:6.3f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with the pages and ground-truth.json")
    parser.add_argument("--markdown", type=Path, help="also write the table here as Markdown")
    parser.add_argument("--json", type=Path, help="also write the per-page scores and the means here as JSON")
    args = parser.parse_args()

    scores = evaluate(args.data)
    print(text_table(scores))
    if args.markdown:
        args.markdown.write_text(markdown_table(scores), encoding="utf-8")
    if args.json:
        report = {"data": str(args.data), "pages": [asdict(s) for s in scores], "mean": means(scores)}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
