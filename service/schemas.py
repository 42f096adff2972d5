"""Pydantic request and response models: the OpenAPI contract."""

from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.entities import Kind
from models.presets import load_presets
from service.store.articles import NonBlank, UtcDateTime, WellFormed
from service.store.tables import MAX_ID

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


class ArticleHeadline(BaseModel):
    """An article as a list names it: what a reader needs to choose it, and its id to fetch it."""

    id: int
    title: str
    source: str | None
    published_at: UtcDateTime | None


class RelatedArticle(ArticleHeadline):
    score: float = Field(description="Cosine similarity of the two articles' headline-and-lead vectors, -1 to 1.")


class RelatedArticles(BaseModel):
    article_id: int
    items: list[RelatedArticle] = Field(description="The closest stored articles, best first; never the article.")
    model: str


class Span(BaseModel):
    start: int = Field(description="Character offset into the article text: text[start:end] is the mention.")
    end: int


class EntityOut(BaseModel):
    name: str = Field(description="How the article most often writes it, without a leading 'the' or a possessive.")
    kind: Kind
    count: int = Field(description="How many times the article mentions it.")
    mentions: list[Span] = Field(description="Each mention, in text order.")


class ArticleEntities(BaseModel):
    article_id: int
    items: list[EntityOut] = Field(description="Most mentioned first, then in the order the article names them.")
    model: str


class EntityArticle(BaseModel):
    id: int
    title: str
    source: str | None
    published_at: UtcDateTime | None
    count: int = Field(description="How many times the article mentions the entity.")


class EntityArticles(BaseModel):
    name: str = Field(description="The name asked for.")
    kind: Kind | None = Field(description="The kind asked for; null for any.")
    items: list[EntityArticle] = Field(description="Most mentions first, then newest; empty for an unknown name.")
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


class AnswerCandidate(BaseModel):
    """A span the verifier is not sure of: what the article may say, never to be shown as the answer."""

    text: str
    start: int = Field(description="Character offset of the span in the article text.")
    end: int
    confidence: float = Field(ge=0, le=1, description="As `confidence` of an answer (below the answer threshold).")


class AnswerResponse(BaseModel):
    answer: str | None = Field(description="The answer span, or null when no answer is given (`reason` says why).")
    start: int | None = Field(description="Character offset of the answer in the article text.")
    end: int | None
    score: float = Field(description="The reader's margin: the span's log-probability over the null answer's.")
    confidence: float | None = Field(
        None,
        ge=0,
        le=1,
        description=(
            "The verifier's calibrated chance that the span is right: of the answers given at this confidence on "
            "validation articles the reader never trained on, this share were right (token F1 >= 0.5 against a "
            "gold answer). With `no_answer`, that chance for the best span it rejected; null when the reader has no "
            "verifier or read no span."
        ),
    )
    context: str | None = Field(description="The passage the answer (or the candidate) was found in.")
    context_start: int | None
    context_end: int | None
    reason: Literal["no_answer", "not_sure"] | None = Field(
        None,
        description=(
            "Why `answer` is null: `not_sure` when the reader found a span the verifier is not sure enough of (it "
            "is in `candidate`, to be shown as 'the article may say', never as the answer); `no_answer` when "
            "nothing in the text comes close."
        ),
    )
    candidate: AnswerCandidate | None = Field(None, description="With `reason` not_sure: the span found.")
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
    confidence: float | None = None
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


# Ids are 64-bit integers in the store. Strict: "3" or 3.0 is not an id, as the spec says.
StoredId = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
BRIEFING_MIN_ARTICLES, BRIEFING_MAX_ARTICLES = 2, 10


class BriefingRequest(BaseModel):
    """Either `article_ids` (stored articles) or `query` (words to find the articles by in the archive), plus a
    preset."""

    # The rule the validator below enforces, stated for clients and their generators (a field sent as null counts
    # as not sent), as ArticleSubmission does.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["article_ids"],
                    "properties": {"article_ids": {"type": "array"}, "query": {"type": "null"}},
                },
                {"required": ["query"], "properties": {"query": {"type": "string"}, "article_ids": {"type": "null"}}},
            ]
        }
    )

    article_ids: list[StoredId] | None = Field(
        None,
        min_length=BRIEFING_MIN_ARTICLES,
        max_length=BRIEFING_MAX_ARTICLES,
        json_schema_extra={"uniqueItems": True},
        description="The stored articles to brief on, each once; their order breaks ties between equal dates.",
    )
    query: NonBlank | None = Field(None, max_length=500, description="Brief on the archive's articles about this.")
    preset: PresetName = DEFAULT_PRESET  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _ids_or_query(self) -> "BriefingRequest":
        if (self.article_ids is None) == (self.query is None):
            raise ValueError("give either article_ids or query")
        if self.article_ids is not None and len(set(self.article_ids)) < len(self.article_ids):
            raise ValueError("article_ids: each article may be named once")
        return self


class BriefingSentenceOut(BaseModel):
    text: str
    article_id: int = Field(description="The article the sentence is taken from.")
    start: int = Field(description="Character offset into that article's text: text[start:end] is the sentence.")
    end: int
    published_at: UtcDateTime | None = Field(description="When that article was published (null: not known).")
    score: float = Field(description="How strongly the summary ranking wants the sentence, 0 to 1.")


class BriefingResponse(BaseModel):
    sentences: list[BriefingSentenceOut] = Field(
        description="Newest article first, each article's sentences in its order; a fact reported by several "
        "articles once."
    )
    articles: list[ArticleHeadline] = Field(
        description="The articles briefed on, in the same order (one may add no sentence: all it says is said "
        "already). An article in a language the models do not read is left out."
    )
    preset: str
    style: str = Field(description="'prose' or 'bullets': how a client should lay the sentences out.")
    model: str
    elapsed_ms: float
