"""Which transformer an ensemble serves: the int8 export it names, or the export's torch source in bf16."""

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import stored_from

from sikap.errors import SikapError
from sikap.models.ensemble import EnsemblePredictor
from sikap.models.ensemble.predictor import PARAMETERS_FILE, SENTIMENT_HEAD
from sikap.models.loading import MEMBER_ENV, choose_transformer_member, load_stored, load_transformer_member
from sikap.models.onnx.export import export_onnx
from sikap.models.store import StoredModel, delete_model, get_model
from sikap.models.transformer.predict import PRECISION_ENV
from sikap.text.targets import load_targets

BF16_CPU = frozenset({"avx2", "avx512f", "amx_bf16"})
AVX2_CPU = frozenset({"avx2", "fma"})
VNNI_CPU = AVX2_CPU | {"avx512f", "avx512_vnni"}  # int8 dot products, no bf16
SENTENCES = ["Rusia menembakkan rudal ke Kyiv.", "NATO mengecam serangan Rusia ke Ukraina."]


def stored(tag: str, kind: str, **metadata: str) -> StoredModel:
    return StoredModel(tag, kind, datetime.now(UTC), Path("/nowhere"), metadata)


EXPORT = stored("sikap-onnx:1-int8", "onnx", source="sikap:1", precision="int8")
FP32_EXPORT = stored("sikap-onnx:1-fp32", "onnx", source="sikap:1", precision="fp32")


@pytest.mark.parametrize(
    ("named", "source", "bf16", "int8", "setting", "expected"),
    [
        (EXPORT, "sikap:1", True, True, "auto", "sikap:1"),  # native bf16: bf16 torch
        (EXPORT, "sikap:1", False, True, "auto", "sikap-onnx:1-int8"),  # VNNI, no bf16: the int8 export
        (EXPORT, "sikap:1", False, False, "auto", "sikap:1"),  # neither: fp32 torch
        (FP32_EXPORT, "sikap:1", False, False, "auto", "sikap-onnx:1-fp32"),  # an fp32 export needs no VNNI
        (EXPORT, None, True, False, "auto", "sikap-onnx:1-int8"),  # no source: the export whatever the CPU
        (EXPORT, "sikap:1", True, False, "onnx", "sikap-onnx:1-int8"),
        (EXPORT, "sikap:1", False, True, "torch", "sikap:1"),
    ],
)
def test_member_choice(named: StoredModel, source: str | None, bf16: bool, int8: bool, setting: str, expected: str):
    tag, reason = choose_transformer_member(named, source, bf16, setting, native_int8=int8)
    assert tag == expected and reason


def test_forcing_torch_without_the_source_fails_clearly() -> None:
    with pytest.raises(SikapError, match=f"{MEMBER_ENV}=torch.*sikap:1 is not in the store"):
        choose_transformer_member(EXPORT, None, True, "torch")


def test_a_torch_member_is_served_as_named() -> None:
    assert choose_transformer_member(stored("sikap:2", "transformer"), None, True, "onnx")[0] == "sikap:2"


@pytest.fixture(scope="module")
def export_tag(tiny_transformer_archive: Path) -> Iterator[str]:
    """The tiny transformer and its fp32 export (the int8 one differs only in its graph), removed afterwards."""
    with stored_from(tiny_transformer_archive) as source:
        tag = export_onnx(source, "fp32")
        yield tag
        delete_model(tag)


@pytest.fixture
def ensemble(export_tag: str, default_tag: str, tmp_path: Path) -> StoredModel:
    """An ensemble of the export and the default, as the store would hand it (equal weights, no tempering)."""
    heads = {
        head: {"temperatures": {"transformer": 1.0, "default": 1.0}, "weights": {"transformer": 0.5, "default": 0.5}}
        for head in (SENTIMENT_HEAD, *(t.name for t in load_targets()))
    }
    (tmp_path / PARAMETERS_FILE).write_text(json.dumps({"heads": heads}))
    model = stored("sikap-ensemble:1", "ensemble")
    return replace(model, path=tmp_path, metadata={"members": {"transformer": export_tag, "default": default_tag}})


