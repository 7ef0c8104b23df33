/* canonicalize_patterns.c: the graph dialect's canonical rewrite patterns. */
#include "graph.h"

/* Identity(x) -> x */
static bool fold_identity(dl_op *op, dl_rewriter *rw) {
    dl_value *x = dl_operand(op, 0);
    if (x->type != op->results[0].type) return false;
    dl_rw_replace1(rw, op, x);
    return true;
}

/* Transpose(Transpose(x, p1), p2) -> Transpose(x, p1[p2[i]]), or x when that is the identity. */
static bool fold_transpose_pair(dl_op *op, dl_rewriter *rw) {
    dl_value *in = dl_operand(op, 0);
    dl_op *inner = in->def;
    if (!inner || inner->kind != DL_OP_graph_Transpose) return false;
    int64_t p1[64], p2[64], q[64];
    int n1 = dl_op_attr_ints(inner, "perm", p1, 64), n2 = dl_op_attr_ints(op, "perm", p2, 64);
    int rank = in->type->rank;
    if (in->type->kind != DL_TY_TENSOR || rank > 64) return false;
    /* ONNX default: reverse the dimensions */
    if (n1 < 0)
        for (int i = 0; i < rank; i++) p1[i] = rank - 1 - i;
    if (n2 < 0)
        for (int i = 0; i < rank; i++) p2[i] = rank - 1 - i;
    if ((n1 >= 0 && n1 != rank) || (n2 >= 0 && n2 != rank)) return false;
    bool identity = true;
    for (int i = 0; i < rank; i++) {
        if (p2[i] < 0 || p2[i] >= rank) return false;
        q[i] = p1[p2[i]];
        identity &= q[i] == i;
    }
    dl_value *x = dl_operand(inner, 0);
    if (identity && x->type == op->results[0].type) {
        dl_rw_replace1(rw, op, x);
        return true;
    }
    dl_op_set_operand(op, 0, x);
    dl_op_set_attr(op, "perm", dl_attr_int_array(op->ctx, (unsigned)rank, q));
    dl_rw_notify(rw, op);
    if (inner->num_results && dl_op_results_unused(inner)) dl_rw_erase(rw, inner);
    return true;
}

/* Reshape(Reshape(x, s1), s2) -> Reshape(x, s2) when the outer result shape is static;
 * Reshape(x, s) -> x when it does not change the type. */
static bool fold_reshape(dl_op *op, dl_rewriter *rw) {
    dl_value *in = dl_operand(op, 0);
    const dl_type *rt = op->results[0].type;
    if (in->type == rt) {
        dl_rw_replace1(rw, op, in);
        return true;
    }
    dl_op *inner = in->def;
    if (!inner || inner->kind != DL_OP_graph_Reshape || !dl_type_has_static_shape(rt)) return false;
    /* Reshape's `shape` operand may contain 0 ("copy this input dim") unless allowzero; the
     * outer shape operand was computed against the inner result, so only rewrite when the
     * shape is a constant without zeros. */
    const dl_attr *shape = dl_graph_constant_value(dl_operand(op, 1));
    if (!shape) return false;
    for (int64_t i = 0; i < dl_dense_num_elements(shape); i++)
        if (dl_dense_get_i64(shape, i) == 0) return false;
    dl_op_set_operand(op, 0, dl_operand(inner, 0));
    dl_rw_notify(rw, op);
    if (dl_op_results_unused(inner)) dl_rw_erase(rw, inner);
    return true;
}

static const dl_pattern patterns[] = {
    {"identity", DL_OP_graph_Identity, fold_identity},
    {"transpose-transpose", DL_OP_graph_Transpose, fold_transpose_pair},
    {"reshape-reshape", DL_OP_graph_Reshape, fold_reshape},
};

const dl_pattern *dl_graph_patterns(size_t *count) {
    *count = sizeof patterns / sizeof *patterns;
    return patterns;
}
