/* lower_resize.c: resampling: Resize and Upsample, whose source coordinates depend only on the
 * (static) shapes, so the ONNX reference's per-dimension taps (indices and weights for every
 * coordinate mode, nearest mode, cubic coefficient and exclude_outside) are computed at compile
 * time into small tables (a tf_crop_and_resize roi known only at run time makes the body compute
 * them); and GridSample, whose coordinates are data, computed in the body with bounds checks
 * before every load. */
#include "lower.h"

#include <math.h>
#include <string.h>

enum { MAX_TAPS = 4 };

/* ---- Resize taps ------------------------------------------------------------------------------
 */

typedef struct resize_spec {
    const char *coord, *nearest;
    int mode; /* 0 nearest, 1 linear, 2 cubic */
    double cubic_a;
    bool exclude_outside;
} resize_spec;

/* One output index's taps along one dimension. */
typedef struct taps {
    int n;
    int64_t idx[MAX_TAPS];
    double w[MAX_TAPS];
    bool outside; /* tf_crop_and_resize coordinate outside the input: extrapolate */
} taps;

static void coeffs_of(const resize_spec *s, double ratio, bool integral, double *c, int *n) {
    if (s->mode == 1) {
        *n = 2, c[0] = 1 - ratio, c[1] = ratio;
    } else if (s->mode == 2) {
        double A = s->cubic_a, r = ratio, q = 1 - ratio;
        *n = 4;
        c[0] = ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A;
        c[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
        c[2] = ((A + 2) * q - (A + 3)) * q * q + 1;
        c[3] = ((A * (q + 1) - 5 * A) * (q + 1) + 8 * A) * (q + 1) - 4 * A;
    } else {
        *n = 2;
        bool hi;
        if (integral || strcmp(s->nearest, "ceil") == 0)
            hi = true;
        else if (strcmp(s->nearest, "round_prefer_ceil") == 0)
            hi = ratio >= 0.5;
        else if (strcmp(s->nearest, "floor") == 0)
            hi = false;
        else
            hi = ratio > 0.5;
        c[0] = !hi, c[1] = hi;
    }
}

/* Taps of output index x along a dim of `in` elements resized by `scale` to `out` (the
 * reference's interpolate_1d_with_x; roi = [start, end] for tf_crop_and_resize). */
static taps taps_of(const resize_spec *s, int64_t x, int64_t in, double scale, const double *roi) {
    taps t = {0};
    double out_w = scale * (double)in, xo;
    const char *m = s->coord;
    if (strcmp(m, "align_corners") == 0) {
        xo = out_w == 1 ? 0 : (double)x * (double)(in - 1) / (out_w - 1);
    } else if (strcmp(m, "asymmetric") == 0) {
        xo = (double)x / scale;
    } else if (strcmp(m, "tf_crop_and_resize") == 0) {
        xo = out_w == 1 ? (roi[1] - roi[0]) * (double)(in - 1) / 2
                        : (double)x * (roi[1] - roi[0]) * (double)(in - 1) / (out_w - 1);
        xo += roi[0] * (double)(in - 1);
        t.outside = xo < 0 || xo > (double)(in - 1);
    } else if (strcmp(m, "pytorch_half_pixel") == 0) {
        xo = out_w == 1 ? -0.5 : ((double)x + 0.5) / scale - 0.5;
    } else if (strcmp(m, "tf_half_pixel_for_nn") == 0) {
        xo = ((double)x + 0.5) / scale;
    } else {
        xo = ((double)x + 0.5) / scale - 0.5;
    }
    double fl = floor(xo), ratio = xo == fl ? 1 : xo - fl, c[MAX_TAPS];
    int n;
    coeffs_of(s, ratio, xo == fl, c, &n);
    /* the n integers nearest to xo (ties: the smaller), within the edge-padded range */
    int64_t pad = (n + 1) / 2, lo = -pad, hi = in + pad, cand[2 * MAX_TAPS + 2];
    int nc = 0;
    for (int64_t i = (int64_t)fl - n; i <= (int64_t)fl + n; i++)
        if (i >= lo && i < hi) cand[nc++] = i;
    for (int a = 0; a < nc; a++)
        for (int b = a + 1; b < nc; b++) {
            double da = fabs(xo - (double)cand[a]), db = fabs(xo - (double)cand[b]);
            if (db < da || (db == da && cand[b] < cand[a])) {
                int64_t tmp = cand[a];
                cand[a] = cand[b], cand[b] = tmp;
            }
        }
    if (nc > n) nc = n;
    for (int a = 0; a < nc; a++)
        for (int b = a + 1; b < nc; b++)
            if (cand[b] < cand[a]) {
                int64_t tmp = cand[a];
                cand[a] = cand[b], cand[b] = tmp;
            }
    double sum = 0;
    for (int i = 0; i < nc; i++) {
        if (s->exclude_outside && (cand[i] < 0 || cand[i] >= in)) c[i] = 0;
        sum += c[i];
    }
    t.n = nc;
    for (int i = 0; i < nc; i++) {
        t.idx[i] = cand[i] < 0 ? 0 : cand[i] >= in ? in - 1 : cand[i];
        t.w[i] = s->exclude_outside && sum != 0 ? c[i] / sum : c[i];
    }
    return t;
}

/* Resamples x into out given per-dim scales and rois. */
static dl_status resample(dl_lower *lw, dl_op *op, const resize_spec *s, dl_value *x,
                          const double *scales, const double *roi, double extrapolation,
                          dl_value *out) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    const dl_type *xt = x->type, *ot = out->type;
    int r = xt->rank;
    if (s->mode && !dl_type_is_float(ot->elem))
        return dl_op_error(op, "linear and cubic modes need floating-point data");
    if (2 * r > KB_MAX_DIMS) return dl_op_error(op, "rank %d is not supported", r);
    /* per dim: direct (output index = input index) or a tap table */
    bool direct[KB_MAX_DIMS], any_outside = false;
    int ntaps[KB_MAX_DIMS];
    dl_value *idx_tab[KB_MAX_DIMS] = {0}, *w_tab[KB_MAX_DIMS] = {0}, *ok_tab[KB_MAX_DIMS] = {0};
    for (int k = 0; k < r; k++) {
        int64_t O = ot->dims[k], I = xt->dims[k];
        taps *tp = dl_alloc(ctx, sizeof(taps) * (size_t)(O ? O : 1));
        bool same = O == I, outside = false;
        int n = 1;
        for (int64_t o = 0; o < O; o++) {
            double rk[2] = {roi ? roi[k] : 0, roi ? roi[r + k] : 1};
            tp[o] = taps_of(s, o, I, scales[k], rk);
            outside |= tp[o].outside;
            /* keep only taps with a weight (nearest has exactly one) */
            int m = 0;
            for (int i = 0; i < tp[o].n; i++)
                if (tp[o].w[i] != 0 || s->mode)
                    tp[o].idx[m] = tp[o].idx[i], tp[o].w[m++] = tp[o].w[i];
            tp[o].n = m ? m : 1;
            if (!m) tp[o].idx[0] = 0, tp[o].w[0] = 0;
            if (tp[o].n > n) n = tp[o].n;
            same &= tp[o].n == 1 && tp[o].idx[0] == o && tp[o].w[0] == 1;
        }
        direct[k] = same && !outside;
        ntaps[k] = direct[k] ? 1 : n;
        any_outside |= outside;
        if (direct[k]) continue;
        int64_t *iv = dl_alloc(ctx, sizeof(int64_t) * (size_t)(O * n + 1));
        float *wv = dl_alloc(ctx, sizeof(float) * (size_t)(O * n + 1));
        float *okv = dl_alloc(ctx, sizeof(float) * (size_t)(O + 1));
        for (int64_t o = 0; o < O; o++) {
            okv[o] = tp[o].outside ? 0 : 1;
            for (int i = 0; i < n; i++) {
                iv[o * n + i] = i < tp[o].n ? tp[o].idx[i] : 0;
                wv[o * n + i] = i < tp[o].n ? (float)tp[o].w[i] : 0;
            }
        }
        int64_t dims[2] = {O, n};
        idx_tab[k] = kb_global_i64(top, 2, dims, iv);
        if (s->mode) w_tab[k] = kb_global_f32(top, 2, dims, wv);
        if (outside) ok_tab[k] = kb_global_f32(top, 1, &O, okv);
    }
    /* domain: output dims, then one tap dim per tabled dim with more than one tap */
    int64_t dom[KB_MAX_DIMS];
    int tap_dim[KB_MAX_DIMS], rank = r;
    memcpy(dom, ot->dims, sizeof(int64_t) * (size_t)r);
    for (int k = 0; k < r; k++) {
        tap_dim[k] = -1;
        if (!direct[k] && ntaps[k] > 1) tap_dim[k] = rank, dom[rank++] = ntaps[k];
    }
    bool accumulate = rank > r;
    if (accumulate) kb_fill(top, out, 0);
    kb_generic g;
    kb_begin(&g, top, rank, dom);
    for (int d = r; d < rank; d++) kb_reduction(&g, d);
    unsigned ii[KB_MAX_DIMS], wi[KB_MAX_DIMS];
    for (int k = 0; k < r; k++) {
        if (direct[k]) continue;
        const dl_affine_expr *res[2] = {dl_aff_dim(ctx, (unsigned)k),
                                        tap_dim[k] >= 0 ? dl_aff_dim(ctx, (unsigned)tap_dim[k])
                                                        : dl_aff_const(ctx, 0)};
        const dl_affine_map *m = kb_map(ctx, (unsigned)rank, 2, res);
        ii[k] = kb_in(&g, idx_tab[k], m);
        if (w_tab[k]) wi[k] = kb_in(&g, w_tab[k], m);
    }
    kb_in_indirect(&g, x);
    unsigned oi = kb_out(&g, out, kb_map_first(ctx, (unsigned)rank, (unsigned)r));
    dl_builder *b = kb_body(&g);
    dl_value *at[KB_MAX_DIMS];
    const dl_type *idx_t = dl_type_scalar(ctx, DL_TY_INDEX);
    for (int k = 0; k < r; k++)
        at[k] = direct[k] ? kb_dim(&g, k)
                          : kb_clamp_index(b, kb_cast(b, kb_arg(&g, ii[k]), idx_t), xt->dims[k]);
    dl_value *v = kb_load(b, x, (unsigned)r, at);
    if (!s->mode) {
        kb_yield1(&g, v);
    } else {
        const dl_type *f32 = dl_type_scalar(ctx, DL_TY_F32);
        dl_value *w = NULL;
        for (int k = 0; k < r; k++)
            if (w_tab[k]) w = w ? kb_mul(b, w, kb_arg(&g, wi[k])) : kb_arg(&g, wi[k]);
        dl_value *vf = kb_cast(b, v, f32);
        if (w) vf = kb_mul(b, vf, w);
        dl_value *acc = kb_arg(&g, oi);
        kb_yield1(&g,
                  accumulate ? kb_add(b, acc, kb_cast(b, vf, ot->elem)) : kb_cast(b, vf, ot->elem));
    }
    if (!any_outside) return DL_OK;
    /* tf_crop_and_resize: outside the input the result is extrapolation_value */
    kb_generic e;
    kb_begin(&e, top, r, ot->dims);
    unsigned oki[KB_MAX_DIMS];
    for (int k = 0; k < r; k++)
        if (ok_tab[k]) oki[k] = kb_in(&e, ok_tab[k], kb_map_dims(ctx, (unsigned)r, 1, &k));
    unsigned o2 = kb_out(&e, out, kb_map_id(ctx, (unsigned)r));
    b = kb_body(&e);
    dl_value *ok = NULL;
    for (int k = 0; k < r; k++)
        if (ok_tab[k]) {
            dl_value *c =
                kb_cmp(b, "ne", kb_arg(&e, oki[k]), kb_const(b, kb_arg(&e, oki[k])->type, 0));
            ok = ok ? kb_and(b, ok, c) : c;
        }
    dl_value *cur = kb_arg(&e, o2);
    kb_yield1(&e, kb_select(b, ok, cur, kb_const(b, cur->type, extrapolation)));
    return DL_OK;
}

