"""Resolve a base model from a local directory, the Hugging Face cache, or the Hub, with one clear error."""

from pathlib import Path

from sikap.errors import ModelNotFoundError

HINT = (
    "To use it offline, download it on a connected machine with\n"
    "    huggingface-cli download {name} --local-dir DIR\n"
    "copy DIR here, and pass --base-model DIR."
)


def _hub_reachable(timeout: float = 5.0) -> bool:
    import httpx
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    try:
        httpx.head(constants.ENDPOINT, timeout=timeout)
    except httpx.HTTPError:
        return False
    return True


def _cached(name: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(name, "config.json"), str)


def load_tokenizer_and_encoder(name: str):
    """``(tokenizer, encoder)`` for a Hub id or a ``save_pretrained`` directory.

    Raises :class:`ModelNotFoundError` naming the model and how to supply it when it
    cannot be loaded (no network, wrong id, broken directory).
    """
    from transformers import AutoModel, AutoTokenizer

    path = Path(name).expanduser()
    is_dir = path.is_dir()
    looks_like_path = name.startswith((".", "/", "~")) or name.count("/") > 1 or path.exists()
    if not is_dir and looks_like_path:
        raise ModelNotFoundError(f"base model {name!r}: no such directory. " + HINT.format(name=DEFAULT_HINT_ID))
    if not is_dir and not _cached(name) and not _hub_reachable():
        raise ModelNotFoundError(
            f"base model {name!r} is not a local directory, not in the Hugging Face cache, "
            "and the Hub cannot be reached. " + HINT.format(name=name)
        )
    source = str(path) if is_dir else name
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, use_fast=True)
        encoder = AutoModel.from_pretrained(source)
    except (OSError, ValueError, KeyError) as exc:
        where = "directory" if is_dir else "model id"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelNotFoundError(
            f"base model {where} {name!r} could not be loaded ({first_line}). "
            "A base model directory needs config.json, the weights and the tokenizer files "
            "written by save_pretrained. " + HINT.format(name=name if not is_dir else DEFAULT_HINT_ID)
        ) from None
    if not getattr(tokenizer, "is_fast", False):
        raise ModelNotFoundError(
            f"base model {name!r} has no fast tokenizer (tokenizer.json); Sikap needs one for mention offsets"
        )
    return tokenizer, encoder


DEFAULT_HINT_ID = "indobenchmark/indobert-base-p1"
