/* fold_pass.c: the graph-fold pass: replaces every graph op that folds (constant operands, or
 * Shape/Size/ConstantOfShape of static types) by constants, in program order, re-inferring the
 * result types of ops whose types are not static on the way so that later ops see the shapes
 * folding revealed; repeats until nothing changes, then erases unused constants and updates
 * function signatures to the types they now return. */
#include "fold.h"

#include <string.h>

/* Sweeps that change something before the pass stops (one sweep in program order normally
 * reaches the fixpoint; regions can need one more; the bound guards against surprises). */
enum { MAX_SWEEPS = 8 };

static bool is_foldable_candidate(const dl_op *op) {
    return strcmp(dl_op_info_of(op)->dialect, "graph") == 0 && op->kind != DL_OP_graph_Constant &&
           op->kind != DL_OP_graph_None && op->kind != DL_OP_graph_Yield;
}

static bool has_dynamic_tensor_result(const dl_op *op) {
    for (unsigned i = 0; i < op->num_results; i++) {
        const dl_type *t = op->results[i].type;
        if (t->kind == DL_TY_TENSOR && !dl_type_has_static_shape(t)) return true;
    }
    return false;
}

/* Re-infers op's result types; true if one of them changed. */
static bool refine_types(dl_op *op, dl_status *st) {
    enum { MAX_RESULTS = 64 };
    const dl_type *before[MAX_RESULTS];
    if (op->num_results > MAX_RESULTS) return false;
    for (unsigned i = 0; i < op->num_results; i++) before[i] = op->results[i].type;
    if (dl_graph_infer(op) != DL_OK) {
        *st = DL_FAILURE;
        return false;
    }
    for (unsigned i = 0; i < op->num_results; i++)
        if (op->results[i].type != before[i]) return true;
    return false;
}

/* One program-order sweep over func; true if some op folded or got a more precise type (a
 * region's result types may then refine its parent's in the next sweep). */
static bool sweep(dl_op *func, dl_status *st) {
    size_t n;
    dl_op **ops = dl_collect_ops(func, &n);
    bool changed = false;
    for (size_t i = 0; i < n && *st == DL_OK; i++) {
        dl_op *op = ops[i];
        if (!op->block || !is_foldable_candidate(op)) continue;
        if (has_dynamic_tensor_result(op) && dl_graph_has_infer(op->kind))
            changed |= refine_types(op, st);
        if (*st == DL_OK && dl_graph_fold_in_place(op)) changed = true;
    }
    return changed;
}

static void erase_dead_constants(dl_block *b) {
    for (dl_op *o = b->last, *prev; o; o = prev) {
        prev = o->prev;
        for (unsigned r = 0; r < o->num_regions; r++)
            for (dl_block *ib = o->regions[r].first; ib; ib = ib->next) erase_dead_constants(ib);
        if ((o->kind == DL_OP_graph_Constant || o->kind == DL_OP_graph_None) &&
            dl_op_results_unused(o))
            dl_op_erase(o);
    }
}

/* Makes func's signature return the types its return op now returns. */
static void update_signature(dl_op *func) {
    dl_op *ret = dl_func_return(func);
    const dl_type *t = dl_func_type(func);
    if (!ret || !t || ret->num_operands != t->num_results) return;
    const dl_type **results = DL_NEW_ARRAY(func->ctx, const dl_type *, ret->num_operands + 1);
    bool same = true;
    for (unsigned i = 0; i < ret->num_operands; i++) {
        results[i] = dl_operand(ret, i)->type;
        same &= results[i] == t->results[i];
    }
    if (same) return;
    const dl_type *nt =
        dl_type_func(func->ctx, t->num_inputs, t->inputs, ret->num_operands, results);
    dl_op_set_attr(func, "function_type", dl_attr_type(func->ctx, nt));
}

/* The graph-fold pass (no options). Fails, after an error at the op, when re-inference finds
 * an op invalid once folding revealed its operands (e.g. a Reshape to a wrong element count). */
dl_status dl_pass_graph_fold(dl_op *module, const dl_pass_options *options) {
    (void)options;
    dl_status st = DL_OK;
    for (dl_op *f = dl_module_body(module)->first; f; f = f->next) {
        if (f->kind != DL_OP_builtin_func) continue;
        for (int i = 0; i < MAX_SWEEPS && st == DL_OK; i++)
            if (!sweep(f, &st)) break;
        for (unsigned r = 0; r < f->num_regions; r++)
            for (dl_block *b = f->regions[r].first; b; b = b->next) erase_dead_constants(b);
        update_signature(f);
    }
    return st;
}
