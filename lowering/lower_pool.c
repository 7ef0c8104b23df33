/* lower_pool.c: pooling: MaxPool (with its optional Indices result), AveragePool (padding counted
 * or not, ceil mode), LpPool and the global poolings. Windows read a padded copy of the input
 * (-inf or zero around it), so every access is affine and in bounds. */
#include "lower.h"

#include <math.h>
#include <string.h>

enum { MAX_SPATIAL = 8 };

typedef struct pool_params {
    int ns;
    int64_t kernel[MAX_SPATIAL], stride[MAX_SPATIAL], dilation[MAX_SPATIAL];
    int64_t pad_begin[MAX_SPATIAL], pad_end[MAX_SPATIAL];
} pool_params;

static dl_status read_params(dl_op *op, const dl_type *x, const dl_type *out, pool_params *p) {
    p->ns = x->rank - 2;
    if (p->ns < 1 || p->ns > MAX_SPATIAL || out->rank != x->rank)
        return dl_op_error(op, "input must be (N, C, spatial...) with 1 to %d spatial dims",
                           MAX_SPATIAL);
    int64_t pads[2 * MAX_SPATIAL];
    int nk = dl_op_attr_ints(op, "kernel_shape", p->kernel, MAX_SPATIAL);
    int nst = dl_op_attr_ints(op, "strides", p->stride, MAX_SPATIAL);
    int nd = dl_op_attr_ints(op, "dilations", p->dilation, MAX_SPATIAL);
    int np = dl_op_attr_ints(op, "pads", pads, 2 * MAX_SPATIAL);
    if (nk != p->ns || (nst >= 0 && nst != p->ns) || (nd >= 0 && nd != p->ns) ||
        (np >= 0 && np != 2 * p->ns))
        return dl_op_error(op, "kernel_shape, strides, dilations and pads need one entry per "
                               "spatial dimension");
    const char *ap = dl_op_attr_str(op, "auto_pad", "NOTSET");
    bool same = strncmp(ap, "SAME_", 5) == 0, upper = strcmp(ap, "SAME_UPPER") == 0;
    for (int i = 0; i < p->ns; i++) {
        if (nst < 0) p->stride[i] = 1;
        if (nd < 0) p->dilation[i] = 1;
        p->pad_begin[i] = np < 0 ? 0 : pads[i];
        p->pad_end[i] = np < 0 ? 0 : pads[p->ns + i];
        if (same || strcmp(ap, "VALID") == 0) p->pad_begin[i] = p->pad_end[i] = 0;
        if (same) {
            int64_t total = (out->dims[2 + i] - 1) * p->stride[i] +
                            (p->kernel[i] - 1) * p->dilation[i] + 1 - x->dims[2 + i];
            if (total < 0) total = 0;
            p->pad_begin[i] = upper ? total / 2 : total - total / 2;
            p->pad_end[i] = total - p->pad_begin[i];
        }
        if (p->kernel[i] <= 0 || p->stride[i] <= 0 || p->dilation[i] <= 0 || p->pad_begin[i] < 0 ||
            p->pad_end[i] < 0)
            return dl_op_error(op, "kernel, strides and dilations must be positive, pads "
                                   "non-negative");
    }
    return DL_OK;
}

/* The input padded for every window of the result (fill outside the input). */
static dl_value *padded(dl_lower *lw, dl_value *x, const dl_type *out, const pool_params *p,
                        double fill) {
    int64_t need[MAX_SPATIAL];
    for (int i = 0; i < p->ns; i++) {
        int64_t o = out->dims[2 + i];
        need[i] = o > 0 ? (o - 1) * p->stride[i] + (p->kernel[i] - 1) * p->dilation[i] + 1 : 0;
    }
    return lw_padded_input(lw, x, p->ns, p->pad_begin, need, fill);
}

/* Window generic: domain (N, C, out spatial..., kernel...), window map on the input. */
static void begin_window(kb_generic *g, dl_builder *top, const dl_type *out, const pool_params *p) {
    int64_t dom[KB_MAX_DIMS];
    int r = out->rank;
    memcpy(dom, out->dims, sizeof(int64_t) * (size_t)r);
    memcpy(dom + r, p->kernel, sizeof(int64_t) * (size_t)p->ns);
    kb_begin(g, top, r + p->ns, dom);
    for (int i = 0; i < p->ns; i++) kb_reduction(g, r + i);
}

static const dl_affine_map *window_map(dl_context *ctx, int r, const pool_params *p) {
    const dl_affine_expr *res[KB_MAX_DIMS];
    res[0] = dl_aff_dim(ctx, 0);
    res[1] = dl_aff_dim(ctx, 1);
    for (int i = 0; i < p->ns; i++) {
        int64_t coef[KB_MAX_DIMS] = {0};
        coef[2 + i] = p->stride[i];
        coef[r + i] = p->dilation[i];
        res[2 + i] = kb_linear(ctx, 0, (unsigned)(r + p->ns), coef);
    }
    return kb_map(ctx, (unsigned)(r + p->ns), (unsigned)r, res);
}

