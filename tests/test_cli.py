import json
from pathlib import Path

import pytest
from conftest import record, write_jsonl
from typer.testing import CliRunner

from sikap.cli import app
from sikap.models.baseline_predictor import ARTIFACT
from sikap.paths import REPO_ROOT

runner = CliRunner()


def test_classify_jsonl_file_keeps_order_and_ids(tmp_path: Path, default_tag: str) -> None:
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "s1", "text": "Kremlin mengecam NATO."},
            {"id": 7, "text": "Harga gula naik."},
            {"id": "s3", "text": "Zelensky bertemu Sekjen NATO."},
        ],
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["classify", "--input", str(source), "--output", str(out), "--model", default_tag])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["s1", "7", "s3"]
    assert rows[0]["stance"]["Russia"]["mentions"] == ["Kremlin"] and rows[0]["model"] == default_tag


def test_classify_plain_text_from_stdin(default_tag: str) -> None:
    result = runner.invoke(
        app, ["classify", "--model", default_tag], input="Rusia menyerang Kyiv.\n\nNATO bersidang.\n"
    )
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["Rusia menyerang Kyiv.", "NATO bersidang."]
    assert rows[0]["id"] is None


def test_classify_bad_line_names_file_and_line_and_leaves_output_untouched(tmp_path: Path, default_tag: str) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "s1", "text": "NATO bersidang."}, '{"id": "s2", "text": '])
    out = tmp_path / "out.jsonl"
    out.write_text("previous results\n")
    result = runner.invoke(app, ["classify", "-i", str(source), "-o", str(out), "--model", default_tag])
    assert result.exit_code == 1
    assert f"{source}:2: invalid JSON" in result.output
    assert out.read_text() == "previous results\n"
    assert list(tmp_path.glob(".out.jsonl.*")) == []


def test_classify_rejects_missing_text_wrong_encoding_and_missing_file(tmp_path: Path, default_tag: str) -> None:
    cases = {
        write_jsonl(
            tmp_path / "a.jsonl", [{"id": "s1", "txt": "NATO."}]
        ): 'a.jsonl:1: expected an object with a string "text"',
        write_jsonl(tmp_path / "b.jsonl", [{"id": "s1", "text": " "}]): 'b.jsonl:1: "text" is empty',
        tmp_path / "missing.jsonl": "missing.jsonl: no such file",
    }
    latin = tmp_path / "c.txt"
    latin.write_bytes("Rusia menyerang.\nCaf\xe9 di Kyiv\n".encode("latin-1"))
    cases[latin] = "c.txt:2: not UTF-8"
    for path, message in cases.items():
        result = runner.invoke(
            app, ["classify", "-i", str(path), "-o", str(tmp_path / "o.jsonl"), "--model", default_tag]
        )
        assert result.exit_code == 1 and message in result.output, result.output


def test_classify_unknown_model_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["classify", "--model", "sikap:nope"], input="NATO.\n")
    assert result.exit_code == 1 and "model 'sikap:nope' not found" in result.output


def test_labels_check_passes_on_shipped_data() -> None:
    result = runner.invoke(app, ["labels", "check"])
    assert result.exit_code == 0, result.output[-2000:]


def test_labels_check_reports_file_line_and_fails(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "targets.yaml").write_text((REPO_ROOT / "labels" / "targets.yaml").read_text())
    write_jsonl(
        tmp_path / "data" / "x.jsonl", [record("x-1", "Harga naik."), {**record("x-2", "Teks."), "sentiment": "meh"}]
    )
    monkeypatch.setenv("SIKAP_LABELS", str(tmp_path))
    result = runner.invoke(app, ["labels", "check"])
    assert result.exit_code == 1
    assert f"{tmp_path / 'data' / 'x.jsonl'}:2: unknown sentiment 'meh'" in result.output


def test_labels_check_warning_alone_does_not_fail(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "targets.yaml").write_text((REPO_ROOT / "labels" / "targets.yaml").read_text())
    write_jsonl(
        tmp_path / "data" / "x.jsonl", [record("x-1", "Aliansi itu memperkuat sayap timurnya.", NATO="neutral")]
    )
    monkeypatch.setenv("SIKAP_LABELS", str(tmp_path))
    result = runner.invoke(app, ["labels", "check"])
    assert result.exit_code == 0
    assert "x.jsonl:1: warning: NATO is 'neutral' but no alias" in result.output and "1 warning(s)" in result.output


