#!/usr/bin/env bash
# `make test-valgrind`: tools/valgrind_core.py (a sample of nnmath._core calls: elementwise,
# rows, threads, odd strides, out=, where=) under valgrind memcheck, at each ISA level
# that valgrind can run (it has no AVX-512), with CPython's own allocator off
# (PYTHONMALLOC=malloc) so that memcheck sees every block. Errors whose stack passes
# through nnmath's compiled core fail the check; others (CPython, NumPy) are counted and
# reported, and tools/valgrind-python.supp silences the known ones.
#   tools/valgrind_core.sh [PYTHON]    (default: .venv/bin/python; exit status 1 on errors)
# The logs stay in build/valgrind/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
OUT=build/valgrind
mkdir -p "$OUT"
command -v valgrind > /dev/null || { echo "valgrind_core.sh: error: valgrind not found" >&2; exit 2; }
# import once outside valgrind: an editable install rebuilds a changed core here
levels=$("$PY" -c 'from nnmath import _core as C; print(" ".join(C.cpu_levels()))')
status=0
for level in $levels; do
    [ "$level" = avx512 ] && { echo "skip  avx512 (valgrind does not emulate AVX-512)"; continue; }
    log=$OUT/memcheck-$level.log
    NNMATH_CPU=$level PYTHONMALLOC=malloc valgrind --tool=memcheck --error-limit=no \
        --num-callers=40 --track-origins=yes --leak-check=full --show-leak-kinds=definite \
        --errors-for-leak-kinds=definite --suppressions=tools/valgrind-python.supp \
        --log-file="$log" "$PY" tools/valgrind_core.py || status=1
    # valgrind's log: one error or leak per block of lines, blocks separated by a bare
    # "==PID== " line; ours are those with a frame in nnmath's extension or its C files
    # (`_umath` alone would also match NumPy's _multiarray_umath)
    ours=$(awk -v RS='\n==[0-9]+== \n' \
        '/(Invalid|uninitialised|Mismatched|overlap|definitely lost|Syscall param)/ &&
         /(nnmath\/_core\/_umath|[( ](kernels|module|pool)\.c:|[( ]nnm_[a-z_]+\.h:)/ {n++}
         END {print n + 0}' "$log")
    summary=$(grep -E 'ERROR SUMMARY' "$log" | tail -1 | sed 's/^==[0-9]*== //')
    if [ "$ours" != 0 ]; then
        echo "FAIL  $level: $ours error(s) in nnmath's compiled core; $summary (see $log)"
        status=1
    else
        echo "ok    $level: no error in nnmath's compiled core; $summary (log: $log)"
    fi
done
exit $status
