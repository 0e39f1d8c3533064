"""Inference precision: chosen per CPU (native bf16 or fp32), overridable by env; bf16 labels match fp32's."""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import stored_from

from sikap.cpu import cpu_flags, has_native_bf16
from sikap.data.labels import load_labels
from sikap.errors import SikapError
from sikap.models.loading import load_stored
from sikap.models.store import get_model
from sikap.models.transformer.predict import (
    PACKING_ENV,
    PRECISION_ENV,
    TransformerPredictor,
    auto_precision,
    inference_precision,
)

AVX2 = frozenset({"sse4_2", "avx", "avx2", "fma"})
AVX512_NO_BF16 = AVX2 | {"avx512f", "avx512bw", "avx512_vnni"}
SAPPHIRE_RAPIDS = AVX512_NO_BF16 | {"avx512_bf16", "amx_tile", "amx_bf16", "amx_int8"}
COOPER_LAKE = AVX512_NO_BF16 | {"avx512_bf16"}
# bf16 keeps 8 significant bits: the tiny model's softmax outputs move by well under this, so labels can differ only
# where fp32's top two probabilities are within 2 × the tolerance (a model trained one epoch has many such near-ties;
# the real e5-small agrees on every dev label, see README Performance).
PROBABILITY_TOLERANCE = 0.03


@pytest.fixture(scope="module")
def tiny_tag(tiny_transformer_archive: Path) -> Iterator[str]:
    with stored_from(tiny_transformer_archive) as tag:
        yield tag


@pytest.mark.parametrize(
    ("flags", "expected"),
    [(SAPPHIRE_RAPIDS, "bf16"), (COOPER_LAKE, "bf16"), (AVX512_NO_BF16, "fp32"), (AVX2, "fp32"), (frozenset(), "fp32")],
)
def test_auto_precision_follows_the_cpu_flags(flags: frozenset[str], expected: str) -> None:
    assert has_native_bf16(flags) == (expected == "bf16")
    assert auto_precision(flags) == expected
    assert inference_precision("auto", flags) == expected


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Xeon\nflags\t\t: fpu avx2 amx_bf16\n\nprocessor\t: 1\n")
    assert cpu_flags(str(cpuinfo)) == {"fpu", "avx2", "amx_bf16"}
    assert cpu_flags(str(tmp_path / "missing")) == frozenset()


def test_the_env_var_overrides_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PRECISION_ENV, "bf16")
    assert inference_precision(flags=AVX2) == "bf16"
    monkeypatch.setenv(PRECISION_ENV, " FP32 ")
    assert inference_precision(flags=SAPPHIRE_RAPIDS) == "fp32"
    monkeypatch.setenv(PRECISION_ENV, "auto")
    assert inference_precision(flags=SAPPHIRE_RAPIDS) == "bf16"
    monkeypatch.delenv(PRECISION_ENV)
    assert inference_precision(flags=AVX2) == "fp32"


def test_an_invalid_setting_names_the_variable_and_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PRECISION_ENV, "fp16")
    with pytest.raises(SikapError, match=f"{PRECISION_ENV}='fp16'.*auto, fp32, bf16"):
        inference_precision()


def test_loading_an_invalid_setting_fails_before_reading_weights(
    tiny_tag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PRECISION_ENV, "int4")
    with pytest.raises(SikapError, match=PRECISION_ENV):
        load_stored(get_model(tiny_tag))


def load_in(precision: str, tag: str, monkeypatch: pytest.MonkeyPatch) -> TransformerPredictor:
    monkeypatch.setenv(PRECISION_ENV, precision)
    predictor = load_stored(get_model(tag))
    assert isinstance(predictor, TransformerPredictor) and predictor.precision == precision
    assert predictor.describe()["inference_precision"] == precision
    return predictor


def test_bf16_probabilities_stay_within_the_tolerance_of_fp32(tiny_tag: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = load_labels().split("dev")[:300]
    fp32, bf16 = (load_in(p, tiny_tag, monkeypatch) for p in ("fp32", "bf16"))
    texts, mentions = [s.text for s in rows], [fp32.detector.find(s.text) for s in rows]
    (sent32, stance32), (sent16, stance16) = (p.probabilities(texts, mentions) for p in (fp32, bf16))
    heads = [(sent32, sent16)] + [(stance32[name], stance16[name]) for name in fp32.target_names]
    for p32, p16 in heads:
        assert np.abs(p32 - p16).max() < PROBABILITY_TOLERANCE
        top2 = np.sort(p32, axis=1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > 2 * PROBABILITY_TOLERANCE
        assert (p32.argmax(1) == p16.argmax(1))[clear].all()


def test_auto_loads_bf16_where_the_cpu_has_it(tiny_tag: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PRECISION_ENV, raising=False)
    for flags, expected in ((SAPPHIRE_RAPIDS, "bf16"), (AVX2, "fp32")):
        monkeypatch.setattr("sikap.cpu.cpu_flags", lambda flags=flags: flags)
        assert load_stored(get_model(tiny_tag)).precision == expected


def test_training_scores_dev_in_the_precision_it_will_be_served_in(
    tiny_tag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dev scoring during training (epoch choice, weight averaging, reports) runs as the served model will."""
    import torch

    from sikap.models.transformer import train

    served = load_stored(get_model(tiny_tag))
    used = []

    class Recording(TransformerPredictor):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            used.append(self.precision)

    monkeypatch.setattr(train, "TransformerPredictor", Recording)
    rows = load_labels().split("dev")[:40]
    for setting in ("bf16", "fp32"):
        monkeypatch.setenv(PRECISION_ENV, setting)
        metrics = train.evaluate_model(served.model, served.tokenizer, served.targets, rows, 64, torch.device("cpu"))
        assert used[-1] == setting and 0.0 <= metrics["sentiment"]["macro_f1"] <= 1.0
    assert served.model.training  # evaluation hands the model back in training mode


def test_packed_and_padded_inference_agree(tiny_tag: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The served path packs sentences into shared rows (SIKAP_PACKING=auto); off pads each batch instead."""
    rows = load_labels().split("dev")[:96]
    monkeypatch.setenv(PRECISION_ENV, "fp32")
    predictors = {}
    for setting in ("auto", "off"):
        monkeypatch.setenv(PACKING_ENV, setting)
        predictors[setting] = load_stored(get_model(tiny_tag))
        assert predictors[setting].describe()["packing"] == (setting == "auto")
    texts = [s.text for s in rows]
    mentions = [predictors["off"].detector.find(t) for t in texts]
    contexts = [rows[i - 1].text if i else "" for i in range(len(rows))]
    (sent_on, stance_on), (sent_off, stance_off) = (
        p.probabilities(texts, mentions, contexts) for p in (predictors["auto"], predictors["off"])
    )
    np.testing.assert_allclose(sent_on, sent_off, atol=1e-5)
    for name in predictors["off"].target_names:
        np.testing.assert_allclose(stance_on[name], stance_off[name], atol=1e-5)
    monkeypatch.setenv(PACKING_ENV, "sometimes")
    with pytest.raises(SikapError, match=f"{PACKING_ENV}='sometimes'.*auto, off"):
        load_stored(get_model(tiny_tag))
