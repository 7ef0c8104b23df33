/* lower_quant.c: quantized ops: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
 * MatMulInteger, ConvInteger, QLinearMatMul and QLinearConv. Integer products subtract the
 * zero points into i32 copies first and reuse the MatMul / Conv lowerings; requantisation
 * rounds half to even and saturates to the output type. */
#include "lower.h"

#include <math.h>

/* A per-axis parameter [C] viewed as [C, 1, ..., 1] to broadcast along `axis` of a rank-r
 * tensor; one-element parameters are viewed as rank 0. */
static dl_value *axis_view(dl_builder *top, dl_value *v, int r, int axis) {
    int64_t n = dl_type_num_elements(v->type), dims[KB_MAX_DIMS];
    if (n == 1) return kb_view(top, v, kb_memref(top->ctx, v->type->elem, 0, NULL));
    dims[0] = n;
    for (int k = 1; k < r - axis; k++) dims[k] = 1;
    return kb_view(top, v, kb_memref(top->ctx, v->type->elem, r - axis, dims));
}

/* round(x) + zp saturated to t (x a float). */
static dl_value *saturate_round(dl_builder *b, dl_value *x, dl_value *zp, const dl_type *t) {
    const dl_type *ft = x->type;
    dl_value *y = kb_un(b, DL_OP_arith_round, x);
    if (zp) y = kb_add(b, y, kb_cast(b, zp, ft));
    bool u = dl_type_is_unsigned(t);
    unsigned bits = dl_scalar_bits(t->kind);
    double lo = u ? 0 : -ldexp(1, (int)bits - 1), hi = u ? ldexp(1, (int)bits) - 1 : -lo - 1;
    y = kb_clamp(b, y, kb_const(b, ft, lo), kb_const(b, ft, hi));
    return kb_cast(b, y, t);
}

static dl_value *quantize(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    const dl_type *f32 = dl_type_scalar(b->ctx, DL_TY_F32);
    dl_value *v = kb_div(b, kb_cast(b, x[0], f32), kb_cast(b, x[1], f32));
    return saturate_round(b, v, *(const bool *)u ? x[2] : NULL, t);
}

/* QuantizeLinear and DequantizeLinear: fn elementwise over (x, scale, zero point), the scale and
 * the zero point (optional: fn is told whether there is one) per tensor or along `axis`;
 * int_result: the result must be an integer other than bool. */
static dl_status lower_linear_quant(dl_lower *lw, dl_op *op, kb_scalar_fn fn, bool int_result) {
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *s = lw_in(lw, op, 1), *zp = lw_in(lw, op, 2);
    dl_value *out = lw_out(lw, op, 0);
    int r = x->type->rank, axis = 0;
    if (dl_type_num_elements(s->type) != 1 && lw_axis(op, dl_op_attr_int(op, "axis", 1), r, &axis))
        return DL_FAILURE;
    if (int_result && (!dl_type_is_int(out->type->elem) || out->type->elem->kind == DL_TY_I1))
        return dl_op_error(op, "needs an integer result");
    bool has_zp = zp != NULL;
    dl_value *ins[3] = {x, axis_view(top, s, r, axis), zp ? axis_view(top, zp, r, axis) : NULL};
    kb_elementwise(top, has_zp ? 3 : 2, ins, out, fn, &has_zp);
    return DL_OK;
}

static dl_status lower_quantize(dl_lower *lw, dl_op *op) {
    return lower_linear_quant(lw, op, quantize, true);
}

static dl_value *dequantize(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    dl_value *v = kb_cast(b, x[0], t);
    if (*(const bool *)u) v = kb_sub(b, v, kb_cast(b, x[2], t));
    return kb_mul(b, v, kb_cast(b, x[1], t));
}

static dl_status lower_dequantize(dl_lower *lw, dl_op *op) {
    return lower_linear_quant(lw, op, dequantize, false);
}

/* ---- DynamicQuantizeLinear ------------------------------------------------------------------ */

