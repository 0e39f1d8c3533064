"""Does an export label the dev split like its source model? Agreement and macro-F1 change, and the gate."""

from sikap.data.labels import LabeledSentence
from sikap.evaluation.metrics import evaluate_predictions

MIN_AGREEMENT = 98.0  # percent of dev sentences whose every field gets the source's label
MAX_F1_DROP = 1.5  # macro-F1 points any one target may lose


def _labels(record: dict, targets: list[str]) -> tuple[str, ...]:
    return (record["sentiment"]["label"], *(record["stance"][t]["label"] for t in targets))


def _max_score_diff(reference: list[dict], candidate: list[dict]) -> float:
    diff = 0.0
    for a, b in zip(reference, candidate, strict=True):
        pairs = [(a["sentiment"]["scores"], b["sentiment"]["scores"])]
        pairs += [(a["stance"][t]["scores"], b["stance"][t]["scores"]) for t in a["stance"]]
        diff = max(diff, *(abs(x[k] - y[k]) for x, y in pairs for k in x))
    return round(diff, 4)


def compare(gold: list[LabeledSentence], reference: list[dict], candidate: list[dict], targets: list[str]) -> dict:
    """Agreement in percent (all fields; sentiment; per target over the sentences that mention it) and macro-F1.

    ``reference`` and ``candidate`` are contract records for ``gold``'s texts, in order.
    """
    pairs = [(_labels(r, targets), _labels(c, targets)) for r, c in zip(reference, candidate, strict=True)]
    agreement = {"all": 100.0 * sum(a == b for a, b in pairs) / len(pairs)}
    agreement["sentiment"] = 100.0 * sum(a[0] == b[0] for a, b in pairs) / len(pairs)
    mentioned = {}
    for i, name in enumerate(targets, start=1):
        rows = [(a[i], b[i]) for (a, b), r in zip(pairs, reference, strict=True) if r["stance"][name]["mentions"]]
        mentioned[name] = len(rows)
        agreement[name] = 100.0 * sum(a == b for a, b in rows) / len(rows) if rows else 100.0
    before = evaluate_predictions(gold, reference, targets)
    after = evaluate_predictions(gold, candidate, targets)
    fields = [*targets, "sentiment"]
    f1 = {
        "source": {t: before["targets"][t]["macro_f1"] for t in targets}
        | {"sentiment": before["sentiment"]["macro_f1"]},
        "export": {t: after["targets"][t]["macro_f1"] for t in targets} | {"sentiment": after["sentiment"]["macro_f1"]},
    }
    change = {f: 100.0 * (f1["export"][f] - f1["source"][f]) for f in fields}
    return {
        "split": "dev",
        "n": len(gold),
        "mentioned": mentioned,
        "agreement_pct": {k: round(v, 2) for k, v in agreement.items()},
        "macro_f1": {side: {k: round(v, 4) for k, v in values.items()} for side, values in f1.items()},
        "f1_change_points": {k: round(v, 2) for k, v in change.items()},
        "max_score_diff": _max_score_diff(reference, candidate),
        "metrics": after,
    }


def problems(validation: dict, targets: list[str], min_agreement: float, max_f1_drop: float) -> list[str]:
    """Why the export must not be saved: all-field agreement below ``min_agreement`` percent, or a target's
    macro-F1 down by more than ``max_f1_drop`` points. Empty when it passes."""
    found = []
    agreement = validation["agreement_pct"]["all"]
    if agreement < min_agreement:
        found.append(f"agreement with the source on dev is {agreement:.2f}% (< {min_agreement:g}%)")
    for name in targets:
        change = validation["f1_change_points"][name]
        if change < -max_f1_drop:
            found.append(f"{name} macro-F1 changes by {change:+.2f} points (more than -{max_f1_drop:g})")
    return found
