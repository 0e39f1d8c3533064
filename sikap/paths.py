"""Where Sikap finds its labels and keeps its models.

Both default to folders of the repository, so a clone is self-contained; the
environment variables ``SIKAP_LABELS`` and ``SIKAP_HOME`` move them, and ``SIKAP_CACHE``
the cache (results that can be recomputed, keyed by what they were computed from).
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def labels_dir() -> Path:
    """Folder holding ``targets.yaml`` and ``data/*.jsonl``."""
    return Path(os.environ.get("SIKAP_LABELS", REPO_ROOT / "labels"))


def targets_file() -> Path:
    return labels_dir() / "targets.yaml"


def bento_root() -> Path | None:
    """The Bento this code runs from (its sources are ``<bento>/src``), or None for a checkout or an install."""
    root = REPO_ROOT.parent
    return root if (root / "bento.yaml").is_file() else None


def sikap_home() -> Path:
    """Root of the BentoML home (model store and Bentos); ``models/`` by default. Inside a Bento it is
    BentoML's own home (``BENTOML_HOME``, else ``~/bentoml``), where BentoML found the Bento and its models;
    ``SIKAP_HOME`` does not apply there."""
    if bento_root() is not None:
        return Path(os.environ.get("BENTOML_HOME") or Path.home() / "bentoml")
    return Path(os.environ.get("SIKAP_HOME") or os.environ.get("BENTOML_HOME") or REPO_ROOT / "models")


def cache_dir() -> Path:
    """Results kept for later processes, each under a key of everything it was computed from (so any number of
    stores and processes can share one): ``SIKAP_CACHE``, else ``cache/`` in the home."""
    return Path(os.environ.get("SIKAP_CACHE") or sikap_home() / "cache")


def use_sikap_home() -> Path:
    """Point BentoML at Sikap's home. Call before ``bentoml`` is imported."""
    home = sikap_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["BENTOML_HOME"] = str(home)
    return home
