/* lower_conv.c: Conv and ConvTranspose (any number of spatial dims, groups, strides,
 * dilations, explicit or automatic padding). Conv reads a zero-padded copy of its input so that
 * every access is affine and in bounds; ConvTranspose scatters into an uncropped buffer and
 * copies the padded window out. Both start from the bias (or zero) and accumulate. A pointwise
 * Conv works on flat views of its spatial dims (a matrix product per image). */
#include "lower.h"

#include <string.h>

enum { MAX_SPATIAL = 8 };

/* Spatial parameters shared by the convolution ops. */
typedef struct conv_params {
    int ns; /* number of spatial dims */
    int64_t kernel[MAX_SPATIAL], stride[MAX_SPATIAL], dilation[MAX_SPATIAL];
    int64_t pad_begin[MAX_SPATIAL], pad_end[MAX_SPATIAL];
} conv_params;

/* Reads kernel_shape (or the weights' spatial dims), strides, dilations and explicit pads. */
static dl_status read_params(dl_op *op, const dl_type *w, conv_params *p) {
    p->ns = w->rank - 2;
    if (p->ns < 0 || p->ns > MAX_SPATIAL)
        return dl_op_error(op, "%d spatial dimensions are not supported", p->ns);
    int64_t pads[2 * MAX_SPATIAL];
    int nk = dl_op_attr_ints(op, "kernel_shape", p->kernel, MAX_SPATIAL);
    int nst = dl_op_attr_ints(op, "strides", p->stride, MAX_SPATIAL);
    int nd = dl_op_attr_ints(op, "dilations", p->dilation, MAX_SPATIAL);
    int np = dl_op_attr_ints(op, "pads", pads, 2 * MAX_SPATIAL);
    for (int i = 0; i < p->ns; i++) {
        if (nk < 0) p->kernel[i] = w->dims[2 + i];
        if (nst < 0) p->stride[i] = 1;
        if (nd < 0) p->dilation[i] = 1;
        p->pad_begin[i] = np < 0 ? 0 : pads[i];
        p->pad_end[i] = np < 0 ? 0 : pads[p->ns + i];
    }
    if ((nk >= 0 && nk != p->ns) || (nst >= 0 && nst != p->ns) || (nd >= 0 && nd != p->ns) ||
        (np >= 0 && np != 2 * p->ns))
        return dl_op_error(op, "kernel_shape, strides, dilations and pads need one entry per "
                               "spatial dimension");
    for (int i = 0; i < p->ns; i++) {
        if (p->kernel[i] != w->dims[2 + i])
            return dl_op_error(op, "kernel_shape disagrees with the weights");
        if (p->stride[i] <= 0 || p->dilation[i] <= 0 || p->pad_begin[i] < 0 || p->pad_end[i] < 0)
            return dl_op_error(op, "strides and dilations must be positive, pads non-negative");
    }
    return DL_OK;
}

/* Conv's automatic padding: out = ceil(in / stride) for SAME_*, no padding for VALID. */
static void auto_pads(dl_op *op, const dl_type *x, conv_params *p) {
    const char *ap = dl_op_attr_str(op, "auto_pad", "NOTSET");
    bool upper = strcmp(ap, "SAME_UPPER") == 0, lower = strcmp(ap, "SAME_LOWER") == 0;
    for (int i = 0; i < p->ns && (upper || lower || strcmp(ap, "VALID") == 0); i++) {
        int64_t in = x->dims[2 + i], out = (in + p->stride[i] - 1) / p->stride[i];
        int64_t total = (out - 1) * p->stride[i] + (p->kernel[i] - 1) * p->dilation[i] + 1 - in;
        if (total < 0 || !(upper || lower)) total = 0;
        p->pad_begin[i] = upper ? total / 2 : total - total / 2;
        p->pad_end[i] = total - p->pad_begin[i];
    }
}

dl_value *lw_padded_input(dl_lower *lw, dl_value *x, int ns, const int64_t *pad_begin,
                          const int64_t *need, double fill) {
    dl_context *ctx = lw_ctx(lw);
    const dl_type *t = x->type;
    int64_t dims[KB_MAX_DIMS];
    bool padded = false;
    dims[0] = t->dims[0];
    dims[1] = t->dims[1];
    for (int i = 0; i < ns; i++) {
        int64_t in = t->dims[2 + i];
        dims[2 + i] = need[i] > pad_begin[i] + in ? need[i] : pad_begin[i] + in;
        padded |= dims[2 + i] != in;
    }
    if (!padded) return x;
    dl_value *p = lw_temp(lw, t->elem, t->rank, dims);
    kb_fill(lw_top(lw), p, fill);
    int64_t off[KB_MAX_DIMS] = {0};
    memcpy(off + 2, pad_begin, sizeof(int64_t) * (size_t)ns);
    kb_copy_box(lw_top(lw), t->rank, t->dims, x, kb_map_id(ctx, (unsigned)t->rank), p,
                kb_map_shift(ctx, (unsigned)t->rank, off));
    return p;
}

