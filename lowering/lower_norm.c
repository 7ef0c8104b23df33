/* lower_norm.c: normalisations: BatchNormalization (inference and training mode),
 * LayerNormalization (with its Mean / InvStdDev results), InstanceNormalization,
 * MeanVarianceNormalization and LRN. Statistics are reductions into kept-dims buffers that
 * broadcast back against the input. */
#include "lower.h"

#include <math.h>
#include <string.h>

/* ---- Statistics ----------------------------------------------------------------------------- */

static double count_of(const dl_type *t, const bool *axes) {
    double n = 1;
    for (int k = 0; k < t->rank; k++)
        if (axes[k]) n *= (double)t->dims[k];
    return n;
}

static dl_value *scale_by(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    return kb_mul(b, x[0], kb_const(b, t, *(const double *)u));
}

static dl_value *sq_diff(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    dl_value *d = kb_sub(b, x[0], x[1]);
    return kb_mul(b, d, d);
}

/* mean (and, if var is not NULL, the population variance) of x over axes, into kept-dims
 * buffers. */
static void moments(dl_builder *top, dl_value *x, const bool *axes, dl_value *mean, dl_value *var) {
    double inv = 1 / count_of(x->type, axes);
    kb_reduce(top, x, mean, axes, KB_SUM, NULL, NULL);
    kb_elementwise(top, 1, &mean, mean, scale_by, &inv);
    if (!var) return;
    kb_fill(top, var, 0);
    kb_reduce2(top, x, mean, var, axes, KB_SUM, sq_diff, NULL);
    kb_elementwise(top, 1, &var, var, scale_by, &inv);
}

/* ---- y = (x - mean) * normaliser * scale + bias -----------------------------------------------
 */

typedef struct norm_spec {
    double eps;
    bool has_var;   /* operand 2 is a variance: divide by sqrt(var + eps) */
    bool has_scale; /* operands follow: scale, then bias when has_bias */
    bool has_bias;
} norm_spec;

static dl_value *normalise(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    const norm_spec *s = u;
    unsigned i = 0;
    dl_value *v = kb_cast(b, x[i++], t), *d = kb_sub(b, v, kb_cast(b, x[i++], t));
    dl_value *n = kb_cast(b, x[i++], t);
    if (s->has_var)
        d = kb_div(b, d, kb_un(b, DL_OP_arith_sqrt, kb_add(b, n, kb_const(b, t, s->eps))));
    else
        d = kb_mul(b, d, n);
    if (s->has_scale) d = kb_mul(b, d, kb_cast(b, x[i++], t));
    if (s->has_bias) d = kb_add(b, d, kb_cast(b, x[i++], t));
    return d;
}

/* A per-channel vector [C] viewed as [C, 1, ..., 1] so that it broadcasts along dim 1 of a
 * rank-r tensor. */
static dl_value *channel_view(dl_builder *top, dl_value *v, int r) {
    int64_t dims[KB_MAX_DIMS];
    dims[0] = dl_type_num_elements(v->type);
    for (int k = 1; k < r - 1; k++) dims[k] = 1;
    return kb_view(top, v, kb_memref(top->ctx, v->type->elem, r - 1, dims));
}

/* ---- BatchNormalization ------------------------------------------------------------------- */

static dl_value *running(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    double m = *(const double *)u;
    return kb_add(b, kb_mul(b, x[0], kb_const(b, t, m)), kb_mul(b, x[1], kb_const(b, t, 1 - m)));
}

