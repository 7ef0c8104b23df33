/* lower_linalg.c: contractions: MatMul (numpy batching and 1-d promotion), Gemm (transposes,
 * alpha, beta, broadcast C) and Einsum (any equation, with ellipses and diagonals); each is a
 * zero (or bias) initialisation and one reduction generic. */
#include "lower.h"

#include <string.h>

/* out[map_o(d)] += a[map_a(d)] * b[map_b(d)] over dom, with the last `nred` dims reductions. */
static void contract(dl_builder *top, int rank, const int64_t *dom, const bool *red, dl_value *a,
                     const dl_affine_map *ma, dl_value *bb, const dl_affine_map *mb, dl_value *out,
                     const dl_affine_map *mo) {
    kb_generic g;
    kb_begin(&g, top, rank, dom);
    for (int k = 0; k < rank; k++)
        if (red[k]) kb_reduction(&g, k);
    unsigned x = kb_in(&g, a, ma), y = kb_in(&g, bb, mb), o = kb_out(&g, out, mo);
    dl_builder *b = kb_body(&g);
    kb_yield1(&g, kb_mac(b, kb_arg(&g, o), kb_arg(&g, x), kb_arg(&g, y)));
}

dl_status lw_matmul(dl_lower *lw, dl_op *op, dl_value *a, dl_value *bm, dl_value *out) {
    dl_context *ctx = lw_ctx(lw);
    const dl_type *at = a->type, *bt = bm->type, *ot = out->type;
    int ra = at->rank, rb = bt->rank, ro = ot->rank;
    if (ra < 1 || rb < 1) return dl_op_error(op, "inputs must have rank 1 or more");
    int64_t K = at->dims[ra - 1];
    if (bt->dims[rb >= 2 ? rb - 2 : 0] != K) return dl_op_error(op, "inner dimensions differ");
    /* domain: the output's dims, then K */
    int rank = ro + 1;
    if (rank > KB_MAX_DIMS) return dl_op_error(op, "rank %d is not supported", ro);
    int64_t dom[KB_MAX_DIMS];
    bool red[KB_MAX_DIMS] = {0};
    memcpy(dom, ot->dims, sizeof(int64_t) * (size_t)ro);
    dom[ro] = K;
    red[ro] = true;
    int nbatch = ro - (ra >= 2) - (rb >= 2); /* batch dims of the output */
    int dm = ra >= 2 ? nbatch : -1, dn = rb >= 2 ? nbatch + (ra >= 2) : -1;
    int amap[KB_MAX_DIMS], bmap[KB_MAX_DIMS];
    /* batch dims, right-aligned with broadcasting */
    for (int k = 0; k < ra - 2; k++) {
        int d = nbatch - (ra - 2) + k;
        amap[k] = at->dims[k] == 1 && ot->dims[d] != 1 ? -1 : d;
    }
    for (int k = 0; k < rb - 2; k++) {
        int d = nbatch - (rb - 2) + k;
        bmap[k] = bt->dims[k] == 1 && ot->dims[d] != 1 ? -1 : d;
    }
    if (ra >= 2) amap[ra - 2] = dm;
    amap[ra - 1] = ro;
    bmap[rb >= 2 ? rb - 2 : 0] = ro;
    if (rb >= 2) bmap[rb - 1] = dn;
    kb_fill(lw_top(lw), out, 0);
    contract(lw_top(lw), rank, dom, red, a, kb_map_dims(ctx, (unsigned)rank, (unsigned)ra, amap),
             bm, kb_map_dims(ctx, (unsigned)rank, (unsigned)rb, bmap), out,
             kb_map_first(ctx, (unsigned)rank, (unsigned)ro));
    return DL_OK;
}

static dl_status lower_matmul(dl_lower *lw, dl_op *op) {
    return lw_matmul(lw, op, lw_in(lw, op, 0), lw_in(lw, op, 1), lw_out(lw, op, 0));
}

