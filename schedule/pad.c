/* pad.c: padded copies folded into their sources' producers. Lowering makes a convolution read
 * a padded copy P of its input x (lowering/lower_conv.c: a fill of P, then a copy of x into
 * P's interior). When x is an intermediate buffer, whatever computes x can write P's interior
 * directly: x becomes a strided view of P, the copy disappears and the fill shrinks to P's
 * border (one box generic per side and dim). A whole pass over the activations, and most of
 * another, are gone; the convolution's reads do not change. */
#include "sched.h"

#include <string.h>

/* True if body of generic g yields its only block argument unchanged (a copy). */
static bool is_copy(dl_op *g) {
    dl_block *b = dl_op_region(g, 0)->first;
    return b && b->first == b->last && b->last->kind == DL_OP_kernel_yield &&
           b->last->num_operands == 1 && dl_operand(b->last, 0) == b->args[0];
}

/* True if the body of g computes nothing from its operands (a fill). */
static bool is_fill(dl_op *g) {
    dl_block *b = dl_op_region(g, 0)->first;
    if (!b || dl_op_attr_int(g, "num_inputs", -1) != 0 || g->num_operands != 1) return false;
    for (dl_op *o = b->first; o; o = o->next)
        if (o != b->last && (o->kind != DL_OP_arith_constant || o->num_regions)) return false;
    return !dl_value_has_uses(b->args[0]);
}

static bool plain_alloc(const dl_value *v) {
    const dl_type *t = v->type;
    return v->def && v->def->kind == DL_OP_kernel_alloc && t->kind == DL_TY_MEMREF && !t->strides &&
           t->offset == 0 && dl_type_has_static_shape(t) && t->rank <= SCHED_MAX_DIMS;
}

/* The constant offsets of map m = (d0 + c0, d1 + c1, ...); false for any other map. */
static bool shifted_identity(const dl_affine_map *m, int rank, int64_t *c) {
    if ((int)m->num_results != rank || (int)m->num_dims != rank) return false;
    for (int r = 0; r < rank; r++) {
        const dl_affine_expr *e = m->results[r];
        c[r] = 0;
        if (e->kind == DL_AFF_ADD && e->rhs->kind == DL_AFF_CONST) {
            c[r] = e->rhs->value;
            e = e->lhs;
        } else if (e->kind == DL_AFF_ADD && e->lhs->kind == DL_AFF_CONST) {
            c[r] = e->lhs->value;
            e = e->rhs;
        }
        if (e->kind != DL_AFF_DIM || e->value != r || c[r] < 0) return false;
    }
    return true;
}

static const dl_affine_map *map_of(dl_op *g, unsigned k) {
    return dl_op_attr(g, "maps")->u.array.elems[k]->u.map;
}

/* Use u of v is an operand of a kernel.generic; *writes says whether it is an output. */
static bool generic_use(const dl_use *u, bool *writes) {
    dl_op *o = u->owner;
    if (o->kind != DL_OP_kernel_generic) return false;
    *writes = u->index >= (unsigned)dl_op_attr_int(o, "num_inputs", 0);
    return true;
}

/* A copy of fill f writing the box [lo, lo + ext) of its buffer, inserted before f. */
static void fill_box(dl_op *f, int rank, const int64_t *lo, const int64_t *ext) {
    dl_context *ctx = f->ctx;
    dl_op *b = dl_op_clone(f, NULL);
    const dl_affine_expr *res[SCHED_MAX_DIMS];
    for (int r = 0; r < rank; r++)
        res[r] = dl_aff_add(ctx, dl_aff_dim(ctx, (unsigned)r), dl_aff_const(ctx, lo[r]));
    const dl_attr *map =
        dl_attr_affine_map(ctx, dl_affine_map_get(ctx, (unsigned)rank, 0, (unsigned)rank, res));
    dl_op_set_attr(b, "maps", dl_attr_array(ctx, 1, &map));
    dl_op_set_attr(b, "domain", dl_attr_int_array(ctx, (unsigned)rank, ext));
    dl_op_insert_before(f, b);
}

