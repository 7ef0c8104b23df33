/* par_for_tasks.h: task functions for the tests of halide_do_par_for (Halide's pool,
 * test_halide_runtime.c, and the dlcc runtime's, test_pool.c). */
#ifndef DLCC_TEST_PAR_FOR_TASKS_H
#define DLCC_TEST_PAR_FOR_TASKS_H

#include <pthread.h>
#include <stdint.h>

enum { NUM_TASKS = 1000 };

/* body(i): partial[i] = scale * (0 + 1 + .. + i), scale an int64_t at closure; records the
 * thread that ran iteration i. */
static int64_t partial[NUM_TASKS];
static pthread_t seen_threads[NUM_TASKS];

static int body(void *user_context, int i, uint8_t *closure) {
    (void)user_context;
    const int64_t *scale = (const int64_t *)closure;
    int64_t s = 0;
    for (int k = 0; k <= i; k++) s += k * *scale;
    partial[i] = s;
    seen_threads[i] = pthread_self();
    return 0;
}

/* Fails (returns -42) at iteration 7. */
static int failing_body(void *user_context, int i, uint8_t *closure) {
    (void)user_context;
    (void)closure;
    return i == 7 ? -42 : 0;
}

#endif
