/* support.h: the dlcc runtime's support functions, called by the code dlcc generates (buffer
 * checks, arena allocation and caching, error reporting). The symbols are weak and hidden, so
 * several models may be linked into one program and none of them is exported from a model library.
 */
#ifndef DLCC_RUNTIME_SUPPORT_H
#define DLCC_RUNTIME_SUPPORT_H

#include "HalideRuntime.h"
#include "dlcc/runtime.h"

#define DLCC_SUPPORT __attribute__((weak, visibility("hidden")))

/* Checks buffer `index` of entry `fn` (an input when is_output is 0) against the tensor t:
 * non-NULL, host non-NULL, Halide type, dimensions, extents and dense strides. Touches no
 * memory but the halide_buffer_t and its dim array. Returns 0, or calls halide_error with a
 * message naming the argument and returns a negative halide_error_code_t. */
DLCC_SUPPORT int dlcc_check_buffer(const char *fn, const dlcc_tensor_info *t, int32_t index,
                                   int32_t is_output, const struct halide_buffer_t *buf);
/* Copies an input buffer whose device copy is newer to the host (halide_copy_to_host). */
DLCC_SUPPORT int dlcc_input_to_host(struct halide_buffer_t *buf);
/* Marks an output buffer as written on the host. */
DLCC_SUPPORT void dlcc_output_written(struct halide_buffer_t *buf);
/* Returns 0 when p is non-NULL; else reports "fn: what is NULL" and returns
 * halide_error_code_buffer_argument_is_null. */
DLCC_SUPPORT int dlcc_check_pointer(const char *fn, const char *what, const void *p);

/* halide_malloc(bytes) (at least 1 byte); NULL after reporting an out-of-memory error. */
DLCC_SUPPORT void *dlcc_alloc(const char *fn, int64_t bytes);
/* halide_free(p) for p returned by dlcc_alloc; NULL is ignored. */
DLCC_SUPPORT void dlcc_free(void *p);

/* The arena of one call of a model whose cache (one pointer per model, NULL initially) is
 * *cache: the cached arena when no other call holds it, else a new one of `bytes` bytes
 * (dlcc_alloc; NULL after reporting an out-of-memory error). Thread-safe. */
DLCC_SUPPORT void *dlcc_arena_acquire(const char *fn, void **cache, int64_t bytes);
/* Ends a call's use of its arena: it goes back to the cache when the cache is empty, else it
 * is freed (another call's arena is kept). NULL is ignored. Thread-safe. */
DLCC_SUPPORT void dlcc_arena_release(void **cache, void *arena);
/* Frees the cached arena (when the model's library is unloaded or the program exits). */
DLCC_SUPPORT void dlcc_arena_drop(void **cache);

/* Runs f(user_context, i, closure) for i in [min, min + extent) through halide_do_par_for
 * (the thread pool of pool.c) and returns the first non-zero result, or 0. `site` names the
 * parallel loop (a constant string): with DLCC_PROFILE=1 in the environment every call is timed and
 * a table per site is printed to stderr at exit (parallel.c). */
DLCC_SUPPORT int dlcc_par_for(void *user_context, halide_task_t f, int min, int extent,
                              uint8_t *closure, const char *site);

#endif
