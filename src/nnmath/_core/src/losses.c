/* The losses along a row beyond cross-entropy: KL divergence, Poisson, hinge, squared
 * hinge, categorical hinge, binary and categorical focal cross-entropy (from probabilities
 * and from logits), each a per-row value and a fused gradient times the row's cotangent c.
 * Compiled once per ISA level like rows.c (NNM_SUFFIX); exports loss_NAME_T<suffix>, which
 * kernels.c puts in its table.
 *
 * The scheme of rows.c's losses: a row is taken in blocks of NNM_RB elements loaded into
 * float64 buffers; each pass is a map over a buffer (no reduction: it vectorises) or a sum
 * into NNM_NL accumulators in an order fixed by the source, so that every ISA level gives
 * the same bits. float64 rows sum compensated (two_sum, the errors kept per accumulator)
 * and carry the intermediate logarithms and powers as double-doubles where the result
 * needs them; float32 and float16 rows compute in plain float64 (the float32 path's exp
 * where a relative 2^-42 is enough). The values come out in float64 (the Python layer
 * divides a mean by the row's length and rounds once to the dtype); the gradients in the
 * loop's type.
 *
 * A row the kernels do not take gives NaN (the value, and every entry of the gradient):
 * a NaN or infinite entry, a probability outside [0, 1], a target outside its domain. The
 * Python layer computes such rows by its reference, which refuses bad input with a clear
 * error and takes the limits of infinite entries. No floating-point flag is raised for
 * the rows the kernels take: every non-finite lane is replaced by a harmless value before
 * any arithmetic, and branches are blends of computed values under masks. */
#include <float.h>

#include "nnm_formulas_f32.h"
#include "nnm_kernels.h"
#include "nnm_rows.h"

#ifndef NNM_SUFFIX
#error "losses.c is compiled with -DNNM_SUFFIX=_<level>"
#endif


/* x: the predictions (probabilities, logits or scores), y: the targets; e, h, u:
 * per-element intermediates of the row passes; w: 1 on the block's elements, 0 on its
 * padding; a: the per-class alpha of the categorical focal loss */
typedef struct {
    double x[NNM_RB], y[NNM_RB], e[NNM_RB], h[NNM_RB], u[NNM_RB], w[NNM_RB], a[NNM_RB];
} nnm_lbuf;

/* the parameters of a row: gamma (focal), the class weights w0 + y (w1 - w0) (binary
 * focal), the label smoothing ls, the clip bounds eps and
 * hi = 1 - eps in the dtype (Keras: rounded to the dtype once), map (hinge: 1 maps
 * labels {0, 1} to {-1, 1}) */
typedef struct {
    double gamma, w0, w1, ls, eps, hi;
    int64_t map;
    uint64_t g0;  /* all ones where gamma = 0 */
    double s_lo;  /* the low part of a row's sum (categorical focal) */
    double at0;  /* q^gamma at q = 0: 1 for gamma = 0, else 0 */
} nnm_lprm;


/* -- error-free steps that stay free of flags ------------------------------------------------
 * nnm_two_sum and nnm_two_prod raise the invalid flag where their result overflows (inf -
 * inf inside; Dekker's split at the baseline overflows from 2^996 on). The losses' sums
 * and products may legitimately reach the ends of the range (a squared hinge of 1e200, a
 * Poisson rate of 1e308), so they take these forms: the exact low part where the operands
 * are at most 2^1020 (sums) or 2^500 (products), else the plain operation and a low part
 * of 0 (the result is then far from the range where its last bits matter, or infinite). */
NNM_INLINE double nnm_lsum(double a, double b, double *e)
{
    uint64_t big = nnm_lt(0x1p1020, fabs(a)) | nnm_lt(0x1p1020, fabs(b));
    double l, s = nnm_two_sum(nnm_blend(big, 0.0, a), nnm_blend(big, 0.0, b), &l);
    *e = nnm_blend(big, 0.0, l);
    return nnm_blend(big, a + b, s);
}

NNM_INLINE double nnm_lprod(double a, double b, double *e)
{
    uint64_t big = nnm_lt(0x1p500, fabs(a)) | nnm_lt(0x1p500, fabs(b));
    double l, p = nnm_two_prod(nnm_blend(big, 0.0, a), nnm_blend(big, 0.0, b), &l);
    *e = nnm_blend(big, 0.0, l);
    return nnm_blend(big, a * b, p);
}

/* the same steps for float64 rows (dd); for float32 and float16 rows, whose float64
 * intermediates carry far more bits than their results need, the plain operation and a
 * low part of 0 (the high parts are the same bits either way) */
NNM_INLINE double nnm_xsum(double a, double b, double *e, int dd)
{
    if (dd) {
        return nnm_lsum(a, b, e);
    }
    *e = 0.0;
    return a + b;
}

NNM_INLINE double nnm_xprod(double a, double b, double *e, int dd)
{
    if (dd) {
        return nnm_lprod(a, b, e);
    }
    *e = 0.0;
    return a * b;
}

/* the accumulators summed in a fixed order, with their errors (float64 rows), as a
 * double-double (hi + *lo) */
static inline double nnm_ltotal_dd(const double *v, const double *err, int dd, double *lo)
{
    double s = 0.0, l = 0.0;
    for (int j = 0; j < NNM_NL; j++) {
        double e;
        s = nnm_lsum(s, v[j], &e);
        l += e + (dd ? err[j] : 0.0);
    }
    return nnm_lsum(s, l, lo);
}

/* the same, rounded once */
static inline double nnm_ltotal(const double *v, const double *err, int dd)
{
    double lo, s = nnm_ltotal_dd(v, err, dd, &lo);
    return s + lo;
}

/* acc[j] += t (+ tl): compensated for float64 rows */
NNM_INLINE void nnm_lacc(double *acc, double *err, int j, double t, double tl, int dd)
{
    if (dd) {
        double e;
        acc[j] = nnm_lsum(acc[j], t, &e);
        err[j] += e + tl;
    } else {
        acc[j] += t;
    }
}

/* acc[j] += t (+ tl) where the term is finite; a term that overflowed (an entry near the
 * end of the range) marks the row (*bad) for the reference instead, so that no sum meets
 * infinities of both signs */
NNM_INLINE void nnm_lacc_f(double *acc, double *err, uint64_t *bad, int j, double t,
                           double tl, int dd)
{
    uint64_t nf = nnm_nonfinite_mask(t) | nnm_nonfinite_mask(tl);
    bad[j] |= nf;
    nnm_lacc(acc, err, j, nnm_blend(nf, 0.0, t), nnm_blend(nf, 0.0, tl), dd);
}

/* w = 1 on [0, len), 0 on the padding up to the next whole lane group */
static inline void nnm_lweights(nnm_lbuf *b, intptr_t len)
{
    for (intptr_t i = 0; i < len; i++) {
        b->w[i] = 1.0;
    }
    for (intptr_t i = len; i < nnm_rpad(len); i++) {
        b->w[i] = 0.0;
    }
}

/* nnm_lweights, and the block at i0 of the per-class alpha (float64, at pa with stride sa)
 * into b->a (the categorical focal loss) */
static inline void nnm_lweights_alpha(nnm_lbuf *b, intptr_t len, const char *pa, intptr_t sa,
                                      intptr_t i0)
{
    nnm_lweights(b, len);
    for (intptr_t i = 0; i < len; i++) {
        b->a[i] = *(const double *)(pa + (i0 + i) * sa);
    }
    for (intptr_t i = len; i < nnm_rpad(len); i++) {
        b->a[i] = 0.0;
    }
}

/* -- the scalar pieces -----------------------------------------------------------------------
 * log q for 0 < q <= 1 as hi + *lo. float64 rows: log(q) corrected by one Newton step on
 * exp, log q = l + (q e^{-l} - 1) to first order, so that gamma log q and its exponential
 * keep their accuracy where |log q| is large. e^{-l} = 2^k (h + l_) comes from exp's core
 * (relative error about 2^-62, far below what an exponent needs: gamma 2^-62 relative in
 * q^gamma), and q 2^k (exact) meets it in an exact product; q below 2^-500 is scaled by
 * 2^600 first. Other rows: log(q), *lo = 0. */
NNM_INLINE double nnm_llog(double q, int dd, double *lo)
{
    if (!dd) {
        *lo = 0.0;
        return nnm_log(q);
    }
    uint64_t tiny = nnm_lt(q, 0x1p-500);
    double qs = nnm_blend(tiny, q * 0x1p600, q);
    double kf = nnm_blend(tiny, 600.0, 0.0);
    double l = nnm_log(qs);
    double ekf, el;
    int64_t ek;
    double eh = nnm__exp_core(-l, &ekf, &ek, &el); /* e^{-l} = 2^ek (eh + el) */
    double qk = nnm_ldexp2(qs, ek);                /* exact, in [0.5, 2] */
    double pl, ph = nnm_two_prod(qk, eh, &pl);
    double corr = ((ph - 1.0) + pl) + qk * el;
    double sl, sh = nnm_lsum(l, -kf * NNM_LN2_1, &sl); /* kf LN2_1 exact */
    *lo = sl + (corr - kf * NNM_LN2_2);
    return sh;
}

/* e^{th + tl} (float64 rows: exp's core, 2^k (h + l) to a relative 2^-62, the low parts
 * and the scaling rounded once; others: the float32 path's exp); th finite, below the
 * overflow threshold for float32 rows */
