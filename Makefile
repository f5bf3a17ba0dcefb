# Two commands on a fresh machine with Python 3.10+ and make:
#   make demo   set up .venv and run the main job
#   make test   set up .venv and run the test suite
#   make bench  (optional) also install the peers (PyTorch CPU, JAX, SciPy) and time nnmath
#               against them; writes benchmarks/RESULTS.md
#   make accuracy  (optional) the same peers; measure nnmath and them in ulps (sampled;
#               EXHAUSTIVE=1 adds all 2³² float32 patterns, about an hour on 2 cores, kept
#               in .accuracy-sweep/ so that a stopped sweep resumes); writes docs/ACCURACY.md
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-slow lint docs-images bench accuracy peers clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,plot,io,cli,dask,array-api]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/nnmath tour

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	$(BIN)/python -m ruff check src tests tools examples benchmarks
	$(BIN)/python -m mypy

# PyTorch CPU and JAX CPU beside nnmath, so that the array-library tests run against them
# (without them those tests skip); CI runs this before `make test`
peers: $(STAMP)
	$(BIN)/python -m pip install --quiet 'torch==2.13.0'
	$(BIN)/python -m pip install --quiet -e '.[bench]'

# torch pinned to the CPU build measured in RESULTS.md
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet 'torch==2.13.0'
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench.py --write

accuracy: $(STAMP)
	$(BIN)/python -m pip install --quiet 'torch==2.13.0'
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/accuracy.py --mode $(if $(EXHAUSTIVE),exhaustive,sampled) \
		--write docs/ACCURACY.md

docs-images: $(STAMP)
	$(BIN)/python tools/make_docs_images.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache nnmath-tour
