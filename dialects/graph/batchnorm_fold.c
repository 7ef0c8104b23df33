/* batchnorm_fold.c: the fold-batchnorm pass: an inference-mode BatchNormalization whose input
 * comes from a Conv, ConvTranspose, Gemm or MatMul with a constant weight (and no other user)
 * is folded into that op: with a = scale / sqrt(var + epsilon) per channel, the weight is
 * scaled by a along its output-channel axis and the bias becomes (bias - mean) * a + B (for
 * Gemm (beta * C - mean) * a + B with beta = 1; MatMul gets a new Add). Computed in double,
 * rounded once to the weight's element type. */
#include "fold.h"

#include <math.h>
#include <stdlib.h>

/* Largest weight (in elements) the pass rewrites. */
#define MAX_WEIGHT_ELEMENTS (INT64_C(1) << 28)

/* Where the output channel of a weight element lies. */
typedef struct channel_map {
    int64_t div, mod;       /* channel = (i / div) % mod, for Conv, Gemm and MatMul */
    int64_t inner, per_out; /* ConvTranspose: elements per (c, j) and M / group */
    int64_t in_per_group;   /* ConvTranspose: C_in / group; 0 for the other ops */
} channel_map;

static int64_t channel_of(const channel_map *m, int64_t i) {
    if (!m->in_per_group) return (i / m->div) % m->mod;
    int64_t cj = i / m->inner, j = cj % m->per_out, c = cj / m->per_out;
    return c / m->in_per_group * m->per_out + j;
}

/* A float constant operand of op with exactly n elements, or NULL. */
static const dl_attr *float_const(const dl_op *op, unsigned i, int64_t n) {
    if (!dl_has_operand(op, i)) return NULL;
    const dl_attr *a = dl_fold_const(op, i);
    if (!a || !dl_type_is_float(a->type->elem) || dl_dense_num_elements(a) != n) return NULL;
    return a;
}

/* A new graph.Constant before pos holding data of type t, named name (may be NULL). */
static dl_value *new_constant(dl_op *pos, const dl_type *t, void *data, const char *name) {
    dl_builder b = dl_builder_before(pos);
    b.loc = pos->loc;
    dl_op *c = dl_build(&b, DL_OP_graph_Constant, 0, NULL, 1, &t, 0);
    size_t es = dl_scalar_size(t->elem->kind);
    dl_op_set_attr(
        c, "value",
        dl_attr_dense(pos->ctx, t, data, (size_t)dl_type_num_elements(t) * es, false, false));
    c->results[0].name = name ? dl_intern(pos->ctx, name) : NULL;
    return &c->results[0];
}

static const char *suffixed(dl_context *ctx, const dl_value *v, const char *suffix) {
    return v && v->name ? dl_sprintf(ctx, "%s%s", v->name, suffix) : NULL;
}

static void erase_if_dead_constant(dl_value *v) {
    if (v && v->def && v->def->block && v->def->kind == DL_OP_graph_Constant &&
        dl_op_results_unused(v->def))
        dl_op_erase(v->def);
}

/* Element of a bias of type t (rank <= 2, numpy-broadcast to [rows, C]) at (r, k). */
static int64_t bias_index(const dl_type *t, int64_t r, int64_t k) {
    if (t->rank == 0) return 0;
    int64_t col = t->dims[t->rank - 1] == 1 ? 0 : k;
    if (t->rank == 1) return col;
    return (t->dims[0] == 1 ? 0 : r) * t->dims[1] + col;
}

/* The output-channel map of producer p's weight w for c channels; false if unsupported. */
static bool weight_layout(dl_op *p, const dl_type *w, int64_t c, channel_map *m) {
    *m = (channel_map){.div = 1, .mod = c};
    switch (p->kind) {
    case DL_OP_graph_Conv:
        if (w->rank < 3 || w->dims[0] != c) return false;
        m->div = dl_type_num_elements(w) / c;
        return true;
    case DL_OP_graph_ConvTranspose: {
        int64_t g = dl_op_attr_int(p, "group", 1);
        if (w->rank < 3 || g < 1 || w->dims[0] < g || w->dims[0] % g != 0 || w->dims[1] * g != c)
            return false;
        m->per_out = w->dims[1];
        m->in_per_group = w->dims[0] / g;
        m->inner = dl_type_num_elements(w) / (w->dims[0] * w->dims[1]);
        return true;
    }
    case DL_OP_graph_Gemm:
        if (w->rank != 2) return false;
        if (dl_op_attr_int(p, "transB", 0)) {
            if (w->dims[0] != c) return false;
            m->div = w->dims[1];
            return true;
        }
        return w->dims[1] == c;
    case DL_OP_graph_MatMul: return w->rank == 2 && w->dims[1] == c;
    default: return false;
    }
}

