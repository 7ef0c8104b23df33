/* lower_index.c: data-dependent indexing: Gather, GatherElements, GatherND, ScatterElements
 * (Scatter), ScatterND, OneHot, TopK and MaxUnpool. Indices read from data are normalised
 * (negative counts from the end) and clamped into the dimension before every kernel.load /
 * kernel.store, so hostile indices never leave a buffer. Scatters copy the data first, then
 * store the updates in index order (their iterators are all "reduction": order matters). */
#include "lower.h"

#include <string.h>

static dl_status lower_gather(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *data = lw_in(lw, op, 0), *ind = lw_in(lw, op, 1), *out = lw_out(lw, op, 0);
    const dl_type *dt = data->type, *it = ind->type, *ot = out->type;
    int axis, r = dt->rank, q = it->rank;
    if (lw_axis(op, dl_op_attr_int(op, "axis", 0), r, &axis)) return DL_FAILURE;
    if (r == 0 || ot->rank != r - 1 + q) return dl_op_error(op, "result rank disagrees");
    if (!dl_type_is_int(it->elem)) return dl_op_error(op, "indices must be integers");
    kb_generic g;
    kb_begin(&g, lw_top(lw), ot->rank, ot->dims);
    int imap[KB_MAX_DIMS];
    for (int k = 0; k < q; k++) imap[k] = axis + k;
    unsigned ii = kb_in(&g, ind, kb_map_dims(ctx, (unsigned)ot->rank, (unsigned)q, imap));
    kb_in_indirect(&g, data);
    kb_out(&g, out, kb_map_id(ctx, (unsigned)ot->rank));
    dl_builder *b = kb_body(&g);
    dl_value *idx[KB_MAX_DIMS];
    for (int k = 0; k < r; k++) {
        if (k < axis)
            idx[k] = kb_dim(&g, k);
        else if (k == axis)
            idx[k] = kb_index_in(b, kb_arg(&g, ii), dt->dims[axis]);
        else
            idx[k] = kb_dim(&g, k - 1 + q);
    }
    kb_yield1(&g, kb_load(b, data, (unsigned)r, idx));
    return DL_OK;
}

static dl_status lower_gather_elements(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *data = lw_in(lw, op, 0), *ind = lw_in(lw, op, 1), *out = lw_out(lw, op, 0);
    const dl_type *dt = data->type, *it = ind->type;
    int axis, r = dt->rank;
    if (lw_axis(op, dl_op_attr_int(op, "axis", 0), r, &axis)) return DL_FAILURE;
    if (it->rank != r || r == 0) return dl_op_error(op, "indices must have the data's rank");
    kb_generic g;
    kb_begin(&g, lw_top(lw), r, it->dims);
    unsigned ii = kb_in(&g, ind, kb_map_id(ctx, (unsigned)r));
    kb_in_indirect(&g, data);
    kb_out(&g, out, kb_map_id(ctx, (unsigned)r));
    dl_builder *b = kb_body(&g);
    dl_value *idx[KB_MAX_DIMS];
    for (int k = 0; k < r; k++)
        idx[k] = k == axis ? kb_index_in(b, kb_arg(&g, ii), dt->dims[k])
                           : kb_clamp_index(b, kb_dim(&g, k), dt->dims[k]);
    kb_yield1(&g, kb_load(b, data, (unsigned)r, idx));
    return DL_OK;
}

/* Index value c of the last dim of an index tuple: indices[d_0..d_{q-2}, c]. */
static dl_value *tuple_elem(kb_generic *g, dl_builder *b, dl_value *ind, int q, int64_t c) {
    dl_value *idx[KB_MAX_DIMS];
    for (int k = 0; k < q - 1; k++) idx[k] = kb_dim(g, k);
    idx[q - 1] = kb_index(b, c);
    return kb_load(b, ind, (unsigned)q, idx);
}

static dl_status lower_gather_nd(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *data = lw_in(lw, op, 0), *ind = lw_in(lw, op, 1), *out = lw_out(lw, op, 0);
    const dl_type *dt = data->type, *it = ind->type, *ot = out->type;
    int r = dt->rank, q = it->rank;
    int64_t bd = dl_op_attr_int(op, "batch_dims", 0);
    if (q < 1 || bd < 0 || bd >= q || it->dims[q - 1] > r - bd)
        return dl_op_error(op, "indices do not fit the data");
    int64_t k = it->dims[q - 1];
    if (ot->rank != q - 1 + r - (int)bd - (int)k) return dl_op_error(op, "result rank disagrees");
    kb_generic g;
    kb_begin(&g, lw_top(lw), ot->rank, ot->dims);
    kb_in_indirect(&g, ind);
    kb_in_indirect(&g, data);
    kb_out(&g, out, kb_map_id(ctx, (unsigned)ot->rank));
    dl_builder *b = kb_body(&g);
    dl_value *idx[KB_MAX_DIMS];
    int n = 0;
    for (int j = 0; j < bd; j++, n++) idx[n] = kb_dim(&g, j);
    for (int64_t c = 0; c < k; c++, n++)
        idx[n] = kb_index_in(b, tuple_elem(&g, b, ind, q, c), dt->dims[n]);
    for (int j = q - 1; n < r; j++, n++) idx[n] = kb_dim(&g, j);
    kb_yield1(&g, kb_load(b, data, (unsigned)r, idx));
    return DL_OK;
}