NNM_INLINE double nnm_lexp(double th, double tl, int dd)
{
    if (dd) {
        double xc = nnm_min(nnm_max(th, -746.0), NNM_EXP_MAX_ARG);
        double kf, el;
        int64_t k;
        double eh = nnm__exp_core(xc, &kf, &k, &el);
        double y = nnm_ldexp2(eh + (el + eh * tl), k);
        double inf = INFINITY;
        return nnm_blend(nnm_lt(NNM_EXP_MAX_ARG, th), inf, y);
    }
    return nnm_exp32(nnm_max(th + tl, -NNMF32_EXP_MIN));
}

/* q^g for 0 < q <= 1 from its log (lh + ll), g >= 0 */
NNM_INLINE double nnm_lpow(double lh, double ll, double g, int dd)
{
    double tl, th = nnm_xprod(g, lh, &tl, dd);
    return nnm_lexp(th, tl + g * ll, dd);
}

/* clip(v, eps, hi) and the mask of eps <= v <= hi (v finite) */
NNM_INLINE double nnm_lclip(double v, double lo, double hi, uint64_t *inside)
{
    uint64_t below = nnm_lt(v, lo), above = nnm_lt(hi, v);
    *inside = ~(below | above);
    return nnm_blend(below, lo, nnm_blend(above, hi, v));
}

/* all ones where v is not finite or outside [lo, hi] (no compare sees a non-finite v) */
NNM_INLINE uint64_t nnm_lout(double v, double lo, double hi)
{
    uint64_t nf = nnm_nonfinite_mask(v);
    double vs = nnm_blend(nf, lo, v);
    return nf | nnm_lt(vs, lo) | nnm_lt(hi, vs);
}

/* -- KL divergence --------------------------------------------------------------------------
 * t = yc log(yc / pc), yc = clip(y, eps, 1), pc = clip(p, eps, 1) (Keras: both clipped, no
 * renormalisation); the log of the ratio as log1p((yc - pc) / pc) where yc and pc are
 * within a factor 1.5 (yc - pc exact, Sterbenz), else log(yc / pc) (|log| > 0.4; float32
 * rows take log(yc / pc) throughout: 2^-53 of a log is enough there). The gradient in p:
 * -yc / pc where eps <= p <= 1, 0 where the clip holds it. NaN or infinite: the reference. */
NNM_INLINE double nnm_kl_term(double p, double y, const nnm_lprm *pr, int dd, uint64_t *no)
{
    *no = nnm_nonfinite_mask(p) | nnm_nonfinite_mask(y);
    uint64_t in;
    double pc = nnm_lclip(nnm_blend(*no, 1.0, p), pr->eps, 1.0, &in);
    double yc = nnm_lclip(nnm_blend(*no, 1.0, y), pr->eps, 1.0, &in);
    double ratio = yc / pc;
    double l = nnm_log(ratio);
    if (dd) {
        double d = yc - pc;
        uint64_t near = nnm_lt(fabs(d), 0.5 * pc);
        l = nnm_blend(near, nnm_log1p(d / pc), l);
    }
    return yc * l;
}

NNM_INLINE void nnm_kl_terms(const nnm_lbuf *b, intptr_t lenp, const nnm_lprm *pr, int dd,
                             double *acc, double *err, uint64_t *bad)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            uint64_t no;
            double t = nnm_kl_term(b->x[i + j], b->y[i + j], pr, dd, &no);
            bad[j] |= no;
            nnm_lacc(acc, err, j, t * b->w[i + j], 0.0, dd);
        }
    }
}

NNM_INLINE void nnm_kl_grads(const nnm_lbuf *b, intptr_t len, const nnm_lprm *pr, double c,
                             double *out)
{
    for (intptr_t i = 0; i < len; i++) {
        double p = b->x[i], y = b->y[i];
        uint64_t no = nnm_nonfinite_mask(p) | nnm_nonfinite_mask(y), in, in_y;
        double pc = nnm_lclip(nnm_blend(no, 1.0, p), pr->eps, 1.0, &in);
        double yc = nnm_lclip(nnm_blend(no, 1.0, y), pr->eps, 1.0, &in_y);
        out[i] = nnm_blend(no, NAN, nnm_blend(in, c * (-yc / pc), 0.0));
    }
}

/* -- Poisson ----------------------------------------------------------------------------------
 * t = p - y log(p + eps) (Keras; the mean over the row is taken in Python). float64 rows:
 * p + eps and its log as double-doubles, y log(...) by an exact product, the difference
 * rounded once. The gradient: 1 - y / (p + eps) = ((p + eps) - y) / (p + eps), the
 * difference exact where it cancels. p < 0 (refused by the reference), NaN or infinite
 * entries: the reference. */
NNM_INLINE double nnm_poisson_term(double p, double y, const nnm_lprm *pr, int dd,
                                   double *lo, uint64_t *no)
{
    *no = nnm_lout(p, 0.0, DBL_MAX) | nnm_nonfinite_mask(y);
    p = nnm_blend(*no, 0.0, p), y = nnm_blend(*no, 0.0, y);
    if (!dd) {
        *lo = 0.0;
        return p - y * nnm_log(p + pr->eps);
    }
    /* one guard for the error-free steps (as nnm_lsum's and nnm_lprod's): |y log s| <=
     * 2^510 and p + eps, p - y log s stay below 2^1020 where p <= 2^1000, |y| <= 2^500 */
    uint64_t big = nnm_lt(0x1p1000, p) | nnm_lt(0x1p500, fabs(y));
    double sl, s = nnm_two_sum(nnm_blend(big, 0.0, p), pr->eps, &sl);
    s = nnm_blend(big, p + pr->eps, s);
    double l = nnm_log(s);
    double ll = sl / s;
    double ql, q = nnm_two_prod(nnm_blend(big, 0.0, y), l, &ql);
    ql += y * ll;
    double dl, d = nnm_two_sum(nnm_blend(big, 0.0, p), -q, &dl);
    *lo = nnm_blend(big, 0.0, dl - ql);
    return nnm_blend(big, p - y * l, d);
}

NNM_INLINE void nnm_poisson_terms(const nnm_lbuf *b, intptr_t lenp, const nnm_lprm *pr,
                                  int dd, double *acc, double *err, uint64_t *bad)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            uint64_t no;
            double lo, t = nnm_poisson_term(b->x[i + j], b->y[i + j], pr, dd, &lo, &no);
            double w = b->w[i + j];
            bad[j] |= no;
            nnm_lacc_f(acc, err, bad, j, t * w, lo * w, dd);
        }
    }
}

NNM_INLINE void nnm_poisson_grads(const nnm_lbuf *b, intptr_t len, const nnm_lprm *pr,
                                  double c, double *out)
{
    for (intptr_t i = 0; i < len; i++) {
        double p = b->x[i], y = b->y[i];
        uint64_t no = nnm_lout(p, 0.0, DBL_MAX) | nnm_nonfinite_mask(y);
        p = nnm_blend(no, 0.0, p), y = nnm_blend(no, 0.0, y);
        double sl, s = nnm_lsum(p, pr->eps, &sl);
        double dl, d = nnm_lsum(s, -y, &dl);
        out[i] = nnm_blend(no, NAN, c * ((d + (dl + sl)) / s));
    }
}

/* -- hinge and squared hinge ------------------------------------------------------------------
 * m = 1 - y p (float64 rows: y p by an exact product, m as a double-double), t = max(m, 0)
 * or max(m, 0)^2. With map = 1 the labels {0, 1} are taken as {-1, 1} (Keras maps them
 * when every label of the call is 0 or 1, which the Python layer decides): a row holding
 * another label then gives -1 (the value; NaN for the gradient), which tells the Python
 * layer to call again with map = 0. The gradient: -y where m > 0 (0 at the kink, as
 * relu'(0) = 0), -2 y max(m, 0) for the squared hinge. */
NNM_INLINE double nnm_hinge_margin(double p, double y, uint64_t map, int dd, double *lo,
                                   uint64_t *no, uint64_t *other, double *ys)
{
    uint64_t ynf = nnm_nonfinite_mask(y);
    *no = nnm_nonfinite_mask(p) | ynf;
    p = nnm_blend(*no, 0.0, p), y = nnm_blend(*no, 1.0, y);
    /* under map, a NaN or infinite label is another label too (Keras: not all 0 or 1) */
    *other = map & (ynf | ~(nnm_zero_mask(y) | nnm_zero_mask(y - 1.0)));
    y = nnm_blend(map & ~*other, 2.0 * y - 1.0, y);
    *ys = y;
    if (!dd) {
        *lo = 0.0;
        return 1.0 - y * p;
    }
    /* one guard for the three error-free steps (nnm_lsum's and nnm_lprod's, at once):
     * |y p| <= 2^1000 where neither is above 2^500 */
    uint64_t big = nnm_lt(0x1p500, fabs(p)) | nnm_lt(0x1p500, fabs(y));
    double pl, ph = nnm_two_prod(nnm_blend(big, 0.0, y), nnm_blend(big, 0.0, p), &pl);
    double ml, mh = nnm_two_sum(1.0, -ph, &ml);
    double l, m = nnm_two_sum(mh, ml - pl, &l);
    *lo = nnm_blend(big, 0.0, l);
    return nnm_blend(big, 1.0 - y * p, m);
}

NNM_INLINE void nnm_hinge_terms(const nnm_lbuf *b, intptr_t lenp, const nnm_lprm *pr, int dd,
                                double *acc, double *err, uint64_t *bad, uint64_t *other)
{
    const uint64_t map = nnm_mask(pr->map != 0);
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            uint64_t no, ot;
            double ys, ml, m = nnm_hinge_margin(b->x[i + j], b->y[i + j], map, dd, &ml,
                                                &no, &ot, &ys);
            uint64_t pos = nnm_lt(0.0, m);
            double w = b->w[i + j];
            double t = nnm_blend(pos, m, 0.0), tl = nnm_blend(pos, ml, 0.0);
            bad[j] |= no, other[j] |= ot;
            nnm_lacc_f(acc, err, bad, j, t * w, tl * w, dd);
        }
    }
}

