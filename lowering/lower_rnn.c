/* lower_rnn.c: RNN, GRU and LSTM, unrolled over their (static) sequence length. Per direction,
 * one contraction computes the input projections of every time step (X W^T + biases); then each
 * step adds the recurrent projection H R^T and applies the gate equations in one elementwise
 * generic that updates the state buffers H (and C), and copies H into Y. sequence_lens masks
 * the steps at or past a batch element's length: the state holds, Y is 0. In the reverse
 * direction the steps run from T - 1 down to 0, so a sequence of length n starts at n - 1 with
 * the initial state, as if reversed within its length (onnxruntime's semantics). */
#include "lower.h"

#include <math.h>
#include <string.h>
#include <strings.h>

enum { RNN_SIMPLE, RNN_GRU, RNN_LSTM };

typedef enum act_kind {
    ACT_SIGMOID,
    ACT_TANH,
    ACT_RELU,
    ACT_AFFINE,
    ACT_LEAKY,
    ACT_THRESHOLDED,
    ACT_SCALED_TANH,
    ACT_HARD_SIGMOID,
    ACT_ELU,
    ACT_SOFTSIGN,
    ACT_SOFTPLUS,
} act_kind;

typedef struct act {
    act_kind kind;
    double alpha, beta;
} act;

typedef struct rnn {
    int kind, G, nacts;         /* gates, activations per direction */
    int64_t T, B, I, H, D;      /* sequence, batch, input, hidden, directions */
    bool layout1, lbr, coupled; /* batch-major layout, GRU linear_before_reset, input_forget */
    bool has_clip;
    double clip;
    act acts[2][3];
    dl_value *x, *w, *r, *bias, *lens, *h0, *c0, *p;
} rnn;

/* ---- Activations ------------------------------------------------------------------------------
 */

static const struct {
    const char *name;
    act_kind kind;
    int params; /* how many of alpha, beta it consumes */
    double alpha, beta;
} act_table[] = {
    {"Sigmoid", ACT_SIGMOID, 0, 0, 0},
    {"Tanh", ACT_TANH, 0, 0, 0},
    {"Relu", ACT_RELU, 0, 0, 0},
    {"Affine", ACT_AFFINE, 2, 1, 0},
    {"LeakyRelu", ACT_LEAKY, 1, 0.01, 0},
    {"ThresholdedRelu", ACT_THRESHOLDED, 1, 1, 0},
    {"ScaledTanh", ACT_SCALED_TANH, 2, 1, 1},
    {"HardSigmoid", ACT_HARD_SIGMOID, 2, 0.2, 0.5},
    {"Elu", ACT_ELU, 1, 1, 0},
    {"Softsign", ACT_SOFTSIGN, 0, 0, 0},
    {"Softplus", ACT_SOFTPLUS, 0, 0, 0},
};

static dl_value *apply_act(dl_builder *b, const act *a, dl_value *x) {
    dl_value *zero = kb_like(b, x, 0), *one = kb_like(b, x, 1);
    dl_value *al = kb_like(b, x, a->alpha), *be = kb_like(b, x, a->beta);
    switch (a->kind) {
    case ACT_SIGMOID:
        return kb_div(b, one,
                      kb_add(b, one, kb_un(b, DL_OP_arith_exp, kb_un(b, DL_OP_arith_neg, x))));
    case ACT_TANH: return kb_un(b, DL_OP_arith_tanh, x);
    case ACT_RELU: return kb_select(b, kb_cmp(b, "lt", x, zero), zero, x);
    case ACT_AFFINE: return kb_add(b, kb_mul(b, al, x), be);
    case ACT_LEAKY: return kb_select(b, kb_cmp(b, "lt", x, zero), kb_mul(b, al, x), x);
    case ACT_THRESHOLDED: return kb_select(b, kb_cmp(b, "ge", x, al), x, zero);
    case ACT_SCALED_TANH: return kb_mul(b, al, kb_un(b, DL_OP_arith_tanh, kb_mul(b, be, x)));
    case ACT_HARD_SIGMOID: return kb_clamp(b, kb_add(b, kb_mul(b, al, x), be), zero, one);
    case ACT_ELU: {
        dl_value *e = kb_mul(b, al, kb_sub(b, kb_un(b, DL_OP_arith_exp, x), one));
        return kb_select(b, kb_cmp(b, "lt", x, zero), e, x);
    }
    case ACT_SOFTSIGN: return kb_div(b, x, kb_add(b, one, kb_un(b, DL_OP_arith_abs, x)));
    case ACT_SOFTPLUS:
        return kb_un(b, DL_OP_arith_log, kb_add(b, one, kb_un(b, DL_OP_arith_exp, x)));
    }
    DL_UNREACHABLE("activation");
}

