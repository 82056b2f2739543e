# inbox-worker: `make demo` (install + run the main job on the embedded default), `make test` (everything).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck unit system-deps bench wheel clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/inbox-worker demo

# Real servers for the integration tests, from Debian's packages (IMAP: Dovecot; browser tests: Chromium,
# driven by Playwright's Python package with executable_path=/usr/bin/chromium: never `playwright install`).
system-deps:
	@command -v dovecot >/dev/null 2>&1 || { \
	  echo "installing dovecot-imapd (Debian) for the IMAP tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; }
	@[ -x /usr/bin/chromium ] || { \
	  echo "installing chromium (Debian) for the browser tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# ruff, and the layering of the code (import-linter contracts in pyproject.toml: nothing imports upward).
lint: $(BIN)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(BIN)/.installed-test
	$(BIN)/mypy inbox_worker

# The suite runs in 4 pytest-xdist workers (each with its own databases, servers and ports): most tests wait
# on Dovecot, SMTP, PostgreSQL or Chromium, so 4 workers beat one per core on a 2-core machine (measured:
# 707 s with 2, 426 s with 4, 1,412 tests). Then the few tests that hold a latency to a bound run alone.
test: $(BIN)/.installed-test system-deps lint typecheck
	$(BIN)/pytest -q -n 4 -m "not timing"
	$(BIN)/pytest -q -m timing

bench: $(BIN)/.installed-test
	$(BIN)/python bench/ingest_bench.py --n 1000
	$(BIN)/python bench/web_bench.py --n 50000

# The installable program (code, migrations, demo, default rules and templates) in dist/; README "Installing the wheel".
wheel: $(BIN)/.installed-test
	$(BIN)/pip wheel --quiet --no-deps --no-build-isolation -w dist .

clean:
	rm -rf var build dist .pytest_cache .mypy_cache .ruff_cache
