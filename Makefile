# The two commands: `make run` serves Kustos on its embedded default, `make test` runs the tests.
# Both set up everything they need on a fresh machine (virtualenv, Python packages and, for
# the tests, the Debian packages of the real servers they start).

PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup system lint typecheck bench-smoke clean

run: setup
	$(BIN)/kustos serve

test: setup system
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup $(PYTEST_EXTRA) -m "not slow" tests
	$(BIN)/python -m pytest -q $(PYTEST_EXTRA) -m "slow" tests || test $$? -eq 5

setup: $(STAMP)

$(STAMP): pyproject.toml reader/pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || PY=python3; test -d $(VENV) || $${PY:-python3} -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	$(BIN)/pip install -q -e reader/
	touch $(STAMP)

system:
	bash scripts/setup-system.sh
	python3 scripts/fetch-app-manifest-schema.py

lint: setup
	$(BIN)/ruff check src tests bench fakecloud reader

typecheck: setup
	$(BIN)/mypy src/kustos/vault src/kustos/mail src/kustos/search src/kustos/sources src/kustos/backupguard src/kustos/config.py

clean:
	rm -rf $(VENV) var test-artifacts
