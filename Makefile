# Two commands on a fresh machine (Python >= 3.11 and make):
#   make run    plan today's patrol on the embedded Uptown district (writes out/ and maps/)
#   make test   run the test suite (ruff + mypy + pytest)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[all,dev]"
	touch $@

# compile the Numba kernels once, ahead of the first plan (cached on disk next to the sources)
$(VENV)/.warm: $(VENV)/.installed
	$(BIN)/patrol warmup
	touch $@

run: $(VENV)/.warm
	$(BIN)/patrol district info
	$(BIN)/patrol plan --day tue --out out/tue
	$(BIN)/patrol plan check out/tue/plan.json
	$(BIN)/patrol district map

lint: $(VENV)/.installed
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest -q -n auto --dist loadfile --durations=15

clean:
	rm -rf $(VENV) out .pytest_cache
