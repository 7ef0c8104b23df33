/* attrs.c: construction, interning, comparison and printing of attributes. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint32_t hash_attr_key(const dl_attr *a) {
    uint32_t h = dl_hash_combine(0x2545f491u, (uint32_t)a->kind);
    h = dl_hash_combine(h, dl_hash_ptr(a->type));
    switch (a->kind) {
    case DL_ATTR_BOOL: return dl_hash_combine(h, a->u.b);
    case DL_ATTR_INT: return dl_hash_combine(h, dl_hash_bytes(&a->u.i, 8, 0));
    case DL_ATTR_FLOAT: return dl_hash_combine(h, dl_hash_bytes(&a->u.f, 8, 0));
    case DL_ATTR_STRING: return dl_hash_combine(h, dl_hash_bytes(a->u.str.data, a->u.str.len, 0));
    case DL_ATTR_ARRAY:
        for (unsigned i = 0; i < a->u.array.n; i++)
            h = dl_hash_combine(h, dl_hash_ptr(a->u.array.elems[i]));
        return h;
    case DL_ATTR_DICT:
        for (unsigned i = 0; i < a->u.dict.n; i++) {
            h = dl_hash_combine(h, dl_hash_ptr(a->u.dict.entries[i].name));
            h = dl_hash_combine(h, dl_hash_ptr(a->u.dict.entries[i].attr));
        }
        return h;
    case DL_ATTR_AFFINE: return dl_hash_combine(h, dl_hash_ptr(a->u.map));
    case DL_ATTR_SYMBOL: return dl_hash_combine(h, dl_hash_ptr(a->u.symbol));
    default: return h;
    }
}

static bool attr_key_eq(const void *pa, const void *pb) {
    const dl_attr *a = pa, *b = pb;
    if (a->kind != b->kind || a->type != b->type) return false;
    switch (a->kind) {
    case DL_ATTR_UNIT:
    case DL_ATTR_TYPE: return true;
    case DL_ATTR_BOOL: return a->u.b == b->u.b;
    case DL_ATTR_INT: return a->u.i == b->u.i;
    case DL_ATTR_FLOAT: return memcmp(&a->u.f, &b->u.f, sizeof(double)) == 0;
    case DL_ATTR_STRING:
        return a->u.str.len == b->u.str.len &&
               memcmp(a->u.str.data, b->u.str.data, a->u.str.len) == 0;
    case DL_ATTR_ARRAY:
        return a->u.array.n == b->u.array.n &&
               (a->u.array.n == 0 ||
                memcmp(a->u.array.elems, b->u.array.elems, sizeof(void *) * a->u.array.n) == 0);
    case DL_ATTR_DICT:
        return a->u.dict.n == b->u.dict.n &&
               (a->u.dict.n == 0 || memcmp(a->u.dict.entries, b->u.dict.entries,
                                           sizeof(dl_named_attr) * a->u.dict.n) == 0);
    case DL_ATTR_AFFINE: return a->u.map == b->u.map;
    case DL_ATTR_SYMBOL: return a->u.symbol == b->u.symbol;
    default: return false;
    }
}

/* Interns key; arrays inside key are borrowed and copied on insertion. */
static const dl_attr *intern(dl_context *ctx, dl_attr key) {
    key.hash = hash_attr_key(&key);
    dl_hashset *set = &dl_context_tables(ctx)->attrs;
    dl_attr *found = dl_hashset_find(set, key.hash, &key, attr_key_eq);
    if (found) return found;
    dl_attr *a = DL_NEW(ctx, dl_attr);
    *a = key;
    if (key.kind == DL_ATTR_STRING) a->u.str.data = dl_strndup(ctx, key.u.str.data, key.u.str.len);
    if (key.kind == DL_ATTR_ARRAY && key.u.array.n)
        a->u.array.elems = dl_memdup(ctx, key.u.array.elems, sizeof(void *) * key.u.array.n);
    if (key.kind == DL_ATTR_DICT && key.u.dict.n)
        a->u.dict.entries =
            dl_memdup(ctx, key.u.dict.entries, sizeof(dl_named_attr) * key.u.dict.n);
    dl_hashset_insert(set, key.hash, a);
    return a;
}

