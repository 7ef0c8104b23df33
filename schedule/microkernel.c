/* microkernel.c: register-blocked micro-kernels for reductions (convolutions, matrix products,
 * pooling-like reductions). A reduction generic whose output does not depend on its reduction
 * dims gets a register tile: `rows` points along one parallel dim (unrolled) by `vecs` vectors
 * along another (vectorised), its accumulators held in registers through the whole reduction.
 * The dims and the tile come from a cost model of the target (FMA and load ports, FMA latency,
 * issue width, vector registers) over every tile the extents produce, partial ones included;
 * inputs are read as vectors (contiguous, or strided by 2..4), broadcast, or from constants
 * packed into panels (pack.c), never lane by lane in the reduction. A fusion group
 * made of such a reduction and elementwise members aligned one to one with its output (the
 * initialisation before it, consumers such as bias, residual and activation after it) is tiled
 * by register tiles; the tile band's mark becomes, in the ISL AST, one call per register tile
 * that mk_emit.c expands. */
#include "arith/arith.h"
#include "sched.h"

#include <stdlib.h>
#include <string.h>

/* ---- Affine accesses ------------------------------------------------------------------------ */

/* Adds mult * e to the linear form (coef over the dims, constant k), dims of extent 1 being 0.
 * False when e is not affine in the dims of extent > 1. */
static bool linear(const dl_affine_expr *e, const int64_t *ext, int rank, int64_t mult,
                   int64_t *coef, int64_t *k) {
    switch (e->kind) {
    case DL_AFF_DIM:
        if (e->value < 0 || e->value >= rank) return false;
        if (ext[e->value] != 1) coef[e->value] += mult;
        return true;
    case DL_AFF_CONST: *k += mult * e->value; return true;
    case DL_AFF_ADD:
        return linear(e->lhs, ext, rank, mult, coef, k) && linear(e->rhs, ext, rank, mult, coef, k);
    case DL_AFF_MUL:
    case DL_AFF_FLOORDIV:
    case DL_AFF_CEILDIV:
    case DL_AFF_MOD: {
        int64_t ca[SCHED_MAX_DIMS] = {0}, cb[SCHED_MAX_DIMS] = {0}, ka = 0, kb = 0;
        if (!linear(e->lhs, ext, rank, 1, ca, &ka) || !linear(e->rhs, ext, rank, 1, cb, &kb))
            return false;
        bool a_const = true, b_const = true;
        for (int d = 0; d < rank; d++) a_const &= ca[d] == 0, b_const &= cb[d] == 0;
        if (e->kind != DL_AFF_MUL) { /* only of constants here */
            if (!a_const || !b_const || kb <= 0) return false;
            int64_t q = ka / kb - (ka % kb != 0 && ka < 0);
            int64_t v = e->kind == DL_AFF_MOD        ? ka - q * kb
                        : e->kind == DL_AFF_FLOORDIV ? q
                                                     : q + (ka % kb != 0);
            *k += mult * v;
            return true;
        }
        if (!a_const && !b_const) return false;
        for (int d = 0; d < rank; d++) coef[d] += mult * (a_const ? ka * cb[d] : kb * ca[d]);
        *k += mult * ka * kb;
        return true;
    }
    default: return false;
    }
}

/* True if dim d (of extent > 1) occurs in e at all. */
static bool involves(const dl_affine_expr *e, int d) {
    if (!e) return false;
    if (e->kind == DL_AFF_DIM) return e->value == d;
    return involves(e->lhs, d) || involves(e->rhs, d);
}

/* True if the access map m depends on dim d (of extent > 1). */
static bool involves_map(const dl_affine_map *m, const int64_t *ext, int rank, int d) {
    for (unsigned r = 0; r < m->num_results; r++) {
        int64_t coef[SCHED_MAX_DIMS] = {0}, k = 0;
        if (linear(m->results[r], ext, rank, 1, coef, &k) ? coef[d] != 0
                                                          : involves(m->results[r], d))
            return true;
    }
    return false;
}