static dl_value *dq_params(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    /* x = (min, max) of the data: scale = (max(0, hi) - min(0, lo)) / 255 */
    dl_value *zero = kb_const(b, x[0]->type, 0);
    dl_value *lo = kb_min_nan(b, x[0], zero), *hi = kb_max_nan(b, x[1], zero);
    return kb_div(b, kb_sub(b, hi, lo), kb_const(b, t, 255));
}

static dl_value *dq_zero(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    /* zp = saturate(round((0 - min(0, lo)) / scale)) */
    dl_value *zero = kb_const(b, x[0]->type, 0);
    dl_value *lo = kb_min_nan(b, x[0], zero);
    return saturate_round(b, kb_div(b, kb_sub(b, zero, lo), x[1]), NULL, t);
}

static dl_status lower_dynamic_quantize(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0);
    dl_value *y = lw_out(lw, op, 0), *scale = lw_out(lw, op, 1), *zp = lw_out(lw, op, 2);
    const dl_type *xt = x->type;
    if (xt->elem->kind != DL_TY_F32 || y->type->elem->kind != DL_TY_U8)
        return dl_op_error(op, "only f32 -> u8 is supported");
    bool all[KB_MAX_DIMS];
    for (int k = 0; k < xt->rank; k++) all[k] = true;
    const dl_type *st = kb_memref(ctx, xt->elem, 0, NULL);
    dl_value *lo = kb_alloc(top, st), *hi = kb_alloc(top, st);
    kb_reduce(top, x, lo, all, KB_MIN, NULL, NULL);
    kb_reduce(top, x, hi, all, KB_MAX, NULL, NULL);
    dl_value *sv = kb_view(top, scale, st),
             *zv = kb_view(top, zp, kb_memref(ctx, zp->type->elem, 0, NULL));
    dl_value *mm[2] = {lo, hi};
    kb_elementwise(top, 2, mm, sv, dq_params, NULL);
    dl_value *ls[2] = {lo, sv};
    kb_elementwise(top, 2, ls, zv, dq_zero, NULL);
    bool has_zp = true;
    dl_value *ins[3] = {x, sv, zv};
    kb_elementwise(top, 3, ins, y, quantize, &has_zp);
    return DL_OK;
}

/* ---- Integer products ---------------------------------------------------------------------- */

static dl_value *minus_zp(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    dl_value *v = kb_cast(b, x[0], t);
    return *(const bool *)u ? kb_sub(b, v, kb_cast(b, x[1], t)) : v;
}

/* An i32 copy of v - zp (zp broadcast along `axis`, or a scalar). */
static dl_value *widen(dl_lower *lw, dl_value *v, dl_value *zp, int axis) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    const dl_type *t = v->type;
    dl_value *w = kb_alloc(top, dl_type_with_elem(ctx, t, dl_type_scalar(ctx, DL_TY_I32)));
    bool has = zp != NULL;
    dl_value *ins[2] = {v, zp ? axis_view(top, zp, t->rank, axis) : NULL};
    kb_elementwise(top, has ? 2 : 1, ins, w, minus_zp, &has);
    return w;
}

static dl_status lower_matmul_integer(dl_lower *lw, dl_op *op) {
    dl_value *a = lw_in(lw, op, 0), *b = lw_in(lw, op, 1);
    dl_value *azp = lw_in(lw, op, 2), *bzp = lw_in(lw, op, 3);
    int ra = a->type->rank, rb = b->type->rank;
    if ((azp && dl_type_num_elements(azp->type) != 1 && ra < 2) || ra < 1 || rb < 1)
        return dl_op_error(op, "bad input ranks");
    /* a's zero point is per row (axis ra-2), b's per column (the last axis) */
    dl_value *a2 = widen(lw, a, azp, ra >= 2 ? ra - 2 : 0);
    dl_value *b2 = widen(lw, b, bzp, rb - 1);
    return lw_matmul(lw, op, a2, b2, lw_out(lw, op, 0));
}

