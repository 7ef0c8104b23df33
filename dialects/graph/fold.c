/* fold.c: dispatch of graph-op constant folding over the per-family rule tables, and the
 * helpers the rules share (constant operands, result buffers, scalars, strided walks). */
#include "fold.h"

#include <stdlib.h>
#include <string.h>

static const dl_fold_entry *const families[] = {dl_fold_elementwise, dl_fold_shape, dl_fold_reduce};

static dl_fold_fn table[DL_OP__COUNT];
static bool table_ready;

bool dl_graph_fold(dl_op *op, const dl_attr **results) {
    if (!table_ready) {
        for (size_t f = 0; f < sizeof families / sizeof *families; f++)
            for (const dl_fold_entry *e = families[f]; e->kind != DL_OP__INVALID; e++)
                table[e->kind] = e->fn;
        table_ready = true;
    }
    if (op->kind >= DL_OP__COUNT || !table[op->kind] || op->num_regions) return false;
    for (unsigned i = 0; i < op->num_operands; i++)
        if (!dl_operand(op, i)) return false;
    for (unsigned i = 0; i < op->num_results; i++) {
        const dl_type *t = op->results[i].type;
        if (t->kind != DL_TY_TENSOR || !dl_type_has_static_shape(t) || t->rank > DL_MAX_RANK ||
            dl_type_num_elements(t) > DL_FOLD_MAX_ELEMENTS)
            return false;
    }
    return table[op->kind](op, results);
}

bool dl_graph_fold_in_place(dl_op *op) {
    if (!op->num_results || !dl_op_has_trait(op, DL_TRAIT_PURE) || op->kind == DL_OP_graph_Constant)
        return false;
    const dl_attr **results = calloc(op->num_results, sizeof *results);
    DL_ASSERT(results);
    bool ok = dl_graph_fold(op, results);
    for (unsigned i = 0; ok && i < op->num_results; i++)
        ok = results[i] && results[i]->type == op->results[i].type;
    if (ok) {
        dl_builder b = dl_builder_before(op);
        b.loc = op->loc;
        for (unsigned i = 0; i < op->num_results; i++) {
            const dl_type *t = op->results[i].type;
            dl_op *c = dl_build(&b, DL_OP_graph_Constant, 0, NULL, 1, &t, 0);
            dl_op_set_attr(c, "value", results[i]);
            c->results[0].name = op->results[i].name;
            dl_value_replace_all_uses(&op->results[i], &c->results[0]);
        }
        dl_op_erase(op);
    }
    free(results);
    return ok;
}

/* ---- Shared helpers ---- */

const dl_attr *dl_fold_const(const dl_op *op, unsigned i) {
    if (i >= op->num_operands) return NULL;
    const dl_value *v = dl_operand(op, i);
    const dl_attr *a = dl_graph_constant_value(v);
    if (!a || a->type != v->type || a->type->kind != DL_TY_TENSOR ||
        !dl_type_is_scalar(a->type->elem) || a->type->rank > DL_MAX_RANK)
        return NULL;
    return a;
}

void *dl_fold_buffer(dl_op *op, unsigned i, size_t *bytes) {
    const dl_type *t = op->results[i].type;
    int64_t n = dl_type_num_elements(t);
    DL_ASSERT(n >= 0 && n <= DL_FOLD_MAX_ELEMENTS);
    *bytes = (size_t)n * dl_scalar_size(t->elem->kind);
    void *p = calloc(*bytes ? *bytes : 1, 1);
    DL_ASSERT(p);
    return p;
}

const dl_attr *dl_fold_finish(dl_op *op, unsigned i, void *data) {
    const dl_type *t = op->results[i].type;
    int64_t n = dl_type_num_elements(t);
    size_t es = dl_scalar_size(t->elem->kind);
    const unsigned char *p = data;
    bool splat = n > 1;
    for (int64_t k = 1; splat && k < n; k++) splat = memcmp(p, p + (size_t)k * es, es) == 0;
    const dl_attr *a = dl_attr_dense(op->ctx, t, data, splat ? es : (size_t)n * es, splat, true);
    free(data);
    return a;
}

const dl_attr *dl_fold_reinterpret(dl_op *op, unsigned i, const dl_attr *a) {
    const dl_type *t = op->results[i].type;
    if (!a || t->elem != a->type->elem || dl_type_num_elements(t) != dl_type_num_elements(a->type))
        return NULL;
    if (t == a->type) return a;
    return dl_attr_dense(op->ctx, t, a->u.dense.data, a->u.dense.size, a->u.dense.splat, false);
}

