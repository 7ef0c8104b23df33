/* lower_roi.c: pooling over regions of interest whose boxes are data: RoiAlign (bilinear
 * samples on a regular grid per output bin, averaged or maximised; ONNX Runtime's sampling)
 * and MaxRoiPool (the maximum over each bin's whole pixels, Caffe's rounding). Box coordinates
 * and batch indices are computed in the body and clamped before every load. */
#include "lower.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* ---- RoiAlign ------------------------------------------------------------------------------ */

typedef struct roi_ctx {
    dl_value *x, *n, *c; /* image, batch and channel indices */
    bool is_max;
} roi_ctx;

/* One sample point's contribution (ONNX Runtime's bilinear pre-calculation): the weighted sum
 * of the 4 neighbours (avg) or the largest weighted neighbour (max); 0 outside the image. */
static dl_value *roi_sample(dl_builder *b, const roi_ctx *rc, dl_value *y, dl_value *x) {
    const dl_type *t = y->type, *it = dl_type_scalar(b->ctx, DL_TY_INDEX);
    int64_t H = rc->x->type->dims[2], W = rc->x->type->dims[3];
    dl_value *zero = kb_like(b, y, 0), *one = kb_like(b, y, 1);
    dl_value *outside = kb_or(b,
                              kb_or(b, kb_cmp(b, "lt", y, kb_like(b, y, -1)),
                                    kb_cmp(b, "gt", y, kb_like(b, y, (double)H))),
                              kb_or(b, kb_cmp(b, "lt", x, kb_like(b, x, -1)),
                                    kb_cmp(b, "gt", x, kb_like(b, x, (double)W))));
    dl_value *c[2] = {kb_select(b, kb_cmp(b, "le", y, zero), zero, y),
                      kb_select(b, kb_cmp(b, "le", x, zero), zero, x)};
    int64_t size[2] = {H, W};
    dl_value *lo[2], *hi[2], *frac[2];
    for (int i = 0; i < 2; i++) {
        dl_value *l = kb_un(b, DL_OP_arith_floor, c[i]),
                 *top = kb_like(b, l, (double)(size[i] - 1));
        dl_value *at_end = kb_cmp(b, "ge", l, top);
        l = kb_select(b, at_end, top, l);
        dl_value *v = kb_select(b, at_end, l, c[i]);
        lo[i] = kb_clamp_index(b, kb_cast(b, l, it), size[i]);
        hi[i] = kb_clamp_index(b, kb_select(b, at_end, lo[i], kb_add(b, lo[i], kb_index(b, 1))),
                               size[i]);
        frac[i] = kb_sub(b, v, l);
    }
    dl_value *hy = kb_sub(b, one, frac[0]), *hx = kb_sub(b, one, frac[1]);
    dl_value *w[4] = {kb_mul(b, hy, hx), kb_mul(b, hy, frac[1]), kb_mul(b, frac[0], hx),
                      kb_mul(b, frac[0], frac[1])};
    dl_value *ys[4] = {lo[0], lo[0], hi[0], hi[0]}, *xs[4] = {lo[1], hi[1], lo[1], hi[1]};
    dl_value *r = NULL;
    for (int i = 0; i < 4; i++) {
        dl_value *v =
            kb_cast(b, kb_load(b, rc->x, 4, (dl_value *[]){rc->n, rc->c, ys[i], xs[i]}), t);
        v = kb_mul(b, w[i], v);
        r = !r ? v : rc->is_max ? kb_max_nan(b, r, v) : kb_add(b, r, v);
    }
    return kb_select(b, outside, zero, r);
}

