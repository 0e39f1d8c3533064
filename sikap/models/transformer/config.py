"""Training configuration: a YAML file for everything, CLI overrides for the common knobs."""

from dataclasses import asdict, dataclass, fields
from pathlib import Path

import yaml

from sikap.errors import InputError
from sikap.paths import REPO_ROOT
from sikap.text.sentence_context import CONTEXT_MODES

DEFAULT_BASE_MODEL = "indobenchmark/indobert-base-p1"
E5_CONFIG = REPO_ROOT / "training" / "config-e5.yaml"
POOLINGS = ("cls", "span", "cls+span")


@dataclass
class TrainConfig:
    """Fine-tuning settings. Every field can be set in the YAML file given to ``--config``."""

    base_model: str | None = None  # None: IndoBERT if it can be loaded, else the prepared e5-small
    epochs: int = 5
    learning_rate: float = 3e-5
    head_learning_rate: float = 1e-3
    batch_size: int = 16
    gradient_accumulation: int = 1
    max_length: int = 128
    seed: int = 13
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    dropout: float = 0.1
    patience: int = 2
    pooling: str = "cls+span"
    context: str = "none"  # article context as a second segment: none, previous, title+previous
    context_length: int = 48  # tokens added to max_length for the context segment
    device: str = "auto"
    precision: str = "auto"
    freeze_embeddings: bool = False  # keep the word-embedding matrix fixed (e5: 96 M of 118 M weights)
    freeze_layers: int = 0  # keep the lowest N encoder layers fixed
    time_budget_minutes: float | None = None  # start no epoch that would end after this (None: no limit)
    average_last: float = 0.0  # average the weights over this share of the last optimizer steps (0: off)
    limit: int | None = None
    run_dir: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.pooling not in POOLINGS:
            problems.append(f"pooling must be one of {', '.join(POOLINGS)}, not {self.pooling!r}")
        if self.context not in CONTEXT_MODES:
            problems.append(f"context must be one of {', '.join(CONTEXT_MODES)}, not {self.context!r}")
        if self.context_length < 0:
            problems.append(f"context_length must be 0 or more, not {self.context_length}")
        if self.time_budget_minutes is not None and self.time_budget_minutes < 0:
            problems.append(f"time_budget_minutes must be 0 (no limit) or more, not {self.time_budget_minutes}")
        if not 0 <= self.average_last < 1:
            problems.append(f"average_last must be in [0, 1), not {self.average_last}")
        if self.freeze_layers < 0:
            problems.append(f"freeze_layers must be 0 or more, not {self.freeze_layers}")
        for name in ("epochs", "batch_size", "gradient_accumulation", "max_length"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1, not {getattr(self, name)}")
        if not 0 < self.learning_rate < 1:
            problems.append(f"learning_rate must be in (0, 1), not {self.learning_rate}")
        if self.device not in ("auto", "cpu", "cuda", "mps"):
            problems.append(f"device must be auto, cpu, cuda or mps, not {self.device!r}")
        if self.precision not in ("auto", "fp32", "fp16", "bf16"):
            problems.append(f"precision must be auto, fp32, fp16 or bf16, not {self.precision!r}")
        if problems:
            raise InputError("invalid training config: " + "; ".join(problems))

    @classmethod
    def load(cls, path: Path | None, **overrides: object) -> "TrainConfig":
        """Read ``path`` (YAML) if given, then apply the overrides that are not ``None``."""
        values: dict = {}
        if path:
            try:
                values = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
            except FileNotFoundError:
                raise InputError(f"{path}: config file not found") from None
            except yaml.YAMLError as exc:
                raise InputError(f"{path}: invalid YAML ({exc})") from None
            if not isinstance(values, dict):
                raise InputError(f"{path}: expected a mapping of settings")
            known = {f.name for f in fields(cls)}
            unknown = sorted(set(values) - known)
            if unknown:
                raise InputError(f"{path}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except TypeError as exc:
            raise InputError(f"invalid training config: {exc}") from None

    def to_dict(self) -> dict:
        return asdict(self)
