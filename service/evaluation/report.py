"""Tables for stdout and the README, the JSON report, and a paired bootstrap for the differences."""

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

Row = dict[str, Any]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.0f}"
    return "—" if value is None else str(value)


def table(rows: Sequence[Row], columns: Sequence[str], markdown: bool = False) -> str:
    """The rows as aligned plain text, or as a Markdown table for the README."""
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        return "\n".join(lines + ["| " + " | ".join(line) + " |" for line in cells])
    widths = [max(len(column), *(len(line[k]) for line in cells)) for k, column in enumerate(columns)]
    header = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    body = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    return "\n".join([header, "-" * len(header), *body])


def paired_bootstrap(a: Sequence[float], b: Sequence[float], rounds: int = 2000, seed: int = 0) -> dict[str, float]:
    """Mean of a - b over the same items with a 95% interval from resampling the items: whether a lead
    in the means is more than the luck of which articles happen to be in the set."""
    differences = [x - y for x, y in zip(a, b, strict=True)]
    rng = random.Random(seed)
    n = len(differences)
    means = sorted(sum(differences[rng.randrange(n)] for _ in range(n)) / n for _ in range(rounds))
    return {
        "mean": sum(differences) / n,
        "low": means[int(0.025 * rounds)],
        "high": means[int(0.975 * rounds) - 1],
    }


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
