# Children's Champions LMS. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
FLASK  := $(BIN)/flask --app lms

.DEFAULT_GOAL := help
.PHONY: help setup run reset-demo test test-fast e2e lint fmt check-content bench clean translations translations-fold fonts

# `make run PORT=8080` serves on another port; links in QR codes, verification and join pages
# follow it unless LMS_PUBLIC_URL is set.
HOST ?= 127.0.0.1
PORT ?= 5000
SQLITE := instance/lms.sqlite3

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t18

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

setup: $(STAMP) ## create .venv and install the app with its test tools
	@$(BIN)/python -m lms.i18n

translations: $(STAMP) ## extract the interface's strings, update each catalogue (lms/translations), compile with its fragments
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k lazy_gettext -k N_ -o lms/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i lms/translations/messages.pot -d lms/translations
	$(BIN)/python -m lms.i18n

translations-fold: translations ## write every fragment's translations into messages.po and remove the fragments it now holds
	$(BIN)/python -m lms.i18n --fold

fonts: $(STAMP) ## cut the Urdu web font to the characters in use (needs Debian's fonts-noto-core; FONT_SOURCE=...ttf)
	$(BIN)/python tools/subset_urdu_font.py $(if $(FONT_SOURCE),--source $(FONT_SOURCE))

run: export LMS_PUBLIC_URL ?= http://$(HOST):$(PORT)
run: $(STAMP) ## set up, check the content, migrate the SQLite database, seed demo accounts once, serve http://127.0.0.1:5000 (PORT=...)
	@$(FLASK) lms check-content
	$(FLASK) db upgrade
	$(FLASK) lms seed-demo
	$(FLASK) run --host $(HOST) --port $(PORT)

reset-demo: $(STAMP) ## start the embedded demo database again: delete it (with its WAL and SHM files), migrate, seed
	@if [ -n "$$LMS_DATABASE_URL" ]; then echo "reset-demo only resets the embedded SQLite database ($(SQLITE)); LMS_DATABASE_URL is set." >&2; exit 1; fi
	rm -f $(SQLITE) $(SQLITE)-wal $(SQLITE)-shm
	$(FLASK) db upgrade
	$(FLASK) lms seed-demo

test: $(STAMP) ## set up, then run the whole test suite (browser tests skip without Chromium)
	$(BIN)/python -m pytest -q

e2e: $(STAMP) ## only the browser tests
	$(BIN)/python -m pytest -q -m e2e tests/e2e

lint: $(STAMP) ## ruff
	$(BIN)/ruff check lms tests bench tools
	$(BIN)/ruff format --check lms tests bench tools

fmt: $(STAMP) ## format the code with ruff
	$(BIN)/ruff check --fix lms tests bench tools
	$(BIN)/ruff format lms tests bench tools

check-content: $(STAMP) ## validate courses/ and quizzes/, listing every problem
	$(FLASK) lms check-content

bench: $(STAMP) ## run the benchmarks (gunicorn, SQLite and PostgreSQL if reachable) and print ratios
	$(BIN)/python -m bench

clean: ## remove the virtual environment and caches (keeps instance/ data)
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
