"""Article context as a second segment, end to end on the tiny BERT: training, inference, ONNX, service."""

from pathlib import Path

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

from sikap.cli import app
from sikap.data.labels import load_labels
from sikap.models.loading import load_stored
from sikap.models.store import get_model
from sikap.models.transformer.config import TrainConfig
from sikap.models.transformer.encoding import encode
from sikap.models.transformer.predict import PRECISION_ENV
from sikap.models.transformer.train import train_transformer
from sikap.paths import targets_file
from sikap.service.api_models import MAX_CONTEXT_CHARS
from sikap.service.process import running_service
from sikap.text.targets import MentionDetector, load_targets

SENTENCE = "Rusia menolak usulan itu."
CONTEXTS = ["NATO Tawarkan Perundingan Baru", "Ukraina Serang Depot Minyak di Belgorod. Kyiv tidak berkomentar."]


@pytest.fixture(scope="module")
def context_tag(tiny_bert: Path, tmp_path_factory) -> str:
    config = TrainConfig(
        base_model=str(tiny_bert),
        epochs=1,
        batch_size=16,
        limit=160,
        run_dir=str(tmp_path_factory.mktemp("context-run")),
        head_learning_rate=5e-3,
        context="title+previous",
        context_length=24,
        max_length=48,
    )
    targets = load_targets()
    return train_transformer(config, load_labels(targets=targets), targets, targets_file())


def test_mention_masks_cover_the_sentence_not_its_context(tiny_bert: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    detector = MentionDetector(load_targets())
    names = [t.name for t in detector.targets]
    text, context = "Rusia menolak.", "NATO bersidang di Brussel."
    encoded = encode(tokenizer, [text], [detector.find(text)], names, 16, [context], 16)
    masks = dict(zip(names, encoded["target_mask"][0], strict=True))
    assert sum(masks["Russia"]) >= 1 and sum(masks["NATO"]) == 0
    assert len(encoded["input_ids"][0]) > len(tokenizer(text)["input_ids"])  # the context is in the input
    # a long context is cut so that the pair fits max_length + context_length
    long = encode(tokenizer, [text], [detector.find(text)], names, 16, [context * 20], 16)
    assert len(long["input_ids"][0]) == 32 and sum(dict(zip(names, long["target_mask"][0], strict=True))["Russia"]) >= 1


def test_the_model_reads_and_keeps_its_context_mode(context_tag: str) -> None:
    stored = get_model(context_tag)
    assert stored.metadata["config"]["context"] == "title+previous"
    predictor = load_stored(stored)
    assert predictor.context_mode == "title+previous"
    detector = predictor.detector
    mentions = [detector.find(SENTENCE)] * 3
    outputs = [predictor.probabilities([SENTENCE], mentions[:1], [c])[0] for c in ["", *CONTEXTS]]
    # the context changes what the model says about the same sentence
    assert not np.allclose(outputs[1], outputs[2], atol=1e-5)
    # no context at all is the same as an empty one
    alone = predictor.probabilities([SENTENCE], mentions[:1])[0]
    np.testing.assert_allclose(alone, outputs[0], atol=1e-6)


def test_onnx_export_of_a_context_model_reads_the_same_context(
    context_tag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PRECISION_ENV, "fp32")  # torch in bf16 where the CPU has it natively
    result = CliRunner().invoke(app, ["export", "--model", context_tag, "--onnx"])
    assert result.exit_code == 0, result.output
    onnx = load_stored(get_model(result.stdout.strip().splitlines()[-1]))
    torch_model = load_stored(get_model(context_tag))
    assert onnx.context_mode == "title+previous"
    texts = [SENTENCE] * len(CONTEXTS)
    mentions = [onnx.detector.find(t) for t in texts]
    got, want = (p.probabilities(texts, mentions, CONTEXTS) for p in (onnx, torch_model))
    np.testing.assert_allclose(got[0], want[0], atol=1e-4)
    np.testing.assert_allclose(got[1]["Russia"], want[1]["Russia"], atol=1e-4)
    assert not np.allclose(got[0][0], got[0][1], atol=1e-5)  # and the context matters there too


def test_service_passes_article_and_request_context(context_tag: str) -> None:
    from conftest import SESSION_HOME

    with running_service(SESSION_HOME, SIKAP_MODEL=context_tag) as service:
        url = service.url
        scores = []
        for context in CONTEXTS:
            body = httpx.post(f"{url}/classify", json={"sentences": [SENTENCE], "context": context}).json()
            assert body["model"] == context_tag, body
            scores.append(body["results"][0]["sentiment"]["scores"])
        assert scores[0] != scores[1]  # the request's context reached the model
        too_long = httpx.post(
            f"{url}/classify", json={"sentences": [SENTENCE], "context": "x" * (MAX_CONTEXT_CHARS + 1)}
        )
        assert too_long.status_code == 400 and "context" in too_long.text
        article = {"title": CONTEXTS[0], "text": f"Kremlin menanggapi tawaran itu pada Selasa. {SENTENCE}"}
        result = httpx.post(f"{url}/analyze", json={"articles": [article]}).json()["results"][0]
        last = [s for s in result["sentences"] if not s["skipped"]][-1]
        assert last["text"] == SENTENCE
        # /analyze reads the sentence with its headline and previous sentence: as /classify does given them
        given = httpx.post(
            f"{url}/classify",
            json={"sentences": [SENTENCE], "context": f"{CONTEXTS[0]} Kremlin menanggapi tawaran itu pada Selasa."},
        ).json()
        assert last["sentiment"]["scores"] == given["results"][0]["sentiment"]["scores"]