/* the squared hinge: max(m, 0)^2, for float64 rows with the low parts of the margin and
 * of the square (tl of an infinite t taken as 0: no inf * 0) */
NNM_INLINE void nnm_sqhinge_terms(const nnm_lbuf *b, intptr_t lenp, const nnm_lprm *pr,
                                  int dd, double *acc, double *err, uint64_t *bad,
                                  uint64_t *other)
{
    const uint64_t map = nnm_mask(pr->map != 0);
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            uint64_t no, ot;
            double ys, ml, m = nnm_hinge_margin(b->x[i + j], b->y[i + j], map, dd, &ml,
                                                &no, &ot, &ys);
            uint64_t pos = nnm_lt(0.0, m);
            double w = b->w[i + j];
            double t = nnm_blend(pos, m, 0.0), tl = nnm_blend(pos, ml, 0.0);
            double e = 0.0, s = dd ? nnm_lprod(t, t, &e) : t * t;
            double tf = nnm_blend(nnm_nonfinite_mask(t), 0.0, t);
            double sl = dd ? 2.0 * (tf * tl) + e : 0.0;
            bad[j] |= no, other[j] |= ot;
            nnm_lacc_f(acc, err, bad, j, s * w, sl * w, dd);
        }
    }
}

NNM_INLINE void nnm_hinge_grads(const nnm_lbuf *b, intptr_t len, const nnm_lprm *pr, int sq,
                                int dd, double c, double *out)
{
    const uint64_t map = nnm_mask(pr->map != 0);
    for (intptr_t i = 0; i < len; i++) {
        uint64_t no, ot;
        double ys, ml, m = nnm_hinge_margin(b->x[i], b->y[i], map, dd, &ml, &no, &ot, &ys);
        uint64_t pos = nnm_lt(0.0, m);
        double g = sq ? -2.0 * ys * (m + ml) : -ys;
        out[i] = nnm_blend(no | ot, NAN, c * nnm_blend(pos, g, 0.0));
    }
}

/* -- binary focal cross-entropy ---------------------------------------------------------------
 * With y' = y (1 - ls) + ls / 2 (the smoothed target; Keras validates y in [0, 1] first),
 * a = w0 + y' (w1 - w0) (class balancing: w0 = 1 - alpha, w1 = alpha; else 1), q = 1 - p_t
 * and bce the binary cross-entropy term: t = a q^gamma bce.
 *
 * From probabilities (Keras: q on the unclipped p, bce on pc = clip(p, eps, 1 - eps)):
 * q = y (1 - p) + (1 - y) p, bce = -(y log pc + (1 - y) log1p(-pc)) (two non-negative
 * terms); the gradient a (gamma q^(gamma-1) (1 - 2y) bce + q^gamma dbce), dbce =
 * (1 - y)/(1 - pc) - y/pc inside the clip range and 0 outside it, and at q = 0 the limit of
 * gamma q^(gamma-1) q' (0 for gamma != 1). p or y outside [0, 1], NaN: the reference.
 *
 * From logits, with e = e^{-|z|}: bce = y z- + (1 - y) z+ + log1p(e) (z+ = max(z, 0),
 * z- = z+ - z, as binary_ce_logits_sum), q = y sigma(-z) + (1 - y) sigma(z) =
 * (A + B e) / (1 + e) with (A, B) = (1 - y, y) for z >= 0 and (y, 1 - y) below, so
 * log q = log(A + B e) - log1p(e), and log(A + B e) = log B - |z| where A = 0 (a hard
 * label on the right side: exact however large |z|). The gradient
 * a (gamma q^(gamma-1) q' bce + q^gamma (sigma(z) - y)), q' = (1 - 2y) sigma(z) sigma(-z),
 * with q^(gamma-1) sigma(z) sigma(-z) = e^{(gamma-1) log q - |z| - 2 log1p(e)} (at most 1:
 * q >= sigma(-|z|)), so nothing overflows or turns into 0 * inf. Infinite or NaN logits,
 * y outside [0, 1]: the reference. */
NNM_INLINE double nnm_bfocal_target(double y, const nnm_lprm *pr, double *a)
{
    double ys = y * (1.0 - pr->ls) + 0.5 * pr->ls;
    *a = pr->w0 + ys * (pr->w1 - pr->w0);
    return ys;
}

/* q^gamma (at q = 0: pr->at0), and into *dm (where dm is not NULL) gamma q^(gamma-1) (at
 * q = 0: dq0; 0 for gamma = 0), for q >= 0 (q <= 0 taken as 0). sq (gamma = 2, the
 * default; a constant of the caller's loop): q q and 2 q, rounded once like the general
 * form's e^{gamma log q} (log q a double-double) but with neither a logarithm nor an
 * exponential; otherwise from log q (nnm_llog, nnm_lpow). */
NNM_INLINE double nnm_fpow(double q, const nnm_lprm *pr, int sq, int dd, double dq0,
                           double *dm)
{
    uint64_t qz = nnm_zero_mask(q) | nnm_signbit_mask(q);
    if (sq) {
        double qp = nnm_blend(qz, 0.0, q);
        if (dm) {
            *dm = 2.0 * qp;
        }
        return qp * qp;
    }
    double ll, lh = nnm_llog(nnm_blend(qz, 1.0, q), dd, &ll);
    if (dm) {
        double d = nnm_blend(qz, dq0, pr->gamma * nnm_lpow(lh, ll, pr->gamma - 1.0, dd));
        *dm = nnm_blend(pr->g0, 0.0, d);
    }
    return nnm_blend(qz, pr->at0, nnm_lpow(lh, ll, pr->gamma, dd));
}

/* the probability form's pieces: q, bce, and the clip mask */
NNM_INLINE double nnm_bfocal_prob(double p, double y, const nnm_lprm *pr, double *q,
                                  uint64_t *in, double *pc)
{
    *q = y * (1.0 - p) + (1.0 - y) * p;
    *pc = nnm_lclip(p, pr->eps, pr->hi, in);
    double l1 = nnm_log(*pc), l0 = nnm_log1p(-*pc);
    return -(y * l1 + (1.0 - y) * l0);
}

NNM_INLINE void nnm_bfocal_terms_k(const nnm_lbuf *b, intptr_t lenp, const nnm_lprm *pr,
                                   int dd, int sq, double *acc, double *err, uint64_t *bad)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double p = b->x[i + j], y = b->y[i + j], a;
            uint64_t no = nnm_lout(p, 0.0, 1.0) | nnm_lout(y, 0.0, 1.0);
            p = nnm_blend(no, 0.5, p), y = nnm_blend(no, 0.0, y);
            y = nnm_bfocal_target(y, pr, &a);
            double q, pc;
            uint64_t in;
            double bce = nnm_bfocal_prob(p, y, pr, &q, &in, &pc);
            double mod = nnm_fpow(q, pr, sq, dd, 0.0, NULL);
            bad[j] |= no;
            nnm_lacc_f(acc, err, bad, j, (a * mod * bce) * b->w[i + j], 0.0, dd);
        }
    }
}

NNM_INLINE void nnm_bfocal_terms(const nnm_lbuf *b, intptr_t lenp, const nnm_lprm *pr,
                                 int dd, double *acc, double *err, uint64_t *bad)
{
    if (pr->gamma == 2.0) {
        nnm_bfocal_terms_k(b, lenp, pr, dd, 1, acc, err, bad);
    } else {
        nnm_bfocal_terms_k(b, lenp, pr, dd, 0, acc, err, bad);
    }
}

NNM_INLINE void nnm_bfocal_grads_k(const nnm_lbuf *b, intptr_t len, const nnm_lprm *pr,
                                   int dd, int sq, double c, double *out)
{
    /* gamma q^(gamma-1) at q = 0: its limit, 1 for gamma = 1, else 0 */
    const double dat0 = pr->gamma == 1.0 ? 1.0 : 0.0;
    for (intptr_t i = 0; i < len; i++) {
        double p = b->x[i], y = b->y[i], a;
        uint64_t no = nnm_lout(p, 0.0, 1.0) | nnm_lout(y, 0.0, 1.0);
        p = nnm_blend(no, 0.5, p), y = nnm_blend(no, 0.0, y);
        y = nnm_bfocal_target(y, pr, &a);
        double q, pc, dm;
        uint64_t in;
        double bce = nnm_bfocal_prob(p, y, pr, &q, &in, &pc);
        double mod = nnm_fpow(q, pr, sq, dd, dat0, &dm);
        double dbce = nnm_blend(in, (1.0 - y) / (1.0 - pc) - y / pc, 0.0);
        double df = a * (dm * (1.0 - 2.0 * y) * bce + mod * dbce);
        out[i] = nnm_blend(no, NAN, c * df);
    }
}

NNM_INLINE void nnm_bfocal_grads(const nnm_lbuf *b, intptr_t len, const nnm_lprm *pr, int dd,
                                 double c, double *out)
{
    if (pr->gamma == 2.0) {
        nnm_bfocal_grads_k(b, len, pr, dd, 1, c, out);
    } else {
        nnm_bfocal_grads_k(b, len, pr, dd, 0, c, out);
    }
}

