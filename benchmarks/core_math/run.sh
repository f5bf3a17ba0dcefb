#!/bin/sh
# Build benchmarks/core_math/bench.c at each x86-64 level and print ns per element;
# also counts the packed vector instructions of each shim loop (objdump).
# Usage: sh benchmarks/core_math/run.sh [levels...]   (default: x86-64 x86-64-v3 x86-64-v4)
set -e
here=$(dirname "$0")
inc="$here/../../src/nnmath/_core/src/math"
out=${TMPDIR:-/tmp}/nnm_core_math_bench
mkdir -p "$out"
cc=${CC:-cc}
flags="-std=c11 -O3 -Wall -Wextra -Werror -ffp-contract=off"
levels=${*:-x86-64 x86-64-v3 x86-64-v4}
for level in $levels; do
    echo "== $level ($($cc --version | head -n 1))"
    $cc $flags -march="$level" -I"$inc" -c "$here/shim.c" -o "$out/shim_$level.o"
    objdump -d --no-show-raw-insn "$out/shim_$level.o" | awk '
        /^[0-9a-f]+ <shim_[a-z0-9_]+>:/ { f = $2 }
        /%zmm/ { z[f]++ } /%ymm/ { y[f]++ } /(mul|add|sub|div|fmadd)[0-9a-z]*pd.*%xmm/ { x[f]++ }
        END { for (k in z) n[k] = 1; for (k in y) n[k] = 1; for (k in x) n[k] = 1;
              for (k in n) printf "  %-20s zmm %4d  ymm %4d  packed-xmm %4d\n", k, z[k], y[k], x[k] }' | sort
    if grep -q "avx512f" /proc/cpuinfo 2>/dev/null || [ "$level" != x86-64-v4 ]; then
        $cc $flags -march="$level" -I"$inc" "$here/bench.c" -o "$out/bench_$level" -lm
        "$out/bench_$level"
    else
        echo "  (no AVX-512 on this CPU: not run)"
    fi
done
