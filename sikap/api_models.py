"""Request and response models of the HTTP API: limits, examples and OpenAPI descriptions live here."""

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sikap.schema import SentenceResult

MAX_SENTENCES = 256
MAX_SENTENCE_CHARS = 5_000
MAX_ARTICLES = 50
MAX_ARTICLE_CHARS = 200_000
MAX_HTML_CHARS = 2_000_000

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


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only whitespace")
    return value


Sentence = Annotated[StrictStr, Field(max_length=MAX_SENTENCE_CHARS), AfterValidator(_not_blank)]


class Article(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: StrictStr | None = Field(default=None, max_length=200, description="Caller's article id.")
    title: StrictStr | None = Field(default=None, max_length=2_000, description="Headline; analyzed as a sentence.")
    html: Annotated[StrictStr, Field(max_length=MAX_HTML_CHARS), AfterValidator(_not_blank)] | None = Field(
        default=None,
        description="The saved page instead of text: its main text and title are extracted (trafilatura).",
    )
    url: StrictStr | None = Field(default=None, max_length=2_000, description="Page address; helps HTML extraction.")
    text: Annotated[StrictStr, Field(max_length=MAX_ARTICLE_CHARS), AfterValidator(_not_blank)] | None = Field(
        default=None,
        validate_default=True,
        description="Article body; paragraphs on separate lines. Give either text or html.",
    )

    @model_validator(mode="before")
    @classmethod
    def _text_from_html(cls, data: object) -> object:
        """An article given as ``html`` (and no text) gets the page's main text, and its title when none is given."""
        from sikap.html_input import ExtractionError, extract

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
        description=f"1 to {MAX_SENTENCES} sentences, each at most {MAX_SENTENCE_CHARS} characters.",
        examples=[EXAMPLE_SENTENCES],
    ),
]
ArticleList = Annotated[
    list[Article],
    Field(
        min_length=1,
        max_length=MAX_ARTICLES,
        description=f"1 to {MAX_ARTICLES} articles, each at most {MAX_ARTICLE_CHARS} characters of text.",
        examples=[[EXAMPLE_ARTICLE]],
    ),
]


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