/* dst[n, m, ...] = bias[m] (or 0). */
static void init_bias(dl_builder *top, dl_value *dst, dl_value *bias) {
    if (!bias) {
        kb_fill(top, dst, 0);
        return;
    }
    const dl_type *t = dst->type;
    int dims[1] = {1};
    kb_copy(top, bias, kb_map_dims(top->ctx, (unsigned)t->rank, 1, dims), dst);
}

/* The convolution generic's domain (N, [G,] Mg, out spatial..., Cg, kernel...) and maps.
 * `spatial` gives each spatial output dim's extents: the output's for Conv, the input's for
 * ConvTranspose (whose "output" side is read and the input side written). */
typedef struct conv_nest {
    int rank, dg, dm, dsp, dc, dk; /* positions of the dims (dg = -1 without groups) */
    int64_t dom[KB_MAX_DIMS];
} conv_nest;

static void conv_nest_init(conv_nest *n, int64_t N, int64_t G, int64_t Mg, int64_t Cg, int ns,
                           const int64_t *spatial, const int64_t *kernel) {
    int r = 0;
    n->dom[r++] = N;
    n->dg = G > 1 ? r : -1;
    if (G > 1) n->dom[r++] = G;
    n->dm = r;
    n->dom[r++] = Mg;
    n->dsp = r;
    for (int i = 0; i < ns; i++) n->dom[r++] = spatial[i];
    n->dc = r;
    n->dom[r++] = Cg;
    n->dk = r;
    for (int i = 0; i < ns; i++) n->dom[r++] = kernel[i];
    n->rank = r;
}

/* g * size + d_pos (or d_pos alone without groups). */
static const dl_affine_expr *grouped(dl_context *ctx, const conv_nest *n, int64_t size, int pos) {
    const dl_affine_expr *e = dl_aff_dim(ctx, (unsigned)pos);
    if (n->dg < 0) return e;
    return dl_aff_add(
        ctx, dl_aff_mul(ctx, dl_aff_dim(ctx, (unsigned)n->dg), dl_aff_const(ctx, size)), e);
}

/* (n, g*size + d_chan, sp...) */
static const dl_affine_map *map_chan(dl_context *ctx, const conv_nest *n, int64_t size, int chan,
                                     int ns) {
    const dl_affine_expr *res[KB_MAX_DIMS];
    res[0] = dl_aff_dim(ctx, 0);
    res[1] = grouped(ctx, n, size, chan);
    for (int i = 0; i < ns; i++) res[2 + i] = dl_aff_dim(ctx, (unsigned)(n->dsp + i));
    return kb_map(ctx, (unsigned)n->rank, (unsigned)(2 + ns), res);
}

/* (n, g*Cg + c, sp_i * stride_i + k_i * dilation_i) */
static const dl_affine_map *map_window(dl_context *ctx, const conv_nest *n, int64_t Cg,
                                       const conv_params *p) {
    const dl_affine_expr *res[KB_MAX_DIMS];
    res[0] = dl_aff_dim(ctx, 0);
    res[1] = grouped(ctx, n, Cg, n->dc);
    for (int i = 0; i < p->ns; i++) {
        int64_t coef[KB_MAX_DIMS] = {0};
        coef[n->dsp + i] = p->stride[i];
        coef[n->dk + i] = p->dilation[i];
        res[2 + i] = kb_linear(ctx, 0, (unsigned)n->rank, coef);
    }
    return kb_map(ctx, (unsigned)n->rank, (unsigned)(2 + p->ns), res);
}

/* Weights (g*A + a, b, k...) where (a, b) are the dims at positions pa, pb. */
static const dl_affine_map *map_weights(dl_context *ctx, const conv_nest *n, int64_t A, int pa,
                                        int pb, int ns) {
    const dl_affine_expr *res[KB_MAX_DIMS];
    res[0] = grouped(ctx, n, A, pa);
    res[1] = dl_aff_dim(ctx, (unsigned)pb);
    for (int i = 0; i < ns; i++) res[2 + i] = dl_aff_dim(ctx, (unsigned)(n->dk + i));
    return kb_map(ctx, (unsigned)n->rank, (unsigned)(2 + ns), res);
}

static void mark_reductions(kb_generic *g, const conv_nest *n, int ns, bool spatial_too) {
    for (int k = n->dc; k < n->rank; k++) kb_reduction(g, k);
    for (int i = 0; spatial_too && i < ns; i++) kb_reduction(g, n->dsp + i);
}

