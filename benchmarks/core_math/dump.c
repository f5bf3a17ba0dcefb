/* Apply one header function to a raw file of float64 values: `dump FUNC IN OUT`.
 * Writes the results as raw float64 and prints the FP flags raised (other than inexact);
 * used to compare ISA levels bit for bit (cmp) on a machine without Python. */
#include <fenv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnm_math.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: dump FUNC IN OUT\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "rb");
    if (f == NULL) {
        return 2;
    }
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f) / sizeof(double);
    fseek(f, 0, SEEK_SET);
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    if (x == NULL || y == NULL || fread(x, sizeof *x, n, f) != n) {
        return 2;
    }
    fclose(f);
    const char *fn = argv[1];
    feclearexcept(FE_ALL_EXCEPT);
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        y[i] = !strcmp(fn, "exp")     ? nnm_exp(v)
               : !strcmp(fn, "expm1") ? nnm_expm1(v)
               : !strcmp(fn, "log")   ? nnm_log(v)
               : !strcmp(fn, "log1p") ? nnm_log1p(v)
               : !strcmp(fn, "tanh")  ? nnm_tanh(v)
               : !strcmp(fn, "erf")   ? nnm_erf(v)
               : !strcmp(fn, "erfc")  ? nnm_erfc(v)
                                      : nnm_erfcx(v);
    }
    int raised = fetestexcept(FE_ALL_EXCEPT & ~FE_INEXACT);
    printf("%s n=%zu flags: invalid %d divbyzero %d overflow %d underflow %d\n", fn, n,
           !!(raised & FE_INVALID), !!(raised & FE_DIVBYZERO), !!(raised & FE_OVERFLOW),
           !!(raised & FE_UNDERFLOW));
    f = fopen(argv[3], "wb");
    if (f == NULL || fwrite(y, sizeof *y, n, f) != n) {
        return 2;
    }
    fclose(f);
    free(x);
    free(y);
    return 0;
}
