# SkinShop — the two commands a fresh machine needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Stamps: a second run skips the install unless a requirements file changed.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test bench model worker lint clean help

help:
	@echo "make run    - install, migrate, seed the demo catalog, start web + worker on http://127.0.0.1:8000"
	@echo "make test   - install and run the whole test suite"
	@echo "make bench  - run the benchmarks in bench/ and print their figures"
	@echo "make model  - rebuild the shipped demo model from synthetic data"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"

$(RUN_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(RUN_STAMP) $@

run: $(RUN_STAMP)
	@bash scripts/run.sh

test: $(DEV_STAMP)
	@bash scripts/test.sh $(ARGS)

bench: $(DEV_STAMP)
	@bash scripts/bench.sh

model: $(RUN_STAMP)
	$(PY) -m diagnosis.ml build-demo --out diagnosis/ml/weights

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf var artifacts .pytest_cache