static bool last_stride_one(const dl_type *t) {
    return t->kind == DL_TY_MEMREF && t->rank > 0 && (!t->strides || t->strides[t->rank - 1] == 1);
}

/* True if e is exactly dim d (coefficient 1, no constant). */
static bool is_dim(const dl_affine_expr *e, const int64_t *ext, int rank, int d) {
    int64_t coef[SCHED_MAX_DIMS] = {0}, k = 0;
    if (!linear(e, ext, rank, 1, coef, &k) || k || coef[d] != 1) return false;
    for (int x = 0; x < rank; x++)
        if (x != d && coef[x]) return false;
    return true;
}

enum { MAX_STRIDE = 4, MAX_EXPANDED = 8 };

/* How the access of `v` at map m walks along dim d, within register tiles `tile` wide that
 * start at multiples of it (0: unknown), where d / tile is fixed and d mod tile walks. A
 * strided access (coefficient 2..4 in the last index) qualifies when every other dim with a
 * coefficient that is not a multiple of the stride is a short reduction dim (red: iterator
 * types, or NULL): the micro-kernel expands those, so that each load's phase is constant. */
static sched_mk_access classify(const dl_value *v, const dl_affine_map *m, const int64_t *ext,
                                int rank, int d, int *pack_result, int64_t tile, const bool *red) {
    int found = -1, count = 0;
    bool unit = false, phased = red != NULL;
    int64_t step = 0;
    *pack_result = -1;
    for (unsigned r = 0; r < m->num_results; r++) {
        int64_t coef[SCHED_MAX_DIMS] = {0}, k = 0;
        const dl_affine_expr *e = m->results[r];
        bool by_tile = tile > 1 && (e->kind == DL_AFF_FLOORDIV || e->kind == DL_AFF_MOD) &&
                       e->rhs->kind == DL_AFF_CONST && e->rhs->value == tile &&
                       is_dim(e->lhs, ext, rank, d);
        if (by_tile && e->kind == DL_AFF_FLOORDIV) continue; /* the panel: fixed in a tile */
        if (by_tile) {                                       /* the lane within the panel */
            found = (int)r;
            count++;
            unit = true;
            continue;
        }
        if (!linear(e, ext, rank, 1, coef, &k)) {
            if (involves(e, d)) return SCHED_MK_GATHER;
            continue;
        }
        if (coef[d] == 0) continue;
        found = (int)r;
        count++;
        unit = coef[d] == 1;
        step = coef[d];
        for (int x = 0; x < rank && phased && step > 1; x++)
            if (x != d && coef[x] % step && (!red[x] || ext[x] > MAX_EXPANDED)) phased = false;
    }
    if (!count) return SCHED_MK_INVARIANT;
    if (count == 1 && !unit && step >= 2 && step <= MAX_STRIDE && phased &&
        (unsigned)found + 1 == m->num_results && last_stride_one(v->type))
        return SCHED_MK_STRIDED;
    if (count > 1 || !unit) return SCHED_MK_GATHER;
    const dl_type *t = v->type;
    bool packable = v->def && v->def->kind == DL_OP_kernel_global && t->kind == DL_TY_MEMREF &&
                    !t->strides && t->offset == 0 && dl_type_has_static_shape(t) &&
                    t->rank <= SCHED_MAX_DIMS && tile == 0;
    if (packable) *pack_result = found; /* contiguous constants may still gain from panels */
    if ((unsigned)found + 1 == m->num_results && last_stride_one(v->type))
        return SCHED_MK_CONTIGUOUS;
    return packable ? SCHED_MK_PACK : SCHED_MK_GATHER;
}

