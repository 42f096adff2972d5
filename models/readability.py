"""What a reader stumbles on in a summary: openers that lean on what came before, page furniture, captions,
fragments. The rules are data (prompts/readability.toml); summaries avoid what they flag, ingest drops
furniture lines, and `precis eval summaries` counts them for every system."""

import re
from dataclasses import dataclass
from functools import cache

from models.presets import load_readability

# An opening quote or bracket does not change what a sentence leans on.
_LEADING_PUNCTUATION = "\"'\u201c\u2018([ "


@dataclass(frozen=True)
class ReadabilityRules:
    opener: re.Pattern[str]
    furniture_line: re.Pattern[str]
    markers: tuple[re.Pattern[str], ...]  # each on its own: a marker may use a back-reference
    min_words: int

    def leans_on_previous(self, sentence: str) -> bool:
        """Opens with a pronoun or connective whose antecedent or thought is in the sentence before."""
        return self.opener.match(sentence.lstrip(_LEADING_PUNCTUATION)) is not None

    def is_furniture_line(self, line: str) -> bool:
        return self.furniture_line.fullmatch(line.strip()) is not None

    def has_marker(self, sentence: str) -> bool:
        """Carries a caption, teaser or link-text mark, or is a furniture line itself."""
        return any(marker.search(sentence) for marker in self.markers) or self.is_furniture_line(sentence)

    def is_fragment(self, sentence: str) -> bool:
        return len(sentence.split()) < self.min_words

    def summary_material(self, sentence: str) -> bool:
        """Can stand in a summary at all (a leaning opener can, just not as the summary's first sentence)."""
        return not self.has_marker(sentence) and not self.is_fragment(sentence)

    def without_furniture_lines(self, text: str) -> str:
        return "\n".join(line for line in text.split("\n") if not self.is_furniture_line(line))


def _either(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))


@cache
def readability_rules() -> ReadabilityRules:
    rules = load_readability()
    return ReadabilityRules(
        opener=_either(rules["openers"]["patterns"]),
        furniture_line=_either(rules["furniture"]["lines"]),
        markers=tuple(re.compile(pattern) for pattern in rules["furniture"]["markers"]),
        min_words=int(rules["fragments"]["min_words"]),
    )
