/* The row functions (gufuncs along the last axis): softmax, log_softmax, softmin and
 * sparsemax and their VJPs, for float16, float32 and float64. Compiled once per ISA level
 * like kernels.c (NNM_SUFFIX); exports row_NAME_T<suffix>, which kernels.c puts in its
 * table. */
#include <float.h>

#include "nnm_formulas_f32.h"
#include "nnm_kernels.h"
#include "nnm_rows.h"

#ifndef NNM_SUFFIX
#error "rows.c is compiled with -DNNM_SUFFIX=_<level>"
#endif

/* -- rows ---------------------------------------------------------------------------------
 * A row is read in float64 through LOAD(i); the shift d_i = x_i - max is safe for
 * infinite maxima: with max = +inf the +inf entries share the mass (d = 0) and the others
 * get none (d = -inf); a row of -inf only is uniform. A row holding a NaN is all NaN. */
enum {
    NNM_SOFTMAX, NNM_LOG_SOFTMAX, NNM_SOFTMAX_VJP, NNM_LOG_SOFTMAX_VJP,
    NNM_SOFTMIN, NNM_SOFTMIN_VJP, /* softmax of -x: the loads negated */
    NNM_SPARSEMAX, NNM_SPARSEMAX_VJP
};

static inline double nnm_shift(double x, double m, int m_inf, double *lo)
{
    /* d = x - m to double-double (dh + *lo): the rounding of x - m would cost |d| ulps of
     * e^d. The special cases are chosen, not computed (no overflow or invalid flag): d is
     * -inf below -DBL_MAX or for x = -inf, and with an infinite maximum 0 for the entries
     * equal to it and -inf for the others. */
    double mm = nnm_sel(m_inf, 0.0, m);
    int special = m_inf | (fabs(x) == INFINITY) | isless(0.5 * x - 0.5 * mm, -0.5 * DBL_MAX);
    double l;
    double d = nnm_two_sum(nnm_sel(special, mm, x), -mm, &l);
    *lo = nnm_sel(special, 0.0, l);
    return nnm_sel(special, nnm_sel(m_inf & (x == m), 0.0, -INFINITY), d);
}

/* sparsemax: x - max as a double-double (dh + *lo), clamped at -2: tau >= -1, so no entry
 * below -1 is in the support, and every sum stays finite */
static inline double nnm_spm_shift(double x, double m, int m_inf, double *lo)
{
    double l, d = nnm_shift(x, m, m_inf, &l);
    int far = isless(d, -2.0);
    *lo = nnm_sel(far, 0.0, l);
    return nnm_sel(far, -2.0, d);
}

/* The threshold tau (th + *tl) of a sparsemax row, sum(max(d - tau, 0)) = 1, by Michelot's
 * iteration: the support is {d > tau}, and tau of a superset of the support is at most the
 * true one, so tau = (sum of the d above the previous tau - 1) / their count only grows
 * (kept monotone against rounding) until the count stops changing: at most n passes, a
 * few in practice; no sort and no buffer. Starts from tau = -1 (the maximum, d = 0, is
 * always in the support). d and the sums are double-doubles. */
#define NNM_SPARSEMAX_TAU(T, S, px, sx, n, m, m_inf, th, tl)                                 \
    do {                                                                                     \
        double prev_ = -1.0;                                                                 \
        th = -1.0, tl = 0.0;                                                                 \
        for (;;) {                                                                           \
            double sh_ = 0.0, sl_ = 0.0, cnt_ = 0.0;                                         \
            for (intptr_t i = 0; i < n; i++) {                                               \
                double lo, d = nnm_spm_shift(LD_##S(*(const T *)(px + i * sx)), m, m_inf, &lo); \
                double gl, gh = nnm_dd_add(d, lo, -th, -tl, &gl);                            \
                int in = gh > 0.0;                                                           \
                sh_ = nnm_dd_add(sh_, sl_, nnm_sel(in, d, 0.0), nnm_sel(in, lo, 0.0), &sl_); \
                cnt_ += nnm_sel(in, 1.0, 0.0);                                               \
            }                                                                                \
            double nl_, nh_ = nnm_dd_add(sh_, sl_, -1.0, 0.0, &nl_);                         \
            nh_ = nnm_dd_div(nh_, nl_, nnm_sel(cnt_ > 0.0, cnt_, 1.0), 0.0, &nl_);           \
            if (nh_ > th || (nh_ == th && nl_ > tl)) {                                       \
                th = nh_, tl = nl_;                                                          \
            }                                                                                \
            if (cnt_ == prev_) {                                                             \
                break;                                                                       \
            }                                                                                \
            prev_ = cnt_;                                                                    \
        }                                                                                    \
    } while (0)

/* e^{dh + lo} */
static inline double row_exp(double dh, double lo)
{
    return nnm_exp(dh) * (1.0 + lo);
}

/* One row by the general method (any stride; every special case): the maximum, then
 * passes that recompute x - max and its exponential per element. The row blocks below use
 * it for sparsemax and for the rows whose maximum is infinite. */
#define NNM_ROW_ONE(fname, T, S, KIND)                                                       \
    static void fname(const char *px, intptr_t sx, const char *pg, intptr_t sg, char *py,    \
                      intptr_t sy, intptr_t n)                                               \
    {                                                                                        \
        const int vjp = (KIND) == NNM_SOFTMAX_VJP || (KIND) == NNM_LOG_SOFTMAX_VJP ||        \
                        (KIND) == NNM_SOFTMIN_VJP || (KIND) == NNM_SPARSEMAX_VJP;            \
        const double sgn = (KIND) == NNM_SOFTMIN || (KIND) == NNM_SOFTMIN_VJP ? -1.0 : 1.0;  \
        (void)sg, (void)pg, (void)vjp;                                                       \
        {                                                                                    \
            int any_nan = 0;                                                                 \
            double m = -INFINITY;                                                            \
            for (intptr_t i = 0; i < n; i++) {                                               \
                double v = sgn * LD_##S(*(const T *)(px + i * sx));                          \
                int nan_ = nnm_isnan(v);                                                     \
                any_nan |= nan_;                                                             \
                v = nnm_sel(nan_, -INFINITY, v);                                             \
                m = nnm_sel(isgreater(v, m), v, m);                                          \
            }                                                                                \
            if (any_nan) {                                                                   \
                nnm_rfill_nan_##S(py, sy, n);                                                \
                return;                                                                      \
            }                                                                                \
            const int m_inf = fabs(m) == INFINITY;                                           \
            if ((KIND) == NNM_SPARSEMAX || (KIND) == NNM_SPARSEMAX_VJP) {                    \
                double th, tl;                                                               \
                NNM_SPARSEMAX_TAU(T, S, px, sx, n, m, m_inf, th, tl);                        \
                /* the VJP: g - mean(g over the support) on the support, 0 off it */         \
                double gh = 0.0, gl = 0.0, cnt = 0.0;                                        \
                for (intptr_t i = 0; vjp && i < n; i++) {                                    \
                    double lo, d = nnm_spm_shift(LD_##S(*(const T *)(px + i * sx)), m, m_inf, &lo); \
                    double el, eh = nnm_dd_add(d, lo, -th, -tl, &el);                        \
                    double g = LD_##S(*(const T *)(pg + i * sg));                            \
                    gh = nnm_dd_add(gh, gl, nnm_sel(eh > 0.0, g, 0.0), 0.0, &gl);            \
                    cnt += nnm_sel(eh > 0.0, 1.0, 0.0);                                      \
                }                                                                            \
                double mean = gh / nnm_sel(cnt > 0.0, cnt, 1.0);                             \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double lo, d = nnm_spm_shift(LD_##S(*(const T *)(px + i * sx)), m, m_inf, &lo); \
                    double el, eh = nnm_dd_add(d, lo, -th, -tl, &el);                        \
                    double y = nnm_sel(eh > 0.0, eh, 0.0);                                   \
                    if (vjp) {                                                               \
                        double g = LD_##S(*(const T *)(pg + i * sg));                        \
                        y = nnm_sel(eh > 0.0, g - mean, 0.0);                                \
                    }                                                                        \
                    *(T *)(py + i * sy) = ST_##S(y);                                         \
                }                                                                            \
                return;                                                                      \
            }                                                                                \
            /* s = cnt + rest: the entries at the maximum (e^0 = 1, counted exactly) and     \
             * the others; log s = log1p(cnt - 1 + rest) keeps log_softmax accurate where    \
             * one entry dominates. float64 rows sum rest compensated (two_sum, the          \
             * errors kept in rest_lo) and divide in double-double, so that a row's length   \
             * costs no accuracy; float32 and float16 rows have 29 spare bits */             \
            double rest = 0.0, rest_lo = 0.0, cnt = 0.0;                                     \
            for (intptr_t i = 0; i < n; i++) {                                               \
                double lo, d = nnm_shift(sgn * LD_##S(*(const T *)(px + i * sx)), m, m_inf, &lo); \
                int top = d == 0.0;                                                          \
                double e = nnm_sel(top, 0.0, row_exp(d, lo));                                \
                if (sizeof(T) == 8) {                                                        \
                    double err;                                                              \
                    rest = nnm_two_sum(rest, e, &err);                                       \
                    rest_lo += err;                                                          \
                } else {                                                                     \
                    rest += e;                                                               \
                }                                                                            \
                cnt += nnm_sel(top, 1.0, 0.0);                                               \
            }                                                                                \
            double s_lo, s = nnm_two_sum(cnt, rest, &s_lo);                                  \
            s_lo += rest_lo;                                                                 \
            if ((KIND) == NNM_SOFTMAX || (KIND) == NNM_SOFTMIN) {                            \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double lo, d = nnm_shift(sgn * LD_##S(*(const T *)(px + i * sx)), m, m_inf, &lo); \
                    double e = nnm_exp(d), q;                                                \
                    if (sizeof(T) == 8) {                                                    \
                        double ql;                                                           \
                        q = nnm_dd_div(e, e * lo, s, s_lo, &ql);                             \
                    } else {                                                                 \
                        q = (e * (1.0 + lo)) / s;                                            \
                    }                                                                        \
                    *(T *)(py + i * sy) = ST_##S(q);                                         \
                }                                                                            \
            } else if ((KIND) == NNM_LOG_SOFTMAX) {                                          \
                /* log1p(a + a_lo) = log1p(a) + a_lo / (1 + a) to first order */             \
                double a_lo, a = nnm_two_sum(cnt - 1.0, rest, &a_lo);                        \
                a_lo += rest_lo;                                                             \
                double ls = nnm_log1p(a);                                                    \
                double ls_lo = a_lo / (1.0 + a);                                             \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double lo, d = nnm_shift(sgn * LD_##S(*(const T *)(px + i * sx)), m, m_inf, &lo); \
                    int dinf = d == -INFINITY; /* no inf - inf inside two_sum */             \
                    double yl, y = nnm_two_sum(nnm_sel(dinf, 0.0, d), -ls, &yl);             \
                    y = nnm_sel(dinf, -INFINITY, y + ((yl + lo) - ls_lo));                   \
                    *(T *)(py + i * sy) = ST_##S(y);                                         \
                }                                                                            \
            } else {                                                                         \
                /* softmax: dot = sum g s; log_softmax: dot = sum g */                       \
                double dot = 0.0;                                                            \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double g = LD_##S(*(const T *)(pg + i * sg));                            \
                    if ((KIND) != NNM_LOG_SOFTMAX_VJP) {                                     \
                        double lo,                                                           \
                            d = nnm_shift(sgn * LD_##S(*(const T *)(px + i * sx)), m, m_inf, &lo); \
                        dot += g * (row_exp(d, lo) / (s + s_lo));                            \
                    } else {                                                                 \
                        dot += g;                                                            \
                    }                                                                        \
                }                                                                            \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double g = LD_##S(*(const T *)(pg + i * sg));                            \
                    double lo, d = nnm_shift(sgn * LD_##S(*(const T *)(px + i * sx)), m, m_inf, &lo); \
                    double p = row_exp(d, lo) / (s + s_lo);                                  \
                    /* softmin(x) = softmax(-x): the chain rule negates its VJP */           \
                    double y = (KIND) == NNM_LOG_SOFTMAX_VJP ? g - p * dot : sgn * (p * (g - dot)); \
                    *(T *)(py + i * sy) = ST_##S(y);                                         \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }


/* -- the vectorised rows ------------------------------------------------------------------
 * A row is taken in blocks of NNM_RB elements, loaded (converted to float64, negated for
 * softmin) into a buffer; every pass is either a map over a buffer (no reduction, so the
 * compiler vectorises it, exp included) or a sum over a buffer into NNM_NL accumulators
 * whose order of operations is fixed by the source, so that every ISA level gives the same
 * bits whatever its vector width. A row of at most NNM_RB elements is read once and its
 * exponentials computed once; a longer row recomputes them block by block in each pass.
 *
 * The maximum m comes first (NaN, +inf and "no finite entry" noted by integer masks); a row
 * with a NaN is all NaN, and a row whose maximum is infinite (or with no finite entry)
 * goes to the general method above. Otherwise d = x - m is finite or -inf (where it would
 * overflow, and for x = -inf), chosen by masks, so that no flag is raised. The sum
 * s = cnt + rest keeps the entries at the maximum apart (counted exactly), as above;
 * float64 rows take x - m as a double-double (dh + dl) and sum rest compensated, per
 * accumulator; float32 and float16 rows use the float32 path's exp (relative error
 * below 2^-42) and plain float64 sums. */
typedef struct {
    double x[NNM_RB], e[NNM_RB], dl[NNM_RB], top[NNM_RB], g[NNM_RB];
} nnm_rowbuf;

/* what the maximum and sum pass of a row found (nnm_row_sum_S) */
enum { NNM_RSUM_OK, NNM_RSUM_NAN, NNM_RSUM_SPECIAL };

/* log s for s = cnt + rest (+ rl): log1p(cnt - 1 + rest), which keeps its accuracy where
 * one entry dominates, and (*lo) the low part's a_lo / (1 + a) to first order */
NNM_INLINE double nnm_rlog_s(double c, double r, double rl, double *lo)
{
    double a_lo, a = nnm_two_sum(c - 1.0, r, &a_lo);
    a_lo += rl;
    *lo = a_lo / (1.0 + a);
    return nnm_log1p(a);
}

/* pass 1 over one block: per accumulator the maximum of the finite entries and masks of
 * NaN, +inf and finite entries (padding: -inf, which sets none of them) */
NNM_INLINE void nnm_rmax(const double *x, intptr_t lenp, double *mx, uint64_t *nan,
                            uint64_t *pinf, uint64_t *fin)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double v = x[i + j];
            uint64_t nf = nnm_nonfinite_mask(v), nm = nnm_nan_mask(v);
            nan[j] |= nm;
            pinf[j] |= nf & ~nm & ~nnm_signbit_mask(v);
            fin[j] |= ~nf;
            mx[j] = nnm_max(mx[j], nnm_blend(nf, -DBL_MAX, v));
        }
    }
}

/* d = x - m (dh + *dl for float64 rows), -inf where x - m < -DBL_MAX (x = -inf included,
 * tested by halves: no overflow flag) */
NNM_INLINE double nnm_rshift(double x, double m, int dd, double *dl)
{
    uint64_t ovf = nnm_lt(0.5 * x - 0.5 * m, -0.5 * DBL_MAX);
    double xs = nnm_blend(ovf, m, x), l = 0.0, d;
    if (dd) {
        d = nnm_two_sum(xs, -m, &l);
    } else {
        d = xs - m;
    }
    *dl = nnm_blend(ovf, 0.0, l);
    return nnm_blend(ovf, -INFINITY, d);
}

/* the map of pass 2: e = e^d, top = 1 at the maximum (d = 0); padding contributes 0 */
NNM_INLINE void nnm_rexp(nnm_rowbuf *b, intptr_t len, double m, int dd)
{
    intptr_t lenp = nnm_rpad(len);
    for (intptr_t i = 0; i < lenp; i++) {
        double dl, d = nnm_rshift(b->x[i], m, dd, &dl);
        b->dl[i] = dl;
        b->top[i] = nnm_blend(nnm_zero_mask(d), 1.0, 0.0);
        b->e[i] = dd ? nnm_exp_neg(d) : nnm_exp32(nnm_max(d, -NNMF32_EXP_MIN));
    }
    for (intptr_t i = len; i < lenp; i++) {
        b->e[i] = 0.0, b->dl[i] = 0.0, b->top[i] = 0.0;
    }
}

/* the sum of pass 2: rest += e (1 + dl) off the maximum (compensated: err), cnt += top */
NNM_INLINE void nnm_rsum(const nnm_rowbuf *b, intptr_t lenp, int dd, double *rest,
                            double *err, double *cnt)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double e = b->e[i + j], top = b->top[i + j];
            double t = (e + e * b->dl[i + j]) * (1.0 - top);
            nnm_racc(rest, err, j, t, dd);
            cnt[j] += top;
        }
    }
}

/* sum_i g_i e_i (1 + dl_i) / s (softmax VJP) or sum_i g_i (plain: log_softmax VJP);
 * float64 rows compensated (err), as the sum of the exponentials */
NNM_INLINE void nnm_rdot(const nnm_rowbuf *b, intptr_t lenp, double s, int plain, int dd,
                            double *dot, double *err)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double e = b->e[i + j];
            double p = (e + e * b->dl[i + j]) / s;
            double t = b->g[i + j] * (plain ? 1.0 : p);
            nnm_racc(dot, err, j, t, dd);
        }
    }
}

