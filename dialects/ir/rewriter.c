/* rewriter.c: the greedy pattern-rewrite driver: a worklist of ops, patterns applied until
 * a fixpoint, dead pure ops erased on the way. */
#include "dlcc/pass.h"
#include "internal.h"

#include <stdlib.h>

struct dl_rewriter {
    dl_context *ctx;
    dl_op *root;
    dl_op **stack; /* worklist (LIFO) */
    size_t count, cap;
    dl_ptrmap queued; /* op -> non-NULL while on the worklist */
};

dl_context *dl_rw_context(dl_rewriter *rw) {
    return rw->ctx;
}

static void push(dl_rewriter *rw, dl_op *op) {
    if (!op || dl_ptrmap_get(&rw->queued, op)) return;
    if (rw->count == rw->cap) {
        rw->cap = rw->cap ? rw->cap * 2 : 256;
        dl_op **s = realloc(rw->stack, sizeof(*s) * rw->cap);
        DL_ASSERT(s);
        rw->stack = s;
    }
    rw->stack[rw->count++] = op;
    dl_ptrmap_set(&rw->queued, op, op);
}

static void push_users(dl_rewriter *rw, dl_value *v) {
    for (dl_use *u = v->uses; u; u = u->next) push(rw, u->owner);
}

/* Revisit the producers of op's operands: they may have become dead. */
static void push_operand_defs(dl_rewriter *rw, dl_op *op) {
    for (unsigned i = 0; i < op->num_operands; i++) {
        dl_value *v = dl_operand(op, i);
        if (v && v->def) push(rw, v->def);
    }
}

void dl_rw_notify(dl_rewriter *rw, dl_op *op) {
    push(rw, op);
    for (unsigned i = 0; i < op->num_results; i++) push_users(rw, &op->results[i]);
}

void dl_rw_erase(dl_rewriter *rw, dl_op *op) {
    push_operand_defs(rw, op);
    dl_op_erase(op);
}

void dl_rw_replace(dl_rewriter *rw, dl_op *op, dl_value *const *vals) {
    for (unsigned i = 0; i < op->num_results; i++) {
        push_users(rw, &op->results[i]);
        if (vals[i] && vals[i]->def) push(rw, vals[i]->def);
        if (vals[i] && !vals[i]->name) vals[i]->name = op->results[i].name;
        dl_value_replace_all_uses(&op->results[i], vals[i]);
    }
    dl_rw_erase(rw, op);
}

void dl_rw_replace1(dl_rewriter *rw, dl_op *op, dl_value *val) {
    dl_rw_replace(rw, op, &val);
}

/* An op is live if it and all its ancestors up to the root are still linked. */
static bool is_live(const dl_rewriter *rw, dl_op *op) {
    for (dl_op *o = op; o != rw->root; o = dl_op_parent(o))
        if (!o || !o->block) return false;
    return true;
}

static dl_walk_result seed(dl_op *op, void *user) {
    dl_rewriter *rw = user;
    if (op != rw->root) push(rw, op);
    return DL_WALK_ADVANCE;
}

bool dl_apply_patterns(dl_op *root, const dl_pattern *patterns, size_t num_patterns) {
    dl_rewriter rw = {.ctx = root->ctx, .root = root};
    dl_walk(root, seed, &rw);
    /* Reverse so that the first ops in program order are processed first. */
    for (size_t i = 0; i < rw.count / 2; i++) {
        dl_op *t = rw.stack[i];
        rw.stack[i] = rw.stack[rw.count - 1 - i];
        rw.stack[rw.count - 1 - i] = t;
    }
    size_t budget = 10 * rw.count + 1000, steps = 0;
    bool changed = false;
    while (rw.count && steps++ < budget) {
        dl_op *op = rw.stack[--rw.count];
        dl_ptrmap_del(&rw.queued, op);
        if (!is_live(&rw, op)) continue;
        if (dl_op_has_trait(op, DL_TRAIT_PURE) && op->num_results && dl_op_results_unused(op)) {
            dl_rw_erase(&rw, op);
            changed = true;
            continue;
        }
        for (size_t i = 0; i < num_patterns; i++) {
            const dl_pattern *p = &patterns[i];
            if (p->kind != DL_OP__INVALID && p->kind != op->kind) continue;
            if (p->apply(op, &rw)) {
                changed = true;
                break;
            }
        }
    }
    free(rw.stack);
    dl_ptrmap_free(&rw.queued);
    return changed;
}
