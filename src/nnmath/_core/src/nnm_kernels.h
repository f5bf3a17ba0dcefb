/* The interface between module.c and the per-ISA kernel objects. */
#ifndef NNM_KERNELS_H
#define NNM_KERNELS_H
#include <stdint.h>

/* an elementwise block: n elements; args[0 .. nin-1] inputs, args[nin] the output */
typedef void (*nnm_ew_block)(char *const *args, intptr_t n, const intptr_t *steps);
/* a row block: nrows rows of ncore elements; steps[0 .. nargs-1] between rows,
 * steps[nargs .. 2 nargs - 1] between the elements of a row */
typedef void (*nnm_row_block)(char *const *args, intptr_t nrows, intptr_t ncore,
                              const intptr_t *steps);

enum {
#define NNM_EW(name, nin, nparam, formula, doc) NNM_EW_##name,
#include "nnm_ufuncs.def"
    NNM_N_EW
};
enum {
#define NNM_ROW(name, nin, kind, doc) NNM_ROW_##name,
#include "nnm_ufuncs.def"
    NNM_N_ROW
};

enum {
#define NNM_EW2(name, nin, formula, doc) NNM_EW2_##name,
#include "nnm_ufuncs.def"
    NNM_N_EW2
};

enum {
#define NNM_LOSS(name, nin, signature, kinds, doc) NNM_LOSS_##name,
#include "nnm_ufuncs.def"
    NNM_N_LOSS
};

/* per level: [ufunc][float16, float32, float64]; ew2: elementwise with two outputs
 * (args[nin], args[nin + 1]); loss: rows of logits with an int64 label each */
typedef struct {
    nnm_ew_block ew[NNM_N_EW][3];
    nnm_row_block row[NNM_N_ROW][3];
    nnm_ew_block ew2[NNM_N_EW2][3];
    nnm_row_block loss[NNM_N_LOSS][3];
} nnm_table;


/* the row blocks, defined in rows.c once per level (row_NAME_T<suffix>) */
#ifdef NNM_SUFFIX
#define NNM_ROW(name, nin, kind, doc)                                                        \
    void NNM_SYM(row_##name##_e)(char *const *, intptr_t, intptr_t, const intptr_t *);       \
    void NNM_SYM(row_##name##_f)(char *const *, intptr_t, intptr_t, const intptr_t *);       \
    void NNM_SYM(row_##name##_d)(char *const *, intptr_t, intptr_t, const intptr_t *);
#include "nnm_ufuncs.def"
#define NNM_LOSS(name, nin, signature, kinds, doc)                                                  \
    void NNM_SYM(loss_##name##_e)(char *const *, intptr_t, intptr_t, const intptr_t *);      \
    void NNM_SYM(loss_##name##_f)(char *const *, intptr_t, intptr_t, const intptr_t *);      \
    void NNM_SYM(loss_##name##_d)(char *const *, intptr_t, intptr_t, const intptr_t *);
#include "nnm_ufuncs.def"
#endif

#define NNM_DECLARE_TABLE(suffix) extern const nnm_table nnm_table##suffix;
NNM_DECLARE_TABLE(_baseline)
#ifdef NNM_X86_DISPATCH
NNM_DECLARE_TABLE(_avx2)
NNM_DECLARE_TABLE(_avx512)
#endif

#endif
