"""Load the model to serve, building the embedded default first when the store has none."""

import logging
from collections.abc import Callable

from rich.console import Console

from sikap.errors import SikapError
from sikap.models.predictor import Predictor
from sikap.models.store import StoredModel, resolve

log = logging.getLogger("sikap.loading")
MEMBER_ENV = "SIKAP_ENSEMBLE_MEMBER"
MEMBER_SETTINGS = ("auto", "onnx", "torch")


def _load_baseline(model: StoredModel) -> Predictor:
    from sikap.models.baseline_predictor import BaselinePredictor

    return BaselinePredictor.load(model.tag, model.path, model.metadata)


def _load_transformer(model: StoredModel) -> Predictor:
    from sikap.models.transformer.predict import TransformerPredictor

    return TransformerPredictor.load(model.tag, model.path, model.metadata)


def _load_onnx(model: StoredModel) -> Predictor:
    from sikap.models.onnx.predict import OnnxPredictor

    return OnnxPredictor.load(model.tag, model.path, model.metadata)


def _load_ensemble(model: StoredModel) -> Predictor:
    from sikap.models.ensemble import EnsemblePredictor

    members, choice = ensemble_members(model)
    return EnsemblePredictor.load(model.tag, model.path, model.metadata, members, choice)


# The predictor of each kind of stored model (each imports its libraries when it loads one).
LOADERS: dict[str, Callable[[StoredModel], Predictor]] = {
    "baseline": _load_baseline,
    "transformer": _load_transformer,
    "onnx": _load_onnx,
    "ensemble": _load_ensemble,
}


def loader_of(model: StoredModel) -> Callable[[StoredModel], Predictor]:
    """The loader of ``model``'s kind; a :class:`SikapError` naming the model for a kind with none."""
    if model.kind not in LOADERS:
        raise SikapError(f"model {model.tag} has unknown kind {model.kind!r}")
    return LOADERS[model.kind]


def load_stored(model: StoredModel) -> Predictor:
    """Instantiate the predictor for a stored model, whatever its kind."""
    return loader_of(model)(model)


def member_setting() -> str:
    """``$SIKAP_ENSEMBLE_MEMBER`` (unset: ``auto``), validated."""
    from sikap.cpu import env_choice

    return env_choice(MEMBER_ENV, MEMBER_SETTINGS)


def choose_transformer_member(
    named: StoredModel, source: str | None, bf16: bool, setting: str, native_int8: bool = True
) -> tuple[str, str]:
    """The tag to load for an ensemble's transformer member ``named``, and why.

    ``source``: the tag of its torch source when ``named`` is an ONNX export whose source is in the store,
    else ``None``. ``auto`` loads the source where the CPU has native bf16 (bf16 torch outruns the int8
    export there), or where an int8 export would run without int8 dot-product instructions (``native_int8``
    false: fp32 torch outruns it there), else the export; ``torch`` and ``onnx`` force the choice (``torch``
    needs the source).
    """
    if named.kind != "onnx":
        return named.tag, f"the member is a {named.kind} model"
    if setting == "onnx":
        return named.tag, f"{MEMBER_ENV}=onnx"
    if source is None:
        missing = f"its torch source {named.metadata.get('source', '(unnamed)')} is not in the store"
        if setting == "torch":
            raise SikapError(f"{MEMBER_ENV}=torch, but {missing}")
        return named.tag, missing
    if setting == "torch":
        return source, f"{MEMBER_ENV}=torch"
    if bf16:
        return source, "the CPU has native bf16 and the export's torch source is in the store"
    if named.metadata.get("precision") == "int8" and not native_int8:
        return source, "the CPU has neither native bf16 nor int8 dot products (VNNI): fp32 torch outruns the int8 export"
    return named.tag, "the CPU has no native bf16 (avx512_bf16 or amx_bf16)"


def stored_source(named: StoredModel) -> str | None:
    """The tag of an ONNX export's torch source when it is in the store (``None`` for other kinds)."""
    from sikap.models.store import get_model

    tag = named.metadata.get("source") if named.kind == "onnx" else None
    if not tag:
        return None
    try:
        return get_model(tag).tag
    except SikapError:
        return None