/* the logit form's pieces: log q (lh + *ll), bce, sigma(z), sigma(-z) and the exponent of
 * q^(gamma-1) sigma(z) sigma(-z) without its (gamma-1) log q part (-|z| - 2 log1p(e)).
 * soft = 0 (a constant of the caller's loop, for a block whose smoothed targets are all 0
 * or 1): A + B e is 0 + e or 1 + 0 e, whose logarithm log(A + B e) - (A = 0 ? |z| : 0) is
 * exactly 0 (what nnm_llog gives for 1), so it is not computed. */
NNM_INLINE double nnm_bfocal_logit(double z, double y, int dd, int soft, double *lh,
                                   double *ll, double *sp, double *sn, double *ex,
                                   double *ex_lo)
{
    double az = fabs(z);
    double e = dd ? nnm_exp_neg(-az) : nnm_exp32(-nnm_min(az, NNMF32_EXP_MIN));
    double l1e = dd ? nnm_log1p_unit(e) : nnm_log1p32(e);
    double zp = nnm_max(z, 0.0), zm = zp - z;
    uint64_t neg = nnm_signbit_mask(z);
    double A = nnm_blend(neg, y, 1.0 - y), B = nnm_blend(neg, 1.0 - y, y);
    uint64_t a0 = nnm_zero_mask(A);
    /* log(A + B e): A = 0 gives log B - |z| (B = 1 for hard labels: exactly -|z|) */
    double bl = 0.0, lb = 0.0;
    if (soft) {
        lb = nnm_llog(nnm_blend(a0, B, A + B * e), dd, &bl);
    }
    double hl, h = nnm_xsum(lb, nnm_blend(a0, -az, 0.0), &hl, dd);
    double rl, r = nnm_xsum(h, -l1e, &rl, dd);
    *lh = r;
    *ll = rl + hl + bl;
    double lo = e / (1.0 + e), hi = 1.0 / (1.0 + e); /* sigma(-|z|), sigma(|z|) */
    *sp = nnm_blend(neg, lo, hi), *sn = nnm_blend(neg, hi, lo);
    *ex = nnm_xsum(-az, -2.0 * l1e, ex_lo, dd);
    return (y * zm + (1.0 - y) * zp) + l1e;
}

/* whether a block's smoothed targets are not all 0 or 1 (a NaN target: soft) */
static inline int nnm_bfocal_soft(const nnm_lbuf *b, intptr_t lenp, const nnm_lprm *pr)
{
    uint64_t soft = nnm_mask(pr->ls != 0.0);
    for (intptr_t i = 0; i < lenp; i++) {
        double y = b->y[i];
        soft |= ~(nnm_zero_mask(y) | nnm_zero_mask(y - 1.0));
    }
    return soft != 0;
}

NNM_INLINE void nnm_bfocal_logit_terms_k(const nnm_lbuf *b, intptr_t lenp, const nnm_lprm *pr,
                                         int dd, int soft, double *acc, double *err,
                                         uint64_t *bad)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double z = b->x[i + j], y = b->y[i + j], a;
            uint64_t no = nnm_nonfinite_mask(z) | nnm_lout(y, 0.0, 1.0);
            z = nnm_blend(no, 0.0, z), y = nnm_blend(no, 0.0, y);
            y = nnm_bfocal_target(y, pr, &a);
            double lh, ll, sp, sn, ex, exl;
            double bce = nnm_bfocal_logit(z, y, dd, soft, &lh, &ll, &sp, &sn, &ex, &exl);
            double mod = nnm_lpow(lh, ll, pr->gamma, dd);
            bad[j] |= no;
            nnm_lacc_f(acc, err, bad, j, (a * mod * bce) * b->w[i + j], 0.0, dd);
        }
    }
}

NNM_INLINE void nnm_bfocal_logit_terms(const nnm_lbuf *b, intptr_t lenp, const nnm_lprm *pr,
                                       int dd, double *acc, double *err, uint64_t *bad)
{
    if (nnm_bfocal_soft(b, lenp, pr)) {
        nnm_bfocal_logit_terms_k(b, lenp, pr, dd, 1, acc, err, bad);
    } else {
        nnm_bfocal_logit_terms_k(b, lenp, pr, dd, 0, acc, err, bad);
    }
}

NNM_INLINE void nnm_bfocal_logit_grads_k(const nnm_lbuf *b, intptr_t len, const nnm_lprm *pr,
                                         int dd, int soft, double c, double *out)
{
    const double g = pr->gamma;
    const uint64_t g0 = nnm_mask(g == 0.0);
    for (intptr_t i = 0; i < len; i++) {
        double z = b->x[i], y = b->y[i], a;
        uint64_t no = nnm_nonfinite_mask(z) | nnm_lout(y, 0.0, 1.0);
        z = nnm_blend(no, 0.0, z), y = nnm_blend(no, 0.0, y);
        y = nnm_bfocal_target(y, pr, &a);
        double lh, ll, sp, sn, ex, exl;
        double bce = nnm_bfocal_logit(z, y, dd, soft, &lh, &ll, &sp, &sn, &ex, &exl);
        double mod = nnm_lpow(lh, ll, g, dd);
        /* gamma q^(gamma-1) sigma(z) sigma(-z) */
        double el, eh = nnm_xprod(g - 1.0, lh, &el, dd);
        double tl, th = nnm_xsum(eh, ex, &tl, dd);
        double dm = g * nnm_lexp(th, tl + (el + exl + (g - 1.0) * ll), dd);
        dm = nnm_blend(g0, 0.0, dm);
        double dbce = (1.0 - y) * sp - y * sn;
        double df = a * (dm * (1.0 - 2.0 * y) * bce + mod * dbce);
        out[i] = nnm_blend(no, NAN, c * df);
    }
}

NNM_INLINE void nnm_bfocal_logit_grads(const nnm_lbuf *b, intptr_t len, const nnm_lprm *pr,
                                       int dd, double c, double *out)
{
    if (nnm_bfocal_soft(b, len, pr)) {
        nnm_bfocal_logit_grads_k(b, len, pr, dd, 1, c, out);
    } else {
        nnm_bfocal_logit_grads_k(b, len, pr, dd, 0, c, out);
    }
}

/* -- categorical hinge ------------------------------------------------------------------------
 * pos = sum y p, neg = max (1 - y) p, value max(neg - pos + 1, 0); the gradient, where the
 * margin is positive, (1 - y) at the first arg-max of (1 - y) p minus y, else 0. One pass
 * for pos, neg and the arg-max (per accumulator the maximum and the first index reaching
 * it, merged in a fixed order: equal maxima keep the lower index). A target outside
 * [0, 1] or an entry that is not finite: the reference. */
NNM_INLINE void nnm_chinge_pass(const nnm_lbuf *b, intptr_t lenp, int dd, double *acc,
                                double *err, double *mx, uint64_t *bad)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double p = b->x[i + j], y = b->y[i + j];
            uint64_t no = nnm_nonfinite_mask(p) | nnm_lout(y, 0.0, 1.0);
            p = nnm_blend(no, 0.0, p), y = nnm_blend(no, 0.0, y);
            double tl, t = nnm_xprod(y, p, &tl, dd);
            /* padding: p = -DBL_MAX, y = 0 (no maximum is below it; adds -0) */
            mx[j] = nnm_max(mx[j], (1.0 - y) * p);
            bad[j] |= no;
            nnm_lacc_f(acc, err, bad, j, t, dd ? tl : 0.0, dd);
        }
    }
}

NNM_INLINE void nnm_chinge_out(const nnm_lbuf *b, intptr_t len, double c, double *out)
{
    for (intptr_t i = 0; i < len; i++) {
        out[i] = c * -b->y[i];
    }
}

/* -- categorical focal cross-entropy ----------------------------------------------------------
 * a_j = alpha y'_j (y' = y (1 - ls) + ls / n), u_j = 1 - r_j, t_j = a_j u_j^gamma (-log r_j).
 *
 * From probabilities (Keras): r = p / sum(p) (a row of zeros stays zero), rc = clip(r, eps,
 * 1 - eps), u = 1 - rc; the gradient g_j = a_j (gamma u^(gamma-1) log rc - u^gamma / rc)
 * inside the clip range (0 outside), back through the renormalisation:
 * (g - sum_k g_k r_k) / s. p outside [0, 1] or not finite, y not finite: the reference.
 *
 * From logits: log r = log_softmax(z) (z - max as a double-double for float64 rows, the
 * sum of the exponentials compensated, log s = log1p(s - 1)), u = -expm1(log r) (exact
 * where r is close to 1), and the gradient h - r sum(h), h_j = a_j (gamma u^(gamma-1) r_j
 * log r_j - u^gamma) (u = 0: the limit 0 of the first term). A logit that is not finite,
 * or whose shift z - max overflows, y not finite: the reference. */
NNM_INLINE void nnm_cfocal_sum(const nnm_lbuf *b, intptr_t lenp, int dd, double *acc,
                               double *err, uint64_t *bad)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double p = b->x[i + j], y = b->y[i + j];
            uint64_t no = nnm_lout(p, 0.0, 1.0) | nnm_lout(y, 0.0, 1.0);
            bad[j] |= no;
            nnm_lacc(acc, err, j, nnm_blend(no, 0.0, p), 0.0, dd);
        }
    }
}

/* per element of the probability form: the value term (returned) and, into *gr, g_j.
 * r = p / s; where r >= 1/2, u = 1 - r and log r come from the sum of the others, s - p (a
 * double-double: s carries its low part pr->s_lo), as (s - p) / s and log1p(-(s - p) / s),
 * so that neither loses the bits that rounding r would cost next to r = 1 */
