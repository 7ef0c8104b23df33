/* types.c: construction, interning and printing of IR types. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    size_t size;
} scalar_info[] = {
#define X(id, name, size) {name, size},
    DL_SCALAR_TYPES(X)
#undef X
};

size_t dl_scalar_size(dl_type_kind k) {
    DL_ASSERT(k < DL_TY_NUM_SCALARS);
    return scalar_info[k].size;
}

unsigned dl_scalar_bits(dl_type_kind k) {
    return k == DL_TY_I1 ? 1 : 8 * (unsigned)dl_scalar_size(k);
}

const char *dl_scalar_name(dl_type_kind k) {
    DL_ASSERT(k < DL_TY_NUM_SCALARS);
    return scalar_info[k].name;
}

static uint32_t hash_type(const dl_type *t) {
    uint32_t h = dl_hash_combine(0x9e3779b9u, (uint32_t)t->kind);
    h = dl_hash_combine(h, dl_hash_ptr(t->elem));
    h = dl_hash_combine(h, (uint32_t)t->rank);
    if (t->dims) h = dl_hash_combine(h, dl_hash_bytes(t->dims, sizeof(int64_t) * t->rank, 1));
    if (t->names)
        for (int i = 0; i < t->rank; i++) h = dl_hash_combine(h, dl_hash_ptr(t->names[i]));
    if (t->strides) h = dl_hash_combine(h, dl_hash_bytes(t->strides, sizeof(int64_t) * t->rank, 2));
    h = dl_hash_combine(h, (uint32_t)t->offset);
    for (unsigned i = 0; i < t->num_inputs; i++) h = dl_hash_combine(h, dl_hash_ptr(t->inputs[i]));
    h = dl_hash_combine(h, 0x55u);
    for (unsigned i = 0; i < t->num_results; i++)
        h = dl_hash_combine(h, dl_hash_ptr(t->results[i]));
    return h;
}

static bool same_i64(const int64_t *a, const int64_t *b, int n) {
    if (!a || !b) return a == b;
    return memcmp(a, b, sizeof(int64_t) * (size_t)n) == 0;
}

static bool type_eq(const void *pa, const void *pb) {
    const dl_type *a = pa, *b = pb;
    if (a->kind != b->kind || a->elem != b->elem || a->rank != b->rank || a->offset != b->offset ||
        a->num_inputs != b->num_inputs || a->num_results != b->num_results)
        return false;
    if (!same_i64(a->dims, b->dims, a->rank) || !same_i64(a->strides, b->strides, a->rank))
        return false;
    if ((a->names == NULL) != (b->names == NULL)) return false;
    for (int i = 0; a->names && i < a->rank; i++)
        if (a->names[i] != b->names[i]) return false;
    for (unsigned i = 0; i < a->num_inputs; i++)
        if (a->inputs[i] != b->inputs[i]) return false;
    for (unsigned i = 0; i < a->num_results; i++)
        if (a->results[i] != b->results[i]) return false;
    return true;
}

/* Returns the interned copy of key (a stack-built type with borrowed arrays). */
static const dl_type *intern(dl_context *ctx, dl_type key) {
    key.hash = hash_type(&key);
    dl_hashset *set = &dl_context_tables(ctx)->types;
    dl_type *found = dl_hashset_find(set, key.hash, &key, type_eq);
    if (found) return found;
    dl_type *t = DL_NEW(ctx, dl_type);
    *t = key;
    if (key.dims) t->dims = dl_memdup(ctx, key.dims, sizeof(int64_t) * (size_t)key.rank);
    if (key.strides) t->strides = dl_memdup(ctx, key.strides, sizeof(int64_t) * (size_t)key.rank);
    if (key.names) t->names = dl_memdup(ctx, key.names, sizeof(char *) * (size_t)key.rank);
    if (key.inputs) t->inputs = dl_memdup(ctx, key.inputs, sizeof(dl_type *) * key.num_inputs);
    if (key.results) t->results = dl_memdup(ctx, key.results, sizeof(dl_type *) * key.num_results);
    dl_hashset_insert(set, key.hash, t);
    return t;
}

const dl_type *dl_type_scalar(dl_context *ctx, dl_type_kind kind) {
    DL_ASSERT(kind < DL_TY_NUM_SCALARS);
    return intern(ctx, (dl_type){.kind = kind});
}