/* ---- Scatters ------------------------------------------------------------------------------- */

/* Ends scatter g's body b: stores upd at out[idx] (r indices), combined with the element there
 * when op has a reduction. */
static void scatter_store(kb_generic *g, dl_builder *b, dl_op *op, dl_value *out, int r,
                          dl_value **idx, dl_value *upd) {
    const char *red = dl_op_attr_str(op, "reduction", "none");
    if (strcmp(red, "none") != 0) {
        dl_value *old = kb_load(b, out, (unsigned)r, idx);
        if (strcmp(red, "add") == 0) upd = kb_add(b, old, upd);
        if (strcmp(red, "mul") == 0) upd = kb_mul(b, old, upd);
        if (strcmp(red, "max") == 0) upd = kb_max_nan(b, old, upd);
        if (strcmp(red, "min") == 0) upd = kb_min_nan(b, old, upd);
    }
    kb_store(b, upd, out, (unsigned)r, idx);
    kb_yield(g, 0, NULL);
}

static dl_status check_reduction(dl_op *op) {
    const char *red = dl_op_attr_str(op, "reduction", "none");
    const char *ok[] = {"none", "add", "mul", "max", "min"};
    for (size_t i = 0; i < 5; i++)
        if (strcmp(red, ok[i]) == 0) return DL_OK;
    return dl_op_error(op, "reduction '%s' is not supported", red);
}

static void begin_scatter(kb_generic *g, dl_builder *top, const dl_type *domain) {
    kb_begin(g, top, domain->rank, domain->dims);
    for (int k = 0; k < domain->rank; k++) kb_reduction(g, k);
}

static dl_status lower_scatter_elements(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *data = lw_in(lw, op, 0), *ind = lw_in(lw, op, 1), *upd = lw_in(lw, op, 2);
    dl_value *out = lw_out(lw, op, 0);
    const dl_type *dt = data->type, *it = ind->type;
    int axis, r = dt->rank;
    if (check_reduction(op) || lw_axis(op, dl_op_attr_int(op, "axis", 0), r, &axis))
        return DL_FAILURE;
    if (it->rank != r || upd->type->rank != r || r == 0)
        return dl_op_error(op, "indices and updates must have the data's rank");
    kb_copy(lw_top(lw), data, kb_map_id(ctx, (unsigned)r), out);
    kb_generic g;
    begin_scatter(&g, lw_top(lw), it);
    unsigned ii = kb_in(&g, ind, kb_map_id(ctx, (unsigned)r));
    unsigned ui = kb_in(&g, upd, kb_map_id(ctx, (unsigned)r));
    kb_out_indirect(&g, out);
    dl_builder *b = kb_body(&g);
    dl_value *idx[KB_MAX_DIMS];
    for (int k = 0; k < r; k++)
        idx[k] = k == axis ? kb_index_in(b, kb_arg(&g, ii), dt->dims[k])
                           : kb_clamp_index(b, kb_dim(&g, k), dt->dims[k]);
    scatter_store(&g, b, op, out, r, idx, kb_arg(&g, ui));
    return DL_OK;
}

static dl_status lower_scatter_nd(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *data = lw_in(lw, op, 0), *ind = lw_in(lw, op, 1), *upd = lw_in(lw, op, 2);
    dl_value *out = lw_out(lw, op, 0);
    const dl_type *dt = data->type, *it = ind->type, *ut = upd->type;
    int r = dt->rank, q = it->rank;
    if (check_reduction(op)) return DL_FAILURE;
    if (q < 1 || it->dims[q - 1] > r || ut->rank != q - 1 + r - (int)it->dims[q - 1])
        return dl_op_error(op, "indices and updates do not fit the data");
    int64_t k = it->dims[q - 1];
    kb_copy(lw_top(lw), data, kb_map_id(ctx, (unsigned)r), out);
    kb_generic g;
    begin_scatter(&g, lw_top(lw), ut);
    kb_in_indirect(&g, ind);
    unsigned ui = kb_in(&g, upd, kb_map_id(ctx, (unsigned)ut->rank));
    kb_out_indirect(&g, out);
    dl_builder *b = kb_body(&g);
    dl_value *idx[KB_MAX_DIMS];
    int n = 0;
    for (int64_t c = 0; c < k; c++, n++)
        idx[n] = kb_index_in(b, tuple_elem(&g, b, ind, q, c), dt->dims[n]);
    for (int j = q - 1; n < r; j++, n++) idx[n] = kb_dim(&g, j);
    scatter_store(&g, b, op, out, r, idx, kb_arg(&g, ui));
    return DL_OK;
}