static dl_status lower_conv_integer(dl_lower *lw, dl_op *op) {
    dl_value *x = lw_in(lw, op, 0), *w = lw_in(lw, op, 1);
    dl_value *xzp = lw_in(lw, op, 2), *wzp = lw_in(lw, op, 3);
    if (xzp && dl_type_num_elements(xzp->type) != 1)
        return dl_op_error(op, "x_zero_point must be a scalar");
    dl_value *x2 = widen(lw, x, xzp, 0), *w2 = widen(lw, w, wzp, 0);
    return lw_conv(lw, op, x2, w2, NULL, lw_out(lw, op, 0));
}

/* y = saturate(round(acc * sa * sb / sy) + zy) with every scale broadcast as given. */
static dl_value *requantize(dl_builder *b, dl_value *const *x, const dl_type *t, const void *u) {
    const dl_type *f32 = dl_type_scalar(b->ctx, DL_TY_F32);
    dl_value *s = kb_mul(b, kb_cast(b, x[1], f32), kb_cast(b, x[2], f32));
    dl_value *v = kb_mul(b, kb_cast(b, x[0], f32), kb_div(b, s, kb_cast(b, x[3], f32)));
    return saturate_round(b, v, x[4], t);
}

static dl_status lower_qlinear_matmul(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *v[8];
    for (unsigned i = 0; i < 8; i++) {
        v[i] = lw_in(lw, op, i);
        if (!v[i]) return dl_op_error(op, "input %u is missing", i);
        if (i != 0 && i != 3 && dl_type_num_elements(v[i]->type) != 1)
            return dl_op_error(op, "only per-tensor scales and zero points are supported");
    }
    dl_value *out = lw_out(lw, op, 0);
    dl_value *acc =
        kb_alloc(top, dl_type_with_elem(ctx, out->type, dl_type_scalar(ctx, DL_TY_I32)));
    if (lw_matmul(lw, op, widen(lw, v[0], v[2], 0), widen(lw, v[3], v[5], 0), acc))
        return DL_FAILURE;
    dl_value *ins[5] = {acc, axis_view(top, v[1], 0, 0), axis_view(top, v[4], 0, 0),
                        axis_view(top, v[6], 0, 0), axis_view(top, v[7], 0, 0)};
    kb_elementwise(top, 5, ins, out, requantize, NULL);
    return DL_OK;
}

static dl_status lower_qlinear_conv(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *v[9];
    for (unsigned i = 0; i < 9; i++) v[i] = lw_in(lw, op, i);
    for (unsigned i = 0; i < 8; i++)
        if (!v[i]) return dl_op_error(op, "input %u is missing", i);
    if (dl_type_num_elements(v[1]->type) != 1 || dl_type_num_elements(v[2]->type) != 1 ||
        dl_type_num_elements(v[6]->type) != 1 || dl_type_num_elements(v[7]->type) != 1)
        return dl_op_error(op, "x and y scales and zero points must be scalars");
    dl_value *out = lw_out(lw, op, 0);
    int r = out->type->rank;
    dl_value *acc =
        kb_alloc(top, dl_type_with_elem(ctx, out->type, dl_type_scalar(ctx, DL_TY_I32)));
    if (lw_conv(lw, op, widen(lw, v[0], v[2], 0), widen(lw, v[3], v[5], 0), v[8], acc))
        return DL_FAILURE;
    dl_value *ins[5] = {acc, axis_view(top, v[1], r, 1), axis_view(top, v[4], r, 1),
                        axis_view(top, v[6], r, 1), axis_view(top, v[7], r, 1)};
    kb_elementwise(top, 5, ins, out, requantize, NULL);
    return DL_OK;
}

const dl_lower_entry dl_lower_quant[] = {
    {DL_OP_graph_QuantizeLinear, lower_quantize},
    {DL_OP_graph_DequantizeLinear, lower_dequantize},
    {DL_OP_graph_DynamicQuantizeLinear, lower_dynamic_quantize},
    {DL_OP_graph_MatMulInteger, lower_matmul_integer},
    {DL_OP_graph_ConvInteger, lower_conv_integer},
    {DL_OP_graph_QLinearMatMul, lower_qlinear_matmul},
    {DL_OP_graph_QLinearConv, lower_qlinear_conv},
    {DL_OP__INVALID, NULL},
};
