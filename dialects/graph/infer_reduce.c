/* infer_reduce.c: shape inference rules of reductions (Reduce*, ArgMax/ArgMin), softmax-like
 * ops along an axis, CumSum and the loss ops (ONNX opset 17 semantics). */
#include "infer.h"

#include <string.h>

/* Reads an 'axis' attribute and normalises it against rank. */
static dl_status axis_attr(dl_op *op, int64_t dflt, int rank, int64_t *axis) {
    return dl_norm_axis(op, dl_op_attr_int(op, "axis", dflt), rank, axis);
}

/* The reduced axes of a Reduce* op as flags over the input's dimensions. The axes come from the
 * 'axes' attribute or the optional operand 1 (ReduceSum, opset 13+); they must be in range and
 * distinct. No axes reduce everything, or nothing with noop_with_empty_axes = 1. Sets *known to
 * false when the axes operand is not a constant (unless its type says it is empty). */
static dl_status reduced_axes(dl_op *op, int rank, bool reduced[DL_MAX_RANK], bool *known) {
    int64_t axes[DL_MAX_RANK];
    int64_t n;
    memset(reduced, 0, DL_MAX_RANK * sizeof *reduced);
    *known = true;
    if (dl_has_operand(op, 1)) {
        if (dl_op_attr(op, "axes"))
            return dl_op_error(op, "has both an 'axes' attribute and an axes operand");
        const dl_type *t = dl_operand(op, 1)->type;
        n = dl_const_ints(dl_operand(op, 1), axes, DL_MAX_RANK);
        if (n < 0 && t->kind == DL_TY_TENSOR && t->rank == 1 && t->dims[0] == 0) n = 0;
        if (n < 0) {
            *known = false;
            return DL_OK;
        }
    } else {
        n = dl_op_attr_ints(op, "axes", axes, DL_MAX_RANK);
        if (n < 0) n = 0;
    }
    if (n > rank)
        return dl_op_error(op, "%lld axes given for an input of rank %d", (long long)n, rank);
    if (n == 0) {
        bool noop = dl_op_attr_int(op, "noop_with_empty_axes", 0) != 0;
        for (int i = 0; i < rank; i++) reduced[i] = !noop;
        return DL_OK;
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t a;
        if (dl_norm_axis(op, axes[i], rank, &a) != DL_OK) return DL_FAILURE;
        if (reduced[a])
            return dl_op_error(op, "axis %lld is reduced twice (in 'axes')", (long long)axes[i]);
        reduced[a] = true;
    }
    return DL_OK;
}

/* Drops (or, with keepdims, sets to 1) the flagged dimensions of s. */
static void reduce_shape(dl_shape *s, const bool reduced[DL_MAX_RANK], bool keepdims) {
    int r = 0;
    for (int i = 0; i < s->rank; i++) {
        if (!reduced[i]) {
            s->dims[r] = s->dims[i];
            s->names[r++] = s->names[i];
        } else if (keepdims) {
            s->dims[r] = 1;
            s->names[r++] = NULL;
        }
    }
    s->rank = r;
}

/* ReduceSum, ReduceMean, ReduceMax...: the input's element type, reduced dims dropped or kept
 * as 1 (keepdims). With non-constant axes the sizes are unknown; without keepdims the result
 * rank then comes from the static length of the axes operand. */
static dl_status infer_reduce(dl_op *op) {
    dl_shape s;
    bool reduced[DL_MAX_RANK], known;
    if (dl_operand_shape(op, 0, &s) != DL_OK || reduced_axes(op, s.rank, reduced, &known) != DL_OK)
        return DL_FAILURE;
    bool keepdims = dl_op_attr_int(op, "keepdims", 1) != 0;
    if (known) {
        reduce_shape(&s, reduced, keepdims);
    } else {
        dl_shape axes;
        if (dl_operand_shape(op, 1, &axes) != DL_OK) return DL_FAILURE;
        if (axes.rank != 1)
            return dl_op_error(op, "operand 1 (axes) must be a 1-D tensor, got rank %d", axes.rank);
        int64_t n = axes.dims[0];
        if (!keepdims && n == DL_DYN)
            return dl_op_error(op, "the result rank is unknown: the axes operand is not a "
                                   "constant and its length is not static");
        if (n > s.rank)
            return dl_op_error(op, "%lld axes given for an input of rank %d", (long long)n, s.rank);
        if (!keepdims) s.rank -= (int)n;
        for (int i = 0; i < s.rank; i++) {
            if (keepdims && s.dims[i] == 1) continue; /* 1 whether reduced or not */
            s.dims[i] = DL_DYN;
            s.names[i] = NULL;
        }
    }
    dl_set_result(op, 0, dl_operand_elem(op, 0), &s);
    return DL_OK;
}

/* ArgMax, ArgMin: i64 indices along 'axis', which is dropped or kept as 1 (keepdims). */
static dl_status infer_arg(dl_op *op) {
    dl_shape s;
    int64_t axis;
    if (dl_operand_shape(op, 0, &s) != DL_OK) return DL_FAILURE;
    if (s.rank == 0) return dl_op_error(op, "operand 0 must have rank at least 1");
    if (axis_attr(op, 0, s.rank, &axis) != DL_OK) return DL_FAILURE;
    bool reduced[DL_MAX_RANK] = {0};
    reduced[axis] = true;
    reduce_shape(&s, reduced, dl_op_attr_int(op, "keepdims", 1) != 0);
    dl_set_result(op, 0, dl_type_scalar(op->ctx, DL_TY_I64), &s);
    return DL_OK;
}