/* True if the body of generic op is straight-line arithmetic ending in kernel.yield. */
static bool arith_body(dl_op *op) {
    dl_region *r = dl_op_region(op, 0);
    if (!r->first || r->first->next) return false;
    for (dl_op *o = r->first->first; o; o = o->next) {
        if (o == r->first->last) return o->kind == DL_OP_kernel_yield;
        if (o->num_regions || strcmp(dl_op_info_of(o)->dialect, "arith") != 0) return false;
        if (o->kind == DL_OP_arith_broadcast || o->kind == DL_OP_arith_reduce) return false;
        for (unsigned i = 0; i < o->num_results; i++)
            if (!dl_type_is_scalar(o->results[i].type)) return false;
    }
    return false;
}

/* ---- The cost model ------------------------------------------------------------------------- */

typedef struct model {
    const sched_target *t;
    int num_inputs;
    bool used[SCHED_MAX_DIMS], dep_u[SCHED_MAX_DIMS];
    sched_mk_access access[SCHED_MAX_DIMS];
    int64_t stride[SCHED_MAX_DIMS];
    bool out_contiguous;
    double steps;  /* reduction steps (product of the reduction extents) */
    double outer;  /* points of the other parallel dims */
    int64_t lanes; /* of a full vector */
} model;

/* Vectors covering w lanes: full ones, then halves, quarters... (8 + 4 + 2 + 1). */
static int pieces(int64_t w, int64_t lanes) {
    int n = (int)(w / lanes);
    for (int64_t rest = w % lanes; rest; rest &= rest - 1) n++;
    return n;
}

/* Cycles of one register tile of `rows` by `cols` vectors covering `width` lanes. */
static double tile_cycles(const model *m, int rows, int cols, int64_t width) {
    double loads = 0, shuffles = 0;
    for (int k = 0; k < m->num_inputs; k++) {
        if (!m->used[k]) continue;
        bool dv = m->access[k] != SCHED_MK_INVARIANT;
        double n = m->dep_u[k] && dv ? rows * cols : dv ? cols : m->dep_u[k] ? rows : 1;
        if (m->access[k] == SCHED_MK_STRIDED) { /* wide loads and a permute per vector */
            loads += n * (m->stride[k] > 1 ? m->stride[k] : 2);
            shuffles += n;
            continue;
        }
        loads += n;
    }
    double fma = ((double)rows * cols + shuffles) / m->t->fma_ports, ld = loads / m->t->load_ports;
    double issue = ((double)rows * cols + loads + 2) / m->t->issue_width; /* 2: loop control */
    double step = fma > ld ? fma : ld;
    if (step < issue) step = issue;
    if (step < m->t->fma_latency) step = m->t->fma_latency;
    step += 0.001 * loads; /* equal otherwise: fewer loads per multiply-add */
    double edge = rows * (m->out_contiguous ? cols : (double)width * 2); /* init and store */
    return step * m->steps + 2 * edge;
}

/* Cycles of the whole reduction with tiles of `rows` (eu points along u, 1 without u) by
 * `vecs` vectors along v (ev points). */
static double total_cycles(const model *m, int64_t eu, int rows, int64_t ev, int vecs) {
    int64_t tv = vecs * m->lanes, nf = ev / tv, rem = ev % tv, nu = eu / rows, ru = eu % rows;
    double c = 0;
    if (nf)
        c += (double)nf *
             (nu * tile_cycles(m, rows, vecs, tv) + (ru ? tile_cycles(m, (int)ru, vecs, tv) : 0));
    if (rem) {
        int p = pieces(rem, m->lanes);
        c += nu * tile_cycles(m, rows, p, rem) + (ru ? tile_cycles(m, (int)ru, p, rem) : 0);
    }
    return c * m->outer;
}

