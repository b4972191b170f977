# `make demo`, `make test` and `make test-fast` each set everything up from nothing (a .venv
# here) and are idempotent: the install step reruns only when pyproject.toml or the lock changes.
# requirements.lock pins every package but torch to the version this venv, CI and cluster.yaml's
# nodes install (`make lock` regenerates it); torch is each host's own build (TORCH_SPEC).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.voxgraft-installed
# torch at the version the lock was resolved with: the CPU machines here carry its CPU wheel,
# which pip finds by itself; on a GPU host the same pin gets PyPI's CUDA build.
TORCH_VERSION := 2.13.0
TORCH_SPEC ?= torch==$(TORCH_VERSION)
DEMO_OUT ?= demo_out
PYTEST_ARGS ?=

.PHONY: demo test test-fast lint docs lock install clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
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

# Resolved against the CPU torch wheel (so no CUDA package enters the lock), then torch left
# out; needs a pip that finds torch==$(TORCH_VERSION)+cpu (here: /opt/wheels; elsewhere
# PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu).
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip-tools
	echo "torch==$(TORCH_VERSION)+cpu" > $(VENV)/torch-cpu.txt
	$(BIN)/pip-compile --quiet --extra test --unsafe-package torch --no-emit-index-url --no-emit-find-links --strip-extras \
		-c $(VENV)/torch-cpu.txt -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .hypothesis