/* The input index (before clamping) of the tap chosen by nearest mode s->nearest at source
 * coordinate xo (f64) whose floor is fl, as the reference picks it: an integral coordinate is
 * itself, otherwise floor or floor + 1 by the mode. */
static dl_value *nearest_tap(dl_builder *b, const resize_spec *s, dl_value *xo, dl_value *fl) {
    if (strcmp(s->nearest, "floor") == 0) return fl;
    dl_value *frac = kb_sub(b, xo, fl), *hi;
    if (strcmp(s->nearest, "ceil") == 0)
        hi = kb_cmp(b, "gt", frac, kb_like(b, frac, 0));
    else
        hi = kb_cmp(b, strcmp(s->nearest, "round_prefer_ceil") == 0 ? "ge" : "gt", frac,
                    kb_like(b, frac, 0.5));
    return kb_select(b, hi, kb_add(b, fl, kb_like(b, fl, 1)), fl);
}

/* tf_crop_and_resize with a roi known only at run time: the source coordinate along each dim
 * is computed in the body from the roi, in f64 as the reference does. Linear mode accumulates
 * over one tap dimension of 2 per input dim (weights 1 - frac and frac, indices clamped to the
 * edge); nearest mode loads one element. Outside the input the result is extrapolation. */
static dl_status resample_roi(dl_lower *lw, dl_op *op, const resize_spec *s, dl_value *x,
                              dl_value *roi, double extrapolation, dl_value *out) {
    dl_context *ctx = lw_ctx(lw);
    const dl_type *xt = x->type, *ot = out->type, *f64 = dl_type_scalar(ctx, DL_TY_F64);
    int r = xt->rank, rank = s->mode == 1 ? 2 * r : r;
    if (s->mode == 2 || (s->mode == 1 && !dl_type_is_float(ot->elem)))
        return dl_op_error(op, "a run-time roi needs nearest mode, or linear on floats");
    if (roi->type->rank != 1 || roi->type->dims[0] != 2 * r)
        return dl_op_error(op, "roi needs 2 values per dimension");
    int64_t dom[KB_MAX_DIMS];
    for (int d = 0; d < rank; d++) dom[d] = d < r ? ot->dims[d] : 2;
    if (rank > r) kb_fill(lw_top(lw), out, 0);
    kb_generic g;
    kb_begin(&g, lw_top(lw), rank, dom);
    for (int d = r; d < rank; d++) kb_reduction(&g, d);
    unsigned ri[2 * KB_MAX_DIMS];
    for (int k = 0; k < 2 * r; k++)
        ri[k] =
            kb_in(&g, roi,
                  kb_map(ctx, (unsigned)rank, 1, (const dl_affine_expr *[]){dl_aff_const(ctx, k)}));
    kb_in_indirect(&g, x);
    unsigned oi = kb_out(&g, out, kb_map_first(ctx, (unsigned)rank, (unsigned)r));
    dl_builder *b = kb_body(&g);
    const dl_type *it = dl_type_scalar(ctx, DL_TY_INDEX);
    dl_value *at[KB_MAX_DIMS], *outside = NULL, *first_tap = NULL, *w = kb_const(b, f64, 1);
    for (int k = 0; k < r; k++) {
        int64_t in = xt->dims[k], o = ot->dims[k];
        dl_value *st = kb_cast(b, kb_arg(&g, ri[k]), f64),
                 *en = kb_cast(b, kb_arg(&g, ri[r + k]), f64);
        dl_value *span = kb_mul(b, kb_sub(b, en, st), kb_const(b, f64, (double)(in - 1)));
        dl_value *xo = o == 1 ? kb_div(b, span, kb_const(b, f64, 2))
                              : kb_div(b, kb_mul(b, kb_cast(b, kb_dim(&g, k), f64), span),
                                       kb_const(b, f64, (double)(o - 1)));
        xo = kb_add(b, xo, kb_mul(b, st, kb_const(b, f64, (double)(in - 1))));
        dl_value *out_k = kb_or(b, kb_cmp(b, "lt", xo, kb_const(b, f64, 0)),
                                kb_cmp(b, "gt", xo, kb_const(b, f64, (double)(in - 1))));
        outside = outside ? kb_or(b, outside, out_k) : out_k;
        dl_value *fl = kb_un(b, DL_OP_arith_floor, xo), *src;
        if (s->mode == 1) {
            dl_value *tap = kb_dim(&g, r + k), *frac = kb_sub(b, xo, fl);
            dl_value *is0 = kb_cmp(b, "eq", tap, kb_index(b, 0));
            src = kb_add(b, fl, kb_cast(b, tap, f64));
            w = kb_mul(b, w, kb_select(b, is0, kb_sub(b, kb_const(b, f64, 1), frac), frac));
            first_tap = first_tap ? kb_and(b, first_tap, is0) : is0;
        } else {
            src = nearest_tap(b, s, xo, fl);
        }
        src = kb_clamp(b, src, kb_const(b, f64, 0), kb_const(b, f64, (double)(in - 1)));
        at[k] = kb_clamp_index(b, kb_cast(b, src, it), in);
    }
    dl_value *v = kb_load(b, x, (unsigned)r, at), *ext = kb_const(b, ot->elem, extrapolation);
    if (s->mode == 0) {
        kb_yield1(&g, kb_select(b, outside, ext, kb_cast(b, v, ot->elem)));
        return DL_OK;
    }
    /* outside: the first tap contributes the extrapolation value, the others nothing */
    dl_value *part = kb_cast(b, kb_mul(b, w, kb_cast(b, v, f64)), ot->elem);
    part = kb_select(b, outside, kb_select(b, first_tap, ext, kb_const(b, ot->elem, 0)), part);
    kb_yield1(&g, kb_add(b, kb_arg(&g, oi), part));
    return DL_OK;
}

