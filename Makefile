# SkinShop — the two commands a fresh machine needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Stamps: a second run skips the install unless a requirements file changed.
RUN_STAMP := $(VENV)/.installed-run
BUILD_STAMP := $(VENV)/.installed-build
DEV_STAMP := $(VENV)/.installed-dev

# The real photographs `make model` trains on (see README: the ACNE04 folder).
ACNE04 ?= ../shared/data/acne04

.PHONY: run test bench model model-synthetic lint clean help

help:
	@echo "make run    - install, migrate, seed the demo catalog, start web + worker on http://127.0.0.1:8000"
	@echo "make test   - install and run the whole test suite"
	@echo "make bench  - run the benchmarks in bench/ and print their figures"
	@echo "make model  - rebuild the shipped model from ACNE04 + synthetic data (ACNE04=path)"
	@echo "make model-synthetic - rebuild the synthetic-only model (no real photographs)"
	@echo "make lint   - ruff over the project"
	@echo "make clean  - remove var/ (local database, broker, media), artifacts/ and test caches"
	@echo "make help   - this list"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"

$(RUN_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Model building's packages (training, evaluation), on top of the run time's.
$(BUILD_STAMP): requirements.txt requirements-build.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-build.txt
	touch $(RUN_STAMP) $@

$(DEV_STAMP): requirements.txt requirements-build.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(RUN_STAMP) $(BUILD_STAMP) $@

run: $(RUN_STAMP)
	@bash scripts/run.sh

test: $(DEV_STAMP)
	@bash scripts/test.sh $(ARGS)

bench: $(DEV_STAMP)
	@bash scripts/bench.sh

model: $(BUILD_STAMP)
	@test -f "$(ACNE04)/manifest.csv" || { echo "no ACNE04 folder at $(ACNE04): make model ACNE04=/path/to/acne04"; exit 2; }
	$(PY) -m modelbuilding build-model --acne04 "$(ACNE04)" --out diagnosis/ml/weights

model-synthetic: $(BUILD_STAMP)
	$(PY) -m modelbuilding build-synthetic --out diagnosis/ml/weights

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf var artifacts .pytest_cache