static dl_status lower_roi_align(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *rois = lw_in(lw, op, 1), *bi = lw_in(lw, op, 2);
    dl_value *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type, *ot = out->type, *ft = ot->elem;
    if (xt->rank != 4 || rois->type->rank != 2 || rois->type->dims[1] != 4 || ot->rank != 4 ||
        !dl_type_is_float(ft))
        return dl_op_error(op, "needs float X (N, C, H, W) and rois (R, 4)");
    const char *mode = dl_op_attr_str(op, "mode", "avg");
    roi_ctx rc = {.x = x, .is_max = strcmp(mode, "max") == 0};
    if (!rc.is_max && strcmp(mode, "avg") != 0) return dl_op_error(op, "mode '%s'", mode);
    bool half = strcmp(dl_op_attr_str(op, "coordinate_transformation_mode", "half_pixel"),
                       "half_pixel") == 0;
    double scale = dl_op_attr_float(op, "spatial_scale", 1.0);
    int64_t ratio = dl_op_attr_int(op, "sampling_ratio", 0);
    int64_t OH = ot->dims[2], OW = ot->dims[3];
    /* domain (r, c, ph, pw[, iy, ix]) */
    int64_t dom[6] = {ot->dims[0], ot->dims[1], OH, OW, ratio, ratio};
    int rank = ratio > 0 ? 6 : 4;
    kb_fill(top, out, rc.is_max ? -INFINITY : 0);
    kb_generic g;
    kb_begin(&g, top, rank, dom);
    for (int d = 4; d < rank; d++) kb_reduction(&g, d);
    unsigned ri[4];
    for (int k = 0; k < 4; k++) {
        const dl_affine_expr *res[2] = {dl_aff_dim(ctx, 0), dl_aff_const(ctx, k)};
        ri[k] = kb_in(&g, rois, kb_map(ctx, (unsigned)rank, 2, res));
    }
    unsigned bii = kb_in(&g, bi, kb_map_dims(ctx, (unsigned)rank, 1, (int[]){0}));
    kb_in_indirect(&g, x);
    unsigned oi = ratio > 0 ? kb_out(&g, out, kb_map_first(ctx, (unsigned)rank, 4))
                            : kb_out_indirect(&g, out);
    dl_builder *b = kb_body(&g);
    rc.n = kb_index_in(b, kb_arg(&g, bii), xt->dims[0]);
    rc.c = kb_dim(&g, 1);
    dl_value *off = kb_const(b, ft, half ? 0.5 : 0), *sc = kb_const(b, ft, scale);
    dl_value *r4[4];
    for (int k = 0; k < 4; k++)
        r4[k] = kb_sub(b, kb_mul(b, kb_cast(b, kb_arg(&g, ri[k]), ft), sc), off);
    dl_value *rw = kb_sub(b, r4[2], r4[0]), *rh = kb_sub(b, r4[3], r4[1]);
    if (!half) {
        rw = kb_max_nan(b, rw, kb_const(b, ft, 1));
        rh = kb_max_nan(b, rh, kb_const(b, ft, 1));
    }
    dl_value *bh = kb_div(b, rh, kb_const(b, ft, (double)OH)),
             *bw = kb_div(b, rw, kb_const(b, ft, (double)OW));
    dl_value *gh, *gw;
    if (ratio > 0) {
        gh = gw = kb_const(b, ft, (double)ratio);
    } else {
        /* adaptive grid, capped at the image size so hostile rois cannot make it huge */
        gh = kb_clamp(b, kb_un(b, DL_OP_arith_ceil, bh), kb_const(b, ft, 0),
                      kb_const(b, ft, (double)xt->dims[2] + 1));
        gw = kb_clamp(b, kb_un(b, DL_OP_arith_ceil, bw), kb_const(b, ft, 0),
                      kb_const(b, ft, (double)xt->dims[3] + 1));
    }
    dl_value *count = kb_max_nan(b, kb_mul(b, gh, gw), kb_const(b, ft, 1));
    dl_value *y0 = kb_add(b, r4[1], kb_mul(b, kb_cast(b, kb_dim(&g, 2), ft), bh));
    dl_value *x0 = kb_add(b, r4[0], kb_mul(b, kb_cast(b, kb_dim(&g, 3), ft), bw));
    dl_value *half_ = kb_const(b, ft, 0.5);
    if (ratio > 0) {
        dl_value *y = kb_add(
            b, y0, kb_div(b, kb_mul(b, kb_add(b, kb_cast(b, kb_dim(&g, 4), ft), half_), bh), gh));
        dl_value *xx = kb_add(
            b, x0, kb_div(b, kb_mul(b, kb_add(b, kb_cast(b, kb_dim(&g, 5), ft), half_), bw), gw));
        dl_value *v = roi_sample(b, &rc, y, xx), *acc = kb_arg(&g, oi);
        kb_yield1(&g, rc.is_max ? kb_max_nan(b, acc, v) : kb_add(b, acc, kb_div(b, v, count)));
        return DL_OK;
    }
    dl_value *at[4] = {kb_dim(&g, 0), kb_dim(&g, 1), kb_dim(&g, 2), kb_dim(&g, 3)};
    const dl_type *it = dl_type_scalar(ctx, DL_TY_INDEX);
    dl_builder yb, xb;
    dl_value *one = kb_index(b, 1), *zero = kb_index(b, 0);
    dl_value *iy = kb_for(b, zero, kb_cast(b, gh, it), one, &yb);
    dl_value *ix = kb_for(&yb, zero, kb_cast(&yb, gw, it), one, &xb);
    dl_value *y =
        kb_add(&xb, y0, kb_div(&xb, kb_mul(&xb, kb_add(&xb, kb_cast(&xb, iy, ft), half_), bh), gh));
    dl_value *xx =
        kb_add(&xb, x0, kb_div(&xb, kb_mul(&xb, kb_add(&xb, kb_cast(&xb, ix, ft), half_), bw), gw));
    dl_value *v = roi_sample(&xb, &rc, y, xx), *acc = kb_load(&xb, out, 4, at);
    kb_store(&xb, rc.is_max ? kb_max_nan(&xb, acc, v) : kb_add(&xb, acc, kb_div(&xb, v, count)),
             out, 4, at);
    kb_yield(&g, 0, NULL);
    (void)oi;
    return DL_OK;
}

