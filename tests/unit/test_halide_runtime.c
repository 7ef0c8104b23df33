/* test_halide_runtime.c: the build-time generated Halide runtime links from C and runs
 * parallel loops through halide_do_par_for. */
#include "HalideRuntime.h"
#include "par_for_tasks.h"
#include "test.h"

#include <pthread.h>
#include <stdint.h>

int main(void) {
    halide_set_num_threads(4);
    int64_t scale = 3;
    int r = halide_do_par_for(NULL, body, 0, NUM_TASKS, (uint8_t *)&scale);
    CHECK(r == 0);
    for (int i = 0; i < NUM_TASKS; i++) CHECK(partial[i] == 3 * (int64_t)i * (i + 1) / 2);
    int distinct = 0;
    for (int i = 0; i < NUM_TASKS && distinct < 2; i++)
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