static dl_status lower_resize(dl_lower *lw, dl_op *op) {
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type, *ot = out->type;
    int r = xt->rank;
    if (ot->rank != r || r > KB_MAX_DIMS / 2) return dl_op_error(op, "bad ranks");
    resize_spec s = {
        .coord = dl_op_attr_str(op, "coordinate_transformation_mode", "half_pixel"),
        .nearest = dl_op_attr_str(op, "nearest_mode", "round_prefer_floor"),
        .cubic_a = dl_op_attr_float(op, "cubic_coeff_a", -0.75),
        .exclude_outside = dl_op_attr_int(op, "exclude_outside", 0) != 0,
    };
    const char *mode = dl_op_attr_str(op, "mode", "nearest");
    s.mode = strcmp(mode, "linear") == 0 ? 1 : strcmp(mode, "cubic") == 0 ? 2 : 0;
    if (s.mode == 0 && strcmp(mode, "nearest") != 0)
        return dl_op_error(op, "mode '%s' is not supported", mode);
    double scales[KB_MAX_DIMS], roi[2 * KB_MAX_DIMS];
    bool has_roi = false;
    if (op->kind == DL_OP_graph_Upsample) {
        s.coord = "asymmetric", s.nearest = "floor";
        if (lw_const_floats(op, 1, scales, KB_MAX_DIMS) != r)
            return dl_op_error(op, "scales must be a constant with one value per dimension");
    } else {
        int64_t ns = lw_has(op, 2) && dl_type_num_elements(dl_operand(op, 2)->type) > 0
                         ? lw_const_floats(op, 2, scales, KB_MAX_DIMS)
                         : -2;
        if (ns == -1) return dl_op_error(op, "scales must be a constant");
        if (ns >= 0 && ns != r) return dl_op_error(op, "scales need one value per dimension");
        if (ns < 0)
            for (int k = 0; k < r; k++) scales[k] = (double)ot->dims[k] / (double)xt->dims[k];
        if (strcmp(s.coord, "tf_crop_and_resize") == 0) {
            int64_t nr = lw_const_floats(op, 1, roi, 2 * KB_MAX_DIMS);
            if (nr < 0 && lw_has(op, 1))
                return resample_roi(lw, op, &s, x, lw_in(lw, op, 1),
                                    dl_op_attr_float(op, "extrapolation_value", 0), out);
            if (nr != 2 * r) return dl_op_error(op, "roi must have 2 values per dimension");
            has_roi = true;
        }
    }
    for (int k = 0; k < r; k++)
        if (!(scales[k] > 0) || xt->dims[k] == 0)
            return dl_op_error(op, "scales must be positive and the input non-empty");
    return resample(lw, op, &s, x, scales, has_roi ? roi : NULL,
                    dl_op_attr_float(op, "extrapolation_value", 0), out);
}

