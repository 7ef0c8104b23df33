/* lower_misc.c: ops that fit no family: Trilu, EyeLike, CumSum (a masked reduction over the
 * axis), Range, ReverseSequence, TfIdfVectorizer (n-gram counting), and the random ops, which
 * are refused. */
#include "lower.h"

#include <math.h>
#include <string.h>

static dl_status lower_trilu(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *x = lw_in(lw, op, 0), *kb = lw_in(lw, op, 1), *out = lw_out(lw, op, 0);
    const dl_type *t = x->type;
    int r = t->rank;
    if (r < 2) return dl_op_error(op, "needs an input of rank 2 or more");
    if (kb && dl_type_num_elements(kb->type) != 1) return dl_op_error(op, "k must be a scalar");
    bool upper = dl_op_attr_int(op, "upper", 1) != 0;
    kb_generic g;
    kb_begin(&g, lw_top(lw), r, t->dims);
    unsigned xi = kb_in(&g, x, kb_map_id(ctx, (unsigned)r));
    unsigned ki = kb ? kb_in_scalar(&g, kb) : 0;
    kb_out(&g, out, kb_map_id(ctx, (unsigned)r));
    dl_builder *b = kb_body(&g);
    const dl_type *idx = dl_type_scalar(ctx, DL_TY_INDEX);
    dl_value *k = kb ? kb_cast(b, kb_arg(&g, ki), idx) : kb_index(b, 0);
    dl_value *diff = kb_sub(b, kb_dim(&g, r - 1), kb_dim(&g, r - 2));
    dl_value *keep = kb_cmp(b, upper ? "ge" : "le", diff, k);
    dl_value *v = kb_arg(&g, xi);
    kb_yield1(&g, kb_select(b, keep, v, kb_like(b, v, 0)));
    return DL_OK;
}

static dl_status lower_eye_like(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *out = lw_out(lw, op, 0);
    const dl_type *t = out->type;
    if (t->rank != 2) return dl_op_error(op, "needs a 2-d input");
    kb_generic g;
    kb_begin(&g, lw_top(lw), 2, t->dims);
    kb_out(&g, out, kb_map_id(ctx, 2));
    dl_builder *b = kb_body(&g);
    dl_value *diff = kb_sub(b, kb_dim(&g, 1), kb_dim(&g, 0));
    dl_value *on = kb_cmp(b, "eq", diff, kb_index(b, dl_op_attr_int(op, "k", 0)));
    kb_yield1(&g, kb_select(b, on, kb_const(b, t->elem, 1), kb_const(b, t->elem, 0)));
    return DL_OK;
}

/* out[..i..] += sum over j of x[..j..] where j <= i (j < i exclusive; >= / > reversed), along
 * `axis`. With a runtime axis (ax not NULL) the sum only counts when ax, normalised, equals
 * `axis`: one such generic per candidate axis covers every value. */
static void cumsum_along(dl_lower *lw, dl_op *op, dl_value *x, dl_value *ax, int axis,
                         dl_value *out) {
    dl_context *ctx = lw_ctx(lw);
    const dl_type *t = x->type;
    int r = t->rank;
    bool excl = dl_op_attr_int(op, "exclusive", 0), rev = dl_op_attr_int(op, "reverse", 0);
    const char *pred = rev ? (excl ? "gt" : "ge") : (excl ? "lt" : "le");
    kb_generic g;
    kb_begin_pairs(&g, lw_top(lw), r, t->dims, t->dims[axis]);
    unsigned xi = kb_in(&g, x, kb_map_along(ctx, r, axis));
    unsigned ai = ax ? kb_in_scalar(&g, ax) : 0;
    unsigned oi = kb_out(&g, out, kb_map_first(ctx, (unsigned)(r + 1), (unsigned)r));
    dl_builder *b = kb_body(&g);
    dl_value *in = kb_cmp(b, pred, kb_dim(&g, r), kb_dim(&g, axis));
    if (ax) {
        dl_value *a = kb_cast(b, kb_arg(&g, ai), dl_type_scalar(ctx, DL_TY_I64));
        dl_value *eq = kb_cmp(b, "eq", a, kb_consti(b, a->type, axis));
        dl_value *eqn = kb_cmp(b, "eq", a, kb_consti(b, a->type, axis - r));
        in = kb_and(b, in, kb_or(b, eq, eqn));
    }
    dl_value *v = kb_arg(&g, xi);
    kb_yield1(&g, kb_add(b, kb_arg(&g, oi), kb_select(b, in, v, kb_like(b, v, 0))));
}

static dl_status lower_cumsum(dl_lower *lw, dl_op *op) {
    dl_value *x = lw_in(lw, op, 0), *ax = lw_in(lw, op, 1), *out = lw_out(lw, op, 0);
    int r = x->type->rank, axis;
    int64_t a;
    if (r == 0 || r + 1 > KB_MAX_DIMS) return dl_op_error(op, "rank %d is not supported", r);
    if (dl_type_num_elements(ax->type) != 1) return dl_op_error(op, "axis must be a scalar");
    kb_fill(lw_top(lw), out, 0);
    if (lw_const_ints(op, 1, &a, 1) == 1) {
        if (lw_axis(op, a, r, &axis)) return DL_FAILURE;
        cumsum_along(lw, op, x, NULL, axis, out);
        return DL_OK;
    }
    for (axis = 0; axis < r; axis++) cumsum_along(lw, op, x, ax, axis, out);
    return DL_OK;
}