/* the accumulators summed in a fixed order; float64 rows with their errors (two_sum) */
NNM_INLINE double nnm_rtotal(const double *v, const double *err, double *lo)
{
    double s = 0.0, l = 0.0;
    for (int j = 0; j < NNM_NL; j++) {
        double e;
        s = nnm_two_sum(s, v[j], &e);
        l += e + (err ? err[j] : 0.0);
    }
    *lo = l;
    return s;
}

/* the outputs of one block into y (which may be b->dl: each element is read before it is
 * written) */
NNM_INLINE void nnm_rout(nnm_rowbuf *b, intptr_t len, int kind, int dd, double m,
                            double s, double s_lo, double ls, double ls_lo, double dot,
                            double sgn, double *y)
{
    if (kind == NNM_LOG_SOFTMAX) {
        for (intptr_t i = 0; i < len; i++) {
            double dl, d = nnm_rshift(b->x[i], m, dd, &dl);
            uint64_t dinf = nnm_nonfinite_mask(d); /* no inf - inf in two_sum */
            double yl, v = nnm_two_sum(nnm_blend(dinf, 0.0, d), -ls, &yl);
            y[i] = nnm_blend(dinf, -INFINITY, v + ((yl + dl) - ls_lo));
        }
    } else if (kind == NNM_SOFTMAX || kind == NNM_SOFTMIN) {
        for (intptr_t i = 0; i < len; i++) {
            double e = b->e[i], ql;
            y[i] = dd ? nnm_dd_div(e, e * b->dl[i], s, s_lo, &ql) : e / s;
        }
    } else {
        for (intptr_t i = 0; i < len; i++) {
            double e = b->e[i], g = b->g[i];
            double p = (e + e * b->dl[i]) / (s + s_lo);
            /* softmin(x) = softmax(-x): the chain rule negates its VJP */
            y[i] = kind == NNM_LOG_SOFTMAX_VJP ? g - p * dot : sgn * (p * (g - dot));
        }
    }
}

/* NNM_ROW_TYPE(T, S) defines the loads and stores (nnm_rows.h) and the row functions of
 * one element type. */
#define NNM_ROW_TYPE(T, S)                                                                   \
    NNM_ROW_IO(T, S)                                                                         \
    /* the maximum (*m_) of a row loaded times sgn, and the sum of its exponentials, s =     \
     * cnt + rest (*c_ + *r_, *rl_ the compensation of rest); NNM_RSUM_NAN for a row with    \
     * a NaN, NNM_RSUM_SPECIAL for one whose maximum is +inf or without a finite entry.      \
     * A row of one block stays in the buffer with its exponentials. */                      \
    NNM_INLINE int nnm_row_sum_##S(const char *px, intptr_t sx, intptr_t n, double sgn,      \
                                   nnm_rowbuf *b, double *m_, double *c_, double *r_,        \
                                   double *rl_)                                              \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        const int one = n <= NNM_RB; /* one block: loaded once, exponentials kept */         \
        double mx[NNM_NL];                                                                   \
        uint64_t nan[NNM_NL], pinf[NNM_NL], fin[NNM_NL];                                     \
        for (int j = 0; j < NNM_NL; j++) {                                                   \
            mx[j] = -DBL_MAX, nan[j] = 0, pinf[j] = 0, fin[j] = 0;                           \
        }                                                                                    \
        for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                        \
            intptr_t len = nnm_rblock(n, i0);                                                \
            nnm_rload_##S(px + i0 * sx, sx, len, sgn, -INFINITY, b->x);                      \
            nnm_rmax(b->x, nnm_rpad(len), mx, nan, pinf, fin);                               \
        }                                                                                    \
        double m = -DBL_MAX;                                                                 \
        uint64_t any_nan = 0, any_pinf = 0, any_fin = 0;                                     \
        for (int j = 0; j < NNM_NL; j++) {                                                   \
            m = nnm_max(m, mx[j]);                                                           \
            any_nan |= nan[j], any_pinf |= pinf[j], any_fin |= fin[j];                       \
        }                                                                                    \
        if (any_nan) {                                                                       \
            return NNM_RSUM_NAN;                                                             \
        }                                                                                    \
        if (any_pinf || !any_fin) {                                                          \
            return NNM_RSUM_SPECIAL;                                                         \
        }                                                                                    \
        double rest[NNM_NL], err[NNM_NL], cnt[NNM_NL];                                       \
        for (int j = 0; j < NNM_NL; j++) {                                                   \
            rest[j] = 0.0, err[j] = 0.0, cnt[j] = 0.0;                                       \
        }                                                                                    \
        for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                        \
            intptr_t len = nnm_rblock(n, i0);                                                \
            if (!one) {                                                                      \
                nnm_rload_##S(px + i0 * sx, sx, len, sgn, -INFINITY, b->x);                  \
            }                                                                                \
            nnm_rexp(b, len, m, dd);                                                         \
            nnm_rsum(b, nnm_rpad(len), dd, rest, err, cnt);                                  \
        }                                                                                    \
        double cl;                                                                           \
        *r_ = nnm_rtotal(rest, dd ? err : NULL, rl_);                                        \
        *c_ = nnm_rtotal(cnt, NULL, &cl); /* exact: whole numbers below 2^53 */              \
        *m_ = m;                                                                             \
        return NNM_RSUM_OK;                                                                  \
    }                                                                                        \
    /* one row of softmax, log_softmax, softmin or their VJPs; 1: not done (the maximum is   \
     * infinite or there is no finite entry), for the general method */                      \
    NNM_INLINE int nnm_row_##S(int kind, const char *px, intptr_t sx, const char *pg,        \
                               intptr_t sg, char *py, intptr_t sy, intptr_t n, nnm_rowbuf *b) \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        const int vjp = kind == NNM_SOFTMAX_VJP || kind == NNM_LOG_SOFTMAX_VJP ||            \
                        kind == NNM_SOFTMIN_VJP;                                             \
        const double sgn = kind == NNM_SOFTMIN || kind == NNM_SOFTMIN_VJP ? -1.0 : 1.0;      \
        const int one = n <= NNM_RB; /* one block: loaded once, exponentials kept */         \
        double m = 0.0, c = 0.0, r = 0.0, rl = 0.0;                                          \
        int st = nnm_row_sum_##S(px, sx, n, sgn, b, &m, &c, &r, &rl);                        \
        if (st == NNM_RSUM_NAN) {                                                            \
            nnm_rfill_nan_##S(py, sy, n);                                                    \
            return 0;                                                                        \
        }                                                                                    \
        if (st == NNM_RSUM_SPECIAL) {                                                        \
            return 1;                                                                        \
        }                                                                                    \
        double s_lo, s = nnm_two_sum(c, r, &s_lo);                                           \
        s_lo += rl;                                                                          \
        double ls = 0.0, ls_lo = 0.0, dot = 0.0;                                             \
        if (kind == NNM_LOG_SOFTMAX) {                                                       \
            ls = nnm_rlog_s(c, r, rl, &ls_lo);                                               \
        }                                                                                    \
        if (vjp) {                                                                           \
            double dots[NNM_NL], derr[NNM_NL];                                               \
            for (int j = 0; j < NNM_NL; j++) {                                               \
                dots[j] = 0.0, derr[j] = 0.0;                                                \
            }                                                                                \
            for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                    \
                intptr_t len = nnm_rblock(n, i0);                                            \
                if (!one && kind != NNM_LOG_SOFTMAX_VJP) {                                   \
                    nnm_rload_##S(px + i0 * sx, sx, len, sgn, -INFINITY, b->x);              \
                    nnm_rexp(b, len, m, dd);                                                 \
                }                                                                            \
                nnm_rload_##S(pg + i0 * sg, sg, len, 1.0, 0.0, b->g);                        \
                nnm_rdot(b, nnm_rpad(len), s + s_lo, kind == NNM_LOG_SOFTMAX_VJP, dd, dots,  \
                         derr);                                                              \
            }                                                                                \
            double dl_;                                                                      \
            dot = nnm_rtotal(dots, dd ? derr : NULL, &dl_);                                  \
            dot += dl_;                                                                      \
        }                                                                                    \
        for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                        \
            intptr_t len = nnm_rblock(n, i0);                                                \
            if (!one) {                                                                      \
                nnm_rload_##S(px + i0 * sx, sx, len, sgn, -INFINITY, b->x);                  \
                if (kind != NNM_LOG_SOFTMAX) {                                               \
                    nnm_rexp(b, len, m, dd);                                                 \
                }                                                                            \
            }                                                                                \
            if (vjp && !one) {                                                               \
                nnm_rload_##S(pg + i0 * sg, sg, len, 1.0, 0.0, b->g);                        \
            }                                                                                \
            double *y = b->dl; /* reused for the outputs once dl is read */                  \
            nnm_rout(b, len, kind, dd, m, s, s_lo, ls, ls_lo, dot, sgn, y);                  \
            nnm_rstore_##S(py + i0 * sy, sy, len, y);                                        \
        }                                                                                    \
        return 0;                                                                            \
    }

NNM_ROW_TYPE(nnm_half, e)
NNM_ROW_TYPE(float, f)
NNM_ROW_TYPE(double, d)

/* the exported block of rows: each row by the vectorised method, or by the general one
 * (sparsemax; a row whose maximum is infinite) */
#define NNM_ROW_BLOCK(fname, T, S, KIND, one_fn)                                             \
    void fname(char *const *args, intptr_t nrows, intptr_t n, const intptr_t *steps)         \
    {                                                                                        \
        const int vjp = (KIND) == NNM_SOFTMAX_VJP || (KIND) == NNM_LOG_SOFTMAX_VJP ||        \
                        (KIND) == NNM_SOFTMIN_VJP || (KIND) == NNM_SPARSEMAX_VJP;            \
        const int nargs = vjp ? 3 : 2;                                                       \
        const intptr_t sx = steps[nargs], sg = vjp ? steps[nargs + 1] : 0;                   \
        const intptr_t sy = steps[2 * nargs - 1];                                            \
        const int general = (KIND) == NNM_SPARSEMAX || (KIND) == NNM_SPARSEMAX_VJP;          \
        nnm_rowbuf buf;                                                                      \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            const char *px = args[0] + r * steps[0];                                         \
            const char *pg = vjp ? args[1] + r * steps[1] : px;                              \
            char *py = args[nargs - 1] + r * steps[nargs - 1];                               \
            if (general || nnm_row_##S(KIND, px, sx, pg, sg, py, sy, n, &buf)) {             \
                one_fn(px, sx, pg, sg, py, sy, n);                                           \
            }                                                                                \
        }                                                                                    \
    }

