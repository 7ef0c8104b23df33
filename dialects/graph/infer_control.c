/* infer_control.c: shape inference rules of control flow: If, Loop and Scan. Their result types
 * come from the graph.Yield that ends each region (block argument types are set by the
 * importer); rules read the regions and never change them. */
#include "infer.h"

#include <string.h>

/* The graph.Yield ending region r of op with `count` operands, or NULL after an error. */
static dl_op *region_yield(dl_op *op, unsigned r, const char *what, unsigned count) {
    dl_block *b = op->num_regions > r ? dl_op_region(op, r)->first : NULL;
    dl_op *y = b ? b->last : NULL;
    if (!y || y->kind != DL_OP_graph_Yield) {
        dl_op_error(op, "the %s region must end with graph.Yield", what);
        return NULL;
    }
    if (y->num_operands != count) {
        dl_op_error(op, "the %s region yields %u values; expected %u", what, y->num_operands,
                    count);
        return NULL;
    }
    return y;
}

static const dl_type *yield_type(dl_op *y, unsigned i) {
    return dl_operand(y, i)->type;
}

/* The block arguments of region r's block, or NULL after an error if there are not `count`. */
static dl_block *region_block(dl_op *op, unsigned r, const char *what, unsigned count) {
    dl_block *b = op->num_regions > r ? dl_op_region(op, r)->first : NULL;
    if (!b) {
        dl_op_error(op, "the %s region is empty", what);
        return NULL;
    }
    if (b->num_args != count) {
        dl_op_error(op, "the %s region has %u arguments; expected %u", what, b->num_args, count);
        return NULL;
    }
    return b;
}

/* The value of a constant boolean scalar: 1 true, 0 false, -1 not a constant. */
static int const_bool(const dl_value *v) {
    int64_t x;
    if (dl_const_ints(v, &x, 1) != 1) return -1;
    return x != 0;
}

/* ---- If ------------------------------------------------------------------------------------- */

/* If: result i is the join of what the two branches yield (differing sizes become dynamic);
 * with a constant condition, the type of the branch taken. */
static dl_status infer_if(dl_op *op) {
    if (dl_type_num_elements(dl_operand(op, 0)->type) != 1)
        return dl_op_error(op, "the condition must be a one-element tensor, got %s",
                           dl_type_str(op->ctx, dl_operand(op, 0)->type));
    dl_op *then_y = region_yield(op, 0, "then", op->num_results);
    dl_op *else_y = then_y ? region_yield(op, 1, "else", op->num_results) : NULL;
    if (!else_y) return DL_FAILURE;
    int cond = const_bool(dl_operand(op, 0));
    for (unsigned i = 0; i < op->num_results; i++) {
        const dl_type *a = yield_type(then_y, i), *b = yield_type(else_y, i);
        const dl_type *t = cond == 1 ? a : cond == 0 ? b : dl_type_join(op->ctx, a, b);
        if (!t)
            return dl_op_error(op, "the branches yield %s and %s for result %u",
                               dl_type_str(op->ctx, a), dl_type_str(op->ctx, b), i);
        dl_op_set_result_type(op, i, t);
    }
    return DL_OK;
}

/* ---- Loop ----------------------------------------------------------------------------------- */

/* True if the body's yielded condition is provably the incoming one (passed through, possibly
 * via graph.Identity) or constant true: the loop then never exits early. */
static bool cond_never_exits(dl_block *body, dl_value *cond_out) {
    while (cond_out->def && cond_out->def->kind == DL_OP_graph_Identity)
        cond_out = dl_operand(cond_out->def, 0);
    return cond_out == body->args[1] || const_bool(cond_out) == 1;
}

/* The static number of iterations of a Loop, or DL_DYN: known when the trip count M is a
 * constant and the condition cannot stop the loop earlier (absent, or constant true and never
 * changed by the body); a constant false condition runs no iteration. */
static int64_t loop_trip_count(dl_op *op, dl_block *body, dl_op *y) {
    bool has_cond = dl_has_operand(op, 1);
    int cond = has_cond ? const_bool(dl_operand(op, 1)) : 1;
    if (cond == 0) return 0;
    int64_t m;
    if (!dl_has_operand(op, 0) || dl_const_ints(dl_operand(op, 0), &m, 1) != 1) return DL_DYN;
    if (has_cond && (cond != 1 || !cond_never_exits(body, dl_operand(y, 0)))) return DL_DYN;
    return m < 0 ? 0 : m;
}

/* Loop(M, cond, v_initial...): the body takes (iteration, cond, v...) and yields (cond, v...,
 * scan...). Result i < N is the join of v_initial[i] and the body's v[i]; scan output k is the
 * body's scan value with a leading dim of the trip count (dynamic unless loop_trip_count knows
 * it). */
