/* verify.c: structural verification of graph-dialect ops. */
#include "infer.h"

#include <stdlib.h>

static bool graph_value_type(const dl_type *t) {
    return t->kind == DL_TY_TENSOR || t->kind == DL_TY_SEQ || t->kind == DL_TY_NONE;
}

dl_status dl_verify_graph_op(dl_op *op) {
    for (unsigned i = 0; i < op->num_results; i++)
        if (!graph_value_type(op->results[i].type))
            return dl_op_error(op, "result %u must be a tensor, sequence or none, got %s", i,
                               dl_type_str(op->ctx, op->results[i].type));
    for (unsigned i = 0; i < op->num_operands; i++)
        if (!graph_value_type(dl_operand(op, i)->type))
            return dl_op_error(op, "operand %u must be a tensor, sequence or none, got %s", i,
                               dl_type_str(op->ctx, dl_operand(op, i)->type));
    switch (op->kind) {
    case DL_OP_graph_None:
        if (op->results[0].type->kind != DL_TY_NONE)
            return dl_op_error(op, "result must be 'none'");
        break;
    case DL_OP_graph_Constant: {
        const dl_attr *v = dl_op_attr(op, "value");
        if (!v || v->kind != DL_ATTR_DENSE)
            return dl_op_error(op, "needs a dense 'value' attribute");
        if (v->type != op->results[0].type)
            return dl_op_error(op, "result type must be the value's type");
        break;
    }
    case DL_OP_graph_Yield: {
        dl_op *p = dl_op_parent(op);
        if (!p || (p->kind != DL_OP_graph_If && p->kind != DL_OP_graph_Loop &&
                   p->kind != DL_OP_graph_Scan))
            return dl_op_error(op, "must end the body of graph.If, graph.Loop or graph.Scan");
        break;
    }
    case DL_OP_graph_Transpose: {
        int64_t perm[64];
        const dl_type *t = dl_operand(op, 0)->type;
        int n = dl_op_attr_ints(op, "perm", perm, 64);
        if (n >= 0 && t->kind == DL_TY_TENSOR) {
            if (n != t->rank)
                return dl_op_error(op, "'perm' has %d entries for rank %d", n, t->rank);
            unsigned seen = 0;
            for (int i = 0; i < n; i++) {
                if (perm[i] < 0 || perm[i] >= n || (seen & (1u << perm[i])))
                    return dl_op_error(op, "'perm' is not a permutation");
                seen |= 1u << perm[i];
            }
        }
        break;
    }
    default: break;
    }
    return dl_graph_check_types(op);
}

/* True if the declared type is the inferred one, or the same with some known sizes left
 * dynamic (rewrites may expose constants that let inference see further than when the type
 * was declared; a declared size that inference cannot confirm is an error). */
static bool declared_fits(const dl_type *declared, const dl_type *inferred) {
    if (declared == inferred) return true;
    if (declared->kind == DL_TY_SEQ && inferred->kind == DL_TY_SEQ)
        return declared_fits(declared->elem, inferred->elem);
    if (declared->kind != DL_TY_TENSOR || inferred->kind != DL_TY_TENSOR ||
        declared->elem != inferred->elem || declared->rank != inferred->rank)
        return false;
    for (int i = 0; i < declared->rank; i++)
        if (declared->dims[i] != DL_DYN && declared->dims[i] != inferred->dims[i]) return false;
    return true;
}

/* Re-runs shape inference on op and requires the declared result types to fit it. */
dl_status dl_graph_check_types(dl_op *op) {
    if (!dl_graph_has_infer(op->kind)) return DL_OK;
    const dl_type *saved[64];
    if (op->num_results > 64) return DL_OK;
    for (unsigned i = 0; i < op->num_results; i++) saved[i] = op->results[i].type;
    dl_status st = dl_graph_infer(op);
    for (unsigned i = 0; st == DL_OK && i < op->num_results; i++)
        if (!declared_fits(saved[i], op->results[i].type)) {
            dl_op_error(op, "result %u is declared %s but inference gives %s", i,
                        dl_type_str(op->ctx, saved[i]), dl_type_str(op->ctx, op->results[i].type));
            st = DL_FAILURE;
        }
    for (unsigned i = 0; i < op->num_results; i++) op->results[i].type = saved[i];
    return st;
}

const dl_attr *dl_graph_constant_value(const dl_value *v) {
    if (!v || !v->def || v->def->kind != DL_OP_graph_Constant) return NULL;
    const dl_attr *a = dl_op_attr(v->def, "value");
    return a && a->kind == DL_ATTR_DENSE ? a : NULL;
}

bool dl_graph_is_none(const dl_value *v) {
    return v && v->def && v->def->kind == DL_OP_graph_None;
}