NNM_INLINE double nnm_cfocal_prob(double p, double y, double al, double s, double n,
                                  const nnm_lprm *pr, int dd, int sq, double *gr,
                                  double *r, double *uo)
{
    uint64_t no = nnm_nonfinite_mask(p) | nnm_nonfinite_mask(y), in;
    p = nnm_blend(no, 0.0, p), y = nnm_blend(no, 0.0, y);
    double a = al * (y * (1.0 - pr->ls) + pr->ls / n);
    *r = p / s;
    double rc = nnm_lclip(*r, pr->eps, pr->hi, &in);
    uint64_t high = nnm_lt(0.5, *r), top = nnm_lt(pr->hi, *r);
    double dl, d = nnm_lsum(s, -p, &dl);
    double q = (d + (dl + pr->s_lo)) / s; /* 1 - r from the others */
    double u = nnm_blend(high, q, 1.0 - rc);
    u = nnm_blend(top, 1.0 - pr->hi, u);
    *uo = u;
    double lr = nnm_blend(high, nnm_log1p(-u), nnm_log(rc));
    double dm, up = nnm_fpow(u, pr, sq, dd, 0.0, gr ? &dm : NULL); /* u > 0 */
    if (gr) {
        *gr = nnm_blend(in, a * (dm * lr - up / rc), 0.0);
    }
    return a * up * -lr;
}

NNM_INLINE void nnm_cfocal_terms_k(const nnm_lbuf *b, intptr_t lenp, double s, double n,
                                   const nnm_lprm *pr, int dd, int sq, double *acc,
                                   double *err)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double r, u;
            double t = nnm_cfocal_prob(b->x[i + j], b->y[i + j], b->a[i + j], s, n, pr, dd,
                                       sq, NULL, &r, &u);
            nnm_lacc(acc, err, j, t * b->w[i + j], 0.0, dd);
        }
    }
}

NNM_INLINE void nnm_cfocal_terms(const nnm_lbuf *b, intptr_t lenp, double s, double n,
                                 const nnm_lprm *pr, int dd, double *acc, double *err)
{
    if (pr->gamma == 2.0) {
        nnm_cfocal_terms_k(b, lenp, s, n, pr, dd, 1, acc, err);
    } else {
        nnm_cfocal_terms_k(b, lenp, s, n, pr, dd, 0, acc, err);
    }
}

/* g_j into h, r_j into e, u_j into u, and the dot product sum g_j r_j */
NNM_INLINE void nnm_cfocal_dot_k(nnm_lbuf *b, intptr_t lenp, double s, double n,
                                 const nnm_lprm *pr, int dd, int sq, double *acc,
                                 double *err)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double g, r, u;
            (void)nnm_cfocal_prob(b->x[i + j], b->y[i + j], b->a[i + j], s, n, pr, dd, sq, &g,
                                  &r, &u);
            g *= b->w[i + j];
            b->h[i + j] = g, b->e[i + j] = r, b->u[i + j] = u;
            double tl, t = nnm_lprod(g, r, &tl);
            nnm_lacc(acc, err, j, t, tl, dd);
        }
    }
}

NNM_INLINE void nnm_cfocal_dot(nnm_lbuf *b, intptr_t lenp, double s, double n,
                               const nnm_lprm *pr, int dd, double *acc, double *err)
{
    if (pr->gamma == 2.0) {
        nnm_cfocal_dot_k(b, lenp, s, n, pr, dd, 1, acc, err);
    } else {
        nnm_cfocal_dot_k(b, lenp, s, n, pr, dd, 0, acc, err);
    }
}

/* (g_j - dot) / s as (g_j u_j - (dot - g_j r_j)) / s: g_j (1 - r_j) and the others' sum,
 * neither cancelling where r_j is close to 1 (dot - g_j r_j from the double-doubles
 * dot + dot_lo and the exact product) */
NNM_INLINE void nnm_cfocal_out(const nnm_lbuf *b, intptr_t len, double dot, double dot_lo,
                               double s, double c, double *out)
{
    for (intptr_t i = 0; i < len; i++) {
        double g = b->h[i];
        double tl, t = nnm_lprod(g, b->e[i], &tl);
        double rest = (dot - t) + (dot_lo - tl);
        out[i] = c * ((g * b->u[i] - rest) / s);
    }
}

/* the logit form: the row's maximum of the finite entries, and masks of the NaN, the +inf
 * and the finite entries (rows.c's maximum pass, in its form, which vectorises at every
 * level; -inf is caught by the shift's overflow test) */
NNM_INLINE void nnm_cfocal_max(const double *x, intptr_t lenp, double *mx, uint64_t *nan,
                               uint64_t *inf, uint64_t *fin)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double v = x[i + j];
            uint64_t nf = nnm_nonfinite_mask(v), nm = nnm_nan_mask(v);
            nan[j] |= nm;
            inf[j] |= nf & ~nm & ~nnm_signbit_mask(v); /* -inf: the shift's overflow */
            fin[j] |= ~nf;
            mx[j] = nnm_max(mx[j], nnm_blend(nf, -DBL_MAX, v));
        }
    }
}

/* d = z - m (dh + *dl for float64 rows); *no where it overflows (z - m < -DBL_MAX / 2,
 * tested by halves) */
NNM_INLINE double nnm_cfocal_shift(double z, double m, int dd, double *dl, uint64_t *no)
{
    *no = nnm_lt(0.5 * z - 0.5 * m, -0.25 * DBL_MAX);
    z = nnm_blend(*no, m, z);
    double l = 0.0, d = dd ? nnm_lsum(z, -m, &l) : z - m;
    *dl = l;
    return d;
}

/* e_j = e^{d_j} into e, and its sum */
NNM_INLINE void nnm_cfocal_exp(nnm_lbuf *b, intptr_t lenp, double m, int dd, double *acc,
                               double *err, uint64_t *bad)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            uint64_t no;
            double dl, d = nnm_cfocal_shift(b->x[i + j], m, dd, &dl, &no);
            double e = dd ? nnm_exp_neg(d) * (1.0 + dl) : nnm_exp32(nnm_max(d, -NNMF32_EXP_MIN));
            e *= b->w[i + j];
            b->e[i + j] = e;
            bad[j] |= no | nnm_lout(b->y[i + j], 0.0, 1.0);
            nnm_lacc(acc, err, j, e, 0.0, dd);
        }
    }
}

/* per element of the logit form: the value term, and h_j into *hj (r_j into *rj) */
NNM_INLINE double nnm_cfocal_logit(double z, double y, double al, double e, double m,
                                   double ls,
                                   double ls_lo, double s, double n, const nnm_lprm *pr,
                                   int dd, int sq, double *hj, double *rj, double *uo)
{
    uint64_t no;
    double dl, d = nnm_cfocal_shift(z, m, dd, &dl, &no);
    double a = al * (y * (1.0 - pr->ls) + pr->ls / n);
    /* log r = d - log s as a double-double */
    double lrl, lr = nnm_xsum(d, -ls, &lrl, dd);
    lrl += dl - ls_lo;
    double em = dd ? nnm_expm1(lr) : nnm_expm1_32(nnm_max(lr, -NNMF32_EXP_MIN));
    double u = -(em + lrl * (1.0 + em));
    uint64_t uz = nnm_zero_mask(u) | nnm_signbit_mask(u);
    double dm, up = nnm_fpow(u, pr, sq, dd, 0.0, hj ? &dm : NULL);
    if (hj) {
        double r = e / s;
        *rj = r, *uo = nnm_blend(uz, 0.0, u);
        *hj = a * (dm * r * (lr + lrl) - up);
    }
    return a * up * -(lr + lrl);
}

NNM_INLINE void nnm_cfocal_logit_terms_k(const nnm_lbuf *b, intptr_t lenp, double m,
                                         double ls, double ls_lo, double s, double n,
                                         const nnm_lprm *pr, int dd, int sq, double *acc,
                                         double *err)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double t = nnm_cfocal_logit(b->x[i + j], b->y[i + j], b->a[i + j], b->e[i + j], m,
                                        ls, ls_lo, s, n, pr, dd, sq, NULL, NULL, NULL);
            nnm_lacc(acc, err, j, t * b->w[i + j], 0.0, dd);
        }
    }
}

NNM_INLINE void nnm_cfocal_logit_terms(const nnm_lbuf *b, intptr_t lenp, double m, double ls,
                                       double ls_lo, double s, double n, const nnm_lprm *pr,
                                       int dd, double *acc, double *err)
{
    if (pr->gamma == 2.0) {
        nnm_cfocal_logit_terms_k(b, lenp, m, ls, ls_lo, s, n, pr, dd, 1, acc, err);
    } else {
        nnm_cfocal_logit_terms_k(b, lenp, m, ls, ls_lo, s, n, pr, dd, 0, acc, err);
    }
}

NNM_INLINE void nnm_cfocal_logit_dot_k(nnm_lbuf *b, intptr_t lenp, double m, double ls,
                                       double ls_lo, double s, double n, const nnm_lprm *pr,
                                       int dd, int sq, double *acc, double *err)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double h, r, u;
            (void)nnm_cfocal_logit(b->x[i + j], b->y[i + j], b->a[i + j], b->e[i + j], m, ls,
                                   ls_lo, s, n, pr, dd, sq, &h, &r, &u);
            h *= b->w[i + j];
            b->h[i + j] = h, b->u[i + j] = u;
            nnm_lacc(acc, err, j, h, 0.0, dd);
        }
    }
}