/* True for a convolution of several spatial dims that is a matrix product per image (1x1
 * kernel, unit strides, no padding) whose rows (last spatial dim) are shorter than two 16-lane
 * vectors: then the flat spatial dim vectorises much better (MobileNetV2's 28, 14 and 7 wide
 * layers). Longer rows keep the spatial dims, so that an elementwise consumer (the activation,
 * which often writes the next depthwise convolution's padded input) still fuses into the
 * convolution's register tiles and the padding still folds into it: MobileNetV2 ran 8% faster
 * on one thread with this limit than with every pointwise convolution flat. */
static bool pointwise(const conv_params *p, const dl_type *x, const dl_type *out) {
    if (p->ns < 2 || x->strides || out->strides) return false; /* contiguous: flat views */
    if (out->dims[out->rank - 1] >= 32) return false;
    for (int i = 0; i < p->ns; i++)
        if (p->kernel[i] != 1 || p->stride[i] != 1 || p->pad_begin[i] || p->pad_end[i] ||
            x->dims[2 + i] != out->dims[2 + i])
            return false;
    return true;
}

dl_status lw_conv(dl_lower *lw, dl_op *op, dl_value *x, dl_value *w, dl_value *bias,
                  dl_value *out) {
    dl_context *ctx = lw_ctx(lw);
    const dl_type *xt = x->type, *wt = w->type, *ot = out->type;
    conv_params p;
    if (read_params(op, wt, &p)) return DL_FAILURE;
    if (xt->rank != p.ns + 2 || ot->rank != xt->rank)
        return dl_op_error(op, "input, weights and result ranks disagree");
    auto_pads(op, xt, &p);
    int64_t G = dl_op_attr_int(op, "group", 1), N = xt->dims[0], C = xt->dims[1], M = wt->dims[0];
    if (G <= 0 || C % G || M % G || wt->dims[1] != C / G)
        return dl_op_error(op, "channels and weights disagree with group = %lld", (long long)G);
    if (pointwise(&p, xt, ot)) {
        /* A matrix product over the flattened spatial dims: one long stride-one dim to
         * vectorise (and to split between threads) rather than short rows. */
        int64_t S = dl_type_num_elements(ot) / (N * M);
        dl_builder *top = lw_top(lw);
        x = kb_view(top, x, kb_memref(ctx, xt->elem, 3, (int64_t[]){N, C, S}));
        out = kb_view(top, out, kb_memref(ctx, ot->elem, 3, (int64_t[]){N, M, S}));
        w = kb_view(top, w, kb_memref(ctx, wt->elem, 3, (int64_t[]){M, C / G, 1}));
        xt = x->type, wt = w->type, ot = out->type;
        p = (conv_params){.ns = 1, .kernel = {1}, .stride = {1}, .dilation = {1}};
    }
    int64_t need[MAX_SPATIAL];
    for (int i = 0; i < p.ns; i++) {
        int64_t o = ot->dims[2 + i];
        need[i] = o > 0 ? (o - 1) * p.stride[i] + (p.kernel[i] - 1) * p.dilation[i] + 1 : 0;
    }
    dl_value *xp = lw_padded_input(lw, x, p.ns, p.pad_begin, need, 0);
    init_bias(lw_top(lw), out, bias);
    conv_nest n;
    conv_nest_init(&n, N, G, M / G, C / G, p.ns, ot->dims + 2, p.kernel);
    kb_generic g;
    kb_begin(&g, lw_top(lw), n.rank, n.dom);
    mark_reductions(&g, &n, p.ns, false);
    unsigned xi = kb_in(&g, xp, map_window(ctx, &n, C / G, &p));
    unsigned wi = kb_in(&g, w, map_weights(ctx, &n, M / G, n.dm, n.dc, p.ns));
    unsigned oi = kb_out(&g, out, map_chan(ctx, &n, M / G, n.dm, p.ns));
    dl_builder *b = kb_body(&g);
    kb_yield1(&g, kb_mac(b, kb_arg(&g, oi), kb_arg(&g, xi), kb_arg(&g, wi)));
    return DL_OK;
}

static dl_status lower_conv(dl_lower *lw, dl_op *op) {
    dl_value *x = lw_in(lw, op, 0), *w = lw_in(lw, op, 1), *bias = lw_in(lw, op, 2);
    return lw_conv(lw, op, x, w, bias, lw_out(lw, op, 0));
}