bool sched_mk_choose(dl_op *op, const sched_options *o, sched_mk_choice *c) {
    memset(c, 0, sizeof *c);
    if (op->kind != DL_OP_kernel_generic || !arith_body(op)) return false;
    int64_t ext[SCHED_MAX_DIMS];
    int rank = dl_op_attr_ints(op, "domain", ext, SCHED_MAX_DIMS);
    const dl_attr *maps = dl_op_attr(op, "maps"), *iters = dl_op_attr(op, "iterators");
    int num_inputs = (int)dl_op_attr_int(op, "num_inputs", 0);
    if (rank <= 0 || rank > SCHED_MAX_DIMS || !maps || !iters ||
        op->num_operands != (unsigned)num_inputs + 1 || num_inputs + 1 > SCHED_MAX_DIMS ||
        dl_op_region(op, 0)->first->last->num_operands != 1)
        return false;
    bool red[SCHED_MAX_DIMS], in_out[SCHED_MAX_DIMS] = {false};
    double steps = 1;
    for (int d = 0; d < rank; d++) {
        red[d] = strcmp(iters->u.array.elems[d]->u.str.data, "reduction") == 0;
        if (ext[d] <= 0) return false;
        if (red[d]) steps *= (double)ext[d];
    }
    if (steps < 2) return false;
    /* The output: every index a parallel dim or a constant, each parallel dim of extent > 1
     * used once. */
    const dl_affine_map *om = maps->u.array.elems[num_inputs]->u.map;
    for (unsigned r = 0; r < om->num_results; r++) {
        int64_t coef[SCHED_MAX_DIMS] = {0}, k = 0;
        if (!linear(om->results[r], ext, rank, 1, coef, &k)) return false;
        int dim = -1;
        for (int d = 0; d < rank; d++) {
            if (!coef[d]) continue;
            if (coef[d] != 1 || red[d] || dim >= 0 || in_out[d] || k) return false;
            dim = d;
        }
        if (dim >= 0) in_out[dim] = true;
    }
    for (int d = 0; d < rank; d++)
        if (!red[d] && ext[d] > 1 && !in_out[d]) return false;
    const dl_type *elem = dl_type_elem(dl_operand(op, (unsigned)num_inputs)->type);
    int64_t lanes =
        o->vector > 0 ? (int64_t)o->vector * 4 / (int64_t)dl_scalar_size(elem->kind) : 1;
    if (lanes < 1) lanes = 1;
    dl_block *body = dl_op_region(op, 0)->first;
    model m = {.t = &o->target, .num_inputs = num_inputs, .steps = steps, .lanes = lanes};
    for (int k = 0; k < num_inputs; k++) m.used[k] = dl_value_has_uses(body->args[k]);
    double best = -1;
    for (int v = 0; v < rank; v++) {
        if (red[v] || ext[v] <= 1) continue;
        int pack[SCHED_MAX_DIMS];
        bool ok = true;
        for (int k = 0; k < num_inputs && ok; k++) {
            m.access[k] = SCHED_MK_INVARIANT;
            pack[k] = -1;
            if (!m.used[k]) continue;
            m.access[k] = classify(dl_operand(op, (unsigned)k), maps->u.array.elems[k]->u.map, ext,
                                   rank, v, &pack[k], 0, red);
            m.stride[k] = m.access[k] == SCHED_MK_STRIDED ? 2 : 1;
            ok = m.access[k] != SCHED_MK_GATHER;
        }
        if (!ok) continue;
        int out_pack;
        sched_mk_access out =
            classify(dl_operand(op, (unsigned)num_inputs), om, ext, rank, v, &out_pack, 0, NULL);
        m.out_contiguous = out == SCHED_MK_CONTIGUOUS;
        bool packs = false, strided = false;
        for (int k = 0; k < num_inputs; k++) {
            packs |= m.access[k] == SCHED_MK_PACK;
            strided |= m.access[k] == SCHED_MK_STRIDED;
        }
        for (int u = -1; u < rank; u++) {
            if (u == v || (u >= 0 && (red[u] || ext[u] <= 1))) continue;
            m.outer = 1;
            for (int d = 0; d < rank; d++)
                if (!red[d] && d != v && d != u) m.outer *= (double)ext[d];
            for (int k = 0; k < num_inputs; k++)
                m.dep_u[k] = u >= 0 && m.used[k] &&
                             involves_map(maps->u.array.elems[k]->u.map, ext, rank, u);
            int64_t eu = u >= 0 ? ext[u] : 1;
            for (int vecs = 1; vecs <= SCHED_MK_MAX_VECS; vecs++) {
                if ((vecs - 1) * lanes >= ext[v]) break;
                for (int rows = 1; rows <= (u >= 0 ? SCHED_MK_MAX_ROWS : 1); rows++) {
                    /* accumulators, the vectors of a step (a strided one takes a wide pair of
                     * registers and its shuffle), a broadcast and a spare */
                    int live = rows * vecs + vecs * (strided ? 3 : 1) + 2;
                    if (rows > eu || live > o->target.vector_regs) break;
                    double cost = total_cycles(&m, eu, rows, ext[v], vecs);
                    if (packs) cost *= 1.0001; /* equal costs: leave the constants alone */
                    if (best >= 0 && cost >= best) continue;
                    best = cost;
                    c->vdim = v;
                    c->udim = u;
                    c->rows = rows;
                    c->vecs = vecs;
                    c->lanes = (int)lanes;
                    c->num_operands = num_inputs + 1;
                    c->cycles = cost;
                    for (int k = 0; k < num_inputs; k++) {
                        c->access[k] = m.access[k];
                        c->pack_result[k] = pack[k];
                    }
                    c->access[num_inputs] = out;
                    c->pack_result[num_inputs] = -1;
                }
            }
        }
    }
    return best >= 0;
}

