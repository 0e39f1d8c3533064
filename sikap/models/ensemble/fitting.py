"""Fitting one ensemble head on dev: a temperature per member (minimum NLL), then a mixing weight (grid, macro-F1).

A head is sentiment or one target's stance. Its members' probabilities are tempered,
``softmax(log p / T)``, which changes confidence but never the argmax, and mixed linearly,
``w · transformer + (1 − w) · default``. The grid holds w = 0 and w = 1, so on dev the
ensemble's macro-F1 is at least the better member's.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.metrics import f1_score

MEMBERS = ("transformer", "default")
WEIGHT_GRID = tuple(round(w, 2) for w in np.linspace(0.0, 1.0, 21))
TEMPERATURE_BOUNDS = (0.05, 20.0)
EPS = 1e-12


def tempered(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(log p / T)`` row by row."""
    logits = np.log(np.clip(probabilities, EPS, 1.0)) / temperature
    logits -= logits.max(-1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(-1, keepdims=True)


def mix(members: dict[str, np.ndarray], temperatures: dict[str, float], weight: float) -> np.ndarray:
    """Tempered probabilities of the two members, ``weight`` on the transformer."""
    transformer = tempered(members["transformer"], temperatures["transformer"])
    default = tempered(members["default"], temperatures["default"])
    return weight * transformer + (1.0 - weight) * default


def nll(probabilities: np.ndarray, gold: np.ndarray) -> float:
    """Mean negative log-likelihood of class indices ``gold``."""
    if not len(gold):
        return 0.0
    return float(-np.mean(np.log(np.clip(probabilities[np.arange(len(gold)), gold], EPS, 1.0))))


def fit_temperature(probabilities: np.ndarray, gold: np.ndarray) -> float:
    """The temperature minimizing NLL on ``gold`` (1.0 without data); a bounded 1-D search over log T."""
    if not len(gold):
        return 1.0
    low, high = np.log(TEMPERATURE_BOUNDS[0]), np.log(TEMPERATURE_BOUNDS[1])
    result = minimize_scalar(
        lambda t: nll(tempered(probabilities, float(np.exp(t))), gold),
        bounds=(low, high),
        method="bounded",
        options={"xatol": 1e-5},
    )
    return round(float(np.exp(result.x)), 4)


@dataclass(frozen=True)
class HeadData:
    """Dev data of one head.

    ``gold`` holds every dev row's label; the model decides the rows in ``rows`` (for stance,
    the sentences that mention the target) and every other row is ``fixed`` (``none``).
    ``members`` maps member name → probabilities on ``rows``, columns in ``classes`` order.
    """

    classes: tuple[str, ...]
    gold: list[str]
    rows: np.ndarray
    members: dict[str, np.ndarray]
    fixed: str = "none"

    def macro_f1(self, probabilities: np.ndarray) -> float:
        """Macro-F1 over ``classes`` on all dev rows, as :func:`sikap.evaluation.metrics.evaluate_predictions` counts it."""
        predicted = np.full(len(self.gold), self.fixed, dtype=object)
        predicted[self.rows] = [self.classes[i] for i in probabilities.argmax(-1)]
        return float(f1_score(self.gold, list(predicted), labels=list(self.classes), average="macro", zero_division=0))

    def calibration_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions within ``rows`` whose gold label is one of ``classes``, and those labels as indices."""
        positions = [k for k, row in enumerate(self.rows) if self.gold[row] in self.classes]
        return np.array(positions, dtype=int), np.array(
            [self.classes.index(self.gold[self.rows[k]]) for k in positions], dtype=int
        )


@dataclass(frozen=True)
class HeadFit:
    temperatures: dict[str, float]
    weight: float  # share of the transformer
    dev_macro_f1: float
    dev_nll: float
    member_dev_macro_f1: dict[str, float]

    def to_dict(self) -> dict:
        return {
            "temperatures": self.temperatures,
            "weights": {"transformer": self.weight, "default": round(1.0 - self.weight, 2)},
            "dev_macro_f1": round(self.dev_macro_f1, 4),
            "dev_nll": round(self.dev_nll, 4),
            "member_dev_macro_f1": {k: round(v, 4) for k, v in self.member_dev_macro_f1.items()},
        }


def fit_head(data: HeadData) -> HeadFit:
    """Temperatures per member on dev NLL, then the grid weight with the best dev macro-F1 (ties: lower NLL)."""
    positions, gold = data.calibration_rows()
    temperatures = {name: fit_temperature(data.members[name][positions], gold) for name in MEMBERS}
    scored = []
    for weight in WEIGHT_GRID:
        mixed = mix(data.members, temperatures, weight)
        scored.append((-data.macro_f1(mixed), nll(mixed[positions], gold), weight))
    f1, loss, weight = min(scored)
    return HeadFit(
        temperatures=temperatures,
        weight=float(weight),
        dev_macro_f1=-f1,
        dev_nll=loss,
        member_dev_macro_f1={name: data.macro_f1(data.members[name]) for name in MEMBERS},
    )
