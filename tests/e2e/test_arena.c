/* test_arena.c: the arena kept between calls of a compiled model (include/dlcc/runtime.h).
 * The end-to-end model library is dlopen'ed with Halide's allocator replaced by a counting
 * one; then: calls in a row allocate one arena and keep it; concurrent calls from several
 * threads each get an arena, and afterwards exactly one is kept; every output is right
 * throughout; dlclose frees the kept arena.
 * Usage: test_arena LIB.so */
#include "dlcc/runtime.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* ---- A counting allocator for Halide (halide_set_custom_malloc/free) ---------------------- */

enum { MAX_LIVE = 64 };
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static size_t arena_bytes;    /* blocks of this size are counted as arenas */
static int arena_allocations; /* arenas allocated so far */
static void *live[MAX_LIVE];  /* arenas not freed yet */
static int num_live;

static void *counting_malloc(void *user_context, size_t n) {
    (void)user_context;
    void *p = aligned_alloc(128, (n + 127) / 128 * 128);
    if (p && n == arena_bytes) {
        pthread_mutex_lock(&lock);
        arena_allocations++;
        if (num_live < MAX_LIVE) live[num_live++] = p;
        pthread_mutex_unlock(&lock);
    }
    return p;
}

static void counting_free(void *user_context, void *p) {
    (void)user_context;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < num_live; i++)
        if (live[i] == p) {
            live[i] = live[--num_live];
            break;
        }
    pthread_mutex_unlock(&lock);
    free(p);
}

static int live_arenas(void) {
    pthread_mutex_lock(&lock);
    int n = num_live;
    pthread_mutex_unlock(&lock);
    return n;
}

/* ---- Calls of the end-to-end model (y = relu(x * g + bias), count = positives per row) ---- */

static const dlcc_model_info *model;

static bool call_and_check(unsigned seed) {
    static const float g[8] = {1.0f, -1.0f, 0.5f, 2.0f, -0.25f, 0.0f, 3.0f, -2.0f};
    float x[48], bias[8], y[48];
    int64_t count[6];
    for (int i = 0; i < 48; i++) x[i] = (float)((seed * 31 + (unsigned)i * 17) % 23) - 11.0f;
    for (int k = 0; k < 8; k++) bias[k] = (float)((seed + (unsigned)k * 5) % 7) - 3.0f;
    const void *inputs[2] = {x, bias};
    void *outputs[2] = {y, count};
    if (model->run(inputs, outputs) != 0) return false;
    for (int ij = 0; ij < 6; ij++) {
        int64_t positives = 0;
        for (int k = 0; k < 8; k++) {
            float v = x[ij * 8 + k] * g[k] + bias[k];
            if (y[ij * 8 + k] != (v > 0 ? v : 0)) return false;
            positives += v > 0;
        }
        if (count[ij] != positives) return false;
    }
    return true;
}

static void *worker(void *arg) {
    bool *ok = malloc(sizeof(bool));
    *ok = true;
    for (unsigned rep = 0; rep < 200; rep++) *ok &= call_and_check((unsigned)(uintptr_t)arg + rep);
    return ok;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_arena LIB.so\n");
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], dlerror());
        return 1;
    }
    typedef void *(*malloc_fn)(void *, size_t);
    typedef void (*free_fn)(void *, void *);
    malloc_fn (*set_malloc)(malloc_fn) =
        (malloc_fn(*)(malloc_fn))dlsym(lib, "halide_set_custom_malloc");
    free_fn (*set_free)(free_fn) = (free_fn(*)(free_fn))dlsym(lib, "halide_set_custom_free");
    int (*set_threads)(int) = (int (*)(int))dlsym(lib, "halide_set_num_threads");
    model = dlsym(lib, "dlcc_model");
    if (!set_malloc || !set_free || !set_threads || !model) {
        fprintf(stderr, "%s lacks the Halide allocator API or dlcc_model\n", argv[1]);
        return 1;
    }
    CHECK(model->arena_bytes > 0);
    arena_bytes = (size_t)model->arena_bytes;
    set_malloc(counting_malloc);
    set_free(counting_free);

    /* Calls in a row: one arena, kept. */
    set_threads(1);
    bool ok = true;
    for (unsigned i = 0; i < 20; i++) ok &= call_and_check(i);
    CHECK(ok);
    CHECK(arena_allocations == 1);
    CHECK(live_arenas() == 1);

    /* Concurrent calls: each has an arena; afterwards one is kept, the others were freed. */
    set_threads(3);
    pthread_t threads[4];
    for (uintptr_t t = 0; t < 4; t++) pthread_create(&threads[t], NULL, worker, (void *)(t * 1000));
    for (int t = 0; t < 4; t++) {
        bool *thread_ok;
        pthread_join(threads[t], (void **)&thread_ok);
        CHECK(*thread_ok);
        free(thread_ok);
    }
    CHECK(live_arenas() == 1);
    printf("%d arenas allocated for %d calls\n", arena_allocations, 20 + 4 * 200);

    /* Unloading frees the kept arena. */
    set_threads(1);
    CHECK(dlclose(lib) == 0);
    CHECK(live_arenas() == 0);

    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("arena: all checks passed\n");
    return failures ? 1 : 0;
}