/* ---- Fusion groups -------------------------------------------------------------------------- */

typedef struct unit_ctx {
    int dim; /* the dimension found, -1 none yet, -2 not exactly one dimension */
} unit_ctx;

static isl_stat unit_dim(__isl_take isl_set *set, __isl_take isl_aff *aff, void *user) {
    unit_ctx *c = user;
    isl_size n = isl_aff_dim(aff, isl_dim_in);
    isl_val *k = isl_aff_get_constant_val(aff);
    if (n < 0 || isl_aff_dim(aff, isl_dim_div) != 0 || !isl_val_is_zero(k)) c->dim = -2;
    isl_val_free(k);
    for (int d = 0; d < n && c->dim != -2; d++) {
        isl_val *v = isl_aff_get_coefficient_val(aff, isl_dim_in, d);
        if (!isl_val_is_zero(v)) c->dim = isl_val_is_one(v) && c->dim == -1 ? d : -2;
        isl_val_free(v);
    }
    isl_set_free(set);
    isl_aff_free(aff);
    return isl_stat_ok;
}

/* The statement dim that shared dim j of s is, exactly (coefficient 1, no constant), or -1. */
static int exact_dim(const sched_stmt *s, int j) {
    if (!s->shared) return -1;
    isl_pw_aff *pa = isl_pw_multi_aff_get_pw_aff(s->shared, j);
    unit_ctx c = {-1};
    if (isl_pw_aff_n_piece(pa) == 1) isl_pw_aff_foreach_piece(pa, unit_dim, &c);
    isl_pw_aff_free(pa);
    return c.dim >= 0 ? c.dim : -1;
}

/* shared point -> the element access a of s touches there. */
static __isl_give isl_map *element_at_point(const sched_stmt *s, const sched_access *a) {
    isl_map *inv = isl_map_reverse(isl_map_from_pw_multi_aff(isl_pw_multi_aff_copy(s->shared)));
    return isl_map_apply_range(inv, isl_map_copy(a->rel));
}

/* True if access a of p touches, at every shared point, the element the leader's output w
 * touches there. */
static bool exact(const sched_stmt *p, const sched_access *a, const sched_stmt *l,
                  const sched_access *w) {
    isl_map *x = element_at_point(p, a), *y = element_at_point(l, w);
    isl_bool eq = isl_map_is_equal(x, y);
    isl_map_free(x);
    isl_map_free(y);
    return eq == isl_bool_true;
}

