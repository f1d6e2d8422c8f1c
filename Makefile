# Two front doors: `make demo` and `make test`. Both create .venv when it is missing and
# skip reinstalling when pyproject.toml and the package's modules have not changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Installed editable in "strict" mode (a link tree), which mypy can follow; a new module needs
# the link tree rebuilt, so the stamps depend on the list of package files.
SOURCES := $(shell find govern policies audits model_cards templates cli -type f \( -name '*.py' -o -name '*.yaml' -o -name '*.j2' -o -name '*.css' -o -name 'py.typed' \) 2>/dev/null | sort)
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check
EDITABLE := -e . --config-settings editable_mode=strict
EDITABLE_TEST := -e '.[test]' --config-settings editable_mode=strict

.PHONY: demo test lint typecheck pytest install install-test dev-install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Runtime dependencies: reinstalled only when pyproject.toml changes.
$(VENV)/.deps: pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) $(EDITABLE)
	touch $@

$(VENV)/.deps-test: pyproject.toml $(VENV)/.deps
	$(PIP_INSTALL) $(EDITABLE_TEST)
	touch $@

# The link tree: rebuilt (without touching dependencies) when package files are added or removed.
$(VENV)/.linktree: $(VENV)/.deps $(SOURCES)
	@ls $(SOURCES) > $(VENV)/.sources.new
	@if ! cmp -s $(VENV)/.sources.new $(VENV)/.sources; then \
		$(PIP_INSTALL) --no-deps $(EDITABLE) && mv $(VENV)/.sources.new $(VENV)/.sources; \
	else rm -f $(VENV)/.sources.new; fi
	touch $@

install: $(VENV)/.linktree
install-test: $(VENV)/.deps-test $(VENV)/.linktree

dev-install: install-test
	$(PIP_INSTALL) --no-deps $(EDITABLE)

demo: install
	$(BIN)/govern demo

lint: install-test
	$(BIN)/ruff check govern policies audits model_cards templates cli tests benchmarks
	$(BIN)/ruff format --check govern policies audits model_cards templates cli tests benchmarks

# mypy runs from another directory: from the root it would check the local govern/ folder only.
typecheck: install-test
	cd $(VENV) && bin/mypy --config-file ../pyproject.toml -p govern

pytest: install-test
	$(BIN)/pytest

test: lint typecheck pytest

bench: install-test
	$(BIN)/python benchmarks/bench_fairness.py

clean:
	rm -rf $(VENV) build *.egg-info .govern govern-demo .pytest_cache .mypy_cache .ruff_cache
