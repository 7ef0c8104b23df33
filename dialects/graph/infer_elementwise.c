/* infer_elementwise.c: shape inference rules of the elementwise op family: unary math and
 * activations, broadcasting binary and variadic ops, comparisons, casts, quantization and
 * random ops shaped like their input (ONNX opset 17 semantics). */
#include "infer.h"

#include <string.h>

/* ---- Shared checks ---- */

/* Requires operand i to have the same element type as operand j (ONNX type constraint T). */
static dl_status same_elem(dl_op *op, unsigned i, unsigned j) {
    const dl_type *a = dl_operand_elem(op, i), *b = dl_operand_elem(op, j);
    if (a != b)
        return dl_op_error(op, "operand %u has element type %s, expected %s like operand %u", i,
                           dl_type_str(op->ctx, a), dl_type_str(op->ctx, b), j);
    return DL_OK;
}

/* Broadcasts operands [first, first + n) with numpy rules into out; with check_elem, they must
 * all share operand first's element type. */
static dl_status broadcast_operands(dl_op *op, unsigned first, unsigned n, bool check_elem,
                                    dl_shape *out) {
    if (dl_operand_shape(op, first, out) != DL_OK) return DL_FAILURE;
    for (unsigned i = first + 1; i < first + n; i++) {
        dl_shape pair[2];
        pair[0] = *out;
        if (dl_operand_shape(op, i, &pair[1]) != DL_OK) return DL_FAILURE;
        if (check_elem && same_elem(op, i, first) != DL_OK) return DL_FAILURE;
        if (dl_broadcast(op, 2, pair, out) != DL_OK) return DL_FAILURE;
    }
    return dl_check_elements(op, out);
}

/* The element type named by an ONNX data type code attribute (Cast 'to', 'dtype'). */
static const dl_type *dtype_attr(dl_op *op, const char *name, int64_t code) {
    const dl_type *t = dl_onnx_elem_type(op->ctx, code);
    if (!t)
        dl_op_error(op, "'%s' = %lld is not a supported ONNX tensor data type", name,
                    (long long)code);
    return t;
}

/* ---- Unary ops ---- */

/* Unary math and activations (Relu, Exp, Clip, Shrink...): the result has the type of the
 * first operand. Clip's optional min and max operands must be scalars of the same type. */
static dl_status infer_unary(dl_op *op) {
    dl_shape s;
    if (dl_operand_shape(op, 0, &s) != DL_OK) return DL_FAILURE;
    for (unsigned i = 1; i < op->num_operands; i++) {
        if (!dl_has_operand(op, i)) continue;
        dl_shape bound;
        if (dl_operand_shape(op, i, &bound) != DL_OK || same_elem(op, i, 0) != DL_OK)
            return DL_FAILURE;
        bool scalar = true; /* rank 0, or one element in any rank */
        for (int d = 0; d < bound.rank; d++)
            scalar &= bound.dims[d] == 1 || bound.dims[d] == DL_DYN;
        if (!scalar)
            return dl_op_error(op, "operand %u (%s) must be a scalar", i, i == 1 ? "min" : "max");
    }
    dl_set_result(op, 0, dl_operand_elem(op, 0), &s);
    return DL_OK;
}

/* Identity: the result has the operand's type, which may also be a sequence. */
static dl_status infer_identity(dl_op *op) {
    const dl_type *t = dl_operand(op, 0)->type;
    if (t->kind != DL_TY_TENSOR && t->kind != DL_TY_SEQ)
        return dl_op_error(op, "operand 0 must be a tensor or a sequence, got %s",
                           dl_type_str(op->ctx, t));
    dl_op_set_result_type(op, 0, t);
    return DL_OK;
}

/* IsInf, IsNaN: a bool tensor of the operand's shape. */
static dl_status infer_predicate(dl_op *op) {
    dl_shape s;
    if (dl_operand_shape(op, 0, &s) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_type_scalar(op->ctx, DL_TY_I1), &s);
    return DL_OK;
}

