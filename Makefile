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

# The real photographs `make model` trains on (see README: the ACNE04 folder, the shop's export).
# With SHOP_DATA (manage.py export_training_set OUT) ACNE04 is left out unless named;
# N_SYNTH=0 leaves the synthetic faces out; SEEDS=3 shows the spread over three seeds.
SHOP_DATA ?=
ifeq ($(SHOP_DATA),)
ACNE04 ?= ../shared/data/acne04
MODEL_OUT ?= diagnosis/ml/weights
else
ACNE04 ?=
MODEL_OUT ?= var/shop-model
endif
N_SYNTH ?= 1200
SEEDS ?= 1

.PHONY: run test bench model model-synthetic lint clean help

help:
	@echo "make run    - install, migrate, seed the demo catalog, start web + worker on http://127.0.0.1:8000"
	@echo "make test   - install and run the whole test suite"
	@echo "make bench  - run the benchmarks in bench/ and print their figures"
	@echo "make model  - rebuild the shipped model from ACNE04 + synthetic data (ACNE04=path),"
	@echo "              or build the shop's own (SHOP_DATA=export [ACNE04=path] [N_SYNTH=0] [SEEDS=3])"
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
	@test -z "$(SHOP_DATA)" -o -f "$(SHOP_DATA)/manifest.csv" || { echo "no export at $(SHOP_DATA): manage.py export_training_set $(SHOP_DATA)"; exit 2; }
	@test -z "$(ACNE04)" -o -f "$(ACNE04)/manifest.csv" || { echo "no ACNE04 folder at $(ACNE04): make model ACNE04=/path/to/acne04"; exit 2; }
	$(PY) -m modelbuilding build-model $(if $(SHOP_DATA),--shop-data "$(SHOP_DATA)") \
		$(if $(ACNE04),--acne04 "$(ACNE04)") --n-synth $(N_SYNTH) --seeds $(SEEDS) --out "$(MODEL_OUT)"

model-synthetic: $(BUILD_STAMP)
	$(PY) -m modelbuilding build-synthetic --out diagnosis/ml/weights

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf var artifacts .pytest_cache