static dl_status lower_max_pool(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    dl_value *idx = op->num_results > 1 ? lw_out(lw, op, 1) : NULL;
    const dl_type *xt = x->type, *ot = out->type;
    pool_params p;
    if (read_params(op, xt, ot, &p)) return DL_FAILURE;
    int r = ot->rank;
    bool col_major = dl_op_attr_int(op, "storage_order", 0) != 0;
    dl_value *xp = padded(lw, x, ot, &p, -INFINITY);
    kb_fill(lw_top(lw), out, -INFINITY);
    if (idx) kb_fill(lw_top(lw), idx, 0);
    kb_generic g;
    begin_window(&g, lw_top(lw), ot, &p);
    unsigned xi = kb_in(&g, xp, window_map(ctx, r, &p));
    unsigned oi = kb_out(&g, out, kb_map_first(ctx, (unsigned)(r + p.ns), (unsigned)r));
    unsigned ii = idx ? kb_out(&g, idx, kb_map_first(ctx, (unsigned)(r + p.ns), (unsigned)r)) : 0;
    dl_builder *b = kb_body(&g);
    dl_value *v = kb_arg(&g, xi), *acc = kb_arg(&g, oi);
    if (!idx) {
        kb_yield1(&g, kb_max_nan(b, acc, v));
        return DL_OK;
    }
    /* flat index of the element in the unpadded input (row- or column-major spatial dims) */
    dl_value *flat = kb_add(b, kb_mul(b, kb_dim(&g, 0), kb_index(b, xt->dims[1])), kb_dim(&g, 1));
    dl_value *pos[MAX_SPATIAL];
    for (int i = 0; i < p.ns; i++) {
        dl_value *o = kb_mul(b, kb_dim(&g, 2 + i), kb_index(b, p.stride[i]));
        dl_value *k = kb_mul(b, kb_dim(&g, r + i), kb_index(b, p.dilation[i]));
        pos[i] = kb_sub(b, kb_add(b, o, k), kb_index(b, p.pad_begin[i]));
    }
    dl_value *sp = kb_index(b, 0);
    for (int j = 0; j < p.ns; j++) {
        int i = col_major ? p.ns - 1 - j : j;
        sp = kb_add(b, kb_mul(b, sp, kb_index(b, xt->dims[2 + i])), pos[i]);
    }
    int64_t plane = 1;
    for (int i = 0; i < p.ns; i++) plane *= xt->dims[2 + i];
    flat = kb_add(b, kb_mul(b, flat, kb_index(b, plane)), sp);
    dl_value *better = kb_cmp(b, "gt", v, acc);
    dl_value *i64 = kb_cast(b, flat, dl_type_scalar(ctx, DL_TY_I64));
    dl_value *ys[2] = {kb_select(b, better, v, acc), kb_select(b, better, i64, kb_arg(&g, ii))};
    kb_yield(&g, 2, ys);
    return DL_OK;
}

/* Number of window positions of output index o along one dim that fall in [lo, hi). */
static int64_t window_count(int64_t o, const pool_params *p, int i, int64_t lo, int64_t hi) {
    int64_t c = 0;
    for (int64_t k = 0; k < p->kernel[i]; k++) {
        int64_t at = o * p->stride[i] + k * p->dilation[i] - p->pad_begin[i];
        c += at >= lo && at < hi;
    }
    return c;
}

static dl_status lower_avg_pool(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type, *ot = out->type;
    if (!dl_type_is_float(ot->elem)) return dl_op_error(op, "needs floating-point data");
    pool_params p;
    if (read_params(op, xt, ot, &p)) return DL_FAILURE;
    int r = ot->rank;
    bool include_pad = dl_op_attr_int(op, "count_include_pad", 0) != 0;
    dl_value *xp = padded(lw, x, ot, &p, 0);
    kb_fill(lw_top(lw), out, 0);
    kb_generic g;
    begin_window(&g, lw_top(lw), ot, &p);
    unsigned xi = kb_in(&g, xp, window_map(ctx, r, &p));
    unsigned oi = kb_out(&g, out, kb_map_first(ctx, (unsigned)(r + p.ns), (unsigned)r));
    dl_builder *b = kb_body(&g);
    kb_yield1(&g, kb_add(b, kb_arg(&g, oi), kb_arg(&g, xi)));
    /* divide by the per-dim counts of the window (compile-time tables) */
    kb_generic d;
    kb_begin(&d, lw_top(lw), r, ot->dims);
    unsigned ti[MAX_SPATIAL];
    for (int i = 0; i < p.ns; i++) {
        int64_t n = ot->dims[2 + i], in = xt->dims[2 + i];
        float *cnt = dl_alloc(ctx, sizeof(float) * (size_t)(n ? n : 1));
        for (int64_t o = 0; o < n; o++)
            cnt[o] =
                (float)(include_pad ? window_count(o, &p, i, -p.pad_begin[i], in + p.pad_end[i])
                                    : window_count(o, &p, i, 0, in));
        dl_value *tab = kb_global_f32(lw_top(lw), 1, &n, cnt);
        ti[i] = kb_in(&d, tab, kb_map_dims(ctx, (unsigned)r, 1, (int[]){2 + i}));
    }
    unsigned o2 = kb_out(&d, out, kb_map_id(ctx, (unsigned)r));
    b = kb_body(&d);
    dl_value *den = kb_arg(&d, ti[0]);
    for (int i = 1; i < p.ns; i++) den = kb_mul(b, den, kb_arg(&d, ti[i]));
    dl_value *v = kb_arg(&d, o2);
    kb_yield1(&d, kb_div(b, v, kb_cast(b, den, v->type)));
    return DL_OK;
}

