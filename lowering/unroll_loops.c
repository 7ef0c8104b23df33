/* unroll_loops.c: graph.Loop becomes straight-line graph ops before the kernel lowering. The
 * kernel level has no control flow around kernels (each kernel.generic is one statement of the
 * function's ISL schedule), and a Loop body's shapes often depend on the iteration number (a
 * Slice at i), so the body is cloned once per iteration with the iteration number a constant,
 * and every clone is re-inferred and folded where its operands are constants: shapes become
 * static and conditions computed from constants become constants.
 *
 * The number of iterations must be known at compile time: a constant trip count M, or a
 * condition that becomes a constant false. A condition known only at run time is allowed with
 * a constant M when the loop has no scan outputs (their length would be data): iterations then
 * run unconditionally and each loop-carried value is selected (Where) by the conjunction of the
 * conditions so far. Loops that cannot be unrolled keep a `dlcc.unroll_failure` attribute
 * stating why, which their lowering reports (the function is a scratch copy, see lower_pass.c). */
#include "lower.h"

#include "dialects/graph/fold.h"

#include <string.h>

/* Most body ops cloned over all unrolled iterations of one function. */
#define UNROLL_MAX_OPS 1024

#define TOO_MANY "it has too many iterations to unroll"
#define SCAN_AT_RUN_TIME                                                                           \
    "scan outputs of a loop whose condition is only known at run time have a data-dependent "      \
    "length"

typedef struct unroller {
    dl_context *ctx;
    int64_t budget; /* body ops that may still be cloned */
} unroller;

/* ---- Inference and folding of new ops ------------------------------------------------------- */

static void infer_one(dl_op *op, void *user) {
    dl_status *st = user;
    if (op->kind == DL_OP_graph_None || op->kind == DL_OP_graph_Yield) return;
    if (strcmp(dl_op_info_of(op)->dialect, "graph") == 0 && dl_graph_infer(op) != DL_OK)
        *st = DL_FAILURE;
}

/* Re-infers the result types of op (and of the ops in its regions first). */
static dl_status infer(dl_op *op) {
    dl_status st = DL_OK;
    dl_walk_post(op, infer_one, &st);
    return st;
}

static bool static_results(const dl_op *op) {
    for (unsigned i = 0; i < op->num_results; i++)
        if (op->results[i].type->kind != DL_TY_TENSOR ||
            !dl_type_has_static_shape(op->results[i].type))
            return false;
    return op->num_results > 0;
}

/* Replaces op by graph.Constant ops when its operands are constants; returns the constant
 * standing for result i in out[i] (op itself is erased), or false when it does not fold. */
static bool fold(dl_op *op, dl_value **out) {
    if (op->num_regions || !dl_op_has_trait(op, DL_TRAIT_PURE) ||
        op->kind == DL_OP_graph_Constant || strcmp(dl_op_info_of(op)->dialect, "graph") != 0 ||
        !static_results(op) || op->num_results > KB_MAX_OPERANDS)
        return false;
    const dl_attr *res[KB_MAX_OPERANDS] = {0};
    if (!dl_graph_fold(op, res)) return false;
    for (unsigned i = 0; i < op->num_results; i++)
        if (!res[i] || res[i]->type != op->results[i].type) return false;
    dl_builder b = dl_builder_before(op);
    for (unsigned i = 0; i < op->num_results; i++) {
        const dl_type *t = op->results[i].type;
        dl_op *c = dl_build(&b, DL_OP_graph_Constant, 0, NULL, 1, &t, 0);
        dl_op_set_attr(c, "value", res[i]);
        c->results[0].name = op->results[i].name;
        dl_value_replace_all_uses(&op->results[i], &c->results[0]);
        out[i] = &c->results[0];
    }
    dl_op_erase(op);
    return true;
}

/* The value standing for v once its producers are folded (recursively, in place) where they
 * only depend on constants: a graph.Constant, or v itself when it is not a constant. */