/* ---- MaxRoiPool ---------------------------------------------------------------------------- */

/* Round half away from zero (C's round), which Caffe's RoI pooling uses for box corners. */
static dl_value *round_away(dl_builder *b, dl_value *x) {
    dl_value *r =
        kb_un(b, DL_OP_arith_floor, kb_add(b, kb_un(b, DL_OP_arith_abs, x), kb_like(b, x, 0.5)));
    return kb_select(b, kb_cmp(b, "lt", x, kb_like(b, x, 0)), kb_un(b, DL_OP_arith_neg, r), r);
}

/* The pixel range [*lo, *hi) of output bin p along a dim of `size` pixels: the box starts at
 * `start` (whole, in pixels) and its bins are `bin` pixels wide; clamped into [0, size]. */
static void bin_range(dl_builder *b, dl_value *p, dl_value *start, dl_value *bin, int64_t size,
                      dl_value **lo, dl_value **hi) {
    const dl_type *ft = bin->type, *it = dl_type_scalar(b->ctx, DL_TY_INDEX);
    dl_value *pf = kb_cast(b, p, ft), *zero = kb_like(b, bin, 0),
             *n = kb_like(b, bin, (double)size);
    dl_value *l = kb_add(b, kb_un(b, DL_OP_arith_floor, kb_mul(b, pf, bin)), start);
    dl_value *h = kb_add(
        b, kb_un(b, DL_OP_arith_ceil, kb_mul(b, kb_add(b, pf, kb_like(b, pf, 1)), bin)), start);
    *lo = kb_cast(b, kb_clamp(b, l, zero, n), it);
    *hi = kb_cast(b, kb_clamp(b, h, zero, n), it);
}

/* MaxRoiPool: rois (R, 5) = (batch index, x1, y1, x2, y2) scaled by spatial_scale and rounded;
 * out[r, c, ph, pw] = the maximum of X over the bin's pixels, 0 for an empty bin. One generic
 * over the output whose body loops over the bin's pixels (data-dependent bounds) and keeps the
 * running maximum in the output element. */
