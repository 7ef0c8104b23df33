/* tile.c: tile sizes for a group's shared band. The footprint of one tile (the elements each
 * array is touched at, estimated by interval arithmetic on the access maps over the tile's
 * box, inner dimensions at full extent) must fit in half of the L2 cache; the largest tile
 * dimension is halved until it does, keeping the innermost one a multiple of the vector width
 * and at least four vectors long. */
#include "sched.h"

#include <stdlib.h>

typedef struct one_dim_ctx {
    int dim; /* the dimension found, -1 none yet, -2 not a single dimension */
} one_dim_ctx;

static isl_stat one_dim(__isl_take isl_set *set, __isl_take isl_aff *aff, void *user) {
    one_dim_ctx *c = user;
    isl_size n = isl_aff_dim(aff, isl_dim_in);
    if (isl_aff_dim(aff, isl_dim_div) != 0 || n < 0) c->dim = -2;
    for (int d = 0; d < n && c->dim != -2; d++) {
        isl_val *v = isl_aff_get_coefficient_val(aff, isl_dim_in, d);
        if (!isl_val_is_zero(v)) {
            bool unit = isl_val_is_one(v) || isl_val_is_negone(v);
            c->dim = unit && c->dim == -1 ? d : -2;
        }
        isl_val_free(v);
    }
    isl_set_free(set);
    isl_aff_free(aff);
    return isl_stat_ok;
}

int sched_shared_dim(const sched_stmt *s, int j) {
    if (!s->shared) return -1;
    isl_pw_aff *pa = isl_pw_multi_aff_get_pw_aff(s->shared, j);
    one_dim_ctx c = {-1};
    if (isl_pw_aff_n_piece(pa) == 1) isl_pw_aff_foreach_piece(pa, one_dim, &c);
    isl_pw_aff_free(pa);
    return c.dim >= 0 ? c.dim : -1;
}

/* Interval of e over the box 0 <= d < range[d]; false if e is not affine. */
static bool interval(const dl_affine_expr *e, const int64_t *range, int64_t *lo, int64_t *hi) {
    int64_t l1, h1, l2, h2;
    switch (e->kind) {
    case DL_AFF_DIM: *lo = 0, *hi = range[e->value] - 1; return true;
    case DL_AFF_CONST: *lo = *hi = e->value; return true;
    case DL_AFF_ADD:
        if (!interval(e->lhs, range, &l1, &h1) || !interval(e->rhs, range, &l2, &h2)) return false;
        *lo = l1 + l2, *hi = h1 + h2;
        return true;
    case DL_AFF_MUL: {
        const dl_affine_expr *x = e->lhs, *c = e->rhs;
        if (c->kind != DL_AFF_CONST) x = e->rhs, c = e->lhs;
        if (c->kind != DL_AFF_CONST || !interval(x, range, &l1, &h1)) return false;
        *lo = c->value >= 0 ? l1 * c->value : h1 * c->value;
        *hi = c->value >= 0 ? h1 * c->value : l1 * c->value;
        return true;
    }
    case DL_AFF_FLOORDIV:
    case DL_AFF_CEILDIV:
    case DL_AFF_MOD: {
        int64_t c = e->rhs->value;
        if (e->rhs->kind != DL_AFF_CONST || c <= 0 || !interval(e->lhs, range, &l1, &h1))
            return false;
        if (e->kind == DL_AFF_MOD) {
            *lo = 0, *hi = h1 - l1 + 1 < c ? h1 - l1 : c - 1;
        } else {
            int64_t adj = e->kind == DL_AFF_CEILDIV ? c - 1 : 0;
            *lo = (l1 + adj) / c, *hi = (h1 + adj) / c; /* the bounds are not negative here */
        }
        return true;
    }
    default: return false;
    }
}

/* Estimated bytes the tile touches: for each array, its largest access footprint. */
static int64_t footprint(const sched_scop *scop, const sched_group *g, const int64_t *tile) {
    int64_t *per_array = calloc((size_t)scop->num_arrays + 1, sizeof *per_array);
    DL_ASSERT(per_array);
    for (int i = 0; i < g->num_members; i++) {
        const sched_stmt *s = &scop->stmts[g->members[i]];
        int64_t range[SCHED_MAX_DIMS];
        for (int d = 0; d < s->rank; d++) range[d] = s->extents[d];
        for (int j = 0; j < g->rank; j++) {
            int d = sched_shared_dim(s, j);
            if (d >= 0 && tile[j] < range[d]) range[d] = tile[j];
        }
        const dl_attr *maps = dl_op_attr(s->op, "maps");
        for (int a = 0; a < s->num_accesses; a++) {
            const sched_access *acc = &s->accesses[a];
            if (acc->operand < 0) continue;
            const dl_type *t = dl_operand(s->op, (unsigned)acc->operand)->type;
            const dl_affine_map *m = maps->u.array.elems[acc->operand]->u.map;
            double elems = 1;
            for (unsigned r = 0; r < m->num_results; r++) {
                int64_t lo, hi, size = t->dims[r];
                if (interval(m->results[r], range, &lo, &hi) && hi - lo + 1 < size)
                    size = hi - lo + 1;
                elems *= (double)(size > 0 ? size : 1);
            }
            double bytes = elems * (double)dl_scalar_size(t->elem->kind);
            int64_t b = bytes > 1e15 ? (int64_t)1e15 : (int64_t)bytes;
            if (b > per_array[acc->array]) per_array[acc->array] = b;
        }
    }
    int64_t total = 0;
    for (int a = 0; a < scop->num_arrays; a++) total += per_array[a];
    free(per_array);
    return total;
}

bool sched_tile_sizes(const sched_scop *scop, const sched_group *g, const sched_options *o,
                      int64_t *sizes) {
    bool tiled = false;
    if (o->num_tile_sizes > 0) {
        for (int j = 0; j < g->rank; j++) {
            int64_t t = j < o->num_tile_sizes ? o->tile_sizes[j] : 0;
            sizes[j] = t > 0 && t < g->extents[j] ? t : g->extents[j];
            tiled |= sizes[j] < g->extents[j];
        }
        return tiled;
    }
    int64_t lanes = o->target.vector_bytes / 4 > 0 ? o->target.vector_bytes / 4 : 1;
    int inner = g->rank - 1;
    int64_t inner_min = g->extents[inner] < 4 * lanes ? g->extents[inner] : 4 * lanes;
    for (int j = 0; j < g->rank; j++) sizes[j] = g->extents[j] > 0 ? g->extents[j] : 1;
    int64_t budget = o->target.l2_bytes / 2;
    while (footprint(scop, g, sizes) > budget) {
        int best = -1;
        for (int j = 0; j < g->rank; j++) {
            bool reducible = j == inner ? sizes[j] > inner_min : sizes[j] > 1;
            if (reducible && (best < 0 || sizes[j] > sizes[best])) best = j;
        }
        if (best < 0) break;
        int64_t half = (sizes[best] + 1) / 2;
        if (best == inner) {
            half = (half + lanes - 1) / lanes * lanes;
            if (half < inner_min) half = inner_min;
            if (half >= sizes[best]) break;
        }
        sizes[best] = half;
        tiled = true;
    }
    return tiled;
}