/* Reads activations (with their alpha / beta) or the defaults of the op kind. */
static dl_status read_acts(dl_op *op, rnn *s) {
    static const char *defaults[3][3] = {
        {"Tanh"}, {"Sigmoid", "Tanh"}, {"Sigmoid", "Tanh", "Tanh"}};
    const dl_attr *names = dl_op_attr(op, "activations");
    const dl_attr *alphas = dl_op_attr(op, "activation_alpha");
    const dl_attr *betas = dl_op_attr(op, "activation_beta");
    unsigned ai = 0, bi = 0, n = names && names->kind == DL_ATTR_ARRAY ? names->u.array.n : 0;
    if (n && n != (unsigned)(s->nacts * s->D))
        return dl_op_error(op, "needs %d activations per direction", s->nacts);
    for (int d = 0; d < s->D; d++)
        for (int k = 0; k < s->nacts; k++) {
            const char *name = defaults[s->kind][k];
            if (n) {
                const dl_attr *a = names->u.array.elems[d * s->nacts + k];
                if (a->kind != DL_ATTR_STRING) return dl_op_error(op, "bad activation name");
                name = a->u.str.data;
            }
            size_t i = 0;
            while (i < sizeof act_table / sizeof *act_table &&
                   strcasecmp(act_table[i].name, name) != 0)
                i++;
            if (i == sizeof act_table / sizeof *act_table)
                return dl_op_error(op, "activation '%s' is not supported", name);
            act *a = &s->acts[d][k];
            *a = (act){act_table[i].kind, act_table[i].alpha, act_table[i].beta};
            if (act_table[i].params >= 1 && n && alphas && ai < alphas->u.array.n)
                a->alpha = alphas->u.array.elems[ai++]->u.f;
            if (act_table[i].params >= 2 && n && betas && bi < betas->u.array.n)
                a->beta = betas->u.array.elems[bi++]->u.f;
        }
    return DL_OK;
}

/* ---- Maps ---------------------------------------------------------------------------------- */

/* X[t, b, i] (or X[b, t, i] batch-major) over a domain whose dims t, b, i are given. */
static const dl_affine_map *x_map(dl_context *ctx, const rnn *s, unsigned ndims, int t, int b,
                                  int i) {
    int dims[3] = {s->layout1 ? b : t, s->layout1 ? t : b, i};
    return kb_map_dims(ctx, ndims, 3, dims);
}

/* Results (c0 or dim, ...) with c0 a constant: cst[k] >= 0 gives that constant, else dims[k]. */
static const dl_affine_map *mixed_map(dl_context *ctx, unsigned ndims, unsigned n,
                                      const int64_t *cst, const int *dims, const int64_t *add) {
    const dl_affine_expr *res[4];
    for (unsigned k = 0; k < n; k++) {
        res[k] = cst[k] >= 0 ? dl_aff_const(ctx, cst[k]) : dl_aff_dim(ctx, (unsigned)dims[k]);
        if (add && add[k]) res[k] = dl_aff_add(ctx, res[k], dl_aff_const(ctx, add[k]));
    }
    return kb_map(ctx, ndims, n, res);
}

/* ---- The lowering --------------------------------------------------------------------------- */

/* xw[t, b, g] = sum_i X[t, b, i] W[d, g, i] + Wb[d, g] + Rb[d, g] (Rb of GRU's h gate stays out
 * with linear_before_reset). */
