# The README's commands. Each installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export KCCONF_KEYCLOAK_VERSION ?= 26.5.6

.PHONY: install test test-integration lint format demo clean

$(BIN)/.installed: pyproject.toml scripts/system-deps
	bash scripts/system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed

lint: install
	$(BIN)/ruff check kcconf tests demo bench
	$(BIN)/ruff format --check kcconf tests demo bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format kcconf tests demo bench
	$(BIN)/ruff check --fix kcconf tests demo bench

# The whole suite: lint, types, unit tests and integration tests against a real Keycloak
# (KCCONF_KEYCLOAK_VERSION, default 26.5.6; or KCCONF_TEST_URL for one already running).
test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

# Only the tests that talk to Keycloak, e.g. `make test-integration KCCONF_KEYCLOAK_VERSION=26.7.3`.
test-integration: install
	$(BIN)/pytest -m integration $(PYTEST_ARGS)

demo: install
	BIN=$(BIN) bash demo/run.sh

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
