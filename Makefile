# Entry points, each creating the local virtual environment (.venv) on first use:
#   make run    the main job: a batch run over the bundled example services (results.csv),
#               with the seed the README's output shows
#   make test   the whole test suite (both tiers below)
#   make check  the fast tier for the inner loop (no notebooks, no slow tests; stops at the first
#               failure): under 3 minutes on two busy cores
#   make slow   the slow tier: the tests marked slow (whole random sweeps, long Monte Carlo
#               checks, interrupted runs, the wheel build) and the notebooks in a fresh kernel:
#               under 12 minutes
# No test reads the clock: the tiers differ in how long they take, never in what may fail.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test check slow bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test,notebook]"
	touch $@

run: $(VENV)/.installed
	$(BIN)/plcapacity batch data/examples/services.csv -o results.csv --seed 2026

test: $(VENV)/.installed
	$(BIN)/python -m pytest

check: $(VENV)/.installed
	$(BIN)/python -m pytest -x -q -m "not slow" --ignore=tests/test_notebooks.py

slow: $(VENV)/.installed
	$(BIN)/python -m pytest -q -m "slow or notebook"

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_connection_ceiling.py
	$(BIN)/python benchmarks/bench_montecarlo.py
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_hostile.py

clean:
	rm -rf $(VENV) .pytest_cache dist build
