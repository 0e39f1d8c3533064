"""The ensemble predictor: both members run on the same mentions, their probabilities are tempered and mixed per head."""

import json
from pathlib import Path

import numpy as np

from sikap.errors import SikapError
from sikap.models.ensemble.fitting import MEMBERS, mix
from sikap.models.predictor import Predictor
from sikap.text.targets import Mention

PARAMETERS_FILE = "ensemble.json"
SENTIMENT_HEAD = "sentiment"

MemberProbabilities = dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]


class EnsemblePredictor(Predictor):
    """Mixes a fine-tuned transformer (torch or ONNX) with the embedded default.

    ``heads`` maps ``sentiment`` and every target name to ``{"temperatures": {member: T},
    "weights": {"transformer": w, "default": 1 - w}}``. ``none`` still follows mention detection.
    """

    kind = "ensemble"

    def __init__(
        self,
        tag: str,
        members: dict[str, Predictor],
        heads: dict[str, dict],
        metadata: dict | None = None,
        member_choice: dict | None = None,
    ):
        """``member_choice``: which transformer member was loaded and why (:func:`sikap.models.loading.load_transformer_member`)."""
        if set(members) != set(MEMBERS):
            raise SikapError(f"an ensemble needs the members {', '.join(MEMBERS)}, got {', '.join(members)}")
        names = {name: members[name].target_names for name in MEMBERS}
        if names["transformer"] != names["default"]:
            raise SikapError(
                f"ensemble members disagree on the targets: {members['transformer'].tag} has {names['transformer']}, "
                f"{members['default'].tag} has {names['default']}"
            )
        super().__init__(tag, members["transformer"].targets, metadata)
        missing = {SENTIMENT_HEAD, *self.target_names} - set(heads)
        if missing:
            raise SikapError(f"ensemble {tag}: no fitted parameters for {', '.join(sorted(missing))}")
        self.members = members
        self.heads = heads
        self.member_choice = member_choice or {}
        self.context_mode = members["transformer"].context_mode  # the default reads sentences alone

    def member_probabilities(
        self, texts: list[str], mentions: list[dict[str, list[Mention]]], contexts: list[str] | None = None
    ) -> MemberProbabilities:
        """Each member's ``probabilities`` on the same texts, mentions and contexts."""
        return {name: member.probabilities(texts, mentions, contexts) for name, member in self.members.items()}

    def _mix(self, head: str, members: dict[str, np.ndarray]) -> np.ndarray:
        params = self.heads[head]
        return mix(members, params["temperatures"], params["weights"]["transformer"])

    def combine(self, members: MemberProbabilities) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The ensemble's probabilities from the members' (as :meth:`member_probabilities` returns them)."""
        sentiment = self._mix(SENTIMENT_HEAD, {name: p[0] for name, p in members.items()})
        stance = {
            target: self._mix(target, {name: p[1][target] for name, p in members.items()})
            for target in self.target_names
        }
        return sentiment, stance

    def probabilities(
        self, texts: list[str], mentions: list[dict[str, list[Mention]]], contexts: list[str] | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        return self.combine(self.member_probabilities(texts, mentions, contexts))

    def save(self, directory: Path) -> None:
        (directory / PARAMETERS_FILE).write_text(json.dumps({"heads": self.heads}, indent=2), encoding="utf-8")

    @classmethod
    def load(
        cls,
        tag: str,
        directory: Path,
        metadata: dict | None,
        members: dict[str, Predictor],
        member_choice: dict | None = None,
    ) -> "EnsemblePredictor":
        """Load the parameters beside the ``members``, already loaded (see :func:`sikap.models.loading.load_stored`)."""
        try:
            heads = json.loads((directory / PARAMETERS_FILE).read_text(encoding="utf-8"))["heads"]
        except (OSError, ValueError, KeyError) as exc:
            raise SikapError(f"{directory / PARAMETERS_FILE}: cannot read the ensemble parameters ({exc})") from None
        return cls(tag, members, heads, metadata, member_choice)

    def describe(self) -> dict:
        """The stored metadata, and the transformer member as loaded (tag, kind, why, inference precision)."""
        loaded = self.members["transformer"]
        served = {**self.member_choice, "tag": loaded.tag, "kind": loaded.kind}
        if precision := getattr(loaded, "precision", None):
            served["inference_precision"] = precision
        return {**super().describe(), "transformer_member": served}
