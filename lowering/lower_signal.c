/* lower_signal.c: signal processing: DFT and STFT (direct O(n^2) transforms with exact twiddle
 * angles), the Hann, Hamming and Blackman windows (computed at compile time) and
 * MelWeightMatrix (a generic computing each column's triangle). */
#include "lower.h"

#include <math.h>

/* The real (part = 0) or imaginary (part = 1) part of (xr + i xi) e^{-+2 pi i k n / N} (+ when
 * inverse), in xr's type. The angle uses (k n mod N), so it stays exact for any k and n. */
static dl_value *twiddled(dl_builder *b, dl_value *xr, dl_value *xi, dl_value *k, dl_value *n,
                          int64_t N, bool inverse, dl_value *part) {
    const dl_type *f64 = dl_type_scalar(b->ctx, DL_TY_F64), *ft = xr->type;
    dl_value *m = kb_bin(b, DL_OP_arith_rem, kb_mul(b, k, n), kb_index(b, N));
    dl_value *theta = kb_mul(b, kb_cast(b, m, f64), kb_const(b, f64, 2 * M_PI / (double)N));
    dl_value *cs = kb_cast(b, kb_un(b, DL_OP_arith_cos, theta), ft);
    dl_value *sn = kb_cast(b, kb_un(b, DL_OP_arith_sin, theta), ft);
    if (!inverse) sn = kb_un(b, DL_OP_arith_neg, sn);
    /* (xr + i xi)(cs + i sn) */
    dl_value *re = kb_sub(b, kb_mul(b, xr, cs), kb_mul(b, xi, sn));
    dl_value *im = kb_add(b, kb_mul(b, xi, cs), kb_mul(b, xr, sn));
    return kb_select(b, kb_cmp(b, "eq", part, kb_index(b, 0)), re, im);
}

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
    int64_t L = xt->dims[axis] < N ? xt->dims[axis] : N;
    if (r + 1 > KB_MAX_DIMS) return dl_op_error(op, "rank %d is not supported", r);
    const dl_affine_expr *res[KB_MAX_DIMS];
    for (int k = 0; k < r; k++) res[k] = dl_aff_dim(ctx, (unsigned)(k == axis ? r : k));
    kb_fill(top, out, 0);
    kb_generic g;
    kb_begin_pairs(&g, top, r, ot->dims, L);
    res[r - 1] = dl_aff_const(ctx, 0);
    unsigned re_i = kb_in(&g, x, kb_map(ctx, (unsigned)r + 1, (unsigned)r, res));
    res[r - 1] = dl_aff_const(ctx, 1);
    unsigned im_i = complex ? kb_in(&g, x, kb_map(ctx, (unsigned)r + 1, (unsigned)r, res)) : 0;
    unsigned oi = kb_out(&g, out, kb_map_first(ctx, (unsigned)r + 1, (unsigned)r));
    dl_builder *b = kb_body(&g);
    const dl_type *ft = ot->elem;
    dl_value *xr = kb_cast(b, kb_arg(&g, re_i), ft);
    dl_value *xi = complex ? kb_cast(b, kb_arg(&g, im_i), ft) : kb_const(b, ft, 0);
    dl_value *v =
        twiddled(b, xr, xi, kb_dim(&g, axis), kb_dim(&g, r), N, inverse, kb_dim(&g, r - 1));
    kb_yield1(&g, kb_add(b, kb_arg(&g, oi), v));
    if (!inverse) return DL_OK;
    kb_generic e;
    kb_begin(&e, top, r, ot->dims);
    unsigned o2 = kb_out(&e, out, kb_map_id(ctx, (unsigned)r));
    b = kb_body(&e);
    kb_yield1(&e, kb_div(b, kb_arg(&e, o2), kb_const(b, ft, (double)N)));
    return DL_OK;
}

/* STFT: out[b, f, k, c] = sum_n x[b, f * step + n] w[n] e^{-2 pi i k n / L} over frames of
 * length L (the window's length or frame_length), k < L (or L / 2 + 1 when onesided): one
 * reduction over n, with the frame start an affine function of f. frame_step must be a
 * constant (it sets the result shape too). */
