"""Plain result types shared by every summariser and answerer backend."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    """What a summariser reads."""

    text: str
    title: str | None = None


@dataclass(frozen=True, slots=True)
class SummarySentence:
    text: str
    # Character offsets into the source text; None for generated (abstractive) text.
    start: int | None
    end: int | None
    score: float


@dataclass(frozen=True, slots=True)
class Summary:
    sentences: list[SummarySentence]
    preset: str
    model: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A span the verifier is not sure of: shown as "the article may say", never as the answer."""

    text: str
    start: int
    end: int
    confidence: float


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer span found in the text. `answer is None` means no answer is given: with a `candidate` the reader
    found a span the verifier is not sure of ("not sure"), without one the text does not say."""

    answer: str | None
    start: int | None
    end: int | None
    score: float
    context: str | None
    context_start: int | None
    context_end: int | None
    model: str
    # The verifier's calibrated chance that the span (the answer or the candidate) is right; None without a verifier.
    confidence: float | None = None
    candidate: Candidate | None = None

    @classmethod
    def none(cls, score: float, model: str, confidence: float | None = None) -> "Answer":
        return cls(None, None, None, score, None, None, None, model, confidence)

    @property
    def reason(self) -> str | None:
        """Why no answer is given: "not_sure" (a candidate below the verifier's threshold) or "no_answer"."""
        if self.answer is not None:
            return None
        return "not_sure" if self.candidate is not None else "no_answer"


@dataclass(frozen=True, slots=True)
class BriefingSentence:
    article_id: int
    text: str
    # Character offsets into that article's text: text[start:end] == sentence.
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class Briefing:
    """One summary across several articles; `article_ids` lists them in the briefing's order (newest first)."""

    sentences: list[BriefingSentence]
    article_ids: list[int]
    preset: str
    model: str