static dl_status lower_conv_transpose(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *x = lw_in(lw, op, 0), *w = lw_in(lw, op, 1), *bias = lw_in(lw, op, 2);
    dl_value *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type, *wt = w->type, *ot = out->type;
    conv_params p;
    if (read_params(op, wt, &p)) return DL_FAILURE;
    if (xt->rank != p.ns + 2 || ot->rank != xt->rank)
        return dl_op_error(op, "input, weights and result ranks disagree");
    int64_t G = dl_op_attr_int(op, "group", 1), N = xt->dims[0], C = xt->dims[1];
    int64_t M = ot->dims[1];
    if (G <= 0 || C % G || M % G || wt->dims[0] != C || wt->dims[1] != M / G)
        return dl_op_error(op, "channels and weights disagree with group = %lld", (long long)G);
    int64_t outpad[MAX_SPATIAL], oshape[MAX_SPATIAL];
    int nop = dl_op_attr_ints(op, "output_padding", outpad, MAX_SPATIAL);
    int nos = dl_op_attr_ints(op, "output_shape", oshape, MAX_SPATIAL);
    const char *ap = dl_op_attr_str(op, "auto_pad", "NOTSET");
    bool same_upper = strcmp(ap, "SAME_UPPER") == 0;
    bool auto_pad = same_upper || strcmp(ap, "SAME_LOWER") == 0 || nos >= 0;
    /* full[i]: the uncropped extent; the result is full[pad_begin .. pad_begin + out) */
    int64_t full[MAX_SPATIAL], dims[KB_MAX_DIMS];
    bool direct = !bias;
    for (int i = 0; i < p.ns; i++) {
        int64_t in = xt->dims[2 + i], o = ot->dims[2 + i];
        int64_t span = (in - 1) * p.stride[i] + (p.kernel[i] - 1) * p.dilation[i] + 1;
        if (auto_pad) {
            int64_t total = span + (nop > i ? outpad[i] : 0) - o;
            if (total < 0) total = 0;
            p.pad_begin[i] = same_upper ? total / 2 : total - total / 2;
        } else if (strcmp(ap, "VALID") == 0) {
            p.pad_begin[i] = 0;
        }
        full[i] = span > p.pad_begin[i] + o ? span : p.pad_begin[i] + o;
        dims[2 + i] = full[i];
        direct &= p.pad_begin[i] == 0 && full[i] == o;
    }
    dims[0] = N;
    dims[1] = M;
    dl_value *acc = direct ? out : lw_temp(lw, ot->elem, ot->rank, dims);
    kb_fill(lw_top(lw), acc, 0);
    conv_nest n;
    conv_nest_init(&n, N, G, M / G, C / G, p.ns, xt->dims + 2, p.kernel);
    kb_generic g;
    kb_begin(&g, lw_top(lw), n.rank, n.dom);
    mark_reductions(&g, &n, p.ns, true);
    /* acc[n, g*Mg+m, i*s + k*d] += x[n, g*Cg+c, i] * w[g*Cg+c, m, k] */
    unsigned xi = kb_in(&g, x, map_chan(ctx, &n, C / G, n.dc, p.ns));
    unsigned wi = kb_in(&g, w, map_weights(ctx, &n, C / G, n.dc, n.dm, p.ns));
    /* the output side indexes with (m, c) swapped relative to the input side */
    const dl_affine_expr *res[KB_MAX_DIMS];
    res[0] = dl_aff_dim(ctx, 0);
    res[1] = grouped(ctx, &n, M / G, n.dm);
    for (int i = 0; i < p.ns; i++) {
        int64_t coef[KB_MAX_DIMS] = {0};
        coef[n.dsp + i] = p.stride[i];
        coef[n.dk + i] = p.dilation[i];
        res[2 + i] = kb_linear(ctx, 0, (unsigned)n.rank, coef);
    }
    unsigned oi = kb_out(&g, acc, kb_map(ctx, (unsigned)n.rank, (unsigned)ot->rank, res));
    dl_builder *b = kb_body(&g);
    kb_yield1(&g, kb_mac(b, kb_arg(&g, oi), kb_arg(&g, xi), kb_arg(&g, wi)));
    if (direct) return DL_OK;
    /* out[n, m, o] = acc[n, m, o + pad_begin] + bias[m] */
    int64_t off[KB_MAX_DIMS] = {0};
    memcpy(off + 2, p.pad_begin, sizeof(int64_t) * (size_t)p.ns);
    kb_generic e;
    kb_begin(&e, lw_top(lw), ot->rank, ot->dims);
    unsigned ai = kb_in(&e, acc, kb_map_shift(ctx, (unsigned)ot->rank, off));
    unsigned bi = bias ? kb_in(&e, bias, kb_map_dims(ctx, (unsigned)ot->rank, 1, (int[]){1})) : 0;
    kb_out(&e, out, kb_map_id(ctx, (unsigned)ot->rank));
    b = kb_body(&e);
    dl_value *v = kb_arg(&e, ai);
    kb_yield1(&e, bias ? kb_add(b, v, kb_arg(&e, bi)) : v);
    return DL_OK;
}

const dl_lower_entry dl_lower_conv[] = {
    {DL_OP_graph_Conv, lower_conv},
    {DL_OP_graph_ConvTranspose, lower_conv_transpose},
    {DL_OP__INVALID, NULL},
};