def test_labels_stats_prints_counts_table() -> None:
    result = runner.invoke(app, ["labels", "stats", "--markdown"])
    assert result.exit_code == 0
    assert "| NATO support |" in result.output and "| no target |" in result.output


def test_models_list_export_import_roundtrip(tmp_path: Path, default_tag: str) -> None:
    listed = runner.invoke(app, ["models", "list"])
    assert default_tag.split(":")[0] in listed.output
    exported = runner.invoke(app, ["models", "export", default_tag, str(tmp_path / "m.bentomodel")])
    assert exported.exit_code == 0 and (tmp_path / "m.bentomodel").stat().st_size > 0
    from sikap.models.store import delete_model

    delete_model(default_tag)
    imported = runner.invoke(app, ["models", "import", str(tmp_path / "m.bentomodel")])
    assert imported.exit_code == 0 and default_tag in imported.output


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SIKAP_REQUEST_LOG", "sometimes", "SIKAP_REQUEST_LOG must be 1 or 0"),
        ("SIKAP_BATCH_GATHER_MS", "soon", "SIKAP_BATCH_GATHER_MS must be a number of milliseconds"),
        ("SIKAP_BATCH_POLL_MS", "500", "SIKAP_BATCH_POLL_MS must be between"),
    ],
)
def test_serve_refuses_a_bad_setting_before_starting(
    name: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args, **kwargs):
        raise AssertionError("nothing is built or started with a bad setting")

    monkeypatch.setattr("sikap.models.loading.ensure_loadable", never)
    monkeypatch.setattr("sikap.service.process.serve_until_signalled", never)
    result = runner.invoke(app, ["serve", "--no-upgrade"], env={name: value})
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_serve_names_a_stored_model_that_does_not_load_and_starts_nothing(tmp_path: Path, default_tag: str) -> None:
    """The check loads the model in a child process (this one only supervises the service's workers)."""
    import os
    import shutil
    import subprocess
    import sys

    from conftest import SESSION_HOME

    home = shutil.copytree(SESSION_HOME, tmp_path / "home", ignore=shutil.ignore_patterns("serve-*.log"))
    artifact = home / "models" / "sikap-default" / default_tag.split(":")[1] / ARTIFACT
    artifact.write_bytes(artifact.read_bytes()[:1000])  # cut short, as by a full disk
    done = subprocess.run(
        [sys.executable, "-m", "sikap.cli", "serve", "--no-upgrade", "--port", "1"],
        env={**os.environ, "SIKAP_HOME": str(home), "SIKAP_MODEL": default_tag},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"model {default_tag} (baseline) at" in done.stderr and "does not load: EOFError: Compressed file" in done.stderr
    assert "serving " not in done.stderr


def test_the_check_before_serving_builds_the_default_of_an_empty_store_in_its_child_process(
    tmp_path: Path, sample_labels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sikap serve``'s first step (:func:`sikap.models.loading.ensure_loadable`): the child process, not this one,
    builds the default into the empty store named by the environment, and returns it checked."""
    from sikap.models.loading import ensure_loadable

    home = tmp_path / "empty-home"
    monkeypatch.setenv("SIKAP_HOME", str(home))
    monkeypatch.setenv("BENTOML_HOME", str(home))
    monkeypatch.setenv("SIKAP_LABELS", str(sample_labels))
    model = ensure_loadable()
    assert model.kind == "baseline" and model.tag.startswith("sikap-default:")
    assert model.path.is_relative_to(home) and (model.path / ARTIFACT).is_file()
    # this process's own store (the session's) did not get it
    from sikap.models.store import list_models

    assert model.tag not in {m.tag for m in list_models()}


def test_a_stored_model_of_an_unknown_kind_is_named_in_the_error(tmp_path: Path) -> None:
    """A model whose metadata names a kind this version cannot load (a newer release's, a hand-edited file)."""
    from datetime import UTC, datetime

    from sikap.errors import SikapError
    from sikap.models.loading import load_stored
    from sikap.models.store import StoredModel

    model = StoredModel("sikap-future:1", "hologram", datetime.now(UTC), tmp_path, {})
    with pytest.raises(SikapError, match=r"model sikap-future:1 has unknown kind 'hologram'"):
        load_stored(model)
