#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sched_getaffinity, pthread_setaffinity_np */
#endif
#include "pool.h"

#include <stdlib.h>

#if defined(_WIN32)

static int nnm_threads = 1;
void nnm_parallel_for(intptr_t total, intptr_t align, nnm_task task, void *ctx)
{
    (void)align;
    if (total > 0) {
        task(ctx, 0, total);
    }
}
int nnm_pool_set_threads(int n) { nnm_threads = n; return 0; }
int nnm_pool_get_threads(void) { return nnm_threads; }
int nnm_pool_default_threads(void) { return 1; }
void nnm_pool_set_pin(int on) { (void)on; }

#else

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#define NNM_MAX_THREADS 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;   /* guards the job below */
static pthread_mutex_t submit = PTHREAD_MUTEX_INITIALIZER; /* one caller at a time */
static pthread_cond_t start_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;

static int n_threads = 0;  /* the setting; 0 = not yet read */
static int n_workers = 0;  /* worker threads started (callers run a piece too) */
static int pin = 0;
static unsigned long generation = 0;

static struct {
    nnm_task task;
    void *ctx;
    intptr_t chunk, total;
    int n_chunks, next, done;
} job;

int nnm_pool_default_threads(void)
{
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int c = CPU_COUNT(&set);
        return c > 0 ? c : 1;
    }
#endif
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? (int)(c < NNM_MAX_THREADS ? c : NNM_MAX_THREADS) : 1;
}

/* take and run pieces until none is left; called with lock held, returns with it held */
static void run_pieces(void)
{
    while (job.next < job.n_chunks) {
        int k = job.next++;
        intptr_t b = (intptr_t)k * job.chunk;
        intptr_t e = b + job.chunk < job.total ? b + job.chunk : job.total;
        nnm_task task = job.task;
        void *ctx = job.ctx;
        pthread_mutex_unlock(&lock);
        task(ctx, b, e);
        pthread_mutex_lock(&lock);
        if (++job.done == job.n_chunks) {
            pthread_cond_signal(&done_cv);
        }
    }
}

static void pin_self(int index)
{
#if defined(__linux__)
    /* worker i on the (i+1)-th CPU this process may use; the caller keeps its own */
    cpu_set_t allowed, one;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
        return;
    }
    int count = CPU_COUNT(&allowed), want = (index + 1) % (count > 0 ? count : 1), seen = 0;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &allowed) && seen++ == want) {
            CPU_ZERO(&one);
            CPU_SET(c, &one);
            pthread_setaffinity_np(pthread_self(), sizeof one, &one);
            return;
        }
    }
#else
    (void)index;
#endif
}

static void *worker(void *arg)
{
    int index = (int)(intptr_t)arg;
    if (pin) {
        pin_self(index);
    }
    pthread_mutex_lock(&lock);
    unsigned long seen = generation;
    for (;;) {
        while (generation == seen) {
            pthread_cond_wait(&start_cv, &lock);
        }
        seen = generation;
        run_pieces();
    }
    return NULL;
}

static void after_fork_child(void)
{
    /* the workers do not exist in the child: start afresh */
    pthread_mutex_init(&lock, NULL);
    pthread_mutex_init(&submit, NULL);
    pthread_cond_init(&start_cv, NULL);
    pthread_cond_init(&done_cv, NULL);
    n_workers = 0;
    generation = 0;
}

static int threads(void)
{
    if (n_threads == 0) {
        static int atfork_done = 0;
        n_threads = nnm_pool_default_threads();
        if (!atfork_done) {
            pthread_atfork(NULL, NULL, after_fork_child);
            atfork_done = 1;
        }
    }
    return n_threads;
}

int nnm_pool_set_threads(int n)
{
    if (n < 1 || n > NNM_MAX_THREADS) {
        return -1;
    }
    pthread_mutex_lock(&submit);
    (void)threads();
    n_threads = n; /* workers beyond n - 1 stay asleep */
    pthread_mutex_unlock(&submit);
    return 0;
}

int nnm_pool_get_threads(void)
{
    return threads();
}

void nnm_pool_set_pin(int on)
{
    pin = on;
}

void nnm_parallel_for(intptr_t total, intptr_t align, nnm_task task, void *ctx)
{
    int nt = threads();
    if (total <= 0) {
        return;
    }
    if (nt <= 1 || total < 2 * align || pthread_mutex_trylock(&submit) != 0) {
        task(ctx, 0, total);
        return;
    }
    pthread_mutex_lock(&lock);
    while (n_workers < nt - 1) { /* lazily, once */
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &attr, worker, (void *)(intptr_t)n_workers);
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            break;
        }
        n_workers++;
    }
    int pieces = nt < n_workers + 1 ? nt : n_workers + 1;
    intptr_t chunk = (total + pieces - 1) / pieces;
    chunk = (chunk + align - 1) / align * align;
    job.task = task;
    job.ctx = ctx;
    job.total = total;
    job.chunk = chunk;
    job.n_chunks = (int)((total + chunk - 1) / chunk);
    job.next = 0;
    job.done = 0;
    generation++;
    if (job.n_chunks > 1) {
        pthread_cond_broadcast(&start_cv);
    }
    run_pieces();
    while (job.done < job.n_chunks) {
        pthread_cond_wait(&done_cv, &lock);
    }
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&submit);
}

#endif