static dl_status lower_batchnorm(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    int r = x->type->rank;
    if (r < 2) return dl_op_error(op, "input must be (N, C, ...)");
    if (!dl_type_is_float(x->type->elem)) return dl_op_error(op, "needs floating-point data");
    dl_value *p[4];
    for (unsigned i = 0; i < 4; i++) {
        dl_value *v = lw_in(lw, op, i + 1);
        if (!v || dl_type_num_elements(v->type) != x->type->dims[1])
            return dl_op_error(op, "scale, B, mean and var must have C elements");
        p[i] = channel_view(top, v, r);
    }
    norm_spec s = {dl_op_attr_float(op, "epsilon", 1e-5), true, true, true};
    bool training = dl_op_attr_int(op, "training_mode", 0) != 0;
    dl_value *mean = p[2], *var = p[3];
    if (training) {
        bool axes[KB_MAX_DIMS] = {0};
        for (int k = 0; k < r; k++) axes[k] = k != 1;
        const dl_type *kt = kb_memref_kept(ctx, x->type, axes);
        mean = kb_alloc(top, kt);
        var = kb_alloc(top, kt);
        moments(top, x, axes, mean, var);
        mean = kb_view(top, mean, p[2]->type);
        var = kb_view(top, var, p[3]->type);
    }
    dl_value *ins[5] = {x, mean, var, p[0], p[1]};
    kb_elementwise(top, 5, ins, out, normalise, &s);
    double momentum = dl_op_attr_float(op, "momentum", 0.9);
    for (unsigned i = 1; i < 3 && i < op->num_results; i++) {
        dl_value *o = lw_out(lw, op, i);
        if (!o) continue;
        if (!training) return dl_op_error(op, "running statistics need training_mode = 1");
        dl_value *ov = channel_view(top, o, r);
        dl_value *args[2] = {i == 1 ? p[2] : p[3], i == 1 ? mean : var};
        kb_elementwise(top, 2, args, ov, running, &momentum);
    }
    return DL_OK;
}

/* ---- LayerNormalization -------------------------------------------------------------------- */

static dl_value *inv_std(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    dl_value *v = kb_add(b, kb_cast(b, x[0], t), kb_const(b, t, *(const double *)u));
    return kb_div(b, kb_const(b, t, 1), kb_un(b, DL_OP_arith_sqrt, v));
}

static dl_status lower_layernorm(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *scale = lw_in(lw, op, 1), *bias = lw_in(lw, op, 2);
    dl_value *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type;
    int axis, r = xt->rank;
    if (lw_axis(op, dl_op_attr_int(op, "axis", -1), r, &axis)) return DL_FAILURE;
    if (!dl_type_is_float(xt->elem)) return dl_op_error(op, "needs floating-point data");
    bool axes[KB_MAX_DIMS] = {0};
    for (int k = axis; k < r; k++) axes[k] = true;
    const dl_type *f32 = dl_type_scalar(ctx, DL_TY_F32);
    const dl_type *st = kb_memref_kept(ctx, dl_type_with_elem(ctx, xt, f32), axes);
    dl_value *mean = op->num_results > 1 ? lw_out(lw, op, 1) : NULL;
    dl_value *inv = op->num_results > 2 ? lw_out(lw, op, 2) : NULL;
    if ((mean && dl_type_num_elements(mean->type) != dl_type_num_elements(st)) ||
        (inv && dl_type_num_elements(inv->type) != dl_type_num_elements(st)))
        return dl_op_error(op, "Mean and InvStdDev must have the reduced shape");
    dl_value *m = mean ? kb_view(top, mean, kb_memref(ctx, mean->type->elem, r, st->dims))
                       : kb_alloc(top, st);
    dl_value *v =
        inv ? kb_view(top, inv, kb_memref(ctx, inv->type->elem, r, st->dims)) : kb_alloc(top, st);
    moments(top, x, axes, m, v);
    double eps = dl_op_attr_float(op, "epsilon", 1e-5);
    kb_elementwise(top, 1, &v, v, inv_std, &eps);
    norm_spec s = {eps, false, scale != NULL, bias != NULL};
    dl_value *ins[5] = {x, m, v, scale, bias};
    kb_elementwise(top, 3 + (scale != NULL) + (bias != NULL), ins, out, normalise, &s);
    return DL_OK;
}