void sched_mk_free(sched_microkernel *mk) {
    if (!mk) return;
    free(mk->dims);
    free(mk);
}

/* Fills mk->dims for member i (statement s); false when a dim follows no shared dim exactly. */
static bool member_dims(const sched_group *g, sched_microkernel *mk, int i, const sched_stmt *s,
                        bool leader) {
    bool seen[SCHED_MAX_DIMS] = {false};
    for (int d = 0; d < s->rank; d++) {
        mk->dims[i][d] = -1;
        if (s->extents[d] == 1) continue;
        int j = 0;
        while (j < g->rank && exact_dim(s, j) != d) j++;
        if (j < g->rank) {
            if (seen[j] || s->extents[d] != g->extents[j] || (leader && s->reduction[d]))
                return false;
            seen[j] = true;
            mk->dims[i][d] = j;
        } else if (leader && s->reduction[d]) {
            mk->dims[i][d] = -2;
        } else {
            return false;
        }
    }
    for (int j = 0; j < g->rank; j++) /* every member covers the whole band */
        if (!seen[j] && g->extents[j] != 1) return false;
    return true;
}

bool sched_mk_plan(sched_scop *scop, int gi, const sched_options *o) {
    sched_group *g = &scop->groups[gi];
    if (!o->microkernel || !g->rank) return false;
    int leader = -1;
    for (int i = 0; i < g->num_members; i++) {
        const sched_stmt *s = &scop->stmts[g->members[i]];
        if (!s->generic || !arith_body(s->op)) return false;
        bool reduces = false;
        for (int k = 0; k < s->num_inner; k++) reduces |= s->extents[s->inner[k]] > 1;
        if (!reduces) continue;
        if (leader >= 0) return false;
        leader = i;
    }
    if (leader < 0) return false;
    const sched_stmt *l = &scop->stmts[g->members[leader]];
    sched_mk_choice choice;
    if (!sched_mk_choose(l->op, o, &choice)) return false;
    sched_microkernel *mk = calloc(1, sizeof *mk);
    DL_ASSERT(mk);
    mk->dims = calloc((size_t)g->num_members, sizeof *mk->dims);
    DL_ASSERT(mk->dims);
    mk->leader = g->members[leader];
    mk->choice = choice;
    bool ok = true;
    for (int i = 0; i < g->num_members && ok; i++)
        ok = member_dims(g, mk, i, &scop->stmts[g->members[i]], i == leader);
    /* The leader's output: its only write; every other access to that array is exact. */
    const sched_access *out = NULL;
    int out_operand = choice.num_operands - 1;
    for (int a = 0; ok && a < l->num_accesses; a++)
        if (l->accesses[a].write) out = &l->accesses[a];
    ok = ok && out && out->must && out->operand == out_operand;
    mk->out_array = out ? out->array : -1;
    for (int i = 0; ok && i < g->num_members; i++) {
        const sched_stmt *s = &scop->stmts[g->members[i]];
        for (int a = 0; ok && a < s->num_accesses; a++) {
            const sched_access *x = &s->accesses[a];
            ok = x->must && x->operand >= 0;
            if (!ok || x->array != mk->out_array) continue;
            ok = s == l ? x->operand == out_operand : exact(s, x, l, out);
        }
    }
    mk->jv = ok ? mk->dims[leader][choice.vdim] : -1;
    mk->ju = ok && choice.udim >= 0 ? mk->dims[leader][choice.udim] : -1;
    ok = ok && mk->jv >= 0 && (choice.udim < 0 || mk->ju >= 0);
    /* Members write along the vector dim (one lane per element), and see the accumulator with
     * its element type. */
    const dl_type *acc_elem = ok ? dl_operand(l->op, (unsigned)out_operand)->type->elem : NULL;
    for (int i = 0; ok && i < g->num_members; i++) {
        const sched_stmt *s = &scop->stmts[g->members[i]];
        int dv = -1;
        for (int d = 0; d < s->rank; d++)
            if (mk->dims[i][d] == mk->jv) dv = d;
        unsigned num_inputs = (unsigned)dl_op_attr_int(s->op, "num_inputs", 0);
        for (unsigned k = num_inputs; ok && k < s->op->num_operands; k++)
            ok = sched_mk_operand_depends(s->op, k, dv);
        for (int a = 0; ok && a < s->num_accesses; a++)
            if (s->accesses[a].array == mk->out_array)
                ok = dl_operand(s->op, (unsigned)s->accesses[a].operand)->type->elem == acc_elem;
    }
    if (!ok) {
        sched_mk_free(mk);
        return false;
    }
    mk->out_dead = scop->arrays[mk->out_array].root->def &&
                   scop->arrays[mk->out_array].root->def->kind == DL_OP_kernel_alloc;
    for (int i = 0; mk->out_dead && i < scop->num_stmts; i++)
        for (int a = 0; scop->stmts[i].group != gi && a < scop->stmts[i].num_accesses; a++)
            if (scop->stmts[i].accesses[a].array == mk->out_array) mk->out_dead = false;
    for (int j = 0; j < g->rank; j++) mk->tile[j] = 1;
    mk->tile[mk->jv] = (int64_t)choice.vecs * choice.lanes;
    if (mk->ju >= 0) mk->tile[mk->ju] = choice.rows;
    /* Constants read by vectors become panels: those read across the vector dim must, those
     * already contiguous along it gain one sequential stream through the reduction (rather
     * than a few lines per reduction step, a row apart). */
    for (int k = 0; k < choice.num_operands - 1; k++) {
        int r = choice.pack_result[k];
        if ((choice.access[k] != SCHED_MK_PACK && choice.access[k] != SCHED_MK_CONTIGUOUS) || r < 0)
            continue;
        const dl_type *t = dl_operand(l->op, (unsigned)k)->type;
        bool panel = false; /* depends on a reduction dim: walked through the reduction */
        for (int d = 0; d < l->rank; d++)
            panel |= l->reduction[d] && l->extents[d] > 1 &&
                     sched_mk_operand_depends(l->op, (unsigned)k, d);
        bool same = r == t->rank - 1 && t->dims[r] == mk->tile[mk->jv]; /* one panel already */
        if (choice.access[k] == SCHED_MK_PACK || (panel && !same && t->rank >= 2))
            sched_pack_operand(scop, l->op, (unsigned)k, r, mk->tile[mk->jv]);
    }
    g->mk = mk;
    return true;
}