const dl_attr *dl_attr_unit(dl_context *ctx) {
    return intern(ctx, (dl_attr){.kind = DL_ATTR_UNIT});
}
const dl_attr *dl_attr_bool(dl_context *ctx, bool v) {
    return intern(ctx, (dl_attr){.kind = DL_ATTR_BOOL, .u.b = v});
}
const dl_attr *dl_attr_int_typed(dl_context *ctx, int64_t v, const dl_type *t) {
    DL_ASSERT(dl_type_is_int(t));
    return intern(ctx, (dl_attr){.kind = DL_ATTR_INT, .type = t, .u.i = v});
}
const dl_attr *dl_attr_int(dl_context *ctx, int64_t v) {
    return dl_attr_int_typed(ctx, v, dl_type_scalar(ctx, DL_TY_I64));
}
const dl_attr *dl_attr_float_typed(dl_context *ctx, double v, const dl_type *t) {
    DL_ASSERT(dl_type_is_float(t));
    if (t->kind != DL_TY_F64) v = (float)v;
    if (isnan(v)) v = NAN; /* one NaN so that interning is stable */
    return intern(ctx, (dl_attr){.kind = DL_ATTR_FLOAT, .type = t, .u.f = v});
}
const dl_attr *dl_attr_float(dl_context *ctx, double v) {
    return dl_attr_float_typed(ctx, v, dl_type_scalar(ctx, DL_TY_F32));
}
const dl_attr *dl_attr_string_n(dl_context *ctx, const char *s, size_t len) {
    return intern(ctx, (dl_attr){.kind = DL_ATTR_STRING, .u.str = {s, len}});
}
const dl_attr *dl_attr_string(dl_context *ctx, const char *s) {
    return dl_attr_string_n(ctx, s, strlen(s));
}
const dl_attr *dl_attr_type(dl_context *ctx, const dl_type *t) {
    return intern(ctx, (dl_attr){.kind = DL_ATTR_TYPE, .type = t});
}
const dl_attr *dl_attr_array(dl_context *ctx, unsigned n, const dl_attr *const *elems) {
    return intern(ctx, (dl_attr){.kind = DL_ATTR_ARRAY, .u.array = {n, n ? elems : NULL}});
}
const dl_attr *dl_attr_int_array(dl_context *ctx, unsigned n, const int64_t *v) {
    const dl_attr **e = DL_NEW_ARRAY(ctx, const dl_attr *, n ? n : 1);
    for (unsigned i = 0; i < n; i++) e[i] = dl_attr_int(ctx, v[i]);
    return dl_attr_array(ctx, n, e);
}
const dl_attr *dl_attr_float_array(dl_context *ctx, unsigned n, const float *v) {
    const dl_attr **e = DL_NEW_ARRAY(ctx, const dl_attr *, n ? n : 1);
    for (unsigned i = 0; i < n; i++) e[i] = dl_attr_float(ctx, v[i]);
    return dl_attr_array(ctx, n, e);
}

static int cmp_named(const void *a, const void *b) {
    return strcmp(((const dl_named_attr *)a)->name, ((const dl_named_attr *)b)->name);
}

const dl_attr *dl_attr_dict(dl_context *ctx, unsigned n, const dl_named_attr *entries) {
    dl_named_attr *e = DL_NEW_ARRAY(ctx, dl_named_attr, n ? n : 1);
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++) {
        const char *name = dl_intern(ctx, entries[i].name);
        unsigned j = 0;
        while (j < m && e[j].name != name) j++;
        e[j] = (dl_named_attr){name, entries[i].attr};
        if (j == m) m++;
    }
    qsort(e, m, sizeof *e, cmp_named);
    return intern(ctx, (dl_attr){.kind = DL_ATTR_DICT, .u.dict = {m, m ? e : NULL}});
}