static dl_status lower_range(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *start = lw_in(lw, op, 0), *delta = lw_in(lw, op, 2), *out = lw_out(lw, op, 0);
    const dl_type *t = out->type;
    if (t->rank != 1 || dl_type_num_elements(start->type) != 1 ||
        dl_type_num_elements(delta->type) != 1)
        return dl_op_error(op, "start, limit and delta must be scalars");
    kb_generic g;
    kb_begin(&g, lw_top(lw), 1, t->dims);
    unsigned si = kb_in_scalar(&g, start), di = kb_in_scalar(&g, delta);
    kb_out(&g, out, kb_map_id(ctx, 1));
    dl_builder *b = kb_body(&g);
    dl_value *i = kb_cast(b, kb_dim(&g, 0), t->elem);
    dl_value *s = kb_cast(b, kb_arg(&g, si), t->elem), *d = kb_cast(b, kb_arg(&g, di), t->elem);
    kb_yield1(&g, kb_add(b, s, kb_mul(b, i, d)));
    return DL_OK;
}

static dl_status lower_reverse_sequence(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *x = lw_in(lw, op, 0), *lens = lw_in(lw, op, 1), *out = lw_out(lw, op, 0);
    const dl_type *t = x->type;
    int r = t->rank;
    int64_t ba = dl_op_attr_int(op, "batch_axis", 1), ta = dl_op_attr_int(op, "time_axis", 0);
    if (r < 2 || (ba != 0 && ba != 1) || ta != 1 - ba || lens->type->rank != 1)
        return dl_op_error(op, "batch_axis and time_axis must be 0 and 1");
    kb_generic g;
    kb_begin(&g, lw_top(lw), r, t->dims);
    unsigned li = kb_in(&g, lens, kb_map_dims(ctx, (unsigned)r, 1, (int[]){(int)ba}));
    kb_in_indirect(&g, x);
    kb_out(&g, out, kb_map_id(ctx, (unsigned)r));
    dl_builder *b = kb_body(&g);
    dl_value *n = kb_index_in(b, kb_arg(&g, li), t->dims[ta] + 1); /* 0..T */
    dl_value *tt = kb_dim(&g, (int)ta);
    dl_value *rev = kb_sub(b, kb_sub(b, n, kb_index(b, 1)), tt);
    dl_value *src = kb_select(b, kb_cmp(b, "lt", tt, n), rev, tt);
    dl_value *idx[KB_MAX_DIMS];
    for (int k = 0; k < r; k++)
        idx[k] = k == ta ? kb_clamp_index(b, src, t->dims[k]) : kb_dim(&g, k);
    kb_yield1(&g, kb_load(b, x, (unsigned)r, idx));
    return DL_OK;
}

/* TfIdfVectorizer with an int64 pool: one counting generic per pool n-gram over (batch, skip,
 * start), comparing the n loaded tokens with the n-gram's constants; unigrams are counted once
 * whatever the skip. Then TF / IDF / TFIDF weighting. */
