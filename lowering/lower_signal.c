/* lower_signal.c: signal processing: DFT (direct O(n^2) transform with exact twiddle angles)
 * and the Hann, Hamming and Blackman windows (computed at compile time). */
#include "lower.h"

#include <math.h>
#include <string.h>

/* DFT along `axis`: out[..k..][c] = sum_n x[..n..] e^{-+2 pi i k n / N} (real or complex input,
 * zero padding or truncation to dft_length, inverse divides by N). The twiddle angle uses
 * (k n mod N) so it stays exact; the complex part c of the output is a domain dimension. */
static dl_status lower_dft(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type, *ot = out->type;
    int r = xt->rank, axis;
    if (r < 3 || ot->rank != r || ot->dims[r - 1] != 2 || xt->dims[r - 1] > 2 ||
        !dl_type_is_float(ot->elem))
        return dl_op_error(op, "needs float input [batch, signal..., 1 or 2]");
    if (lw_axis(op, dl_op_attr_int(op, "axis", 1), r, &axis)) return DL_FAILURE;
    if (axis == 0 || axis == r - 1) return dl_op_error(op, "axis must be a signal dimension");
    int64_t N = xt->dims[axis];
    if (lw_has(op, 1) && lw_const_ints(op, 1, &N, 1) != 1)
        return dl_op_error(op, "dft_length must be a constant");
    if (N <= 0) return dl_op_error(op, "dft_length must be positive");
    bool inverse = dl_op_attr_int(op, "inverse", 0) != 0, complex = xt->dims[r - 1] == 2;
    int64_t L = xt->dims[axis] < N ? xt->dims[axis] : N, dom[KB_MAX_DIMS];
    if (r + 1 > KB_MAX_DIMS) return dl_op_error(op, "rank %d is not supported", r);
    memcpy(dom, ot->dims, sizeof(int64_t) * (size_t)r);
    dom[r] = L;
    const dl_affine_expr *res[KB_MAX_DIMS];
    for (int k = 0; k < r; k++) res[k] = dl_aff_dim(ctx, (unsigned)(k == axis ? r : k));
    kb_fill(top, out, 0);
    kb_generic g;
    kb_begin(&g, top, r + 1, dom);
    kb_reduction(&g, r);
    res[r - 1] = dl_aff_const(ctx, 0);
    unsigned re_i = kb_in(&g, x, kb_map(ctx, (unsigned)r + 1, (unsigned)r, res));
    res[r - 1] = dl_aff_const(ctx, 1);
    unsigned im_i = complex ? kb_in(&g, x, kb_map(ctx, (unsigned)r + 1, (unsigned)r, res)) : 0;
    unsigned oi = kb_out(&g, out, kb_map_first(ctx, (unsigned)r + 1, (unsigned)r));
    dl_builder *b = kb_body(&g);
    const dl_type *f64 = dl_type_scalar(ctx, DL_TY_F64), *ft = ot->elem;
    dl_value *m =
        kb_bin(b, DL_OP_arith_rem, kb_mul(b, kb_dim(&g, axis), kb_dim(&g, r)), kb_index(b, N));
    dl_value *theta = kb_mul(b, kb_cast(b, m, f64), kb_const(b, f64, 2 * M_PI / (double)N));
    dl_value *cs = kb_cast(b, kb_un(b, DL_OP_arith_cos, theta), ft);
    dl_value *sn = kb_cast(b, kb_un(b, DL_OP_arith_sin, theta), ft);
    if (!inverse) sn = kb_un(b, DL_OP_arith_neg, sn);
    /* (xr + i xi)(cs + i sn) */
    dl_value *xr = kb_cast(b, kb_arg(&g, re_i), ft);
    dl_value *xi = complex ? kb_cast(b, kb_arg(&g, im_i), ft) : kb_const(b, ft, 0);
    dl_value *re = kb_sub(b, kb_mul(b, xr, cs), kb_mul(b, xi, sn));
    dl_value *im = kb_add(b, kb_mul(b, xi, cs), kb_mul(b, xr, sn));
    dl_value *is_re = kb_cmp(b, "eq", kb_dim(&g, r - 1), kb_index(b, 0));
    kb_yield1(&g, kb_add(b, kb_arg(&g, oi), kb_select(b, is_re, re, im)));
    if (!inverse) return DL_OK;
    kb_generic e;
    kb_begin(&e, top, r, ot->dims);
    unsigned o2 = kb_out(&e, out, kb_map_id(ctx, (unsigned)r));
    b = kb_body(&e);
    kb_yield1(&e, kb_div(b, kb_arg(&e, o2), kb_const(b, ft, (double)N)));
    return DL_OK;
}

/* Hann, Hamming and Blackman windows: sum_k a_k cos(2 pi k i / N), N = size (periodic) or
 * size - 1 (symmetric). */
static dl_status lower_window(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *out = lw_out(lw, op, 0);
    const dl_type *t = out->type;
    if (t->rank != 1) return dl_op_error(op, "result must be 1-d");
    double a[3] = {0.5, 0.5, 0};
    if (op->kind == DL_OP_graph_HammingWindow) a[0] = 25.0 / 46, a[1] = 21.0 / 46;
    if (op->kind == DL_OP_graph_BlackmanWindow) a[0] = 0.42, a[1] = 0.5, a[2] = 0.08;
    int64_t size = t->dims[0];
    double n = dl_op_attr_int(op, "periodic", 1) ? (double)size : (double)size - 1;
    float *v = dl_alloc(ctx, sizeof(float) * (size_t)(size ? size : 1));
    for (int64_t i = 0; i < size; i++) {
        double x = 2 * M_PI * (double)i / n;
        v[i] = (float)(a[0] - a[1] * cos(x) + a[2] * cos(2 * x));
    }
    dl_value *g = kb_global_f32(lw_top(lw), 1, &size, v);
    kb_copy(lw_top(lw), g, kb_map_id(ctx, 1), out);
    return DL_OK;
}

const dl_lower_entry dl_lower_signal[] = {
    {DL_OP_graph_DFT, lower_dft},
    {DL_OP_graph_HannWindow, lower_window},
    {DL_OP_graph_HammingWindow, lower_window},
    {DL_OP_graph_BlackmanWindow, lower_window},
    {DL_OP__INVALID, NULL},
};
