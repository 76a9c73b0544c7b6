# The venv is rebuilt only when pyproject.toml changes (stamp: .venv/.installed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# Every core (pytest-xdist): each test owns its files, ports and PostgreSQL schema.
XDIST_ARGS ?= -n auto --dist loadgroup
BENCH_ARGS ?=

.PHONY: demo test lint bench clean lifecycle-docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: $(STAMP)
	$(BIN)/orderfsm demo

lint: $(STAMP)
	$(BIN)/ruff check orderfsm tests bench docs/examples
	$(BIN)/mypy --strict orderfsm
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest $(XDIST_ARGS) $(PYTEST_ARGS)

# After a change to orderfsm/fsm/lifecycle.py (tests fail until these match the table);
# then paste docs/lifecycle.mmd into README's mermaid block.
lifecycle-docs: $(STAMP)
	$(BIN)/orderfsm diagram -o docs/lifecycle.svg
	$(BIN)/orderfsm diagram -o docs/lifecycle.mmd
	$(BIN)/orderfsm lifecycle export --json -o docs/lifecycle.json

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info demo-output \
		.mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