static dl_value *fold_value(dl_value *v, int depth) {
    dl_op *def = v->def;
    if (dl_graph_constant_value(v) || !def || depth > 32 || def->num_regions ||
        strcmp(dl_op_info_of(def)->dialect, "graph") != 0)
        return v;
    for (unsigned k = 0; k < def->num_operands; k++)
        if (lw_has(def, k) && !dl_graph_constant_value(fold_value(dl_operand(def, k), depth + 1)))
            return v;
    unsigned index = v->index;
    dl_value *outs[KB_MAX_OPERANDS];
    if (infer(def) != DL_OK || !fold(def, outs)) return v;
    return outs[index];
}

/* 1 or 0 for a constant boolean (or number) v, -1 when it is not a constant. */
static int bool_value(dl_value *v) {
    const dl_attr *a = dl_graph_constant_value(v);
    if (!a || dl_dense_num_elements(a) != 1) return -1;
    return dl_dense_get_f64(a, 0) != 0;
}

/* ---- Building graph ops ------------------------------------------------------------------- */

/* A graph op of kind at b, its result types inferred. */
static dl_value *graph_op(dl_builder *b, dl_op_kind kind, unsigned n, dl_value *const *ops,
                          const dl_type *guess) {
    dl_op *op = dl_build(b, kind, n, ops, 1, &guess, 0);
    return infer(op) == DL_OK ? &op->results[0] : NULL;
}

static dl_value *constant(dl_builder *b, const dl_type *t, int64_t v) {
    dl_op *c = dl_build(b, DL_OP_graph_Constant, 0, NULL, 1, &t, 0);
    dl_op_set_attr(c, "value", dl_attr_dense_from_i64(b->ctx, t, &v, 1));
    return &c->results[0];
}

/* scan[0..n) stacked along a new leading axis: Unsqueeze each, then Concat. */
static dl_value *stack(dl_builder *b, unsigned n, dl_value **scan) {
    dl_context *ctx = b->ctx;
    const dl_type *i64 = dl_type_scalar(ctx, DL_TY_I64);
    dl_value *axes = constant(b, dl_type_tensor(ctx, i64, 1, (int64_t[]){1}, NULL), 0);
    dl_value **parts = DL_NEW_ARRAY(ctx, dl_value *, n);
    for (unsigned k = 0; k < n; k++) {
        parts[k] =
            graph_op(b, DL_OP_graph_Unsqueeze, 2, (dl_value *[]){scan[k], axes}, scan[k]->type);
        if (!parts[k]) return NULL;
    }
    if (n == 1) return parts[0];
    dl_op *cat = dl_build(b, DL_OP_graph_Concat, n, parts, 1, &parts[0]->type, 0);
    dl_op_set_attr(cat, "axis", dl_attr_int(ctx, 0));
    return infer(cat) == DL_OK ? &cat->results[0] : NULL;
}

/* ---- Unrolling one Loop ------------------------------------------------------------------- */

static int64_t count_ops(dl_op *op) {
    size_t n;
    dl_collect_ops(op, &n);
    return (int64_t)n;
}

/* Erases the ops from `first` up to (not including) end, last first. */
static void erase_range(dl_op *first, dl_op *end) {
    while (end->prev != first) dl_op_erase(end->prev);
    dl_op_erase(first);
}

static bool fail(dl_op *loop, const char *why) {
    dl_op_set_attr(loop, "dlcc.unroll_failure", dl_attr_string(loop->ctx, why));
    return false;
}

/* Clones the body of loop once before it with the given iteration number, condition and
 * loop-carried values; *yields receives the clones of the Yield operands (arena array).
 * Returns NULL, or why it failed. */
