# pyspec: every task a user runs.  `make check` is the main job, `make test`
# runs the test suite; both set up a local virtualenv on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYSPEC := $(PY) -m pyspec
STAMP := $(VENV)/.installed
JUPYTER_STAMP := $(VENV)/.installed-jupyter
# worker processes per model for `make check` (`make check WORKERS=2` on two cores)
WORKERS ?= 1
# models `make check` checks at the same time, each in its own process
JOBS ?= 2

.PHONY: all bytecode check test test-jupyter lint fmt tla tlc tla2tools bench docs conformance clean

all: check

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The package's bytecode, as a regular (non-editable) install compiles it:
# an editable install leaves it to the first import, which never writes it
# where PYTHONDONTWRITEBYTECODE is set, so every run would compile pyspec's
# modules from source (about 0.1 s per process).  Compiles only what changed.
# Then the compiled engine's module (pyspec/engines/compiled/library.py),
# built once per machine and whenever the loop's sources change: before the
# checks or tests start, not inside the first of them.
bytecode: $(STAMP)
	@$(PY) -m compileall -q pyspec
	@$(PY) -m pyspec.engines.compiled.library

## check: check every model of every spec under spec/ with the embedded engine
check: $(STAMP) bytecode
	$(PYSPEC) lint --quiet spec
	$(PYSPEC) check --all --workers $(WORKERS) --jobs $(JOBS) spec

## test: run the test suite (and ruff on the Python code: pyproject.toml's rules)
test: $(STAMP) bytecode
	$(PY) -m ruff check --quiet .
	$(PY) -m pytest -q -rs

# The jupyter extra is not part of `make test`'s install: it adds about 220 MB
# (notebook and jupyterlab come with tlaplus-jupyter) to the 80 MB of '.[dev]'.
$(JUPYTER_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,jupyter]'
	touch $(JUPYTER_STAMP)

## test-jupyter: install the jupyter extra, then run the magic, kernel and notebook tests
test-jupyter: $(JUPYTER_STAMP)
	$(PY) -m pytest -q -rs tests/jupyter tests/test_notebook.py

## lint: static checks of every spec under spec/
lint: $(STAMP)
	$(PYSPEC) lint spec

## fmt: rewrite every spec under spec/ in the canonical layout (`pyspec fmt --check spec` is part of make test)
fmt: $(STAMP)
	$(PYSPEC) fmt spec

## tla: regenerate the TLA+ modules under tla/ (committed)
tla: $(STAMP)
	$(PYSPEC) tla --all spec -o tla
	$(PY) docs/gen/notebooks.py  # the TLA+ notebook holds tla/kvm/v3's module

## tlc: check every model with TLC (needs Java and tla2tools.jar)
tlc: $(STAMP)
	$(PYSPEC) tlc --all spec

## tla2tools: download the pinned TLC release into the per-user cache
tla2tools: $(STAMP)
	$(PY) -m pyspec.engines.tlc.jar --download

## docs: regenerate the generated docs: docs/memslots.md (real checker runs of spec/kvm),
##       docs/cli.md, the notebooks, docs/corpus.md, and the outputs pasted in the pages
docs: $(STAMP)
	$(PY) docs/gen/memslots.py
	$(PY) docs/gen/cli.py
	$(PY) docs/gen/notebooks.py
	$(PY) docs/gen/corpus.py
	$(PY) docs/gen/doc_blocks.py --write

## conformance: the KVM reference implementation against spec/kvm: 1000
## deterministic and 1000 threaded runs per version validated (full and partial
## observation), spec-driven tests, counterexample replay, the mutant suite
## (CONFORMANCE_ARGS=--help lists the knobs)
CONFORMANCE_ARGS ?=
conformance: $(STAMP)
	$(PY) -m pyspec.conformance.kvm $(CONFORMANCE_ARGS)

## bench: benchmarks (print figures and ratios; never part of the tests)
bench: $(STAMP)
	$(PY) bench/lint.py
	$(PY) bench/engines.py
	$(PY) bench/conformance.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
