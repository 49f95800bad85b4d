# Two entry points, each creating the local virtual environment (.venv) on first use:
#   make run    the main job: a batch run over the bundled example services (results.csv)
#   make test   the whole test suite
#   make check  the fast tier for the inner loop (no notebooks, no slow tests; stops at the first failure)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test check bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test,notebook]"
	touch $@

run: $(VENV)/.installed
	$(BIN)/plcapacity batch data/examples/services.csv -o results.csv

test: $(VENV)/.installed
	$(BIN)/python -m pytest

check: $(VENV)/.installed
	$(BIN)/python -m pytest -x -q -m "not slow" --ignore=tests/test_notebooks.py

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_connection_ceiling.py
	$(BIN)/python benchmarks/bench_montecarlo.py
	$(BIN)/python benchmarks/bench_batch.py

clean:
	rm -rf $(VENV) .pytest_cache dist build
