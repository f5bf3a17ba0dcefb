# Two commands on a fresh machine with Python 3.10+, make and a C compiler:
#   make demo   set up .venv and run the main job
#   make test   set up .venv and run the test suite
# Setting up .venv: the build tools (meson-python, meson, ninja, numpy) go into it first,
# then nnmath as an editable install without build isolation, so that the compiled core
# (src/nnmath/_core) is rebuilt on import whenever its C sources change.
#   make test-asan  the core's tests against a build with AddressSanitizer + UBSan
#   make test-valgrind  a sample of the core's ufunc calls under valgrind memcheck
#   make dist-check  build the sdist and the wheel (python -m build), install each into a
#               fresh venv and run the sdist's tests against it (minutes; needs the index)
#   make check-portable  the core's portable path (AArch64, MSVC) compiled -pedantic with
#               gcc, clang and aarch64-linux-gnu-gcc, and run under qemu-aarch64, if present
#   make bench  (optional) also install the peers (PyTorch CPU, JAX, SciPy) and time nnmath
#               against them, every target of the issue in one run (about 10 minutes on
#               2 quiet cores; benchmarks/README.md); writes benchmarks/RESULTS.md
#   make accuracy  (optional) the same peers; measure nnmath and them in ulps (sampled;
#               EXHAUSTIVE=1 adds all 2³² float32 patterns, about an hour on 2 cores, kept
#               in .accuracy-sweep/ so that a stopped sweep resumes); writes docs/ACCURACY.md
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# the venv's meson and ninja first on the path: the editable install records them and
# calls them again on import to rebuild the core
export PATH := $(CURDIR)/$(BIN):$(PATH)
BUILD_TOOLS := 'meson-python>=0.18' 'meson>=1.4' ninja 'numpy>=2.0'
PIP_E := $(BIN)/python -m pip install --quiet --no-build-isolation -e

.PHONY: demo test test-slow test-asan test-valgrind dist-check check-portable lint \
	docs-images bench accuracy peers clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml meson.build src/nnmath/meson.build src/nnmath/_core/meson.build \
		| $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(BUILD_TOOLS)
	$(PIP_E) '.[test,plot,io,cli,dask,array-api]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/nnmath tour

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

lint: $(STAMP)
	$(PIP_E) '.[test,lint]'
	$(BIN)/python -m ruff check src tests tools examples benchmarks
	$(BIN)/python -m mypy

# PyTorch CPU and JAX CPU beside nnmath, so that the array-library tests run against them
# (without them those tests skip); CI runs this before `make test`
peers: $(STAMP)
	$(BIN)/python -m pip install --quiet 'torch==2.13.0'
	$(PIP_E) '.[bench]'

# torch pinned to the CPU build measured in RESULTS.md
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet 'torch==2.13.0'
	$(PIP_E) '.[bench]'
	$(BIN)/python benchmarks/bench.py --write
	$(BIN)/python benchmarks/torch_speed.py --write

accuracy: $(STAMP)
	$(BIN)/python -m pip install --quiet 'torch==2.13.0'
	$(PIP_E) '.[bench]'
	$(BIN)/python benchmarks/accuracy.py --mode $(if $(EXHAUSTIVE),exhaustive,sampled) \
		--write docs/ACCURACY.md

docs-images: $(STAMP)
	$(BIN)/python tools/make_docs_images.py

# the core built with AddressSanitizer + UBSan in build/asan (apart from the editable
# build) and installed under build/asan/site; tests/test_core.py runs against that copy
# with the sanitizer runtimes preloaded into the interpreter
ASAN_DIR := build/asan
test-asan: $(STAMP)
	test -f $(ASAN_DIR)/build.ninja || $(BIN)/meson setup $(ASAN_DIR) \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized
	$(BIN)/meson compile -C $(ASAN_DIR)
	rm -rf $(ASAN_DIR)/site
	$(BIN)/meson install -C $(ASAN_DIR) --quiet --no-rebuild --destdir site
	ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
		$(BIN)/python tools/run_from_site.py $(ASAN_DIR)/site \
		-q -p no:cacheprovider tests/test_core.py tests/test_core_losses.py tests/test_exact.py \
		tests/test_core_losses_more.py tests/test_metrics_thresholds.py \
		tests/test_core_counts.py tests/test_core_buffers.py

test-valgrind: $(STAMP)
	tools/valgrind_core.sh $(BIN)/python

dist-check:
	PYTHON=$(PYTHON) tools/dist_check.sh build/dist-check

check-portable: $(STAMP)
	PYTHON=$(BIN)/python tools/check_portable_core.sh

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache nnmath-tour
