/* kpatterns.c: the generics every lowering reuses: fills, copies, broadcasting elementwise
 * maps and reductions with their initialisation. */
#include "kbuild.h"

#include <math.h>

void kb_fill(dl_builder *top, dl_value *dst, double v) {
    const dl_type *t = dst->type;
    kb_generic g;
    kb_begin(&g, top, t->rank, t->dims);
    kb_out(&g, dst, kb_map_id(top->ctx, (unsigned)t->rank));
    dl_builder *b = kb_body(&g);
    kb_yield1(&g, kb_const(b, t->elem, v));
}

void kb_copy_box(dl_builder *top, int rank, const int64_t *dom, dl_value *src,
                 const dl_affine_map *src_map, dl_value *dst, const dl_affine_map *dst_map) {
    kb_generic g;
    kb_begin(&g, top, rank, dom);
    unsigned x = kb_in(&g, src, src_map);
    kb_out(&g, dst, dst_map);
    dl_builder *b = kb_body(&g);
    kb_yield1(&g, kb_cast(b, kb_arg(&g, x), dst->type->elem));
}

void kb_copy(dl_builder *top, dl_value *src, const dl_affine_map *src_map, dl_value *dst) {
    const dl_type *t = dst->type;
    kb_copy_box(top, t->rank, t->dims, src, src_map, dst, kb_map_id(top->ctx, (unsigned)t->rank));
}

void kb_elementwise(dl_builder *top, unsigned n, dl_value *const *ins, dl_value *dst,
                    kb_scalar_fn f, const void *user) {
    const dl_type *t = dst->type;
    kb_generic g;
    dl_value *args[KB_MAX_OPERANDS];
    kb_begin(&g, top, t->rank, t->dims);
    for (unsigned i = 0; i < n; i++)
        kb_in(&g, ins[i], kb_map_bcast(top->ctx, (unsigned)t->rank, t->dims, ins[i]->type));
    kb_out(&g, dst, kb_map_id(top->ctx, (unsigned)t->rank));
    dl_builder *b = kb_body(&g);
    for (unsigned i = 0; i < n; i++) args[i] = kb_arg(&g, i);
    kb_yield1(&g, f(b, args, t->elem, user));
    for (unsigned i = 0; i < n; i++) {
        const dl_type *it = ins[i]->type;
        bool same = it->rank == t->rank && !it->strides &&
                    dl_scalar_size(it->elem->kind) == dl_scalar_size(t->elem->kind);
        for (int k = 0; same && k < t->rank; k++) same = it->dims[k] == t->dims[k];
        if (same && ins[i] != dst) kb_mark_inplace(&g, i);
    }
}

/* ---- Reductions -------------------------------------------------------------------------- */

static double identity_of(kb_reduce_kind kind) {
    switch (kind) {
    case KB_SUM: return 0;
    case KB_PROD: return 1;
    case KB_MAX: return -INFINITY;
    case KB_MIN: return INFINITY;
    }
    return 0;
}

dl_value *kb_combine(dl_builder *b, kb_reduce_kind kind, dl_value *acc, dl_value *x) {
    switch (kind) {
    case KB_SUM: return kb_add(b, acc, x);
    case KB_PROD: return kb_mul(b, acc, x);
    case KB_MAX: return kb_max_nan(b, acc, x);
    case KB_MIN: return kb_min_nan(b, acc, x);
    }
    DL_UNREACHABLE("reduction kind");
}

void kb_reduce(dl_builder *top, dl_value *src, dl_value *dst, const bool *axes, kb_reduce_kind kind,
               kb_scalar_fn pre, const void *user) {
    const dl_type *s = src->type;
    kb_fill(top, dst, identity_of(kind));
    kb_generic g;
    kb_begin(&g, top, s->rank, s->dims);
    for (int k = 0; k < s->rank; k++)
        if (axes[k]) kb_reduction(&g, k);
    unsigned x = kb_in(&g, src, kb_map_id(top->ctx, (unsigned)s->rank));
    unsigned acc = kb_out(&g, dst, kb_map_reduced(top->ctx, s->rank, axes, dst->type->rank));
    dl_builder *b = kb_body(&g);
    dl_value *v = kb_arg(&g, x);
    if (pre) {
        v = pre(b, &v, dst->type->elem, user);
    } else {
        v = kb_cast(b, v, dst->type->elem);
    }
    kb_yield1(&g, kb_combine(b, kind, kb_arg(&g, acc), v));
}

void kb_reduce2(dl_builder *top, dl_value *x, dl_value *m, dl_value *dst, const bool *axes,
                kb_reduce_kind kind, kb_scalar_fn f, const void *user) {
    const dl_type *t = x->type;
    dl_context *ctx = top->ctx;
    kb_generic g;
    kb_begin(&g, top, t->rank, t->dims);
    for (int k = 0; k < t->rank; k++)
        if (axes[k]) kb_reduction(&g, k);
    unsigned xi = kb_in(&g, x, kb_map_id(ctx, (unsigned)t->rank));
    unsigned mi = kb_in(&g, m, kb_map_bcast(ctx, (unsigned)t->rank, t->dims, m->type));
    unsigned oi = kb_out(&g, dst, kb_map_reduced(ctx, t->rank, axes, dst->type->rank));
    dl_builder *b = kb_body(&g);
    dl_value *args[2] = {kb_arg(&g, xi), kb_arg(&g, mi)};
    kb_yield1(&g, kb_combine(b, kind, kb_arg(&g, oi), f(b, args, dst->type->elem, user)));
}