/* ---- The AST of a register tile ------------------------------------------------------------- */

__isl_give isl_ast_node *sched_mk_ast_call(const sched_scop *scop, __isl_take isl_ast_node *mark,
                                           __isl_keep isl_ast_build *build) {
    isl_id *id = isl_ast_node_mark_get_id(mark);
    const char *name = id ? isl_id_get_name(id) : NULL;
    int gi = name && strncmp(name, "MK", 2) == 0 ? atoi(name + 2) : -1;
    if (gi < 0 || gi >= scop->num_groups || !scop->groups[gi].mk) {
        isl_id_free(id);
        return mark;
    }
    const sched_stmt *l = &scop->stmts[scop->groups[gi].mk->leader];
    /* [outer loops] -> [shared point] over the leader's instances in this tile: its lexmin
     * is the first point of the tile (a box) along each shared dim. */
    isl_union_map *sched = isl_ast_build_get_schedule(build);
    isl_space *space = isl_space_map_from_domain_and_range(isl_set_get_space(l->domain),
                                                           isl_ast_build_get_schedule_space(build));
    isl_map *outer = isl_map_reverse(isl_union_map_extract_map(sched, space));
    isl_union_map_free(sched);
    outer = isl_map_apply_range(outer, isl_map_from_pw_multi_aff(isl_pw_multi_aff_copy(l->shared)));
    isl_pw_multi_aff *first = isl_map_lexmin_pw_multi_aff(outer);
    first = isl_pw_multi_aff_set_tuple_id(first, isl_dim_out, id);
    isl_ast_expr *call = isl_ast_build_call_from_pw_multi_aff(build, first);
    isl_ast_node_free(mark);
    return call ? isl_ast_node_alloc_user(call) : NULL;
}

