/* context.c: the IR context: arena chunks, string interning, adopted memory. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} chunk;

typedef struct adopted {
    struct adopted *next;
    void *ptr;
    void (*free_fn)(void *);
} adopted;

struct dl_context {
    chunk *chunks;
    size_t arena_bytes;
    adopted *adopted;
    dl_intern_tables tables;
    dl_diag *diags, *diags_tail;
    unsigned num_errors;
    FILE *diag_stream;
};

void dl_assert_fail(const char *cond, const char *file, int line, const char *func) {
    fprintf(stderr, "%s:%d: %s: internal error: assertion '%s' failed\n", file, line, func, cond);
    abort();
}

dl_context *dl_context_create(void) {
    dl_context *ctx = calloc(1, sizeof *ctx);
    DL_ASSERT(ctx);
    return ctx;
}

void dl_context_destroy(dl_context *ctx) {
    if (!ctx) return;
    for (adopted *a = ctx->adopted, *next; a; a = next) {
        next = a->next;
        a->free_fn(a->ptr);
        free(a);
    }
    dl_hashset_free(&ctx->tables.strings);
    dl_hashset_free(&ctx->tables.types);
    dl_hashset_free(&ctx->tables.attrs);
    dl_hashset_free(&ctx->tables.affine_exprs);
    dl_hashset_free(&ctx->tables.affine_maps);
    for (chunk *c = ctx->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(ctx);
}

dl_intern_tables *dl_context_tables(dl_context *ctx) {
    return &ctx->tables;
}

enum { CHUNK_SIZE = 256 * 1024, BIG_ALLOC = 16 * 1024 };

static chunk *new_chunk(dl_context *ctx, size_t size) {
    chunk *c = malloc(sizeof(chunk) + size);
    DL_ASSERT(c && "out of memory");
    c->size = size;
    c->used = 0;
    ctx->arena_bytes += size;
    return c;
}

void *dl_alloc(dl_context *ctx, size_t size) {
    size = (size + 15) & ~(size_t)15;
    chunk *c = ctx->chunks;
    if (size > BIG_ALLOC) {
        /* A big allocation gets a chunk of its own behind the current one. */
        chunk *n = new_chunk(ctx, size);
        n->used = size;
        n->next = c ? c->next : NULL;
        if (c)
            c->next = n;
        else
            ctx->chunks = n;
        memset(n->data, 0, size);
        return n->data;
    }
    if (!c || c->size - c->used < size) {
        c = new_chunk(ctx, CHUNK_SIZE);
        c->next = ctx->chunks;
        ctx->chunks = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

void *dl_memdup(dl_context *ctx, const void *p, size_t size) {
    void *q = dl_alloc(ctx, size ? size : 1);
    if (size) memcpy(q, p, size);
    return q;
}

char *dl_strndup(dl_context *ctx, const char *s, size_t n) {
    char *q = dl_alloc(ctx, n + 1);
    memcpy(q, s, n);
    q[n] = 0;
    return q;
}

char *dl_strdup(dl_context *ctx, const char *s) {
    return dl_strndup(ctx, s, strlen(s));
}

char *dl_sprintf(dl_context *ctx, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = dl_alloc(ctx, (size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

typedef struct {
    size_t len;
    const char *s;
} str_key;

static bool str_eq(const void *elem, const void *key) {
    const char *e = elem;
    const str_key *k = key;
    return strncmp(e, k->s, k->len) == 0 && e[k->len] == 0;
}

const char *dl_intern_n(dl_context *ctx, const char *s, size_t n) {
    str_key key = {n, s};
    uint32_t h = dl_hash_bytes(s, n, 0);
    char *found = dl_hashset_find(&ctx->tables.strings, h, &key, str_eq);
    if (found) return found;
    char *copy = dl_strndup(ctx, s, n);
    dl_hashset_insert(&ctx->tables.strings, h, copy);
    return copy;
}

const char *dl_intern(dl_context *ctx, const char *s) {
    return dl_intern_n(ctx, s, strlen(s));
}

void dl_context_adopt(dl_context *ctx, void *ptr, void (*free_fn)(void *)) {
    adopted *a = malloc(sizeof *a);
    DL_ASSERT(a);
    a->ptr = ptr;
    a->free_fn = free_fn;
    a->next = ctx->adopted;
    ctx->adopted = a;
}

size_t dl_context_arena_bytes(const dl_context *ctx) {
    return ctx->arena_bytes;
}

/* ---- Locations and diagnostics ---- */

dl_loc dl_loc_file(dl_context *ctx, const char *file, uint32_t line, uint32_t col) {
    return (dl_loc){.file = file ? dl_intern(ctx, file) : NULL, .line = line, .col = col};
}

dl_loc dl_loc_node(dl_context *ctx, const char *file, const char *node, const char *detail) {
    return (dl_loc){.file = file ? dl_intern(ctx, file) : NULL,
                    .name = node ? dl_intern(ctx, node) : NULL,
                    .detail = detail ? dl_intern(ctx, detail) : NULL};
}

static const char *sev_name(dl_severity s) {
    return s == DL_SEV_ERROR ? "error" : s == DL_SEV_WARNING ? "warning" : "note";
}

void dl_diag_format(const dl_diag *d, FILE *out) {
    const dl_loc *l = &d->loc;
    if (l->file && l->line)
        fprintf(out, "%s:%u:%u: ", l->file, l->line, l->col);
    else if (l->file)
        fprintf(out, "%s: ", l->file);
    if (l->name) {
        fprintf(out, "node '%s'", l->name);
        if (l->detail) fprintf(out, " (%s)", l->detail);
        fputs(": ", out);
    } else if (l->detail) {
        fprintf(out, "%s: ", l->detail);
    }
    fprintf(out, "%s: %s\n", sev_name(d->sev), d->msg);
}

void dl_emitv(dl_context *ctx, dl_severity sev, dl_loc loc, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *msg = dl_alloc(ctx, (size_t)n + 1);
    vsnprintf(msg, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    dl_diag *d = DL_NEW(ctx, dl_diag);
    d->sev = sev;
    d->loc = loc;
    d->msg = msg;
    if (sev == DL_SEV_ERROR) ctx->num_errors++;
    if (ctx->diag_stream) {
        dl_diag_format(d, ctx->diag_stream);
        return;
    }
    if (ctx->diags_tail)
        ctx->diags_tail->next = d;
    else
        ctx->diags = d;
    ctx->diags_tail = d;
}

void dl_emit(dl_context *ctx, dl_severity sev, dl_loc loc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dl_emitv(ctx, sev, loc, fmt, ap);
    va_end(ap);
}

void dl_error(dl_context *ctx, dl_loc loc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dl_emitv(ctx, DL_SEV_ERROR, loc, fmt, ap);
    va_end(ap);
}

unsigned dl_error_count(const dl_context *ctx) {
    return ctx->num_errors;
}
const dl_diag *dl_diags(const dl_context *ctx) {
    return ctx->diags;
}

void dl_diags_flush(dl_context *ctx, FILE *out) {
    for (const dl_diag *d = ctx->diags; d; d = d->next) dl_diag_format(d, out);
    ctx->diags = ctx->diags_tail = NULL;
}

void dl_diags_set_stream(dl_context *ctx, FILE *out) {
    if (out) dl_diags_flush(ctx, out);
    ctx->diag_stream = out;
}