typedef struct gemm_scale {
    double alpha, beta;
    bool has_c, has_acc;
} gemm_scale;

/* out = alpha * acc + beta * c (either term optional). */
static dl_value *gemm_epilogue(dl_builder *b, dl_value *const *x, const dl_type *t,
                               const void *user) {
    const gemm_scale *s = user;
    unsigned i = 0;
    dl_value *r = NULL;
    if (s->has_c) {
        r = kb_cast(b, x[i++], t);
        if (s->beta != 1) r = kb_mul(b, r, kb_const(b, t, s->beta));
    }
    if (s->has_acc) {
        dl_value *acc = x[i++];
        if (s->alpha != 1) acc = kb_mul(b, acc, kb_const(b, t, s->alpha));
        r = r ? kb_add(b, acc, r) : acc;
    }
    return r ? r : kb_const(b, t, 0);
}

static dl_status lower_gemm(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *a = lw_in(lw, op, 0), *bm = lw_in(lw, op, 1), *c = lw_in(lw, op, 2);
    dl_value *out = lw_out(lw, op, 0);
    if (a->type->rank != 2 || bm->type->rank != 2) return dl_op_error(op, "A and B must be 2-d");
    bool ta = dl_op_attr_int(op, "transA", 0), tb = dl_op_attr_int(op, "transB", 0);
    double alpha = dl_op_attr_float(op, "alpha", 1.0), beta = dl_op_attr_float(op, "beta", 1.0);
    int64_t M = out->type->dims[0], N = out->type->dims[1], K = a->type->dims[ta ? 0 : 1];
    if (bm->type->dims[tb ? 1 : 0] != K) return dl_op_error(op, "inner dimensions differ");
    if (c && c->type->rank > 2) return dl_op_error(op, "C must have rank 2 or less");
    int64_t dom[3] = {M, N, K};
    bool red[3] = {false, false, true};
    const dl_affine_map *ma = kb_map_dims(ctx, 3, 2, ta ? (int[]){2, 0} : (int[]){0, 2});
    const dl_affine_map *mb = kb_map_dims(ctx, 3, 2, tb ? (int[]){1, 2} : (int[]){2, 1});
    const dl_affine_map *mo = kb_map_dims(ctx, 3, 2, (int[]){0, 1});
    dl_builder *top = lw_top(lw);
    if (c && beta == 0) c = NULL;
    if (alpha == 1) {
        /* out = beta * C, then accumulate */
        gemm_scale s = {alpha, beta, c != NULL, false};
        kb_elementwise(top, c ? 1 : 0, &c, out, gemm_epilogue, &s);
        contract(top, 3, dom, red, a, ma, bm, mb, out, mo);
    } else {
        kb_fill(top, out, 0);
        contract(top, 3, dom, red, a, ma, bm, mb, out, mo);
        gemm_scale s = {alpha, beta, c != NULL, true};
        dl_value *ins[2] = {c ? c : out, out};
        kb_elementwise(top, c ? 2 : 1, c ? ins : ins + 1, out, gemm_epilogue, &s);
    }
    return DL_OK;
}

/* ---- Einsum --------------------------------------------------------------------------------- */

enum { EIN_MAX_TERMS = 8, EIN_LETTERS = 52 };

typedef struct ein_term {
    int n; /* number of subscripts (an ellipsis counts as one, letter -1) */
    int letter[KB_MAX_DIMS];
    bool has_ellipsis;
} ein_term;

static int letter_of(char c) {
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= 'A' && c <= 'Z') return 26 + c - 'A';
    return -2;
}

