/* The common case of accuracy.py's float32 error statistics in one pass, for the exhaustive
 * sweep (accuracy_sweep.py compiles this file and loads it with ctypes).
 *
 * For float32 inputs x, results y and float64 references hi, it does what
 * accuracy._classify_f32 does for the results within half an ulp: err = |y - hi| / u with
 * u = 2^(E - 150), E the biased exponent of min(|float32(hi)|, FLT_MAX) (at least 1). Every
 * other element (err above 0.5, NaN or infinite: every catastrophic result is among them)
 * is handed back by its index, for accuracy.classify to judge as before. NaN inputs are
 * not measured; those whose result is not NaN are counted.
 *
 * Returns the number of indices written to odd[] (at most n). out[0]: the largest err of
 * the elements not handed back (-1 if none), out[1]: its index (the first on a tie),
 * out[2]: the NaN inputs whose result is not NaN, out[3]: the inputs that are not NaN.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

static uint32_t bits32(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static double from_bits64(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

int64_t sweep_stats_f32(const float *x, const float *y, const double *hi, int64_t n,
                        int64_t *odd, double *out)
{
    int64_t n_odd = 0, nan_lost = 0, measured = 0, at = -1;
    double best = -1.0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(x[i])) {
            nan_lost += !isnan(y[i]);
            continue;
        }
        measured++;
        double r = hi[i];
        if (!isfinite(r)) {
            odd[n_odd++] = i;
            continue;
        }
        float rt = (float)r;
        float a = fabsf(rt);
        if (a > 3.4028234663852886e38f) {
            a = 3.4028234663852886e38f;
        }
        int64_t e = (int64_t)(bits32(a) >> 23);
        if (e < 1) {
            e = 1;
        }
        double u = from_bits64((uint64_t)(e + 1023 - 150) << 52);
        double err = fabs((double)y[i] - r) / u;
        if (!(err <= 0.5)) {
            odd[n_odd++] = i;
            continue;
        }
        if (err > best) {
            best = err;
            at = i;
        }
    }
    out[0] = best;
    out[1] = (double)at;
    out[2] = (double)nan_lost;
    out[3] = (double)measured;
    return n_odd;
}
