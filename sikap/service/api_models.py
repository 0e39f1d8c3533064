"""Request and response models of the HTTP API: limits, examples and OpenAPI descriptions live here."""

import re
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from sikap.schema import MAX_SENTENCE_CHARS, SentenceResult

MAX_SENTENCES = 256
MAX_ARTICLES = 50
MAX_CONTEXT_CHARS = 2 * MAX_SENTENCE_CHARS  # a headline and one sentence
MAX_ARTICLE_CHARS = 200_000
MAX_HTML_CHARS = 2_000_000
# The work budget of one request, sized for the slowest served model (a fine-tuned e5-small
# transformer at ~40 sentences/s on 2 cores): 2,000 sentences take ≤ 50 s there, a sixth of the
# 300 s request timeout. 200,000 characters is one long article (1,700-2,900 news sentences).
MAX_REQUEST_CHARS = 200_000
MAX_REQUEST_SENTENCES = 2_000
# Bodies above this are refused (413) before they are read in full or parsed. A request within the
# budget needs at most ~2.6 MB even if every character is written as a JSON \\uXXXX escape pair.
MAX_BODY_BYTES = 4 * 1024 * 1024
LARGE_JOBS = "send fewer per request, or score large collections offline with `sikap score`"

EXAMPLE_SENTENCES = [
    "Jerman mengumumkan paket bantuan pertahanan udara baru untuk Kyiv.",
    "Kremlin menuding NATO memperluas kehadiran militernya di dekat perbatasan Rusia.",
]
EXAMPLE_ARTICLE = {
    "id": "contoh-1",
    "title": "Indonesia Serukan Gencatan Senjata di Ukraina",
    "text": "JAKARTA (ANTARA) - Pemerintah Indonesia kembali menyerukan gencatan senjata antara Rusia dan Ukraina. "
    "Menurut Kemlu, serangan Rusia terhadap fasilitas sipil di Kyiv tidak dapat dibenarkan.\n"
    "BACA JUGA: Harga gandum dunia naik lagi\n"
    "Sementara itu, NATO dijadwalkan menggelar pertemuan menteri pertahanan pekan depan.",
}


# The non-blank rule, stated once for the validator and the schema: "contains a character that is
# whitespace neither to Python (str.strip) nor to ECMA-262 regexes (how JSON Schema clients read
# patterns)". The two \\s differ: Python's has \\x1c-\\x1f and \\x85, ECMA's has \\ufeff; both are listed.
NON_BLANK_CHAR = r"[^\s\x1c-\x1f\x85\ufeff]"
NON_BLANK = {"pattern": NON_BLANK_CHAR}
_NON_BLANK = re.compile(NON_BLANK_CHAR)


def _not_blank(value: str) -> str:
    if not _NON_BLANK.search(value):
        raise ValueError("must not be empty or only whitespace")
    return value
Sentence = Annotated[
    StrictStr, Field(max_length=MAX_SENTENCE_CHARS, json_schema_extra=NON_BLANK), AfterValidator(_not_blank)
]


def budget_error(loc: str, what: str, count: int, limit: int) -> ValidationError:
    """A validation error (→ JSON 400) for a request over its work budget, naming the limit and the count."""
    message = f"request has {count:,} {what}, more than the {limit:,} allowed per request; {LARGE_JOBS}"
    error = PydanticCustomError("work_budget_exceeded", message)
    return ValidationError.from_exception_data("Request", [InitErrorDetails(type=error, loc=(loc,), input=count)])


