# The two set-up commands: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The tls extra (sslyze, AGPL-3.0, run only in a subprocess) lets the demo and the tests judge every TLS check.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,tls]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/conformance demo

test: $(STAMP)
	$(BIN)/ruff check conformance profiles fixtures tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,tls,bench]'
	$(BIN)/python bench/validate_bench.py
	$(BIN)/python bench/json_bench.py
	$(BIN)/python bench/api_bench.py

clean:
	rm -rf $(VENV) reports/* build *.egg-info
