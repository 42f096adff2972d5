"""Which language a text is in (py3langid: a naive Bayes model shipped inside the package, offline).

Precis's models read English: MiniLM and the reader were trained on English text, so an article in another
language would get a confident-looking summary made of whatever sentences happen to be first."""

from functools import cache

from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

# The languages the models read.
SUPPORTED = frozenset({"en"})
# Below this probability the text is too short or too mixed to tell (a headline, a few words); it is then
# read as English rather than refused on a guess. Real articles in another language score above 0.99.
MIN_PROBABILITY = 0.9


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the text's language, or None when it cannot be told with confidence."""
    language, probability = _identifier().classify(text)
    return str(language) if probability >= MIN_PROBABILITY else None


def is_supported(language: str | None) -> bool:
    return language is None or language in SUPPORTED
