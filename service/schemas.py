"""Pydantic request and response models: the OpenAPI contract."""

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.presets import load_presets
from service.store.articles import NonBlank, UtcDateTime, WellFormed

# The preset names come from prompts/presets.toml so that adding a preset there needs no code change.
PresetName = Enum("PresetName", {name: name for name in load_presets()}, type=str)  # type: ignore[misc]
DEFAULT_PRESET = PresetName("medium")


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable error code, e.g. article_not_found.")
    message: str = Field(description="A sentence for humans.")
    details: list[dict[str, object]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ArticleSubmission(BaseModel):
    """Either `{title, text}` or `{html}` (the page; its title and main text are extracted), plus metadata.

    Metadata given here wins over what is found in the page."""

    # The rule the validator below enforces, stated in the OpenAPI spec for clients and their generators (a field
    # sent as null counts as not sent).
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["title", "text"],
                    "properties": {"title": {"type": "string"}, "text": {"type": "string"}, "html": {"type": "null"}},
                },
                {"required": ["html"], "properties": {"html": {"type": "string"}, "text": {"type": "null"}}},
            ]
        }
    )

    title: NonBlank | None = Field(None, max_length=1000)
    text: NonBlank | None = None
    html: NonBlank | None = None
    url: WellFormed | None = Field(None, max_length=2000)
    published_at: UtcDateTime | None = None
    source: WellFormed | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _text_or_html(self) -> "ArticleSubmission":
        if self.html is None and (self.title is None or self.text is None):
            raise ValueError("give either title and text, or html")
        if self.html is not None and self.text is not None:
            raise ValueError("give either text or html, not both")
        return self


class ArticleCreated(BaseModel):
    id: int
    content_hash: str
    created: bool = Field(description="False when the same text was stored before; the existing id is returned.")


class ArticleListItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    url: str | None
    source: str | None
    published_at: UtcDateTime | None
    created_at: UtcDateTime
    language: str | None = Field(description="ISO 639-1 code found when it was stored; null if it could not be told.")


class ArticleOut(ArticleListItem):
    content_hash: str
    text: str


class ArticlePage(BaseModel):
    items: list[ArticleListItem]
    total: int
    limit: int
    offset: int


class RelatedArticle(BaseModel):
    id: int
    title: str
    source: str | None
    published_at: UtcDateTime | None
    score: float = Field(description="Cosine similarity of the two articles' headline-and-lead vectors, -1 to 1.")


class RelatedArticles(BaseModel):
    article_id: int
    items: list[RelatedArticle] = Field(description="The closest stored articles, best first; never the article.")
    model: str


class SummaryRequest(BaseModel):
    text: NonBlank
    title: WellFormed | None = Field(None, max_length=1000)
    preset: PresetName = DEFAULT_PRESET  # type: ignore[valid-type]


class SummarySentenceOut(BaseModel):
    text: str
    start: int | None = Field(description="Character offset into the article text; null for generated text.")
    end: int | None
    score: float


class SummaryResponse(BaseModel):
    sentences: list[SummarySentenceOut]
    preset: str
    style: str = Field(description="'prose' or 'bullets': how a client should lay the sentences out.")
    model: str
    language: str | None = Field(
        None, description="ISO 639-1 code of the article's language; null when the text is too short to tell."
    )
    elapsed_ms: float
    cached: bool = Field(False, description="True when served from the store without running a model.")
    article_id: int | None = None


class QuestionRequest(BaseModel):
    question: NonBlank


class TextQuestionRequest(QuestionRequest):
    text: NonBlank | None = Field(
        None, description="The article to read; leave it out to ask the whole archive of stored articles."
    )


class AnswerResponse(BaseModel):
    answer: str | None = Field(description="The answer span, or null when the text does not say.")
    start: int | None = Field(description="Character offset of the answer in the article text.")
    end: int | None
    score: float
    context: str | None = Field(description="The passage the answer was found in.")
    context_start: int | None
    context_end: int | None
    reason: Literal["no_answer"] | None = None
    model: str
    language: str | None = Field(
        None, description="ISO 639-1 code of the article's language; null when the text is too short to tell."
    )
    elapsed_ms: float
    cached: bool = Field(False, description="True when served from the store without running a model.")
    article_id: int | None = Field(None, description="The stored article read (the citation, for the archive).")
    title: str | None = Field(None, description="That article's headline, when the archive was asked.")
    alternatives: list["CitedAnswer"] = Field(
        [], description="When the archive was asked: the best answers found in other articles, best first."
    )


class CitedAnswer(BaseModel):
    """An answer found in one stored article, with where it is."""

    answer: str
    start: int
    end: int
    score: float
    context: str
    context_start: int
    context_end: int
    article_id: int
    title: str


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready", "saturated"]
    models: bool
    store: bool = Field(description="The store accepts a write (a read-only database file is not ready).")
    model_queue: int = Field(description="Model-backed requests running or waiting.")
    model_capacity: int = Field(description="How many may run or wait; beyond it, requests get 503 at once.")
    summariser: str | None = None
    answers: str | None = None


class MatchedSentence(BaseModel):
    text: str
    start: int = Field(description="Character offset in the article text.")
    end: int


class SearchHit(BaseModel):
    id: int
    title: str
    source: str | None
    published_at: UtcDateTime | None
    score: float = Field(description="Reciprocal-rank fusion of the keyword and meaning rankings; higher is better.")
    matched_by: list[Literal["keywords", "meaning"]] = Field(description="The rankings that found this article.")
    sentence: MatchedSentence = Field(description="The sentence that best matches the query.")


class SearchResults(BaseModel):
    query: str
    mode: Literal["fused", "keywords", "meaning"]
    items: list[SearchHit]
    model: str = Field(description="The vectors' model (meaning search).")
    elapsed_ms: float
