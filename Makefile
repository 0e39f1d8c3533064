# Two commands do everything on a fresh machine with Python 3.11:
#   make serve   set up .venv and start the service on port 3000
#   make test    set up .venv and run the linter and the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 3000

.PHONY: setup serve test lint bento clean

setup: $(VENV)/.installed

# torch is pinned first: 2.13.0 is a CPU build here; an unpinned torch would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "torch==2.13.0"
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
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