#define NNM_ROW(name, nin, kind, doc)                                                        \
    NNM_ROW_ONE(row1_##name##_e, nnm_half, e, kind)                                          \
    NNM_ROW_ONE(row1_##name##_f, float, f, kind)                                             \
    NNM_ROW_ONE(row1_##name##_d, double, d, kind)                                            \
    NNM_ROW_BLOCK(NNM_SYM(row_##name##_e), nnm_half, e, kind, row1_##name##_e)               \
    NNM_ROW_BLOCK(NNM_SYM(row_##name##_f), float, f, kind, row1_##name##_f)                  \
    NNM_ROW_BLOCK(NNM_SYM(row_##name##_d), double, d, kind, row1_##name##_d)
#include "nnm_ufuncs.def"

/* -- sparse categorical cross-entropy from logits -------------------------------------------
 * One row z and its label y: loss = -log_softmax(z)_y = log s - d_y, with s = cnt + rest
 * the sum of the rows above and d_y = z_y - max; both terms are non-negative, so nothing
 * cancels, and float64 rows carry both as double-doubles. The VJP, for the cotangent g of
 * the row's loss, is g (softmax(z) - onehot(y)): softmax's outputs as above, and at y
 * -g (s - e_y) / s, with s - e_y formed from the sum's parts, so that 1 - p_y keeps its
 * accuracy where p_y is near 1. A row with a NaN gives NaN; a row whose maximum is +inf, or
 * with no finite entry, takes the limits (softmax uniform over the entries at +inf, or over
 * all of them when every entry is -inf). A label outside [0, n) gives NaN (the Python layer
 * refuses such labels before). */
/* 1 - p_y as (s - e_y) / s, s = c + r (+ rl): for y at the maximum (d = 0) e_y = 1 is one
 * of the c; otherwise e_y = e (1 + dl) is one of the terms of r */
NNM_INLINE double nnm_sce_complement(double d, double dl, int dd, double c, double r,
                                        double rl, double s, double s_lo)
{
    double hl, h;
    if (d == 0.0) {
        h = nnm_two_sum(c - 1.0, r, &hl);
        hl += rl;
    } else {
        double e = dd ? nnm_exp_neg(d) : nnm_exp32(nnm_max(d, -NNMF32_EXP_MIN));
        double tl, t = nnm_two_sum(r, -(e + e * dl), &tl);
        h = nnm_two_sum(c, t, &hl);
        hl += tl + rl;
    }
    return (h + hl) / (s + s_lo);
}

/* the VJP's outputs of one block: g softmax(z) */
NNM_INLINE void nnm_sce_out(const nnm_rowbuf *b, intptr_t len, int dd, double s,
                               double s_lo, double g, double *y)
{
    for (intptr_t i = 0; i < len; i++) {
        double e = b->e[i], ql;
        y[i] = g * (dd ? nnm_dd_div(e, e * b->dl[i], s, s_lo, &ql) : e / s);
    }
}

/* the evaluation's blocks (NNM_EVAL_TYPE, below): rows of at most NNM_EN entries, at most
 * NNM_EB rows a block */
#define NNM_EN 32
#define NNM_EB 128
#define NNM_EX 4096 /* the buffer of a block: n * rows <= NNM_EX */

/* the rows of a block of rows of n <= NNM_EN entries */
static inline intptr_t nnm_eblock_rows(intptr_t n)
{
    return NNM_EX / n < NNM_EB ? NNM_EX / n : NNM_EB;
}

/* sparse_ce_logits of short rows through the evaluation's blocks */
static void nnm_sce_short_e(char *const *args, intptr_t nrows, intptr_t n,
                            const intptr_t *steps);
static void nnm_sce_short_f(char *const *args, intptr_t nrows, intptr_t n,
                            const intptr_t *steps);
static void nnm_sce_short_d(char *const *args, intptr_t nrows, intptr_t n,
                            const intptr_t *steps);
/* and its gradient */
static void nnm_sce_back_short_e(char *const *args, intptr_t nrows, intptr_t n,
                                 const intptr_t *steps);
static void nnm_sce_back_short_f(char *const *args, intptr_t nrows, intptr_t n,
                                 const intptr_t *steps);
static void nnm_sce_back_short_d(char *const *args, intptr_t nrows, intptr_t n,
                                 const intptr_t *steps);

#define NNM_SCE_TYPE(T, S)                                                                   \
    /* the entries equal to +inf */                                                          \
    static double nnm_sce_count_inf_##S(const char *px, intptr_t sx, intptr_t n)             \
    {                                                                                        \
        double k = 0.0;                                                                      \
        for (intptr_t i = 0; i < n; i++) {                                                   \
            k += LD_##S(*(const T *)(px + i * sx)) == INFINITY ? 1.0 : 0.0;                  \
        }                                                                                    \
        return k;                                                                            \
    }                                                                                        \
    static double nnm_sce_##S(const char *px, intptr_t sx, intptr_t n, int64_t y,            \
                              nnm_rowbuf *b)                                                 \
    {                                                                                        \
        if (y < 0 || y >= n) {                                                               \
            return NAN;                                                                      \
        }                                                                                    \
        const int dd = sizeof(T) == 8;                                                       \
        double m = 0.0, c = 0.0, r = 0.0, rl = 0.0;                                          \
        int st = nnm_row_sum_##S(px, sx, n, 1.0, b, &m, &c, &r, &rl);                        \
        double zy = LD_##S(*(const T *)(px + y * sx));                                       \
        if (st == NNM_RSUM_NAN) {                                                            \
            return NAN;                                                                      \
        }                                                                                    \
        if (st == NNM_RSUM_SPECIAL) { /* log k at one of k entries +inf; log n: all -inf */  \
            double k = nnm_sce_count_inf_##S(px, sx, n);                                     \
            if (k == 0.0) {                                                                  \
                return nnm_log1p((double)n - 1.0);                                           \
            }                                                                                \
            return zy == INFINITY ? nnm_log1p(k - 1.0) : INFINITY;                           \
        }                                                                                    \
        double ls_lo, ls = nnm_rlog_s(c, r, rl, &ls_lo);                                     \
        double dl, d = nnm_rshift(zy, m, dd, &dl);                                           \
        if (d == -INFINITY) { /* e^{d_y} below the float64 range (z_y = -inf included) */    \
            return INFINITY;                                                                 \
        }                                                                                    \
        double el, h = nnm_two_sum(ls, -d, &el);                                             \
        return h + (el + (ls_lo - dl));                                                      \
    }                                                                                        \
    static void nnm_sce_vjp_##S(const char *px, intptr_t sx, intptr_t n, int64_t y,          \
                                double g, char *py, intptr_t sy, nnm_rowbuf *b)              \
    {                                                                                        \
        const int dd = sizeof(T) == 8, one = n <= NNM_RB;                                    \
        double m = 0.0, c = 0.0, r = 0.0, rl = 0.0;                                          \
        int st = y < 0 || y >= n ? NNM_RSUM_NAN                                              \
                                 : nnm_row_sum_##S(px, sx, n, 1.0, b, &m, &c, &r, &rl);      \
        if (st == NNM_RSUM_NAN) {                                                            \
            nnm_rfill_nan_##S(py, sy, n);                                                    \
            return;                                                                          \
        }                                                                                    \
        if (st == NNM_RSUM_SPECIAL) { /* softmax is 1/k on the k entries at +inf, else 1/n */ \
            double k = nnm_sce_count_inf_##S(px, sx, n);                                     \
            for (intptr_t i = 0; i < n; i++) {                                               \
                double v = LD_##S(*(const T *)(px + i * sx));                                \
                double p = k == 0.0 ? 1.0 / (double)n : (v == INFINITY ? 1.0 / k : 0.0);     \
                *(T *)(py + i * sy) = ST_##S(g * (p - (i == y ? 1.0 : 0.0)));                \
            }                                                                                \
            return;                                                                          \
        }                                                                                    \
        double s_lo, s = nnm_two_sum(c, r, &s_lo);                                           \
        s_lo += rl;                                                                          \
        for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                        \
            intptr_t len = nnm_rblock(n, i0);                                                \
            if (!one) {                                                                      \
                nnm_rload_##S(px + i0 * sx, sx, len, 1.0, -INFINITY, b->x);                  \
                nnm_rexp(b, len, m, dd);                                                     \
            }                                                                                \
            nnm_sce_out(b, len, dd, s, s_lo, g, b->g);                                       \
            nnm_rstore_##S(py + i0 * sy, sy, len, b->g);                                     \
        }                                                                                    \
        double dl, d = nnm_rshift(LD_##S(*(const T *)(px + y * sx)), m, dd, &dl);            \
        double q = nnm_sce_complement(d, dl, dd, c, r, rl, s, s_lo);                         \
        *(T *)(py + y * sy) = ST_##S(-(g * q));                                              \
    }                                                                                        \
    /* the exported blocks: (n),()->() and (n),(),()->(n); the labels int64 */               \
    void NNM_SYM(loss_sparse_ce_logits_##S)(char *const *args, intptr_t nrows, intptr_t n,   \
                                            const intptr_t *steps)                           \
    {                                                                                        \
        if (sizeof(T) < 8 && n >= 1 && n <= NNM_EN) { /* short rows many a block */         \
            nnm_sce_short_##S(args, nrows, n, steps);                                        \
            return;                                                                          \
        }                                                                                    \
        nnm_rowbuf buf;                                                                      \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            int64_t y = *(const int64_t *)(args[1] + r * steps[1]);                          \
            double v = nnm_sce_##S(args[0] + r * steps[0], steps[3], n, y, &buf);            \
            *(T *)(args[2] + r * steps[2]) = ST_##S(v);                                      \
        }                                                                                    \
    }                                                                                        \
    void NNM_SYM(loss_sparse_ce_logits_backward_##S)(char *const *args, intptr_t nrows,      \
                                                     intptr_t n, const intptr_t *steps)      \
    {                                                                                        \
        if (sizeof(T) < 8 && n >= 1 && n <= NNM_EN) { /* short rows many a block */         \
            nnm_sce_back_short_##S(args, nrows, n, steps);                                   \
            return;                                                                          \
        }                                                                                    \
        nnm_rowbuf buf;                                                                      \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            int64_t y = *(const int64_t *)(args[1] + r * steps[1]);                          \
            double g = LD_##S(*(const T *)(args[2] + r * steps[2]));                         \
            nnm_sce_vjp_##S(args[0] + r * steps[0], steps[4], n, y, g,                       \
                            args[3] + r * steps[3], steps[5], &buf);                         \
        }                                                                                    \
    }

NNM_SCE_TYPE(nnm_half, e)
NNM_SCE_TYPE(float, f)
NNM_SCE_TYPE(double, d)

/* -- binary cross-entropy from logits ---------------------------------------------------------
 * Per element t = y z- + (1 - y) z+ + log1p(e^{-|z|}) (= y softplus(-z) + (1 - y)
 * softplus(z), z+ = max(z, 0), z- = z+ - z): for y in [0, 1] three non-negative terms, so
 * nothing cancels. binary_ce_logits_sum gives the sum over a row in float64 (float64 rows
 * summed compensated, in NNM_NL accumulators as the rows above, so that every level gives
 * the same bits; float32 and float16 rows with the float32 path's exp and log1p, relative
 * error below 2^-42); the Python layer divides by the row's length and splits long rows
 * into fixed pieces. A row with a label outside [0, 1] (NaN included) or a logit that is
 * not finite gives NaN: the Python layer computes such rows by its reference, which
 * refuses such labels and takes the limits of infinite logits.
 *
 * The gradient of the mean, times its cotangent, is c (sigma(z) - y) with c = g / n given
 * per row: binary_ce_logits_backward takes c. sigma(z) - y is formed as
 * (1 - y) sigma(z) - y sigma(-z), exact in its sign and, for hard labels, a single
 * product. */
/* The binary terms of a block into the accumulators: of logits (probs = 0) or of
 * probabilities (probs = 1: p clipped to [lo, hi], the Keras bounds rounded to the row's
 * type, and log p, log(1 - p) exact in float64: 1 - p is exact for float32 and float16 p,
 * float64 rows take log1p(-p)); w: the positive weights of the block (NULL: 1), s: the
 * label smoothing (y' = y (1 - s) + s / 2). Lanes from the block's length on are padding:
 * the padding z = -1000, y = 0 of logits without options contributes log1p(e^-1000) = 0;
 * in the general form (w given) each term is multiplied by b->e, 1 on the block and 0 on
 * its padding. Called with probs, w and s constant, the unused parts vanish. */
/* one term and its refusal mask (*no: a target outside [0, 1], a logit that is not finite,
 * a probability outside [0, 1]) */
NNM_INLINE double nnm_bce_term(double z, double y, double wv, int has_w, double s, int probs,
                               int dd, double lo, double hi, uint64_t *no_)
{
    uint64_t ynan = nnm_nan_mask(y);
    double yc = nnm_blend(ynan, 0.0, y); /* no compare sees a NaN */
    uint64_t no = ynan | nnm_lt(yc, 0.0) | nnm_lt(1.0, yc);
    if (probs) {
        uint64_t znan = nnm_nan_mask(z);
        double zc = nnm_blend(znan, 0.5, z);
        no |= znan | nnm_lt(zc, 0.0) | nnm_lt(1.0, zc);
    } else {
        no |= nnm_nonfinite_mask(z);
    }
    *no_ = no;
    z = nnm_blend(no, probs ? 0.5 : 0.0, z), y = nnm_blend(no, 0.0, y);
    /* y' and 1 - y', each formed directly (1 - y' would lose y's smoothing); for s = 0
     * they are y and 1 - y exactly, with no branch in the loop */
    double ys = y * (1.0 - s) + 0.5 * s;
    double ns = (1.0 - y) * (1.0 - s) + 0.5 * s;
    double wy = has_w ? wv * ys : ys;
    if (probs) {
        double pc = nnm_min(nnm_max(z, lo), hi);
        double lp = nnm__log_kernel(pc, 0.0);
        double lq = dd ? nnm_log1p(-pc) : nnm__log_kernel(1.0 - pc, 0.0);
        return -(wy * lp + ns * lq);
    }
    double zp = nnm_max(z, 0.0), zm = zp - z;
    double a = -fabs(z);
    double l = dd ? nnm_log1p_unit(nnm_exp_neg(a))
                  : nnm_log1p32(nnm_exp32(nnm_max(a, -NNMF32_EXP_MIN)));
    /* w y' softplus(-z) + (1 - y') softplus(z), softplus(+-z) = z-+ + l */
    double k = has_w ? wy + ns : 1.0; /* (the general form always has w) */
    return (wy * zm + ns * zp) + k * l;
}

NNM_INLINE void nnm_bce_terms(nnm_rowbuf *b, intptr_t lenp, int dd, int probs,
                              const double *w, double s, double lo, double hi, double *acc,
                              double *err, uint64_t *bad)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            uint64_t no;
            double t = nnm_bce_term(b->x[i + j], b->g[i + j], w != NULL ? w[i + j] : 1.0,
                                    w != NULL, s, probs, dd, lo, hi, &no);
            bad[j] |= no;
            if (probs || w != NULL) { /* the general form (w given): b->e is 1 on the */
                t *= b->e[i + j];      /* block, 0 on its padding (which smoothing would */
            }                          /* make count); a product, not a branch */
            nnm_racc(acc, err, j, t, dd);
        }
    }
}

/* the terms of a block one by one (NaN where refused): short rows, many to a block */
NNM_INLINE void nnm_bce_each(const nnm_rowbuf *b, intptr_t len, int dd, int probs,
                             const double *w, double s, double lo, double hi, double *out)
{
    for (intptr_t i = 0; i < len; i++) {
        uint64_t no;
        double t = nnm_bce_term(b->x[i], b->g[i], w != NULL ? w[i] : 1.0, w != NULL, s, probs,
                                dd, lo, hi, &no);
        out[i] = nnm_blend(no, NAN, t);
    }
}

/* the sums of short rows of n terms each (t: nrows * n terms), added as nnm_rtotal adds a
 * row's accumulators (the row-by-row path puts term j in accumulator j) */
static inline void nnm_bce_fold(const double *t, intptr_t nrows, intptr_t n, char *out,
                                intptr_t so)
{
    for (intptr_t r = 0; r < nrows; r++) {
        double acc = 0.0, err = 0.0;
        for (intptr_t j = 0; j < n; j++) {
            double e;
            acc = nnm_two_sum(acc, t[r * n + j], &e);
            err += e;
        }
        *(double *)(out + r * so) = acc + err;
    }
}

/* c times the gradient of the block's terms (as nnm_bce_terms; NaN out where a term is
 * refused, but for infinite logits, whose gradient is finite): with logits
 * (1 - y') sigma(z) - w y' sigma(-z) (exact in its sign and, for hard labels and w = 1, a
 * single product); with probabilities (1 - y') / (1 - p) - w y' / p inside the clip range
 * and 0 outside it */
NNM_INLINE void nnm_bce_grad(const nnm_rowbuf *b, intptr_t len, int dd, int probs,
                             const double *w, double s, double lo, double hi, double c,
                             double *out)
{
    for (intptr_t i = 0; i < len; i++) {
        double z = b->x[i], y = b->g[i];
        /* NaN in, or a label outside [0, 1]: NaN out, quietly */
        uint64_t ynan = nnm_nan_mask(y);
        double yc = nnm_blend(ynan, 0.0, y);
        uint64_t znan = nnm_nan_mask(z);
        uint64_t no = znan | ynan | nnm_lt(yc, 0.0) | nnm_lt(1.0, yc);
        if (probs) { /* a probability outside [0, 1]: NaN, for the reference to refuse */
            double zc = nnm_blend(znan, 0.5, z);
            no |= nnm_lt(zc, 0.0) | nnm_lt(1.0, zc);
        }
        z = nnm_blend(no, probs ? 0.5 : 0.0, z), y = nnm_blend(no, 0.0, y);
        double ys = y * (1.0 - s) + 0.5 * s; /* no branch: y and 1 - y for s = 0 */
        double ns = (1.0 - y) * (1.0 - s) + 0.5 * s;
        double wy = w != NULL ? w[i] * ys : ys;
        double d;
        if (probs) {
            uint64_t in = nnm_less_equal(lo, z) & nnm_less_equal(z, hi);
            double pc = nnm_min(nnm_max(z, lo), hi);
            d = nnm_blend(in, ns / (1.0 - pc) - wy / pc, 0.0);
        } else {
            double a = -fabs(z);
            double e = dd ? nnm_exp_neg(a) : nnm_exp32(nnm_max(a, -NNMF32_EXP_MIN));
            double sl = e / (1.0 + e), sh = 1.0 / (1.0 + e); /* sigma(-|z|), sigma(|z|) */
            uint64_t neg = nnm_signbit_mask(z);
            double sp = nnm_blend(neg, sl, sh), sn = nnm_blend(neg, sh, sl); /* sigma(+-z) */
            d = ns * sp - wy * sn;
        }
        out[i] = nnm_blend(no, NAN, c * d);
    }
}


#define NNM_BCE_SHORT 8 /* rows of at most this many terms: many rows to a block */

/* The setup of the short-row paths: whether the call fits (rows of 1 to NNM_BCE_SHORT
 * elements of el bytes, contiguous, in contiguous rows; one w, s and probs for all; the
 * core stride of a row of one is any: NumPy may pass 0); then s, probs, the rows to a
 * block and, in the general form, a block's weights: the row's, repeated. */
static int nnm_bce_short_setup(char *const *args, intptr_t nrows, intptr_t n,
                               const intptr_t *steps, const intptr_t *cs, intptr_t el,
                               int general, nnm_rowbuf *b, double *s, int *probs,
                               intptr_t *per)
{
    if (n < 1 || n > NNM_BCE_SHORT || nrows < 2 || (n > 1 && (cs[0] != el || cs[1] != el)) ||
        steps[0] != n * el || steps[1] != n * el ||
        (general && (steps[2] != 0 || steps[3] != 0 || steps[4] != 0))) {
        return 0;
    }
    *s = general ? *(const double *)args[3] : 0.0;
    *probs = general && *(const double *)args[4] != 0.0;
    *per = NNM_RB / n;
    if (general) {
        for (intptr_t i = 0; i < *per * n; i++) {
            b->top[i] = *(const double *)(args[2] + (i % n) * cs[2]);
        }
    }
    return 1;
}

#define NNM_BCE_TYPE(T, S)                                                                   \
    /* rows of at most NNM_BCE_SHORT contiguous terms, contiguous rows and one w, s and      \
     * probs for all: the terms of many rows in one pass, then each row's sum; 0 when the    \
     * call does not fit (the row-by-row path then) */                                       \
    static int nnm_bce_short_##S(char *const *args, intptr_t nrows, intptr_t n,              \
                                 const intptr_t *steps, int general, nnm_rowbuf *b)          \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        const int no = general ? 5 : 2;                                                      \
        const intptr_t *cs = steps + no + 1;                                                 \
        const intptr_t el = (intptr_t)sizeof(T);                                             \
        double s;                                                                            \
        int probs;                                                                           \
        intptr_t per;                                                                        \
        if (!nnm_bce_short_setup(args, nrows, n, steps, cs, el, general, b, &s, &probs,      \
                                 &per)) {                                                    \
            return 0;                                                                        \
        }                                                                                    \
        for (intptr_t r0 = 0; r0 < nrows; r0 += per) {                                       \
            intptr_t rows = nrows - r0 < per ? nrows - r0 : per, len = rows * n;             \
            nnm_rload_##S(args[0] + r0 * steps[0], el, len, 1.0, 0.0, b->x);                 \
            nnm_rload_##S(args[1] + r0 * steps[1], el, len, 1.0, 0.0, b->g);                 \
            if (!general) {                                                                  \
                nnm_bce_each(b, len, dd, 0, NULL, 0.0, 0.0, 0.0, b->e);                      \
            } else if (probs) {                                                              \
                nnm_bce_each(b, len, dd, 1, b->top, s, NNM_CLIP_LO_##S, NNM_CLIP_HI_##S, b->e);\
            } else {                                                                         \
                nnm_bce_each(b, len, dd, 0, b->top, s, 0.0, 0.0, b->e);                      \
            }                                                                                \
            nnm_bce_fold(b->e, rows, n, args[no] + r0 * steps[no], steps[no]);               \
        }                                                                                    \
        return 1;                                                                            \
    }                                                                                        \
    /* the row sums of terms: args x, y [, w (float64 row), s, probs], out */                \
    NNM_INLINE void nnm_bce_sum_##S(char *const *args, intptr_t nrows, intptr_t n,           \
                                    const intptr_t *steps, int general)                      \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        const int no = general ? 5 : 2; /* the output's argument */                          \
        const intptr_t *cs = steps + no + 1; /* the core strides */                          \
        nnm_rowbuf buf;                                                                      \
        if (nnm_bce_short_##S(args, nrows, n, steps, general, &buf)) {                       \
            return;                                                                          \
        }                                                                                    \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            const char *pz = args[0] + r * steps[0], *py = args[1] + r * steps[1];           \
            double s = general ? *(const double *)(args[3] + r * steps[3]) : 0.0;            \
            int probs = general && *(const double *)(args[4] + r * steps[4]) != 0.0;         \
            double acc[NNM_NL], err[NNM_NL];                                                 \
            uint64_t bad[NNM_NL];                                                            \
            for (int j = 0; j < NNM_NL; j++) {                                               \
                acc[j] = 0.0, err[j] = 0.0, bad[j] = 0;                                      \
            }                                                                                \
            for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                    \
                intptr_t len = nnm_rblock(n, i0);                                            \
                nnm_rload_##S(pz + i0 * cs[0], cs[0], len, 1.0, probs ? 0.5 : -1000.0,       \
                              buf.x);                                                        \
                nnm_rload_##S(py + i0 * cs[1], cs[1], len, 1.0, 0.0, buf.g);                 \
                if (!general) {                                                              \
                    nnm_bce_terms(&buf, nnm_rpad(len), dd, 0, NULL, 0.0, 0.0, 0.0,           \
                                  acc, err, bad);                                            \
                    continue;                                                                \
                }                                                                            \
                nnm_rload_d(args[2] + r * steps[2] + i0 * cs[2], cs[2], len, 1.0, 1.0,       \
                            buf.top);                                                        \
                for (intptr_t i = 0; i < nnm_rpad(len); i++) {                               \
                    buf.e[i] = i < len ? 1.0 : 0.0;                                          \
                }                                                                            \
                if (probs) {                                                                 \
                    nnm_bce_terms(&buf, nnm_rpad(len), dd, 1, buf.top, s,                    \
                                  NNM_CLIP_LO_##S, NNM_CLIP_HI_##S, acc, err, bad);          \
                } else {                                                                     \
                    nnm_bce_terms(&buf, nnm_rpad(len), dd, 0, buf.top, s, 0.0, 0.0,          \
                                  acc, err, bad);                                            \
                }                                                                            \
            }                                                                                \
            double lo, t = nnm_rtotal(acc, dd ? err : NULL, &lo);                            \
            *(double *)(args[no] + r * steps[no]) = nnm_rany(bad) ? NAN : t + lo;            \
        }                                                                                    \
    }                                                                                        \
    /* the gradient of short contiguous rows (as nnm_bce_short_S): the derivatives of        \
     * many rows in one pass, then each row's times its c; 0 when the call does not fit */   \
    static int nnm_bce_back_short_##S(char *const *args, intptr_t nrows, intptr_t n,         \
                                      const intptr_t *steps, int general, nnm_rowbuf *b)     \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        const int ci = general ? 5 : 2, no = ci + 1;                                         \
        const intptr_t *cs = steps + no + 1;                                                 \
        const intptr_t el = (intptr_t)sizeof(T), so = cs[general ? 3 : 2];                   \
        double s;                                                                            \
        int probs;                                                                           \
        intptr_t per;                                                                        \
        if ((n > 1 && so != el) || steps[no] != n * el || /* and the output contiguous */    \
            !nnm_bce_short_setup(args, nrows, n, steps, cs, el, general, b, &s, &probs,      \
                                 &per)) {                                                    \
            return 0;                                                                        \
        }                                                                                    \
        for (intptr_t r0 = 0; r0 < nrows; r0 += per) {                                       \
            intptr_t rows = nrows - r0 < per ? nrows - r0 : per, len = rows * n;             \
            nnm_rload_##S(args[0] + r0 * steps[0], el, len, 1.0, 0.0, b->x);                 \
            nnm_rload_##S(args[1] + r0 * steps[1], el, len, 1.0, 0.0, b->g);                 \
            if (!general) {                                                                  \
                nnm_bce_grad(b, len, dd, 0, NULL, 0.0, 0.0, 0.0, 1.0, b->e);                 \
            } else if (probs) {                                                              \
                nnm_bce_grad(b, len, dd, 1, b->top, s, NNM_CLIP_LO_##S, NNM_CLIP_HI_##S, 1.0,  \
                             b->e);                                                          \
            } else {                                                                         \
                nnm_bce_grad(b, len, dd, 0, b->top, s, 0.0, 0.0, 1.0, b->e);                 \
            }                                                                                \
            T *po = (T *)(args[no] + r0 * steps[no]);                                        \
            for (intptr_t r = 0; r < rows; r++) { /* c d: the row-by-row path's product */   \
                double c = LD_##S(*(const T *)(args[ci] + (r0 + r) * steps[ci]));            \
                for (intptr_t j = 0; j < n; j++) {                                           \
                    po[r * n + j] = ST_##S(c * b->e[r * n + j]);                             \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
        return 1;                                                                            \
    }                                                                                        \
    /* c times the gradient: args x, y [, w, s, probs], c, out */                            \
    NNM_INLINE void nnm_bce_back_##S(char *const *args, intptr_t nrows, intptr_t n,          \
                                     const intptr_t *steps, int general)                     \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        const int ci = general ? 5 : 2, no = ci + 1;                                         \
        const intptr_t *cs = steps + no + 1; /* core strides: x, y[, w], out */              \
        const intptr_t so = cs[general ? 3 : 2];                                             \
        nnm_rowbuf buf;                                                                      \
        if (nnm_bce_back_short_##S(args, nrows, n, steps, general, &buf)) {                  \
            return;                                                                          \
        }                                                                                    \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            const char *pz = args[0] + r * steps[0], *py = args[1] + r * steps[1];           \
            double c = LD_##S(*(const T *)(args[ci] + r * steps[ci]));                       \
            double s = general ? *(const double *)(args[3] + r * steps[3]) : 0.0;            \
            int probs = general && *(const double *)(args[4] + r * steps[4]) != 0.0;         \
            char *po = args[no] + r * steps[no];                                             \
            for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                    \
                intptr_t len = nnm_rblock(n, i0);                                            \
                nnm_rload_##S(pz + i0 * cs[0], cs[0], len, 1.0, 0.0, buf.x);                 \
                nnm_rload_##S(py + i0 * cs[1], cs[1], len, 1.0, 0.0, buf.g);                 \
                if (!general) {                                                              \
                    nnm_bce_grad(&buf, len, dd, 0, NULL, 0.0, 0.0, 0.0, c, buf.e);           \
                } else {                                                                     \
                    nnm_rload_d(args[2] + r * steps[2] + i0 * cs[2], cs[2], len, 1.0, 1.0,   \
                                buf.top);                                                    \
                    if (probs) {                                                             \
                        nnm_bce_grad(&buf, len, dd, 1, buf.top, s, NNM_CLIP_LO_##S,          \
                                     NNM_CLIP_HI_##S, c, buf.e);                             \
                    } else {                                                                 \
                        nnm_bce_grad(&buf, len, dd, 0, buf.top, s, 0.0, 0.0, c, buf.e);      \
                    }                                                                        \
                }                                                                            \
                nnm_rstore_##S(po + i0 * so, so, len, buf.e);                                \
            }                                                                                \
        }                                                                                    \
    }                                                                                        \
    void NNM_SYM(loss_binary_ce_logits_sum_##S)(char *const *args, intptr_t nrows,           \
                                                intptr_t n, const intptr_t *steps)           \
    {                                                                                        \
        nnm_bce_sum_##S(args, nrows, n, steps, 0);                                           \
    }                                                                                        \
    void NNM_SYM(loss_binary_ce_logits_backward_##S)(char *const *args, intptr_t nrows,      \
                                                     intptr_t n, const intptr_t *steps)      \
    {                                                                                        \
        nnm_bce_back_##S(args, nrows, n, steps, 0);                                          \
    }                                                                                        \
    void NNM_SYM(loss_binary_ce_sum_##S)(char *const *args, intptr_t nrows, intptr_t n,      \
                                         const intptr_t *steps)                              \
    {                                                                                        \
        nnm_bce_sum_##S(args, nrows, n, steps, 1);                                           \
    }                                                                                        \
    void NNM_SYM(loss_binary_ce_backward_##S)(char *const *args, intptr_t nrows, intptr_t n, \
                                              const intptr_t *steps)                         \
    {                                                                                        \
        nnm_bce_back_##S(args, nrows, n, steps, 1);                                          \
    }