/* Cast: the operand's shape with the element type of the 'to' data type code. */
static dl_status infer_cast(dl_op *op) {
    dl_shape s;
    if (dl_operand_shape(op, 0, &s) != DL_OK) return DL_FAILURE;
    if (!dl_op_attr(op, "to")) return dl_op_error(op, "needs a 'to' attribute (data type code)");
    const dl_type *elem = dtype_attr(op, "to", dl_op_attr_int(op, "to", 0));
    if (!elem) return DL_FAILURE;
    dl_set_result(op, 0, elem, &s);
    return DL_OK;
}

/* CastLike(input, target_type): input's shape with target_type's element type. */
static dl_status infer_cast_like(dl_op *op) {
    dl_shape s, target;
    if (dl_operand_shape(op, 0, &s) != DL_OK || dl_operand_shape(op, 1, &target) != DL_OK)
        return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 1), &s);
    return DL_OK;
}

/* RandomUniformLike, RandomNormalLike, Bernoulli: the operand's shape; the element type is the
 * optional 'dtype' attribute's, else the operand's. */
static dl_status infer_random_like(dl_op *op) {
    dl_shape s;
    if (dl_operand_shape(op, 0, &s) != DL_OK) return DL_FAILURE;
    const dl_type *elem = dl_operand_elem(op, 0);
    if (dl_op_attr(op, "dtype")) {
        elem = dtype_attr(op, "dtype", dl_op_attr_int(op, "dtype", 0));
        if (!elem) return DL_FAILURE;
    }
    dl_set_result(op, 0, elem, &s);
    return DL_OK;
}

/* Dropout(data, ratio?, training_mode?): output like data, optional mask of bools. */
static dl_status infer_dropout(dl_op *op) {
    dl_shape s;
    if (dl_operand_shape(op, 0, &s) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &s);
    dl_set_optional_result(op, 1, dl_type_scalar(op->ctx, DL_TY_I1), &s);
    return DL_OK;
}

/* ---- Broadcasting ops ---- */

/* Binary arithmetic and logic (Add, Mod, And, BitShift...) and the variadic Max, Min, Sum,
 * Mean: all operands share one element type; the result is their broadcast shape. */
static dl_status infer_broadcast(dl_op *op) {
    dl_shape s;
    if (broadcast_operands(op, 0, op->num_operands, true, &s) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &s);
    return DL_OK;
}

/* BitShift(X, Y): like the other broadcasting ops, with the required 'direction'. */
static dl_status infer_bitshift(dl_op *op) {
    const char *dir = dl_op_attr_str(op, "direction", "");
    if (strcmp(dir, "LEFT") != 0 && strcmp(dir, "RIGHT") != 0)
        return dl_op_error(op, "'direction' must be \"LEFT\" or \"RIGHT\", got \"%s\"", dir);
    return infer_broadcast(op);
}

/* Equal, Greater, Less...: operands of one element type, a bool result of broadcast shape. */
static dl_status infer_compare(dl_op *op) {
    dl_shape s;
    if (broadcast_operands(op, 0, 2, true, &s) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_type_scalar(op->ctx, DL_TY_I1), &s);
    return DL_OK;
}

/* Pow(X, Y): the exponent may have another element type; the result has X's. */
static dl_status infer_pow(dl_op *op) {
    dl_shape s;
    if (broadcast_operands(op, 0, 2, false, &s) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &s);
    return DL_OK;
}

/* Where(condition, X, Y): bool condition, X and Y of one element type; all three broadcast. */
static dl_status infer_where(dl_op *op) {
    dl_shape s;
    if (broadcast_operands(op, 0, 3, false, &s) != DL_OK) return DL_FAILURE;
    if (dl_operand_elem(op, 0)->kind != DL_TY_I1)
        return dl_op_error(op, "operand 0 (condition) must be a bool (i1) tensor, got %s",
                           dl_type_str(op->ctx, dl_operand(op, 0)->type));
    if (same_elem(op, 2, 1) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 1), &s);
    return DL_OK;
}

