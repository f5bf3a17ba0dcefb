/* tanh (see README.md).  Built on the double-double expm1 of nnm_exp.h. */
#ifndef NNM_TANH_H
#define NNM_TANH_H

#include "nnm_exp.h"

/* tanh(x), <= 1 ulp: tanh|x| = -M / (2 + M), M = expm1(-2|x|) in double-double. */
NNM_INLINE double nnm_tanh(double x)
{
    uint64_t bad = nnm_nonfinite_mask(x);
    double xs = nnm_blend(bad, 0.0, x);
    double ax = fabs(xs);
    /* below 2^-27, tanh x = x (x^3/3 < 2^-54 x); above 20, tanh x = 1 to 2^-57 */
    double ac = nnm_min(nnm_max(ax, 0x1p-27), 20.0);
    double ml, dl, tl;
    double mh = nnm__expm1_dd(-2.0 * ac, &ml);
    double dh = nnm_dd_add(2.0, 0.0, mh, ml, &dl);
    double th = nnm_dd_div(-mh, -ml, dh, dl, &tl);
    double t = th + tl;
    double y = nnm_blend(nnm_lt(ax, 0x1p-27), ax, t);
    y = nnm_copysign(y, xs);
    return nnm_blend(bad, nnm__special(x, -1.0, 1.0), y);
}

#endif /* NNM_TANH_H */
