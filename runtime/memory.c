/* memory.c: allocation for compiled models through Halide's replaceable allocator: the arena
 * of intermediate values, cached per model between calls, and per-call heap buffers (when
 * memory was not planned). */
#include "support.h"

#include <stdbool.h>
#include <stdio.h>

void *dlcc_alloc(const char *fn, int64_t bytes) {
    if (bytes < 1) bytes = 1;
    void *p = (uint64_t)bytes <= SIZE_MAX ? halide_malloc(NULL, (size_t)bytes) : NULL;
    if (!p) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s: out of memory allocating %lld bytes", fn, (long long)bytes);
        halide_error(NULL, msg);
    }
    return p;
}

void dlcc_free(void *p) {
    if (p) halide_free(NULL, p);
}

/* The cache holds at most one arena. Taking it (exchange with NULL) gives a call exclusive use;
 * the acquire/release pair orders the previous user's writes (including those of its parallel
 * workers, which finished before it returned) before the next user's. */
void *dlcc_arena_acquire(const char *fn, void **cache, int64_t bytes) {
    void *p = __atomic_exchange_n(cache, NULL, __ATOMIC_ACQUIRE);
    return p ? p : dlcc_alloc(fn, bytes);
}

void dlcc_arena_release(void **cache, void *arena) {
    void *empty = NULL;
    if (arena && !__atomic_compare_exchange_n(cache, &empty, arena, false, __ATOMIC_RELEASE,
                                              __ATOMIC_RELAXED))
        dlcc_free(arena); /* a concurrent call's arena is cached already */
}

void dlcc_arena_drop(void **cache) {
    dlcc_free(__atomic_exchange_n(cache, NULL, __ATOMIC_ACQUIRE));
}