static dl_value *input_projection(dl_lower *lw, const rnn *s, int d, const dl_type *ft) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    int64_t GH = s->G * s->H;
    dl_value *xw = kb_alloc(top, kb_memref(ctx, ft, 3, (int64_t[]){s->T, s->B, GH}));
    if (!s->bias) {
        kb_fill(top, xw, 0);
    } else {
        kb_generic g;
        kb_begin(&g, top, 3, (int64_t[]){s->T, s->B, GH});
        unsigned wb =
            kb_in(&g, s->bias, mixed_map(ctx, 3, 2, (int64_t[]){d, -1}, (int[]){0, 2}, NULL));
        unsigned rb =
            kb_in(&g, s->bias,
                  mixed_map(ctx, 3, 2, (int64_t[]){d, -1}, (int[]){0, 2}, (int64_t[]){0, GH}));
        kb_out(&g, xw, kb_map_id(ctx, 3));
        dl_builder *b = kb_body(&g);
        dl_value *r = kb_arg(&g, rb);
        if (s->kind == RNN_GRU && s->lbr) {
            dl_value *is_h = kb_cmp(b, "ge", kb_dim(&g, 2), kb_index(b, 2 * s->H));
            r = kb_select(b, is_h, kb_like(b, r, 0), r);
        }
        kb_yield1(&g, kb_add(b, kb_arg(&g, wb), r));
    }
    kb_generic g;
    kb_begin(&g, top, 4, (int64_t[]){s->T, s->B, GH, s->I});
    kb_reduction(&g, 3);
    unsigned xi = kb_in(&g, s->x, x_map(ctx, s, 4, 0, 1, 3));
    unsigned wi =
        kb_in(&g, s->w, mixed_map(ctx, 4, 3, (int64_t[]){d, -1, -1}, (int[]){0, 2, 3}, NULL));
    unsigned oi = kb_out(&g, xw, kb_map_first(ctx, 4, 3));
    dl_builder *b = kb_body(&g);
    kb_yield1(&g, kb_add(b, kb_arg(&g, oi), kb_mul(b, kb_arg(&g, xi), kb_arg(&g, wi))));
    return xw;
}

/* gates[b, g] += sum_j h[b, j] R[d, g0 + g, j] for g in [0, n). */
static void recurrent(dl_lower *lw, const rnn *s, int d, dl_value *h, dl_value *gates, int64_t g0,
                      int64_t n) {
    dl_context *ctx = lw_ctx(lw);
    kb_generic g;
    kb_begin(&g, lw_top(lw), 3, (int64_t[]){s->B, n, s->H});
    kb_reduction(&g, 2);
    unsigned hi = kb_in(&g, h, kb_map_dims(ctx, 3, 2, (int[]){0, 2}));
    unsigned ri = kb_in(
        &g, s->r,
        mixed_map(ctx, 3, 3, (int64_t[]){d, -1, -1}, (int[]){0, 1, 2}, (int64_t[]){0, g0, 0}));
    unsigned oi = kb_out(
        &g, gates, mixed_map(ctx, 3, 2, (int64_t[]){-1, -1}, (int[]){0, 1}, (int64_t[]){0, g0}));
    dl_builder *b = kb_body(&g);
    kb_yield1(&g, kb_add(b, kb_arg(&g, oi), kb_mul(b, kb_arg(&g, hi), kb_arg(&g, ri))));
}

static dl_value *clipped(dl_builder *b, const rnn *s, dl_value *x) {
    if (!s->has_clip) return x;
    return kb_clamp(b, x, kb_like(b, x, -s->clip), kb_like(b, x, s->clip));
}