NNM_BCE_TYPE(nnm_half, e)
NNM_BCE_TYPE(float, f)
NNM_BCE_TYPE(double, d)

/* -- categorical and sparse cross-entropy of probabilities --------------------------------------
 * Keras: the row renormalised, r = p / S with S = sum(p) (1 for a row of zeros), clipped to
 * [eps, 1 - eps] (the bounds rounded to the row's type, as the binary loss's), and the
 * loss -sum_j w_j y'_j log r_j with y' = y (1 - s) + s / n (label smoothing s) and class
 * weights w; sparse: -log r_y (weights applied by the Python layer). S is summed in float64
 * (compensated for float64 rows) and r formed in float64. A row with a probability outside
 * [0, 1] (NaN included) or a target outside [0, 1] gives NaN: the Python layer computes it
 * by its reference, which refuses or propagates.
 *
 * The gradient in p through the renormalisation: with g_j = -w_j y'_j / r_j inside the clip
 * range (0 outside it), dL/dp_k = (g_k - sum_j g_j r_j) / S; three passes over the row
 * (S, the dot, the output). */
NNM_INLINE void nnm_psum(const nnm_rowbuf *b, intptr_t lenp, int dd, int targets,
                         double *acc, double *err, uint64_t *bad)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double p = b->x[i + j];
            uint64_t pn = nnm_nan_mask(p);
            double pc = nnm_blend(pn, 0.0, p);
            uint64_t no = pn | nnm_lt(pc, 0.0) | nnm_lt(1.0, pc);
            if (targets) {
                double y = b->g[i + j];
                uint64_t yn = nnm_nan_mask(y);
                double yc = nnm_blend(yn, 0.0, y);
                no |= yn | nnm_lt(yc, 0.0) | nnm_lt(1.0, yc);
            }
            bad[j] |= no;
            nnm_racc(acc, err, j, pc, dd);
        }
    }
}