/* PRelu(X, slope): slope broadcasts to X in one direction, so the result has X's type. */
static dl_status infer_prelu(dl_op *op) {
    dl_shape s[2], b;
    if (dl_operand_shape(op, 0, &s[0]) != DL_OK || dl_operand_shape(op, 1, &s[1]) != DL_OK ||
        same_elem(op, 1, 0) != DL_OK || dl_broadcast(op, 2, s, &b) != DL_OK)
        return DL_FAILURE;
    bool ok = b.rank == s[0].rank;
    for (int i = 0; ok && i < b.rank; i++) ok = b.dims[i] == s[0].dims[i] || s[0].dims[i] == DL_DYN;
    if (!ok)
        return dl_op_error(op,
                           "operand 1 (slope) does not broadcast to the shape of operand 0 (X)");
    dl_set_result(op, 0, dl_operand_elem(op, 0), &s[0]);
    return DL_OK;
}

/* ---- Quantization ---- */

/* Checks a quantization scale or zero point (operand i) against input x of shape xs: a scalar
 * (per tensor) or a 1-D tensor with one entry per element along 'axis' (per axis). */
static dl_status check_quant_param(dl_op *op, unsigned i, const dl_shape *xs) {
    dl_shape p;
    if (dl_operand_shape(op, i, &p) != DL_OK) return DL_FAILURE;
    if (p.rank > 1)
        return dl_op_error(op, "operand %u must be a scalar or a 1-D tensor, got rank %d", i,
                           p.rank);
    if (p.rank == 1) {
        int64_t axis;
        if (dl_norm_axis(op, dl_op_attr_int(op, "axis", 1), xs->rank, &axis) != DL_OK)
            return DL_FAILURE;
        int64_t want = xs->rank ? xs->dims[axis] : 1;
        if (p.dims[0] != DL_DYN && want != DL_DYN && p.dims[0] != want && p.dims[0] != 1)
            return dl_op_error(op,
                               "operand %u has %lld entries, expected %lld (one per element "
                               "along axis %lld)",
                               i, (long long)p.dims[0], (long long)want, (long long)axis);
    }
    return DL_OK;
}

/* QuantizeLinear(x, y_scale, y_zero_point?): x's shape; the element type of y_zero_point, or
 * u8 without one. */
static dl_status infer_quantize(dl_op *op) {
    dl_shape s;
    if (dl_operand_shape(op, 0, &s) != DL_OK || check_quant_param(op, 1, &s) != DL_OK)
        return DL_FAILURE;
    const dl_type *elem = dl_type_scalar(op->ctx, DL_TY_U8);
    if (dl_has_operand(op, 2)) {
        if (check_quant_param(op, 2, &s) != DL_OK) return DL_FAILURE;
        elem = dl_operand_elem(op, 2);
    }
    dl_set_result(op, 0, elem, &s);
    return DL_OK;
}

/* DequantizeLinear(x, x_scale, x_zero_point?): x's shape with x_scale's element type; the zero
 * point has x's element type. */
static dl_status infer_dequantize(dl_op *op) {
    dl_shape s;
    if (dl_operand_shape(op, 0, &s) != DL_OK || check_quant_param(op, 1, &s) != DL_OK)
        return DL_FAILURE;
    if (dl_has_operand(op, 2) &&
        (check_quant_param(op, 2, &s) != DL_OK || same_elem(op, 2, 0) != DL_OK))
        return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 1), &s);
    return DL_OK;
}

/* DynamicQuantizeLinear(x): y (u8, x's shape), y_scale (f32 scalar), y_zero_point (u8 scalar). */
static dl_status infer_dynamic_quantize(dl_op *op) {
    dl_shape s, scalar = {.rank = 0};
    if (dl_operand_shape(op, 0, &s) != DL_OK) return DL_FAILURE;
    const dl_type *u8 = dl_type_scalar(op->ctx, DL_TY_U8);
    dl_set_result(op, 0, u8, &s);
    dl_set_optional_result(op, 1, dl_type_scalar(op->ctx, DL_TY_F32), &scalar);
    dl_set_optional_result(op, 2, u8, &scalar);
    return DL_OK;
}

