/* test_halide_runtime.c: the build-time generated Halide runtime links from C and runs
 * parallel loops through halide_do_par_for. */
#include "HalideRuntime.h"
#include "test.h"

#include <pthread.h>
#include <stdint.h>

static int64_t partial[1000];
static pthread_t seen_threads[1000];

static int body(void *user_context, int i, uint8_t *closure) {
    (void)user_context;
    const int64_t *scale = (const int64_t *)closure;
    int64_t s = 0;
    for (int k = 0; k <= i; k++) s += k * *scale;
    partial[i] = s;
    seen_threads[i] = pthread_self();
    return 0;
}

static int failing_body(void *user_context, int i, uint8_t *closure) {
    (void)user_context;
    (void)closure;
    return i == 7 ? -42 : 0;
}

int main(void) {
    halide_set_num_threads(4);
    int64_t scale = 3;
    int r = halide_do_par_for(NULL, body, 0, 1000, (uint8_t *)&scale);
    CHECK(r == 0);
    for (int i = 0; i < 1000; i++) CHECK(partial[i] == 3 * (int64_t)i * (i + 1) / 2);
    int distinct = 0;
    for (int i = 0; i < 1000 && distinct < 2; i++)
        if (!pthread_equal(seen_threads[i], seen_threads[0])) distinct = 2;
    printf("halide_do_par_for: 1000 tasks, %s\n",
           distinct ? "ran on several threads" : "ran on one thread");
    /* An error code from a task is returned by halide_do_par_for. */
    CHECK(halide_do_par_for(NULL, failing_body, 0, 16, NULL) == -42);
    void *p = halide_malloc(NULL, 1000);
    CHECK(p != NULL && ((uintptr_t)p % 32) == 0);
    halide_free(NULL, p);
    halide_shutdown_thread_pool();
    TEST_MAIN_END();
}