/* ---- OneHot --------------------------------------------------------------------------------- */

static dl_status lower_one_hot(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *ind = lw_in(lw, op, 0), *vals = lw_in(lw, op, 2), *out = lw_out(lw, op, 0);
    const dl_type *ot = out->type;
    int axis, r = ot->rank;
    if (lw_axis(op, dl_op_attr_int(op, "axis", -1), r, &axis)) return DL_FAILURE;
    if (ind->type->rank != r - 1 || dl_type_num_elements(vals->type) != 2)
        return dl_op_error(op, "indices must have rank %d and values 2 elements", r - 1);
    int64_t depth = ot->dims[axis];
    int imap[KB_MAX_DIMS];
    for (int k = 0, n = 0; k < r; k++)
        if (k != axis) imap[n++] = k;
    dl_value *v1 = kb_view(lw_top(lw), vals, kb_memref(ctx, vals->type->elem, 1, (int64_t[]){2}));
    kb_generic g;
    kb_begin(&g, lw_top(lw), r, ot->dims);
    unsigned ii = kb_in(&g, ind, kb_map_dims(ctx, (unsigned)r, (unsigned)(r - 1), imap));
    const dl_affine_expr *c0 = dl_aff_const(ctx, 0), *c1 = dl_aff_const(ctx, 1);
    unsigned off = kb_in(&g, v1, kb_map(ctx, (unsigned)r, 1, &c0));
    unsigned on = kb_in(&g, v1, kb_map(ctx, (unsigned)r, 1, &c1));
    kb_out(&g, out, kb_map_id(ctx, (unsigned)r));
    dl_builder *b = kb_body(&g);
    const dl_type *i64 = dl_type_scalar(ctx, DL_TY_I64);
    dl_value *i = kb_cast(b, kb_arg(&g, ii), i64);
    dl_value *neg = kb_cmp(b, "lt", i, kb_consti(b, i64, 0));
    i = kb_select(b, neg, kb_add(b, i, kb_consti(b, i64, depth)), i);
    dl_value *hit = kb_cmp(b, "eq", i, kb_cast(b, kb_dim(&g, axis), i64));
    dl_value *v = kb_select(b, hit, kb_arg(&g, on), kb_arg(&g, off));
    kb_yield1(&g, kb_cast(b, v, ot->elem));
    return DL_OK;
}

/* ---- TopK ----------------------------------------------------------------------------------- */

/* TopK by ranking: rank[p] = number of elements that come before element p in the requested
 * order (ties by index), then output r takes the element whose rank is r. */
static dl_status lower_topk(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *vals = lw_out(lw, op, 0), *inds = lw_out(lw, op, 1);
    const dl_type *xt = x->type, *ot = vals->type;
    int axis, r = xt->rank;
    if (lw_axis(op, dl_op_attr_int(op, "axis", -1), r, &axis)) return DL_FAILURE;
    if (r == 0 || ot->rank != r || r + 1 > KB_MAX_DIMS) return dl_op_error(op, "bad ranks");
    bool largest = dl_op_attr_int(op, "largest", 1) != 0;
    const dl_type *i64 = dl_type_scalar(ctx, DL_TY_I64);
    dl_value *rank = kb_alloc(top, kb_memref(ctx, i64, r, xt->dims));
    kb_fill(top, rank, 0);
    /* rank[..p..] += beats(x[..q..], x[..p..]) over q */
    const dl_affine_map *qmap = kb_map_along(ctx, r, axis);
    kb_generic g;
    kb_begin_pairs(&g, top, r, xt->dims, xt->dims[axis]);
    unsigned pi = kb_in(&g, x, kb_map_first(ctx, (unsigned)(r + 1), (unsigned)r));
    unsigned qi = kb_in(&g, x, qmap);
    unsigned ri = kb_out(&g, rank, kb_map_first(ctx, (unsigned)(r + 1), (unsigned)r));
    dl_builder *b = kb_body(&g);
    dl_value *xp = kb_arg(&g, pi), *xq = kb_arg(&g, qi);
    dl_value *before = kb_cmp(b, largest ? "gt" : "lt", xq, xp);
    dl_value *tie =
        kb_and(b, kb_cmp(b, "eq", xq, xp), kb_cmp(b, "lt", kb_dim(&g, r), kb_dim(&g, axis)));
    dl_value *beats = kb_or(b, before, tie);
    dl_value *inc = kb_select(b, beats, kb_consti(b, i64, 1), kb_consti(b, i64, 0));
    kb_yield1(&g, kb_add(b, kb_arg(&g, ri), inc));
    /* out[..j..] = x[..p..] where rank[..p..] == j, over p */
    kb_fill(top, vals, 0);
    kb_fill(top, inds, 0);
    kb_generic s;
    kb_begin_pairs(&s, top, r, ot->dims, xt->dims[axis]);
    unsigned xi = kb_in(&s, x, qmap);
    unsigned rk = kb_in(&s, rank, qmap);
    unsigned vi = kb_out(&s, vals, kb_map_first(ctx, (unsigned)(r + 1), (unsigned)r));
    unsigned ix = kb_out(&s, inds, kb_map_first(ctx, (unsigned)(r + 1), (unsigned)r));
    b = kb_body(&s);
    dl_value *hit = kb_cmp(b, "eq", kb_arg(&s, rk), kb_cast(b, kb_dim(&s, axis), i64));
    dl_value *ys[2] = {
        kb_select(b, hit, kb_arg(&s, xi), kb_arg(&s, vi)),
        kb_select(b, hit, kb_cast(b, kb_dim(&s, r), inds->type->elem), kb_arg(&s, ix))};
    kb_yield(&s, 2, ys);
    return DL_OK;
}

