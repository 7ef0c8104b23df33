/* context.h: the IR context: arena allocation, string interning, diagnostics. */
#ifndef DLCC_CONTEXT_H
#define DLCC_CONTEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Ownership annotations in the style of ISL: a __dl_give result is owned by the
 * caller, a __dl_take argument is consumed, a __dl_keep argument is borrowed. */
#define __dl_give
#define __dl_take
#define __dl_keep

typedef struct dl_context dl_context;

/* Status of operations that can fail on user input. Library code never exits. */
typedef enum dl_status { DL_OK = 0, DL_FAILURE = 1 } dl_status;

/* Internal invariant: aborts with file:line. Bugs, never user errors. */
#define DL_ASSERT(cond) ((cond) ? (void)0 : dl_assert_fail(#cond, __FILE__, __LINE__, __func__))
_Noreturn void dl_assert_fail(const char *cond, const char *file, int line, const char *func);
#define DL_UNREACHABLE(msg) dl_assert_fail(msg, __FILE__, __LINE__, __func__)

/* Creates an empty context; never NULL (aborts on out-of-memory). */
__dl_give dl_context *dl_context_create(void);
/* Frees the context and everything allocated in it, at once. */
void dl_context_destroy(__dl_take dl_context *ctx);

/* Zeroed, 16-byte aligned arena memory living as long as the context. */
void *dl_alloc(dl_context *ctx, size_t size);
#define DL_NEW(ctx, T)          ((T *)dl_alloc((ctx), sizeof(T)))
#define DL_NEW_ARRAY(ctx, T, n) ((T *)dl_alloc((ctx), sizeof(T) * (size_t)(n)))
/* Copies of memory and strings in the arena. */
void *dl_memdup(dl_context *ctx, const void *p, size_t size);
char *dl_strdup(dl_context *ctx, const char *s);
char *dl_strndup(dl_context *ctx, const char *s, size_t n);
__attribute__((format(printf, 2, 3))) char *dl_sprintf(dl_context *ctx, const char *fmt, ...);
/* Interned NUL-terminated string: equal strings give the same pointer. */
const char *dl_intern(dl_context *ctx, const char *s);
const char *dl_intern_n(dl_context *ctx, const char *s, size_t n);

/* Large external memory (e.g. a parsed model's weights) whose lifetime becomes
 * the context's: free_fn(ptr) runs at dl_context_destroy, in reverse order. */
void dl_context_adopt(dl_context *ctx, void *ptr, void (*free_fn)(void *));

/* Bytes obtained from the arena so far (for memory reports). */
size_t dl_context_arena_bytes(const dl_context *ctx);

/* ---- Locations ---------------------------------------------------------- */

/* Where an IR object came from: a text position (file:line:col), or a model
 * node (file + node name + detail such as "Conv, opset 13"), or nothing. */
typedef struct dl_loc {
    const char *file;   /* interned, or NULL */
    const char *name;   /* node name (interned), or NULL */
    const char *detail; /* op type and opset (interned), or NULL */
    uint32_t line, col; /* 1-based; 0 when unknown */
} dl_loc;

static inline dl_loc dl_loc_unknown(void) {
    return (dl_loc){0};
}
dl_loc dl_loc_file(dl_context *ctx, const char *file, uint32_t line, uint32_t col);
dl_loc dl_loc_node(dl_context *ctx, const char *file, const char *node, const char *detail);

/* ---- Diagnostics -------------------------------------------------------- */

typedef enum dl_severity { DL_SEV_NOTE, DL_SEV_WARNING, DL_SEV_ERROR } dl_severity;

typedef struct dl_diag {
    dl_severity sev;
    dl_loc loc;
    const char *msg;
    struct dl_diag *next;
} dl_diag;

/* Records a diagnostic in the context. Errors make dl_error_count() non-zero. */
__attribute__((format(printf, 4, 5))) void dl_emit(dl_context *ctx, dl_severity sev, dl_loc loc,
                                                   const char *fmt, ...);
void dl_emitv(dl_context *ctx, dl_severity sev, dl_loc loc, const char *fmt, va_list ap);
__attribute__((format(printf, 3, 4))) void dl_error(dl_context *ctx, dl_loc loc, const char *fmt,
                                                    ...);
unsigned dl_error_count(const dl_context *ctx);
/* Diagnostics in the order they were emitted. */
const dl_diag *dl_diags(const dl_context *ctx);
/* Formats one diagnostic as "file:line:col: error: msg" or
 * "file: node 'n' (detail): error: msg". */
void dl_diag_format(const dl_diag *d, FILE *out);
/* Prints every recorded diagnostic to out and forgets them. */
void dl_diags_flush(dl_context *ctx, FILE *out);
/* When set, diagnostics are printed to out as they are emitted (and still counted). */
void dl_diags_set_stream(dl_context *ctx, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
