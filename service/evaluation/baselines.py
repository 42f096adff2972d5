"""The baselines Precis is measured against: LEAD-k, sumy LexRank / TextRank and BM25 sentence ranking."""

import re
from collections.abc import Callable

from rank_bm25 import BM25Okapi
from sumy.models.dom import ObjectDocumentModel, Paragraph
from sumy.models.dom import Sentence as SumySentence
from sumy.nlp.stemmers import Stemmer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from models.answers import content_words
from models.sentences import Sentence

# A sentence picker: sentences and a budget -> indices of the chosen sentences, in article order.
Picker = Callable[[list[Sentence], int], list[int]]

_WORD = re.compile(r"\w+")


def lead(sentences: list[Sentence], count: int) -> list[int]:
    return list(range(min(count, len(sentences))))


class _WordTokenizer:
    """sumy's own tokenizer needs NLTK's punkt data, which cannot be downloaded here. sumy only calls
    `to_words` on a Sentence, so this duck-typed tokenizer plus a document built from Precis's own
    sentences (models.sentences.split_sentences) avoids NLTK tokenisation altogether, and both systems
    choose from exactly the same sentences."""

    @staticmethod
    def to_words(text: str) -> list[str]:
        return _WORD.findall(text)


def sumy_picker(kind: str) -> Picker:
    """sumy's LexRank or TextRank with its English stemmer (Snowball, no NLTK data) and stop words."""
    summarizer = {"lexrank": LexRankSummarizer, "textrank": TextRankSummarizer}[kind](Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    tokenizer = _WordTokenizer()

    def pick(sentences: list[Sentence], count: int) -> list[int]:
        wrapped = [SumySentence(s.text, tokenizer) for s in sentences]
        position = {id(s): i for i, s in enumerate(wrapped)}
        chosen = summarizer(ObjectDocumentModel([Paragraph(wrapped)]), count)
        return sorted(position[id(s)] for s in chosen)

    return pick


def bm25_best_sentence(sentences: list[Sentence], question: str) -> int:
    """The sentence with the highest BM25 score for the question's content words (first on ties)."""
    documents = [content_words(s.text) or ["\0"] for s in sentences]
    scores = BM25Okapi(documents).get_scores(content_words(question) or ["\0"])
    return int(max(range(len(sentences)), key=lambda i: (scores[i], -i)))
