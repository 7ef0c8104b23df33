/* lower_reduce.c: reductions (Reduce* with axes as attribute or input, keepdims, empty axes),
 * ArgMax / ArgMin (first or last index), and the softmax family (Softmax, LogSoftmax, Hardmax)
 * computed with the max subtracted for stability. */
#include "lower.h"

#include <math.h>
#include <string.h>

/* Reads the reduced axes of a Reduce* op into a mask; *all_empty is set when no axes were given
 * and noop_with_empty_axes asks for the identity. */
static dl_status reduce_axes(dl_op *op, int rank, bool *mask, bool *noop) {
    int64_t axes[KB_MAX_DIMS];
    int64_t n = -1;
    *noop = false;
    if (lw_has(op, 1)) {
        const dl_type *at = dl_operand(op, 1)->type;
        n = dl_type_num_elements(at) == 0 ? 0 : lw_const_ints(op, 1, axes, KB_MAX_DIMS);
        if (n < 0) return dl_op_error(op, "axes must be a constant");
    } else if (dl_op_attr(op, "axes")) {
        n = dl_op_attr_ints(op, "axes", axes, KB_MAX_DIMS);
    }
    if (n > KB_MAX_DIMS) return dl_op_error(op, "too many axes");
    for (int k = 0; k < rank; k++) mask[k] = n <= 0;
    if (n <= 0 && dl_op_attr_int(op, "noop_with_empty_axes", 0)) {
        *noop = true;
        for (int k = 0; k < rank; k++) mask[k] = false;
    }
    for (int64_t i = 0; i < n; i++) {
        int a;
        if (lw_axis(op, axes[i], rank, &a)) return DL_FAILURE;
        mask[a] = true;
    }
    return DL_OK;
}

static dl_value *abs_pre(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    dl_value *v = kb_cast(b, x[0], t);
    return dl_type_is_unsigned(t) ? v : kb_un(b, DL_OP_arith_abs, v);
}

static dl_value *square_pre(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    dl_value *v = kb_cast(b, x[0], t);
    return kb_mul(b, v, v);
}

static dl_value *post_op(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    const dl_op *op = u;
    switch (op->kind) {
    case DL_OP_graph_ReduceL2: return kb_un(b, DL_OP_arith_sqrt, x[0]);
    case DL_OP_graph_ReduceLogSum: return kb_un(b, DL_OP_arith_log, x[0]);
    default: DL_UNREACHABLE("reduction post-processing");
    }
}

static dl_value *divide_by(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    return kb_div(b, x[0], kb_const(b, t, *(const double *)u));
}

static dl_value *exp_minus(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    return kb_un(b, DL_OP_arith_exp, kb_sub(b, x[0], x[1]));
}

/* A finite stand-in for an infinite maximum, so that x - m never computes inf - inf. */
static dl_value *finite_max(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    dl_value *inf = dl_build1(b, DL_OP_arith_isinf, 1, x, dl_type_scalar(b->ctx, DL_TY_I1));
    return kb_select(b, inf, kb_const(b, t, 0), x[0]);
}

/* log(s) + m */
static dl_value *log_plus(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    return kb_add(b, kb_un(b, DL_OP_arith_log, x[0]), x[1]);
}