static dl_status lower_tfidf(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type;
    if (xt->rank < 1 || xt->rank > 2 || !dl_type_is_int(xt->elem) || !dl_op_attr(op, "pool_int64s"))
        return dl_op_error(op, "needs an integer 1-d or 2-d input and pool_int64s");
    int64_t B = xt->rank == 2 ? xt->dims[0] : 1, C = xt->dims[xt->rank - 1];
    int64_t O = out->type->dims[out->type->rank - 1];
    dl_value *x2 = kb_view(top, x, kb_memref(ctx, xt->elem, 2, (int64_t[]){B, C}));
    dl_value *o2 = kb_view(top, out, kb_memref(ctx, out->type->elem, 2, (int64_t[]){B, O}));
    int64_t minn = dl_op_attr_int(op, "min_gram_length", 1),
            maxn = dl_op_attr_int(op, "max_gram_length", 1);
    int64_t skips = dl_op_attr_int(op, "max_skip_count", 0) + 1;
    int np = dl_op_attr_ints(op, "pool_int64s", NULL, 0),
        nc = dl_op_attr_ints(op, "ngram_counts", NULL, 0);
    int ni = dl_op_attr_ints(op, "ngram_indexes", NULL, 0);
    if (np < 0 || nc < 0 || ni < 0 || minn < 1 || maxn < minn || skips < 1)
        return dl_op_error(op, "needs pool_int64s, ngram_counts, ngram_indexes and gram lengths");
    int64_t *pool = dl_alloc(ctx, sizeof(int64_t) * (size_t)(np + 1));
    int64_t *counts = dl_alloc(ctx, sizeof(int64_t) * (size_t)(nc + 1));
    int64_t *index = dl_alloc(ctx, sizeof(int64_t) * (size_t)(ni + 1));
    double *weights = dl_alloc(ctx, sizeof(double) * (size_t)(ni + 1));
    dl_op_attr_ints(op, "pool_int64s", pool, np);
    dl_op_attr_ints(op, "ngram_counts", counts, nc);
    dl_op_attr_ints(op, "ngram_indexes", index, ni);
    const dl_attr *wa = dl_op_attr(op, "weights");
    for (int i = 0; i < ni; i++)
        weights[i] = wa && wa->kind == DL_ATTR_ARRAY && (unsigned)i < wa->u.array.n
                         ? wa->u.array.elems[i]->u.f
                         : 1.0;
    const char *mode = dl_op_attr_str(op, "mode", "TF");
    kb_fill(top, out, 0);
    float *wo = dl_alloc(ctx, sizeof(float) * (size_t)(O + 1));
    int p = 0; /* n-gram number (index into ngram_indexes) */
    for (int level = 0; level < nc; level++) {
        int64_t n = level + 1, start = counts[level], end = level + 1 < nc ? counts[level + 1] : np;
        if (start < 0 || end > np || start > end || (end - start) % n)
            return dl_op_error(op, "ngram_counts do not split pool_int64s into n-grams");
        for (int64_t at = start; at < end; at += n, p++) {
            if (p >= ni || index[p] < 0 || index[p] >= O)
                return dl_op_error(op, "ngram_indexes do not fit the result");
            wo[index[p]] = (float)weights[p];
            if (n < minn || n > maxn) continue;
            int64_t S = n == 1 ? 1 : skips;
            kb_generic g;
            kb_begin(&g, top, 3, (int64_t[]){B, S, C});
            kb_reduction(&g, 1);
            kb_reduction(&g, 2);
            kb_in_indirect(&g, x2);
            const dl_affine_expr *res[2] = {dl_aff_dim(ctx, 0), dl_aff_const(ctx, index[p])};
            unsigned oi = kb_out(&g, o2, kb_map(ctx, 3, 2, res));
            dl_builder *b = kb_body(&g);
            dl_value *step = kb_add(b, kb_dim(&g, 1), kb_index(b, 1)), *pos = kb_dim(&g, 2);
            dl_value *ok = kb_cmp(b, "lt", kb_add(b, pos, kb_mul(b, step, kb_index(b, n - 1))),
                                  kb_index(b, C));
            for (int64_t j = 0; j < n; j++) {
                dl_value *at_j =
                    kb_clamp_index(b, kb_add(b, pos, kb_mul(b, step, kb_index(b, j))), C);
                dl_value *tok = kb_load(b, x2, 2, (dl_value *[]){kb_dim(&g, 0), at_j});
                ok = kb_and(b, ok, kb_cmp(b, "eq", tok, kb_consti(b, tok->type, pool[at + j])));
            }
            dl_value *acc = kb_arg(&g, oi);
            kb_yield1(&g, kb_add(b, acc, kb_select(b, ok, kb_like(b, acc, 1), kb_like(b, acc, 0))));
        }
    }
    if (strcmp(mode, "TF") == 0) return DL_OK;
    bool idf = strcmp(mode, "IDF") == 0;
    if (!idf && strcmp(mode, "TFIDF") != 0)
        return dl_op_error(op, "mode '%s' is not supported", mode);
    dl_value *wt = kb_global_f32(top, 1, &O, wo);
    kb_generic e;
    kb_begin(&e, top, 2, (int64_t[]){B, O});
    unsigned wi = kb_in(&e, wt, kb_map_dims(ctx, 2, 1, (int[]){1}));
    unsigned oi = kb_out(&e, o2, kb_map_id(ctx, 2));
    dl_builder *b = kb_body(&e);
    dl_value *c = kb_arg(&e, oi);
    if (idf) c = kb_bin(b, DL_OP_arith_min, c, kb_like(b, c, 1));
    kb_yield1(&e, kb_mul(b, c, kb_cast(b, kb_arg(&e, wi), c->type)));
    return DL_OK;
}

static dl_status lower_random(dl_lower *lw, dl_op *op) {
    return dl_op_error(op, "random number generation is not supported (results would not be "
                           "reproducible)");
}

const dl_lower_entry dl_lower_misc[] = {
    {DL_OP_graph_Bernoulli, lower_random},
    {DL_OP_graph_RandomUniformLike, lower_random},
    {DL_OP_graph_RandomNormalLike, lower_random},
    {DL_OP_graph_RandomUniform, lower_random},
    {DL_OP_graph_RandomNormal, lower_random},
    {DL_OP_graph_Multinomial, lower_random},
    {DL_OP_graph_Trilu, lower_trilu},
    {DL_OP_graph_TfIdfVectorizer, lower_tfidf},
    {DL_OP_graph_EyeLike, lower_eye_like},
    {DL_OP_graph_CumSum, lower_cumsum},
    {DL_OP_graph_Range, lower_range},
    {DL_OP_graph_ReverseSequence, lower_reverse_sequence},
    {DL_OP__INVALID, NULL},
};