/* Softmax, LogSoftmax, Hardmax: the input's type; 'axis' must be in range. */
static dl_status infer_softmax(dl_op *op) {
    dl_shape s;
    int64_t axis;
    if (dl_operand_shape(op, 0, &s) != DL_OK || axis_attr(op, -1, s.rank, &axis) != DL_OK)
        return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &s);
    return DL_OK;
}

/* CumSum(x, axis): x's type; axis is an integer scalar (or one-element tensor) in range. */
static dl_status infer_cumsum(dl_op *op) {
    dl_shape s, a;
    if (dl_operand_shape(op, 0, &s) != DL_OK || dl_operand_shape(op, 1, &a) != DL_OK)
        return DL_FAILURE;
    if (a.rank > 1 || (a.rank == 1 && a.dims[0] != 1 && a.dims[0] != DL_DYN))
        return dl_op_error(op, "operand 1 (axis) must be a scalar");
    if (!dl_type_is_int(dl_operand_elem(op, 1)))
        return dl_op_error(op, "operand 1 (axis) must be an integer tensor, got %s",
                           dl_type_str(op->ctx, dl_operand(op, 1)->type));
    int64_t axis, norm;
    if (dl_const_ints(dl_operand(op, 1), &axis, 1) == 1 &&
        dl_norm_axis(op, axis, s.rank, &norm) != DL_OK)
        return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &s);
    return DL_OK;
}

/* The loss ops take scores of shape (N, C, d1..dk) and integer targets of shape (N, d1..dk),
 * with optional class weights of shape (C). The loss is a scalar, or has the targets' shape
 * with reduction = "none". */
static dl_status infer_loss(dl_op *op) {
    dl_shape in, target, loss;
    if (dl_operand_shape(op, 0, &in) != DL_OK || dl_operand_shape(op, 1, &target) != DL_OK)
        return DL_FAILURE;
    if (in.rank < 2)
        return dl_op_error(op, "operand 0 must have shape (N, C, d1, ..., dk), got rank %d",
                           in.rank);
    if (target.rank != in.rank - 1)
        return dl_op_error(op,
                           "operand 1 (target) has rank %d, expected %d (operand 0's rank "
                           "without the class dimension)",
                           target.rank, in.rank - 1);
    for (int i = 0; i < target.rank; i++) {
        int64_t a = in.dims[i ? i + 1 : 0], b = target.dims[i];
        if (a != DL_DYN && b != DL_DYN && a != b)
            return dl_op_error(op,
                               "operand 1 (target) has size %lld in dimension %d, expected "
                               "%lld like operand 0",
                               (long long)b, i, (long long)a);
    }
    if (!dl_type_is_int(dl_operand_elem(op, 1)))
        return dl_op_error(op, "operand 1 (target) must be an integer tensor, got %s",
                           dl_type_str(op->ctx, dl_operand(op, 1)->type));
    if (dl_has_operand(op, 2)) {
        dl_shape w;
        if (dl_operand_shape(op, 2, &w) != DL_OK) return DL_FAILURE;
        if (w.rank != 1 || (w.dims[0] != DL_DYN && in.dims[1] != DL_DYN && w.dims[0] != in.dims[1]))
            return dl_op_error(op, "operand 2 (weight) must be a 1-D tensor with one entry "
                                   "per class (dimension 1 of operand 0)");
    }
    const char *reduction = dl_op_attr_str(op, "reduction", "mean");
    if (!strcmp(reduction, "none")) {
        loss = target;
        for (int i = 0; i < loss.rank; i++)
            if (loss.dims[i] == DL_DYN && !loss.names[i]) {
                /* prefer the scores' size or name where the targets' is unknown */
                loss.dims[i] = in.dims[i ? i + 1 : 0];
                loss.names[i] = in.names[i ? i + 1 : 0];
            }
    } else if (!strcmp(reduction, "sum") || !strcmp(reduction, "mean")) {
        loss.rank = 0;
    } else {
        return dl_op_error(op, "'reduction' must be \"none\", \"sum\" or \"mean\", got \"%s\"",
                           reduction);
    }
    dl_set_result(op, 0, dl_operand_elem(op, 0), &loss);
    dl_set_optional_result(op, 1, dl_operand_elem(op, 0), &in); /* log_prob */
    return DL_OK;
}

const dl_infer_entry dl_infer_reduce[] = {
    {DL_OP_graph_ReduceL1, infer_reduce},
    {DL_OP_graph_ReduceL2, infer_reduce},
    {DL_OP_graph_ReduceLogSum, infer_reduce},
    {DL_OP_graph_ReduceLogSumExp, infer_reduce},
    {DL_OP_graph_ReduceMax, infer_reduce},
    {DL_OP_graph_ReduceMean, infer_reduce},
    {DL_OP_graph_ReduceMin, infer_reduce},
    {DL_OP_graph_ReduceProd, infer_reduce},
    {DL_OP_graph_ReduceSum, infer_reduce},
    {DL_OP_graph_ReduceSumSquare, infer_reduce},
    {DL_OP_graph_ArgMax, infer_arg},
    {DL_OP_graph_ArgMin, infer_arg},
    {DL_OP_graph_Softmax, infer_softmax},
    {DL_OP_graph_LogSoftmax, infer_softmax},
    {DL_OP_graph_Hardmax, infer_softmax},
    {DL_OP_graph_CumSum, infer_cumsum},
    {DL_OP_graph_NegativeLogLikelihoodLoss, infer_loss},
    {DL_OP_graph_SoftmaxCrossEntropyLoss, infer_loss},
    {DL_OP__INVALID, NULL},
};