NNM_INLINE void nnm_cfocal_logit_dot(nnm_lbuf *b, intptr_t lenp, double m, double ls,
                                     double ls_lo, double s, double n, const nnm_lprm *pr,
                                     int dd, double *acc, double *err)
{
    if (pr->gamma == 2.0) {
        nnm_cfocal_logit_dot_k(b, lenp, m, ls, ls_lo, s, n, pr, dd, 1, acc, err);
    } else {
        nnm_cfocal_logit_dot_k(b, lenp, m, ls, ls_lo, s, n, pr, dd, 0, acc, err);
    }
}

/* h_j - r_j sum(h) as h_j u_j - r_j (sum(h) - h_j): neither term cancels where r_j is
 * close to 1 (the sum a double-double, hs + hs_lo) */
NNM_INLINE void nnm_cfocal_logit_out(const nnm_lbuf *b, intptr_t len, double hs,
                                     double hs_lo, double s, double c, double *out)
{
    for (intptr_t i = 0; i < len; i++) {
        double h = b->h[i];
        out[i] = c * (h * b->u[i] - (b->e[i] / s) * ((hs - h) + hs_lo));
    }
}

/* -- the blocks -------------------------------------------------------------------------------
 * Loading and storing a block of one element type (contiguous blocks as plain indexed
 * loops), the parameters of a row, and the exported row functions. */
#define NNM_LOSSES_TYPE(T, S)                                                                \
    NNM_ROW_IO(T, S)                                                                         \
    /* the row's parameters from the float64 operands args[k0 ..] (the last kinds: gamma,    \
     * w0, w1, ls for the binary focal loss; gamma, (alpha,) ls for the categorical one;    \
     * map, an int64, for the hinges) */                                                     \
    static inline nnm_lprm nnm_lparams_##S(char *const *args, const intptr_t *steps,         \
                                           intptr_t r, int k0, int kind)                     \
    {                                                                                        \
        nnm_lprm pr = {0.0, 1.0, 1.0, 0.0, NNM_CLIP_LO_##S, NNM_CLIP_HI_##S, 0, 0, 0.0, 0.0}; \
        if (kind == 1) {                                                                     \
            pr.map = *(const int64_t *)(args[k0] + r * steps[k0]);                           \
        } else if (kind == 2) {                                                              \
            pr.gamma = *(const double *)(args[k0] + r * steps[k0]);                          \
            pr.w0 = *(const double *)(args[k0 + 1] + r * steps[k0 + 1]);                     \
            pr.w1 = *(const double *)(args[k0 + 2] + r * steps[k0 + 2]);                     \
            pr.ls = *(const double *)(args[k0 + 3] + r * steps[k0 + 3]);                     \
        } else if (kind == 3) { /* alpha, args[k0 + 1], is a row: nnm_lweights_alpha */      \
            pr.gamma = *(const double *)(args[k0] + r * steps[k0]);                          \
            pr.ls = *(const double *)(args[k0 + 2] + r * steps[k0 + 2]);                     \
        }                                                                                    \
        pr.g0 = nnm_mask(pr.gamma == 0.0);                                                   \
        pr.at0 = pr.gamma == 0.0 ? 1.0 : 0.0;                                                \
        return pr;                                                                           \
    }                                                                                        \
    NNM_LSUM_ROWS(kl_divergence, T, S, 0, 0, 1.0, 1.0, nnm_kl_terms(&buf, lp, &pr, dd, acc, err, bad), \
                  nnm_kl_grads(&buf, len, &pr, c, buf.e))                                    \
    NNM_LSUM_ROWS(poisson_sum, T, S, 0, 0, 0.0, 0.0,                                          \
                  nnm_poisson_terms(&buf, lp, &pr, dd, acc, err, bad),                       \
                  nnm_poisson_grads(&buf, len, &pr, c, buf.e))                               \
    NNM_LSUM_ROWS(hinge_sum, T, S, 1, 1, 1.0, 1.0,                                            \
                  nnm_hinge_terms(&buf, lp, &pr, dd, acc, err, bad, other),               \
                  nnm_hinge_grads(&buf, len, &pr, 0, dd, c, buf.e))                          \
    NNM_LSUM_ROWS(squared_hinge_sum, T, S, 1, 1, 1.0, 1.0,                                    \
                  nnm_sqhinge_terms(&buf, lp, &pr, dd, acc, err, bad, other),               \
                  nnm_hinge_grads(&buf, len, &pr, 1, dd, c, buf.e))                          \
    NNM_LSUM_ROWS(binary_focal_sum, T, S, 4, 2, 0.5, 0.0,                                     \
                  nnm_bfocal_terms(&buf, lp, &pr, dd, acc, err, bad),                        \
                  nnm_bfocal_grads(&buf, len, &pr, dd, c, buf.e))                            \
    NNM_LSUM_ROWS(binary_focal_logits_sum, T, S, 4, 2, 0.0, 0.0,                              \
                  nnm_bfocal_logit_terms(&buf, lp, &pr, dd, acc, err, bad),                  \
                  nnm_bfocal_logit_grads(&buf, len, &pr, dd, c, buf.e))                      \
    NNM_CHINGE_ROWS(T, S)                                                                    \
    NNM_CFOCAL_ROWS(T, S)                                                                    \
    NNM_CFOCAL_LOGIT_ROWS(T, S)

/* A loss that is a sum of terms over the row: NAME (p, y[, NPRM parameters]) -> the
 * float64 sum (NaN for a row the reference takes; -1 for a hinge row with a label other
 * than 0 and 1 under map = 1), and NAME's gradient NAME_backward (p, y, c[, parameters])
 * -> c * dt/dp (NAME without _sum, plus _backward). PAD_X, PAD_Y: harmless padding. */
#define NNM_LSUM_ROWS(NAME, T, S, NPRM, PKIND, PAD_X, PAD_Y, TERMS, GRADS)                    \
    void NNM_SYM(loss_##NAME##_##S)(char *const *args, intptr_t nrows, intptr_t n,           \
                                    const intptr_t *steps)                                   \
    {                                                                                        \
        const int dd = sizeof(T) == 8, nargs = 3 + (NPRM);                                   \
        nnm_lbuf buf;                                                                        \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            const char *px = args[0] + r * steps[0], *py = args[1] + r * steps[1];           \
            nnm_lprm pr = nnm_lparams_##S(args, steps, r, 2, PKIND);                         \
            double acc[NNM_NL], err[NNM_NL];                                                 \
            uint64_t bad[NNM_NL], other[NNM_NL];                                             \
            for (int j = 0; j < NNM_NL; j++) {                                               \
                acc[j] = 0.0, err[j] = 0.0, bad[j] = 0, other[j] = 0;                        \
            }                                                                                \
            for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                    \
                intptr_t len = nnm_rblock(n, i0), lp = nnm_rpad(len);                        \
                nnm_rload_##S(px + i0 * steps[nargs], steps[nargs], len, 1.0, PAD_X, buf.x); \
                nnm_rload_##S(py + i0 * steps[nargs + 1], steps[nargs + 1], len, 1.0, PAD_Y, \
                              buf.y);                                                        \
                nnm_lweights(&buf, len);                                                     \
                TERMS;                                                                       \
            }                                                                                \
            double v = nnm_ltotal(acc, err, dd);                                             \
            v = nnm_rany(bad) ? NAN : v;                                                     \
            v = nnm_rany(other) ? -1.0 : v;                                                  \
            *(double *)(args[nargs - 1] + r * steps[nargs - 1]) = v;                         \
        }                                                                                    \
    }                                                                                        \
    void NNM_SYM(loss_##NAME##_backward_##S)(char *const *args, intptr_t nrows, intptr_t n,  \
                                             const intptr_t *steps)                          \
    {                                                                                        \
        const int dd = sizeof(T) == 8, nargs = 4 + (NPRM);                                   \
        nnm_lbuf buf;                                                                        \
        (void)dd;                                                                            \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            const char *px = args[0] + r * steps[0], *py = args[1] + r * steps[1];           \
            double c = LD_##S(*(const T *)(args[2] + r * steps[2]));                         \
            nnm_lprm pr = nnm_lparams_##S(args, steps, r, 3, PKIND);                         \
            char *po = args[nargs - 1] + r * steps[nargs - 1];                               \
            for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                    \
                intptr_t len = nnm_rblock(n, i0);                                            \
                nnm_rload_##S(px + i0 * steps[nargs], steps[nargs], len, 1.0, PAD_X, buf.x); \
                nnm_rload_##S(py + i0 * steps[nargs + 1], steps[nargs + 1], len, 1.0, PAD_Y, \
                              buf.y);                                                        \
                GRADS;                                                                       \
                nnm_rstore_##S(po + i0 * steps[nargs + 2], steps[nargs + 2], len, buf.e);    \
            }                                                                                \
        }                                                                                    \
    }

