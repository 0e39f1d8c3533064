"""Batch scoring: inputs, outputs in every format, bad records, resume after kill -9, and the Ray engine."""

import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import pytest
from fork_runner import ForkedProcess, run_forked
from typer.testing import CliRunner

from sikap.batch.formats import read_records, read_sentences
from sikap.batch.scorer import OutputPaths, score
from sikap.cli import app
from sikap.paths import REPO_ROOT

runner = CliRunner()


def make_corpus(path: Path, articles: int, seed: int = 3) -> Path:
    script = str(REPO_ROOT / "benchmarks" / "make_corpus.py")
    command = [sys.executable, script, "--articles", str(articles), "--output", str(path), "--seed", str(seed)]
    done = run_forked(command, REPO_ROOT, dict(os.environ), timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus") / "corpus.jsonl", 40)


@pytest.fixture(scope="module")
def reference(corpus: Path, default_predictor, tmp_path_factory) -> OutputPaths:
    paths = OutputPaths.for_output(tmp_path_factory.mktemp("ref") / "scored.jsonl")
    score([str(corpus)], paths, default_predictor, progress=False)
    return paths


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_sentence_rows_and_summaries_are_consistent(reference: OutputPaths, corpus: Path) -> None:
    rows, summaries = jsonl(reference.sentences), jsonl(reference.summary)
    model = next(r["model"] for r in rows if not r["skipped"])  # skipped rows (datelines, furniture) name none
    assert [s["article_id"] for s in summaries] == [json.loads(line)["id"] for line in corpus.read_text().splitlines()]
    for summary in summaries:
        mine = [r for r in rows if r["article_id"] == summary["article_id"]]
        assert [r["index"] for r in mine] == list(range(len(mine)))
        classified = [r for r in mine if not r["skipped"]]
        assert summary["sentences"] == len(classified) and summary["skipped"] == len(mine) - len(classified)
        russia = summary["targets"]["Russia"]
        support = sum(r["stance"]["Russia"]["label"] == "support" for r in classified)
        oppose = sum(r["stance"]["Russia"]["label"] == "oppose" for r in classified)
        assert russia["counts"]["support"] == support and russia["counts"]["oppose"] == oppose
        if russia["mentioned"]:
            assert russia["net_stance"] == pytest.approx((support - oppose) / russia["mentioned"], abs=1e-4)
        for evidence in russia["evidence"]["oppose"]:
            assert mine[evidence["index"]]["stance"]["Russia"]["label"] == "oppose"
        assert summary["outlet"] and summary["date"] and summary["model"] == model
    assert any(r["skipped"] and r["reason"] == "dateline" for r in rows)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_csv_and_parquet_outputs_hold_the_same_rows(
    fmt: str, corpus: Path, reference: OutputPaths, default_predictor, tmp_path: Path
) -> None:
    paths = OutputPaths.for_output(tmp_path / f"scored.{fmt}")
    score([str(corpus)], paths, default_predictor, progress=False)
    targets = default_predictor.target_names
    again = list(read_sentences(paths.sentences, targets))
    expected = jsonl(reference.sentences)
    assert len(again) == len(expected)
    for got, want in zip(again, expected, strict=True):
        assert {k: got[k] for k in ("article_id", "index", "start", "end", "text", "skipped", "reason")} == {
            k: want[k] for k in ("article_id", "index", "start", "end", "text", "skipped", "reason")
        }
        if not want["skipped"]:
            assert got["stance"]["NATO"]["label"] == want["stance"]["NATO"]["label"]
            assert got["stance"]["Ukraine"]["scores"]["oppose"] == pytest.approx(
                want["stance"]["Ukraine"]["scores"]["oppose"]
            )
            assert got["stance"]["Russia"]["mentions"] == want["stance"]["Russia"]["mentions"]
    summaries = list(read_records(paths.summary))
    assert [s["article_id"] for s in summaries] == [s["article_id"] for s in jsonl(reference.summary)]
    assert not paths.sentence_spool.exists() and not paths.journal.exists()


def test_txt_folder_csv_parquet_and_several_inputs(tmp_path: Path, default_tag: str) -> None:
    folder = make_corpus(tmp_path / "txt", 5, seed=11)
    csv_file = make_corpus(tmp_path / "more.csv", 4, seed=12)
    parquet = make_corpus(tmp_path / "more.parquet", 3, seed=13)
    # ids repeat across generated corpora: give each its own prefix
    for path in (csv_file,):
        path.write_text(path.read_text().replace("art-", "csv-"))
    import pyarrow.parquet as pq

    table = pq.read_table(parquet).to_pylist()
    for row in table:
        row["id"] = row["id"].replace("art-", "pq-")
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(table), parquet)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app, ["score", str(folder), str(csv_file), str(parquet), "-o", str(out), "--model", default_tag]
    )
    assert result.exit_code == 0, result.output
    ids = [s["article_id"] for s in jsonl(tmp_path / "out.articles.jsonl")]
    assert len(ids) == 12 and ids[0] == "art-0000000" and ids[5].startswith("csv-") and ids[-1].startswith("pq-")
    first = jsonl(out)[0]
    assert first["field"] == "title" and first["text"] == (folder / "art-0000000.txt").read_text().splitlines()[0]