/* the smoothed, weighted target of element i of a block (0 for the padding, whose weight
 * is loaded as 0) */
NNM_INLINE double nnm_cce_target(const nnm_rowbuf *b, intptr_t i, double s, double s_n)
{
    double y = b->g[i] * (1.0 - s) + s_n; /* y itself for s = 0: no branch */
    return b->top[i] * y;
}

/* pass 2: sum_j w_j y'_j log r_j (mode 0), or sum_j g_j r_j (mode 1) */
NNM_INLINE void nnm_cce_p_terms(const nnm_rowbuf *b, intptr_t lenp, int dd,
                                int mode, double sum, double s, double s_n, double lo,
                                double hi, double *acc, double *err)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double wy = nnm_cce_target(b, i + j, s, s_n);
            double r = b->x[i + j] / sum;
            double rc = nnm_min(nnm_max(r, lo), hi);
            double t;
            if (mode == 0) {
                t = wy * nnm__log_kernel(rc, 0.0);
            } else {
                uint64_t in = nnm_less_equal(lo, r) & nnm_less_equal(r, hi);
                t = nnm_blend(in, -wy / rc, 0.0) * r;
            }
            nnm_racc(acc, err, j, t, dd);
        }
    }
}

/* pass 3: c (g_k - dot) / S into out */
NNM_INLINE void nnm_cce_p_out(const nnm_rowbuf *b, intptr_t len, double sum, double s,
                              double s_n, double lo, double hi, double dot, double c,
                              double *out)
{
    for (intptr_t i = 0; i < len; i++) {
        double wy = nnm_cce_target(b, i, s, s_n);
        double r = b->x[i] / sum;
        double rc = nnm_min(nnm_max(r, lo), hi);
        uint64_t in = nnm_less_equal(lo, r) & nnm_less_equal(r, hi);
        out[i] = c * ((nnm_blend(in, -wy / rc, 0.0) - dot) / sum);
    }
}

/* the sparse gradient's output: c (g_y [k = y] - g_y r_y) / S (the label's entry set
 * after the loop, which stays a plain fill) */
NNM_INLINE void nnm_sce_p_out(intptr_t len, intptr_t at, double gy_s, double dot_s,
                              double *out)
{
    for (intptr_t i = 0; i < len; i++) {
        out[i] = -dot_s;
    }
    if (at >= 0 && at < len) {
        out[at] = gy_s - dot_s;
    }
}

#define NNM_CCE_P_TYPE(T, S)                                                                 \
    /* S of a row (1 for a row of zeros), or NaN for a refused row */                        \
    NNM_INLINE double nnm_prow_sum_##S(const char *px, intptr_t sx, const char *py,          \
                                       intptr_t sy, intptr_t n, nnm_rowbuf *b)               \
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
            if (py != NULL) {                                                                \
                nnm_rload_##S(py + i0 * sy, sy, len, 1.0, 0.0, b->g);                        \
            }                                                                                \
            if (py != NULL) { /* a constant mode in each call: no branch in the loop */      \
                nnm_psum(b, nnm_rpad(len), dd, 1, acc, err, bad);                            \
            } else {                                                                         \
                nnm_psum(b, nnm_rpad(len), dd, 0, acc, err, bad);                            \
            }                                                                                \
        }                                                                                    \
        double lo, t = nnm_rtotal(acc, dd ? err : NULL, &lo);                                \
        t += lo;                                                                             \
        return nnm_rany(bad) ? NAN : t > 0.0 ? t : 1.0;                                      \
    }                                                                                        \
    /* sum over the row of pass 2 (mode 0: the loss terms, 1: the gradient's dot) */         \
    NNM_INLINE double nnm_cce_p_pass_##S(char *const *args, intptr_t r, intptr_t n,          \
                                         const intptr_t *steps, const intptr_t *cs,          \
                                         nnm_rowbuf *b, int mode, double sum, double s)      \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        double acc[NNM_NL], err[NNM_NL];                                                     \
        for (int j = 0; j < NNM_NL; j++) {                                                   \
            acc[j] = 0.0, err[j] = 0.0;                                                      \
        }                                                                                    \
        for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                        \
            intptr_t len = nnm_rblock(n, i0);                                                \
            nnm_rload_##S(args[0] + r * steps[0] + i0 * cs[0], cs[0], len, 1.0, 0.0, b->x);  \
            nnm_rload_##S(args[1] + r * steps[1] + i0 * cs[1], cs[1], len, 1.0, 0.0, b->g);  \
            nnm_rload_d(args[2] + r * steps[2] + i0 * cs[2], cs[2], len, 1.0, 0.0, b->top);  \
            if (mode == 0) { /* a constant mode in each call: no branch in the loop */       \
                nnm_cce_p_terms(b, nnm_rpad(len), dd, 0, sum, s, s / (double)n,              \
                                NNM_CLIP_LO_##S, NNM_CLIP_HI_##S, acc, err);                 \
            } else {                                                                         \
                nnm_cce_p_terms(b, nnm_rpad(len), dd, 1, sum, s, s / (double)n,              \
                                NNM_CLIP_LO_##S, NNM_CLIP_HI_##S, acc, err);                 \
            }                                                                                \
        }                                                                                    \
        double lo, t = nnm_rtotal(acc, dd ? err : NULL, &lo);                                \
        return t + lo;                                                                       \
    }                                                                                        \
    /* args: p, y, w (float64 row), s (float64), out (float64) */                            \
    void NNM_SYM(loss_cce_probs_##S)(char *const *args, intptr_t nrows, intptr_t n,          \
                                     const intptr_t *steps)                                  \
    {                                                                                        \
        const intptr_t *cs = steps + 5;                                                      \
        nnm_rowbuf buf;                                                                      \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            double s = *(const double *)(args[3] + r * steps[3]);                            \
            double sum = nnm_prow_sum_##S(args[0] + r * steps[0], cs[0],                     \
                                          args[1] + r * steps[1], cs[1], n, &buf);           \
            double v = sum == sum ? -nnm_cce_p_pass_##S(args, r, n, steps, cs, &buf, 0, sum, s) \
                                  : NAN;                                                     \
            *(double *)(args[4] + r * steps[4]) = v;                                         \
        }                                                                                    \
    }                                                                                        \
    /* args: p, y, w, s, c (T), out (T row) */                                               \
    void NNM_SYM(loss_cce_probs_backward_##S)(char *const *args, intptr_t nrows, intptr_t n, \
                                              const intptr_t *steps)                         \
    {                                                                                        \
        const intptr_t *cs = steps + 6; /* p, y, w, out */                                   \
        nnm_rowbuf buf;                                                                      \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            double s = *(const double *)(args[3] + r * steps[3]);                            \
            double c = LD_##S(*(const T *)(args[4] + r * steps[4]));                         \
            char *po = args[5] + r * steps[5];                                               \
            double sum = nnm_prow_sum_##S(args[0] + r * steps[0], cs[0],                     \
                                          args[1] + r * steps[1], cs[1], n, &buf);           \
            if (sum != sum) {                                                                \
                nnm_rfill_nan_##S(po, cs[3], n);                                             \
                continue;                                                                    \
            }                                                                                \
            double dot = nnm_cce_p_pass_##S(args, r, n, steps, cs, &buf, 1, sum, s);         \
            for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                    \
                intptr_t len = nnm_rblock(n, i0);                                            \
                nnm_rload_##S(args[0] + r * steps[0] + i0 * cs[0], cs[0], len, 1.0, 0.0,     \
                              buf.x);                                                        \
                nnm_rload_##S(args[1] + r * steps[1] + i0 * cs[1], cs[1], len, 1.0, 0.0,     \
                              buf.g);                                                        \
                nnm_rload_d(args[2] + r * steps[2] + i0 * cs[2], cs[2], len, 1.0, 0.0,       \
                            buf.top);                                                        \
                nnm_cce_p_out(&buf, len, sum, s, s / (double)n, NNM_CLIP_LO_##S,             \
                              NNM_CLIP_HI_##S, dot, c, buf.e);                               \
                nnm_rstore_##S(po + i0 * cs[3], cs[3], len, buf.e);                          \
            }                                                                                \
        }                                                                                    \
    }                                                                                        \
    /* args: p, label (int64), out (float64): -log clip(p_y / S); NaN for a refused row */   \
    void NNM_SYM(loss_sparse_ce_probs_##S)(char *const *args, intptr_t nrows, intptr_t n,    \
                                           const intptr_t *steps)                            \
    {                                                                                        \
        const intptr_t sx = steps[3];                                                        \
        nnm_rowbuf buf;                                                                      \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            const char *px = args[0] + r * steps[0];                                         \
            int64_t y = *(const int64_t *)(args[1] + r * steps[1]);                          \
            double sum = nnm_prow_sum_##S(px, sx, NULL, 0, n, &buf);                         \
            double v = NAN;                                                                  \
            if (sum == sum && y >= 0 && y < (int64_t)n) {                                    \
                double rr = LD_##S(*(const T *)(px + y * sx)) / sum;                         \
                double rc = nnm_min(nnm_max(rr, NNM_CLIP_LO_##S), NNM_CLIP_HI_##S);          \
                v = -nnm__log_kernel(rc, 0.0);                                               \
            }                                                                                \
            *(double *)(args[2] + r * steps[2]) = v;                                         \
        }                                                                                    \
    }                                                                                        \
    /* args: p, label, c (T), out (T row): c (g_y [k = y] - g_y r_y) / S, g_y = -1 / r_y     \
     * inside the clip range (0 outside it) */                                               \
    void NNM_SYM(loss_sparse_ce_probs_backward_##S)(char *const *args, intptr_t nrows,       \
                                                    intptr_t n, const intptr_t *steps)       \
    {                                                                                        \
        const intptr_t sx = steps[4], so = steps[5];                                         \
        nnm_rowbuf buf;                                                                      \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            const char *px = args[0] + r * steps[0];                                         \
            int64_t y = *(const int64_t *)(args[1] + r * steps[1]);                          \
            double c = LD_##S(*(const T *)(args[2] + r * steps[2]));                         \
            char *po = args[3] + r * steps[3];                                               \
            double sum = nnm_prow_sum_##S(px, sx, NULL, 0, n, &buf);                         \
            if (sum != sum || y < 0 || y >= (int64_t)n) {                                    \
                nnm_rfill_nan_##S(po, so, n);                                                \
                continue;                                                                    \
            }                                                                                \
            double rr = LD_##S(*(const T *)(px + y * sx)) / sum;                             \
            double rc = nnm_min(nnm_max(rr, NNM_CLIP_LO_##S), NNM_CLIP_HI_##S);              \
            int in = rr >= NNM_CLIP_LO_##S && rr <= NNM_CLIP_HI_##S;                         \
            double gy = in ? -1.0 / rc : 0.0;                                                \
            double gy_s = c * gy / sum, dot_s = c * (gy * rr) / sum;                         \
            for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                    \
                intptr_t len = nnm_rblock(n, i0);                                            \
                nnm_sce_p_out(len, y - i0, gy_s, dot_s, buf.e);                              \
                nnm_rstore_##S(po + i0 * so, so, len, buf.e);                                \
            }                                                                                \
        }                                                                                    \
    }

NNM_CCE_P_TYPE(nnm_half, e)
NNM_CCE_P_TYPE(float, f)
NNM_CCE_P_TYPE(double, d)

/* -- hits of the accuracy metrics ------------------------------------------------------------
 * For a row of scores z and its label y: sparse_argmax_hits is 1 where y is the first index
 * of the row's maximum, that is where no entry before y is >= z_y and none after it is
 * > z_y; sparse_top_k_hits is 1 where fewer than k entries are > z_y (a score tied with the
 * k-th largest counts as a hit, as Keras's in_top_k). One pass: each entry's difference
 * from z_y counted by its sign in integer sums (which vectorise at every level). A row
 * with a NaN, or a label outside [0, n), gives NaN: the Python layer then runs its
 * reference, which refuses NaN scores and such labels. */
NNM_INLINE uint64_t nnm_count_above(const double *x, intptr_t len, double zy, int or_equal,
                                       uint64_t *nan)
{
    uint64_t c = 0, nn = 0;
    for (intptr_t i = 0; i < len; i++) {
        double v = x[i];
        uint64_t nm = nnm_nan_mask(v);
        nn |= nm;
        double d = nnm_blend(nm, -1.0, v - zy); /* z_y finite: no inf - inf */
        uint64_t above = or_equal ? ~nnm_lt(d, 0.0) : nnm_lt(0.0, d);
        c += above & 1u;
    }
    *nan |= nn;
    return c;
}

#define NNM_HITS_TYPE(T, S)                                                                  \
    /* the entries >= z_y before index y (or_equal_before) and > z_y from it on, or NaN      \
     * (-1) for a row with a NaN */                                                          \
    static double nnm_above_##S(const char *px, intptr_t sx, intptr_t n, int64_t y,          \
                                int or_equal_before, nnm_rowbuf *b)                          \
    {                                                                                        \
        double zy = LD_##S(*(const T *)(px + y * sx));                                       \
        if (nnm_isnan(zy)) {                                                                 \
            return -1.0;                                                                     \
        }                                                                                    \
        if (fabs(zy) == INFINITY) { /* rare: by compares, one element at a time */           \
            double c = 0.0;                                                                  \
            for (intptr_t i = 0; i < n; i++) {                                               \
                double v = LD_##S(*(const T *)(px + i * sx));                                \
                if (nnm_isnan(v)) {                                                          \
                    return -1.0;                                                             \
                }                                                                            \
                c += (v > zy || (or_equal_before && i < y && v == zy)) ? 1.0 : 0.0;          \
            }                                                                                \
            return c;                                                                        \
        }                                                                                    \
        uint64_t c = 0, nan = 0;                                                             \
        for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                        \
            intptr_t len = nnm_rblock(n, i0);                                                \
            nnm_rload_##S(px + i0 * sx, sx, len, 1.0, 0.0, b->x);                            \
            /* [i0, y) compared with >= (when asked), [y, i0 + len) with > */                \
            intptr_t cut = y - i0 < 0 ? 0 : (y - i0 > len ? len : (intptr_t)(y - i0));       \
            c += nnm_count_above(b->x, cut, zy, or_equal_before, &nan);                      \
            c += nnm_count_above(b->x + cut, len - cut, zy, 0, &nan);                        \
        }                                                                                    \
        return nan ? -1.0 : (double)c;                                                       \
    }                                                                                        \
    void NNM_SYM(loss_sparse_argmax_hits_##S)(char *const *args, intptr_t nrows, intptr_t n, \
                                              const intptr_t *steps)                         \
    {                                                                                        \
        nnm_rowbuf buf;                                                                      \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            int64_t y = *(const int64_t *)(args[1] + r * steps[1]);                          \
            double v = NAN;                                                                  \
            if (y >= 0 && y < n) {                                                           \
                double c = nnm_above_##S(args[0] + r * steps[0], steps[3], n, y, 1, &buf);   \
                v = c < 0.0 ? NAN : (c == 0.0 ? 1.0 : 0.0);                                  \
            }                                                                                \
            *(T *)(args[2] + r * steps[2]) = ST_##S(v);                                      \
        }                                                                                    \
    }                                                                                        \
    void NNM_SYM(loss_sparse_top_k_hits_##S)(char *const *args, intptr_t nrows, intptr_t n,  \
                                             const intptr_t *steps)                          \
    {                                                                                        \
        nnm_rowbuf buf;                                                                      \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            int64_t y = *(const int64_t *)(args[1] + r * steps[1]);                          \
            int64_t k = *(const int64_t *)(args[2] + r * steps[2]);                          \
            double v = NAN;                                                                  \
            if (y >= 0 && y < n && k >= 1) {                                                 \
                double c = nnm_above_##S(args[0] + r * steps[0], steps[4], n, y, 0, &buf);   \
                v = c < 0.0 ? NAN : (c < (double)k ? 1.0 : 0.0);                             \
            }                                                                                \
            *(T *)(args[3] + r * steps[3]) = ST_##S(v);                                      \
        }                                                                                    \
    }

