# Entry points: `make figures` (every figure, quick scale), `make test` (the test suite) and `make rehearsal`
# (the paper-scale DAG once on CPU; CI runs it after the tests).
# Both install what they need first: Debian packages (as root), then a pinned virtual environment.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: setup figures test rehearsal lint clean

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

# Every rule of the paper-scale DAG once, on this CPU, on miniature official data (tools/rehearsal); then the
# cost model's work models against the measured step times.
rehearsal: setup
	$(BIN)/python tools/rehearsal --cores $(CORES)
	$(BIN)/python scripts/estimate_cost.py --check-rehearsal

lint: setup
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow

clean:
	rm -rf results figures logs benchmarks .snakemake .rehearsal