def test_stdin_input(default_tag: str, tmp_path: Path) -> None:
    article = json.dumps({"id": "x1", "title": "Rusia Serang Kyiv", "text": "Rusia menyerang Kyiv. NATO bersidang."})
    result = runner.invoke(
        app, ["score", "-", "-o", str(tmp_path / "o.jsonl"), "--model", default_tag], input=article + "\n"
    )
    assert result.exit_code == 0, result.output
    assert [r["text"] for r in jsonl(tmp_path / "o.jsonl")] == [
        "Rusia Serang Kyiv",
        "Rusia menyerang Kyiv.",
        "NATO bersidang.",
    ]


def test_malformed_records_are_reported_skipped_and_counted(tmp_path: Path, default_tag: str) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b"\n".join(
            [
                json.dumps({"id": "ok1", "text": "NATO bersidang di Brussel."}).encode(),
                b'{"id": "broken", "text": ',
                json.dumps({"id": "notext"}).encode(),
                b'{"id": "latin", "text": "Caf\xe9 di Kyiv"}',
                json.dumps({"id": "ok1", "text": "Duplikat."}).encode(),
                json.dumps({"id": "ok2", "text": "Rusia menolak tuduhan itu."}).encode(),
            ]
        )
        + b"\n"
    )
    out = tmp_path / "o.jsonl"
    result = runner.invoke(app, ["score", str(source), "-o", str(out), "--model", default_tag])
    assert result.exit_code == 0, result.output
    assert "4 malformed record(s) skipped" in result.output
    for message in (
        f"{source}:2: invalid JSON",
        f"{source}:3: missing or empty 'text'",
        f"{source}:4: not UTF-8",
        f"{source}:5: duplicate article id 'ok1'",
    ):
        assert message in result.output
    assert [s["article_id"] for s in jsonl(tmp_path / "o.articles.jsonl")] == ["ok1", "ok2"]
    strict = runner.invoke(
        app, ["score", str(source), "-o", str(tmp_path / "s.jsonl"), "--model", default_tag, "--strict"]
    )
    assert strict.exit_code == 1 and f"{source}:2: invalid JSON" in strict.output
    assert not (tmp_path / "s.jsonl").exists()


def test_csv_without_text_column_is_reported(tmp_path: Path, default_tag: str) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,body\n1,Rusia menyerang.\n")
    result = runner.invoke(app, ["score", str(source), "-o", str(tmp_path / "o.jsonl"), "--model", default_tag])
    assert f"{source}:1: CSV header lacks column(s) text" in result.output


def test_unknown_output_format_is_a_clear_error(tmp_path: Path, corpus: Path, default_tag: str) -> None:
    result = runner.invoke(app, ["score", str(corpus), "-o", str(tmp_path / "out.xlsx"), "--model", default_tag])
    assert result.exit_code == 1 and "cannot tell the format" in result.output


def test_resume_after_kill_9_loses_and_duplicates_nothing(tmp_path: Path, default_tag: str, reference) -> None:
    from conftest import SESSION_HOME

    corpus = make_corpus(tmp_path / "big.jsonl", 200, seed=5)
    env = {**os.environ, "SIKAP_HOME": str(SESSION_HOME), "SIKAP_SCORE_WINDOW": "64"}
    out = tmp_path / "scored.jsonl"
    command = [sys.executable, "-m", "sikap.cli", "score", str(corpus), "-o", str(out), "--model", default_tag]
    process = ForkedProcess(command, Path.cwd(), env, quiet=True)  # forked from a server with the libraries imported
    journal = tmp_path / "scored.jsonl.journal"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not journal.exists() or journal.read_text().count("\n") < 10):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = journal.read_text().count("\n")
    assert 10 <= done_before < 200 and not out.exists()
    # a torn write: half an article's row after the last journal entry must be dropped on resume
    with (tmp_path / "scored.jsonl.partial.jsonl").open("ab") as spool:
        spool.write(b'{"article_id": "art-0000399", "index": 0, "te')
    resumed = run_forked([*command, "--resume"], Path.cwd(), env, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"{done_before} already done" in resumed.stderr
    fresh = tmp_path / "fresh.jsonl"
    assert run_forked([*command[:6], str(fresh), *command[7:]], Path.cwd(), env, timeout=300).returncode == 0
    assert out.read_bytes() == fresh.read_bytes()
    assert (tmp_path / "scored.articles.jsonl").read_bytes() == (tmp_path / "fresh.articles.jsonl").read_bytes()


def test_ray_engine_produces_the_same_rows(
    corpus: Path, reference: OutputPaths, default_predictor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sikap.batch.ray_engine import score as ray_score

    # Ray keeps its session's logs and sockets under $RAY_TMPDIR (else /tmp/ray): a folder of the test's own, short
    # (Unix socket paths are limited to 107 bytes), removed once the engine has stopped Ray
    ray_tmp = Path(tempfile.mkdtemp(prefix="ray-"))
    monkeypatch.setenv("RAY_TMPDIR", str(ray_tmp))
    paths = OutputPaths.for_output(tmp_path / "ray.jsonl")
    try:
        stats = ray_score([str(corpus)], paths, default_predictor, progress=False, actors=2)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    assert stats.articles == 40
    assert paths.sentences.read_bytes() == reference.sentences.read_bytes()
    assert paths.summary.read_bytes() == reference.summary.read_bytes()