/* ---- GridSample ----------------------------------------------------------------------------- */

/* PyTorch's reflect_coordinates: reflect into [lo2/2, hi2/2]. */
static dl_value *reflect(dl_builder *b, dl_value *x, double lo2, double hi2) {
    if (lo2 == hi2) return kb_like(b, x, 0);
    double mn = lo2 / 2, span = (hi2 - lo2) / 2;
    dl_value *in = kb_un(b, DL_OP_arith_abs, kb_sub(b, x, kb_like(b, x, mn)));
    dl_value *extra = kb_bin(b, DL_OP_arith_rem, in, kb_like(b, x, span));
    dl_value *flips = kb_un(b, DL_OP_arith_floor, kb_div(b, in, kb_like(b, x, span)));
    dl_value *half = kb_un(b, DL_OP_arith_floor, kb_div(b, flips, kb_like(b, x, 2)));
    dl_value *even = kb_cmp(b, "eq", kb_mul(b, half, kb_like(b, x, 2)), flips);
    return kb_select(b, even, kb_add(b, extra, kb_like(b, x, mn)),
                     kb_add(b, kb_sub(b, kb_like(b, x, span), extra), kb_like(b, x, mn)));
}

typedef struct grid_spec {
    int mode;    /* 0 bilinear, 1 nearest, 2 bicubic */
    int padding; /* 0 zeros, 1 border, 2 reflection */
    bool align;
} grid_spec;

