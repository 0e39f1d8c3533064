"""The model store: BentoML models under ``models/`` (or ``$SIKAP_HOME``), and which one to serve.

Four model names live in it: ``sikap-default`` (the embedded scikit-learn baseline),
``sikap`` (fine-tuned transformers), ``sikap-onnx`` (their validated ONNX exports) and
``sikap-ensemble`` (a transformer or export mixed with a default; it holds only the fitted
parameters and the tags of its two members). Versions are ``YYYYMMDD-HHMMSS-<labels hash>``
(exports add ``-fp32`` or ``-int8``).
"""

import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sikap.errors import ModelNotFoundError
from sikap.paths import use_sikap_home

BASELINE_NAME = "sikap-default"
TRANSFORMER_NAME = "sikap"
ONNX_NAME = "sikap-onnx"
ENSEMBLE_NAME = "sikap-ensemble"
FINE_TUNED_KINDS = ("transformer", "onnx")
MODEL_FILE = "sikap.json"


def _bentoml():
    use_sikap_home()
    import bentoml

    return bentoml


@dataclass(frozen=True)
class StoredModel:
    tag: str
    kind: str
    created: datetime
    path: Path
    metadata: dict


def new_version(labels_hash: str) -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{labels_hash[:8]}"


def _without_none(value: object) -> object:
    """BentoML metadata accepts only basic types: drop ``None`` entries, recursively."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_without_none(v) for v in value if v is not None]
    return value


def save_model(name: str, kind: str, version: str, metadata: dict, write: Callable[[Path], None]) -> str:
    """Create ``name:version`` in the store; ``write(dir)`` fills it. Nothing is stored if it raises."""
    bentoml = _bentoml()
    metadata = _without_none(metadata)
    with bentoml.models.create(f"{name}:{version}", labels={"kind": kind}, metadata=metadata) as model:
        write(Path(model.path))
    return str(model.tag)


def _complete_models(bentoml) -> list:
    """Every readable model of the store. BentoML copies a new model into the store in place, so a
    process killed while saving leaves a version folder without ``model.yaml``, which makes
    ``bentoml.models.list()`` fail; such folders are skipped here (delete them at leisure)."""
    try:
        return bentoml.models.list()
    except bentoml.exceptions.BentoMLException:
        pass
    models = []
    for name in (BASELINE_NAME, TRANSFORMER_NAME, ONNX_NAME, ENSEMBLE_NAME):
        for version in sorted((Path(os.environ["BENTOML_HOME"]) / "models" / name).glob("*/")):
            try:
                models.append(bentoml.models.get(f"{name}:{version.name}"))
            except bentoml.exceptions.BentoMLException:
                continue
    return models


def list_models() -> list[StoredModel]:
    """Sikap models in the store, newest first."""
    bentoml = _bentoml()
    models = [
        StoredModel(
            str(m.tag), m.info.labels.get("kind", "?"), m.info.creation_time, Path(m.path), dict(m.info.metadata)
        )
        for m in _complete_models(bentoml)
        if m.tag.name in (BASELINE_NAME, TRANSFORMER_NAME, ONNX_NAME, ENSEMBLE_NAME)
    ]
    return sorted(models, key=lambda m: m.created, reverse=True)


def get_model(tag: str) -> StoredModel:
    bentoml = _bentoml()
    try:
        m = bentoml.models.get(tag)
    except Exception:  # bentoml raises NotFound or a tag-format error
        known = ", ".join(s.tag for s in list_models()) or "none"
        raise ModelNotFoundError(
            f"model {tag!r} not found in the store {os.environ['BENTOML_HOME']} (available: {known}); "
            "see `sikap models list`"
        ) from None
    return StoredModel(
        str(m.tag), m.info.labels.get("kind", "?"), m.info.creation_time, Path(m.path), dict(m.info.metadata)
    )


def members(model: StoredModel) -> list[str]:
    """Tags of the models an ensemble needs (none for other kinds)."""
    return list(model.metadata.get("members", {}).values()) if model.kind == "ensemble" else []


def newest(kinds: tuple[str, ...], models: list[StoredModel] | None = None) -> StoredModel | None:
    """The newest stored model of one of ``kinds``; an ensemble counts only when its members are stored too."""
    models = list_models() if models is None else models
    present = {m.tag for m in models}
    for model in models:
        if model.kind in kinds and all(tag in present for tag in members(model)):
            return model
    return None


def resolve(requested: str | None = None, among: Collection[str] | None = None) -> StoredModel | None:
    """The model to serve: ``requested`` or ``$SIKAP_MODEL``; else the newest ensemble whose members
    are stored; else the newest fine-tuned model, transformer or ONNX export, by creation time;
    else the newest embedded default. ``among`` limits the choice to these tags (a Bento's models).

    An export is validated against its source before it is saved, so exporting the newest
    transformer makes the export the one served; training a newer transformer takes over again,
    unless an ensemble exists: `sikap ensemble build` makes a new one from the newest members.
    """
    requested = requested or os.environ.get("SIKAP_MODEL")
    if requested:
        return get_model(requested)
    models = list_models()
    if among is not None:
        models = [m for m in models if m.tag in among]
    for kinds in (("ensemble",), FINE_TUNED_KINDS, ("baseline",)):
        if model := newest(kinds, models):
            return model
    return None


def export_model(tag: str, path: Path) -> Path:
    bentoml = _bentoml()
    get_model(tag)
    return Path(bentoml.models.export_model(tag, str(path)))


def import_model(path: Path) -> str:
    bentoml = _bentoml()
    if not path.exists():
        raise ModelNotFoundError(f"{path}: no such file to import")
    return str(bentoml.models.import_model(str(path)).tag)


def delete_model(tag: str) -> None:
    bentoml = _bentoml()
    get_model(tag)
    bentoml.models.delete(tag)
