"""BM25 over runs of neighbouring sentences, in numpy arrays.

The passages a question is matched against overlap (runs of up to three sentences), and rank_bm25's BM25Okapi
builds a dictionary per passage in Python and walks every passage for each question word: a 20,000-word article's
index took tens of milliseconds to build and each question word about a millisecond. Here a text's words are read
once; the (word, passage) counts are one sort of integer keys (numpy only: importing scipy would add 0.2 s to the
server's start); a question word costs only the passages that hold it. The scores are BM25Okapi's (k1 1.5, b 0.75,
negative idf floored at a quarter of the mean idf), equal to rank_bm25's up to float rounding (tested).
"""

from collections.abc import Sequence

import numpy as np

K1 = 1.5
B = 0.75
EPSILON = 0.25


def _ranges(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The concatenated ranges starts[k] .. starts[k] + sizes[k] - 1."""
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.repeat(starts, sizes) + offsets


class PassageBM25:
    def __init__(self, sentence_words: Sequence[Sequence[str]], spans: Sequence[tuple[int, int]]) -> None:
        """`sentence_words`: each sentence's content words; `spans`: the passages, (first, last) sentence."""
        self.vocabulary: dict[str, int] = {}  # in the order the text first uses them, as rank_bm25 sums its idfs
        word_ids = np.array(
            [self.vocabulary.setdefault(word, len(self.vocabulary)) for words in sentence_words for word in words],
            dtype=np.int64,
        )
        sentence_sizes = np.array([len(words) for words in sentence_words], dtype=np.int64)
        sentence_starts = np.cumsum(sentence_sizes) - sentence_sizes
        firsts = np.array([first for first, _ in spans], dtype=np.int64)
        span_sizes = np.array([last - first + 1 for first, last in spans], dtype=np.int64)
        self.passages = len(spans)
        # Every (passage, sentence) pair, then every (passage, word occurrence) pair.
        member_passages = np.repeat(np.arange(self.passages), span_sizes)
        members = _ranges(firsts, span_sizes)
        lengths = np.bincount(member_passages, weights=sentence_sizes[members], minlength=self.passages).astype(
            np.int64
        )
        occurrence_passages = np.repeat(member_passages, sentence_sizes[members])
        occurrences = word_ids[_ranges(sentence_starts[members], sentence_sizes[members])]
        # A passage without content words is given one placeholder word (the last id), as rank_bm25 is given one: it
        # counts in the lengths and in the mean idf, and no question word matches it.
        empty = np.flatnonzero(lengths == 0)
        words = len(self.vocabulary) + (1 if len(empty) else 0)
        occurrence_passages = np.concatenate([occurrence_passages, empty])
        occurrences = np.concatenate([occurrences, np.full(len(empty), len(self.vocabulary))])
        # Word-major keys: the distinct ones, sorted, are each word's passages in order, with their counts.
        keys, self.frequencies = np.unique(occurrences * self.passages + occurrence_passages, return_counts=True)
        self.rows = keys % self.passages
        self.starts = np.searchsorted(keys // self.passages, np.arange(words + 1))
        self.lengths = np.maximum(lengths, 1)
        holding = np.diff(self.starts)  # passages holding each word
        idf = np.log(self.passages - holding + 0.5) - np.log(holding + 0.5)
        mean_idf = idf.mean() if len(idf) else 0.0
        self.idf = np.where(idf < 0, EPSILON * mean_idf, idf)
        self._norm = K1 * (1 - B + B * self.lengths / (self.lengths.sum() / self.passages))

    def idf_of(self, word: str) -> float | None:
        """The word's idf, or None when no passage holds it."""
        column = self.vocabulary.get(word)
        return None if column is None else float(self.idf[column])

    def scores(self, words: Sequence[str]) -> np.ndarray:
        """Each passage's BM25 score for these words (a repeated word counts again)."""
        scores = np.zeros(self.passages)
        for word in words:
            column = self.vocabulary.get(word)
            if column is None:
                continue
            rows = self.rows[self.starts[column] : self.starts[column + 1]]
            frequency = self.frequencies[self.starts[column] : self.starts[column + 1]]
            scores[rows] += self.idf[column] * (frequency * (K1 + 1) / (frequency + self._norm[rows]))
        return scores