static dl_status lower_lp_pool(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type, *ot = out->type;
    if (!dl_type_is_float(ot->elem)) return dl_op_error(op, "needs floating-point data");
    pool_params p;
    if (read_params(op, xt, ot, &p)) return DL_FAILURE;
    double pw = (double)dl_op_attr_int(op, "p", 2);
    int r = ot->rank;
    dl_value *xp = padded(lw, x, ot, &p, 0);
    kb_fill(lw_top(lw), out, 0);
    kb_generic g;
    begin_window(&g, lw_top(lw), ot, &p);
    unsigned xi = kb_in(&g, xp, window_map(ctx, r, &p));
    unsigned oi = kb_out(&g, out, kb_map_first(ctx, (unsigned)(r + p.ns), (unsigned)r));
    dl_builder *b = kb_body(&g);
    dl_value *v = kb_un(b, DL_OP_arith_abs, kb_arg(&g, xi));
    kb_yield1(&g, kb_add(b, kb_arg(&g, oi), kb_bin(b, DL_OP_arith_pow, v, kb_like(b, v, pw))));
    kb_generic e;
    kb_begin(&e, lw_top(lw), r, ot->dims);
    unsigned o2 = kb_out(&e, out, kb_map_id(ctx, (unsigned)r));
    b = kb_body(&e);
    v = kb_arg(&e, o2);
    kb_yield1(&e, kb_bin(b, DL_OP_arith_pow, v, kb_like(b, v, 1 / pw)));
    return DL_OK;
}

static dl_value *scale_mean(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    return kb_div(b, x[0], kb_const(b, t, *(const double *)u));
}

static dl_value *abs_pow(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    dl_value *a = kb_un(b, DL_OP_arith_abs, kb_cast(b, x[0], t));
    return kb_bin(b, DL_OP_arith_pow, a, kb_const(b, t, *(const double *)u));
}

static dl_value *root(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    return kb_bin(b, DL_OP_arith_pow, x[0], kb_const(b, t, 1 / *(const double *)u));
}

static dl_status lower_global_pool(dl_lower *lw, dl_op *op) {
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type;
    if (xt->rank < 2 || out->type->rank != xt->rank)
        return dl_op_error(op, "input must be (N, C, spatial...)");
    bool axes[KB_MAX_DIMS] = {0};
    double count = 1;
    for (int k = 2; k < xt->rank; k++) axes[k] = true, count *= (double)xt->dims[k];
    if (op->kind == DL_OP_graph_GlobalLpPool) {
        double p = (double)dl_op_attr_int(op, "p", 2);
        if (!dl_type_is_float(xt->elem)) return dl_op_error(op, "needs floating-point data");
        kb_reduce(lw_top(lw), x, out, axes, KB_SUM, abs_pow, &p);
        kb_elementwise(lw_top(lw), 1, &out, out, root, &p);
        return DL_OK;
    }
    bool is_max = op->kind == DL_OP_graph_GlobalMaxPool;
    kb_reduce(lw_top(lw), x, out, axes, is_max ? KB_MAX : KB_SUM, NULL, NULL);
    if (!is_max) kb_elementwise(lw_top(lw), 1, &out, out, scale_mean, &count);
    return DL_OK;
}

const dl_lower_entry dl_lower_pool[] = {
    {DL_OP_graph_MaxPool, lower_max_pool},
    {DL_OP_graph_AveragePool, lower_avg_pool},
    {DL_OP_graph_LpPool, lower_lp_pool},
    {DL_OP_graph_GlobalAveragePool, lower_global_pool},
    {DL_OP_graph_GlobalMaxPool, lower_global_pool},
    {DL_OP_graph_GlobalLpPool, lower_global_pool},
    {DL_OP__INVALID, NULL},
};
