#!/usr/bin/env bash
# The compiled core off x86-64 dispatch: the portable baseline that AArch64 and MSVC builds
# get (meson.build builds only it there).
#  1. kernels.c, counts_kernels.c, pool.c (its POSIX and its _WIN32 branch) and module.c
#     compile for the portable path (-DNNM_SUFFIX=_baseline, no NNM_X86_DISPATCH) under
#     -std=c11 -Wall -Wextra -Werror -pedantic with every compiler found: gcc, clang,
#     aarch64-linux-gnu-gcc (cross). Python's and NumPy's headers are -isystem (NumPy's
#     own headers are not -pedantic clean).
#  2. With the AArch64 cross compiler and qemu-aarch64 present: tools/core_table_dump.c
#     runs every loop of the AArch64 build under qemu and of an x86-64-v3 build here; both
#     have hardware FMA, so their outputs must be bitwise identical.
# Usage: tools/check_portable_core.sh   (from anywhere; exit status 1 on a failure)
set -euo pipefail
cd "$(dirname "$0")/.."
S=src/nnmath/_core/src
PY=${PYTHON:-python3}
PYINC=$($PY -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
NPINC=$($PY -c 'import numpy; print(numpy.get_include())')
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
FLAGS=(-std=c11 -Wall -Wextra -Werror -pedantic -O2 -ffp-contract=off -fno-math-errno
       -DNNM_SUFFIX=_baseline -I"$S")
fail=0
compilers=()
for cc in gcc clang aarch64-linux-gnu-gcc; do
    command -v "$cc" > /dev/null && compilers+=("$cc")
done
echo "compilers: ${compilers[*]}"
for cc in "${compilers[@]}"; do
    for what in kernels.c counts_kernels.c pool.c pool.c:_WIN32 module.c; do
        src=${what%%:*}
        extra=()
        [[ $what == *:_WIN32 ]] && extra=(-D_WIN32)
        [[ $src == module.c ]] && extra=(-fPIC -isystem "$PYINC" -isystem "$NPINC")
        if "$cc" "${FLAGS[@]}" "${extra[@]}" -c "$S/$src" -o "$OUT/obj.o" 2> "$OUT/err"; then
            echo "ok    $cc $what"
        else
            echo "FAIL  $cc $what"; head -20 "$OUT/err"; fail=1
        fi
    done
done
if command -v aarch64-linux-gnu-gcc > /dev/null && command -v qemu-aarch64 > /dev/null \
        && command -v gcc > /dev/null; then
    gcc "${FLAGS[@]}" -march=x86-64-v3 tools/core_table_dump.c "$S/kernels.c" -lm \
        -o "$OUT/dump_x86"
    aarch64-linux-gnu-gcc "${FLAGS[@]}" tools/core_table_dump.c "$S/kernels.c" -lm \
        -o "$OUT/dump_a64"
    "$OUT/dump_x86" > "$OUT/x86.bin"
    qemu-aarch64 -L "${AARCH64_SYSROOT:-/usr/aarch64-linux-gnu}" "$OUT/dump_a64" \
        > "$OUT/a64.bin"
    if cmp -s "$OUT/x86.bin" "$OUT/a64.bin"; then
        echo "ok    aarch64 (qemu) and x86-64-v3 loops bitwise identical" \
             "($(stat -c %s "$OUT/x86.bin") bytes of output)"
    else
        echo "FAIL  aarch64 and x86-64-v3 outputs differ in" \
             "$(cmp -l "$OUT/x86.bin" "$OUT/a64.bin" | wc -l) bytes"; fail=1
    fi
else
    echo "skip  aarch64 run: needs aarch64-linux-gnu-gcc and qemu-aarch64"
fi
exit $fail
