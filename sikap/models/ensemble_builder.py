"""`sikap ensemble build`: pick the members, fit every head on dev, evaluate, and store ``sikap-ensemble:<version>``."""

import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rich.console import Console

from sikap.data.labels import LabeledSentence, LabelSet, label_contexts, label_mentions
from sikap.errors import SikapError
from sikap.models.ensemble.fitting import MEMBERS, HeadData, HeadFit, fit_head
from sikap.models.ensemble.predictor import SENTIMENT_HEAD, EnsemblePredictor
from sikap.models.predictor import Predictor
from sikap.models.store import FINE_TUNED_KINDS, StoredModel, get_model, newest
from sikap.schema import MENTIONED_STANCES, SENTIMENTS

# Copied from the transformer member so /metadata names the base model and training run.
TRANSFORMER_FIELDS = ("base_model", "trained_at", "config", "precision")


def pick_members(transformer: str | None, default: str | None, console: Console) -> dict[str, StoredModel]:
    """The requested members, else the newest fine-tuned model and the newest default (built if there is none)."""
    chosen = {}
    if transformer:
        chosen["transformer"] = get_model(transformer)
        if chosen["transformer"].kind not in FINE_TUNED_KINDS:
            raise SikapError(
                f"--transformer {transformer} is a {chosen['transformer'].kind} model; "
                "give a fine-tuned transformer (sikap:…) or its ONNX export (sikap-onnx:…)"
            )
    elif (found := newest(FINE_TUNED_KINDS)) is not None:
        chosen["transformer"] = found
    else:
        raise SikapError("no fine-tuned transformer in the store: run `sikap train` (or `make model`) first")
    if default:
        chosen["default"] = get_model(default)
        if chosen["default"].kind != "baseline":
            raise SikapError(f"--default {default} is a {chosen['default'].kind} model; give a sikap-default:… tag")
    elif (found := newest(("baseline",))) is not None:
        chosen["default"] = found
    else:
        from sikap.models.loading import build_default_model

        console.log("no embedded default in the store yet: building it")
        chosen["default"] = get_model(build_default_model(console))
    return chosen


def head_data(
    rows: list[LabeledSentence], mentions: list[dict], probabilities: dict, targets: list[str]
) -> dict[str, HeadData]:
    """Dev data of every head from the members' probabilities on ``rows``."""
    everything = np.arange(len(rows))
    heads = {
        SENTIMENT_HEAD: HeadData(
            SENTIMENTS, [s.sentiment for s in rows], everything, {m: probabilities[m][0] for m in MEMBERS}
        )
    }
    for target in targets:
        detected = np.array([i for i, found in enumerate(mentions) if found[target]], dtype=int)
        heads[target] = HeadData(
            MENTIONED_STANCES,
            [s.stance[target] for s in rows],
            detected,
            {m: probabilities[m][1][target][detected] for m in MEMBERS},
        )
    return heads


def fit_ensemble(members: dict[str, Predictor], dev: list[LabeledSentence]) -> dict[str, HeadFit]:
    """Fit every head (sentiment, then each target's stance) on the dev sentences."""
    transformer = members["transformer"]
    if SENTIMENT_HEAD in transformer.target_names:
        raise SikapError(f"a target may not be called {SENTIMENT_HEAD!r}: it names the sentiment head")
    texts = [s.text for s in dev]
    mentions = label_mentions(dev, transformer.detector)
    contexts = label_contexts(dev, transformer.context_mode)
    probabilities = {name: member.probabilities(texts, mentions, contexts) for name, member in members.items()}
    return {
        head: fit_head(data) for head, data in head_data(dev, mentions, probabilities, transformer.target_names).items()
    }


