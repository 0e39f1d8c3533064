"""Label vocabularies and the output contract shared by the CLI, the service and batch scoring."""

from pydantic import BaseModel, Field

SENTIMENTS: tuple[str, ...] = ("positive", "negative", "neutral")
STANCES: tuple[str, ...] = ("support", "oppose", "neutral", "none")
MENTIONED_STANCES: tuple[str, ...] = ("support", "oppose", "neutral")
MAX_SENTENCE_CHARS = 5_000  # one sentence, in every input path (API, sentence files)


class SentimentPrediction(BaseModel):
    label: str = Field(description="One of positive, negative, neutral.", examples=["negative"])
    scores: dict[str, float] = Field(description="Probability of every sentiment class.")


class StancePrediction(BaseModel):
    label: str = Field(description="One of support, oppose, neutral, none.", examples=["oppose"])
    scores: dict[str, float] = Field(description="Probability of every stance class.")
    mentions: list[str] = Field(description="Surface forms of the target found in the sentence.")


class SentenceResult(BaseModel):
    id: str | None = Field(default=None, description="Caller's id for the sentence, if any.")
    text: str
    sentiment: SentimentPrediction
    stance: dict[str, StancePrediction] = Field(description="Stance toward each target, keyed by target.")
    model: str = Field(description="Tag of the model that made the prediction.")