static const char *clone_iteration(unroller *u, dl_op *loop, int64_t iter, dl_value *cond,
                                   dl_value *const *carried, dl_value ***yields) {
    dl_block *body = dl_op_body(loop, 0);
    dl_op *y = body->last;
    dl_builder b = dl_builder_before(loop);
    dl_value_map *map = dl_value_map_create(u->ctx);
    dl_value_map_set(map, body->args[0], constant(&b, body->args[0]->type, iter));
    dl_value_map_set(map, body->args[1], cond);
    for (unsigned i = 2; i < body->num_args; i++)
        dl_value_map_set(map, body->args[i], carried[i - 2]);
    const char *why = NULL;
    for (dl_op *o = body->first; !why && o != y; o = o->next) {
        dl_op *c = dl_op_clone(o, map);
        dl_op_insert_before(loop, c);
        dl_value *outs[KB_MAX_OPERANDS];
        if (infer(c) != DL_OK) {
            why = "the body's shapes cannot be inferred for an iteration";
        } else if (fold(c, outs)) {
            for (unsigned i = 0; i < o->num_results; i++)
                dl_value_map_set(map, &o->results[i], outs[i]);
        }
    }
    dl_value **ys = DL_NEW_ARRAY(u->ctx, dl_value *, y->num_operands + 1);
    for (unsigned i = 0; i < y->num_operands; i++) {
        dl_value *v = dl_value_map_get(map, dl_operand(y, i));
        ys[i] = v ? v : dl_operand(y, i);
    }
    dl_value_map_destroy(map);
    *yields = ys;
    return why;
}

/* Replaces loop (Loop(M, cond, v...) with body (i, cond, v...) -> (cond, v..., scan...)) by
 * its unrolled iterations, *resume being the first of them (or the op after the loop); on
 * failure nothing changes but the failure attribute. */
