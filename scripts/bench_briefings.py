"""Briefings over groups of related news articles, measured on the shared CNN/DailyMail set:

    python -m scripts.bench_briefings [--presets short,medium,bullets]

The 151 articles are stored in a temporary SQLite database (scripts.bench_archive.shared_archive). A group is what
"Brief me on this story" briefs: an article and its related articles (MiniLM cosine of headline and lead at least
0.25, as the reader page lists them), kept when it holds 3 to 5 articles; each distinct group is briefed once per
preset through the product's own path (service.briefings.brief_articles, the function behind POST /v1/briefings).
Reported per preset: the highest cosine between two sentences of any one briefing (the rule: under 0.9; the working
limit in prompts/briefing.toml: under 0.8), the share of sentences whose offsets slice their article's stored text
back exactly, how many of a group's articles had their say, and the time of a briefing.

Then each of the 24 reworded sentences of tests/data/briefing/paraphrases.jsonl is briefed with its article: a new
article opening on the rewording (the rest of it another story) beside the original and its related articles. The
fact should be told once, not twice. Prints markdown tables.
"""

import argparse
import json
import os
import statistics
import time
from itertools import combinations
from pathlib import Path

from models.sentences import split_sentences
from scripts.bench_archive import Archive, percentile, shared_archive
from service.briefings import brief_articles
from service.operations import store_article
from service.related import related_articles
from service.schemas import BriefingRequest, BriefingResponse
from service.store.articles import NewArticle, get_articles

PARAPHRASES = Path(__file__).resolve().parent.parent / "tests" / "data" / "briefing" / "paraphrases.jsonl"
SMALLEST, LARGEST = 3, 5


def related_groups(archive: Archive) -> list[list[int]]:
    """Each article with its related ones, 3 to 5 articles, each distinct set once (in the reader page's order:
    the article, then its related articles closest first)."""
    groups, seen = [], set()
    for row in get_articles(archive.session, list(archive.ids.values())):
        related = related_articles(archive.session, archive.models, archive.index, row, LARGEST - 1)
        group = [row.id, *(item.id for item in related.items)]
        if len(group) >= SMALLEST and frozenset(group) not in seen:
            seen.add(frozenset(group))
            groups.append(group)
    return groups


def timed_briefing(archive: Archive, ids: list[int], preset: str) -> tuple[BriefingResponse, float]:
    started = time.perf_counter()
    request = BriefingRequest(article_ids=ids, preset=preset)
    briefing = brief_articles(archive.session, archive.models, archive.index, request)
    return briefing, (time.perf_counter() - started) * 1000


def highest_cosine(archive: Archive, briefing: BriefingResponse) -> float:
    vectors = archive.models.embedder.embed([sentence.text for sentence in briefing.sentences])
    return max((float(vectors[i] @ vectors[j]) for i, j in combinations(range(len(vectors)), 2)), default=0.0)


def bench_groups(archive: Archive, groups: list[list[int]], presets: list[str]) -> None:
    texts = {row.id: row.text for row in get_articles(archive.session, list(archive.ids.values()))}
    sizes = [len(group) for group in groups]
    print(
        f"{len(groups)} groups of related articles ({', '.join(f'{sizes.count(n)} of {n}' for n in range(3, 6))}), "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n"
    )
    print(
        "| preset | briefings | sentences (mean) | highest cosine between two sentences | offsets slice back "
        "| articles with their say | p50 ms | p95 ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for preset in presets:
        highest, exact, total, said, times = 0.0, 0, 0, [], []
        for group in groups:
            briefing, elapsed = timed_briefing(archive, group, preset)
            times.append(elapsed)
            highest = max(highest, highest_cosine(archive, briefing))
            total += len(briefing.sentences)
            exact += sum(texts[s.article_id][s.start : s.end] == s.text for s in briefing.sentences)
            said.append(len({s.article_id for s in briefing.sentences}) / len(group))
        print(
            f"| {preset} | {len(groups)} | {total / len(groups):.1f} | {highest:.3f} | {exact}/{total} "
            f"| {statistics.mean(said):.0%} | {statistics.median(times):.0f} | {percentile(times, 0.95):.0f} |"
        )


def bench_repeats(archive: Archive, preset: str) -> None:
    """A reworded sentence of an article, in a newer article beside it: is the fact told once?"""
    items = [json.loads(line) for line in PARAPHRASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    filler = {row.id: row for row in get_articles(archive.session, list(archive.ids.values()))}
    once, twice, not_told = 0, 0, 0
    for number, item in enumerate(items):
        article_id = archive.ids[item["article"]]
        original = split_sentences(filler[article_id].text)[item["sentence"]].text
        # The rest of the new article is another story, one that is related to neither.
        other = filler[list(filler)[(list(filler).index(article_id) + 75) % len(filler)]]
        new = NewArticle(title=f"Round-up {number}", text=f"{item['paraphrase']}\n{other.text}")
        row, _ = store_article(archive.session, new, archive.settings.max_text_chars, archive.models)
        related = related_articles(archive.session, archive.models, archive.index, filler[article_id], 2)
        ids = [row.id, article_id, *(r.id for r in related.items if r.id != row.id)][:LARGEST]
        briefing, _ = timed_briefing(archive, ids, preset)
        told = {s.text for s in briefing.sentences} & {original, item["paraphrase"]}
        once, twice, not_told = once + (len(told) == 1), twice + (len(told) == 2), not_told + (not told)
    print(
        f"\n{len(items)} reworded sentences (tests/data/briefing/paraphrases.jsonl), each in a new article briefed "
        f"with the original ({preset})\n"
    )
    print("| told once | told twice | not told |")
    print("|---|---|---|")
    print(f"| {once} | {twice} | {not_told} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", default="short,medium,bullets", help="comma-separated presets to brief with")
    presets = parser.parse_args().presets.split(",")
    with shared_archive() as archive:
        bench_groups(archive, related_groups(archive), presets)
        bench_repeats(archive, "medium")


if __name__ == "__main__":
    main()
