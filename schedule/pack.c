/* pack.c: constant weights packed for the micro-kernels at compile time (BLIS-style panels).
 * When a micro-kernel vectorises a dim that a constant operand (a kernel.global: convolution or
 * Gemm weights) indexes in another position than its last, the generic reads a packed copy
 * instead: that index i split into i / T first and i mod T last, T being the register tile's
 * width along the vectorised dim, so that each vector is one contiguous load and the panel a
 * micro-kernel walks through its whole reduction is one sequential stream. Conv weights
 * [M, C, KH, KW] become [M / T, C, KH, KW, T] (zero-padded to whole panels), Gemm's B^T
 * [N, K] becomes [N / T, K, T]. Copies are shared between generics; the originals left
 * without users are erased once the code is generated (to_loop.c). */
#include "sched.h"

#include <stdlib.h>
#include <string.h>

/* The packed copy of global g (index r split by tile), inserted after g. */
static dl_value *pack_global(dl_op *g, int r, int64_t tile) {
    dl_context *ctx = g->ctx;
    const dl_type *t = g->results[0].type;
    const dl_attr *v = dl_op_attr(g, "value");
    int n = t->rank;
    int64_t dims[SCHED_MAX_DIMS + 1], panels = (t->dims[r] + tile - 1) / tile;
    int old_of[SCHED_MAX_DIMS + 1]; /* the old dim each new one walks (-1 for the panel) */
    int nd = 0;
    old_of[nd] = -1;
    dims[nd++] = panels;
    for (int i = 0; i < n; i++)
        if (i != r) old_of[nd] = i, dims[nd++] = t->dims[i];
    old_of[nd] = r;
    dims[nd++] = tile;
    const dl_type *tt = dl_type_tensor(ctx, t->elem, nd, dims, NULL);
    int64_t count = dl_type_num_elements(t), packed = dl_type_num_elements(tt);
    size_t es = v->u.dense.splat || !count ? v->u.dense.size : v->u.dense.size / (size_t)count;
    char *data = calloc((size_t)(packed ? packed : 1), es);
    DL_ASSERT(data);
    int64_t old_strides[SCHED_MAX_DIMS], s = 1, idx[SCHED_MAX_DIMS + 1] = {0};
    for (int i = n - 1; i >= 0; i--) old_strides[i] = s, s *= t->dims[i];
    for (int64_t e = 0; e < packed; e++) { /* e walks the new layout; idx its indices */
        int64_t src = 0, along = idx[0] * tile + idx[nd - 1];
        for (int i = 1; i < nd - 1; i++) src += idx[i] * old_strides[old_of[i]];
        src += along * old_strides[r];
        if (along < t->dims[r]) {
            const char *from =
                (const char *)v->u.dense.data + (v->u.dense.splat ? 0 : src * (int64_t)es);
            memcpy(data + (size_t)e * es, from, es);
        }
        for (int i = nd - 1; i >= 0 && ++idx[i] == dims[i]; i--) idx[i] = 0;
    }
    const dl_attr *pv = dl_attr_dense(ctx, tt, data, (size_t)packed * es, false, true);
    free(data);
    const dl_type *mt = dl_type_memref(ctx, t->elem, nd, dims, NULL, 0);
    dl_op *p = dl_op_create(ctx, DL_OP_kernel_global, g->loc, 0, NULL, 1, &mt, 0);
    dl_op_set_attr(p, "value", pv);
    p->results[0].name = g->results[0].name
                             ? dl_intern(ctx, dl_sprintf(ctx, "%s_packed", g->results[0].name))
                             : NULL;
    dl_op_insert_after(g, p);
    return &p->results[0];
}

/* Map m with result r split into (r / tile) first and (r mod tile) last. */
static const dl_affine_map *split_map(dl_context *ctx, const dl_affine_map *m, int r,
                                      int64_t tile) {
    const dl_affine_expr *res[SCHED_MAX_DIMS + 1], *t = dl_aff_const(ctx, tile);
    unsigned j = 0;
    res[j++] = dl_aff_bin(ctx, DL_AFF_FLOORDIV, m->results[r], t);
    for (unsigned i = 0; i < m->num_results; i++)
        if ((int)i != r) res[j++] = m->results[i];
    res[j++] = dl_aff_bin(ctx, DL_AFF_MOD, m->results[r], t);
    return dl_affine_map_get(ctx, m->num_dims, m->num_syms, j, res);
}

void sched_pack_operand(sched_scop *scop, dl_op *generic, unsigned k, int r, int64_t tile) {
    dl_context *ctx = generic->ctx;
    dl_value *from = dl_operand(generic, k), *to = NULL;
    for (int i = 0; i < scop->num_packed && !to; i++)
        if (scop->packed[i].from == from && scop->packed[i].result == r &&
            scop->packed[i].tile == tile)
            to = scop->packed[i].to;
    if (!to) {
        to = pack_global(from->def, r, tile);
        scop->packed = realloc(scop->packed, sizeof *scop->packed * (size_t)(scop->num_packed + 1));
        DL_ASSERT(scop->packed);
        scop->packed[scop->num_packed++] = (sched_packed){from, r, tile, to};
    }
    const dl_attr *maps = dl_op_attr(generic, "maps"), *elems[SCHED_MAX_DIMS];
    for (unsigned i = 0; i < maps->u.array.n && i < SCHED_MAX_DIMS; i++)
        elems[i] = maps->u.array.elems[i];
    elems[k] = dl_attr_affine_map(ctx, split_map(ctx, maps->u.array.elems[k]->u.map, r, tile));
    dl_op_set_attr(generic, "maps", dl_attr_array(ctx, maps->u.array.n, elems));
    dl_op_set_operand(generic, k, to);
}