/* Applies the padding mode to a source coordinate along a dim of `size` elements. */
static dl_value *pad_coord(dl_builder *b, const grid_spec *s, dl_value *x, int64_t size) {
    dl_value *lo = kb_like(b, x, 0), *hi = kb_like(b, x, (double)(size - 1));
    if (s->padding == 1) return kb_clamp(b, x, lo, hi);
    if (s->padding == 2) {
        x = s->align ? reflect(b, x, 0, 2.0 * (double)(size - 1))
                     : reflect(b, x, -1, 2.0 * (double)size - 1);
        return kb_clamp(b, x, lo, hi);
    }
    return x;
}

/* x[n, c, yi, xi] for float coordinates that are whole numbers, 0 outside the input. */
static dl_value *pixel(dl_builder *b, dl_value *img, dl_value *n, dl_value *c, dl_value *yi,
                       dl_value *xi) {
    const dl_type *t = img->type;
    dl_value *in = kb_and(b,
                          kb_and(b, kb_cmp(b, "ge", xi, kb_like(b, xi, 0)),
                                 kb_cmp(b, "le", xi, kb_like(b, xi, (double)(t->dims[3] - 1)))),
                          kb_and(b, kb_cmp(b, "ge", yi, kb_like(b, yi, 0)),
                                 kb_cmp(b, "le", yi, kb_like(b, yi, (double)(t->dims[2] - 1)))));
    const dl_type *it = dl_type_scalar(b->ctx, DL_TY_INDEX);
    dl_value *idx[4] = {n, c, kb_clamp_index(b, kb_cast(b, yi, it), t->dims[2]),
                        kb_clamp_index(b, kb_cast(b, xi, it), t->dims[3])};
    dl_value *v = kb_load(b, img, 4, idx);
    return kb_select(b, in, v, kb_like(b, v, 0));
}

