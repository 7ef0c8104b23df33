/* fold_shape.c: constant-folding rules of the shape and data-movement ops: Shape and Size
 * (from static types alone), Identity, Reshape, Flatten, Squeeze, Unsqueeze, Transpose,
 * Expand, Tile, Concat, Split, Slice, Gather, ConstantOfShape, Range, and inference-mode
 * Dropout. Results are checked against the (inferred) result types, so an inconsistent op never
 * folds. */
#include "fold.h"

#include <math.h>
#include <string.h>

/* ---- Helpers ---- */

static size_t elem_size(const dl_type *t) {
    return dl_scalar_size(t->elem->kind);
}

/* Copies count elements of src starting at element from (splat aware) to dst. */
static void copy_elems(void *dst, const dl_attr *src, int64_t from, int64_t count) {
    size_t es = elem_size(src->type);
    if (count <= 0) return;
    if (!src->u.dense.splat) {
        memcpy(dst, dl_fold_elem_ptr(src, from), (size_t)count * es);
        return;
    }
    for (int64_t i = 0; i < count; i++) memcpy((char *)dst + (size_t)i * es, src->u.dense.data, es);
}

/* Result i as a splat of one element. */
static const dl_attr *splat_result(dl_op *op, unsigned i, const void *elem) {
    const dl_type *t = op->results[i].type;
    size_t es = elem_size(t);
    int64_t n = dl_type_num_elements(t);
    if (n == 0) return dl_attr_dense(op->ctx, t, "", 0, false, true);
    return dl_attr_dense(op->ctx, t, elem, es, n != 1, true);
}

/* Result 0 filled from src through the strided walk it (offsets relative to base). */
static const dl_attr *strided_result(dl_op *op, const dl_attr *src, dl_fold_iter *it,
                                     int64_t base) {
    size_t bytes, es = elem_size(src->type);
    char *buf = dl_fold_buffer(op, 0, &bytes);
    int64_t n = dl_type_num_elements(op->results[0].type);
    for (int64_t i = 0; i < n; i++, dl_fold_iter_next(it))
        memcpy(buf + (size_t)i * es, dl_fold_elem_ptr(src, base + it->off[0]), es);
    return dl_fold_finish(op, 0, buf);
}

/* Integer values of constant operand i (at most max of them): the count, or -1. */
static int64_t const_ints(const dl_op *op, unsigned i, int64_t *out, int64_t max) {
    const dl_attr *a = dl_fold_const(op, i);
    if (!a || dl_type_is_float(a->type->elem)) return -1;
    int64_t n = dl_dense_num_elements(a);
    if (n > max) return -1;
    for (int64_t k = 0; k < n; k++) out[k] = dl_dense_get_i64(a, k);
    return n;
}

/* Normalises axis for rank (negative counts from the end); false when out of range. */
static bool norm_axis(int64_t axis, int rank, int64_t *out) {
    if (axis < -rank || axis >= rank) return false;
    *out = axis < 0 ? axis + rank : axis;
    return true;
}

static int64_t product(const int64_t *dims, int from, int to) {
    int64_t p = 1;
    for (int d = from; d < to; d++) p *= dims[d];
    return p;
}

/* ---- Rules ---- */