def build_ensemble(
    labels: LabelSet, transformer: str | None = None, default: str | None = None, console: Console | None = None
) -> str:
    """Fit the ensemble of the two members on dev, evaluate it and them on every split but train, save it;
    returns the new tag."""
    from sikap.data.labels import labels_hash
    from sikap.evaluation.metrics import write_report
    from sikap.evaluation.scoring import evaluation_sets, score_models, summary
    from sikap.models.loading import load_stored, load_transformer_member
    from sikap.models.store import ENSEMBLE_NAME, new_version, save_model
    from sikap.paths import targets_file

    console = console or Console(stderr=True)
    started = time.perf_counter()
    stored = pick_members(transformer, default, console)
    console.log("members: " + ", ".join(f"{name} {model.tag}" for name, model in stored.items()))
    current = labels_hash()
    for name, model in stored.items():
        if model.metadata.get("labels_hash", current) != current:
            console.log(
                f"[yellow]warning:[/] the {name} member {model.tag} was trained on other labels "
                f"(hash {model.metadata['labels_hash']}, now {current}): dev may overlap its training data, "
                "so the fitted weights can favour it; retrain it for a fair fit",
                highlight=False,
            )
    # The transformer member as the service loads it on this CPU (bf16 torch source or the ONNX export):
    # the weights are fitted to the probabilities that will be served.
    transformer_member, member_choice = load_transformer_member(stored["transformer"])
    members = {"transformer": transformer_member, "default": load_stored(stored["default"])}
    console.log(f"transformer member loaded as {member_choice['loaded']} ({member_choice['reason']})", highlight=False)
    dev = labels.split("dev")
    if not dev:
        raise SikapError("labels/ has no dev sentences to fit the ensemble on")
    with console.status(f"fitting temperatures and weights on {len(dev)} dev sentences"):
        fits = fit_ensemble(members, dev)
    heads = {head: fit.to_dict() for head, fit in fits.items()}
    for head, fit in fits.items():
        console.log(
            f"{head}: transformer weight {fit.weight:.2f}, temperatures {fit.temperatures}, dev macro-F1 "
            f"{fit.dev_macro_f1:.3f} (transformer {fit.member_dev_macro_f1['transformer']:.3f}, "
            f"default {fit.member_dev_macro_f1['default']:.3f})"
        )
    ensemble = EnsemblePredictor("unsaved", members, heads)
    results = {}
    for split, rows in evaluation_sets(labels):
        with console.status(f"evaluating the ensemble and its members on {split} ({len(rows)} sentences)"):
            results[split] = score_models(ensemble, rows)
    source = stored["transformer"].metadata
    metadata = {
        "kind": "ensemble",
        "members": {name: model.tag for name, model in stored.items()},
        "member_kinds": {name: model.kind for name, model in stored.items()},
        "fitted_with": member_choice,
        "weights": {head: h["weights"] for head, h in heads.items()},
        "temperatures": {head: h["temperatures"] for head, h in heads.items()},
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels_hash": current,
        **{key: source[key] for key in TRANSFORMER_FIELDS if key in source},
        "fit": {"data": "dev", "n": len(dev), "weight_grid_step": 0.05, "heads": heads},
        "metrics": {split: summary(by_model["ensemble"]) for split, by_model in results.items()},
        "member_metrics": {
            name: {split: summary(by_model[name]) for split, by_model in results.items()} for name in MEMBERS
        },
    }
    metadata["build_seconds"] = round(time.perf_counter() - started, 1)

    def write(directory: Path) -> None:
        import shutil

        ensemble.save(directory)
        shutil.copy(targets_file(), directory / "targets.yaml")
        for split, by_model in results.items():
            for name, metrics in by_model.items():
                write_report(metrics, directory / "reports" / split / name, f"{name} — {split} split")

    tag = save_model(ENSEMBLE_NAME, "ensemble", new_version(metadata["labels_hash"]), metadata, write)
    console.log(f"saved {tag} in {metadata['build_seconds']} s")
    for split, row in metadata["metrics"].items():
        members_row = ", ".join(
            f"{name} {metadata['member_metrics'][name][split]['stance macro-F1']:.3f}/"
            f"{metadata['member_metrics'][name][split]['sentiment macro-F1']:.3f}"
            for name in MEMBERS
        )
        console.log(
            f"{split}: ensemble stance/sentiment macro-F1 {row['stance macro-F1']:.3f}/"
            f"{row['sentiment macro-F1']:.3f} ({members_row})"
        )
    return tag