static void cubic_weights(dl_builder *b, dl_value *t, dl_value **w) {
    double A = -0.75;
    dl_value *one = kb_like(b, t, 1), *x1 = kb_add(b, t, one), *x2 = kb_sub(b, one, t);
    dl_value *x3 = kb_add(b, x2, one);
    /* |x| <= 1: ((A + 2) x - (A + 3)) x^2 + 1; 1 < |x| < 2: ((A x - 5A) x + 8A) x - 4A */
    dl_value *far[2] = {x1, x3}, *near[2] = {t, x2};
    dl_value *res[2];
    for (int i = 0; i < 2; i++) {
        dl_value *x = far[i];
        res[i] = kb_sub(
            b,
            kb_mul(b,
                   kb_add(b,
                          kb_mul(b, kb_sub(b, kb_mul(b, kb_like(b, x, A), x), kb_like(b, x, 5 * A)),
                                 x),
                          kb_like(b, x, 8 * A)),
                   x),
            kb_like(b, x, 4 * A));
    }
    for (int i = 0; i < 2; i++) {
        dl_value *x = near[i];
        dl_value *p = kb_sub(b, kb_mul(b, kb_like(b, x, A + 2), x), kb_like(b, x, A + 3));
        near[i] = kb_add(b, kb_mul(b, kb_mul(b, p, x), x), one);
    }
    w[0] = res[0], w[1] = near[0], w[2] = near[1], w[3] = res[1];
}

