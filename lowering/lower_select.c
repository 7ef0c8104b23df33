/* lower_select.c: ops whose result size depends on data: Compress, NonZero and Unique. Their
 * results have static shapes only when the data deciding the size is a constant, so the
 * selection is made at compile time: Compress gathers through a table of kept positions,
 * NonZero and Unique become constants. */
#include "lower.h"

#include <math.h>

/* Compress with a constant condition: the kept positions form a compile-time table, and the
 * result gathers them along the axis (of the flattened input without an axis). */
static dl_status lower_compress(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    const dl_attr *cond = dl_graph_constant_value(dl_operand(op, 1));
    if (!cond) return dl_op_error(op, "condition must be a constant");
    bool flat = !dl_op_attr(op, "axis");
    if (flat) {
        int64_t n = dl_type_num_elements(x->type);
        x = kb_view(top, x, kb_memref(ctx, x->type->elem, 1, &n));
    }
    const dl_type *xt = x->type, *ot = out->type;
    int r = xt->rank, axis = 0;
    if (!flat && lw_axis(op, dl_op_attr_int(op, "axis", 0), r, &axis)) return DL_FAILURE;
    int64_t n = dl_dense_num_elements(cond), len = xt->dims[axis], k = 0;
    int64_t *sel = dl_alloc(ctx, sizeof(int64_t) * (size_t)(n + 1));
    for (int64_t i = 0; i < n && i < len; i++)
        if (dl_dense_get_f64(cond, i) != 0) sel[k++] = i;
    if (ot->rank != r || ot->dims[axis] != k) return dl_op_error(op, "result shape disagrees");
    if (k == 0) return DL_OK;
    dl_value *tab = kb_global_i64(top, 1, &k, sel);
    kb_generic g;
    kb_begin(&g, top, r, ot->dims);
    unsigned ti = kb_in(&g, tab, kb_map_dims(ctx, (unsigned)r, 1, &axis));
    kb_in_indirect(&g, x);
    kb_out(&g, out, kb_map_id(ctx, (unsigned)r));
    dl_builder *b = kb_body(&g);
    dl_value *idx[KB_MAX_DIMS];
    for (int d = 0; d < r; d++)
        idx[d] = d == axis ? kb_index_in(b, kb_arg(&g, ti), len) : kb_dim(&g, d);
    kb_yield1(&g, kb_load(b, x, (unsigned)r, idx));
    return DL_OK;
}

/* NonZero of a constant: the coordinates are computed at compile time. */
static dl_status lower_nonzero(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    const dl_attr *v = dl_graph_constant_value(dl_operand(op, 0));
    const dl_type *ot = op->results[0].type;
    if (!v) return dl_op_error(op, "only a constant input is supported (the result size is data)");
    const dl_type *vt = v->type;
    int r = vt->rank;
    int64_t n = dl_dense_num_elements(v), count = 0;
    for (int64_t i = 0; i < n; i++) count += dl_dense_get_f64(v, i) != 0;
    if (ot->rank != 2 || ot->dims[0] != (r ? r : 1) || ot->dims[1] != count)
        return dl_op_error(op, "result shape disagrees");
    int64_t *c = dl_alloc(ctx, sizeof(int64_t) * (size_t)(ot->dims[0] * count + 1)), j = 0;
    for (int64_t i = 0; i < n; i++) {
        if (dl_dense_get_f64(v, i) == 0) continue;
        for (int64_t rem = i, d = r - 1; d >= 0; d--) {
            c[d * count + j] = rem % vt->dims[d];
            rem /= vt->dims[d];
        }
        if (r == 0) c[j] = 0;
        j++;
    }
    lw_bind(lw, dl_result(op, 0), kb_global_i64(lw_top(lw), 2, ot->dims, c));
    return DL_OK;
}

/* ---- Unique of a constant ------------------------------------------------------------------- */

/* The input seen as n slices along the unique axis (n elements without an axis): element j of
 * slice i is at ((o * n + i) * inner + in) with j = o * inner + in. */
typedef struct slices {
    const dl_attr *v;
    bool is_float;
    int64_t n, outer, inner;
} slices;

static int64_t slice_at(const slices *s, int64_t i, int64_t j) {
    return ((j / s->inner) * s->n + i) * s->inner + j % s->inner;
}

/* Lexicographic comparison of slices a and b (numpy's order for unique with an axis). */
static int compare_slices(const slices *s, int64_t a, int64_t b) {
    for (int64_t j = 0; j < s->outer * s->inner; j++) {
        int64_t pa = slice_at(s, a, j), pb = slice_at(s, b, j);
        if (s->is_float) { /* NaNs are equal to each other and sort last, as in numpy */
            double x = dl_dense_get_f64(s->v, pa), y = dl_dense_get_f64(s->v, pb);
            if (isnan(x) || isnan(y)) {
                if (isnan(x) != isnan(y)) return isnan(x) ? 1 : -1;
            } else if (x != y) {
                return x < y ? -1 : 1;
            }
        } else {
            int64_t x = dl_dense_get_i64(s->v, pa), y = dl_dense_get_i64(s->v, pb);
            if (x != y) return x < y ? -1 : 1;
        }
    }
    return 0;
}

