/* A small thread pool for the ufunc loops: started lazily on the first large call, kept.
 * On Windows (no pthreads) every call runs on the calling thread. */
#ifndef NNM_POOL_H
#define NNM_POOL_H
#include <stdint.h>

typedef void (*nnm_task)(void *ctx, intptr_t begin, intptr_t end);

/* run task(ctx, b, e) over [0, total) in up to get_num_threads() pieces whose
 * boundaries are multiples of align; the calling thread runs one piece itself. A call
 * made while the pool is busy with another caller's work runs on the calling thread. */
void nnm_parallel_for(intptr_t total, intptr_t align, nnm_task task, void *ctx);
int nnm_pool_set_threads(int n); /* 0 on success */
int nnm_pool_get_threads(void);
int nnm_pool_default_threads(void);
void nnm_pool_set_pin(int on);

#endif