const void *dl_fold_elem_ptr(const dl_attr *a, int64_t idx) {
    size_t es = dl_scalar_size(a->type->elem->kind);
    return (const char *)a->u.dense.data + (a->u.dense.splat ? 0 : (size_t)idx * es);
}

dl_fold_scalar dl_fold_load(const dl_attr *a, int64_t idx) {
    dl_fold_scalar s;
    if (dl_type_is_float(a->type->elem))
        s.f = dl_dense_get_f64(a, idx);
    else
        s.i = dl_dense_get_i64(a, idx);
    return s;
}

double dl_fold_round(dl_type_kind k, double v) {
    switch (k) {
    case DL_TY_F16: return dl_f16_to_f32(dl_f32_to_f16((float)v));
    case DL_TY_BF16: return dl_bf16_to_f32(dl_f32_to_bf16((float)v));
    case DL_TY_F32: return (float)v;
    default: return v;
    }
}

int64_t dl_fold_wrap(dl_type_kind k, int64_t v) {
    if (k == DL_TY_I1) return v != 0;
    unsigned bits = dl_scalar_bits(k);
    if (bits >= 64) return v;
    uint64_t mask = (UINT64_C(1) << bits) - 1, u = (uint64_t)v & mask;
    if (!(k >= DL_TY_U8 && k <= DL_TY_U64) && (u >> (bits - 1))) u |= ~mask;
    return (int64_t)u;
}

void dl_fold_store(void *data, dl_type_kind k, int64_t idx, dl_fold_scalar v) {
    char *p = (char *)data + (size_t)idx * dl_scalar_size(k);
    switch (k) {
    case DL_TY_F16: *(uint16_t *)p = dl_f32_to_f16((float)v.f); break;
    case DL_TY_BF16: *(uint16_t *)p = dl_f32_to_bf16((float)v.f); break;
    case DL_TY_F32: *(float *)p = (float)v.f; break;
    case DL_TY_F64: *(double *)p = v.f; break;
    case DL_TY_I1: *(uint8_t *)p = v.i != 0; break;
    case DL_TY_I8:
    case DL_TY_U8: *(uint8_t *)p = (uint8_t)v.i; break;
    case DL_TY_I16:
    case DL_TY_U16: *(uint16_t *)p = (uint16_t)v.i; break;
    case DL_TY_I32:
    case DL_TY_U32: *(uint32_t *)p = (uint32_t)v.i; break;
    default: *(uint64_t *)p = (uint64_t)v.i; break;
    }
}

bool dl_fold_iter_init(dl_fold_iter *it, const dl_type *t, unsigned n) {
    if (t->kind != DL_TY_TENSOR || !dl_type_has_static_shape(t) || t->rank > DL_MAX_RANK ||
        n > DL_FOLD_MAX_OPERANDS)
        return false;
    memset(it, 0, sizeof *it);
    it->rank = t->rank;
    it->n = n;
    for (int d = 0; d < t->rank; d++) it->dims[d] = t->dims[d];
    return true;
}

bool dl_fold_iter_broadcast(dl_fold_iter *it, unsigned k, const dl_type *in) {
    if (k >= it->n || in->kind != DL_TY_TENSOR || in->rank > it->rank ||
        !dl_type_has_static_shape(in))
        return false;
    int64_t stride = 1;
    for (int d = it->rank - 1, j = in->rank - 1; d >= 0; d--, j--) {
        if (j < 0) {
            it->strides[k][d] = 0;
            continue;
        }
        if (in->dims[j] != it->dims[d] && in->dims[j] != 1) return false;
        it->strides[k][d] = in->dims[j] == 1 ? 0 : stride;
        stride *= in->dims[j];
    }
    return true;
}

void dl_fold_iter_next(dl_fold_iter *it) {
    for (int d = it->rank - 1; d >= 0; d--) {
        for (unsigned k = 0; k < it->n; k++) it->off[k] += it->strides[k][d];
        if (++it->idx[d] < it->dims[d]) return;
        for (unsigned k = 0; k < it->n; k++) it->off[k] -= it->strides[k][d] * it->dims[d];
        it->idx[d] = 0;
    }
}

void dl_fold_row_major(const dl_type *t, int64_t *strides) {
    int64_t s = 1;
    for (int d = t->rank - 1; d >= 0; d--) {
        strides[d] = s;
        s *= t->dims[d];
    }
}