/* Parses one term up to ',' or '-' or the end; returns the position after it or NULL. */
static const char *parse_term(const char *p, ein_term *t) {
    t->n = 0;
    t->has_ellipsis = false;
    for (;; p++) {
        while (*p == ' ') p++;
        if (!*p || *p == ',' || *p == '-') return p;
        if (t->n == KB_MAX_DIMS) return NULL;
        if (strncmp(p, "...", 3) == 0) {
            if (t->has_ellipsis) return NULL;
            t->has_ellipsis = true;
            t->letter[t->n++] = -1;
            p += 2;
            continue;
        }
        int l = letter_of(*p);
        if (l < 0) return NULL;
        t->letter[t->n++] = l;
    }
}

static dl_status lower_einsum(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    const char *eq = dl_op_attr_str(op, "equation", NULL);
    if (!eq) return dl_op_error(op, "needs an 'equation'");
    unsigned nin = op->num_operands;
    if (nin > EIN_MAX_TERMS) return dl_op_error(op, "more than %d inputs", EIN_MAX_TERMS);
    ein_term terms[EIN_MAX_TERMS + 1], *outt = &terms[nin];
    const char *p = eq;
    for (unsigned i = 0; i < nin; i++) {
        p = parse_term(p, &terms[i]);
        if (!p || (i + 1 < nin && *p++ != ',') || (i + 1 == nin && *p == ','))
            return dl_op_error(op, "cannot parse the equation '%s'", eq);
    }
    bool explicit_out = strncmp(p, "->", 2) == 0;
    if (explicit_out && (!(p = parse_term(p + 2, outt)) || *p))
        return dl_op_error(op, "cannot parse the equation '%s'", eq);
    if (!explicit_out && *p) return dl_op_error(op, "cannot parse the equation '%s'", eq);
    /* letter sizes and ellipsis rank */
    int64_t size[EIN_LETTERS];
    int count[EIN_LETTERS] = {0}, ell_rank = 0;
    int64_t ell[KB_MAX_DIMS]; /* broadcast ellipsis dims, right-aligned at KB_MAX_DIMS */
    for (int k = 0; k < KB_MAX_DIMS; k++) ell[k] = 1;
    for (int l = 0; l < EIN_LETTERS; l++) size[l] = -1;
    dl_value *ins[EIN_MAX_TERMS];
    for (unsigned i = 0; i < nin; i++) {
        ins[i] = lw_in(lw, op, i);
        const dl_type *t = ins[i]->type;
        int er = t->rank - (terms[i].n - terms[i].has_ellipsis);
        if (er < 0 || (!terms[i].has_ellipsis && er != 0))
            return dl_op_error(op, "input %u's rank does not match the equation", i);
        if (er > ell_rank) ell_rank = er;
        for (int k = 0, dim = 0; k < terms[i].n; k++) {
            if (terms[i].letter[k] < 0) {
                for (int j = 0; j < er; j++, dim++)
                    if (t->dims[dim] != 1) ell[KB_MAX_DIMS - er + j] = t->dims[dim];
                continue;
            }
            int l = terms[i].letter[k];
            count[l]++;
            if (size[l] >= 0 && size[l] != t->dims[dim] && size[l] != 1 && t->dims[dim] != 1)
                return dl_op_error(op, "subscript sizes disagree");
            if (size[l] < 0 || size[l] == 1) size[l] = t->dims[dim];
            dim++;
        }
    }
    if (!explicit_out) {
        outt->n = 0;
        outt->has_ellipsis = ell_rank > 0;
        if (ell_rank) outt->letter[outt->n++] = -1;
        for (int l = 0; l < EIN_LETTERS; l++)
            if (count[l] == 1) outt->letter[outt->n++] = l;
    }
    /* domain: ellipsis dims, then letters in order of first appearance in the output, then the
     * reduced letters */
    int dim_of[EIN_LETTERS], rank = ell_rank;
    bool red[KB_MAX_DIMS] = {0};
    int64_t dom[KB_MAX_DIMS];
    dl_value *out = lw_out(lw, op, 0);
    for (int k = 0; k < ell_rank; k++) {
        dom[k] = ell[KB_MAX_DIMS - ell_rank + k];
        red[k] = !outt->has_ellipsis;
    }
    for (int l = 0; l < EIN_LETTERS; l++) dim_of[l] = -1;
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i <= nin; i++) {
            ein_term *t = &terms[i];
            if ((pass == 0) != (i == nin)) continue;
            for (int k = 0; k < t->n; k++) {
                int l = t->letter[k];
                if (l < 0 || dim_of[l] >= 0) continue;
                if (size[l] < 0) return dl_op_error(op, "output subscript not in any input");
                if (rank >= KB_MAX_DIMS) return dl_op_error(op, "too many subscripts");
                dim_of[l] = rank;
                red[rank] = pass == 1;
                dom[rank++] = size[l];
            }
        }
    }
    /* maps */
    const dl_affine_map *maps[EIN_MAX_TERMS + 1];
    for (unsigned i = 0; i <= nin; i++) {
        const dl_type *t = i < nin ? ins[i]->type : out->type;
        int er = t->rank - (terms[i].n - terms[i].has_ellipsis), res[KB_MAX_DIMS], n = 0;
        for (int k = 0; k < terms[i].n; k++) {
            int l = terms[i].letter[k];
            if (l >= 0) {
                res[n] = t->dims[n] == 1 && dom[dim_of[l]] != 1 ? -1 : dim_of[l];
                n++;
                continue;
            }
            for (int j = 0; j < er; j++, n++) {
                int d = ell_rank - er + j;
                res[n] = t->dims[n] == 1 && dom[d] != 1 ? -1 : d;
            }
        }
        if (n != t->rank) return dl_op_error(op, "operand %u's rank does not match", i);
        maps[i] = kb_map_dims(ctx, (unsigned)rank, (unsigned)n, res);
    }
    dl_builder *top = lw_top(lw);
    kb_fill(top, out, 0);
    kb_generic g;
    kb_begin(&g, top, rank, dom);
    for (int k = 0; k < rank; k++)
        if (red[k]) kb_reduction(&g, k);
    for (unsigned i = 0; i < nin; i++) kb_in(&g, ins[i], maps[i]);
    unsigned o = kb_out(&g, out, maps[nin]);
    dl_builder *b = kb_body(&g);
    const dl_type *et = out->type->elem;
    dl_value *prod = kb_cast(b, kb_arg(&g, 0), et);
    for (unsigned i = 1; i < nin; i++) prod = kb_mul(b, prod, kb_cast(b, kb_arg(&g, i), et));
    kb_yield1(&g, kb_add(b, kb_arg(&g, o), prod));
    return DL_OK;
}

