/* verify.c: verifiers of the arith dialect's scalar and vector ops. */
#include "dlcc/ir.h"

#include <string.h>

/* Lane count of a vector type, 0 for a scalar, -1 for anything else. */
static int lanes(const dl_type *t) {
    if (dl_type_is_scalar(t)) return 0;
    if (t->kind == DL_TY_VECTOR && t->rank == 1) return (int)t->dims[0];
    return -1;
}

static dl_status check_scalar_or_vector(dl_op *op, const dl_type *t, const char *what) {
    if (lanes(t) < 0)
        return dl_op_error(op, "%s must be a scalar or a 1-d vector, got %s", what,
                           dl_type_str(op->ctx, t));
    return DL_OK;
}

dl_status dl_verify_arith_same(dl_op *op) {
    const dl_type *t = op->results[0].type;
    if (check_scalar_or_vector(op, t, "the result")) return DL_FAILURE;
    for (unsigned i = 0; i < op->num_operands; i++)
        if (dl_operand(op, i)->type != t)
            return dl_op_error(op, "operand %u has type %s, expected %s like the result", i,
                               dl_type_str(op->ctx, dl_operand(op, i)->type),
                               dl_type_str(op->ctx, t));
    const dl_type *e = dl_type_elem(t);
    bool is_float = dl_type_is_float(e);
    switch (op->kind) {
    case DL_OP_arith_and:
    case DL_OP_arith_or:
    case DL_OP_arith_xor:
    case DL_OP_arith_shl:
    case DL_OP_arith_shr:
    case DL_OP_arith_not:
        if (is_float) return dl_op_error(op, "needs integer operands");
        break;
    case DL_OP_arith_pow:
    case DL_OP_arith_atan2:
    case DL_OP_arith_fma:
        if (!is_float) return dl_op_error(op, "needs floating-point operands");
        break;
    default: break;
    }
    return DL_OK;
}

dl_status dl_verify_arith_float(dl_op *op) {
    if (dl_verify_arith_same(op)) return DL_FAILURE;
    if (!dl_type_is_float(dl_type_elem(op->results[0].type)))
        return dl_op_error(op, "needs a floating-point type");
    return DL_OK;
}

static dl_status check_bool_result(dl_op *op, const dl_type *operand) {
    const dl_type *r = op->results[0].type;
    if (dl_type_elem(r)->kind != DL_TY_I1 || lanes(r) != lanes(operand))
        return dl_op_error(op, "result must be i1 with the operand's vector shape");
    return DL_OK;
}

dl_status dl_verify_arith_predicate(dl_op *op) {
    const dl_type *t = dl_operand(op, 0)->type;
    if (check_scalar_or_vector(op, t, "the operand")) return DL_FAILURE;
    if (!dl_type_is_float(dl_type_elem(t)))
        return dl_op_error(op, "needs a floating-point operand");
    return check_bool_result(op, t);
}

dl_status dl_verify_arith_cmp(dl_op *op) {
    static const char *preds[] = {"eq", "ne", "lt", "le", "gt", "ge"};
    const char *pred = dl_op_attr_str(op, "pred", NULL);
    bool ok = false;
    for (size_t i = 0; pred && i < sizeof preds / sizeof *preds; i++)
        ok |= strcmp(pred, preds[i]) == 0;
    if (!ok) return dl_op_error(op, "needs a 'pred' attribute: one of eq, ne, lt, le, gt, ge");
    const dl_type *t = dl_operand(op, 0)->type;
    if (check_scalar_or_vector(op, t, "the operand")) return DL_FAILURE;
    if (dl_operand(op, 1)->type != t) return dl_op_error(op, "compares values of different types");
    return check_bool_result(op, t);
}

dl_status dl_verify_arith_select(dl_op *op) {
    const dl_type *c = dl_operand(op, 0)->type, *t = op->results[0].type;
    if (check_scalar_or_vector(op, t, "the result")) return DL_FAILURE;
    if (dl_type_elem(c)->kind != DL_TY_I1 || (lanes(c) != 0 && lanes(c) != lanes(t)))
        return dl_op_error(op, "condition must be i1 (or a vector of i1 as wide as the result)");
    if (dl_operand(op, 1)->type != t || dl_operand(op, 2)->type != t)
        return dl_op_error(op, "both choices must have the result type");
    return DL_OK;
}

dl_status dl_verify_arith_cast(dl_op *op) {
    const dl_type *a = dl_operand(op, 0)->type, *r = op->results[0].type;
    if (check_scalar_or_vector(op, a, "the operand") || check_scalar_or_vector(op, r, "the result"))
        return DL_FAILURE;
    if (lanes(a) != lanes(r))
        return dl_op_error(op, "operand and result must have the same lane count");
    if (op->kind == DL_OP_arith_bitcast &&
        dl_scalar_bits(dl_type_elem(a)->kind) != dl_scalar_bits(dl_type_elem(r)->kind))
        return dl_op_error(op, "bitcast needs types of the same width");
    return DL_OK;
}

dl_status dl_verify_arith_broadcast(dl_op *op) {
    const dl_type *a = dl_operand(op, 0)->type, *r = op->results[0].type;
    if (!dl_type_is_scalar(a) || lanes(r) <= 0 || r->elem != a)
        return dl_op_error(op, "broadcasts a scalar to a vector of that scalar type");
    return DL_OK;
}

dl_status dl_verify_arith_reduce(dl_op *op) {
    static const char *kinds[] = {"add", "mul", "max", "min"};
    const char *k = dl_op_attr_str(op, "kind", NULL);
    bool ok = false;
    for (size_t i = 0; k && i < 4; i++) ok |= strcmp(k, kinds[i]) == 0;
    if (!ok) return dl_op_error(op, "needs a 'kind' attribute: add, mul, max or min");
    const dl_type *a = dl_operand(op, 0)->type, *r = op->results[0].type;
    if (lanes(a) <= 0 || a->elem != r)
        return dl_op_error(op, "reduces a vector to its element type");
    return DL_OK;
}

dl_status dl_verify_arith_constant(dl_op *op) {
    const dl_attr *v = dl_op_attr(op, "value");
    const dl_type *t = op->results[0].type;
    if (check_scalar_or_vector(op, t, "the result")) return DL_FAILURE;
    if (!v || (v->kind != DL_ATTR_INT && v->kind != DL_ATTR_FLOAT))
        return dl_op_error(op, "needs an integer or float 'value' attribute");
    if (v->type != dl_type_elem(t))
        return dl_op_error(op, "value has type %s but the result is %s",
                           dl_type_str(op->ctx, v->type), dl_type_str(op->ctx, t));
    return DL_OK;
}