static dl_status lower_rnn(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    rnn s = {0};
    s.kind = op->kind == DL_OP_graph_RNN   ? RNN_SIMPLE
             : op->kind == DL_OP_graph_GRU ? RNN_GRU
                                           : RNN_LSTM;
    s.G = s.kind == RNN_SIMPLE ? 1 : s.kind == RNN_GRU ? 3 : 4;
    s.nacts = s.kind + 1;
    s.x = lw_in(lw, op, 0), s.w = lw_in(lw, op, 1), s.r = lw_in(lw, op, 2);
    s.bias = lw_in(lw, op, 3), s.lens = lw_in(lw, op, 4), s.h0 = lw_in(lw, op, 5);
    s.c0 = s.kind == RNN_LSTM ? lw_in(lw, op, 6) : NULL;
    s.p = s.kind == RNN_LSTM ? lw_in(lw, op, 7) : NULL;
    s.layout1 = dl_op_attr_int(op, "layout", 0) != 0;
    s.lbr = dl_op_attr_int(op, "linear_before_reset", 0) != 0;
    s.coupled = dl_op_attr_int(op, "input_forget", 0) != 0;
    s.has_clip = dl_op_attr(op, "clip") != NULL;
    s.clip = dl_op_attr_float(op, "clip", 0);
    const char *dir = dl_op_attr_str(op, "direction", "forward");
    bool reverse = strcmp(dir, "reverse") == 0, bidi = strcmp(dir, "bidirectional") == 0;
    if (!reverse && !bidi && strcmp(dir, "forward") != 0)
        return dl_op_error(op, "direction '%s' is not supported", dir);
    const dl_type *xt = s.x->type, *ft = xt->elem;
    if (xt->rank != 3 || !dl_type_is_float(ft))
        return dl_op_error(op, "X must be a 3-d float tensor");
    s.T = xt->dims[s.layout1 ? 1 : 0], s.B = xt->dims[s.layout1 ? 0 : 1], s.I = xt->dims[2];
    s.D = bidi ? 2 : 1;
    s.H = s.r->type->dims[2];
    if (s.w->type->rank != 3 || s.w->type->dims[0] != s.D || s.w->type->dims[1] != s.G * s.H ||
        s.w->type->dims[2] != s.I || s.r->type->dims[1] != s.G * s.H)
        return dl_op_error(op, "W and R do not match the input, hidden size and direction");
    if (read_acts(op, &s)) return DL_FAILURE;
    dl_value *y = op->num_results > 0 ? lw_out(lw, op, 0) : NULL;
    dl_value *yh = op->num_results > 1 ? lw_out(lw, op, 1) : NULL;
    dl_value *yc = op->num_results > 2 ? lw_out(lw, op, 2) : NULL;
    if (y) kb_fill(top, y, 0);
    const dl_type *state = kb_memref(ctx, ft, 2, (int64_t[]){s.B, s.H});
    int64_t GH = s.G * s.H;
    for (int d = 0; d < s.D; d++) {
        bool rev = reverse || d == 1;
        dl_value *xw = input_projection(lw, &s, d, ft);
        dl_value *h = kb_alloc(top, state), *c = s.kind == RNN_LSTM ? kb_alloc(top, state) : NULL;
        dl_value *gates = kb_alloc(top, kb_memref(ctx, ft, 2, (int64_t[]){s.B, GH}));
        dl_value *hr = s.kind == RNN_GRU ? kb_alloc(top, state) : NULL;
        /* initial states: [D, B, H] (or [B, D, H] batch-major) */
        const dl_affine_map *st_map =
            s.layout1 ? mixed_map(ctx, 2, 3, (int64_t[]){-1, d, -1}, (int[]){0, 0, 1}, NULL)
                      : mixed_map(ctx, 2, 3, (int64_t[]){d, -1, -1}, (int[]){0, 0, 1}, NULL);
        if (s.h0)
            kb_copy(top, s.h0, st_map, h);
        else
            kb_fill(top, h, 0);
        if (c) {
            if (s.c0)
                kb_copy(top, s.c0, st_map, c);
            else
                kb_fill(top, c, 0);
        }
        for (int64_t step = 0; step < s.T; step++) {
            int64_t t = rev ? s.T - 1 - step : step;
            /* gates = xw[t] (+ h R^T) */
            kb_copy(top, xw, mixed_map(ctx, 2, 3, (int64_t[]){t, -1, -1}, (int[]){0, 0, 1}, NULL),
                    gates);
            recurrent(lw, &s, d, h, gates, 0, s.kind == RNN_GRU ? 2 * s.H : GH);
            if (s.kind == RNN_GRU) {
                /* the h gate: (r . h) R_h^T, or r . (h R_h^T + Rb_h) with linear_before_reset */
                if (s.lbr) {
                    if (s.bias) {
                        kb_copy(top, s.bias,
                                mixed_map(ctx, 2, 2, (int64_t[]){d, -1}, (int[]){0, 1},
                                          (int64_t[]){0, 5 * s.H}),
                                hr);
                    } else {
                        kb_fill(top, hr, 0);
                    }
                    kb_generic g;
                    kb_begin(&g, top, 3, (int64_t[]){s.B, s.H, s.H});
                    kb_reduction(&g, 2);
                    unsigned hi = kb_in(&g, h, kb_map_dims(ctx, 3, 2, (int[]){0, 2}));
                    unsigned ri = kb_in(&g, s.r,
                                        mixed_map(ctx, 3, 3, (int64_t[]){d, -1, -1},
                                                  (int[]){0, 1, 2}, (int64_t[]){0, 2 * s.H, 0}));
                    unsigned oi = kb_out(&g, hr, kb_map_dims(ctx, 3, 2, (int[]){0, 1}));
                    dl_builder *b = kb_body(&g);
                    kb_yield1(&g,
                              kb_add(b, kb_arg(&g, oi), kb_mul(b, kb_arg(&g, hi), kb_arg(&g, ri))));
                } else {
                    /* hr = sigmoid-activated r . h, then gates_h += hr R_h^T */
                    kb_generic g;
                    kb_begin(&g, top, 2, (int64_t[]){s.B, s.H});
                    unsigned ri = kb_in(&g, gates,
                                        mixed_map(ctx, 2, 2, (int64_t[]){-1, -1}, (int[]){0, 1},
                                                  (int64_t[]){0, s.H}));
                    unsigned hi = kb_in(&g, h, kb_map_id(ctx, 2));
                    kb_out(&g, hr, kb_map_id(ctx, 2));
                    dl_builder *b = kb_body(&g);
                    dl_value *rg = apply_act(b, &s.acts[d][0], clipped(b, &s, kb_arg(&g, ri)));
                    kb_yield1(&g, kb_mul(b, rg, kb_arg(&g, hi)));
                    recurrent(lw, &s, d, hr, gates, 2 * s.H, s.H);
                }
            }
            /* the update of h (and c) */
            kb_generic g;
            kb_begin(&g, top, 2, (int64_t[]){s.B, s.H});
            unsigned gi[4];
            for (int k = 0; k < s.G; k++)
                gi[k] = kb_in(&g, gates,
                              mixed_map(ctx, 2, 2, (int64_t[]){-1, -1}, (int[]){0, 1},
                                        (int64_t[]){0, k * s.H}));
            unsigned pi[3] = {0};
            for (int k = 0; s.p && k < 3; k++)
                pi[k] = kb_in(&g, s.p,
                              mixed_map(ctx, 2, 2, (int64_t[]){d, -1}, (int[]){0, 1},
                                        (int64_t[]){0, k * s.H}));
            unsigned li = s.lens ? kb_in(&g, s.lens, kb_map_dims(ctx, 2, 1, (int[]){0})) : 0;
            unsigned hri = s.kind == RNN_GRU && s.lbr ? kb_in(&g, hr, kb_map_id(ctx, 2)) : 0;
            unsigned ci = c ? kb_out(&g, c, kb_map_id(ctx, 2)) : 0;
            unsigned hi = kb_out(&g, h, kb_map_id(ctx, 2));
            dl_builder *b = kb_body(&g);
            const act *a = s.acts[d];
            dl_value *hold = kb_arg(&g, hi), *hn, *cn = NULL;
            if (s.kind == RNN_SIMPLE) {
                hn = apply_act(b, &a[0], clipped(b, &s, kb_arg(&g, gi[0])));
            } else if (s.kind == RNN_GRU) {
                dl_value *z = apply_act(b, &a[0], clipped(b, &s, kb_arg(&g, gi[0])));
                dl_value *hpre = kb_arg(&g, gi[2]);
                if (s.lbr) {
                    dl_value *r = apply_act(b, &a[0], clipped(b, &s, kb_arg(&g, gi[1])));
                    hpre = kb_add(b, hpre, kb_mul(b, r, kb_arg(&g, hri)));
                }
                dl_value *hh = apply_act(b, &a[1], clipped(b, &s, hpre));
                dl_value *one = kb_like(b, z, 1);
                hn = kb_add(b, kb_mul(b, kb_sub(b, one, z), hh), kb_mul(b, z, hold));
            } else {
                dl_value *cold = kb_arg(&g, ci);
                dl_value *ip = kb_arg(&g, gi[0]), *op_ = kb_arg(&g, gi[1]), *fp = kb_arg(&g, gi[2]);
                if (s.p) {
                    ip = kb_add(b, ip, kb_mul(b, kb_arg(&g, pi[0]), cold));
                    fp = kb_add(b, fp, kb_mul(b, kb_arg(&g, pi[2]), cold));
                }
                dl_value *i = apply_act(b, &a[0], clipped(b, &s, ip));
                dl_value *f = s.coupled ? kb_sub(b, kb_like(b, i, 1), i)
                                        : apply_act(b, &a[0], clipped(b, &s, fp));
                dl_value *cc = apply_act(b, &a[1], clipped(b, &s, kb_arg(&g, gi[3])));
                cn = kb_add(b, kb_mul(b, f, cold), kb_mul(b, i, cc));
                if (s.p) op_ = kb_add(b, op_, kb_mul(b, kb_arg(&g, pi[1]), cn));
                dl_value *o = apply_act(b, &a[0], clipped(b, &s, op_));
                hn = kb_mul(b, o, apply_act(b, &a[2], cn));
            }
            if (s.lens) {
                dl_value *n = kb_cast(b, kb_arg(&g, li), dl_type_scalar(ctx, DL_TY_I64));
                dl_value *valid = kb_cmp(b, "lt", kb_consti(b, n->type, t), n);
                hn = kb_select(b, valid, hn, hold);
                if (cn) cn = kb_select(b, valid, cn, kb_arg(&g, ci));
            }
            dl_value *ys[2] = {cn ? cn : hn, hn};
            kb_yield(&g, cn ? 2 : 1, ys);
            if (!y) continue;
            /* Y[t, d, b, h] (batch-major: Y[b, t, d, h]); zero past the sequence length */
            kb_generic yg;
            kb_begin(&yg, top, 2, (int64_t[]){s.B, s.H});
            unsigned hv = kb_in(&yg, h, kb_map_id(ctx, 2));
            unsigned lv = s.lens ? kb_in(&yg, s.lens, kb_map_dims(ctx, 2, 1, (int[]){0})) : 0;
            const dl_affine_map *ym =
                s.layout1
                    ? mixed_map(ctx, 2, 4, (int64_t[]){-1, t, d, -1}, (int[]){0, 0, 0, 1}, NULL)
                    : mixed_map(ctx, 2, 4, (int64_t[]){t, d, -1, -1}, (int[]){0, 0, 0, 1}, NULL);
            kb_out(&yg, y, ym);
            b = kb_body(&yg);
            dl_value *v = kb_arg(&yg, hv);
            if (s.lens) {
                dl_value *n = kb_cast(b, kb_arg(&yg, lv), dl_type_scalar(ctx, DL_TY_I64));
                v = kb_select(b, kb_cmp(b, "lt", kb_consti(b, n->type, t), n), v, kb_like(b, v, 0));
            }
            kb_yield1(&yg, v);
        }
        const dl_affine_map *out_map =
            s.layout1 ? mixed_map(ctx, 2, 3, (int64_t[]){-1, d, -1}, (int[]){0, 0, 1}, NULL)
                      : mixed_map(ctx, 2, 3, (int64_t[]){d, -1, -1}, (int[]){0, 0, 1}, NULL);
        if (yh) kb_copy_box(top, 2, state->dims, h, kb_map_id(ctx, 2), yh, out_map);
        if (yc && c) kb_copy_box(top, 2, state->dims, c, kb_map_id(ctx, 2), yc, out_map);
    }
    return DL_OK;
}

const dl_lower_entry dl_lower_rnn[] = {
    {DL_OP_graph_RNN, lower_rnn},
    {DL_OP_graph_GRU, lower_rnn},
    {DL_OP_graph_LSTM, lower_rnn},
    {DL_OP__INVALID, NULL},
};