/* ---- Det ------------------------------------------------------------------------------------ */

/* a[batch..., i, j] in Det's body: load, or store v. */
static dl_value *mat_at(dl_builder *b, dl_value *a, dl_value *const *batch, int nb, dl_value *i,
                        dl_value *j, dl_value *v) {
    dl_value *idx[KB_MAX_DIMS + 2];
    for (int k = 0; k < nb; k++) idx[k] = batch[k];
    idx[nb] = i, idx[nb + 1] = j;
    if (v) {
        kb_store(b, v, a, (unsigned)nb + 2, idx);
        return NULL;
    }
    return kb_load(b, a, (unsigned)nb + 2, idx);
}

/* Det by Gaussian elimination with partial pivoting, one matrix per iteration of a generic over
 * the batch dims: the body works on a scratch copy `a` with loop.for / loop.if, keeping the
 * running determinant in the output element and the pivot row in `piv`. */
static dl_status lower_det(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_value *x = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    const dl_type *xt = x->type, *ot = out->type;
    int r = xt->rank, nb = r - 2;
    if (r < 2 || xt->dims[r - 1] != xt->dims[r - 2] || ot->rank != nb ||
        !dl_type_is_float(xt->elem))
        return dl_op_error(op, "needs floating-point square matrices");
    int64_t M = xt->dims[r - 1];
    dl_value *a = kb_alloc(top, xt);
    kb_copy(top, x, kb_map_id(ctx, (unsigned)r), a);
    const dl_type *idx = dl_type_scalar(ctx, DL_TY_INDEX);
    dl_value *piv = kb_alloc(top, kb_memref(ctx, idx, nb, ot->dims));
    kb_generic g;
    kb_begin(&g, top, nb, ot->dims);
    for (int k = 0; k < nb; k++) kb_reduction(&g, k); /* the body stores: keep order */
    kb_out_indirect(&g, a);
    kb_out_indirect(&g, piv);
    kb_out_indirect(&g, out);
    dl_builder *b = kb_body(&g);
    dl_value *bi[KB_MAX_DIMS];
    for (int k = 0; k < nb; k++) bi[k] = kb_dim(&g, k);
    const dl_type *ft = xt->elem;
    dl_value *c0 = kb_index(b, 0), *c1 = kb_index(b, 1), *cm = kb_index(b, M);
#define AT(bld, i, j)     mat_at((bld), a, bi, nb, (i), (j), NULL)
#define PUT(bld, v, i, j) mat_at((bld), a, bi, nb, (i), (j), (v))
    kb_store(b, kb_const(b, ft, 1), out, (unsigned)nb, bi);
    dl_builder kb_, ib, ifb, sw, el, jb;
    dl_value *k = kb_for(b, c0, cm, c1, &kb_);
    /* pivot search */
    kb_store(&kb_, k, piv, (unsigned)nb, bi);
    dl_value *i = kb_for(&kb_, kb_add(&kb_, k, c1), cm, c1, &ib);
    dl_value *p = kb_load(&ib, piv, (unsigned)nb, bi);
    dl_value *better = kb_cmp(&ib, "gt", kb_un(&ib, DL_OP_arith_abs, AT(&ib, i, k)),
                              kb_un(&ib, DL_OP_arith_abs, AT(&ib, p, k)));
    kb_if(&ib, better, &ifb);
    kb_store(&ifb, i, piv, (unsigned)nb, bi);
    /* row swap, negating the determinant */
    p = kb_load(&kb_, piv, (unsigned)nb, bi);
    kb_if(&kb_, kb_cmp(&kb_, "ne", p, k), &sw);
    dl_value *j = kb_for(&sw, c0, cm, c1, &jb);
    dl_value *t = AT(&jb, k, j);
    PUT(&jb, AT(&jb, p, j), k, j);
    PUT(&jb, t, p, j);
    kb_store(&sw, kb_un(&sw, DL_OP_arith_neg, kb_load(&sw, out, (unsigned)nb, bi)), out,
             (unsigned)nb, bi);
    /* det *= pivot; eliminate below it */
    dl_value *pv = AT(&kb_, k, k);
    kb_store(&kb_, kb_mul(&kb_, kb_load(&kb_, out, (unsigned)nb, bi), pv), out, (unsigned)nb, bi);
    kb_if(&kb_, kb_cmp(&kb_, "ne", pv, kb_const(&kb_, ft, 0)), &el);
    i = kb_for(&el, kb_add(&el, k, c1), cm, c1, &ib);
    dl_value *f = kb_div(&ib, AT(&ib, i, k), pv);
    j = kb_for(&ib, kb_add(&ib, k, c1), cm, c1, &jb);
    PUT(&jb, kb_sub(&jb, AT(&jb, i, j), kb_mul(&jb, f, AT(&jb, k, j))), i, j);
#undef AT
#undef PUT
    kb_yield(&g, 0, NULL);
    return DL_OK;
}

const dl_lower_entry dl_lower_linalg[] = {
    {DL_OP_graph_Det, lower_det},   {DL_OP_graph_MatMul, lower_matmul},
    {DL_OP_graph_Gemm, lower_gemm}, {DL_OP_graph_Einsum, lower_einsum},
    {DL_OP__INVALID, NULL},
};
