# Two commands on a fresh machine (Python >= 3.11 and make):
#   make run    plan today's patrol on the embedded Uptown district (writes out/ and maps/)
#   make test   run the test suite (ruff + pytest)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[all,dev]"
	touch $@

run: $(VENV)/.installed
	$(BIN)/patrol district info
	$(BIN)/patrol plan --day tue --out out/tue
	$(BIN)/patrol plan check out/tue/plan.json
	$(BIN)/patrol district map

lint: $(VENV)/.installed
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out .pytest_cache
