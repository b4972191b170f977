# `make demo`, `make test` and `make test-fast` each set everything up from nothing (a .venv
# here) and are idempotent: the install step reruns only when pyproject.toml changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.voxgraft-installed
# The CPU machines carry a local torch 2.13.0 CPU wheel that pip finds by itself; pinning it
# keeps pip from pulling a multi-GB CUDA build. Override on GPU hosts: make demo TORCH_SPEC=torch
TORCH_SPEC ?= torch==2.13.0
DEMO_OUT ?= demo_out
PYTEST_ARGS ?=

.PHONY: demo test test-fast lint docs install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/voxgraft demo --out $(DEMO_OUT)

# Everything, the slow tier included (tests/test_architecture.py runs ruff and import-linter).
test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Without the slow tier: no pretraining, no sweeps on Ray, no demo, no browser.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check voxgraft tests bench
	$(BIN)/lint-imports

# docs/metrics.md is generated from the metric registry (a test fails when it is stale).
docs: $(STAMP)
	$(BIN)/python -m voxgraft.evaluate.registry > docs/metrics.md

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .hypothesis
