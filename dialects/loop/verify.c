/* verify.c: verifiers of the loop dialect (loops, conditionals, memory accesses). */
#include "dlcc/ir.h"

static dl_status check_body(dl_op *op, unsigned region, unsigned num_args, bool may_be_empty) {
    dl_region *r = dl_op_region(op, region);
    if (!r->first) {
        if (may_be_empty) return DL_OK;
        return dl_op_error(op, "region %u needs a body block", region);
    }
    if (r->first->next) return dl_op_error(op, "region %u must have a single block", region);
    dl_block *b = r->first;
    if (b->num_args != num_args)
        return dl_op_error(op, "body block must take %u arguments", num_args);
    for (unsigned i = 0; i < num_args; i++)
        if (b->args[i]->type->kind != DL_TY_INDEX)
            return dl_op_error(op, "loop induction variables are 'index'");
    if (!b->last || b->last->kind != DL_OP_loop_yield)
        return dl_op_error(op, "region %u must end with 'loop.yield'", region);
    return DL_OK;
}

dl_status dl_verify_loop_for(dl_op *op) {
    for (unsigned i = 0; i < op->num_operands; i++)
        if (dl_operand(op, i)->type->kind != DL_TY_INDEX)
            return dl_op_error(op, "bounds and step must be 'index'");
    return check_body(op, 0, 1, false);
}

dl_status dl_verify_loop_if(dl_op *op) {
    if (dl_operand(op, 0)->type->kind != DL_TY_I1) return dl_op_error(op, "condition must be i1");
    if (check_body(op, 0, 0, false)) return DL_FAILURE;
    return check_body(op, 1, 0, true);
}

dl_status dl_verify_loop_while(dl_op *op) {
    dl_region *r = dl_op_region(op, 0);
    if (!r->first || r->first->next || r->first->num_args)
        return dl_op_error(op, "needs one body block without arguments");
    if (!r->first->last || r->first->last->kind != DL_OP_loop_condition)
        return dl_op_error(op, "body must end with 'loop.condition'");
    return DL_OK;
}

dl_status dl_verify_loop_condition(dl_op *op) {
    if (dl_operand(op, 0)->type->kind != DL_TY_I1) return dl_op_error(op, "condition must be i1");
    dl_op *parent = dl_op_parent(op);
    if (!parent || parent->kind != DL_OP_loop_while)
        return dl_op_error(op, "must end the body of a 'loop.while'");
    return DL_OK;
}

static dl_status check_access(dl_op *op, unsigned memref_index, const dl_type *value_type) {
    const dl_type *m = dl_operand(op, memref_index)->type;
    if (m->kind != DL_TY_MEMREF)
        return dl_op_error(op, "accesses a memref, got %s", dl_type_str(op->ctx, m));
    if (op->num_operands - memref_index - 1 != (unsigned)m->rank)
        return dl_op_error(op, "needs %d indices for %s", m->rank, dl_type_str(op->ctx, m));
    for (unsigned i = memref_index + 1; i < op->num_operands; i++)
        if (dl_operand(op, i)->type->kind != DL_TY_INDEX)
            return dl_op_error(op, "indices must be 'index'");
    bool ok = value_type == m->elem || (value_type->kind == DL_TY_VECTOR && value_type->rank == 1 &&
                                        value_type->elem == m->elem);
    if (!ok)
        return dl_op_error(op, "value type %s does not match %s", dl_type_str(op->ctx, value_type),
                           dl_type_str(op->ctx, m));
    return DL_OK;
}

dl_status dl_verify_loop_load(dl_op *op) {
    return check_access(op, 0, op->results[0].type);
}
dl_status dl_verify_loop_store(dl_op *op) {
    return check_access(op, 1, dl_operand(op, 0)->type);
}

dl_status dl_verify_loop_alloca(dl_op *op) {
    const dl_type *t = op->results[0].type;
    if (t->kind != DL_TY_MEMREF || !dl_type_has_static_shape(t))
        return dl_op_error(op, "allocates a memref with a static shape");
    return DL_OK;
}
