/* pool.c: the thread pool that runs compiled models' parallel loops. Generated code calls
 * halide_do_par_for (through dlcc_par_for, parallel.c); when a model library is loaded, this
 * file installs itself as the Halide runtime's custom do_par_for. Halide 14's own pool parks its
 * workers on a condition variable as soon as its queue is empty, so every parallel loop of a
 * model (dozens per inference, many of them a few microseconds long) paid a wake-up before the
 * second thread joined in. Here workers spin for POOL_SPIN_NS after a loop before they sleep
 * (yielding the core every 64 pauses, so that more threads than cores still make progress),
 * and each thread starts with its own block of a loop's iterations (the same part of the data
 * loop after loop, so it stays in that core's cache) before it helps with the others' blocks:
 * ResNet-18 and the encoder ran 6-7% faster on 2 threads than with one shared counter.
 *
 * One loop runs on the pool at a time: a parallel loop started while another one runs (a loop
 * nested in a task, or a second application thread calling a model) runs its iterations in the
 * calling thread. The pool's size is Halide's (HL_NUM_THREADS, halide_set_num_threads), read at
 * each loop. DLCC_THREAD_POOL=halide in the environment keeps Halide's pool instead. */
#include "support.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { POOL_MAX_WORKERS = 255 };
#define POOL_SPIN_NS  1000000 /* how long an idle worker spins before it sleeps */
#define POOL_FINISHED 0xffffffffu

/* The pool. A loop's iterations are split into one block of consecutive iterations per thread
 * (the caller's first, then one per worker), and each thread starts with its own block before
 * it helps with the others: consecutive loops over the same data give each thread the same part
 * of it, which stays in that core's cache. `block[b]` is the loop's generation (high 32 bits)
 * and block b's next iteration (low 32 bits; POOL_FINISHED once the loop is over); `state`
 * holds the generation (and POOL_FINISHED) for waking workers. A loop's fields are written
 * before its generation is published and stay unchanged until all its iterations are done; a
 * worker reads them only after it has taken an iteration of that generation. */
typedef struct pool_block {
    _Alignas(64) atomic_uint_least64_t next; /* one cache line per block */
} pool_block;

