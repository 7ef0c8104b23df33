/* lower_loss.c: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (log-softmax, then the
 * same NLL core): a gather of -logp[n, target, d...] weighted by weight[target] (0 at
 * ignore_index), then the none / sum / mean reduction. Targets are clamped into [0, C). */
#include "lower.h"

#include <string.h>

/* loss = reduce(-logp[n, t, d...] * w[t]) with t = target[n, d...]. */
static dl_status nll(dl_lower *lw, dl_op *op, dl_value *logp, dl_value *target, dl_value *weight,
                     dl_value *out) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    const dl_type *lt = logp->type, *tt = target->type, *ft = lt->elem;
    const char *red = dl_op_attr_str(op, "reduction", "mean");
    bool none = strcmp(red, "none") == 0, sum = strcmp(red, "sum") == 0;
    if (!none && !sum && strcmp(red, "mean") != 0)
        return dl_op_error(op, "reduction '%s' is not supported", red);
    if (lt->rank < 2 || tt->rank != lt->rank - 1 || tt->dims[0] != lt->dims[0])
        return dl_op_error(op, "input must be (N, C, d...) and target (N, d...)");
    if (!dl_type_is_int(tt->elem)) return dl_op_error(op, "target must hold integers");
    bool has_ignore = dl_op_attr(op, "ignore_index") != NULL;
    int64_t ignore = dl_op_attr_int(op, "ignore_index", 0);
    bool weighted = weight || has_ignore;
    int64_t C = lt->dims[1];
    dl_value *loss = none ? out : kb_alloc(top, kb_memref(ctx, ft, tt->rank, tt->dims));
    dl_value *wsum = weighted && !none && !sum ? kb_alloc(top, loss->type) : NULL;
    int r = tt->rank;
    kb_generic g;
    kb_begin(&g, top, r, tt->dims);
    unsigned ti = kb_in(&g, target, kb_map_id(ctx, (unsigned)r));
    kb_in_indirect(&g, logp);
    if (weight) kb_in_indirect(&g, weight);
    kb_out(&g, loss, kb_map_id(ctx, (unsigned)r));
    if (wsum) kb_out(&g, wsum, kb_map_id(ctx, (unsigned)r));
    dl_builder *b = kb_body(&g);
    dl_value *t = kb_arg(&g, ti);
    dl_value *tc = kb_clamp_index(b, kb_cast(b, t, dl_type_scalar(ctx, DL_TY_INDEX)), C);
    dl_value *idx[KB_MAX_DIMS + 1];
    idx[0] = kb_dim(&g, 0);
    idx[1] = tc;
    for (int k = 1; k < r; k++) idx[k + 1] = kb_dim(&g, k);
    dl_value *v = kb_un(b, DL_OP_arith_neg, kb_load(b, logp, (unsigned)lt->rank, idx));
    dl_value *w = weight ? kb_load(b, weight, 1, &tc) : kb_const(b, ft, 1);
    if (has_ignore) {
        dl_value *ign = kb_cmp(b, "eq", t, kb_consti(b, t->type, ignore));
        w = kb_select(b, ign, kb_const(b, ft, 0), w);
    }
    if (weighted) v = kb_mul(b, v, w);
    dl_value *ys[2] = {v, w};
    kb_yield(&g, wsum ? 2 : 1, ys);
    if (none) return DL_OK;
    if (out->type->rank != 0) return dl_op_error(op, "a reduced loss must be a scalar");
    bool all[KB_MAX_DIMS];
    for (int k = 0; k < r; k++) all[k] = true;
    kb_reduce(top, loss, out, all, KB_SUM, NULL, NULL);
    if (sum) return DL_OK;
    /* mean: divide by the total weight, or by the element count */
    dl_value *den = NULL;
    if (wsum) {
        den = kb_alloc(top, out->type);
        kb_reduce(top, wsum, den, all, KB_SUM, NULL, NULL);
    }
    kb_generic d;
    kb_begin(&d, top, 0, NULL);
    unsigned di = den ? kb_in(&d, den, kb_map_id(ctx, 0)) : 0;
    unsigned oi = kb_out(&d, out, kb_map_id(ctx, 0));
    b = kb_body(&d);
    dl_value *q = den ? kb_arg(&d, di) : kb_const(b, ft, (double)dl_type_num_elements(tt));
    kb_yield1(&d, kb_div(b, kb_arg(&d, oi), q));
    return DL_OK;
}

static dl_status lower_nll(dl_lower *lw, dl_op *op) {
    dl_value *x = lw_in(lw, op, 0), *t = lw_in(lw, op, 1), *w = lw_in(lw, op, 2);
    return nll(lw, op, x, t, w, lw_out(lw, op, 0));
}

static dl_status lower_softmax_ce(dl_lower *lw, dl_op *op) {
    dl_value *x = lw_in(lw, op, 0), *t = lw_in(lw, op, 1), *w = lw_in(lw, op, 2);
    dl_value *out = lw_out(lw, op, 0);
    if (x->type->rank < 2) return dl_op_error(op, "scores must be (N, C, d...)");
    if (!dl_type_is_float(x->type->elem)) return dl_op_error(op, "needs floating-point scores");
    dl_value *logp = op->num_results > 1 && op->results[1].type->kind == DL_TY_TENSOR
                         ? lw_out(lw, op, 1)
                         : kb_alloc(lw_top(lw), x->type);
    lw_softmax(lw, x, 1, logp, true);
    return nll(lw, op, logp, t, w, out);
}

const dl_lower_entry dl_lower_loss[] = {
    {DL_OP_graph_NegativeLogLikelihoodLoss, lower_nll},
    {DL_OP_graph_SoftmaxCrossEntropyLoss, lower_softmax_ce},
    {DL_OP__INVALID, NULL},
};