/* ---- InstanceNormalization, MeanVarianceNormalization ------------------------------------- */

static dl_status lower_instancenorm(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *scale = lw_in(lw, op, 1), *bias = lw_in(lw, op, 2);
    dl_value *out = lw_out(lw, op, 0);
    int r = x->type->rank;
    if (r < 3 || !dl_type_is_float(x->type->elem))
        return dl_op_error(op, "input must be floating-point (N, C, spatial...)");
    bool axes[KB_MAX_DIMS] = {0};
    for (int k = 2; k < r; k++) axes[k] = true;
    const dl_type *kt = kb_memref_kept(ctx, x->type, axes);
    dl_value *m = kb_alloc(top, kt), *v = kb_alloc(top, kt);
    moments(top, x, axes, m, v);
    norm_spec s = {dl_op_attr_float(op, "epsilon", 1e-5), true, true, true};
    dl_value *ins[5] = {x, m, v, channel_view(top, scale, r), channel_view(top, bias, r)};
    kb_elementwise(top, 5, ins, out, normalise, &s);
    return DL_OK;
}

static dl_value *square(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    return kb_mul(b, x[0], x[0]);
}

static dl_value *mvn_den(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    /* sqrt(E[x^2] - E[x]^2) + 1e-9, the reference's formula */
    dl_value *var = kb_sub(b, x[1], kb_mul(b, x[0], x[0]));
    dl_value *sd = kb_add(b, kb_un(b, DL_OP_arith_sqrt, var), kb_const(b, t, 1e-9));
    return kb_div(b, kb_const(b, t, 1), sd);
}

static dl_status lower_mvn(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type;
    int r = xt->rank;
    int64_t ax[KB_MAX_DIMS] = {0, 2, 3};
    int n = dl_op_attr_ints(op, "axes", ax, KB_MAX_DIMS);
    if (n < 0) n = 3;
    bool axes[KB_MAX_DIMS] = {0};
    for (int i = 0; i < n; i++) {
        int a;
        if (lw_axis(op, ax[i], r, &a)) return DL_FAILURE;
        axes[a] = true;
    }
    if (!dl_type_is_float(xt->elem)) return dl_op_error(op, "needs floating-point data");
    const dl_type *kt = kb_memref_kept(ctx, xt, axes);
    dl_value *m = kb_alloc(top, kt), *m2 = kb_alloc(top, kt);
    double inv = 1 / count_of(xt, axes);
    moments(top, x, axes, m, NULL);
    kb_reduce(top, x, m2, axes, KB_SUM, square, NULL);
    kb_elementwise(top, 1, &m2, m2, scale_by, &inv);
    dl_value *st[2] = {m, m2};
    kb_elementwise(top, 2, st, m2, mvn_den, NULL);
    norm_spec s = {0, false, false, false};
    dl_value *ins[3] = {x, m, m2};
    kb_elementwise(top, 3, ins, out, normalise, &s);
    return DL_OK;
}

/* ---- LRN ------------------------------------------------------------------------------------ */

typedef struct lrn_spec {
    double alpha, beta, bias;
    int64_t size;
} lrn_spec;

static dl_value *lrn_out(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    const lrn_spec *s = u;
    dl_value *d = kb_add(b, kb_const(b, t, s->bias),
                         kb_mul(b, x[1], kb_const(b, t, s->alpha / (double)s->size)));
    return kb_div(b, x[0], kb_bin(b, DL_OP_arith_pow, d, kb_const(b, t, s->beta)));
}

