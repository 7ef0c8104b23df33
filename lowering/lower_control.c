/* lower_control.c: control flow with static shapes. If computes both branches and selects
 * elementwise by the condition (only the taken branch when the condition is a constant); Scan
 * is unrolled over its (static) sequence length, the body lowered once per iteration with its
 * state arguments bound to the previous iteration's results; Loop is unrolled at the graph
 * level before the lowering (unroll_loops.c) or runs sequentially (lower_loop.c). */
#include "lower.h"

static dl_value *select3(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    return kb_select(b, kb_cast(b, x[0], dl_type_scalar(b->ctx, DL_TY_I1)), x[1], x[2]);
}

static dl_status lower_if(dl_lower *lw, dl_op *op) {
    dl_value *cond = lw_in(lw, op, 0), **then_ys, **else_ys;
    if (dl_type_num_elements(cond->type) != 1) return dl_op_error(op, "cond must be a scalar");
    int64_t c;
    if (lw_const_ints(op, 0, &c, 1) == 1) {
        dl_block *taken = dl_op_body(op, c ? 0 : 1);
        if (lw_lower_region(lw, taken, NULL, &then_ys)) return DL_FAILURE;
        for (unsigned i = 0; i < op->num_results; i++) lw_bind(lw, dl_result(op, i), then_ys[i]);
        return DL_OK;
    }
    if (lw_lower_region(lw, dl_op_body(op, 0), NULL, &then_ys) ||
        lw_lower_region(lw, dl_op_body(op, 1), NULL, &else_ys))
        return DL_FAILURE;
    dl_context *ctx = lw_ctx(lw);
    dl_value *cv = kb_view(lw_top(lw), cond, kb_memref(ctx, cond->type->elem, 0, NULL));
    for (unsigned i = 0; i < op->num_results; i++) {
        dl_value *out = lw_out(lw, op, i);
        if (then_ys[i]->type != out->type || else_ys[i]->type != out->type)
            return dl_op_error(op, "both branches must yield result %u's type %s", i,
                               dl_type_str(ctx, out->type));
        dl_value *ins[3] = {cv, then_ys[i], else_ys[i]};
        kb_elementwise(lw_top(lw), 3, ins, out, select3, NULL);
    }
    return DL_OK;
}

/* Slice t of x along axis (rank one less): a view when axis is 0, else a copy. */
static dl_value *slice_of(dl_lower *lw, dl_value *x, int axis, int64_t t) {
    dl_context *ctx = lw_ctx(lw);
    const dl_type *xt = x->type;
    int64_t dims[KB_MAX_DIMS];
    for (int k = 0, n = 0; k < xt->rank; k++)
        if (k != axis) dims[n++] = xt->dims[k];
    const dl_type *st = kb_memref(ctx, xt->elem, xt->rank - 1, dims);
    if (axis == 0) {
        int64_t bytes = dl_type_num_elements(st) * (int64_t)dl_scalar_size(xt->elem->kind);
        dl_value *v = dl_build1(lw_top(lw), DL_OP_kernel_view, 1, &x, st);
        dl_op_set_attr(v->def, "offset", dl_attr_int(ctx, t * bytes));
        return v;
    }
    dl_value *s = kb_alloc(lw_top(lw), st);
    kb_copy(lw_top(lw), x, kb_map_part(ctx, xt->rank, axis, t, true), s);
    return s;
}

static dl_status lower_scan(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_block *body = dl_op_body(op, 0);
    int64_t M = dl_op_attr_int(op, "num_scan_inputs", -1);
    unsigned nin = op->num_operands, nres = op->num_results;
    if (M < 1 || M > nin) return dl_op_error(op, "needs num_scan_inputs between 1 and %u", nin);
    unsigned N = nin - (unsigned)M, K = nres - N;
    if (nres < N || body->num_args != nin || N + K > KB_MAX_OPERANDS)
        return dl_op_error(op, "body arguments and results do not match the inputs");
    int64_t in_axes[KB_MAX_OPERANDS] = {0}, in_dirs[KB_MAX_OPERANDS] = {0};
    int64_t out_axes[KB_MAX_OPERANDS] = {0}, out_dirs[KB_MAX_OPERANDS] = {0};
    dl_op_attr_ints(op, "scan_input_axes", in_axes, KB_MAX_OPERANDS);
    dl_op_attr_ints(op, "scan_input_directions", in_dirs, KB_MAX_OPERANDS);
    dl_op_attr_ints(op, "scan_output_axes", out_axes, KB_MAX_OPERANDS);
    dl_op_attr_ints(op, "scan_output_directions", out_dirs, KB_MAX_OPERANDS);
    dl_value *args[KB_MAX_OPERANDS], *scan_in[KB_MAX_OPERANDS], *outs[KB_MAX_OPERANDS];
    int axes[KB_MAX_OPERANDS], oaxes[KB_MAX_OPERANDS];
    int64_t T = -1;
    for (unsigned i = 0; i < nin; i++) {
        dl_value *v = lw_in(lw, op, i);
        if (i < N) {
            args[i] = v;
            continue;
        }
        unsigned j = i - N;
        if (lw_axis(op, in_axes[j], v->type->rank, &axes[j])) return DL_FAILURE;
        int64_t len = v->type->dims[axes[j]];
        if (T >= 0 && len != T) return dl_op_error(op, "scan inputs have different lengths");
        T = len;
        scan_in[j] = v;
    }
    for (unsigned k = 0; k < K; k++) {
        outs[k] = lw_out(lw, op, N + k);
        if (lw_axis(op, out_axes[k], outs[k]->type->rank, &oaxes[k])) return DL_FAILURE;
    }
    for (int64_t t = 0; t < T; t++) {
        for (unsigned j = 0; j < (unsigned)M; j++)
            args[N + j] = slice_of(lw, scan_in[j], axes[j], in_dirs[j] ? T - 1 - t : t);
        dl_value **ys;
        if (t > 0) lw_forget_region(lw, body);
        if (lw_lower_region(lw, body, args, &ys)) return DL_FAILURE;
        for (unsigned i = 0; i < N; i++) args[i] = ys[i];
        for (unsigned k = 0; k < K; k++) {
            /* out[.., pos, ..] = element, pos along the output axis */
            const dl_type *et = ys[N + k]->type, *ot = outs[k]->type;
            if (et->rank != ot->rank - 1) return dl_op_error(op, "scan output %u's rank", k);
            int64_t pos = out_dirs[k] ? T - 1 - t : t;
            kb_copy_box(lw_top(lw), et->rank, et->dims, ys[N + k],
                        kb_map_id(ctx, (unsigned)et->rank), outs[k],
                        kb_map_part(ctx, ot->rank, oaxes[k], pos, true));
        }
    }
    for (unsigned i = 0; i < N; i++) lw_bind(lw, dl_result(op, i), args[i]);
    return DL_OK;
}

const dl_lower_entry dl_lower_control[] = {
    {DL_OP_graph_If, lower_if},
    {DL_OP_graph_Scan, lower_scan},
    {DL_OP__INVALID, NULL},
};