static dl_status lower_max_roi_pool(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *x = lw_in(lw, op, 0), *rois = lw_in(lw, op, 1), *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type, *ot = out->type, *ft = ot->elem;
    if (xt->rank != 4 || rois->type->rank != 2 || rois->type->dims[1] != 5 || ot->rank != 4 ||
        !dl_type_is_float(ft))
        return dl_op_error(op, "needs float X (N, C, H, W) and rois (R, 5)");
    double scale = dl_op_attr_float(op, "spatial_scale", 1.0);
    int64_t H = xt->dims[2], W = xt->dims[3], PH = ot->dims[2], PW = ot->dims[3];
    if (dl_type_num_elements(ot) == 0) return DL_OK;
    kb_generic g;
    kb_begin(&g, lw_top(lw), 4, ot->dims);
    for (int d = 0; d < 4; d++) kb_reduction(&g, d); /* the body stores */
    unsigned ri[5];
    for (int k = 0; k < 5; k++) {
        const dl_affine_expr *res[2] = {dl_aff_dim(ctx, 0), dl_aff_const(ctx, k)};
        ri[k] = kb_in(&g, rois, kb_map(ctx, 4, 2, res));
    }
    kb_in_indirect(&g, x);
    kb_out_indirect(&g, out);
    dl_builder *b = kb_body(&g);
    const dl_type *it = dl_type_scalar(ctx, DL_TY_INDEX);
    dl_value *r5[5];
    for (int k = 0; k < 5; k++) r5[k] = kb_cast(b, kb_arg(&g, ri[k]), ft);
    dl_value *n = kb_clamp_index(b, kb_cast(b, r5[0], it), xt->dims[0]);
    dl_value *corner[4]; /* x1, y1, x2, y2 in whole pixels */
    for (int k = 0; k < 4; k++)
        corner[k] = round_away(b, kb_mul(b, r5[k + 1], kb_const(b, ft, scale)));
    dl_value *one = kb_const(b, ft, 1);
    dl_value *rh = kb_max_nan(b, kb_add(b, kb_sub(b, corner[3], corner[1]), one), one);
    dl_value *rw = kb_max_nan(b, kb_add(b, kb_sub(b, corner[2], corner[0]), one), one);
    dl_value *hs, *he, *ws, *we;
    bin_range(b, kb_dim(&g, 2), corner[1], kb_div(b, rh, kb_const(b, ft, (double)PH)), H, &hs, &he);
    bin_range(b, kb_dim(&g, 3), corner[0], kb_div(b, rw, kb_const(b, ft, (double)PW)), W, &ws, &we);
    dl_value *at[4] = {kb_dim(&g, 0), kb_dim(&g, 1), kb_dim(&g, 2), kb_dim(&g, 3)};
    dl_value *empty = kb_or(b, kb_cmp(b, "le", he, hs), kb_cmp(b, "le", we, ws));
    kb_store(b, kb_select(b, empty, kb_const(b, ft, 0), kb_const(b, ft, -FLT_MAX)), out, 4, at);
    dl_builder hb, wb;
    dl_value *c1 = kb_index(b, 1);
    dl_value *h = kb_for(b, hs, he, c1, &hb);
    dl_value *w = kb_for(&hb, ws, we, c1, &wb);
    dl_value *v = kb_cast(&wb, kb_load(&wb, x, 4, (dl_value *[]){n, at[1], h, w}), ft);
    dl_value *acc = kb_load(&wb, out, 4, at);
    kb_store(&wb, kb_select(&wb, kb_cmp(&wb, "gt", v, acc), v, acc), out, 4, at);
    kb_yield(&g, 0, NULL);
    return DL_OK;
}

const dl_lower_entry dl_lower_roi[] = {
    {DL_OP_graph_RoiAlign, lower_roi_align},
    {DL_OP_graph_MaxRoiPool, lower_max_roi_pool},
    {DL_OP__INVALID, NULL},
};