static dl_status lower_lrn(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type;
    int r = xt->rank;
    lrn_spec s = {dl_op_attr_float(op, "alpha", 1e-4), dl_op_attr_float(op, "beta", 0.75),
                  dl_op_attr_float(op, "bias", 1.0), dl_op_attr_int(op, "size", 0)};
    if (r < 2 || s.size <= 0 || !dl_type_is_float(xt->elem))
        return dl_op_error(op, "needs floating-point (N, C, ...) data and a positive size");
    int64_t pre = (s.size - 1) / 2, dims[KB_MAX_DIMS + 1];
    /* x^2 padded with zeros along the channels, then a window sum over them */
    memcpy(dims, xt->dims, sizeof(int64_t) * (size_t)r);
    dims[1] += s.size - 1;
    dl_value *sq = kb_alloc(top, kb_memref(ctx, xt->elem, r, dims));
    kb_fill(top, sq, 0);
    kb_generic g;
    kb_begin(&g, top, r, xt->dims);
    unsigned xi = kb_in(&g, x, kb_map_id(ctx, (unsigned)r));
    kb_out(&g, sq, kb_map_part(ctx, r, 1, pre, false));
    dl_builder *b = kb_body(&g);
    kb_yield1(&g, square(b, (dl_value *[]){kb_arg(&g, xi)}, xt->elem, NULL));
    dl_value *sum = kb_alloc(top, xt);
    kb_fill(top, sum, 0);
    memcpy(dims, xt->dims, sizeof(int64_t) * (size_t)r);
    dims[r] = s.size;
    const dl_affine_expr *res[KB_MAX_DIMS];
    for (int k = 0; k < r; k++) {
        res[k] = dl_aff_dim(ctx, (unsigned)k);
        if (k == 1) res[k] = dl_aff_add(ctx, res[k], dl_aff_dim(ctx, (unsigned)r));
    }
    kb_generic w;
    kb_begin(&w, top, r + 1, dims);
    kb_reduction(&w, r);
    unsigned si = kb_in(&w, sq, kb_map(ctx, (unsigned)(r + 1), (unsigned)r, res));
    unsigned oi = kb_out(&w, sum, kb_map_first(ctx, (unsigned)(r + 1), (unsigned)r));
    b = kb_body(&w);
    kb_yield1(&w, kb_add(b, kb_arg(&w, oi), kb_arg(&w, si)));
    dl_value *ins[2] = {x, sum};
    kb_elementwise(top, 2, ins, out, lrn_out, &s);
    return DL_OK;
}

/* ---- LpNormalization ------------------------------------------------------------------------ */

static dl_value *abs_pow(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    dl_value *a = kb_un(b, DL_OP_arith_abs, x[0]);
    return *(const int64_t *)u == 1 ? a : kb_mul(b, a, a);
}

static dl_value *divide_norm(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    dl_value *n = x[1];
    if (*(const int64_t *)u == 2) n = kb_un(b, DL_OP_arith_sqrt, n);
    return kb_div(b, x[0], n);
}

static dl_status lower_lp_norm(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type;
    int axis;
    int64_t p = dl_op_attr_int(op, "p", 2);
    if (lw_axis(op, dl_op_attr_int(op, "axis", -1), xt->rank, &axis)) return DL_FAILURE;
    if ((p != 1 && p != 2) || !dl_type_is_float(xt->elem))
        return dl_op_error(op, "needs floating-point data and p = 1 or 2");
    bool axes[KB_MAX_DIMS] = {0};
    axes[axis] = true;
    dl_value *n = kb_alloc(top, kb_memref_kept(ctx, xt, axes));
    kb_reduce(top, x, n, axes, KB_SUM, abs_pow, &p);
    dl_value *ins[2] = {x, n};
    kb_elementwise(top, 2, ins, out, divide_norm, &p);
    return DL_OK;
}

const dl_lower_entry dl_lower_norm[] = {
    {DL_OP_graph_LpNormalization, lower_lp_norm},
    {DL_OP_graph_BatchNormalization, lower_batchnorm},
    {DL_OP_graph_LayerNormalization, lower_layernorm},
    {DL_OP_graph_InstanceNormalization, lower_instancenorm},
    {DL_OP_graph_MeanVarianceNormalization, lower_mvn},
    {DL_OP_graph_LRN, lower_lrn},
    {DL_OP__INVALID, NULL},
};
