/* test_pool.c: the dlcc runtime's thread pool (runtime/pool.c), installed as the Halide
 * runtime's do_par_for when the runtime object is linked: every iteration runs exactly once and
 * on several threads, errors come back, thousands of short loops in a row (the hand-over between
 * loop generations) stay exact, a loop nested in a task and loops from two application threads
 * at once run correctly (inline when the pool is taken), a forked child gets a pool of its own,
 * one thread keeps everything on the caller, and the workers are joined at exit. */
#include "HalideRuntime.h"
#include "par_for_tasks.h"
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* closure: an array of counters, one per iteration, each bumped once per run */
static int count_body(void *user_context, int i, uint8_t *closure) {
    (void)user_context;
    atomic_fetch_add(&((atomic_int *)closure)[i], 1);
    return 0;
}

/* Each iteration runs an inner parallel loop over 8 counters of its own row. */
static int nested_body(void *user_context, int i, uint8_t *closure) {
    atomic_int *rows = (atomic_int *)closure;
    return halide_do_par_for(user_context, count_body, 0, 8, (uint8_t *)(rows + 8 * i));
}

typedef struct app_thread {
    atomic_int counters[64];
    int loops, status;
} app_thread;

static void *app_main(void *arg) {
    app_thread *a = arg;
    for (int l = 0; l < a->loops && !a->status; l++)
        a->status = halide_do_par_for(NULL, count_body, 0, 64, (uint8_t *)a->counters);
    return NULL;
}

int main(void) {
    halide_set_num_threads(4);
    int64_t scale = 3;
    /* Workers start with the first loop and may join late: a few runs see several threads. */
    int distinct = 0;
    for (int run = 0; run < 1000 && !distinct; run++) {
        CHECK(halide_do_par_for(NULL, body, 0, NUM_TASKS, (uint8_t *)&scale) == 0);
        for (int i = 0; i < NUM_TASKS; i++) CHECK(partial[i] == 3 * (int64_t)i * (i + 1) / 2);
        for (int i = 0; i < NUM_TASKS && !distinct; i++)
            distinct = !pthread_equal(seen_threads[i], seen_threads[0]);
    }
    CHECK(distinct);

    /* An error code from a task is returned. */
    CHECK(halide_do_par_for(NULL, failing_body, 0, 16, NULL) == -42);
    /* Empty and single-iteration loops. */
    CHECK(halide_do_par_for(NULL, failing_body, 0, 0, NULL) == 0);
    CHECK(halide_do_par_for(NULL, failing_body, 7, 1, NULL) == -42);

    /* Many short loops back to back: each iteration exactly once per loop. */
    static atomic_int counters[37];
    for (int l = 0; l < 20000; l++)
        CHECK(!halide_do_par_for(NULL, count_body, 0, 37, (uint8_t *)counters));
    for (int i = 0; i < 37; i++) CHECK(atomic_load(&counters[i]) == 20000);

    /* Nested loops. */
    static atomic_int rows[16 * 8];
    CHECK(halide_do_par_for(NULL, nested_body, 0, 16, (uint8_t *)rows) == 0);
    for (int i = 0; i < 16 * 8; i++) CHECK(atomic_load(&rows[i]) == 1);

    /* Two application threads using the pool at once. */
    static app_thread apps[2];
    pthread_t t[2];
    for (int k = 0; k < 2; k++) {
        apps[k].loops = 3000;
        CHECK(pthread_create(&t[k], NULL, app_main, &apps[k]) == 0);
    }
    for (int k = 0; k < 2; k++) {
        pthread_join(t[k], NULL);
        CHECK(apps[k].status == 0);
        for (int i = 0; i < 64; i++) CHECK(atomic_load(&apps[k].counters[i]) == 3000);
    }

    /* A forked child (only the forking thread exists there) starts a pool of its own and
     * exits cleanly. */
    pid_t pid = fork();
    if (pid == 0) {
        static atomic_int child_counters[64];
        int bad = halide_do_par_for(NULL, count_body, 0, 64, (uint8_t *)child_counters);
        for (int i = 0; i < 64; i++) bad |= atomic_load(&child_counters[i]) != 1;
        exit(bad ? 1 : 0);
    }
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* One thread: everything on the caller. */
    halide_set_num_threads(1);
    CHECK(halide_do_par_for(NULL, body, 0, NUM_TASKS, (uint8_t *)&scale) == 0);
    for (int i = 0; i < NUM_TASKS; i++) CHECK(pthread_equal(seen_threads[i], pthread_self()));
    TEST_MAIN_END();
}
