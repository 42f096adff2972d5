"""`precis eval summaries`: ROUGE of Precis's summaries and of the baselines on the same articles, and what a
reader stumbles on in them (models/readability.py): openers that lean on a sentence left out, fragments,
caption and furniture marks, and how often a summary is simply the lead."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tqdm import tqdm

from models.presets import Preset
from models.readability import readability_rules
from models.registry import Summariser
from models.results import SummarySentence
from models.sentences import Sentence, split_sentences
from service.evaluation.baselines import Picker, lead, sumy_picker
from service.evaluation.data import NewsItem
from service.evaluation.metrics import ROUGE_TYPES, rouge_f1
from service.evaluation.report import Row, paired_bootstrap

COLUMNS = [
    "system",
    "rouge1",
    "rouge2",
    "rougeL",
    "rougeLsum",
    "words",
    "sentences",
    "mid-thought",
    "fragment",
    "marker",
    "= lead",
    "ms/article",
]

# A system: article -> summary sentences, with their offsets in the article (None for generated text).
System = Callable[[NewsItem], list[SummarySentence]]


@dataclass(frozen=True)
class Readability:
    """What a reader stumbles on in one summary."""

    mid_thought: bool  # the summary opens on a sentence that leans on what came before ("He ...", "But ...")
    fragment: bool  # a sentence of fewer than the rules' minimum words
    marker: bool  # a caption, teaser or furniture mark
    same_as_lead: bool  # exactly the article's first sentences, as many as the summary has


def readability(summary: list[SummarySentence], article: list[Sentence]) -> Readability:
    rules = readability_rules()
    starts = {sentence.start: index for index, sentence in enumerate(article)}
    picked = {starts.get(s.start) for s in summary if s.start is not None}
    # The article's own first sentence is the author's opening, whatever its first word.
    opener = summary[0] if summary and starts.get(summary[0].start) != 0 else None
    return Readability(
        mid_thought=opener is not None and rules.leans_on_previous(opener.text),
        fragment=any(rules.is_fragment(s.text) for s in summary),
        marker=any(rules.has_marker(s.text) for s in summary),
        same_as_lead=bool(summary) and picked == set(range(len(summary))),
    )


@dataclass
class Scores:
    """Per-article figures of one system."""

    rouge: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in ROUGE_TYPES})
    words: list[int] = field(default_factory=list)
    sentences: list[int] = field(default_factory=list)
    readability: list[Readability] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def add(
        self, summary: list[SummarySentence], article: list[Sentence], reference: list[str], seconds: float
    ) -> None:
        texts = [s.text for s in summary]
        for name, value in rouge_f1(texts, reference).items():
            self.rouge[name].append(value)
        self.words.append(sum(len(text.split()) for text in texts))
        self.sentences.append(len(summary))
        self.readability.append(readability(summary, article))
        self.seconds.append(seconds)

    def share(self, flag: str) -> float:
        """The share of summaries with this Readability flag."""
        return statistics.mean(getattr(r, flag) for r in self.readability)

    def row(self, name: str) -> Row:
        return {
            "system": name,
            **{metric: statistics.mean(values) for metric, values in self.rouge.items()},
            "words": statistics.mean(self.words),
            "sentences": statistics.mean(self.sentences),
            "mid-thought": self.share("mid_thought"),
            "fragment": self.share("fragment"),
            "marker": self.share("marker"),
            "= lead": self.share("same_as_lead"),
            "ms/article": 1000 * statistics.mean(self.seconds),
        }


def picker_system(picker: Picker, count: int) -> System:
    def summarise(item: NewsItem) -> list[SummarySentence]:
        sentences = split_sentences(item.article)
        return [
            SummarySentence(sentences[i].text, sentences[i].start, sentences[i].end, 1.0)
            for i in picker(sentences, count)
        ]

    return summarise


def summariser_system(summariser: Summariser, preset: Preset, with_title: bool) -> System:
    def summarise(item: NewsItem) -> list[SummarySentence]:
        title = item.title if with_title else None
        return summariser.summarise(item.article, title, preset).sentences

    return summarise


def systems_for(extractive: Summariser, preset: Preset, abstractive: Summariser | None) -> dict[str, System]:
    """Precis with and without the headline, and the baselines at the same sentence budget."""
    budget = preset.sentences
    systems = {
        f"precis ({preset.name})": summariser_system(extractive, preset, with_title=True),
        f"precis ({preset.name}), no headline": summariser_system(extractive, preset, with_title=False),
        "lead-3": picker_system(lead, 3),
    }
    if budget != 3:
        systems[f"lead-{budget}"] = picker_system(lead, budget)
    systems[f"sumy lexrank-{budget}"] = picker_system(sumy_picker("lexrank"), budget)
    systems[f"sumy textrank-{budget}"] = picker_system(sumy_picker("textrank"), budget)
    if abstractive is not None:
        systems[f"abstractive {abstractive.name} ({preset.name})"] = summariser_system(
            abstractive, preset, with_title=True
        )
    return systems


def evaluate(items: list[NewsItem], systems: dict[str, System], progress: bool = True) -> dict[str, Scores]:
    scores = {name: Scores() for name in systems}
    for item in tqdm(items, desc="summaries", unit=" articles", disable=None if progress else True):
        reference = [s.text for s in split_sentences(item.reference)]
        article = split_sentences(item.article)
        for name, system in systems.items():
            started = time.perf_counter()
            summary = system(item)
            scores[name].add(summary, article, reference, time.perf_counter() - started)
    return scores


def report(items: list[NewsItem], preset: Preset, scores: dict[str, Scores]) -> dict:
    """The JSON report: mean figures per system, and Precis's ROUGE-L lead over each baseline."""
    precis, *others = scores
    return {
        "task": "summaries",
        "articles": len(items),
        "preset": preset.name,
        "sentence_budget": preset.sentences,
        "reference_words": statistics.mean(len(item.reference.split()) for item in items),
        "systems": [scores[name].row(name) for name in scores],
        "precis_minus_baseline_rougeL": {
            name: paired_bootstrap(scores[precis].rouge["rougeL"], scores[name].rouge["rougeL"]) for name in others
        },
        "per_article_rougeL": {
            "ids": [item.id for item in items],
            **{name: [round(v, 4) for v in s.rouge["rougeL"]] for name, s in scores.items()},
        },
    }
