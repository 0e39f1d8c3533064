"""Load the model to serve, building the embedded default first when the store has none."""

from rich.console import Console

from sikap.errors import SikapError
from sikap.models.predictor import Predictor
from sikap.models.store import StoredModel, resolve


def load_stored(model: StoredModel) -> Predictor:
    """Instantiate the predictor for a stored model, whatever its kind."""
    if model.kind == "baseline":
        from sikap.models.baseline import BaselinePredictor

        return BaselinePredictor.load(model.tag, model.path, model.metadata)
    if model.kind == "transformer":
        from sikap.models.transformer.predict import TransformerPredictor

        return TransformerPredictor.load(model.tag, model.path, model.metadata)
    if model.kind == "onnx":
        from sikap.models.onnx.predict import OnnxPredictor

        return OnnxPredictor.load(model.tag, model.path, model.metadata)
    if model.kind == "ensemble":
        from sikap.models.ensemble import EnsemblePredictor

        return EnsemblePredictor.load(model.tag, model.path, model.metadata, ensemble_members(model))
    raise SikapError(f"model {model.tag} has unknown kind {model.kind!r}")


def ensemble_members(model: StoredModel) -> dict[str, Predictor]:
    """Load both members an ensemble's metadata names; they must be in the same store."""
    from sikap.models.ensemble.fitting import MEMBERS
    from sikap.models.store import get_model

    members_tags = model.metadata.get("members", {})
    if set(members_tags) != set(MEMBERS):
        raise SikapError(f"ensemble {model.tag}: metadata names members {members_tags}, expected {', '.join(MEMBERS)}")
    members = {}
    for name in MEMBERS:
        try:
            members[name] = load_stored(get_model(members_tags[name]))
        except SikapError as exc:
            raise SikapError(
                f"ensemble {model.tag} needs its {name} member {members_tags[name]}: {exc}; "
                "rebuild it with `sikap ensemble build`"
            ) from None
    return members


def build_default_model(console: Console | None = None) -> str:
    """Train the embedded default from ``labels/``; fails with the label problems if the data is invalid."""
    from sikap.data.labels import load_labels
    from sikap.models.baseline import train_baseline
    from sikap.paths import targets_file
    from sikap.text.targets import load_targets

    console = console or Console(stderr=True)
    targets = load_targets()
    labels = load_labels(targets=targets)
    if labels.errors:
        shown = "\n".join(str(p) for p in labels.errors[:20])
        raise SikapError(f"labels/ has {len(labels.errors)} error(s); fix them before training:\n{shown}")
    console.log(f"building the embedded default model from {len(labels.sentences)} labeled sentences")
    return train_baseline(labels, targets, targets_file(), console)


def ensure_predictor(requested: str | None = None, console: Console | None = None) -> Predictor:
    """The predictor to serve (see :func:`sikap.models.store.resolve`), building the default if the store is empty."""
    model = resolve(requested)
    if model is None:
        console = console or Console(stderr=True)
        console.log("no model in the store yet: building the embedded default (takes well under two minutes)")
        build_default_model(console)
        model = resolve(requested)
    assert model is not None
    return load_stored(model)
