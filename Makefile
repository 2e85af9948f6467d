# Two commands matter on a fresh machine: `make demo` and `make test`.
# Both build their own virtual environment; nothing needs installing by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck pytest docs bench wheel-check browser-deps clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP) lint typecheck browser-deps pytest docs
	@echo "make test: all checks passed"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Chromium for the browser tests; scripts/browser-deps says what it did.
browser-deps:
	@scripts/browser-deps

pytest: $(STAMP)
	@rm -f .coverage .coverage.*
	scripts/with-postgres scripts/run-pytest

docs: $(STAMP)
	@if [ -f docs/conf.py ]; then $(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html; fi

demo: $(STAMP)
	$(BIN)/python example_project/run_demo.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build test-output .coverage .coverage.*