const dl_infer_entry dl_infer_elementwise[] = {
    {DL_OP_graph_Abs, infer_unary},
    {DL_OP_graph_Acos, infer_unary},
    {DL_OP_graph_Acosh, infer_unary},
    {DL_OP_graph_Asin, infer_unary},
    {DL_OP_graph_Asinh, infer_unary},
    {DL_OP_graph_Atan, infer_unary},
    {DL_OP_graph_Atanh, infer_unary},
    {DL_OP_graph_Ceil, infer_unary},
    {DL_OP_graph_Celu, infer_unary},
    {DL_OP_graph_Clip, infer_unary},
    {DL_OP_graph_Cos, infer_unary},
    {DL_OP_graph_Cosh, infer_unary},
    {DL_OP_graph_Elu, infer_unary},
    {DL_OP_graph_Erf, infer_unary},
    {DL_OP_graph_Exp, infer_unary},
    {DL_OP_graph_Floor, infer_unary},
    {DL_OP_graph_Gelu, infer_unary},
    {DL_OP_graph_HardSigmoid, infer_unary},
    {DL_OP_graph_HardSwish, infer_unary},
    {DL_OP_graph_LeakyRelu, infer_unary},
    {DL_OP_graph_Log, infer_unary},
    {DL_OP_graph_Mish, infer_unary},
    {DL_OP_graph_Neg, infer_unary},
    {DL_OP_graph_Not, infer_unary},
    {DL_OP_graph_Reciprocal, infer_unary},
    {DL_OP_graph_Relu, infer_unary},
    {DL_OP_graph_Round, infer_unary},
    {DL_OP_graph_Selu, infer_unary},
    {DL_OP_graph_Shrink, infer_unary},
    {DL_OP_graph_Sigmoid, infer_unary},
    {DL_OP_graph_Sign, infer_unary},
    {DL_OP_graph_Sin, infer_unary},
    {DL_OP_graph_Sinh, infer_unary},
    {DL_OP_graph_Softplus, infer_unary},
    {DL_OP_graph_Softsign, infer_unary},
    {DL_OP_graph_Sqrt, infer_unary},
    {DL_OP_graph_Tan, infer_unary},
    {DL_OP_graph_Tanh, infer_unary},
    {DL_OP_graph_ThresholdedRelu, infer_unary},
    {DL_OP_graph_Add, infer_broadcast},
    {DL_OP_graph_And, infer_broadcast},
    {DL_OP_graph_BitShift, infer_bitshift},
    {DL_OP_graph_Div, infer_broadcast},
    {DL_OP_graph_Max, infer_broadcast},
    {DL_OP_graph_Mean, infer_broadcast},
    {DL_OP_graph_Min, infer_broadcast},
    {DL_OP_graph_Mod, infer_broadcast},
    {DL_OP_graph_Mul, infer_broadcast},
    {DL_OP_graph_Or, infer_broadcast},
    {DL_OP_graph_Sub, infer_broadcast},
    {DL_OP_graph_Sum, infer_broadcast},
    {DL_OP_graph_Xor, infer_broadcast},
    {DL_OP_graph_Equal, infer_compare},
    {DL_OP_graph_Greater, infer_compare},
    {DL_OP_graph_GreaterOrEqual, infer_compare},
    {DL_OP_graph_Less, infer_compare},
    {DL_OP_graph_LessOrEqual, infer_compare},
    {DL_OP_graph_Identity, infer_identity},
    {DL_OP_graph_IsInf, infer_predicate},
    {DL_OP_graph_IsNaN, infer_predicate},
    {DL_OP_graph_Cast, infer_cast},
    {DL_OP_graph_CastLike, infer_cast_like},
    {DL_OP_graph_Bernoulli, infer_random_like},
    {DL_OP_graph_RandomNormalLike, infer_random_like},
    {DL_OP_graph_RandomUniformLike, infer_random_like},
    {DL_OP_graph_Dropout, infer_dropout},
    {DL_OP_graph_Pow, infer_pow},
    {DL_OP_graph_Where, infer_where},
    {DL_OP_graph_PRelu, infer_prelu},
    {DL_OP_graph_QuantizeLinear, infer_quantize},
    {DL_OP_graph_DequantizeLinear, infer_dequantize},
    {DL_OP_graph_DynamicQuantizeLinear, infer_dynamic_quantize},
    {DL_OP__INVALID, NULL},
};