static dl_status lower_stft(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *win = lw_in(lw, op, 2), *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type, *ot = out->type;
    if (xt->rank != 3 || xt->dims[2] > 2 || ot->rank != 4 || ot->dims[3] != 2 ||
        !dl_type_is_float(ot->elem))
        return dl_op_error(op, "needs a float signal [batch, length, 1 or 2]");
    int64_t step, L;
    if (lw_const_ints(op, 1, &step, 1) != 1 || step <= 0)
        return dl_op_error(op, "frame_step must be a positive constant");
    if (win) {
        L = win->type->dims[0];
    } else if (lw_const_ints(op, 3, &L, 1) != 1) {
        return dl_op_error(op, "needs a window or a constant frame_length");
    }
    int64_t B = ot->dims[0], F = ot->dims[1], K = ot->dims[2];
    if (L <= 0 || L > xt->dims[1] || (F - 1) * step + L > xt->dims[1] || K > L)
        return dl_op_error(op, "frames of %lld samples every %lld do not fit the signal",
                           (long long)L, (long long)step);
    bool complex = xt->dims[2] == 2;
    kb_fill(top, out, 0);
    if (B * F * K == 0) return DL_OK;
    /* domain (b, f, k, c, n) */
    kb_generic g;
    kb_begin(&g, top, 5, (int64_t[]){B, F, K, 2, L});
    kb_reduction(&g, 4);
    const dl_affine_expr *res[3] = {dl_aff_dim(ctx, 0),
                                    kb_linear(ctx, 0, 5, (int64_t[]){0, step, 0, 0, 1}),
                                    dl_aff_const(ctx, 0)};
    unsigned re_i = kb_in(&g, x, kb_map(ctx, 5, 3, res));
    res[2] = dl_aff_const(ctx, 1);
    unsigned im_i = complex ? kb_in(&g, x, kb_map(ctx, 5, 3, res)) : 0;
    unsigned wi = win ? kb_in(&g, win, kb_map_dims(ctx, 5, 1, (int[]){4})) : 0;
    unsigned oi = kb_out(&g, out, kb_map_first(ctx, 5, 4));
    dl_builder *b = kb_body(&g);
    const dl_type *ft = ot->elem;
    dl_value *xr = kb_cast(b, kb_arg(&g, re_i), ft);
    dl_value *xi = complex ? kb_cast(b, kb_arg(&g, im_i), ft) : kb_const(b, ft, 0);
    if (win) {
        dl_value *w = kb_cast(b, kb_arg(&g, wi), ft);
        xr = kb_mul(b, xr, w);
        xi = kb_mul(b, xi, w);
    }
    dl_value *v = twiddled(b, xr, xi, kb_dim(&g, 2), kb_dim(&g, 4), L, false, kb_dim(&g, 3));
    kb_yield1(&g, kb_add(b, kb_arg(&g, oi), v));
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

/* The spectrogram bin of point p of the mel scale (ONNX reference, in f64):
 * floor((dft + 1) * hz(p * step + lo_mel) / rate), hz(m) = 700 (10^(m / 2595) - 1). */
static dl_value *mel_bin(dl_builder *b, dl_value *p, dl_value *step, dl_value *lo_mel, int64_t dft,
                         dl_value *rate) {
    dl_value *m = kb_add(b, kb_mul(b, kb_cast(b, p, step->type), step), lo_mel);
    dl_value *e = kb_bin(b, DL_OP_arith_pow, kb_like(b, m, 10), kb_div(b, m, kb_like(b, m, 2595)));
    dl_value *hz = kb_mul(b, kb_like(b, m, 700), kb_sub(b, e, kb_like(b, m, 1)));
    return kb_un(b, DL_OP_arith_floor,
                 kb_div(b, kb_mul(b, kb_like(b, hz, (double)(dft + 1)), hz), rate));
}

/* 2595 log10(1 + hz / 700) */
static dl_value *to_mel(dl_builder *b, dl_value *hz) {
    dl_value *x = kb_add(b, kb_like(b, hz, 1), kb_div(b, hz, kb_like(b, hz, 700)));
    return kb_mul(b, kb_like(b, x, 2595 / log(10)), kb_un(b, DL_OP_arith_log, x));
}

/* MelWeightMatrix [dft_length / 2 + 1, num_mel_bins] (those two constants): num_mel_bins + 2
 * points evenly spaced on the mel scale between the edge frequencies are mapped to spectrogram
 * bins l < c < r, and column i is the triangle rising from bin l to c and falling to r, as the
 * ONNX reference computes it (in double precision). The sample rate and edge frequencies may
 * be run-time values: the body computes the three bins of its column. */
static dl_status lower_mel_weight_matrix(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *out = lw_out(lw, op, 0);
    const dl_type *ot = out->type, *f64 = dl_type_scalar(ctx, DL_TY_F64);
    int64_t mel, dft;
    if (lw_const_ints(op, 0, &mel, 1) != 1 || lw_const_ints(op, 1, &dft, 1) != 1)
        return dl_op_error(op, "num_mel_bins and dft_length must be constants");
    if (mel < 0 || dft <= 0 || ot->rank != 2 || ot->dims[0] != dft / 2 + 1 || ot->dims[1] != mel)
        return dl_op_error(op, "parameters disagree with the result shape");
    if (mel == 0) return DL_OK;
    kb_generic g;
    kb_begin(&g, lw_top(lw), 2, ot->dims);
    unsigned pi[3];
    for (unsigned k = 0; k < 3; k++) {
        dl_value *v = lw_in(lw, op, 2 + k);
        if (dl_type_num_elements(v->type) != 1) return dl_op_error(op, "needs scalar parameters");
        pi[k] = kb_in_scalar(&g, v);
    }
    kb_out(&g, out, kb_map_id(ctx, 2));
    dl_builder *b = kb_body(&g);
    dl_value *rate = kb_cast(b, kb_arg(&g, pi[0]), f64);
    dl_value *lo = to_mel(b, kb_cast(b, kb_arg(&g, pi[1]), f64));
    dl_value *hi = to_mel(b, kb_cast(b, kb_arg(&g, pi[2]), f64));
    dl_value *step = kb_div(b, kb_sub(b, hi, lo), kb_const(b, f64, (double)(mel + 2)));
    dl_value *i = kb_dim(&g, 1), *j = kb_cast(b, kb_dim(&g, 0), f64);
    dl_value *l = mel_bin(b, i, step, lo, dft, rate);
    dl_value *c = mel_bin(b, kb_add(b, i, kb_index(b, 1)), step, lo, dft, rate);
    dl_value *r = mel_bin(b, kb_add(b, i, kb_index(b, 2)), step, lo, dft, rate);
    dl_value *zero = kb_const(b, f64, 0), *one = kb_const(b, f64, 1);
    /* rising: (j - l) / (c - l) on [l, c] (1 at c when l == c); falling: (r - j) / (r - c) on
     * [c, r), which the reference writes last */
    dl_value *rising =
        kb_select(b, kb_cmp(b, "eq", c, l), one, kb_div(b, kb_sub(b, j, l), kb_sub(b, c, l)));
    dl_value *in_rise = kb_and(b, kb_cmp(b, "ge", j, l), kb_cmp(b, "le", j, c));
    dl_value *in_fall = kb_and(b, kb_cmp(b, "ge", j, c), kb_cmp(b, "lt", j, r));
    dl_value *falling = kb_div(b, kb_sub(b, r, j), kb_sub(b, r, c));
    dl_value *w = kb_select(b, in_fall, falling, kb_select(b, in_rise, rising, zero));
    kb_yield1(&g, kb_cast(b, w, ot->elem));
    return DL_OK;
}

const dl_lower_entry dl_lower_signal[] = {
    {DL_OP_graph_STFT, lower_stft},
    {DL_OP_graph_MelWeightMatrix, lower_mel_weight_matrix},
    {DL_OP_graph_DFT, lower_dft},
    {DL_OP_graph_HannWindow, lower_window},
    {DL_OP_graph_HammingWindow, lower_window},
    {DL_OP_graph_BlackmanWindow, lower_window},
    {DL_OP__INVALID, NULL},
};