const dl_type *dl_type_none(dl_context *ctx) {
    return intern(ctx, (dl_type){.kind = DL_TY_NONE});
}

const dl_type *dl_type_tensor(dl_context *ctx, const dl_type *elem, int rank, const int64_t *dims,
                              const char *const *names) {
    DL_ASSERT(dl_type_is_scalar(elem) && rank >= 0);
    const char **nm = NULL;
    bool any = false;
    for (int i = 0; names && i < rank; i++) any |= names[i] != NULL;
    if (any) {
        nm = DL_NEW_ARRAY(ctx, const char *, rank);
        for (int i = 0; i < rank; i++) nm[i] = names[i] ? dl_intern(ctx, names[i]) : NULL;
    }
    static const int64_t empty[1];
    return intern(ctx, (dl_type){.kind = DL_TY_TENSOR,
                                 .elem = elem,
                                 .rank = rank,
                                 .dims = rank ? dims : empty,
                                 .names = nm});
}

const dl_type *dl_type_memref(dl_context *ctx, const dl_type *elem, int rank, const int64_t *dims,
                              const int64_t *strides, int64_t offset) {
    DL_ASSERT(dl_type_is_scalar(elem) && rank >= 0);
    static const int64_t empty[1];
    int64_t *computed = NULL;
    if (!strides && offset != 0 && rank > 0) {
        /* Canonical form: a non-zero offset always comes with explicit strides. */
        computed = DL_NEW_ARRAY(ctx, int64_t, rank);
        int64_t s = 1;
        for (int i = rank - 1; i >= 0; i--) {
            computed[i] = s;
            s = (s == DL_DYN || dims[i] == DL_DYN) ? DL_DYN : s * dims[i];
        }
        strides = computed;
    }
    if (strides && offset == 0) {
        /* Canonical form: contiguous row-major strides are the same as no layout. */
        int64_t s = 1;
        bool contiguous = true;
        for (int i = rank - 1; i >= 0 && contiguous; i--) {
            contiguous = strides[i] == s && dims[i] != DL_DYN;
            s *= dims[i];
        }
        if (contiguous) strides = NULL;
    }
    return intern(ctx, (dl_type){.kind = DL_TY_MEMREF,
                                 .elem = elem,
                                 .rank = rank,
                                 .dims = rank ? dims : empty,
                                 .strides = rank ? strides : NULL,
                                 .offset = offset});
}

const dl_type *dl_type_vector(dl_context *ctx, const dl_type *elem, int rank, const int64_t *dims) {
    DL_ASSERT(dl_type_is_scalar(elem) && rank >= 1);
    return intern(ctx, (dl_type){.kind = DL_TY_VECTOR, .elem = elem, .rank = rank, .dims = dims});
}

const dl_type *dl_type_seq(dl_context *ctx, const dl_type *elem) {
    return intern(ctx, (dl_type){.kind = DL_TY_SEQ, .elem = elem});
}

const dl_type *dl_type_func(dl_context *ctx, unsigned num_inputs, const dl_type *const *inputs,
                            unsigned num_results, const dl_type *const *results) {
    return intern(ctx, (dl_type){.kind = DL_TY_FUNC,
                                 .num_inputs = num_inputs,
                                 .inputs = num_inputs ? inputs : NULL,
                                 .num_results = num_results,
                                 .results = num_results ? results : NULL});
}

const dl_type *dl_type_with_elem(dl_context *ctx, const dl_type *t, const dl_type *elem) {
    switch (t->kind) {
    case DL_TY_TENSOR: return dl_type_tensor(ctx, elem, t->rank, t->dims, t->names);
    case DL_TY_MEMREF: return dl_type_memref(ctx, elem, t->rank, t->dims, t->strides, t->offset);
    case DL_TY_VECTOR: return dl_type_vector(ctx, elem, t->rank, t->dims);
    default: return elem;
    }
}

const dl_type *dl_type_elem(const dl_type *t) {
    return t->kind == DL_TY_TENSOR || t->kind == DL_TY_MEMREF || t->kind == DL_TY_VECTOR ||
                   t->kind == DL_TY_SEQ
               ? t->elem
               : t;
}