NNM_HITS_TYPE(nnm_half, e)
NNM_HITS_TYPE(float, f)
NNM_HITS_TYPE(double, d)

/* -- the fused evaluation of a row: prediction, rank of the label, cross-entropy ------------
 * sparse_eval_rows(z, y) -> (pred, rank, loss), for a row of scores (logits) z and its int64
 * label y, in one pass over the row: pred is the first index of the row's maximum
 * (np.argmax), rank the number of entries strictly above z_y (a top-k hit is rank < k, a
 * score tied with the k-th largest counting as a hit, as sparse_top_k_hits; accuracy's hit
 * is pred == y, as sparse_argmax_hits), and loss is sparse_ce_logits(z, y), bit for bit. A
 * row with a NaN gives pred = rank = -1 and a NaN loss; a label outside [0, n) rank = -1
 * and a NaN loss (the Python layer refuses both).
 *
 * Narrow float32 and float16 rows (n <= NNM_EN: a classifier's logits) are taken up to
 * NNM_EB rows at a time, transposed into a buffer by element, so that every pass is a loop
 * over the block's rows, which the compiler vectorises one row per lane. Each row goes
 * through the operations of nnm_sce_S in the same order (its sums in NNM_NL accumulators by
 * element index mod NNM_NL, combined in nnm_rtotal's order), so that the loss has the same
 * bits. The maximum is taken in one accumulator: the maximum of non-NaN values does not
 * depend on the order but for the sign of a zero maximum, and no output depends on that
 * sign (x - m and z_y - m are then the same, or zeros whose sign is lost in the sums). The
 * rows that nnm_sce_S treats apart (a NaN, a maximum of +inf, no finite entry, z_y - max
 * below the float64 range, a label outside [0, n)) are done again one at a time by the
 * general functions; so are float64 rows and wider ones. */

typedef struct {
    double x[NNM_EX], t[NNM_EX];
    double m[NNM_EB], zy[NNM_EB], cnt[NNM_EB], acc[NNM_EB], rs[NNM_EB], rl[NNM_EB];
    double pred[NNM_EB], rank[NNM_EB], loss[NNM_EB];
    uint64_t bad[NNM_EB], fin[NNM_EB], sp[NNM_EB];
    int64_t y[NNM_EB];
} nnm_evalbuf;

/* pass 1 of a block of nr rows (stride rb in the buffer): per row the maximum of the finite
 * entries, a mask of NaN and +inf entries (bad) and one of finite entries (fin) */
NNM_INLINE void nnm_eval_max(nnm_evalbuf *e, intptr_t nr, intptr_t rb, intptr_t n)
{
    for (intptr_t r = 0; r < nr; r++) {
        e->m[r] = -DBL_MAX, e->bad[r] = 0, e->fin[r] = 0;
    }
    for (intptr_t i = 0; i < n; i++) {
        const double *x = e->x + i * rb;
        for (intptr_t r = 0; r < nr; r++) {
            double v = x[r];
            uint64_t nf = nnm_nonfinite_mask(v);
            e->bad[r] |= nf & ~(nnm_signbit_mask(v) & ~nnm_nan_mask(v)); /* all but -inf */
            e->fin[r] |= ~nf;
            e->m[r] = nnm_max(e->m[r], nnm_blend(nf, -DBL_MAX, v));
        }
    }
}

/* pass 2: t = e^{x - max} off the maximum (nnm_rexp's terms), and the entries at the maximum
 * counted; the rows set apart (sp) computed on zeros */
NNM_INLINE void nnm_eval_exp(nnm_evalbuf *e, intptr_t nr, intptr_t rb, intptr_t n)
{
    for (intptr_t r = 0; r < nr; r++) {
        e->cnt[r] = 0.0;
    }
    for (intptr_t i = 0; i < n; i++) {
        const double *x = e->x + i * rb;
        double *t = e->t + i * rb;
        for (intptr_t r = 0; r < nr; r++) {
            double dl, d = nnm_rshift(nnm_blend(e->sp[r], 0.0, x[r]), e->m[r], 0, &dl);
            double top = nnm_blend(nnm_zero_mask(d), 1.0, 0.0);
            double ex = nnm_exp32(nnm_max(d, -NNMF32_EXP_MIN));
            t[r] = (ex + ex * dl) * (1.0 - top);
            e->cnt[r] += top; /* whole numbers: exact in any order */
        }
    }
}

/* the sum of the terms as nnm_rsum and nnm_rtotal form it: accumulator j adds the terms
 * j, j + NNM_NL, ... in order, and the accumulators are added by two_sum in order, their
 * errors summed apart */
NNM_INLINE void nnm_eval_sum(nnm_evalbuf *e, intptr_t nr, intptr_t rb, intptr_t n)
{
    for (intptr_t r = 0; r < nr; r++) {
        e->rs[r] = 0.0, e->rl[r] = 0.0;
    }
    for (intptr_t j = 0; j < NNM_NL; j++) {
        for (intptr_t r = 0; r < nr; r++) {
            e->acc[r] = 0.0;
        }
        for (intptr_t i = j; i < n; i += NNM_NL) {
            const double *t = e->t + i * rb;
            for (intptr_t r = 0; r < nr; r++) {
                e->acc[r] += t[r];
            }
        }
        for (intptr_t r = 0; r < nr; r++) {
            double er;
            e->rs[r] = nnm_two_sum(e->rs[r], e->acc[r], &er);
            e->rl[r] += er + 0.0;
        }
    }
}

/* per row: log s and the loss log s - d_y, as nnm_sce_S; a row whose d_y is -inf (e^{d_y}
 * below the float64 range) is set apart */
NNM_INLINE void nnm_eval_loss(nnm_evalbuf *e, intptr_t nr)
{
    for (intptr_t r = 0; r < nr; r++) {
        double ls_lo, ls = nnm_rlog_s(e->cnt[r], e->rs[r], e->rl[r], &ls_lo);
        double dl, d = nnm_rshift(e->zy[r], e->m[r], 0, &dl);
        uint64_t dinf = nnm_nonfinite_mask(d);
        e->sp[r] |= dinf;
        double el, h = nnm_two_sum(ls, -nnm_blend(dinf, 0.0, d), &el);
        e->loss[r] = h + (el + (ls_lo - dl));
    }
}

/* pass 3: the first index of the maximum, and the entries strictly above z_y */
NNM_INLINE void nnm_eval_rank(nnm_evalbuf *e, intptr_t nr, intptr_t rb, intptr_t n)
{
    for (intptr_t r = 0; r < nr; r++) {
        e->pred[r] = (double)n, e->rank[r] = 0.0;
    }
    for (intptr_t i = n - 1; i >= 0; i--) {
        const double *x = e->x + i * rb;
        for (intptr_t r = 0; r < nr; r++) {
            double v = nnm_blend(e->sp[r], 0.0, x[r]);
            e->pred[r] = nnm_blend(nnm_mask(v == e->m[r]), (double)i, e->pred[r]);
            e->rank[r] += nnm_blend(nnm_lt(e->zy[r], v), 1.0, 0.0);
        }
    }
}

#define NNM_EVAL_TYPE(T, S)                                                                  \
    /* one row by the general functions: pred and rank by compares, the loss by nnm_sce_S */ \
    static void nnm_eval_one_##S(const char *px, intptr_t sx, intptr_t n, int64_t y,         \
                                 int64_t *pred, int64_t *rank, T *loss, nnm_rowbuf *b)       \
    {                                                                                        \
        int64_t p = -1, k = -1;                                                              \
        int nan = 0;                                                                         \
        double best = 0.0;                                                                   \
        for (intptr_t i = 0; i < n && !nan; i++) {                                           \
            double v = LD_##S(*(const T *)(px + i * sx));                                    \
            nan = nnm_isnan(v);                                                              \
            if (!nan && (p < 0 || isgreater(v, best))) {                                     \
                best = v, p = i;                                                             \
            }                                                                                \
        }                                                                                    \
        if (!nan && y >= 0 && y < n) {                                                       \
            double zy = LD_##S(*(const T *)(px + y * sx));                                   \
            k = 0;                                                                           \
            for (intptr_t i = 0; i < n; i++) {                                               \
                k += isgreater(LD_##S(*(const T *)(px + i * sx)), zy) ? 1 : 0;               \
            }                                                                                \
        }                                                                                    \
        *pred = nan ? -1 : p;                                                                \
        *rank = k;                                                                           \
        *loss = ST_##S(nnm_sce_##S(px, sx, n, y, b));                                        \
    }                                                                                        \
    /* nr rows of n <= NNM_EN entries, transposed (row r, entry i at x[i rb + r]), then the \
     * passes above */                                                                       \
    static void nnm_eval_block_##S(char *const *args, intptr_t nr, intptr_t rb, intptr_t n,  \
                                   const intptr_t *steps, nnm_evalbuf *e, nnm_rowbuf *b)     \
    {                                                                                        \
        const intptr_t sx = steps[5];                                                        \
        if (sx == (intptr_t)sizeof(T) && steps[0] == n * (intptr_t)sizeof(T)) {              \
            const T *x = (const T *)args[0];                                                 \
            for (intptr_t r = 0; r < nr; r++) {                                              \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    e->x[i * rb + r] = LD_##S(x[r * n + i]);                                 \
                }                                                                            \
            }                                                                                \
        } else {                                                                             \
            for (intptr_t r = 0; r < nr; r++) {                                              \
                const char *px = args[0] + r * steps[0];                                     \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    e->x[i * rb + r] = LD_##S(*(const T *)(px + i * sx));                    \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
        nnm_eval_max(e, nr, rb, n);                                                          \
        for (intptr_t r = 0; r < nr; r++) {                                                  \
            int64_t y = *(const int64_t *)(args[1] + r * steps[1]);                          \
            int out = y < 0 || y >= n;                                                       \
            e->y[r] = y;                                                                     \
            e->sp[r] = e->bad[r] | ~e->fin[r] | nnm_mask(out);                               \
            e->zy[r] = nnm_blend(e->sp[r], 0.0, out ? 0.0 : e->x[y * rb + r]);               \
            e->m[r] = nnm_blend(e->sp[r], 0.0, e->m[r]);                                     \
        }                                                                                    \
        nnm_eval_exp(e, nr, rb, n);                                                          \
        nnm_eval_sum(e, nr, rb, n);                                                          \
        nnm_eval_loss(e, nr);                                                                \
        nnm_eval_rank(e, nr, rb, n);                                                         \
        for (intptr_t r = 0; r < nr; r++) {                                                  \
            int64_t *pred = (int64_t *)(args[2] + r * steps[2]);                             \
            int64_t *rank = (int64_t *)(args[3] + r * steps[3]);                             \
            T *loss = (T *)(args[4] + r * steps[4]);                                         \
            if (e->sp[r]) {                                                                  \
                nnm_eval_one_##S(args[0] + r * steps[0], sx, n, e->y[r], pred, rank, loss,   \
                                 b);                                                         \
            } else {                                                                         \
                *pred = (int64_t)e->pred[r], *rank = (int64_t)e->rank[r];                    \
                *loss = ST_##S(e->loss[r]);                                                  \
            }                                                                                \
        }                                                                                    \
    }                                                                                        \
    /* sparse_ce_logits (args: z, y, out) of rows of n <= NNM_EN through the blocks above:   \
     * their loss has its bits; pred and rank go to a scratch pair */                        \
    static void nnm_sce_short_##S(char *const *args, intptr_t nrows, intptr_t n,             \
                                  const intptr_t *steps)                                     \
    {                                                                                        \
        nnm_rowbuf buf;                                                                      \
        nnm_evalbuf eb;                                                                      \
        int64_t pred, rank;                                                                  \
        const intptr_t st[6] = {steps[0], steps[1], 0, 0, steps[2], steps[3]};               \
        intptr_t rb = nnm_eblock_rows(n);                                                    \
        for (intptr_t r0 = 0; r0 < nrows; r0 += rb) {                                        \
            char *a[5] = {args[0] + r0 * st[0], args[1] + r0 * st[1], (char *)&pred,         \
                          (char *)&rank, args[2] + r0 * st[4]};                              \
            intptr_t nr = nrows - r0 < rb ? nrows - r0 : rb;                                 \
            nnm_eval_block_##S(a, nr, rb, n, st, &eb, &buf);                                 \
        }                                                                                    \
    }                                                                                        \
    /* sparse_ce_logits_backward (args: z, y, g, out) of nr rows of n <= NNM_EN: the row    \
     * kernel's g e_i / s off the label and -(g q) at it (nnm_sce_vjp_S's bits), from the     \
     * blocks' maximum and sum; the rows set apart by nnm_sce_vjp_S itself */                \
    static void nnm_sce_back_block_##S(char *const *args, intptr_t nr, intptr_t rb,          \
                                       intptr_t n, const intptr_t *steps, nnm_evalbuf *e,    \
                                       nnm_rowbuf *b)                                        \
    {                                                                                        \
        for (intptr_t r = 0; r < nr; r++) {                                                  \
            const char *pz = args[0] + r * steps[0];                                         \
            for (intptr_t i = 0; i < n; i++) {                                               \
                e->x[i * rb + r] = LD_##S(*(const T *)(pz + i * steps[4]));                  \
            }                                                                                \
        }                                                                                    \
        nnm_eval_max(e, nr, rb, n);                                                          \
        for (intptr_t r = 0; r < nr; r++) {                                                  \
            int64_t y = *(const int64_t *)(args[1] + r * steps[1]);                          \
            e->y[r] = y;                                                                     \
            e->sp[r] = e->bad[r] | ~e->fin[r] | nnm_mask(y < 0 || y >= n);                   \
            e->m[r] = nnm_blend(e->sp[r], 0.0, e->m[r]);                                     \
        }                                                                                    \
        nnm_eval_exp(e, nr, rb, n);                                                          \
        nnm_eval_sum(e, nr, rb, n);                                                          \
        for (intptr_t r = 0; r < nr; r++) { /* s (pred), its low part (rank), g (acc) */     \
            double s_lo, s = nnm_two_sum(e->cnt[r], e->rs[r], &s_lo);                        \
            e->pred[r] = s, e->rank[r] = s_lo + e->rl[r];                                    \
            e->acc[r] = LD_##S(*(const T *)(args[2] + r * steps[2]));                        \
        }                                                                                    \
        for (intptr_t i = 0; i < n; i++) {                                                   \
            const double *x = e->x + i * rb;                                                 \
            double *t = e->t + i * rb;                                                       \
            for (intptr_t r = 0; r < nr; r++) {                                              \
                double dl, d = nnm_rshift(nnm_blend(e->sp[r], 0.0, x[r]), e->m[r], 0, &dl);  \
                double ex = nnm_exp32(nnm_max(d, -NNMF32_EXP_MIN));                          \
                t[r] = e->acc[r] * (ex / e->pred[r]);                                        \
            }                                                                                \
        }                                                                                    \
        for (intptr_t r = 0; r < nr; r++) {                                                  \
            char *po = args[3] + r * steps[3];                                               \
            if (e->sp[r]) {                                                                  \
                nnm_sce_vjp_##S(args[0] + r * steps[0], steps[4], n, e->y[r], e->acc[r], po, \
                                steps[5], b);                                                \
                continue;                                                                    \
            }                                                                                \
            for (intptr_t i = 0; i < n; i++) {                                               \
                *(T *)(po + i * steps[5]) = ST_##S(e->t[i * rb + r]);                        \
            }                                                                                \
            int64_t y = e->y[r];                                                             \
            double dl, d = nnm_rshift(e->x[y * rb + r], e->m[r], 0, &dl);                    \
            double q = nnm_sce_complement(d, dl, 0, e->cnt[r], e->rs[r], e->rl[r],           \
                                          e->pred[r], e->rank[r]);                           \
            *(T *)(po + y * steps[5]) = ST_##S(-(e->acc[r] * q));                            \
        }                                                                                    \
    }                                                                                        \
    static void nnm_sce_back_short_##S(char *const *args, intptr_t nrows, intptr_t n,        \
                                       const intptr_t *steps)                                \
    {                                                                                        \
        nnm_rowbuf buf;                                                                      \
        nnm_evalbuf eb;                                                                      \
        intptr_t rb = nnm_eblock_rows(n);                                                    \
        for (intptr_t r0 = 0; r0 < nrows; r0 += rb) {                                        \
            char *a[4] = {args[0] + r0 * steps[0], args[1] + r0 * steps[1],                  \
                          args[2] + r0 * steps[2], args[3] + r0 * steps[3]};                 \
            intptr_t nr = nrows - r0 < rb ? nrows - r0 : rb;                                 \
            nnm_sce_back_block_##S(a, nr, rb, n, steps, &eb, &buf);                          \
        }                                                                                    \
    }                                                                                        \
    /* the exported block: (n),()->(),(),(); the label, pred and rank int64 */               \
    void NNM_SYM(loss_sparse_eval_rows_##S)(char *const *args, intptr_t nrows, intptr_t n,   \
                                            const intptr_t *steps)                           \
    {                                                                                        \
        nnm_rowbuf buf;                                                                      \
        if (sizeof(T) < 8 && n >= 1 && n <= NNM_EN) {                                        \
            nnm_evalbuf eb;                                                                  \
            intptr_t rb = nnm_eblock_rows(n);                                                \
            for (intptr_t r0 = 0; r0 < nrows; r0 += rb) {                                    \
                char *a[5];                                                                  \
                for (int k = 0; k < 5; k++) {                                                \
                    a[k] = args[k] + r0 * steps[k];                                          \
                }                                                                            \
                intptr_t nr = nrows - r0 < rb ? nrows - r0 : rb;                             \
                nnm_eval_block_##S(a, nr, rb, n, steps, &eb, &buf);                          \
            }                                                                                \
            return;                                                                          \
        }                                                                                    \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            nnm_eval_one_##S(args[0] + r * steps[0], steps[5], n,                            \
                             *(const int64_t *)(args[1] + r * steps[1]),                     \
                             (int64_t *)(args[2] + r * steps[2]),                            \
                             (int64_t *)(args[3] + r * steps[3]),                            \
                             (T *)(args[4] + r * steps[4]), &buf);                           \
        }                                                                                    \
    }

