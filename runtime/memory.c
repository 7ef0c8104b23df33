/* memory.c: per-call allocation of a compiled model's arena (and of intermediate buffers when
 * memory was not planned) through Halide's replaceable allocator. */
#include "support.h"

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