/* Shape: the static dims [start, end) of the input type (start/end clamped as ONNX does). */
static bool fold_shape(dl_op *op, const dl_attr **results) {
    const dl_type *in = dl_operand(op, 0)->type, *rt = op->results[0].type;
    if (in->kind != DL_TY_TENSOR) return false;
    int64_t rank = in->rank;
    int64_t start = dl_op_attr_int(op, "start", 0), end = dl_op_attr_int(op, "end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = start < 0 ? 0 : start > rank ? rank : start;
    end = end < 0 ? 0 : end > rank ? rank : end;
    int64_t n = end > start ? end - start : 0;
    if (rt->rank != 1 || rt->dims[0] != n || rt->elem->kind != DL_TY_I64) return false;
    for (int64_t i = 0; i < n; i++)
        if (in->dims[start + i] < 0) return false;
    size_t bytes;
    int64_t *buf = dl_fold_buffer(op, 0, &bytes);
    for (int64_t i = 0; i < n; i++) buf[i] = in->dims[start + i];
    results[0] = dl_fold_finish(op, 0, buf);
    return true;
}

/* Size: the element count of a static input type. */
static bool fold_size(dl_op *op, const dl_attr **results) {
    const dl_type *in = dl_operand(op, 0)->type, *rt = op->results[0].type;
    if (in->kind != DL_TY_TENSOR || !dl_type_has_static_shape(in) || rt->rank != 0 ||
        rt->elem->kind != DL_TY_I64)
        return false;
    int64_t n = dl_type_num_elements(in);
    if (n < 0) return false;
    results[0] = splat_result(op, 0, &n);
    return true;
}

/* Identity, Reshape, Flatten, Squeeze, Unsqueeze: the same data under the result type. */
static bool fold_reinterpret(dl_op *op, const dl_attr **results) {
    results[0] = dl_fold_reinterpret(op, 0, dl_fold_const(op, 0));
    return results[0] != NULL;
}

/* Dropout in inference mode (training_mode absent or a false constant): the input, and an
 * all-true mask. */
static bool fold_dropout(dl_op *op, const dl_attr **results) {
    if (dl_has_operand(op, 2)) {
        const dl_attr *t = dl_fold_const(op, 2);
        if (!t) return false;
        for (int64_t i = 0; i < dl_dense_num_elements(t); i++)
            if (dl_dense_get_f64(t, i) != 0) return false;
    }
    results[0] = dl_fold_reinterpret(op, 0, dl_fold_const(op, 0));
    if (!results[0]) return false;
    if (op->num_results > 1) {
        unsigned char one = 1;
        if (op->results[1].type->elem->kind != DL_TY_I1) return false;
        results[1] = splat_result(op, 1, &one);
    }
    return true;
}

static bool fold_transpose(dl_op *op, const dl_attr **results) {
    const dl_attr *a = dl_fold_const(op, 0);
    const dl_type *rt = op->results[0].type;
    if (!a || a->type->elem != rt->elem || a->type->rank != rt->rank) return false;
    int rank = rt->rank;
    int64_t perm[DL_MAX_RANK], in_strides[DL_MAX_RANK];
    int n = dl_op_attr_ints(op, "perm", perm, DL_MAX_RANK);
    if (n < 0) {
        n = rank;
        for (int d = 0; d < rank; d++) perm[d] = rank - 1 - d;
    }
    if (n != rank) return false;
    bool seen[DL_MAX_RANK] = {0};
    for (int d = 0; d < rank; d++) {
        if (perm[d] < 0 || perm[d] >= rank || seen[perm[d]]) return false;
        seen[perm[d]] = true;
        if (rt->dims[d] != a->type->dims[perm[d]]) return false;
    }
    dl_fold_iter it;
    if (!dl_fold_iter_init(&it, rt, 1)) return false;
    dl_fold_row_major(a->type, in_strides);
    for (int d = 0; d < rank; d++) it.strides[0][d] = in_strides[perm[d]];
    results[0] = strided_result(op, a, &it, 0);
    return true;
}

static bool fold_expand(dl_op *op, const dl_attr **results) {
    const dl_attr *a = dl_fold_const(op, 0);
    const dl_type *rt = op->results[0].type;
    dl_fold_iter it;
    if (!a || a->type->elem != rt->elem || !dl_fold_iter_init(&it, rt, 1) ||
        !dl_fold_iter_broadcast(&it, 0, a->type))
        return false;
    if (a->u.dense.splat && dl_dense_num_elements(a) > 0) {
        results[0] = splat_result(op, 0, a->u.dense.data);
        return true;
    }
    results[0] = strided_result(op, a, &it, 0);
    return true;
}

static bool fold_tile(dl_op *op, const dl_attr **results) {
    const dl_attr *a = dl_fold_const(op, 0);
    const dl_type *rt = op->results[0].type, *in = a ? a->type : NULL;
    int64_t reps[DL_MAX_RANK];
    if (!a || in->elem != rt->elem || in->rank != rt->rank ||
        const_ints(op, 1, reps, DL_MAX_RANK) != rt->rank)
        return false;
    for (int d = 0; d < rt->rank; d++) {
        bool ok = in->dims[d] == 0
                      ? rt->dims[d] == 0
                      : rt->dims[d] % in->dims[d] == 0 && rt->dims[d] / in->dims[d] == reps[d];
        if (!ok) return false;
    }
    if (a->u.dense.splat && dl_dense_num_elements(a) > 0) {
        results[0] = splat_result(op, 0, a->u.dense.data);
        return true;
    }
    int64_t in_strides[DL_MAX_RANK];
    dl_fold_row_major(in, in_strides);
    dl_fold_iter it;
    if (!dl_fold_iter_init(&it, rt, 0)) return false;
    size_t bytes, es = elem_size(rt);
    char *buf = dl_fold_buffer(op, 0, &bytes);
    int64_t n = dl_type_num_elements(rt);
    for (int64_t i = 0; i < n; i++, dl_fold_iter_next(&it)) {
        int64_t off = 0;
        for (int d = 0; d < rt->rank; d++) off += it.idx[d] % in->dims[d] * in_strides[d];
        memcpy(buf + (size_t)i * es, dl_fold_elem_ptr(a, off), es);
    }
    results[0] = dl_fold_finish(op, 0, buf);
    return true;
}

static bool fold_concat(dl_op *op, const dl_attr **results) {
    const dl_type *rt = op->results[0].type;
    int64_t axis;
    if (rt->rank == 0 || !norm_axis(dl_op_attr_int(op, "axis", 0), rt->rank, &axis)) return false;
    int64_t total = 0;
    for (unsigned k = 0; k < op->num_operands; k++) {
        const dl_attr *a = dl_fold_const(op, k);
        if (!a || a->type->elem != rt->elem || a->type->rank != rt->rank) return false;
        for (int d = 0; d < rt->rank; d++)
            if (d != axis && a->type->dims[d] != rt->dims[d]) return false;
        total += a->type->dims[axis];
    }
    if (total != rt->dims[axis]) return false;
    int64_t outer = product(rt->dims, 0, (int)axis),
            inner = product(rt->dims, (int)axis + 1, rt->rank);
    size_t bytes, es = elem_size(rt);
    char *buf = dl_fold_buffer(op, 0, &bytes), *p = buf;
    for (int64_t o = 0; o < outer; o++)
        for (unsigned k = 0; k < op->num_operands; k++) {
            const dl_attr *a = dl_fold_const(op, k);
            int64_t block = a->type->dims[axis] * inner;
            copy_elems(p, a, o * block, block);
            p += (size_t)block * es;
        }
    results[0] = dl_fold_finish(op, 0, buf);
    return true;
}

/* Split: the result types give the part sizes along the axis. */
static bool fold_split(dl_op *op, const dl_attr **results) {
    const dl_attr *a = dl_fold_const(op, 0);
    if (!a) return false;
    const dl_type *in = a->type;
    int64_t axis;
    if (in->rank == 0 || !norm_axis(dl_op_attr_int(op, "axis", 0), in->rank, &axis)) return false;
    int64_t total = 0;
    for (unsigned r = 0; r < op->num_results; r++) {
        const dl_type *t = op->results[r].type;
        if (t->elem != in->elem || t->rank != in->rank) return false;
        for (int d = 0; d < in->rank; d++)
            if (d != axis && t->dims[d] != in->dims[d]) return false;
        total += t->dims[axis];
    }
    if (total != in->dims[axis]) return false;
    int64_t outer = product(in->dims, 0, (int)axis),
            inner = product(in->dims, (int)axis + 1, in->rank);
    size_t es = elem_size(in);
    int64_t start = 0;
    for (unsigned r = 0; r < op->num_results; r++) {
        size_t bytes;
        char *buf = dl_fold_buffer(op, r, &bytes);
        int64_t part = op->results[r].type->dims[axis];
        for (int64_t o = 0; o < outer; o++)
            copy_elems(buf + (size_t)(o * part * inner) * es, a,
                       (o * in->dims[axis] + start) * inner, part * inner);
        start += part;
        results[r] = dl_fold_finish(op, r, buf);
    }
    return true;
}

/* Slice with ONNX clamping: negative starts/ends count from the end, then clamp to the dim
 * ([0, dim] for positive steps, [-1, dim - 1] for negative ones). */
static bool fold_slice(dl_op *op, const dl_attr **results) {
    const dl_attr *a = dl_fold_const(op, 0);
    const dl_type *rt = op->results[0].type;
    if (!a || a->type->elem != rt->elem || a->type->rank != rt->rank) return false;
    const dl_type *in = a->type;
    int rank = in->rank;
    int64_t starts[DL_MAX_RANK], ends[DL_MAX_RANK], axes[DL_MAX_RANK], steps[DL_MAX_RANK];
    int64_t n = const_ints(op, 1, starts, DL_MAX_RANK);
    if (n < 0 || const_ints(op, 2, ends, DL_MAX_RANK) != n) return false;
    if (dl_has_operand(op, 3)) {
        if (const_ints(op, 3, axes, DL_MAX_RANK) != n) return false;
    } else {
        for (int64_t k = 0; k < n; k++) axes[k] = k;
    }
    if (dl_has_operand(op, 4)) {
        if (const_ints(op, 4, steps, DL_MAX_RANK) != n) return false;
    } else {
        for (int64_t k = 0; k < n; k++) steps[k] = 1;
    }
    int64_t first[DL_MAX_RANK] = {0}, step[DL_MAX_RANK], count[DL_MAX_RANK];
    bool seen[DL_MAX_RANK] = {0};
    for (int d = 0; d < rank; d++) {
        step[d] = 1;
        count[d] = in->dims[d];
    }
    for (int64_t k = 0; k < n; k++) {
        int64_t ax;
        if (!norm_axis(axes[k], rank, &ax) || seen[ax] || steps[k] == 0) return false;
        seen[ax] = true;
        int64_t dim = in->dims[ax], s = starts[k], e = ends[k], st = steps[k], c;
        if (s < 0) s += dim;
        if (e < 0) e += dim;
        if (st > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
            c = e > s ? (e - s - 1) / st + 1 : 0;
        } else {
            s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
            c = s > e ? (s - e - 1) / (st == INT64_MIN ? INT64_MAX : -st) + 1 : 0;
        }
        first[ax] = s;
        step[ax] = c > 1 ? st : 1;
        count[ax] = c;
    }
    int64_t in_strides[DL_MAX_RANK], base = 0;
    dl_fold_row_major(in, in_strides);
    dl_fold_iter it;
    if (!dl_fold_iter_init(&it, rt, 1)) return false;
    for (int d = 0; d < rank; d++) {
        if (rt->dims[d] != count[d]) return false;
        if (count[d] > 0) base += first[d] * in_strides[d];
        it.strides[0][d] = step[d] * in_strides[d];
    }
    results[0] = strided_result(op, a, &it, base);
    return true;
}

static bool fold_gather(dl_op *op, const dl_attr **results) {
    const dl_attr *a = dl_fold_const(op, 0), *ind = dl_fold_const(op, 1);
    const dl_type *rt = op->results[0].type;
    if (!a || !ind || a->type->elem != rt->elem || dl_type_is_float(ind->type->elem)) return false;
    const dl_type *in = a->type, *it = ind->type;
    int64_t axis;
    if (in->rank == 0 || !norm_axis(dl_op_attr_int(op, "axis", 0), in->rank, &axis)) return false;
    if (rt->rank != in->rank - 1 + it->rank) return false;
    for (int d = 0; d < rt->rank; d++) {
        int64_t want = d < axis              ? in->dims[d]
                       : d < axis + it->rank ? it->dims[d - axis]
                                             : in->dims[d - it->rank + 1];
        if (rt->dims[d] != want) return false;
    }
    int64_t dim = in->dims[axis], nind = dl_type_num_elements(it);
    if (nind > DL_FOLD_MAX_ELEMENTS) return false;
    int64_t outer = product(in->dims, 0, (int)axis),
            inner = product(in->dims, (int)axis + 1, in->rank);
    for (int64_t j = 0; j < nind; j++) {
        int64_t idx = dl_dense_get_i64(ind, j);
        if (idx < -dim || idx >= dim) return false;
    }
    size_t bytes, es = elem_size(rt);
    char *buf = dl_fold_buffer(op, 0, &bytes), *p = buf;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < nind; j++) {
            int64_t idx = dl_dense_get_i64(ind, j);
            if (idx < 0) idx += dim;
            copy_elems(p, a, (o * dim + idx) * inner, inner);
            p += (size_t)inner * es;
        }
    results[0] = dl_fold_finish(op, 0, buf);
    return true;
}