/* Sorts the slice numbers v[0..n) by value, stably (tmp: scratch of n entries). */
static void merge_sort(const slices *s, int64_t *v, int64_t *tmp, int64_t n) {
    if (n < 2) return;
    int64_t h = n / 2, i = 0, j = h, k = 0;
    merge_sort(s, v, tmp, h);
    merge_sort(s, v + h, tmp, n - h);
    while (i < h && j < n) tmp[k++] = compare_slices(s, v[j], v[i]) < 0 ? v[j++] : v[i++];
    while (i < h) tmp[k++] = v[i++];
    while (j < n) tmp[k++] = v[j++];
    for (k = 0; k < n; k++) v[k] = tmp[k];
}

/* Binds result i of op to a constant of its type holding vals (int64 or double values). */
static void bind_constant(dl_lower *lw, dl_op *op, unsigned i, const int64_t *ints,
                          const double *floats, int64_t n) {
    const dl_type *t = op->results[i].type;
    dl_context *ctx = lw_ctx(lw);
    const dl_attr *a = ints ? dl_attr_dense_from_i64(ctx, t, ints, (size_t)n)
                            : dl_attr_dense_from_f64(ctx, t, floats, (size_t)n);
    DL_ASSERT(a);
    lw_bind(lw, dl_result(op, i), kb_global(lw_top(lw), a));
}

/* Unique of a constant: the unique values (or slices along 'axis') in first-occurrence or
 * sorted order, the index of each one's first occurrence, the inverse indices and counts. */
static dl_status lower_unique(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    const dl_attr *v = dl_graph_constant_value(dl_operand(op, 0));
    if (!v) return dl_op_error(op, "only a constant input is supported (the result size is data)");
    const dl_type *vt = v->type;
    slices s = {v, dl_type_is_float(vt->elem), dl_dense_num_elements(v), 1, 1};
    int axis = -1;
    if (dl_op_attr(op, "axis")) {
        if (lw_axis(op, dl_op_attr_int(op, "axis", 0), vt->rank, &axis)) return DL_FAILURE;
        s.n = vt->dims[axis];
        for (int d = 0; d < vt->rank; d++)
            if (d < axis)
                s.outer *= vt->dims[d];
            else if (d > axis)
                s.inner *= vt->dims[d];
    }
    /* slices sorted (stably) by value; equal neighbours form one unique entry */
    size_t sz = sizeof(int64_t) * (size_t)(s.n + 1);
    int64_t *by_value = dl_alloc(ctx, sz), *tmp = dl_alloc(ctx, sz), u = 0;
    for (int64_t i = 0; i < s.n; i++) by_value[i] = i;
    merge_sort(&s, by_value, tmp, s.n);
    int64_t *group = dl_alloc(ctx, sz), *first = dl_alloc(ctx, sz), *counts = dl_alloc(ctx, sz);
    for (int64_t p = 0; p < s.n; p++) {
        if (p == 0 || compare_slices(&s, by_value[p - 1], by_value[p]) != 0) {
            first[u] = by_value[p]; /* the stable sort keeps the first occurrence first */
            counts[u++] = 0;
        }
        counts[u - 1]++;
        group[by_value[p]] = u - 1;
    }
    /* rank[g]: the position of entry g in the result, by value or by first occurrence */
    bool sorted = dl_op_attr_int(op, "sorted", 1) != 0;
    int64_t *rank = dl_alloc(ctx, sz), *order = dl_alloc(ctx, sz);
    for (int64_t g = 0; g < u; g++) rank[g] = g;
    if (!sorted)
        for (int64_t i = 0, r = 0; i < s.n; i++)
            if (first[group[i]] == i) rank[group[i]] = r++;
    for (int64_t g = 0; g < u; g++) order[rank[g]] = g;
    const dl_type *yt = op->results[0].type;
    if (dl_type_num_elements(yt) != u * s.outer * s.inner)
        return dl_op_error(op, "result shape disagrees");
    int64_t *idx = dl_alloc(ctx, sz), *cnt = dl_alloc(ctx, sz), *inverse = dl_alloc(ctx, sz);
    for (int64_t r = 0; r < u; r++) {
        idx[r] = first[order[r]];
        cnt[r] = counts[order[r]];
    }
    for (int64_t i = 0; i < s.n; i++) inverse[i] = rank[group[i]];
    /* Y[o, r, in] = X[o, first of rank r, in] */
    int64_t ny = u * s.outer * s.inner;
    int64_t *yi = s.is_float ? NULL : dl_alloc(ctx, sizeof(int64_t) * (size_t)(ny + 1));
    double *yf = s.is_float ? dl_alloc(ctx, sizeof(double) * (size_t)(ny + 1)) : NULL;
    slices ys = {NULL, s.is_float, u, s.outer, s.inner};
    for (int64_t r = 0; r < u; r++)
        for (int64_t j = 0; j < s.outer * s.inner; j++) {
            int64_t from = slice_at(&s, idx[r], j), to = slice_at(&ys, r, j);
            if (yf)
                yf[to] = dl_dense_get_f64(v, from);
            else
                yi[to] = dl_dense_get_i64(v, from);
        }
    bind_constant(lw, op, 0, yi, yf, ny);
    const int64_t *outs[4] = {NULL, idx, inverse, cnt};
    int64_t lens[4] = {0, u, s.n, u};
    for (unsigned i = 1; i < op->num_results && i < 4; i++)
        if (op->results[i].type->kind == DL_TY_TENSOR)
            bind_constant(lw, op, i, outs[i], NULL, lens[i]);
    return DL_OK;
}

const dl_lower_entry dl_lower_select[] = {
    {DL_OP_graph_Compress, lower_compress},
    {DL_OP_graph_NonZero, lower_nonzero},
    {DL_OP_graph_Unique, lower_unique},
    {DL_OP__INVALID, NULL},
};