static dl_status lower_grid_sample(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *x = lw_in(lw, op, 0), *grid = lw_in(lw, op, 1), *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type, *ot = out->type;
    if (xt->rank != 4 || grid->type->rank != 4 || grid->type->dims[3] != 2 ||
        !dl_type_is_float(xt->elem))
        return dl_op_error(op, "only 2-d sampling of float data is supported");
    grid_spec s = {0, 0, dl_op_attr_int(op, "align_corners", 0) != 0};
    const char *mode = dl_op_attr_str(op, "mode", "bilinear");
    const char *pad = dl_op_attr_str(op, "padding_mode", "zeros");
    s.mode = strcmp(mode, "nearest") == 0 ? 1 : strcmp(mode, "bicubic") == 0 ? 2 : 0;
    s.padding = strcmp(pad, "border") == 0 ? 1 : strcmp(pad, "reflection") == 0 ? 2 : 0;
    if ((s.mode == 0 && strcmp(mode, "bilinear") != 0) || (s.padding == 0 && strcmp(pad, "zeros")))
        return dl_op_error(op, "mode '%s' / padding_mode '%s' is not supported", mode, pad);
    kb_generic g;
    kb_begin(&g, lw_top(lw), 4, ot->dims);
    const dl_affine_expr *gx[4] = {dl_aff_dim(ctx, 0), dl_aff_dim(ctx, 2), dl_aff_dim(ctx, 3),
                                   dl_aff_const(ctx, 0)};
    unsigned xi_ = kb_in(&g, grid, kb_map(ctx, 4, 4, gx));
    gx[3] = dl_aff_const(ctx, 1);
    unsigned yi_ = kb_in(&g, grid, kb_map(ctx, 4, 4, gx));
    kb_in_indirect(&g, x);
    kb_out(&g, out, kb_map_id(ctx, 4));
    dl_builder *b = kb_body(&g);
    const dl_type *ft = xt->elem;
    dl_value *n = kb_dim(&g, 0), *c = kb_dim(&g, 1);
    int64_t W = xt->dims[3], H = xt->dims[2];
    dl_value *coord[2] = {kb_cast(b, kb_arg(&g, xi_), ft), kb_cast(b, kb_arg(&g, yi_), ft)};
    int64_t size[2] = {W, H};
    for (int i = 0; i < 2; i++) {
        dl_value *v = coord[i], *one = kb_like(b, v, 1);
        /* unnormalise from [-1, 1] */
        if (s.align)
            v = kb_mul(b, kb_div(b, kb_add(b, v, one), kb_like(b, v, 2)),
                       kb_like(b, v, (double)(size[i] - 1)));
        else
            v = kb_div(b,
                       kb_sub(b, kb_mul(b, kb_add(b, v, one), kb_like(b, v, (double)size[i])), one),
                       kb_like(b, v, 2));
        coord[i] = s.mode == 2 ? v : pad_coord(b, &s, v, size[i]);
    }
    dl_value *res;
    if (s.mode == 1) {
        dl_value *xr = kb_un(b, DL_OP_arith_round, coord[0]),
                 *yr = kb_un(b, DL_OP_arith_round, coord[1]);
        res = pixel(b, x, n, c, yr, xr);
    } else if (s.mode == 0) {
        dl_value *x0 = kb_un(b, DL_OP_arith_floor, coord[0]),
                 *y0 = kb_un(b, DL_OP_arith_floor, coord[1]);
        dl_value *one = kb_like(b, x0, 1), *x1 = kb_add(b, x0, one), *y1 = kb_add(b, y0, one);
        dl_value *wx1 = kb_sub(b, coord[0], x0), *wx0 = kb_sub(b, x1, coord[0]);
        dl_value *wy1 = kb_sub(b, coord[1], y0), *wy0 = kb_sub(b, y1, coord[1]);
        res = kb_mul(b, kb_mul(b, pixel(b, x, n, c, y0, x0), wx0), wy0);
        res = kb_add(b, res, kb_mul(b, kb_mul(b, pixel(b, x, n, c, y0, x1), wx1), wy0));
        res = kb_add(b, res, kb_mul(b, kb_mul(b, pixel(b, x, n, c, y1, x0), wx0), wy1));
        res = kb_add(b, res, kb_mul(b, kb_mul(b, pixel(b, x, n, c, y1, x1), wx1), wy1));
    } else {
        dl_value *x0 = kb_un(b, DL_OP_arith_floor, coord[0]),
                 *y0 = kb_un(b, DL_OP_arith_floor, coord[1]);
        dl_value *wx[4], *wy[4];
        cubic_weights(b, kb_sub(b, coord[0], x0), wx);
        cubic_weights(b, kb_sub(b, coord[1], y0), wy);
        res = kb_like(b, x0, 0);
        for (int j = 0; j < 4; j++) {
            dl_value *yj = pad_coord(b, &s, kb_add(b, y0, kb_like(b, y0, j - 1)), H);
            dl_value *row = kb_like(b, x0, 0);
            for (int i = 0; i < 4; i++) {
                dl_value *xj = pad_coord(b, &s, kb_add(b, x0, kb_like(b, x0, i - 1)), W);
                row = kb_add(b, row, kb_mul(b, pixel(b, x, n, c, yj, xj), wx[i]));
            }
            res = kb_add(b, res, kb_mul(b, row, wy[j]));
        }
    }
    kb_yield1(&g, kb_cast(b, res, ot->elem));
    return DL_OK;
}

const dl_lower_entry dl_lower_resize[] = {
    {DL_OP_graph_Resize, lower_resize},
    {DL_OP_graph_Upsample, lower_resize},
    {DL_OP_graph_GridSample, lower_grid_sample},
    {DL_OP__INVALID, NULL},
};