/* ---- Queries for the emitter ---------------------------------------------------------------- */

sched_mk_access sched_mk_operand_access(dl_op *generic, unsigned k, int dim, int64_t tile) {
    int64_t ext[SCHED_MAX_DIMS];
    int rank = dl_op_attr_ints(generic, "domain", ext, SCHED_MAX_DIMS);
    const dl_attr *maps = dl_op_attr(generic, "maps"), *iters = dl_op_attr(generic, "iterators");
    if (dim < 0) return SCHED_MK_INVARIANT;
    bool red[SCHED_MAX_DIMS];
    unsigned num_inputs = (unsigned)dl_op_attr_int(generic, "num_inputs", 0);
    for (int d = 0; d < rank; d++)
        red[d] = strcmp(iters->u.array.elems[d]->u.str.data, "reduction") == 0;
    int pack;
    sched_mk_access a = classify(dl_operand(generic, k), maps->u.array.elems[k]->u.map, ext, rank,
                                 dim, &pack, tile, k < num_inputs ? red : NULL);
    return a == SCHED_MK_PACK ? SCHED_MK_GATHER : a;
}

bool sched_mk_operand_depends(dl_op *generic, unsigned k, int dim) {
    int64_t ext[SCHED_MAX_DIMS];
    int rank = dl_op_attr_ints(generic, "domain", ext, SCHED_MAX_DIMS);
    const dl_attr *maps = dl_op_attr(generic, "maps");
    return dim >= 0 && involves_map(maps->u.array.elems[k]->u.map, ext, rank, dim);
}

/* The last index's linear form of operand k (dims of extent 1 dropped); false if not linear. */
static bool last_index(dl_op *generic, unsigned k, int64_t *coef, int64_t *konst, int *rank) {
    int64_t ext[SCHED_MAX_DIMS];
    *rank = dl_op_attr_ints(generic, "domain", ext, SCHED_MAX_DIMS);
    const dl_affine_map *m = dl_op_attr(generic, "maps")->u.array.elems[k]->u.map;
    memset(coef, 0, sizeof(int64_t) * SCHED_MAX_DIMS);
    *konst = 0;
    return m->num_results > 0 && linear(m->results[m->num_results - 1], ext, *rank, 1, coef, konst);
}

bool sched_mk_expands(dl_op *generic, int vdim, int d) {
    unsigned num_inputs = (unsigned)dl_op_attr_int(generic, "num_inputs", 0);
    for (unsigned k = 0; k < num_inputs; k++) {
        int64_t coef[SCHED_MAX_DIMS], c;
        int rank;
        if (sched_mk_operand_access(generic, k, vdim, 0) == SCHED_MK_STRIDED &&
            last_index(generic, k, coef, &c, &rank) && coef[d] % coef[vdim])
            return true;
    }
    return false;
}

int64_t sched_mk_phase(dl_op *generic, unsigned k, int vdim, dl_value *const *coords,
                       int64_t *stride) {
    int64_t coef[SCHED_MAX_DIMS], c;
    int rank;
    if (!last_index(generic, k, coef, &c, &rank) || coef[vdim] < 2) return -1;
    int64_t s = coef[vdim], phase = c;
    for (int x = 0; x < rank; x++) {
        if (x == vdim || coef[x] % s == 0) continue;
        const dl_attr *a = dl_arith_constant_of(coords[x]);
        if (!a || a->kind != DL_ATTR_INT) return -1;
        phase += coef[x] * a->u.i;
    }
    *stride = s;
    return ((phase % s) + s) % s;
}