const dl_attr *dl_attr_affine_map(dl_context *ctx, const dl_affine_map *m) {
    return intern(ctx, (dl_attr){.kind = DL_ATTR_AFFINE, .u.map = m});
}
const dl_attr *dl_attr_symbol(dl_context *ctx, const char *name) {
    return intern(ctx, (dl_attr){.kind = DL_ATTR_SYMBOL, .u.symbol = dl_intern(ctx, name)});
}

const dl_attr *dl_attr_dict_get(const dl_attr *dict, const char *name) {
    if (!dict || dict->kind != DL_ATTR_DICT) return NULL;
    for (unsigned i = 0; i < dict->u.dict.n; i++)
        if (strcmp(dict->u.dict.entries[i].name, name) == 0) return dict->u.dict.entries[i].attr;
    return NULL;
}

/* ---- Dense element data ---- */

const dl_attr *dl_attr_dense(dl_context *ctx, const dl_type *t, const void *data, size_t size,
                             bool splat, bool copy) {
    DL_ASSERT(t->kind == DL_TY_TENSOR && dl_type_has_static_shape(t));
    int64_t n = dl_type_num_elements(t);
    size_t esize = dl_scalar_size(t->elem->kind);
    if (n < 0 || size != esize * (splat ? 1 : (size_t)n)) return NULL;
    if (n <= 1 && !splat) splat = n == 1;
    dl_attr *a = DL_NEW(ctx, dl_attr);
    a->kind = DL_ATTR_DENSE;
    a->type = t;
    a->u.dense.data = copy ? dl_memdup(ctx, data, size) : data;
    a->u.dense.size = size;
    a->u.dense.splat = splat;
    return a;
}

static void store_elem(void *p, dl_type_kind k, double f, int64_t i, bool from_float) {
    switch (k) {
    case DL_TY_F16: *(uint16_t *)p = dl_f32_to_f16((float)(from_float ? f : (double)i)); break;
    case DL_TY_BF16: *(uint16_t *)p = dl_f32_to_bf16((float)(from_float ? f : (double)i)); break;
    case DL_TY_F32: *(float *)p = (float)(from_float ? f : (double)i); break;
    case DL_TY_F64: *(double *)p = from_float ? f : (double)i; break;
    default: {
        int64_t v = from_float ? (isnan(f)       ? 0
                                  : f >= 9.2e18  ? INT64_MAX
                                  : f <= -9.2e18 ? INT64_MIN
                                                 : (int64_t)f)
                               : i;
        switch (k) {
        case DL_TY_I1: *(uint8_t *)p = v != 0; break;
        case DL_TY_I8:
        case DL_TY_U8: *(uint8_t *)p = (uint8_t)v; break;
        case DL_TY_I16:
        case DL_TY_U16: *(uint16_t *)p = (uint16_t)v; break;
        case DL_TY_I32:
        case DL_TY_U32: *(uint32_t *)p = (uint32_t)v; break;
        default: *(uint64_t *)p = (uint64_t)v; break;
        }
    }
    }
}

static const dl_attr *dense_from(dl_context *ctx, const dl_type *t, const double *f,
                                 const int64_t *iv, size_t n) {
    int64_t count = dl_type_num_elements(t);
    DL_ASSERT(count >= 0 && (n == (size_t)count || n == 1));
    dl_type_kind k = t->elem->kind;
    size_t es = dl_scalar_size(k);
    unsigned char *buf = dl_alloc(ctx, es * n + 1);
    for (size_t j = 0; j < n; j++)
        store_elem(buf + j * es, k, f ? f[j] : 0, iv ? iv[j] : 0, f != NULL);
    return dl_attr_dense(ctx, t, buf, es * n, n == 1 && count != 1, false);
}

const dl_attr *dl_attr_dense_from_f64(dl_context *ctx, const dl_type *t, const double *v,
                                      size_t n) {
    return dense_from(ctx, t, v, NULL, n);
}
const dl_attr *dl_attr_dense_from_i64(dl_context *ctx, const dl_type *t, const int64_t *v,
                                      size_t n) {
    return dense_from(ctx, t, NULL, v, n);
}

