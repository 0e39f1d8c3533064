from pathlib import Path

import pytest

from sikap.errors import InputError
from sikap.models.transformer.config import TrainConfig
from sikap.paths import REPO_ROOT


def test_shipped_config_loads_and_cli_overrides_win() -> None:
    config = TrainConfig.load(REPO_ROOT / "training" / "config.yaml", epochs=2, seed=None)
    assert config.base_model is None  # unset: IndoBERT if loadable, else e5-small
    e5 = TrainConfig.load(REPO_ROOT / "training" / "config-e5.yaml")
    assert e5.freeze_embeddings and e5.max_length <= 128 and e5.context == "title+previous"
    assert config.epochs == 2 and config.seed == 13


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("epochs: 0\n", "epochs must be at least 1"),
        ("pooling: max\n", "pooling must be one of"),
        ("learning_rate: 3\n", "learning_rate must be in (0, 1)"),
        ("device: tpu\n", "device must be auto, cpu, cuda or mps"),
        ("context: article\n", "context must be one of none, title+previous"),
        ("context_length: -1\n", "context_length must be 0 or more"),
        ("epoch: 3\n", "unknown setting(s) epoch"),
        ("- just a list\n", "expected a mapping"),
        ("epochs: [\n", "invalid YAML"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml_text)
    with pytest.raises(InputError) as error:
        TrainConfig.load(path)
    assert message in str(error.value)


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"config\.yaml: config file not found"):
        TrainConfig.load(tmp_path / "config.yaml")