def load_transformer_member(named: StoredModel) -> tuple[Predictor, dict]:
    """Load an ensemble's transformer member as :func:`choose_transformer_member` picks it; returns it and the
    choice (``/metadata`` shows it)."""
    from sikap.cpu import has_native_bf16, has_native_int8
    from sikap.models.store import get_model

    source = stored_source(named)
    tag, reason = choose_transformer_member(named, source, has_native_bf16(), member_setting(), has_native_int8())
    log.info("ensemble transformer member: loading %s for %s (%s)", tag, named.tag, reason)
    predictor = load_stored(named if tag == named.tag else get_model(tag))
    return predictor, {"named": named.tag, "loaded": tag, "kind": predictor.kind, "reason": reason}


def ensemble_members(model: StoredModel) -> tuple[dict[str, Predictor], dict]:
    """Load both members an ensemble's metadata names (they must be in the same store), the transformer
    as :func:`load_transformer_member` picks it; returns them and that choice."""
    from sikap.models.ensemble.fitting import MEMBERS
    from sikap.models.store import get_model

    members_tags = model.metadata.get("members", {})
    if set(members_tags) != set(MEMBERS):
        raise SikapError(f"ensemble {model.tag}: metadata names members {members_tags}, expected {', '.join(MEMBERS)}")
    members, choice = {}, {}
    for name in MEMBERS:
        try:
            stored = get_model(members_tags[name])
            if name == "transformer":
                members[name], choice = load_transformer_member(stored)
            else:
                members[name] = load_stored(stored)
        except SikapError as exc:
            raise SikapError(
                f"ensemble {model.tag} needs its {name} member {members_tags[name]}: {exc}; "
                "rebuild it with `sikap ensemble build`"
            ) from None
    return members, choice


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


def ensure_stored(requested: str | None = None, console: Console | None = None) -> StoredModel:
    """The stored model to serve (see :func:`sikap.models.store.resolve`), building the default if the store is
    empty; checked without loading its weights: its kind is known and an ensemble's members are in the store."""
    from sikap.models.store import get_model

    model = resolve(requested)
    if model is None:
        console = console or Console(stderr=True)
        console.log("no model in the store yet: building the embedded default (takes well under two minutes)")
        build_default_model(console)
        model = resolve(requested)
    assert model is not None
    loader_of(model)  # a kind it can load
    for name, tag in model.metadata.get("members", {}).items() if model.kind == "ensemble" else ():
        try:
            get_model(tag)
        except SikapError as exc:
            raise SikapError(
                f"ensemble {model.tag} needs its {name} member {tag}: {exc}; rebuild it with `sikap ensemble build`"
            ) from None
    return model


def _stored_and_loaded(requested: str | None) -> tuple[StoredModel | None, str | None]:
    """:func:`ensure_stored` and a load of the model: the model, and what failed (``None`` if nothing did)."""
    try:
        model = ensure_stored(requested)
    except SikapError as exc:
        return None, str(exc)
    try:
        load_stored(model)
    except Exception as exc:  # reported to the parent by its type and message
        return model, f"model {model.tag} ({model.kind}) at {model.path} does not load: {type(exc).__name__}: {exc}"
    return model, None


def ensure_loadable(requested: str | None = None) -> StoredModel:
    """:func:`ensure_stored` (building the default if the store is empty, with progress on stderr) and a check that
    the model loads, both in a child process that exits afterwards; a :class:`SikapError` names what failed.

    For the process that starts the service: it learns up front that the model loads, without keeping what the
    build or the load took (the default's training data, an ensemble's transformer) for as long as it supervises
    the workers that serve the model."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        model, error = pool.submit(_stored_and_loaded, requested).result()
    if error:
        raise SikapError(error)
    assert model is not None
    return model


def ensure_predictor(requested: str | None = None, console: Console | None = None) -> Predictor:
    """The predictor to serve (:func:`ensure_stored`), loaded."""
    return load_stored(ensure_stored(requested, console))
