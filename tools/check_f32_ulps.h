/* The error measure of the float32 checkers (check_core_f32.c, check_core_f32n.c): a
 * float32 result y against a float64 reference r, in float32 ulps of r (ulps of the
 * subnormal spacing 2^-149 below 2^-126); where r rounds to +-inf in float32, 0 if y is
 * that inf, else inf. Include after the core's headers (nnm_d2f). */
#ifndef CHECK_F32_ULPS_H
#define CHECK_F32_ULPS_H

#include <math.h>

static double ulps(float y, double r)
{
    float rf = nnm_d2f(r);
    if (fabsf(rf) == INFINITY || fabsf(y) == INFINITY) {
        return rf == y ? 0.0 : INFINITY;
    }
    double ar = fabs(r);
    int e;
    frexp(ar, &e); /* ar = m 2^e, m in [0.5, 1) */
    double ulp = ar >= 0x1p-126 ? ldexp(1.0, e - 24) : 0x1p-149;
    return fabs((double)y - r) / ulp;
}

#endif
