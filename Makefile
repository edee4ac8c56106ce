# The two commands of the README: `make qv` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: qv test fuzz bench bench-quick lint format clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

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

bench: $(STAMP)
	$(PY) -m pytest bench --benchmark-enable --benchmark-json=results/bench.json $(ARGS)

bench-quick: $(STAMP)
	$(PY) -m pytest bench --benchmark-disable -q --quick $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check quantumlimits tests bench
	$(PY) -m ruff format --check quantumlimits tests bench
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format quantumlimits tests bench
	$(PY) -m ruff check --fix quantumlimits tests bench

clean:
	rm -rf $(VENV) results build *.egg-info