/* Folds copy c (x -> P's interior) when the pattern holds; returns whether it did. */
static bool fold(dl_op *c) {
    dl_context *ctx = c->ctx;
    if (c->num_operands != 2 || dl_op_attr_int(c, "num_inputs", -1) != 1 || !is_copy(c))
        return false;
    dl_value *x = dl_operand(c, 0), *p = dl_operand(c, 1);
    const dl_type *xt = x->type, *pt = p->type;
    int rank = xt->rank;
    int64_t dom[SCHED_MAX_DIMS], off[SCHED_MAX_DIMS], zero[SCHED_MAX_DIMS];
    if (x == p || !plain_alloc(x) || !plain_alloc(p) || pt->rank != rank || xt->elem != pt->elem ||
        dl_op_attr_ints(c, "domain", dom, SCHED_MAX_DIMS) != rank ||
        memcmp(dom, xt->dims, sizeof(int64_t) * (size_t)rank) != 0 ||
        !shifted_identity(map_of(c, 0), rank, zero) || !shifted_identity(map_of(c, 1), rank, off))
        return false;
    bool padded = false;
    for (int r = 0; r < rank; r++) {
        if (zero[r] || off[r] + xt->dims[r] > pt->dims[r]) return false;
        padded |= xt->dims[r] != pt->dims[r];
    }
    if (!padded) return false;
    /* P: one fill of all of it before c, c, then only readers. */
    dl_op *f = NULL;
    for (dl_use *u = p->uses; u; u = u->next) {
        bool writes;
        dl_op *o = u->owner;
        if (o == c) continue;
        if (!generic_use(u, &writes) || dl_op_parent(o) != dl_op_parent(c)) return false;
        if (!writes) {
            if (dl_op_is_before_in_block(o, c)) return false;
            continue;
        }
        int64_t fd[SCHED_MAX_DIMS], fo[SCHED_MAX_DIMS];
        if (f || !is_fill(o) || !dl_op_is_before_in_block(o, c) ||
            dl_op_attr_ints(o, "domain", fd, SCHED_MAX_DIMS) != rank ||
            memcmp(fd, pt->dims, sizeof(int64_t) * (size_t)rank) != 0 ||
            !shifted_identity(map_of(o, 0), rank, fo))
            return false;
        for (int r = 0; r < rank; r++)
            if (fo[r]) return false;
        f = o;
    }
    if (!f) return false;
    /* x: generic operands only, written before c (c is its last reader of the old value). */
    for (dl_use *u = x->uses; u; u = u->next) {
        bool writes;
        if (u->owner == c) continue;
        if (!generic_use(u, &writes) || dl_op_parent(u->owner) != dl_op_parent(c)) return false;
        if (writes && !dl_op_is_before_in_block(u->owner, c)) return false;
    }
    /* x := P's interior (a strided view), defined where x was. */
    int64_t strides[SCHED_MAX_DIMS], s = 1, start = 0;
    for (int r = rank - 1; r >= 0; r--) {
        strides[r] = s;
        start += off[r] * s;
        s *= pt->dims[r];
    }
    dl_op_move_before(p->def, x->def);
    const dl_type *vt = dl_type_memref(ctx, xt->elem, rank, xt->dims, strides, 0);
    dl_builder b = dl_builder_before(x->def);
    b.loc = x->def->loc;
    dl_value *v = dl_build1(&b, DL_OP_kernel_view, 1, &p, vt);
    dl_op_set_attr(v->def, "offset",
                   dl_attr_int(ctx, start * (int64_t)dl_scalar_size(xt->elem->kind)));
    v->name = x->name;
    dl_op_erase(c);
    dl_value_replace_all_uses(x, v);
    dl_op_erase(x->def);
    /* The fill keeps the border: for each dim, the boxes below and above the interior (inner
     * dims of earlier ones already restricted to it). */
    int64_t lo[SCHED_MAX_DIMS], ext[SCHED_MAX_DIMS];
    for (int r = 0; r < rank; r++) {
        for (int q = 0; q < rank; q++) {
            lo[q] = q < r ? off[q] : 0;
            ext[q] = q < r ? xt->dims[q] : pt->dims[q];
        }
        if (off[r] > 0) {
            ext[r] = off[r];
            fill_box(f, rank, lo, ext);
        }
        if (off[r] + xt->dims[r] < pt->dims[r]) {
            lo[r] = off[r] + xt->dims[r];
            ext[r] = pt->dims[r] - lo[r];
            fill_box(f, rank, lo, ext);
        }
    }
    dl_op_erase(f);
    return true;
}

void sched_fold_padding(dl_op *func) {
    if (!dl_func_entry(func)) return;
    dl_block *entry = dl_func_entry(func);
    for (dl_op *op = entry->first, *next; op; op = next) {
        next = op->next;
        if (op->kind == DL_OP_kernel_generic) fold(op);
    }
}