static dl_status lower_reduce(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    const dl_type *t = x->type, *ot = out->type;
    bool axes[KB_MAX_DIMS], noop;
    if (t->rank > KB_MAX_DIMS) return dl_op_error(op, "rank %d is not supported", t->rank);
    if (reduce_axes(op, t->rank, axes, &noop)) return DL_FAILURE;
    int kept = 0;
    for (int k = 0; k < t->rank; k++) kept += !axes[k];
    if (ot->rank != t->rank && ot->rank != kept)
        return dl_op_error(op, "result rank disagrees with the reduced axes");
    double count = 1;
    for (int k = 0; k < t->rank; k++)
        if (axes[k]) count *= (double)t->dims[k];
    switch (op->kind) {
    case DL_OP_graph_ReduceSum:
    case DL_OP_graph_ReduceMean:
    case DL_OP_graph_ReduceLogSum: kb_reduce(top, x, out, axes, KB_SUM, NULL, NULL); break;
    case DL_OP_graph_ReduceMax: kb_reduce(top, x, out, axes, KB_MAX, NULL, NULL); break;
    case DL_OP_graph_ReduceMin: kb_reduce(top, x, out, axes, KB_MIN, NULL, NULL); break;
    case DL_OP_graph_ReduceProd: kb_reduce(top, x, out, axes, KB_PROD, NULL, NULL); break;
    case DL_OP_graph_ReduceL1: kb_reduce(top, x, out, axes, KB_SUM, abs_pre, NULL); break;
    case DL_OP_graph_ReduceL2:
    case DL_OP_graph_ReduceSumSquare: kb_reduce(top, x, out, axes, KB_SUM, square_pre, NULL); break;
    case DL_OP_graph_ReduceLogSumExp: {
        if (!dl_type_is_float(t->elem)) return dl_op_error(op, "needs floating-point data");
        dl_value *m = kb_alloc(top, kb_memref_kept(ctx, t, axes));
        kb_reduce(top, x, m, axes, KB_MAX, NULL, NULL);
        kb_elementwise(top, 1, &m, m, finite_max, NULL);
        dl_value *mv = kb_view(top, m, kb_memref(ctx, t->elem, ot->rank, ot->dims));
        kb_fill(top, out, 0);
        kb_reduce2(top, x, m, out, axes, KB_SUM, exp_minus, NULL);
        dl_value *ins[2] = {out, mv};
        kb_elementwise(top, 2, ins, out, log_plus, NULL);
        return DL_OK;
    }
    default: DL_UNREACHABLE("reduce kind");
    }
    if (op->kind == DL_OP_graph_ReduceMean && !noop)
        kb_elementwise(top, 1, &out, out, divide_by, &count);
    if (op->kind == DL_OP_graph_ReduceL2 || op->kind == DL_OP_graph_ReduceLogSum) {
        if (!dl_type_is_float(ot->elem)) return dl_op_error(op, "needs floating-point data");
        kb_elementwise(top, 1, &out, out, post_op, op);
    }
    return DL_OK;
}

/* ---- ArgMax / ArgMin ------------------------------------------------------------------------ */

/* idx[keep] = position along `axis` of the max (or min) of x; first or last on ties. */
static void arg_reduce(dl_lower *lw, dl_value *x, int axis, dl_value *idx, bool is_max, bool last) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    const dl_type *t = x->type;
    bool axes[KB_MAX_DIMS] = {0};
    axes[axis] = true;
    dl_value *best = kb_alloc(top, kb_memref_kept(ctx, t, axes));
    kb_fill(top, best, is_max ? -INFINITY : INFINITY);
    kb_fill(top, idx, 0);
    kb_generic g;
    kb_begin(&g, top, t->rank, t->dims);
    kb_reduction(&g, axis);
    unsigned xi = kb_in(&g, x, kb_map_id(ctx, (unsigned)t->rank));
    unsigned bi = kb_out(&g, best, kb_map_reduced(ctx, t->rank, axes, t->rank));
    unsigned ii = kb_out(&g, idx, kb_map_reduced(ctx, t->rank, axes, idx->type->rank));
    dl_builder *b = kb_body(&g);
    dl_value *v = kb_arg(&g, xi), *acc = kb_arg(&g, bi);
    const char *pred = is_max ? (last ? "ge" : "gt") : (last ? "le" : "lt");
    dl_value *better = kb_cmp(b, pred, v, acc);
    dl_value *pos = kb_cast(b, kb_dim(&g, axis), idx->type->elem);
    dl_value *ys[2] = {kb_select(b, better, v, acc), kb_select(b, better, pos, kb_arg(&g, ii))};
    kb_yield(&g, 2, ys);
}

static dl_status lower_arg(dl_lower *lw, dl_op *op) {
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    int axis;
    if (lw_axis(op, dl_op_attr_int(op, "axis", 0), x->type->rank, &axis)) return DL_FAILURE;
    if (x->type->rank == 0) return dl_op_error(op, "needs an input of rank 1 or more");
    bool keep = out->type->rank == x->type->rank;
    if (!keep && out->type->rank != x->type->rank - 1)
        return dl_op_error(op, "result rank disagrees with keepdims");
    arg_reduce(lw, x, axis, out, op->kind == DL_OP_graph_ArgMax,
               dl_op_attr_int(op, "select_last_index", 0) != 0);
    return DL_OK;
}

/* ---- Softmax family ------------------------------------------------------------------------- */

static dl_value *sub_exp(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    return kb_un(b, DL_OP_arith_exp, kb_sub(b, x[0], x[1]));
}

