# The two commands of the README: `make qv` and `make test`. Both create .venv when it is missing.
# .venv holds what a user installs (the package and its test tools); the benchmarks' peers
# (qiskit-experiments, qiskit-machine-learning) live in .venv-bench, so that the user's commands
# never import them (qiskit's synthesis plugins would load qiskit-experiments at every transpile).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_VENV ?= .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed
ARGS ?=

.PHONY: qv test fuzz bench bench-quick lint format clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	# byte-compile the package now, as pip does for what it installs into site-packages: an
	# editable install leaves it to the first run, which cannot cache it when
	# PYTHONDONTWRITEBYTECODE is set (then every process compiles about 50 modules, 0.1 s)
	$(PY) -m compileall -q quantumlimits
	touch $(STAMP)

$(BENCH_STAMP): pyproject.toml
	test -x $(BENCH_PY) || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --upgrade pip
	$(BENCH_PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

qv: $(STAMP)
	$(PY) -m quantumlimits qv --out results/qv $(ARGS)

test: $(STAMP)
	$(PY) -m ruff check quantumlimits tests bench
	$(PY) -m ruff format --check quantumlimits tests bench
	$(PY) -m mypy
	$(PY) -m pytest -q

# The CLI fuzz test with many random examples (make test runs a few, derandomized).
fuzz: $(STAMP)
	QUANTUMLIMITS_FUZZ_EXAMPLES=$${QUANTUMLIMITS_FUZZ_EXAMPLES:-400} $(PY) -m pytest tests/test_fuzz_cli.py -q $(ARGS)

# Whole-process benchmarks run quantumlimits on the user's interpreter ($(PY)) and the peers on
# the bench one.
bench: $(STAMP) $(BENCH_STAMP)
	QUANTUMLIMITS_USER_PYTHON=$(abspath $(PY)) $(BENCH_PY) -m pytest bench --benchmark-enable --benchmark-json=results/bench.json $(ARGS)

bench-quick: $(STAMP) $(BENCH_STAMP)
	QUANTUMLIMITS_USER_PYTHON=$(abspath $(PY)) $(BENCH_PY) -m pytest bench --benchmark-disable -q --quick $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check quantumlimits tests bench
	$(PY) -m ruff format --check quantumlimits tests bench
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format quantumlimits tests bench
	$(PY) -m ruff check --fix quantumlimits tests bench

clean:
	rm -rf $(VENV) $(BENCH_VENV) results build *.egg-info