NNM_EVAL_TYPE(nnm_half, e)
NNM_EVAL_TYPE(float, f)
NNM_EVAL_TYPE(double, d)

/* -- categorical cross-entropy from logits: dense or sparse targets, smoothing, class weights --
 * loss = -sum_j y'_j log_softmax(z)_j = Y log s - sum_j y'_j d_j, with the targets
 * y'_j = (y_j (1 - ls) + ls / n) w_j (label smoothing ls, class weights w >= 0), Y = sum_j y'_j,
 * d_j = z_j - max and s as above: two non-negative terms for targets in [0, 1], so nothing
 * cancels; float64 rows carry d as a double-double and sum compensated, in NNM_NL
 * accumulators. The targets are a dense row y, or the one-hot row of an int64 label (the
 * sparse loss); without weights w = 1 and without smoothing y' = y, bit for bit. The
 * gradient, times the row's cotangent c, is c (Y softmax(z) - y'). A row with a target
 * outside [0, 1] (NaN included) or a label outside [0, n), or a logit that is not finite, or
 * whose shift z_j - max overflows, gives NaN (the loss and every entry of the gradient):
 * the Python layer then runs its reference, which refuses such targets and takes the
 * limits of infinite logits. */
NNM_INLINE void nnm_cce_terms(const nnm_rowbuf *b, intptr_t lenp, double m, int dd,
                                 double s1, double s0, double *syd, double *eyd, double *sy,
                                 double *ey, uint64_t *bad)
{
    for (intptr_t i = 0; i < lenp; i += NNM_NL) {
        for (int j = 0; j < NNM_NL; j++) {
            double x = b->x[i + j], y = b->g[i + j];
            uint64_t xbad = nnm_nonfinite_mask(x), ynan = nnm_nan_mask(y);
            double yc = nnm_blend(ynan, 0.0, y);
            uint64_t no = xbad | ynan | nnm_lt(yc, 0.0) | nnm_lt(1.0, yc);
            double dl, d = nnm_rshift(nnm_blend(xbad, m, x), m, dd, &dl);
            no |= nnm_nonfinite_mask(d);
            bad[j] |= no;
            yc = nnm_blend(no, 0.0, (yc * s1 + s0) * b->top[i + j]);
            d = nnm_blend(no, 0.0, d), dl = nnm_blend(no, 0.0, dl);
            double t = yc * d + yc * dl; /* <= 0 */
            nnm_racc(syd, eyd, j, t, dd);
            nnm_racc(sy, ey, j, yc, dd);
        }
    }
}

/* the gradient's outputs of one block: c (Y softmax(z) - y'), b->g holding y' */
NNM_INLINE void nnm_cce_out(const nnm_rowbuf *b, intptr_t len, int dd, double s,
                               double s_lo, double yt, double c, double *out)
{
    for (intptr_t i = 0; i < len; i++) {
        double e = b->e[i], ql;
        double p = dd ? nnm_dd_div(e, e * b->dl[i], s, s_lo, &ql) : e / s;
        out[i] = c * (yt * p - b->g[i]);
    }
}

/* the targets of a row: a dense row py (stride sy) or, for py NULL, the one-hot row of label;
 * class weights pw (float64, stride sw) or, for pw NULL, ones; smoothing ls */
typedef struct {
    const char *py, *pw;
    intptr_t sy, sw;
    int64_t label;
    double s1, s0;
} nnm_cce_targets;

/* the block of targets at i0 (length len, padded with 0) into b->g and the weights into
 * b->top; 1 for a label outside [0, n) */
NNM_INLINE int nnm_cce_block(const nnm_cce_targets *t, intptr_t n, intptr_t i0, intptr_t len,
                             void (*load)(const char *, intptr_t, intptr_t, double, double,
                                          double *),
                             nnm_rowbuf *b)
{
    intptr_t lenp = nnm_rpad(len);
    if (t->py) {
        load(t->py + i0 * t->sy, t->sy, len, 1.0, 0.0, b->g);
    } else {
        for (intptr_t i = 0; i < lenp; i++) {
            b->g[i] = 0.0;
        }
        if (t->label >= i0 && t->label < i0 + len) {
            b->g[t->label - i0] = 1.0;
        }
    }
    if (t->pw) {
        nnm_rload_d(t->pw + i0 * t->sw, t->sw, len, 1.0, 0.0, b->top);
    } else {
        for (intptr_t i = 0; i < lenp; i++) {
            b->top[i] = i < len ? 1.0 : 0.0;
        }
    }
    return !t->py && (t->label < 0 || t->label >= n);
}

/* cce_logits on short rows: float32 and float16 rows of at most NNM_EN entries, many rows a
 * block, transposed as in sparse_eval_rows (nnm_eval_max, nnm_eval_exp and nnm_eval_sum give
 * the row's maximum and the sum of its exponentials with the row kernel's bits), then the
 * targets' terms of nnm_cce_terms in the row kernel's order: entry i into accumulator
 * i mod NNM_NL, the accumulators totalled in order. A row the row kernel would flag, or set
 * apart by the passes, is done again by the row kernel itself. */
typedef struct {
    nnm_evalbuf e;
    double y[NNM_EX];
    double syd[NNM_NL][NNM_EB], sy[NNM_NL][NNM_EB];
    uint64_t no[NNM_EB];
} nnm_cceblk;

NNM_INLINE void nnm_cce_block_terms(nnm_cceblk *c, intptr_t nr, intptr_t rb, intptr_t n)
{
    nnm_evalbuf *e = &c->e;
    for (intptr_t r = 0; r < nr; r++) {
        c->no[r] = e->sp[r];
    }
    for (intptr_t j = 0; j < NNM_NL; j++) {
        for (intptr_t r = 0; r < nr; r++) {
            c->syd[j][r] = 0.0, c->sy[j][r] = 0.0;
        }
        for (intptr_t i = j; i < n; i += NNM_NL) {
            const double *x = e->x + i * rb, *y = c->y + i * rb;
            for (intptr_t r = 0; r < nr; r++) {
                double xv = nnm_blend(e->sp[r], 0.0, x[r]), yv = y[r], m = e->m[r];
                uint64_t xbad = nnm_nonfinite_mask(xv), ynan = nnm_nan_mask(yv);
                double yc = nnm_blend(ynan, 0.0, yv);
                uint64_t no = xbad | ynan | nnm_lt(yc, 0.0) | nnm_lt(1.0, yc);
                double dl, d = nnm_rshift(nnm_blend(xbad, m, xv), m, 0, &dl);
                no |= nnm_nonfinite_mask(d);
                c->no[r] |= no;
                yc = nnm_blend(no, 0.0, (yc * 1.0 + 0.0) * 1.0);
                d = nnm_blend(no, 0.0, d), dl = nnm_blend(no, 0.0, dl);
                c->syd[j][r] += yc * d + yc * dl;
                c->sy[j][r] += yc;
            }
        }
    }
}

/* row r's totals of the targets' terms, sum y' d (returned) and Y = sum y' (*yt), from the
 * lanes as nnm_rtotal adds them in the row kernel */
NNM_INLINE double nnm_cce_block_totals(const nnm_cceblk *c, intptr_t r, double *yt)
{
    double ld[NNM_NL], ly[NNM_NL], l1, l2;
    for (int j = 0; j < NNM_NL; j++) {
        ld[j] = c->syd[j][r], ly[j] = c->sy[j][r];
    }
    double v1 = nnm_rtotal(ld, NULL, &l1), v2 = nnm_rtotal(ly, NULL, &l2);
    *yt = v2 + l2;
    return v1 + l1;
}