static bool unroll(unroller *u, dl_op *loop, dl_op **resume) {
    dl_context *ctx = u->ctx;
    dl_block *body = dl_op_body(loop, 0);
    dl_op *y = body->last;
    unsigned n = loop->num_operands - 2, k = loop->num_results - n;
    if (loop->num_operands < 2 || !y || y->kind != DL_OP_graph_Yield || body->num_args != n + 2 ||
        y->num_operands != 1 + n + k)
        return fail(loop, "the body does not match the loop's operands and results");
    int64_t max_iters = INT64_MAX, body_ops = count_ops(loop) - 1;
    if (lw_has(loop, 0)) {
        const dl_attr *m = dl_graph_constant_value(fold_value(dl_operand(loop, 0), 0));
        if (!m) return fail(loop, "the trip count is only known at run time");
        max_iters = dl_dense_get_i64(m, 0);
    }
    /* running: 1 or 0 when known at compile time, -1 when `run` holds it at run time */
    int running = lw_has(loop, 1) ? bool_value(fold_value(dl_operand(loop, 1), 0)) : 1;
    if (running < 0 && k > 0) return fail(loop, SCAN_AT_RUN_TIME);
    if (running < 0 && max_iters == INT64_MAX)
        return fail(loop, "the condition is only known at run time and there is no trip count");
    int64_t cap = u->budget / (body_ops > 0 ? body_ops : 1) + 1; /* iterations at most */
    if (running < 0 && max_iters > cap) /* every iteration would be unrolled */
        return fail(loop, TOO_MANY);
    dl_builder b = dl_builder_before(loop);
    /* the unrolled ops go between this marker and the loop (folding inserts constants before
     * the op it folds, so ops before the marker may change, but none lands after the loop) */
    const dl_type *none = dl_type_none(ctx);
    dl_op *marker = dl_build(&b, DL_OP_graph_None, 0, NULL, 1, &none, 0);
    dl_value *run = running < 0 ? dl_operand(loop, 1) : constant(&b, body->args[1]->type, 1);
    dl_value **vals = DL_NEW_ARRAY(ctx, dl_value *, n + 1);
    for (unsigned i = 0; i < n; i++) vals[i] = dl_operand(loop, 2 + i);
    dl_value **scan = DL_NEW_ARRAY(ctx, dl_value *, (size_t)k * (size_t)cap + 1);
    int64_t t = 0;
    const char *why = NULL;
    for (; !why && t < max_iters && running != 0; t++) {
        if (u->budget < body_ops) {
            why = TOO_MANY;
            break;
        }
        u->budget -= body_ops;
        dl_value **ys;
        if ((why = clone_iteration(u, loop, t, run, vals, &ys))) break;
        for (unsigned j = 0; j < k; j++) scan[(size_t)j * (size_t)cap + (size_t)t] = ys[1 + n + j];
        for (unsigned i = 0; i < n && !why; i++) {
            if (running == 1) {
                vals[i] = ys[1 + i];
            } else if (ys[1 + i]->type != vals[i]->type) {
                why = "a loop-carried value changes its shape under a run-time condition";
            } else {
                dl_value *ops[3] = {run, ys[1 + i], vals[i]};
                vals[i] = graph_op(&b, DL_OP_graph_Where, 3, ops, vals[i]->type);
                if (!vals[i]) why = "cannot select the loop-carried values";
            }
        }
        /* the next iteration runs if this one did and the body's condition holds */
        dl_value *cond = fold_value(ys[0], 0);
        int c = bool_value(cond);
        if (why || c == 1 || cond == run) continue;
        if (c == 0) {
            running = 0;
        } else if (running == 1) {
            if (k > 0) why = SCAN_AT_RUN_TIME;
            running = -1;
            run = cond;
        } else {
            run = graph_op(&b, DL_OP_graph_And, 2, (dl_value *[]){run, cond}, run->type);
            if (!run) why = "cannot combine the conditions";
        }
    }
    if (!why && k > 0 && t == 0) why = "a loop without iterations has empty scan outputs";
    dl_value **results = DL_NEW_ARRAY(ctx, dl_value *, n + k + 1);
    for (unsigned i = 0; i < n; i++) results[i] = vals[i];
    for (unsigned j = 0; j < k && !why; j++) {
        results[n + j] = stack(&b, (unsigned)t, scan + (size_t)j * (size_t)cap);
        if (!results[n + j]) why = "cannot stack the scan outputs";
    }
    if (why) {
        erase_range(marker, loop);
        return fail(loop, why);
    }
    for (unsigned i = 0; i < n + k; i++) dl_value_replace_all_uses(&loop->results[i], results[i]);
    *resume = marker->next;
    if (*resume == loop) *resume = loop->next;
    dl_op_erase(loop);
    dl_op_erase(marker);
    return true;
}

/* ---- Driver ------------------------------------------------------------------------------ */

static dl_walk_result find_loop(dl_op *op, void *user) {
    if (op->kind != DL_OP_graph_Loop) return DL_WALK_ADVANCE;
    *(bool *)user = true;
    return DL_WALK_INTERRUPT;
}

bool lw_has_loops(dl_op *func) {
    bool found = false;
    dl_walk(func, find_loop, &found);
    return found;
}

/* Unrolls the Loops of blk in program order (and of regions nested in its ops); the clones of
 * an unrolled body are visited next, so nested Loops unroll with the outer iteration known. */
static void unroll_block(unroller *u, dl_block *blk) {
    for (dl_op *op = blk->first; op;) {
        if (op->kind == DL_OP_graph_Loop) {
            dl_op *resume;
            op = unroll(u, op, &resume) ? resume : op->next;
            continue;
        }
        for (unsigned r = 0; r < op->num_regions; r++)
            for (dl_block *b = op->regions[r].first; b; b = b->next) unroll_block(u, b);
        op = op->next;
    }
}

dl_status lw_unroll_loops(dl_op *func) {
    unroller u = {func->ctx, UNROLL_MAX_OPS};
    unroll_block(&u, dl_func_entry(func));
    return infer(func);
}