/* categorical hinge: (p, y) -> the row's loss in float64; (p, y, c) -> the gradient */
#define NNM_CHINGE_ROWS(T, S)                                                                \
    /* pos (*pos) and the margin's max part (*neg); 1: the reference */                      \
    static int nnm_chinge_row_##S(const char *px, intptr_t sx, const char *py, intptr_t sy,  \
                                  intptr_t n, nnm_lbuf *b, double *pos, double *neg)         \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        double acc[NNM_NL], err[NNM_NL], mx[NNM_NL];                                         \
        uint64_t bad[NNM_NL];                                                                \
        for (int j = 0; j < NNM_NL; j++) {                                                   \
            acc[j] = 0.0, err[j] = 0.0, mx[j] = -DBL_MAX, bad[j] = 0;                        \
        }                                                                                    \
        for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                        \
            intptr_t len = nnm_rblock(n, i0);                                                \
            nnm_rload_##S(px + i0 * sx, sx, len, 1.0, -DBL_MAX, b->x);                       \
            nnm_rload_##S(py + i0 * sy, sy, len, 1.0, 0.0, b->y);                            \
            nnm_chinge_pass(b, nnm_rpad(len), dd, acc, err, mx, bad);                        \
        }                                                                                    \
        double m = mx[0];                                                                    \
        for (int j = 1; j < NNM_NL; j++) {                                                   \
            m = nnm_max(m, mx[j]);                                                           \
        }                                                                                    \
        *pos = nnm_ltotal(acc, err, dd), *neg = m;                                           \
        return nnm_rany(bad) != 0;                                                           \
    }                                                                                        \
    /* max(neg - pos + 1, 0), the difference rounded once */                                 \
    static inline double nnm_chinge_value_##S(double pos, double neg)                        \
    {                                                                                        \
        double el, h = nnm_lsum(neg, -pos, &el);                                          \
        double ml, m = nnm_lsum(h, 1.0, &ml);                                             \
        m += ml + el;                                                                        \
        return m > 0.0 ? m : 0.0;                                                            \
    }                                                                                        \
    void NNM_SYM(loss_categorical_hinge_##S)(char *const *args, intptr_t nrows, intptr_t n,  \
                                             const intptr_t *steps)                          \
    {                                                                                        \
        nnm_lbuf buf;                                                                        \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            double pos, neg, v = NAN;                                                        \
            if (!nnm_chinge_row_##S(args[0] + r * steps[0], steps[3], args[1] + r * steps[1], \
                                    steps[4], n, &buf, &pos, &neg)) {                        \
                v = nnm_chinge_value_##S(pos, neg);                                          \
            }                                                                                \
            *(double *)(args[2] + r * steps[2]) = v;                                         \
        }                                                                                    \
    }                                                                                        \
    /* the gradient: c (-y) everywhere, then (1 - y) added at the first index where          \
     * (1 - y) p equals the maximum (a search from the start, stopping there) */             \
    void NNM_SYM(loss_categorical_hinge_backward_##S)(char *const *args, intptr_t nrows,     \
                                                      intptr_t n, const intptr_t *steps)     \
    {                                                                                        \
        nnm_lbuf buf;                                                                        \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            const char *px = args[0] + r * steps[0], *py = args[1] + r * steps[1];           \
            double c = LD_##S(*(const T *)(args[2] + r * steps[2]));                         \
            char *po = args[3] + r * steps[3];                                               \
            double pos, neg;                                                                 \
            if (nnm_chinge_row_##S(px, steps[4], py, steps[5], n, &buf, &pos, &neg)) {       \
                nnm_rfill_nan_##S(po, steps[6], n);                                          \
                continue;                                                                    \
            }                                                                                \
            double cm = nnm_chinge_value_##S(pos, neg) > 0.0 ? c : 0.0; /* 0 at the kink */  \
            for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                    \
                intptr_t len = nnm_rblock(n, i0);                                            \
                nnm_rload_##S(py + i0 * steps[5], steps[5], len, 1.0, 0.0, buf.y);           \
                nnm_chinge_out(&buf, len, cm, buf.e);                                        \
                nnm_rstore_##S(po + i0 * steps[6], steps[6], len, buf.e);                    \
            }                                                                                \
            for (intptr_t i = 0; i < n; i++) {                                               \
                double p = LD_##S(*(const T *)(px + i * steps[4]));                          \
                double y = LD_##S(*(const T *)(py + i * steps[5]));                          \
                if ((1.0 - y) * p == neg) {                                                  \
                    *(T *)(po + i * steps[6]) = ST_##S(cm * ((1.0 - y) - y));                \
                    break;                                                                   \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }

/* categorical focal from probabilities: (p, y, gamma, alpha, ls) -> the row's loss;
 * (p, y, c, gamma, alpha, ls) -> the gradient */
#define NNM_CFOCAL_ROWS(T, S)                                                                \
    /* the sum of the row's probabilities (0 -> 1); 1: the reference */                     \
    static int nnm_cfocal_s_##S(const char *px, intptr_t sx, const char *py, intptr_t sy,    \
                                intptr_t n, nnm_lbuf *b, double *s, double *s_lo)            \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        double acc[NNM_NL], err[NNM_NL];                                                     \
        uint64_t bad[NNM_NL];                                                                \
        for (int j = 0; j < NNM_NL; j++) {                                                   \
            acc[j] = 0.0, err[j] = 0.0, bad[j] = 0;                                          \
        }                                                                                    \
        for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                        \
            intptr_t len = nnm_rblock(n, i0);                                                \
            nnm_rload_##S(px + i0 * sx, sx, len, 1.0, 0.0, b->x);                            \
            nnm_rload_##S(py + i0 * sy, sy, len, 1.0, 0.0, b->y);                            \
            nnm_cfocal_sum(b, nnm_rpad(len), dd, acc, err, bad);                             \
        }                                                                                    \
        double v = 0.0, l = 0.0;                                                             \
        for (int j = 0; j < NNM_NL; j++) {                                                   \
            double e;                                                                        \
            v = nnm_lsum(v, acc[j], &e);                                                  \
            l += e + (dd ? err[j] : 0.0);                                                    \
        }                                                                                    \
        v = nnm_lsum(v, l, &l);                                                      \
        *s = v > 0.0 ? v : 1.0, *s_lo = v > 0.0 ? l : 0.0;                                   \
        return nnm_rany(bad) != 0;                                                           \
    }                                                                                        \
    void NNM_SYM(loss_categorical_focal_##S)(char *const *args, intptr_t nrows, intptr_t n,  \
                                             const intptr_t *steps)                          \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        nnm_lbuf buf;                                                                        \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            const char *px = args[0] + r * steps[0], *py = args[1] + r * steps[1];           \
            nnm_lprm pr = nnm_lparams_##S(args, steps, r, 2, 3);                             \
            const char *pa = args[3] + r * steps[3];                                         \
            const intptr_t sa = steps[8];                                                    \
            double s, v = NAN;                                                               \
            if (!nnm_cfocal_s_##S(px, steps[6], py, steps[7], n, &buf, &s, &pr.s_lo)) {      \
                double acc[NNM_NL], err[NNM_NL];                                             \
                for (int j = 0; j < NNM_NL; j++) {                                           \
                    acc[j] = 0.0, err[j] = 0.0;                                              \
                }                                                                            \
                for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                \
                    intptr_t len = nnm_rblock(n, i0);                                        \
                    if (n > NNM_RB) {                                                        \
                        nnm_rload_##S(px + i0 * steps[6], steps[6], len, 1.0, 0.0, buf.x);   \
                        nnm_rload_##S(py + i0 * steps[7], steps[7], len, 1.0, 0.0, buf.y);   \
                    }                                                                        \
                    nnm_lweights_alpha(&buf, len, pa, sa, i0);                               \
                    nnm_cfocal_terms(&buf, nnm_rpad(len), s, (double)n, &pr, dd, acc, err);  \
                }                                                                            \
                v = nnm_ltotal(acc, err, dd);                                                \
            }                                                                                \
            *(double *)(args[5] + r * steps[5]) = v;                                         \
        }                                                                                    \
    }                                                                                        \
    void NNM_SYM(loss_categorical_focal_backward_##S)(char *const *args, intptr_t nrows,     \
                                                      intptr_t n, const intptr_t *steps)     \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        nnm_lbuf buf;                                                                        \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            const char *px = args[0] + r * steps[0], *py = args[1] + r * steps[1];           \
            double c = LD_##S(*(const T *)(args[2] + r * steps[2]));                         \
            nnm_lprm pr = nnm_lparams_##S(args, steps, r, 3, 3);                             \
            const char *pa = args[4] + r * steps[4];                                         \
            const intptr_t sa = steps[9];                                                    \
            char *po = args[6] + r * steps[6];                                               \
            double s;                                                                        \
            if (nnm_cfocal_s_##S(px, steps[7], py, steps[8], n, &buf, &s, &pr.s_lo)) {       \
                nnm_rfill_nan_##S(po, steps[10], n);                                         \
                continue;                                                                    \
            }                                                                                \
            double acc[NNM_NL], err[NNM_NL];                                                 \
            for (int j = 0; j < NNM_NL; j++) {                                               \
                acc[j] = 0.0, err[j] = 0.0;                                                  \
            }                                                                                \
            for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                    \
                intptr_t len = nnm_rblock(n, i0);                                            \
                if (n > NNM_RB) {                                                            \
                    nnm_rload_##S(px + i0 * steps[7], steps[7], len, 1.0, 0.0, buf.x);       \
                    nnm_rload_##S(py + i0 * steps[8], steps[8], len, 1.0, 0.0, buf.y);       \
                }                                                                            \
                nnm_lweights_alpha(&buf, len, pa, sa, i0);                                   \
                nnm_cfocal_dot(&buf, nnm_rpad(len), s, (double)n, &pr, dd, acc, err);        \
            }                                                                                \
            double dot_lo, dot = nnm_ltotal_dd(acc, err, dd, &dot_lo);                       \
            for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                    \
                intptr_t len = nnm_rblock(n, i0);                                            \
                if (n > NNM_RB) {                                                            \
                    nnm_rload_##S(px + i0 * steps[7], steps[7], len, 1.0, 0.0, buf.x);       \
                    nnm_rload_##S(py + i0 * steps[8], steps[8], len, 1.0, 0.0, buf.y);       \
                    nnm_lweights_alpha(&buf, len, pa, sa, i0);                               \
                    for (int j = 0; j < NNM_NL; j++) {                                       \
                        acc[j] = 0.0, err[j] = 0.0;                                          \
                    }                                                                        \
                    nnm_cfocal_dot(&buf, nnm_rpad(len), s, (double)n, &pr, dd, acc, err);    \
                }                                                                            \
                nnm_cfocal_out(&buf, len, dot, dot_lo, s, c, buf.x);                         \
                nnm_rstore_##S(po + i0 * steps[10], steps[10], len, buf.x);                  \
            }                                                                                \
        }                                                                                    \
    }

