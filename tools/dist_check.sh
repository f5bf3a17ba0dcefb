#!/usr/bin/env bash
# `make dist-check`: build the sdist and the wheel as a user would (`python -m build`, with
# build isolation: meson-python, meson, ninja and NumPy come from the package index), check
# what each holds, install each into a fresh virtualenv (the sdist compiles the core there)
# (with the extras `make test` installs) and run the test suite from the sdist's tests/
# against each installation.
#   tools/dist_check.sh [WORKDIR]      (default: build/dist-check; removed first)
# PYTHON (default python3) makes the virtualenvs; DIST_CHECK_PYTEST sets pytest's
# arguments (default: -q -x -p no:cacheprovider -m "not slow" tests; split on blanks).
# Exit status 1 on a failure. It takes minutes (the core is compiled twice).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}
W=$(realpath -m "${1:-build/dist-check}")
rm -rf "$W"
mkdir -p "$W"
log() { printf '\n== %s\n' "$*"; }
fail() { echo "dist-check: error: $*" >&2; exit 1; }

log "python -m build (sdist, then the wheel from the sdist)"
"$PY" -m venv "$W/build-venv"
"$W/build-venv/bin/python" -m pip install --quiet build
"$W/build-venv/bin/python" -m build --outdir "$W/dist" "$ROOT" > "$W/build.log" 2>&1 \
    || { tail -30 "$W/build.log"; fail "python -m build failed; see $W/build.log"; }
sdist=$(ls "$W"/dist/nnmath-*.tar.gz)
wheel=$(ls "$W"/dist/nnmath-*.whl)
echo "$sdist"; echo "$wheel"

log "the sdist holds what the build and the tests need"
tar tzf "$sdist" | sed 's|^[^/]*/||' | sort > "$W/sdist.txt"
for f in pyproject.toml meson.build README.md tools/meson_version.py \
         src/nnmath/meson.build src/nnmath/_core/meson.build src/nnmath/py.typed \
         src/nnmath/_core/src/kernels.c src/nnmath/_core/src/module.c \
         src/nnmath/_core/src/pool.c src/nnmath/_core/src/math/nnm_math.h \
         tests/reference/mp_activations.py tests/data/docs_sample.md \
         examples/train_mlp_digits.py; do
    grep -qxF "$f" "$W/sdist.txt" || fail "the sdist lacks $f"
done
# every file the checkout tracks under the paths the build and the tests read
for d in src tests docs tools benchmarks examples; do
    missing=$(cd "$ROOT" && git ls-files "$d" | grep -vxFf "$W/sdist.txt" || true)
    [ -z "$missing" ] || fail "the sdist lacks tracked files under $d/: $missing"
done
echo "ok: $(wc -l < "$W/sdist.txt") files, every tracked file under src tests docs tools" \
     "benchmarks examples"

log "the wheel holds the compiled core and py.typed, and no C sources"
"$PY" -m zipfile -l "$wheel" | awk 'NR > 1 {print $1}' > "$W/wheel.txt"
grep -qE '^nnmath/_core/_umath\..*(so|pyd)$' "$W/wheel.txt" || fail "no compiled core in the wheel"
grep -qx 'nnmath/py.typed' "$W/wheel.txt" || fail "no nnmath/py.typed in the wheel"
! grep -qE '\.(c|h|def)$|meson\.build$' "$W/wheel.txt" || fail "C sources or build files in the wheel"
echo "ok: $(grep -E '_umath' "$W/wheel.txt")"

mkdir -p "$W/src"
tar xzf "$sdist" -C "$W/src"
tree=$(ls -d "$W"/src/nnmath-*)
# the extras `make test` installs: some tests of the command line need matplotlib
EXTRAS=test,plot,io,cli,dask,array-api
pytest_args=(-q -x -p no:cacheprovider -m "not slow" tests)
[ -n "${DIST_CHECK_PYTEST:-}" ] && read -r -a pytest_args <<< "$DIST_CHECK_PYTEST"
for kind in wheel sdist; do
    artifact=$wheel
    [ "$kind" = sdist ] && artifact=$sdist
    log "a fresh virtualenv installs the $kind, and the sdist's tests pass against it"
    "$PY" -m venv "$W/venv-$kind"
    "$W/venv-$kind/bin/python" -m pip install --quiet "$artifact[$EXTRAS]" \
        > "$W/install-$kind.log" 2>&1 \
        || { tail -30 "$W/install-$kind.log"; fail "installing the $kind failed"; }
    # the tests import the installed nnmath, not the sdist's src/
    (cd "$tree" && "$W/venv-$kind/bin/python" -c \
        'import nnmath, nnmath._core as c; print(nnmath.__file__, c.cpu_level())')
    (cd "$tree" && "$W/venv-$kind/bin/python" -m pytest "${pytest_args[@]}") \
        || fail "the test suite failed against the installed $kind"
done
log "dist-check passed"