bool dl_type_has_static_shape(const dl_type *t) {
    if (!dl_type_is_shaped(t)) return dl_type_is_scalar(t);
    for (int i = 0; i < t->rank; i++)
        if (t->dims[i] == DL_DYN) return false;
    return true;
}

int64_t dl_type_num_elements(const dl_type *t) {
    if (dl_type_is_scalar(t)) return 1;
    if (!dl_type_is_shaped(t)) return -1;
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] < 0) return -1;
        if (t->dims[i] && n > (INT64_C(1) << 62) / t->dims[i]) return -1;
        n *= t->dims[i];
    }
    return n;
}

bool dl_memref_strides(const dl_type *t, int64_t *strides) {
    if (t->kind != DL_TY_MEMREF || !dl_type_has_static_shape(t) || t->offset == DL_DYN)
        return false;
    int64_t s = 1;
    for (int r = t->rank - 1; r >= 0; r--) {
        strides[r] = t->strides ? t->strides[r] : s;
        if (strides[r] == DL_DYN) return false;
        s *= t->dims[r];
    }
    return true;
}

int64_t dl_memref_span(const dl_type *t) {
    if (t->kind != DL_TY_MEMREF || t->rank > 64) return 0;
    int64_t strides[64], last = t->offset;
    if (!dl_memref_strides(t, strides)) return 0;
    for (int r = 0; r < t->rank; r++) {
        if (t->dims[r] == 0) return 0;
        last += (t->dims[r] - 1) * (strides[r] > 0 ? strides[r] : 0);
    }
    return last + 1;
}

/* ---- Printing ---- */

static bool is_bare_name(const char *s) {
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

void dl_print_string_literal(const char *s, size_t len, FILE *out);

static void print_dims(const dl_type *t, FILE *out) {
    for (int i = 0; i < t->rank; i++) {
        if (t->names && t->names[i]) {
            fputc('{', out);
            if (is_bare_name(t->names[i]))
                fputs(t->names[i], out);
            else
                dl_print_string_literal(t->names[i], strlen(t->names[i]), out);
            fputc('}', out);
        } else if (t->dims[i] == DL_DYN) {
            fputc('?', out);
        } else {
            fprintf(out, "%lld", (long long)t->dims[i]);
        }
        fputc('x', out);
    }
}

static void print_i64_or_dyn(int64_t v, FILE *out) {
    if (v == DL_DYN)
        fputc('?', out);
    else
        fprintf(out, "%lld", (long long)v);
}

void dl_type_print(const dl_type *t, FILE *out) {
    switch (t->kind) {
    case DL_TY_NONE: fputs("none", out); return;
    case DL_TY_TENSOR:
    case DL_TY_VECTOR:
        fputs(t->kind == DL_TY_TENSOR ? "tensor<" : "vector<", out);
        print_dims(t, out);
        dl_type_print(t->elem, out);
        fputc('>', out);
        return;
    case DL_TY_MEMREF:
        fputs("memref<", out);
        print_dims(t, out);
        dl_type_print(t->elem, out);
        if (t->strides || t->offset) {
            fputs(", strided<[", out);
            for (int i = 0; t->strides && i < t->rank; i++) {
                if (i) fputs(", ", out);
                print_i64_or_dyn(t->strides[i], out);
            }
            fputs("], offset: ", out);
            print_i64_or_dyn(t->offset, out);
            fputc('>', out);
        }
        fputc('>', out);
        return;
    case DL_TY_SEQ:
        fputs("seq<", out);
        dl_type_print(t->elem, out);
        fputc('>', out);
        return;
    case DL_TY_FUNC:
        fputc('(', out);
        for (unsigned i = 0; i < t->num_inputs; i++) {
            if (i) fputs(", ", out);
            dl_type_print(t->inputs[i], out);
        }
        fputs(") -> (", out);
        for (unsigned i = 0; i < t->num_results; i++) {
            if (i) fputs(", ", out);
            dl_type_print(t->results[i], out);
        }
        fputc(')', out);
        return;
    default: fputs(dl_scalar_name(t->kind), out); return;
    }
}

const char *dl_type_str(dl_context *ctx, const dl_type *t) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    DL_ASSERT(f);
    dl_type_print(t, f);
    fclose(f);
    const char *s = dl_strndup(ctx, buf, len);
    free(buf);
    return s;
}
