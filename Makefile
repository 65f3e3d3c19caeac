# hourbook: `make build` sets up .venv and builds the example books into site/; `make test` runs the tests
# (all of them, as CI does); `make test-fast` leaves out the ones marked slow.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: build test test-fast check clean bench fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# hourbook's own modules compiled once, so that no command compiles them again as it starts
# (where PYTHONDONTWRITEBYTECODE is set, Python never keeps what it compiles): 0.05-0.1 s a command.
COMPILE := $(BIN)/python -m compileall -q src > /dev/null

build: $(STAMP)
	$(COMPILE)
	$(BIN)/hourbook build .

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Everything but the kill, crash, fuzz, browser, PDF-validity, golden-output and long property tests: under a minute.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

check: $(STAMP)
	$(BIN)/hourbook check .

# Benchmark on synthetic books: 10k and 100k entries by default; BENCH_SIZES=10000,100000,1000000 for 1M.
bench: $(STAMP)
	$(COMPILE)
	$(BIN)/python bench/run.py

# Fuzz check, price and build with 100,000 broken books (hours on two cores); failing inputs go to
# .hypothesis/fuzz-failures/. A shorter run: $(BIN)/python tests/fuzz/run_fuzz.py --count 2000
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz/run_fuzz.py --count 100000

clean:
	rm -rf $(VENV) site .site.new-* .site.old-* src/*.egg-info .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