#define NNM_CCE_TYPE(T, S)                                                                   \
    /* nr short rows (z at pz, y at py: row steps zr, yr, entry steps zs, ys) transposed into \
     * the block, and the passes up to the targets' terms (nnm_cceblk) */                     \
    static void nnm_cce_block_passes_##S(const char *pz, intptr_t zr, intptr_t zs,           \
                                         const char *py, intptr_t yr, intptr_t ys,           \
                                         intptr_t nr, intptr_t rb, intptr_t n,               \
                                         nnm_cceblk *c)                                      \
    {                                                                                        \
        nnm_evalbuf *e = &c->e;                                                              \
        for (intptr_t r = 0; r < nr; r++) {                                                  \
            for (intptr_t i = 0; i < n; i++) {                                               \
                e->x[i * rb + r] = LD_##S(*(const T *)(pz + r * zr + i * zs));               \
                c->y[i * rb + r] = LD_##S(*(const T *)(py + r * yr + i * ys));               \
            }                                                                                \
        }                                                                                    \
        nnm_eval_max(e, nr, rb, n);                                                          \
        for (intptr_t r = 0; r < nr; r++) {                                                  \
            e->sp[r] = e->bad[r] | ~e->fin[r];                                               \
            e->m[r] = nnm_blend(e->sp[r], 0.0, e->m[r]);                                     \
        }                                                                                    \
        nnm_eval_exp(e, nr, rb, n);                                                          \
        nnm_eval_sum(e, nr, rb, n);                                                          \
        nnm_cce_block_terms(c, nr, rb, n);                                                   \
    }                                                                                        \
    /* the row's maximum m and sum s = c + r (+ rl) (nnm_row_sum_S), and Y and sum y' d;     \
     * 1: a row the reference takes (NaN in z, a non-finite logit, a bad target) */          \
    static int nnm_cce_row_##S(const char *pz, intptr_t sz, const nnm_cce_targets *tg,       \
                               intptr_t n, nnm_rowbuf *b, double *m, double *c, double *r,   \
                               double *rl, double *yt, double *yd)                           \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        if (nnm_row_sum_##S(pz, sz, n, 1.0, b, m, c, r, rl) != NNM_RSUM_OK) {                \
            return 1;                                                                        \
        }                                                                                    \
        double syd[NNM_NL], eyd[NNM_NL], syy[NNM_NL], eyy[NNM_NL];                           \
        uint64_t bad[NNM_NL];                                                                \
        for (int j = 0; j < NNM_NL; j++) {                                                   \
            syd[j] = 0.0, eyd[j] = 0.0, syy[j] = 0.0, eyy[j] = 0.0, bad[j] = 0;              \
        }                                                                                    \
        int badlabel = 0;                                                                    \
        for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                        \
            intptr_t len = nnm_rblock(n, i0);                                                \
            /* padding: z = max, y' = 0, which adds nothing */                               \
            nnm_rload_##S(pz + i0 * sz, sz, len, 1.0, *m, b->x);                             \
            badlabel |= nnm_cce_block(tg, n, i0, len, nnm_rload_##S, b);                     \
            nnm_cce_terms(b, nnm_rpad(len), *m, dd, tg->s1, tg->s0, syd, eyd, syy, eyy, bad); \
        }                                                                                    \
        double l1, l2;                                                                       \
        double v1 = nnm_rtotal(syd, dd ? eyd : NULL, &l1);                                   \
        double v2 = nnm_rtotal(syy, dd ? eyy : NULL, &l2);                                   \
        *yd = v1 + l1, *yt = v2 + l2;                                                        \
        return badlabel || nnm_rany(bad) != 0;                                               \
    }                                                                                        \
    /* the loss of one row, NaN for a row the reference takes */                             \
    static double nnm_cce_value_##S(const char *pz, intptr_t sz, const nnm_cce_targets *tg,  \
                                    intptr_t n, nnm_rowbuf *b)                               \
    {                                                                                        \
        double m = 0.0, c = 0.0, rs = 0.0, rl = 0.0, yt = 0.0, yd = 0.0;                     \
        if (nnm_cce_row_##S(pz, sz, tg, n, b, &m, &c, &rs, &rl, &yt, &yd)) {                 \
            return NAN;                                                                      \
        }                                                                                    \
        double ls_lo, ls = nnm_rlog_s(c, rs, rl, &ls_lo);                                    \
        double pl, ph = nnm_two_prod(yt, ls, &pl);                                           \
        double el, h = nnm_two_sum(ph, -yd, &el);                                            \
        return h + (el + pl + yt * ls_lo);                                                   \
    }                                                                                        \
    /* c times the gradient of one row into po (stride so) */                                \
    static void nnm_cce_grad_##S(const char *pz, intptr_t sz, const nnm_cce_targets *tg,     \
                                 double c, char *po, intptr_t so, intptr_t n, nnm_rowbuf *b) \
    {                                                                                        \
        const int dd = sizeof(T) == 8;                                                       \
        double m = 0.0, cs = 0.0, rs = 0.0, rl = 0.0, yt = 0.0, yd = 0.0;                    \
        if (nnm_cce_row_##S(pz, sz, tg, n, b, &m, &cs, &rs, &rl, &yt, &yd)) {                \
            nnm_rfill_nan_##S(po, so, n);                                                    \
            return;                                                                          \
        }                                                                                    \
        double s_lo, s = nnm_two_sum(cs, rs, &s_lo);                                         \
        s_lo += rl;                                                                          \
        for (intptr_t i0 = 0; i0 < n; i0 += NNM_RB) {                                        \
            intptr_t len = nnm_rblock(n, i0);                                                \
            nnm_rload_##S(pz + i0 * sz, sz, len, 1.0, -INFINITY, b->x);                      \
            nnm_rexp(b, len, m, dd);                                                         \
            nnm_cce_block(tg, n, i0, len, nnm_rload_##S, b);                                 \
            for (intptr_t i = 0; i < len; i++) {                                             \
                b->g[i] = (b->g[i] * tg->s1 + tg->s0) * b->top[i];                           \
            }                                                                                \
            double *out = b->top; /* free once the targets are weighted */                   \
            nnm_cce_out(b, len, dd, s, s_lo, yt, c, out);                                    \
            nnm_rstore_##S(po + i0 * so, so, len, out);                                      \
        }                                                                                    \
    }                                                                                        \
    /* nr short rows (n <= NNM_EN) by nnm_cceblk's passes; args as loss_cce_logits_S */     \
    static void nnm_cce_block_##S(char *const *args, intptr_t nr, intptr_t rb, intptr_t n,   \
                                  const intptr_t *steps, nnm_cceblk *c, nnm_rowbuf *b)       \
    {                                                                                        \
        nnm_evalbuf *e = &c->e;                                                              \
        nnm_cce_block_passes_##S(args[0], steps[0], steps[3], args[1], steps[1], steps[4],   \
                                 nr, rb, n, c);                                              \
        nnm_cce_targets tg = {NULL, NULL, steps[4], 0, 0, 1.0, 0.0};                         \
        for (intptr_t r = 0; r < nr; r++) {                                                  \
            double v;                                                                        \
            if (c->no[r]) {                                                                  \
                tg.py = args[1] + r * steps[1];                                              \
                v = nnm_cce_value_##S(args[0] + r * steps[0], steps[3], &tg, n, b);          \
            } else {                                                                         \
                double yt, yd = nnm_cce_block_totals(c, r, &yt);                             \
                double ls_lo, ls = nnm_rlog_s(e->cnt[r], e->rs[r], e->rl[r], &ls_lo);        \
                double pl, ph = nnm_two_prod(yt, ls, &pl);                                   \
                double el, h = nnm_two_sum(ph, -yd, &el);                                    \
                v = h + (el + pl + yt * ls_lo);                                              \
            }                                                                                \
            *(T *)(args[2] + r * steps[2]) = ST_##S(v);                                      \
        }                                                                                    \
    }                                                                                        \
    /* args: z, y, out; short float32 and float16 rows many a block (nnm_cce_block_S) */     \
    void NNM_SYM(loss_cce_logits_##S)(char *const *args, intptr_t nrows, intptr_t n,         \
                                      const intptr_t *steps)                                 \
    {                                                                                        \
        nnm_rowbuf buf;                                                                      \
        if (sizeof(T) < 8 && n >= 1 && n <= NNM_EN) {                                        \
            nnm_cceblk cb;                                                                   \
            intptr_t rb = nnm_eblock_rows(n);                                                \
            for (intptr_t r0 = 0; r0 < nrows; r0 += rb) {                                    \
                char *a[3] = {args[0] + r0 * steps[0], args[1] + r0 * steps[1],              \
                              args[2] + r0 * steps[2]};                                      \
                intptr_t nr = nrows - r0 < rb ? nrows - r0 : rb;                             \
                nnm_cce_block_##S(a, nr, rb, n, steps, &cb, &buf);                           \
            }                                                                                \
            return;                                                                          \
        }                                                                                    \
        nnm_cce_targets tg = {NULL, NULL, steps[4], 0, 0, 1.0, 0.0};                         \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            tg.py = args[1] + r * steps[1];                                                  \
            double v = nnm_cce_value_##S(args[0] + r * steps[0], steps[3], &tg, n, &buf);    \
            *(T *)(args[2] + r * steps[2]) = ST_##S(v);                                      \
        }                                                                                    \
    }                                                                                        \
    /* the gradient of nr short rows (args: z, y, c, out; n <= NNM_EN) by nnm_cceblk's       \
     * passes: c (Y e_i / s - y_i), the row kernel's bits; flagged rows by nnm_cce_grad_S */  \
    static void nnm_cce_back_block_##S(char *const *args, intptr_t nr, intptr_t rb,          \
                                       intptr_t n, const intptr_t *steps, nnm_cceblk *c,     \
                                       nnm_rowbuf *b)                                        \
    {                                                                                        \
        nnm_evalbuf *e = &c->e;                                                              \
        nnm_cce_block_passes_##S(args[0], steps[0], steps[4], args[1], steps[1], steps[5],   \
                                 nr, rb, n, c);                                              \
        for (intptr_t r = 0; r < nr; r++) { /* Y (zy), s (pred), c (acc) */                  \
            double s_lo;                                                                     \
            (void)nnm_cce_block_totals(c, r, &e->zy[r]);                                     \
            e->pred[r] = nnm_two_sum(e->cnt[r], e->rs[r], &s_lo);                            \
            e->acc[r] = LD_##S(*(const T *)(args[2] + r * steps[2]));                        \
        }                                                                                    \
        for (intptr_t i = 0; i < n; i++) {                                                   \
            const double *x = e->x + i * rb, *y = c->y + i * rb;                             \
            double *t = e->t + i * rb;                                                       \
            for (intptr_t r = 0; r < nr; r++) {                                              \
                double dl, d = nnm_rshift(nnm_blend(c->no[r], 0.0, x[r]), e->m[r], 0, &dl);  \
                double ex = nnm_exp32(nnm_max(d, -NNMF32_EXP_MIN));                          \
                double yw = (nnm_blend(c->no[r], 0.0, y[r]) * 1.0 + 0.0) * 1.0;              \
                t[r] = e->acc[r] * (e->zy[r] * (ex / e->pred[r]) - yw);                      \
            }                                                                                \
        }                                                                                    \
        nnm_cce_targets tg = {NULL, NULL, steps[5], 0, 0, 1.0, 0.0};                         \
        for (intptr_t r = 0; r < nr; r++) {                                                  \
            char *po = args[3] + r * steps[3];                                               \
            if (c->no[r]) {                                                                  \
                tg.py = args[1] + r * steps[1];                                              \
                nnm_cce_grad_##S(args[0] + r * steps[0], steps[4], &tg, e->acc[r], po,       \
                                 steps[6], n, b);                                            \
                continue;                                                                    \
            }                                                                                \
            for (intptr_t i = 0; i < n; i++) {                                               \
                *(T *)(po + i * steps[6]) = ST_##S(e->t[i * rb + r]);                        \
            }                                                                                \
        }                                                                                    \
    }                                                                                        \
    /* args: z, y, c, out (row); short float32 and float16 rows many a block */              \
    void NNM_SYM(loss_cce_logits_backward_##S)(char *const *args, intptr_t nrows,            \
                                               intptr_t n, const intptr_t *steps)            \
    {                                                                                        \
        nnm_rowbuf buf;                                                                      \
        if (sizeof(T) < 8 && n >= 1 && n <= NNM_EN) {                                        \
            nnm_cceblk cb;                                                                   \
            intptr_t rb = nnm_eblock_rows(n);                                                \
            for (intptr_t r0 = 0; r0 < nrows; r0 += rb) {                                    \
                char *a[4] = {args[0] + r0 * steps[0], args[1] + r0 * steps[1],              \
                              args[2] + r0 * steps[2], args[3] + r0 * steps[3]};             \
                intptr_t nr = nrows - r0 < rb ? nrows - r0 : rb;                             \
                nnm_cce_back_block_##S(a, nr, rb, n, steps, &cb, &buf);                      \
            }                                                                                \
            return;                                                                          \
        }                                                                                    \
        nnm_cce_targets tg = {NULL, NULL, steps[5], 0, 0, 1.0, 0.0};                         \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            tg.py = args[1] + r * steps[1];                                                  \
            double c = LD_##S(*(const T *)(args[2] + r * steps[2]));                         \
            nnm_cce_grad_##S(args[0] + r * steps[0], steps[4], &tg, c,                       \
                             args[3] + r * steps[3], steps[6], n, &buf);                     \
        }                                                                                    \
    }                                                                                        \
    /* args: z, y (row, or int64 label for sparse), w (float64 row), s (float64), out;       \
     * inner steps from cs */                                                                \
    static void nnm_cce_ws_##S(char *const *args, intptr_t nrows, intptr_t n,                \
                               const intptr_t *steps, int sparse)                            \
    {                                                                                        \
        const intptr_t *cs = steps + 5; /* z, y (dense only), w */                           \
        nnm_rowbuf buf;                                                                      \
        nnm_cce_targets tg = {NULL, NULL, sparse ? 0 : cs[1], cs[2 - sparse], 0, 1.0, 0.0};  \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            double ls = *(const double *)(args[3] + r * steps[3]);                           \
            if (sparse) {                                                                    \
                tg.label = *(const int64_t *)(args[1] + r * steps[1]);                       \
            } else {                                                                         \
                tg.py = args[1] + r * steps[1];                                              \
            }                                                                                \
            tg.pw = args[2] + r * steps[2], tg.s1 = 1.0 - ls, tg.s0 = ls / (double)n;        \
            double v = nnm_cce_value_##S(args[0] + r * steps[0], cs[0], &tg, n, &buf);       \
            *(T *)(args[4] + r * steps[4]) = ST_##S(v);                                      \
        }                                                                                    \
    }                                                                                        \
    /* args: z, y (row or label), w, s, c (T), out (row) */                                  \
    static void nnm_cce_ws_backward_##S(char *const *args, intptr_t nrows, intptr_t n,       \
                                        const intptr_t *steps, int sparse)                   \
    {                                                                                        \
        const intptr_t *cs = steps + 6; /* z, y (dense only), w, out */                      \
        nnm_rowbuf buf;                                                                      \
        nnm_cce_targets tg = {NULL, NULL, sparse ? 0 : cs[1], cs[2 - sparse], 0, 1.0, 0.0};  \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            double ls = *(const double *)(args[3] + r * steps[3]);                           \
            double c = LD_##S(*(const T *)(args[4] + r * steps[4]));                         \
            if (sparse) {                                                                    \
                tg.label = *(const int64_t *)(args[1] + r * steps[1]);                       \
            } else {                                                                         \
                tg.py = args[1] + r * steps[1];                                              \
            }                                                                                \
            tg.pw = args[2] + r * steps[2], tg.s1 = 1.0 - ls, tg.s0 = ls / (double)n;        \
            nnm_cce_grad_##S(args[0] + r * steps[0], cs[0], &tg, c, args[5] + r * steps[5],  \
                             cs[3 - sparse], n, &buf);                                       \
        }                                                                                    \
    }                                                                                        \
    void NNM_SYM(loss_cce_logits_ws_##S)(char *const *args, intptr_t nrows, intptr_t n,      \
                                         const intptr_t *steps)                              \
    {                                                                                        \
        nnm_cce_ws_##S(args, nrows, n, steps, 0);                                            \
    }                                                                                        \
    void NNM_SYM(loss_cce_logits_ws_backward_##S)(char *const *args, intptr_t nrows,         \
                                                  intptr_t n, const intptr_t *steps)         \
    {                                                                                        \
        nnm_cce_ws_backward_##S(args, nrows, n, steps, 0);                                   \
    }                                                                                        \
    void NNM_SYM(loss_sparse_ce_logits_ws_##S)(char *const *args, intptr_t nrows,            \
                                               intptr_t n, const intptr_t *steps)            \
    {                                                                                        \
        nnm_cce_ws_##S(args, nrows, n, steps, 1);                                            \
    }                                                                                        \
    void NNM_SYM(loss_sparse_ce_logits_ws_backward_##S)(char *const *args, intptr_t nrows,   \
                                                        intptr_t n, const intptr_t *steps)   \
    {                                                                                        \
        nnm_cce_ws_backward_##S(args, nrows, n, steps, 1);                                   \
    }

NNM_CCE_TYPE(nnm_half, e)
NNM_CCE_TYPE(float, f)
NNM_CCE_TYPE(double, d)