static dl_status infer_loop(dl_op *op) {
    if (op->num_operands < 2) return dl_op_error(op, "needs the operands M and cond");
    unsigned n = op->num_operands - 2;
    if (op->num_results < n)
        return dl_op_error(op, "has %u results for %u loop-carried values", op->num_results, n);
    unsigned k = op->num_results - n;
    dl_block *body = region_block(op, 0, "body", 2 + n);
    dl_op *y = body ? region_yield(op, 0, "body", 1 + n + k) : NULL;
    if (!y) return DL_FAILURE;
    for (unsigned i = 0; i < n; i++) {
        const dl_type *a = dl_operand(op, 2 + i)->type, *b = yield_type(y, 1 + i);
        const dl_type *t = dl_type_join(op->ctx, a, b);
        if (!t)
            return dl_op_error(op, "loop-carried value %u starts as %s but the body yields %s", i,
                               dl_type_str(op->ctx, a), dl_type_str(op->ctx, b));
        dl_op_set_result_type(op, i, t);
    }
    int64_t trip = loop_trip_count(op, body, y);
    for (unsigned j = 0; j < k; j++) {
        dl_shape s, out;
        if (!dl_shape_of(dl_operand(y, 1 + n + j), &s) || s.rank + 1 > DL_MAX_RANK)
            return dl_op_error(op, "scan output %u must be a tensor of rank below %d, got %s", j,
                               DL_MAX_RANK, dl_type_str(op->ctx, yield_type(y, 1 + n + j)));
        out.rank = s.rank + 1;
        out.dims[0] = trip;
        out.names[0] = NULL;
        memcpy(out.dims + 1, s.dims, sizeof(int64_t) * (size_t)s.rank);
        memcpy(out.names + 1, s.names, sizeof(const char *) * (size_t)s.rank);
        if (dl_check_elements(op, &out) != DL_OK) return DL_FAILURE;
        dl_set_result(op, n + j, dl_type_elem(yield_type(y, 1 + n + j)), &out);
    }
    return DL_OK;
}

/* ---- Scan ----------------------------------------------------------------------------------- */

/* Reads the optional per-input/output axes attribute `name` (count entries, default 0). */
static dl_status scan_axes(dl_op *op, const char *name, unsigned count, int64_t *axes) {
    int n = dl_op_attr_ints(op, name, axes, (int)count + 1);
    if (n < 0) {
        for (unsigned i = 0; i < count; i++) axes[i] = 0;
        return DL_OK;
    }
    if ((unsigned)n != count)
        return dl_op_error(op, "'%s' has %d entries; expected %u", name, n, count);
    return DL_OK;
}

/* Scan(states..., scan inputs...): the body takes (states..., one slice of each scan input)
 * and yields (states..., scan output elements...). Final states join initial and yielded
 * types; scan output k is the element with the sequence length (the scan axis of the first
 * scan input) inserted at scan_output_axes[k]. */
static dl_status infer_scan(dl_op *op) {
    int64_t m = dl_op_attr_int(op, "num_scan_inputs", -1);
    if (m < 1 || m > op->num_operands)
        return dl_op_error(op, "'num_scan_inputs' must be in [1, %u], got %lld", op->num_operands,
                           (long long)m);
    unsigned n = op->num_operands - (unsigned)m;
    if (op->num_results < n)
        return dl_op_error(op, "has %u results for %u state variables", op->num_results, n);
    unsigned k = op->num_results - n;
    if (m > 1024 || k > 1024) return dl_op_error(op, "has too many scan inputs or outputs");
    int64_t in_axes[1025], out_axes[1025];
    if (scan_axes(op, "scan_input_axes", (unsigned)m, in_axes) != DL_OK ||
        scan_axes(op, "scan_output_axes", k, out_axes) != DL_OK)
        return DL_FAILURE;
    dl_block *body = region_block(op, 0, "body", n + (unsigned)m);
    dl_op *y = body ? region_yield(op, 0, "body", n + k) : NULL;
    if (!y) return DL_FAILURE;
    int64_t len = DL_DYN;
    const char *len_name = NULL;
    for (unsigned i = 0; i < (unsigned)m; i++) {
        dl_shape s;
        int64_t axis;
        if (dl_operand_shape(op, n + i, &s) != DL_OK) return DL_FAILURE;
        if (s.rank < 1) return dl_op_error(op, "scan input %u must have rank 1 or more", i);
        if (dl_norm_axis(op, in_axes[i], s.rank, &axis) != DL_OK) return DL_FAILURE;
        int64_t d = s.dims[axis];
        if (i == 0) {
            len = d;
            len_name = s.names[axis];
        } else if (d != DL_DYN && len != DL_DYN && d != len) {
            return dl_op_error(op, "scan input %u has %lld iterations, but scan input 0 has %lld",
                               i, (long long)d, (long long)len);
        } else if (len == DL_DYN && d != DL_DYN) {
            len = d;
            len_name = NULL;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        const dl_type *a = dl_operand(op, i)->type, *b = yield_type(y, i);
        const dl_type *t = dl_type_join(op->ctx, a, b);
        if (!t)
            return dl_op_error(op, "state variable %u starts as %s but the body yields %s", i,
                               dl_type_str(op->ctx, a), dl_type_str(op->ctx, b));
        dl_op_set_result_type(op, i, t);
    }
    for (unsigned j = 0; j < k; j++) {
        dl_shape s, out = {.rank = 0};
        int64_t axis;
        if (!dl_shape_of(dl_operand(y, n + j), &s) || s.rank + 1 > DL_MAX_RANK)
            return dl_op_error(op, "scan output %u must be a tensor of rank below %d, got %s", j,
                               DL_MAX_RANK, dl_type_str(op->ctx, yield_type(y, n + j)));
        if (dl_norm_axis(op, out_axes[j], s.rank + 1, &axis) != DL_OK) return DL_FAILURE;
        for (int i = 0, from = 0; i < s.rank + 1; i++, out.rank++) {
            if (i == axis) {
                out.dims[i] = len;
                out.names[i] = len == DL_DYN ? len_name : NULL;
            } else {
                out.dims[i] = s.dims[from];
                out.names[i] = s.names[from++];
            }
        }
        if (dl_check_elements(op, &out) != DL_OK) return DL_FAILURE;
        dl_set_result(op, n + j, dl_type_elem(yield_type(y, n + j)), &out);
    }
    return DL_OK;
}

const dl_infer_entry dl_infer_control[] = {
    {DL_OP_graph_If, infer_if},
    {DL_OP_graph_Loop, infer_loop},
    {DL_OP_graph_Scan, infer_scan},
    {DL_OP__INVALID, NULL},
};