/* ConstantOfShape: the static result type gives the shape, so the shape operand need not be
 * a constant. */
static bool fold_constant_of_shape(dl_op *op, const dl_attr **results) {
    const dl_attr *v = dl_op_attr(op, "value");
    const dl_type *rt = op->results[0].type;
    float zero = 0;
    if (!v) {
        if (rt->elem->kind != DL_TY_F32) return false;
        results[0] = splat_result(op, 0, &zero);
        return true;
    }
    if (v->kind != DL_ATTR_DENSE || v->type->elem != rt->elem || dl_dense_num_elements(v) != 1)
        return false;
    results[0] = splat_result(op, 0, v->u.dense.data);
    return true;
}

/* Range: start, start + delta, ... accumulated in the element type (as the ONNX function body
 * and ONNX Runtime do); the count must match the result type. */
static bool fold_range(dl_op *op, const dl_attr **results) {
    const dl_type *rt = op->results[0].type;
    const dl_attr *s = dl_fold_const(op, 0), *l = dl_fold_const(op, 1), *d = dl_fold_const(op, 2);
    if (!s || !l || !d || rt->rank != 1 || s->type->elem != rt->elem || l->type->elem != rt->elem ||
        d->type->elem != rt->elem || dl_dense_num_elements(s) != 1 ||
        dl_dense_num_elements(l) != 1 || dl_dense_num_elements(d) != 1)
        return false;
    dl_type_kind k = rt->elem->kind;
    bool flt = dl_type_is_float(rt->elem);
    int64_t n = rt->dims[0], want;
    dl_fold_scalar acc = dl_fold_load(s, 0), lim = dl_fold_load(l, 0), delta = dl_fold_load(d, 0);
    if (flt) {
        double c = ceil((lim.f - acc.f) / delta.f);
        if (delta.f == 0 || !(c < 1e18)) return false;
        want = c > 0 ? (int64_t)c : 0;
    } else {
        const int64_t big = INT64_C(1) << 61;
        if (k == DL_TY_U64 || delta.i == 0 || acc.i > big || acc.i < -big || lim.i > big ||
            lim.i < -big || delta.i > big || delta.i < -big)
            return false;
        int64_t diff = lim.i - acc.i;
        want = delta.i > 0 ? (diff > 0 ? (diff - 1) / delta.i + 1 : 0)
                           : (diff < 0 ? (-diff - 1) / -delta.i + 1 : 0);
    }
    if (want != n) return false;
    size_t bytes;
    void *buf = dl_fold_buffer(op, 0, &bytes);
    for (int64_t i = 0; i < n; i++) {
        dl_fold_store(buf, k, i, acc);
        if (flt)
            acc.f = dl_fold_round(k, acc.f + delta.f);
        else
            acc.i = dl_fold_wrap(k, acc.i + delta.i);
    }
    results[0] = dl_fold_finish(op, 0, buf);
    return true;
}

const dl_fold_entry dl_fold_shape[] = {
    {DL_OP_graph_Shape, fold_shape},
    {DL_OP_graph_Size, fold_size},
    {DL_OP_graph_Identity, fold_reinterpret},
    {DL_OP_graph_Dropout, fold_dropout},
    {DL_OP_graph_Reshape, fold_reinterpret},
    {DL_OP_graph_Flatten, fold_reinterpret},
    {DL_OP_graph_Squeeze, fold_reinterpret},
    {DL_OP_graph_Unsqueeze, fold_reinterpret},
    {DL_OP_graph_Transpose, fold_transpose},
    {DL_OP_graph_Expand, fold_expand},
    {DL_OP_graph_Tile, fold_tile},
    {DL_OP_graph_Concat, fold_concat},
    {DL_OP_graph_Split, fold_split},
    {DL_OP_graph_Slice, fold_slice},
    {DL_OP_graph_Gather, fold_gather},
    {DL_OP_graph_ConstantOfShape, fold_constant_of_shape},
    {DL_OP_graph_Range, fold_range},
    {DL_OP__INVALID, NULL},
};