static struct {
    pthread_mutex_t lock; /* guards created and the sleep/wake handshake */
    pthread_cond_t wake;
    pthread_t workers[POOL_MAX_WORKERS];
    int created;
    atomic_int wanted; /* workers that take part in loops (threads - 1) */
    atomic_int sleepers;
    atomic_bool shutdown;
    atomic_bool busy; /* a loop runs on the pool */
    atomic_uint_least64_t state;
    halide_task_t f;
    void *user_context;
    uint8_t *closure;
    int min;
    atomic_int extent, blocks, done, result;
    pool_block block[POOL_MAX_WORKERS + 1];
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static uint32_t generation(uint64_t s) {
    return (uint32_t)(s >> 32);
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* First iteration of block b of n over extent iterations. */
static int64_t block_start(int64_t extent, int b, int n) {
    return extent * b / n;
}

/* Runs the iterations of block b of loop generation g that are left; false when the loop is no
 * longer generation g (or is over). */
static bool take_block(uint32_t g, int b) {
    for (;;) {
        uint64_t s = atomic_load(&pool.block[b].next);
        uint32_t i = (uint32_t)s;
        if (generation(s) != g || i == POOL_FINISHED) return false;
        int n = atomic_load(&pool.blocks);
        if (b >= n || (int64_t)i >= block_start(atomic_load(&pool.extent), b + 1, n)) return true;
        if (!atomic_compare_exchange_weak(&pool.block[b].next, &s, s + 1)) continue;
        int r = pool.f(pool.user_context, pool.min + (int)i, pool.closure);
        if (r) {
            int zero = 0;
            atomic_compare_exchange_strong(&pool.result, &zero, r);
        }
        atomic_fetch_add(&pool.done, 1);
    }
}

/* Runs iterations of loop generation g, thread `self`'s block first, until none is left. */
static void take_iterations(uint32_t g, int self) {
    int n = atomic_load(&pool.blocks);
    for (int k = 0; k < n; k++)
        if (!take_block(g, (self + k) % n)) return;
}

/* Waits until a generation other than `seen` is published (or the pool shuts down): spins for
 * POOL_SPIN_NS, then sleeps on the condition variable. */
static uint64_t wait_for_loop(uint32_t seen) {
    int64_t start = 0;
    for (unsigned spins = 1;; spins++) {
        uint64_t s = atomic_load(&pool.state);
        if (generation(s) != seen || atomic_load(&pool.shutdown)) return s;
        if (spins % 64 == 0) {
            sched_yield(); /* lets a thread with work run first when cores are oversubscribed */
            int64_t t = now_ns();
            if (!start) start = t;
            if (t - start > POOL_SPIN_NS) {
                /* sleepers is raised before the last look at the state, and a caller publishes
                 * before it reads sleepers: one of the two sees the other. */
                pthread_mutex_lock(&pool.lock);
                atomic_fetch_add(&pool.sleepers, 1);
                while (generation(atomic_load(&pool.state)) == seen && !atomic_load(&pool.shutdown))
                    pthread_cond_wait(&pool.wake, &pool.lock);
                atomic_fetch_sub(&pool.sleepers, 1);
                pthread_mutex_unlock(&pool.lock);
                start = 0;
            }
        }
        __builtin_ia32_pause();
    }
}

static void *worker_main(void *arg) {
    int index = (int)(intptr_t)arg;
    uint32_t seen = generation(atomic_load(&pool.state));
    for (;;) {
        uint64_t s = wait_for_loop(seen);
        if (atomic_load(&pool.shutdown)) return NULL;
        seen = generation(s);
        if (index < atomic_load(&pool.wanted)) take_iterations(seen, index + 1);
    }
}

/* The pool's size: Halide's desired thread count (its default when never set). */
static int desired_threads(void) {
    int n = halide_set_num_threads(1);
    halide_set_num_threads(n); /* 0 (never set) makes Halide pick its default */
    if (n <= 0) n = halide_set_num_threads(0);
    return n;
}

static int run_inline(void *user_context, halide_task_t f, int min, int extent, uint8_t *closure) {
    for (int i = 0; i < extent; i++) {
        int r = f(user_context, min + i, closure);
        if (r) return r;
    }
    return 0;
}

static int pool_do_par_for(void *user_context, halide_task_t f, int min, int extent,
                           uint8_t *closure) {
    if (extent <= 0) return 0;
    int threads = extent > 1 ? desired_threads() : 1;
    if (threads > POOL_MAX_WORKERS + 1) threads = POOL_MAX_WORKERS + 1;
    if (threads <= 1 || atomic_exchange(&pool.busy, true))
        return run_inline(user_context, f, min, extent, closure);
    if (pool.created < threads - 1) {
        pthread_mutex_lock(&pool.lock);
        while (pool.created < threads - 1 &&
               pthread_create(&pool.workers[pool.created], NULL, worker_main,
                              (void *)(intptr_t)pool.created) == 0)
            pool.created++;
        pthread_mutex_unlock(&pool.lock);
    }
    atomic_store(&pool.wanted, threads - 1);
    pool.f = f;
    pool.user_context = user_context;
    pool.closure = closure;
    pool.min = min;
    int blocks = threads < extent ? threads : extent;
    atomic_store(&pool.extent, extent);
    atomic_store(&pool.blocks, blocks);
    atomic_store(&pool.done, 0);
    atomic_store(&pool.result, 0);
    uint32_t g = generation(atomic_load(&pool.state)) + 1;
    for (int b = 0; b < blocks; b++)
        atomic_store(&pool.block[b].next,
                     (uint64_t)g << 32 | (uint64_t)block_start(extent, b, blocks));
    atomic_store(&pool.state, (uint64_t)g << 32);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    take_iterations(g, 0);
    for (unsigned spins = 1; atomic_load(&pool.done) < extent; spins++) {
        __builtin_ia32_pause();
        if (spins % 64 == 0) sched_yield();
    }
    for (int b = 0; b < blocks; b++)
        atomic_store(&pool.block[b].next, (uint64_t)g << 32 | POOL_FINISHED);
    atomic_store(&pool.state, (uint64_t)g << 32 | POOL_FINISHED);
    int r = atomic_load(&pool.result);
    atomic_store(&pool.busy, false);
    return r;
}

/* In the child of a fork only the forking thread exists: the pool starts again empty. */
static void pool_after_fork(void) {
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pool.created = 0;
    atomic_store(&pool.sleepers, 0);
    atomic_store(&pool.busy, false);
}

__attribute__((constructor)) static void pool_install(void) {
    const char *v = getenv("DLCC_THREAD_POOL");
    if (v && strcmp(v, "halide") == 0) return;
    halide_set_custom_do_par_for(pool_do_par_for);
    pthread_atfork(NULL, NULL, pool_after_fork);
}

/* Stops the workers before the library is unloaded (they run its code). */
__attribute__((destructor)) static void pool_shutdown(void) {
    pthread_mutex_lock(&pool.lock);
    atomic_store(&pool.shutdown, true);
    pthread_cond_broadcast(&pool.wake);
    int created = pool.created;
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < created; i++) pthread_join(pool.workers[i], NULL);
}
