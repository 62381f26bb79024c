# gdprkit: `make run` to try it, `make test` to test it. Everything installs into
# ./.venv from pyproject.toml; nothing is installed system-wide except the
# Debian packages the browser and PDF tests need (`make system-deps`, run by
# `make test`).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench eval lint system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## run: install, migrate and start the API on the embedded SQLite store (./var)
run: $(VENV)/.installed
	$(BIN)/gdprkit migrate
	$(BIN)/gdprkit serve --host $(HOST) --port $(PORT)

## test: install what the tests need and run every test, PostgreSQL included
test: $(VENV)/.installed-dev system-deps
	$(BIN)/pytest -q --durations=15

## system-deps: Debian packages some tests need (only when missing; needs root)
# DejaVu (embedded by fpdf2) renders Norwegian letters in the access file's PDF;
# chromium drives the browser test.
SYSTEM_PACKAGES := fonts-dejavu-core chromium
system-deps:
	@missing=""; for pkg in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "ok installed" \
			|| missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends $$missing; \
	fi

## bench: benchmarks for SQLite and PostgreSQL, written to var/bench/
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

## eval: precision and recall of the sensitive-content detector
eval: $(VENV)/.installed-dev
	$(BIN)/python -m tests.eval.run_eval

## lint: ruff, mypy and the import contract
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