/* Folds bn into its producer; false (IR unchanged) when the pattern does not apply. */
static bool fold_one(dl_op *bn) {
    dl_context *ctx = bn->ctx;
    dl_value *x = dl_operand(bn, 0);
    dl_op *p = x->def;
    const dl_type *xt = x->type;
    if (!p || p->num_results != 1 || dl_value_num_uses(x) != 1 ||
        dl_op_attr_int(bn, "training_mode", 0) != 0 || bn->results[0].type != xt ||
        xt->kind != DL_TY_TENSOR || xt->rank < 2 || xt->dims[1] < 1 || !dl_type_is_float(xt->elem))
        return false;
    for (unsigned i = 1; i < bn->num_results; i++)
        if (dl_value_has_uses(&bn->results[i])) return false;
    if ((p->kind == DL_OP_graph_Gemm || p->kind == DL_OP_graph_MatMul) && xt->rank != 2)
        return false;
    int64_t c = xt->dims[1];
    const dl_attr *scale = float_const(bn, 1, c), *shift = float_const(bn, 2, c),
                  *mean = float_const(bn, 3, c), *var = float_const(bn, 4, c);
    const dl_attr *w = p->num_operands >= 2 ? dl_fold_const(p, 1) : NULL;
    channel_map map;
    if (!scale || !shift || !mean || !var || !w || w->type->elem != xt->elem ||
        dl_type_num_elements(w->type) > MAX_WEIGHT_ELEMENTS || !weight_layout(p, w->type, c, &map))
        return false;

    /* the bias: Conv/ConvTranspose [C]; Gemm C broadcast to [C] or [M, C]; MatMul none */
    bool is_gemm = p->kind == DL_OP_graph_Gemm;
    const dl_attr *bias = NULL;
    int64_t bias_rows = 1;
    if (p->kind != DL_OP_graph_MatMul && dl_has_operand(p, 2)) {
        bias = dl_fold_const(p, 2);
        if (!bias || bias->type->elem != xt->elem) return false;
        const dl_type *bt = bias->type;
        if (!is_gemm) {
            if (dl_type_num_elements(bt) != c) return false;
        } else {
            int64_t last = bt->rank ? bt->dims[bt->rank - 1] : 1;
            if (bt->rank > 2 || (last != 1 && last != c)) return false;
            if (bt->rank == 2) bias_rows = bt->dims[0];
            if (bias_rows != 1 && bias_rows != xt->dims[0]) return false;
        }
    }
    double beta = is_gemm ? dl_op_attr_float(p, "beta", 1.0) : 1.0;

    double eps = dl_op_attr_float(bn, "epsilon", (double)1e-5f);
    double *a = malloc(sizeof(double) * (size_t)c);
    DL_ASSERT(a);
    for (int64_t k = 0; k < c; k++)
        a[k] = dl_dense_get_f64(scale, k) / sqrt(dl_dense_get_f64(var, k) + eps);

    dl_type_kind ek = xt->elem->kind;
    int64_t nw = dl_type_num_elements(w->type);
    size_t es = dl_scalar_size(ek);
    void *wdata = dl_alloc(ctx, (size_t)nw * es + 1);
    for (int64_t i = 0; i < nw; i++) {
        dl_fold_scalar v = {.f = dl_dense_get_f64(w, i) * a[channel_of(&map, i)]};
        dl_fold_store(wdata, ek, i, v);
    }
    int64_t bias_dims[2] = {bias_rows, c};
    const dl_type *bt = dl_type_tensor(ctx, xt->elem, bias_rows > 1 ? 2 : 1,
                                       bias_rows > 1 ? bias_dims : bias_dims + 1, NULL);
    void *bdata = dl_alloc(ctx, (size_t)(bias_rows * c) * es + 1);
    for (int64_t r = 0; r < bias_rows; r++)
        for (int64_t k = 0; k < c; k++) {
            double b = bias ? dl_dense_get_f64(bias, bias_index(bias->type, r, k)) : 0;
            dl_fold_scalar v = {.f = (beta * b - dl_dense_get_f64(mean, k)) * a[k] +
                                     dl_dense_get_f64(shift, k)};
            dl_fold_store(bdata, ek, r * c + k, v);
        }
    free(a);

    dl_value *old_w = dl_operand(p, 1), *old_b = bias ? dl_operand(p, 2) : NULL;
    dl_value *nwv = new_constant(p, w->type, wdata, suffixed(ctx, old_w, "_bn"));
    dl_value *nbv =
        new_constant(p, bt, bdata, old_b ? suffixed(ctx, old_b, "_bn") : suffixed(ctx, x, "_bias"));
    dl_op_set_operand(p, 1, nwv);
    dl_value *result = x;
    if (p->kind == DL_OP_graph_MatMul) {
        dl_builder b = dl_builder_after(p);
        b.loc = bn->loc;
        dl_value *ops[2] = {x, nbv};
        result = dl_build1(&b, DL_OP_graph_Add, 2, ops, xt);
    } else if (p->num_operands >= 3) {
        dl_op_set_operand(p, 2, nbv);
    } else {
        dl_value *ops[3] = {dl_operand(p, 0), nwv, nbv};
        dl_op_set_operands(p, 3, ops);
    }
    if (is_gemm) dl_op_set_attr(p, "beta", dl_attr_float(ctx, 1.0));

    dl_value *bn_operands[5];
    for (unsigned i = 0; i < 5; i++) bn_operands[i] = dl_operand(bn, i);
    if (!result->name) result->name = bn->results[0].name;
    dl_value_replace_all_uses(&bn->results[0], result);
    dl_op_erase(bn);
    for (unsigned i = 1; i < 5; i++) erase_if_dead_constant(bn_operands[i]);
    erase_if_dead_constant(old_w);
    erase_if_dead_constant(old_b);
    return true;
}

/* The fold-batchnorm pass (no options): folds every BatchNormalization it can; never fails. */
dl_status dl_pass_fold_batchnorm(dl_op *module, const dl_pass_options *options) {
    (void)options;
    size_t n;
    dl_op **ops = dl_collect_ops(module, &n);
    for (size_t i = 0; i < n; i++) {
        dl_op *op = ops[i];
        if (op->kind == DL_OP_graph_BatchNormalization && op->block && op->num_operands == 5)
            fold_one(op);
    }
    return DL_OK;
}
