# Two entry points: `make figures` (every figure, quick scale) and `make test` (the test suite).
# Both install what they need first: Debian packages (as root), then a pinned virtual environment.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: setup figures test lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml tools/install_system.sh
	bash tools/install_system.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

figures: setup
	$(BIN)/snakemake --cores $(CORES) figures/all

test: setup
	$(BIN)/python -m pytest -ra

lint: setup
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow

clean:
	rm -rf results figures logs benchmarks .snakemake
