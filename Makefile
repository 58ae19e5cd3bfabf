# Two commands do all the set-up on a fresh machine:  make run  and  make test.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3

export FLASK_APP := app.py
export PYTHAINLP_OFFLINE := 1
export PYTHAINLP_READ_ONLY := 1

PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test lint format install assets translations extract-messages clean bench soak

run: install assets translations instance/config.py  ## set up, migrate, load the demo, serve
	$(BIN)/flask db upgrade
	$(BIN)/flask exchange demo --if-empty
	FLASK_DEBUG=1 $(BIN)/flask run --host 127.0.0.1 --port 5000

test: install assets translations lint  ## ruff, then the whole test suite
	$(BIN)/pytest

bench: install assets translations  ## the large benchmark on PostgreSQL with wrk, against its floor
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

soak: install assets translations  ## 10 min of mixed load on PostgreSQL, a worker killed, SMTP down a minute
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# A local secret key, made once; instance/ is never committed.
instance/config.py:
	mkdir -p instance
	$(PYTHON) -c 'import secrets; print(f"SECRET_KEY = {secrets.token_hex(32)!r}")' > $@

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

assets: static/vendor/.built

static/vendor/.built: package.json package-lock.json scripts/vendor.mjs
	npm ci --no-audit --no-fund --loglevel=error
	node scripts/vendor.mjs
	touch $@

translations: install $(MO_FILES)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

extract-messages: install  ## after changing visible strings: update the catalogues, then translate
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --no-location --sort-output --ignore-dirs='.* node_modules' .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap

clean:
	rm -rf $(VENV) node_modules static/vendor $(MO_FILES)