int64_t dl_dense_num_elements(const dl_attr *a) {
    return dl_type_num_elements(a->type);
}

static const void *elem_ptr(const dl_attr *a, int64_t i) {
    size_t es = dl_scalar_size(a->type->elem->kind);
    return (const char *)a->u.dense.data + (a->u.dense.splat ? 0 : (size_t)i * es);
}

double dl_dense_get_f64(const dl_attr *a, int64_t i) {
    const void *p = elem_ptr(a, i);
    switch (a->type->elem->kind) {
    case DL_TY_F16: return dl_f16_to_f32(*(const uint16_t *)p);
    case DL_TY_BF16: return dl_bf16_to_f32(*(const uint16_t *)p);
    case DL_TY_F32: return *(const float *)p;
    case DL_TY_F64: return *(const double *)p;
    case DL_TY_U64: return (double)*(const uint64_t *)p;
    default: return (double)dl_dense_get_i64(a, i);
    }
}

int64_t dl_dense_get_i64(const dl_attr *a, int64_t i) {
    const void *p = elem_ptr(a, i);
    switch (a->type->elem->kind) {
    case DL_TY_I1:
    case DL_TY_U8: return *(const uint8_t *)p;
    case DL_TY_I8: return *(const int8_t *)p;
    case DL_TY_I16: return *(const int16_t *)p;
    case DL_TY_U16: return *(const uint16_t *)p;
    case DL_TY_I32: return *(const int32_t *)p;
    case DL_TY_U32: return *(const uint32_t *)p;
    case DL_TY_I64:
    case DL_TY_INDEX:
    case DL_TY_U64: return *(const int64_t *)p;
    default: {
        double d = dl_dense_get_f64(a, i);
        return isnan(d) ? 0 : d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d;
    }
    }
}

static uint32_t dense_hash(const dl_attr *a) {
    uint32_t h = dl_hash_combine(dl_hash_ptr(a->type), a->u.dense.splat);
    return dl_hash_combine(h, dl_hash_bytes(a->u.dense.data, a->u.dense.size, 7));
}

uint32_t dl_attr_hash(const dl_attr *a) {
    if (a->kind != DL_ATTR_DENSE) return a->hash;
    if (!a->hash) ((dl_attr *)a)->hash = dense_hash(a) | 1u; /* computed on demand, cached */
    return a->hash;
}

bool dl_attr_equal(const dl_attr *a, const dl_attr *b) {
    if (a == b) return true;
    if (a->kind != DL_ATTR_DENSE || b->kind != DL_ATTR_DENSE || a->type != b->type) return false;
    if (a->u.dense.splat == b->u.dense.splat)
        return a->u.dense.size == b->u.dense.size &&
               memcmp(a->u.dense.data, b->u.dense.data, a->u.dense.size) == 0;
    /* splat vs. full data: compare every element bytewise */
    size_t es = dl_scalar_size(a->type->elem->kind);
    int64_t n = dl_dense_num_elements(a);
    for (int64_t i = 0; i < n; i++)
        if (memcmp(elem_ptr(a, i), elem_ptr(b, i), es) != 0) return false;
    return true;
}

/* ---- Half-precision conversions ---- */

float dl_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f)
        bits = sign | 0x7f800000u | (man << 13);
    else if (exp)
        bits = sign | ((exp + 112) << 23) | (man << 13);
    else if (man) {
        int e = -1;
        do {
            e++;
            man <<= 1;
        } while (!(man & 0x400));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
    } else
        bits = sign;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t dl_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, man = x & 0x7fffff;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (man ? 0x200 | (man >> 13) : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 0x1f) return (uint16_t)(sign | 0x7c00);
    if (e <= 0) {
        if (e < -10) return (uint16_t)sign;
        man |= 0x800000;
        unsigned shift = (unsigned)(14 - e);
        uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;
    return (uint16_t)half;
}

float dl_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t dl_f32_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}
