"""Smoke runs of the benchmark scripts that time stored models, on the tiny BERT instead of e5-small or an
IndoBERT-base-shaped model: a tiny transformer and its ensemble with the embedded default are built once for the
module in the session store (and removed afterwards). The scripts that build their own models:
``test_build_benchmarks.py``."""

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import train_tiny_transformer
from rich.console import Console

from .conftest import Run

NUMBER = r"[\d.]+"


@pytest.fixture(scope="module")
def tags(tiny_bert: Path, default_tag: str, bench_labels: Path, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Tags of a tiny transformer, the embedded default and their ensemble."""
    from sikap.data.labels import load_labels
    from sikap.models.ensemble_builder import build_ensemble
    from sikap.models.store import delete_model

    console = Console(file=io.StringIO())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SIKAP_LABELS", str(bench_labels))  # small dev and test splits to evaluate on
        torch = train_tiny_transformer(tiny_bert, tmp_path_factory.mktemp("bench-transformer"))
        ensemble = build_ensemble(load_labels(), torch, default_tag, console)
    yield {"torch": torch, "default": default_tag, "ensemble": ensemble}
    for tag in (ensemble, torch):  # later test modules see the store they expect
        delete_model(tag)


def test_ensemble_times_each_member_and_the_ensemble(run_benchmark: Run, tags: dict[str, str]) -> None:
    done = run_benchmark("ensemble.py", "--ensemble", tags["ensemble"], "--sentences", 48, "--chunk", 16)
    assert "48 sentences from labels/, chunks of 16; each model in a fresh process" in done.stdout
    assert "| model | tag | sentences/s | peak RSS MiB | disk MiB | load s |" in done.stdout
    rows = re.findall(rf"^\| (\w+) \| `([^`]+)` \| ({NUMBER}) \| (\d+) \| (\d+) \| ({NUMBER}) \|$", done.stdout, re.M)
    assert [(name, tag) for name, tag, *_ in rows] == [
        ("default", tags["default"]),
        ("transformer", tags["torch"]),
        ("ensemble", tags["ensemble"]),
    ]
    assert all(float(rate) > 0 and int(rss) > 0 for _, _, rate, rss, _, _ in rows)


def test_inference_thread_compares_one_thread_with_a_pool(run_benchmark: Run, tags: dict[str, str]) -> None:
    done = run_benchmark("inference_thread.py", "--model", tags["ensemble"], "--sentences", 24, "--batch", 8)
    assert f"model {tags['ensemble']}, 24 sentences in random order, batches of 8" in done.stdout
    rows = re.findall(rf"^\| ([a-zA-Z ]+) \| ({NUMBER}) \| ({NUMBER}) \| ({NUMBER}) \| ({NUMBER}) \|$", done.stdout, re.M)
    assert [r[0] for r in rows] == ["one thread", "API thread pool", "loaded on another thread"]
    assert rows[0][4] == "1.00" and all(float(ms) > 0 and float(cores) > 0 for _, ms, _, cores, _ in rows)


def test_packing_compares_padded_and_packed_batches(run_benchmark: Run, tags: dict[str, str]) -> None:
    done = run_benchmark("packing.py", "--model", tags["ensemble"], "--sentences", 40, "--batch", 10, "--rounds", 1)
    assert f"transformer member {tags['torch']}" in done.stdout and "batches of 10, 1 rounds" in done.stdout
    rows = re.findall(rf"^\| (\w+) \| (\w+) \| ({NUMBER})% \| ({NUMBER}) \| ({NUMBER}) \| ({NUMBER}) \|$", done.stdout, re.M)
    assert [r[:2] for r in rows] == [("sorted", "padded"), ("sorted", "packed"), ("arrival", "padded"), ("arrival", "packed")]
    assert rows[0][5] == "1.00" and all(float(ms) > 0 for *_, ms, _, _ in rows)
    share = {(order, rows_): float(pad) for order, rows_, pad, *_ in rows}
    assert share["arrival", "packed"] < share["arrival", "padded"]  # packing drops pad tokens of mixed batches
    assert share["sorted", "packed"] <= share["sorted", "padded"]


def test_e5_backends_measures_every_row_given(run_benchmark: Run, tags: dict[str, str], tiny_bert: Path) -> None:
    """Without ONNX exports: their rows run the worker of benchmarks/throughput.py as its (c) and (d) do."""
    done = run_benchmark(
        "e5_backends.py", "--torch", tags["torch"], "--ensemble", tags["ensemble"], "--default", tags["default"],
        "--base", tiny_bert, "--sentences", 48, "--pipeline-sentences", 8, "--batch-size", 16, "--threads", 1,
        "--torch-precisions", "fp32,bf16", "--ensemble-members", "auto",
    )  # fmt: skip
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["tag"] for r in results] == [tags[k] for k in ("default", "torch", "torch", "ensemble")] + ["-"]
    assert [r["served"]["inference_precision"] for r in results[1:3]] == ["fp32", "bf16"]  # one row per precision
    assert [r["sentences"] for r in results] == [48] * 4 + [8]
    assert all(r["seconds"] > 0 and r["peak_rss_mib"] > 0 and r["disk_mib"] > 0 for r in results)
    assert results[3]["disk_mib"] > results[0]["disk_mib"] + results[1]["disk_mib"]  # the ensemble counts its members
    assert "| backend | tag | served as | sentences/s | sentences per CPU-s | peak RSS MiB | disk MiB |" in done.stdout
    rows = re.findall(
        rf"^\| [^|]+ \| [^|]+ \| [^|]+ \| ({NUMBER}) \| {NUMBER} \| \d+ \| \d+ \| (\d+) \|", done.stdout, re.M
    )
    assert len(rows) == 5 and all(float(rate) > 0 for rate, _ in rows)


def test_e5_int8_recipes_reports_each_recipe(run_benchmark: Run, tags: dict[str, str]) -> None:
    recipes = ["blockwise: FFN-out fp32", "all MatMuls int8"]  # in the script's order
    done = run_benchmark("e5_int8_recipes.py", "--model", tags["torch"], "--recipes", *recipes)
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["recipe"] for r in results] == recipes
    assert [r["method"] for r in results] == ["blockwise", "dynamic"]
    for r in results:
        assert set(r) == {
            "recipe", "method", "keep_fp32", "passes", "agreement_pct", "f1_change_points", "size_mib",
            "dev_sentences_per_s",
        }  # fmt: skip
        assert isinstance(r["passes"], bool) and 0 <= r["agreement_pct"]["all"] <= 100
        assert r["size_mib"] >= 0 and r["dev_sentences_per_s"] > 0  # the tiny graph rounds to 0.0 MiB