static dl_value *div2(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    return kb_div(b, x[0], x[1]);
}

/* x - m - log(s) */
static dl_value *log_softmax(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    return kb_sub(b, kb_sub(b, x[0], x[1]), kb_un(b, DL_OP_arith_log, x[2]));
}

void lw_softmax(dl_lower *lw, dl_value *x, int axis, dl_value *out, bool log) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    const dl_type *t = x->type;
    bool axes[KB_MAX_DIMS] = {0};
    axes[axis] = true;
    const dl_type *kt = kb_memref_kept(ctx, t, axes);
    dl_value *m = kb_alloc(top, kt), *s = kb_alloc(top, kt);
    kb_reduce(top, x, m, axes, KB_MAX, NULL, NULL);
    kb_elementwise(top, 1, &m, m, finite_max, NULL);
    if (log) {
        kb_fill(top, s, 0);
        kb_reduce2(top, x, m, s, axes, KB_SUM, exp_minus, NULL);
        dl_value *ins[3] = {x, m, s};
        kb_elementwise(top, 3, ins, out, log_softmax, NULL);
        return;
    }
    dl_value *ins[2] = {x, m};
    kb_elementwise(top, 2, ins, out, sub_exp, NULL);
    kb_reduce(top, out, s, axes, KB_SUM, NULL, NULL);
    dl_value *ins2[2] = {out, s};
    kb_elementwise(top, 2, ins2, out, div2, NULL);
}

static dl_status lower_softmax(dl_lower *lw, dl_op *op) {
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    const dl_type *t = x->type;
    int axis;
    if (lw_axis(op, dl_op_attr_int(op, "axis", -1), t->rank, &axis)) return DL_FAILURE;
    if (t->rank == 0) return dl_op_error(op, "needs an input of rank 1 or more");
    if (op->kind != DL_OP_graph_Hardmax) {
        if (!dl_type_is_float(t->elem)) return dl_op_error(op, "needs floating-point data");
        lw_softmax(lw, x, axis, out, op->kind == DL_OP_graph_LogSoftmax);
        return DL_OK;
    }
    /* Hardmax: 1 at the first maximum along the axis */
    dl_context *ctx = lw_ctx(lw);
    bool axes[KB_MAX_DIMS] = {0};
    axes[axis] = true;
    const dl_type *i64 = dl_type_with_elem(ctx, t, dl_type_scalar(ctx, DL_TY_I64));
    dl_value *idx = kb_alloc(lw_top(lw), kb_memref_kept(ctx, i64, axes));
    arg_reduce(lw, x, axis, idx, true, false);
    kb_generic g;
    kb_begin(&g, lw_top(lw), t->rank, t->dims);
    unsigned ii = kb_in(&g, idx, kb_map_bcast(ctx, (unsigned)t->rank, t->dims, idx->type));
    kb_out(&g, out, kb_map_id(ctx, (unsigned)t->rank));
    dl_builder *b = kb_body(&g);
    dl_value *pos = kb_cast(b, kb_dim(&g, axis), dl_type_scalar(ctx, DL_TY_I64));
    dl_value *hit = kb_cmp(b, "eq", pos, kb_arg(&g, ii));
    kb_yield1(&g, kb_select(b, hit, kb_const(b, t->elem, 1), kb_const(b, t->elem, 0)));
    return DL_OK;
}

const dl_lower_entry dl_lower_reduce[] = {
    {DL_OP_graph_ReduceSum, lower_reduce},
    {DL_OP_graph_ReduceMean, lower_reduce},
    {DL_OP_graph_ReduceMax, lower_reduce},
    {DL_OP_graph_ReduceMin, lower_reduce},
    {DL_OP_graph_ReduceProd, lower_reduce},
    {DL_OP_graph_ReduceL1, lower_reduce},
    {DL_OP_graph_ReduceL2, lower_reduce},
    {DL_OP_graph_ReduceLogSum, lower_reduce},
    {DL_OP_graph_ReduceLogSumExp, lower_reduce},
    {DL_OP_graph_ReduceSumSquare, lower_reduce},
    {DL_OP_graph_ArgMax, lower_arg},
    {DL_OP_graph_ArgMin, lower_arg},
    {DL_OP_graph_Softmax, lower_softmax},
    {DL_OP_graph_LogSoftmax, lower_softmax},
    {DL_OP_graph_Hardmax, lower_softmax},
    {DL_OP__INVALID, NULL},
};
