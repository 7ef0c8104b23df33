/* infer_pass.c: the graph-infer pass: recomputes the result types of every graph op in
 * program order and updates function signatures to match what they return. */
#include "infer.h"

#include <string.h>

/* Post-order: the ops of an If/Loop/Scan body are inferred before the op itself. */
static void infer_op(dl_op *op, void *user) {
    dl_status *st = user;
    if (op->kind == DL_OP_graph_None || op->kind == DL_OP_graph_Yield) return;
    if (strcmp(dl_op_info_of(op)->dialect, "graph") == 0 && dl_graph_infer(op) != DL_OK)
        *st = DL_FAILURE;
}

static void update_signature(dl_op *func) {
    dl_op *ret = dl_func_return(func);
    const dl_type *t = dl_func_type(func);
    if (!ret || !t || ret->num_operands != t->num_results || ret->num_operands > 256) return;
    const dl_type *results[256];
    for (unsigned i = 0; i < ret->num_operands; i++) results[i] = dl_operand(ret, i)->type;
    const dl_type *nt =
        dl_type_func(func->ctx, t->num_inputs, t->inputs, ret->num_operands, results);
    dl_op_set_attr(func, "function_type", dl_attr_type(func->ctx, nt));
}

dl_status dl_pass_graph_infer(dl_op *module, const dl_pass_options *options) {
    (void)options;
    dl_status st = DL_OK;
    for (dl_op *f = dl_module_body(module)->first; f; f = f->next) {
        if (f->kind != DL_OP_builtin_func) continue;
        dl_walk_post(f, infer_op, &st);
        update_signature(f);
    }
    return st;
}