/* ---- MaxUnpool ------------------------------------------------------------------------------ */

static dl_status lower_max_unpool(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *x = lw_in(lw, op, 0), *ind = lw_in(lw, op, 1), *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type, *ot = out->type;
    int r = xt->rank, ns = r - 2;
    if (ind->type->rank != r || ot->rank != r || ns < 1)
        return dl_op_error(op, "X, I and the result must be (N, C, spatial...)");
    /* indices are flat positions in the default result shape (what MaxPool saw) */
    int64_t k[KB_MAX_DIMS], st[KB_MAX_DIMS], pads[2 * KB_MAX_DIMS] = {0}, dflt[KB_MAX_DIMS];
    if (dl_op_attr_ints(op, "kernel_shape", k, KB_MAX_DIMS) != ns)
        return dl_op_error(op, "needs kernel_shape");
    int nst = dl_op_attr_ints(op, "strides", st, KB_MAX_DIMS);
    dl_op_attr_ints(op, "pads", pads, 2 * KB_MAX_DIMS);
    dflt[0] = ot->dims[0], dflt[1] = ot->dims[1];
    for (int i = 0; i < ns; i++)
        dflt[2 + i] =
            (xt->dims[2 + i] - 1) * (nst == ns ? st[i] : 1) + k[i] - pads[i] - pads[ns + i];
    int64_t total = 1;
    for (int d = 0; d < r; d++) total *= dflt[d];
    kb_fill(lw_top(lw), out, 0);
    kb_generic g;
    kb_begin(&g, lw_top(lw), r, xt->dims);
    for (int d = 0; d < r; d++) kb_reduction(&g, d);
    unsigned xi = kb_in(&g, x, kb_map_id(ctx, (unsigned)r));
    unsigned ii = kb_in(&g, ind, kb_map_id(ctx, (unsigned)r));
    kb_out_indirect(&g, out);
    dl_builder *b = kb_body(&g);
    dl_value *rem = kb_index_in(b, kb_arg(&g, ii), total), *at[KB_MAX_DIMS], *inside = NULL;
    for (int d = r - 1; d >= 0; d--) {
        dl_value *n = kb_index(b, dflt[d]);
        dl_value *c = kb_bin(b, DL_OP_arith_rem, rem, n);
        rem = kb_bin(b, DL_OP_arith_div, rem, n);
        dl_value *in = kb_cmp(b, "lt", c, kb_index(b, ot->dims[d]));
        inside = inside ? kb_and(b, inside, in) : in;
        at[d] = kb_clamp_index(b, c, ot->dims[d]);
    }
    dl_builder then;
    kb_if(b, inside, &then);
    kb_store(&then, kb_arg(&g, xi), out, (unsigned)r, at);
    kb_yield(&g, 0, NULL);
    return DL_OK;
}

const dl_lower_entry dl_lower_index[] = {
    {DL_OP_graph_Gather, lower_gather},
    {DL_OP_graph_GatherElements, lower_gather_elements},
    {DL_OP_graph_GatherND, lower_gather_nd},
    {DL_OP_graph_ScatterElements, lower_scatter_elements},
    {DL_OP_graph_Scatter, lower_scatter_elements},
    {DL_OP_graph_ScatterND, lower_scatter_nd},
    {DL_OP_graph_OneHot, lower_one_hot},
    {DL_OP_graph_TopK, lower_topk},
    {DL_OP_graph_MaxUnpool, lower_max_unpool},
    {DL_OP__INVALID, NULL},
};