def cpu(flags: frozenset[str], monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    monkeypatch.setattr("sikap.cpu.cpu_flags", lambda: flags)
    for name in (MEMBER_ENV, PRECISION_ENV):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_a_bf16_cpu_serves_the_torch_source_in_bf16(
    ensemble: StoredModel, export_tag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cpu(BF16_CPU, monkeypatch)
    predictor = load_stored(ensemble)
    assert isinstance(predictor, EnsemblePredictor)
    member = predictor.describe()["transformer_member"]
    assert member["named"] == export_tag and member["loaded"] == get_model(export_tag).metadata["source"]
    assert member["kind"] == "transformer" and member["inference_precision"] == "bf16" and "bf16" in member["reason"]
    assert [r["model"] for r in predictor.predict(SENTENCES)] == ["sikap-ensemble:1"] * 2


def test_without_bf16_or_when_forced_the_export_is_served(
    ensemble: StoredModel, export_tag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for flags, env in ((AVX2_CPU, {}), (BF16_CPU, {MEMBER_ENV: "onnx"})):
        cpu(flags, monkeypatch, **env)
        member = load_stored(ensemble).describe()["transformer_member"]
        assert member["loaded"] == export_tag and member["kind"] == "onnx"
        assert "inference_precision" not in member


def test_forcing_torch_on_a_cpu_without_bf16_serves_it_in_fp32(
    ensemble: StoredModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    cpu(AVX2_CPU, monkeypatch, **{MEMBER_ENV: "torch"})
    member = load_stored(ensemble).describe()["transformer_member"]
    assert member["kind"] == "transformer" and member["inference_precision"] == "fp32"


def test_an_export_whose_source_is_gone_is_served_itself(export_tag: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cpu(BF16_CPU, monkeypatch)
    export = get_model(export_tag)
    orphan = replace(export, metadata={**export.metadata, "source": "sikap:20000101-000000-deadbeef"})
    predictor, choice = load_transformer_member(orphan)
    assert predictor.kind == "onnx" and "not in the store" in choice["reason"]


def test_an_int8_export_on_a_cpu_without_vnni_serves_its_source_in_fp32(
    export_tag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = get_model(export_tag)
    as_int8 = replace(export, metadata={**export.metadata, "precision": "int8"})  # the choice reads the metadata
    for flags, kind in ((AVX2_CPU, "transformer"), (VNNI_CPU, "onnx")):
        cpu(flags, monkeypatch)
        predictor, choice = load_transformer_member(as_int8)
        assert predictor.kind == kind and choice["loaded"] == (export.metadata["source"] if kind == "transformer" else export_tag)
    cpu(AVX2_CPU, monkeypatch)
    predictor, choice = load_transformer_member(as_int8)
    assert predictor.precision == "fp32" and "VNNI" in choice["reason"]


def test_an_invalid_member_setting_names_the_variable(ensemble: StoredModel, monkeypatch: pytest.MonkeyPatch) -> None:
    cpu(BF16_CPU, monkeypatch, **{MEMBER_ENV: "tensorrt"})
    with pytest.raises(SikapError, match=f"{MEMBER_ENV}='tensorrt'.*auto, onnx, torch"):
        load_stored(ensemble)


def test_the_ensemble_is_fitted_on_the_member_it_serves(
    export_tag: str, default_tag: str, sample_labels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a bf16 CPU the build fits its weights on the export's torch source in bf16, the member served there;
    forced to the export, on the export. The metadata says which. (Fitted on the sample labels' dev split: which
    member is fitted does not depend on how many sentences it scores.)"""
    from sikap.data.labels import load_labels
    from sikap.models.ensemble_builder import build_ensemble

    monkeypatch.setenv("SIKAP_LABELS", str(sample_labels))
    source = get_model(export_tag).metadata["source"]
    for env, loaded, kind in (({}, source, "transformer"), ({MEMBER_ENV: "onnx"}, export_tag, "onnx")):
        cpu(BF16_CPU, monkeypatch, **env)
        tag = build_ensemble(load_labels(), transformer=export_tag, default=default_tag)
        try:
            fitted = get_model(tag).metadata["fitted_with"]
            assert fitted["named"] == export_tag and fitted["loaded"] == loaded and fitted["kind"] == kind
        finally:
            delete_model(tag)