/* categorical focal from logits: (z, y, gamma, alpha, ls) -> the row's loss;
 * (z, y, c, gamma, alpha, ls) -> the gradient */
#define NNM_CFOCAL_LOGIT_ROWS(T, S)                                                          \
    /* the maximum m, the sum s of e^{z - m} and log s (ls + *ls_lo); 1: the reference.      \
     * A row of one block keeps its exponentials in b->e */                                  \
    static int nnm_cfocal_lse_##S(const char *px, intptr_t sx, const char *py, intptr_t sy,  \
                                  intptr_t n, nnm_lbuf *b, double *m_, double *s_,           \
                                  double *ls_, double *ls_lo)                                \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        double mx[NNM_NL], acc[NNM_NL], err[NNM_NL];                                         \
        uint64_t bad[NNM_NL], inf[NNM_NL], fin[NNM_NL];                                      \
        for (int j = 0; j < NNM_NL; j++) {                                                   \
            mx[j] = -DBL_MAX, acc[j] = 0.0, err[j] = 0.0, bad[j] = 0, inf[j] = 0, fin[j] = 0; \
        }                                                                                    \
        for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                        \
            intptr_t len = nnm_rblock(n, i0);                                                \
            nnm_rload_##S(px + i0 * sx, sx, len, 1.0, -DBL_MAX, b->x);                       \
            nnm_rload_##S(py + i0 * sy, sy, len, 1.0, 0.0, b->y);                            \
            nnm_cfocal_max(b->x, nnm_rpad(len), mx, bad, inf, fin);                          \
        }                                                                                    \
        double m = -DBL_MAX;                                                                 \
        for (int j = 0; j < NNM_NL; j++) {                                                   \
            m = nnm_max(m, mx[j]);                                                           \
        }                                                                                    \
        if (nnm_rany(bad) | nnm_rany(inf) | !nnm_rany(fin)) {                                \
            return 1;                                                                        \
        }                                                                                    \
        for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                        \
            intptr_t len = nnm_rblock(n, i0);                                                \
            nnm_rload_##S(px + i0 * sx, sx, len, 1.0, m, b->x);                              \
            nnm_rload_##S(py + i0 * sy, sy, len, 1.0, 0.0, b->y);                            \
            nnm_lweights(b, len);                                                            \
            nnm_cfocal_exp(b, nnm_rpad(len), m, dd, acc, err, bad);                          \
        }                                                                                    \
        double s = 0.0, sl = 0.0;                                                            \
        for (int j = 0; j < NNM_NL; j++) {                                                   \
            double e;                                                                        \
            s = nnm_lsum(s, acc[j], &e);                                                  \
            sl += e + (dd ? err[j] : 0.0);                                                   \
        }                                                                                    \
        /* log s = log1p(s - 1): s >= 1 (the maximum's term), s - 1 exact below 2 */         \
        double al, a = nnm_lsum(s - 1.0, sl, &al);                                        \
        *m_ = m, *s_ = s + sl;                                                               \
        *ls_ = nnm_log1p(a), *ls_lo = al / (1.0 + a);                                        \
        return nnm_rany(bad) != 0;                                                           \
    }                                                                                        \
    void NNM_SYM(loss_categorical_focal_logits_##S)(char *const *args, intptr_t nrows,       \
                                                    intptr_t n, const intptr_t *steps)       \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        nnm_lbuf buf;                                                                        \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            const char *px = args[0] + r * steps[0], *py = args[1] + r * steps[1];           \
            nnm_lprm pr = nnm_lparams_##S(args, steps, r, 2, 3);                             \
            const char *pa = args[3] + r * steps[3];                                         \
            const intptr_t sa = steps[8];                                                    \
            double m, s, ls, ls_lo, v = NAN;                                                 \
            if (!nnm_cfocal_lse_##S(px, steps[6], py, steps[7], n, &buf, &m, &s, &ls,        \
                                    &ls_lo)) {                                               \
                double acc[NNM_NL], err[NNM_NL];                                             \
                for (int j = 0; j < NNM_NL; j++) {                                           \
                    acc[j] = 0.0, err[j] = 0.0;                                              \
                }                                                                            \
                for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                \
                    intptr_t len = nnm_rblock(n, i0);                                        \
                    nnm_rload_##S(px + i0 * steps[6], steps[6], len, 1.0, m, buf.x);         \
                    nnm_rload_##S(py + i0 * steps[7], steps[7], len, 1.0, 0.0, buf.y);       \
                    nnm_lweights_alpha(&buf, len, pa, sa, i0);                               \
                    if (n > NNM_RB) { /* the exponentials of this block again */             \
                        double a2[NNM_NL] = {0}, e2[NNM_NL] = {0};                           \
                        uint64_t b2[NNM_NL] = {0};                                           \
                        nnm_cfocal_exp(&buf, nnm_rpad(len), m, dd, a2, e2, b2);              \
                    }                                                                        \
                    nnm_cfocal_logit_terms(&buf, nnm_rpad(len), m, ls, ls_lo, s, (double)n,  \
                                           &pr, dd, acc, err);                               \
                }                                                                            \
                v = nnm_ltotal(acc, err, dd);                                                \
            }                                                                                \
            *(double *)(args[5] + r * steps[5]) = v;                                         \
        }                                                                                    \
    }                                                                                        \
    void NNM_SYM(loss_categorical_focal_logits_backward_##S)(char *const *args,              \
                                                             intptr_t nrows, intptr_t n,     \
                                                             const intptr_t *steps)          \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        nnm_lbuf buf;                                                                        \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            const char *px = args[0] + r * steps[0], *py = args[1] + r * steps[1];           \
            double c = LD_##S(*(const T *)(args[2] + r * steps[2]));                         \
            nnm_lprm pr = nnm_lparams_##S(args, steps, r, 3, 3);                             \
            const char *pa = args[4] + r * steps[4];                                         \
            const intptr_t sa = steps[9];                                                    \
            char *po = args[6] + r * steps[6];                                               \
            double m, s, ls, ls_lo;                                                          \
            if (nnm_cfocal_lse_##S(px, steps[7], py, steps[8], n, &buf, &m, &s, &ls,         \
                                   &ls_lo)) {                                                \
                nnm_rfill_nan_##S(po, steps[10], n);                                         \
                continue;                                                                    \
            }                                                                                \
            double acc[NNM_NL], err[NNM_NL];                                                 \
            for (int j = 0; j < NNM_NL; j++) {                                               \
                acc[j] = 0.0, err[j] = 0.0;                                                  \
            }                                                                                \
            for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                    \
                intptr_t len = nnm_rblock(n, i0);                                            \
                nnm_rload_##S(px + i0 * steps[7], steps[7], len, 1.0, m, buf.x);             \
                nnm_rload_##S(py + i0 * steps[8], steps[8], len, 1.0, 0.0, buf.y);           \
                nnm_lweights_alpha(&buf, len, pa, sa, i0);                                   \
                if (n > NNM_RB) {                                                            \
                    double a2[NNM_NL] = {0}, e2[NNM_NL] = {0};                               \
                    uint64_t b2[NNM_NL] = {0};                                               \
                    nnm_cfocal_exp(&buf, nnm_rpad(len), m, dd, a2, e2, b2);                  \
                }                                                                            \
                nnm_cfocal_logit_dot(&buf, nnm_rpad(len), m, ls, ls_lo, s, (double)n, &pr,   \
                                     dd, acc, err);                                          \
            }                                                                                \
            double hs_lo, hs = nnm_ltotal_dd(acc, err, dd, &hs_lo);                          \
            for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                    \
                intptr_t len = nnm_rblock(n, i0);                                            \
                if (n > NNM_RB) {                                                            \
                    double a2[NNM_NL] = {0}, e2[NNM_NL] = {0};                               \
                    uint64_t b2[NNM_NL] = {0};                                               \
                    nnm_rload_##S(px + i0 * steps[7], steps[7], len, 1.0, m, buf.x);         \
                    nnm_rload_##S(py + i0 * steps[8], steps[8], len, 1.0, 0.0, buf.y);       \
                    nnm_lweights_alpha(&buf, len, pa, sa, i0);                               \
                    nnm_cfocal_exp(&buf, nnm_rpad(len), m, dd, a2, e2, b2);                  \
                    for (int j = 0; j < NNM_NL; j++) {                                       \
                        a2[j] = 0.0, e2[j] = 0.0;                                            \
                    }                                                                        \
                    nnm_cfocal_logit_dot(&buf, nnm_rpad(len), m, ls, ls_lo, s, (double)n,    \
                                         &pr, dd, a2, e2);                                   \
                }                                                                            \
                nnm_cfocal_logit_out(&buf, len, hs, hs_lo, s, c, buf.x);                     \
                nnm_rstore_##S(po + i0 * steps[10], steps[10], len, buf.x);                  \
            }                                                                                \
        }                                                                                    \
    }

NNM_LOSSES_TYPE(nnm_half, e)
NNM_LOSSES_TYPE(float, f)
NNM_LOSSES_TYPE(double, d)
