# clipkit developer and demo tasks. Every target is safe to run again.
#
#   make demo     set up if needed, then cut the shipped samples into Reels clips in out/
#   make test     set up if needed, then run the test suite
#
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.clipkit-installed
OUT    ?= out

.PHONY: setup demo test lint samples bench clean

setup: $(STAMP)

# Re-install only when the package metadata changes: a second `make setup` is instant.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "clipkit needs Python >= 3.10, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

demo: setup
	$(BIN)/clipkit cut --preset reels samples/ -o $(OUT)/

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check clipkit tests bench
	$(BIN)/ruff format --check clipkit tests bench
	$(BIN)/mypy clipkit

samples: setup
	$(BIN)/python -m clipkit.samplegen samples/

bench: setup
	$(BIN)/python bench/accuracy.py
	$(BIN)/python bench/speed.py
	$(BIN)/python bench/render.py

clean:
	rm -rf $(OUT) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