class Article(BaseModel):
    # The schema states "exactly one of text and html", as the validators enforce it.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [{"required": [field], "properties": {field: {"type": "string"}}} for field in ("text", "html")]
        },
    )

    id: StrictStr | None = Field(default=None, max_length=200, description="Caller's article id.")
    title: StrictStr | None = Field(default=None, max_length=2_000, description="Headline; analyzed as a sentence.")
    html: (
        Annotated[StrictStr, Field(max_length=MAX_HTML_CHARS, json_schema_extra=NON_BLANK), AfterValidator(_not_blank)]
        | None
    ) = Field(
        default=None,
        description="The saved page instead of text: its main text and title are extracted (trafilatura).",
    )
    url: StrictStr | None = Field(default=None, max_length=2_000, description="Page address; helps HTML extraction.")
    text: (
        Annotated[
            StrictStr, Field(max_length=MAX_ARTICLE_CHARS, json_schema_extra=NON_BLANK), AfterValidator(_not_blank)
        ]
        | None
    ) = Field(
        default=None,
        validate_default=True,
        description="Article body; paragraphs on separate lines. Give either text or html.",
    )

    @model_validator(mode="before")
    @classmethod
    def _text_from_html(cls, data: object) -> object:
        """An article given as ``html`` (and no text) gets the page's main text, and its title when none is given."""
        from sikap.text.html_input import ExtractionError, extract

        if not isinstance(data, dict) or data.get("text") is not None:
            return data
        html, url = data.get("html"), data.get("url")
        if not isinstance(html, str) or not html.strip() or len(html) > MAX_HTML_CHARS:
            return data  # the field validators name the problem
        try:
            page = extract(html, url if isinstance(url, str) else None)
        except ExtractionError as exc:
            raise ValueError(f"html: {exc}") from None
        return {**data, "text": page.text[:MAX_ARTICLE_CHARS], "title": data.get("title") or page.title, "html": None}

    @field_validator("text", mode="after")
    @classmethod
    def _text_or_html(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("html") is None:
            raise ValueError("give either 'text' or 'html'")
        if value is not None and info.data.get("html") is not None:
            raise ValueError("give either 'text' or 'html', not both")
        return value


SentenceList = Annotated[
    list[Sentence],
    Field(
        min_length=1,
        max_length=MAX_SENTENCES,
        description=f"1 to {MAX_SENTENCES} sentences, each at most {MAX_SENTENCE_CHARS:,} characters and "
        f"{MAX_REQUEST_CHARS:,} in all (the work budget of a request).",
        examples=[EXAMPLE_SENTENCES],
    ),
]
ArticleList = Annotated[
    list[Article],
    Field(
        min_length=1,
        max_length=MAX_ARTICLES,
        description=f"1 to {MAX_ARTICLES} articles, each at most {MAX_ARTICLE_CHARS:,} characters of text. "
        f"Work budget of a request: {MAX_REQUEST_CHARS:,} characters of titles and texts and "
        f"{MAX_REQUEST_SENTENCES:,} sentences to classify in all.",
        examples=[[EXAMPLE_ARTICLE]],
    ),
]


class ClassifyRequest(BaseModel):
    """Body of ``POST /classify``; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    sentences: SentenceList
    context: StrictStr = Field(
        default="",
        max_length=MAX_CONTEXT_CHARS,
        description="Optional (empty: none): the text these sentences follow in their article (e.g. the headline and the "
        "sentence before). Models trained with article context read it with every sentence; others ignore it. "
        "`/analyze` builds it from the article itself.",
    )

    @model_validator(mode="after")
    def _within_budget(self) -> "ClassifyRequest":
        chars = sum(map(len, self.sentences)) + len(self.context)
        if chars > MAX_REQUEST_CHARS:
            raise budget_error("sentences", "characters", chars, MAX_REQUEST_CHARS)
        return self


class AnalyzeRequest(BaseModel):
    """Body of ``POST /analyze``; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    articles: ArticleList

    @model_validator(mode="after")
    def _within_budget(self) -> "AnalyzeRequest":
        chars = sum(len(a.text) + len(a.title or "") for a in self.articles)
        if chars > MAX_REQUEST_CHARS:
            raise budget_error("articles", "characters", chars, MAX_REQUEST_CHARS)
        return self


def check_sentence_budget(sentences: int) -> None:
    """Raise the 400 for an ``/analyze`` request whose articles segment into too many sentences."""
    if sentences > MAX_REQUEST_SENTENCES:
        raise budget_error("articles", "sentences", sentences, MAX_REQUEST_SENTENCES)


class ClassifyResponse(BaseModel):
    results: list[SentenceResult]
    model: str = Field(description="Tag of the model that answered.")


class TargetSummary(BaseModel):
    counts: dict[str, int] = Field(description="Sentences per stance class.")
    mentioned: int = Field(description="Sentences that mention the target.")
    net_stance: float | None = Field(description="(support - oppose) / mentioned; null when not mentioned.")
    mean_confidence: float | None = Field(description="Mean probability of the chosen label where mentioned.")


class SentimentSummary(BaseModel):
    counts: dict[str, int]
    share: dict[str, float]


class ArticleSummary(BaseModel):
    sentences: int = Field(description="Sentences classified.")
    skipped: int = Field(description="Segments skipped as page furniture.")
    skipped_reasons: dict[str, int] = Field(
        default_factory=dict, description="Skipped segments per reason (navigation, caption, repeated, ...)."
    )
    targets: dict[str, TargetSummary]
    sentiment: SentimentSummary


class ArticleSentence(BaseModel):
    index: int
    field: str = Field(description="'title' or 'text': the string that start/end index into.")
    start: int
    end: int
    text: str
    skipped: bool
    reason: str | None = Field(description="Why a segment was skipped (byline, related-link, ...).")
    sentiment: dict | None
    stance: dict | None
    model: str | None


class ArticleResult(BaseModel):
    id: str | None
    sentences: list[ArticleSentence]
    summary: ArticleSummary


class AnalyzeResponse(BaseModel):
    results: list[ArticleResult]
    model: str
