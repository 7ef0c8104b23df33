/* fusion.c: fusion groups. A group is led by a statement whose shared dimensions are the
 * parallel iterators its output is indexed by; a later statement joins the group of its
 * latest producer when it reads an element that a member writes at exactly one shared point
 * (its alignment, derived from the access relations with ISL), its remaining dimensions make
 * the alignment one to one (only parallel iterators may be aligned: reductions stay inner),
 * and the group's schedule still respects every dependence. A kernel that depends on nothing
 * (a reduction's initialisation) may follow its consumer into an earlier group, aligned
 * through what the consumer reads of it. With micro-kernels, a contraction (MatMul, Conv) does
 * not join a group that would leave some of its output dims unshared, and a group holding one
 * only takes members elementwise over its whole band. */
#include "sched.h"

#include <stdlib.h>
#include <string.h>

static __isl_give isl_map *pma_map(__isl_keep isl_pw_multi_aff *pma) {
    return isl_map_from_pw_multi_aff(isl_pw_multi_aff_copy(pma));
}

typedef struct involves_ctx {
    int dim;
    bool used;
} involves_ctx;

static isl_stat piece_involves(__isl_take isl_set *set, __isl_take isl_multi_aff *ma, void *user) {
    involves_ctx *c = user;
    c->used |= isl_multi_aff_involves_dims(ma, isl_dim_in, (unsigned)c->dim, 1) == isl_bool_true;
    isl_set_free(set);
    isl_multi_aff_free(ma);
    return isl_stat_ok;
}

/* True if the expressions of pma (not the domains of its pieces) involve input dim d. */
static bool involves(__isl_keep isl_pw_multi_aff *pma, int d) {
    involves_ctx c = {d, false};
    if (pma) isl_pw_multi_aff_foreach_piece(pma, piece_involves, &c);
    return c.used;
}

/* Sets s->inner to the dimensions s->shared does not involve. */
static void compute_inner(sched_stmt *s) {
    s->num_inner = 0;
    for (int d = 0; d < s->rank; d++)
        if (!involves(s->shared, d)) s->inner[s->num_inner++] = d;
}

/* The leader's shared dimensions: parallel iterators that index its first written output
 * directly, in domain order. Sets s->shared (NULL if there are none) and returns their
 * number. */
static int leader_shared(const sched_scop *scop, int i) {
    sched_stmt *s = &scop->stmts[i];
    s->shared = NULL;
    if (!s->generic) return 0;
    const dl_attr *maps = dl_op_attr(s->op, "maps");
    const dl_affine_map *out = NULL;
    for (int a = 0; a < s->num_accesses && !out; a++)
        if (s->accesses[a].write && s->accesses[a].must && s->accesses[a].operand >= 0)
            out = maps->u.array.elems[s->accesses[a].operand]->u.map;
    if (!out) return 0;
    bool shared[SCHED_MAX_DIMS] = {false};
    for (unsigned r = 0; r < out->num_results; r++) {
        const dl_affine_expr *e = out->results[r];
        if (e->kind == DL_AFF_DIM && !s->reduction[e->value]) shared[e->value] = true;
    }
    char buf[64 * 12 + 64];
    int len = snprintf(buf, sizeof buf, "{ %s[", s->name);
    for (int d = 0; d < s->rank; d++)
        len += snprintf(buf + len, sizeof buf - (size_t)len, "%si%d", d ? ", " : "", d);
    len += snprintf(buf + len, sizeof buf - (size_t)len, "] -> [");
    int n = 0;
    for (int d = 0; d < s->rank; d++)
        if (shared[d])
            len += snprintf(buf + len, sizeof buf - (size_t)len, "%si%d", n++ ? ", " : "", d);
    snprintf(buf + len, sizeof buf - (size_t)len, "] }");
    if (!n) return 0;
    s->shared = isl_pw_multi_aff_read_from_str(scop->ctx, buf);
    return s->shared ? n : 0;
}

static void add_member(sched_group *g, int s) {
    g->members = realloc(g->members, sizeof *g->members * (size_t)(g->num_members + 1));
    DL_ASSERT(g->members);
    g->members[g->num_members++] = s;
}

/* True if the untiled schedule of g respects the dependences among its members that end in
 * the n statements `last` (those among the others were checked when they joined). */
static bool group_legal(const sched_scop *scop, const sched_group *g, const int *last, int n) {
    isl_schedule *sched = sched_group_schedule(scop, g);
    isl_union_set *sinks = isl_union_set_empty(isl_space_params_alloc(scop->ctx, 0));
    for (int i = 0; i < n; i++)
        sinks = isl_union_set_add_set(sinks, isl_set_copy(scop->stmts[last[i]].domain));
    isl_bool ok = sched ? sched_respects_deps(scop, sched, sinks) : isl_bool_error;
    isl_union_set_free(sinks);
    isl_schedule_free(sched);
    return ok == isl_bool_true;
}

static void new_group(sched_scop *scop, int i, bool with_band) {
    scop->groups = realloc(scop->groups, sizeof *scop->groups * (size_t)(scop->num_groups + 1));
    DL_ASSERT(scop->groups);
    sched_group *g = &scop->groups[scop->num_groups];
    memset(g, 0, sizeof *g);
    sched_stmt *s = &scop->stmts[i];
    s->group = scop->num_groups++;
    add_member(g, i);
    g->rank = with_band ? leader_shared(scop, i) : 0;
    compute_inner(s);
    int j = 0;
    for (int d = 0; d < s->rank; d++)
        if (involves(s->shared, d)) g->extents[j++] = s->extents[d];
    if (g->rank && !group_legal(scop, g, &i, 1)) { /* reordering the leader's loops is illegal */
        isl_pw_multi_aff_free(s->shared);
        s->shared = NULL;
        g->rank = 0;
        compute_inner(s);
    }
}

/* The alignment of s through q: S -> [shared] when the element every instance of s touches
 * with access r is touched by q's access w at exactly one shared point of q (r: a read of s, w:
 * a write of the member q; or, for a floating s, r its write and w the consumer q's read);
 * NULL otherwise. */
static __isl_give isl_pw_multi_aff *alignment(const sched_stmt *s, const sched_access *r,
                                              const sched_stmt *q, const sched_access *w) {
    isl_map *m = isl_map_apply_range(isl_map_copy(r->rel), isl_map_reverse(isl_map_copy(w->rel)));
    m = isl_map_apply_range(m, pma_map(q->shared));
    isl_bool single = isl_map_is_single_valued(m);
    isl_set *dom = isl_map_domain(isl_map_copy(m));
    isl_bool total = isl_set_is_subset(s->domain, dom);
    isl_set_free(dom);
    if (single != isl_bool_true || total != isl_bool_true) {
        isl_map_free(m);
        return NULL;
    }
    return isl_pw_multi_aff_gist(isl_pw_multi_aff_from_map(m), isl_set_copy(s->domain));
}

/* True if s's alignment and its inner dimensions identify each instance, and only parallel
 * iterators follow the shared dimensions. */
static bool acceptable(const sched_scop *scop, int i) {
    const sched_stmt *s = &scop->stmts[i];
    bool inner[SCHED_MAX_DIMS] = {false};
    for (int k = 0; k < s->num_inner; k++) inner[s->inner[k]] = true;
    for (int d = 0; d < s->rank; d++)
        if (s->reduction[d] && !inner[d]) return false;
    isl_map *m = pma_map(s->shared);
    if (s->num_inner) {
        isl_multi_union_pw_aff *band = sched_stmt_band(scop, i, s->inner, s->num_inner);
        isl_map *proj = isl_map_from_union_map(isl_union_map_from_multi_union_pw_aff(band));
        m = isl_map_flat_range_product(m, proj);
    }
    isl_bool inj = isl_map_is_injective(m);
    isl_map_free(m);
    return inj == isl_bool_true;
}

/* True if s is a contraction whose parallel dims would not all be shared: it would lose its
 * micro-kernel (e.g. a MatMul fused by rows after a LayerNorm). */
static bool splits_contraction(const sched_stmt *s) {
    for (int k = 0; s->contraction && k < s->num_inner; k++)
        if (!s->reduction[s->inner[k]] && s->extents[s->inner[k]] > 1) return true;
    return false;
}

/* True if g holds a contraction and s, aligned to g's band, would not be elementwise over all
 * of it (a Split reading a slice of a MatMul's output): the contraction would lose its
 * micro-kernel (which computes every member on the whole register tile). */
static bool breaks_microkernel(const sched_scop *scop, const sched_group *g, const sched_stmt *s) {
    bool contraction = false;
    for (int i = 0; i < g->num_members; i++) contraction |= scop->stmts[g->members[i]].contraction;
    if (!contraction) return false;
    int64_t band = 1;
    for (int j = 0; j < g->rank; j++) band *= g->extents[j];
    for (int k = 0; k < s->num_inner; k++)
        if (s->extents[s->inner[k]] > 1) return true;
    return s->instances != band;
}

/* Tries to add statement i to group g through one of its reads of a member's output. */
static bool try_join(sched_scop *scop, sched_group *g, int i) {
    sched_stmt *s = &scop->stmts[i];
    if (!s->generic || !g->rank) return false;
    for (int a = 0; a < s->num_accesses; a++) {
        const sched_access *r = &s->accesses[a];
        if (r->write || !r->must) continue;
        for (int mi = g->num_members - 1; mi >= 0; mi--) {
            const sched_stmt *q = &scop->stmts[g->members[mi]];
            if (!q->shared) continue;
            for (int b = 0; b < q->num_accesses; b++) {
                const sched_access *w = &q->accesses[b];
                if (!w->write || !w->must || w->array != r->array) continue;
                s->shared = alignment(s, r, q, w);
                if (!s->shared) continue;
                compute_inner(s);
                if (!splits_contraction(s) && !breaks_microkernel(scop, g, s) &&
                    acceptable(scop, i)) {
                    add_member(g, i);
                    s->group = (int)(g - scop->groups);
                    if (group_legal(scop, g, &i, 1)) return true;
                    g->num_members--;
                    s->group = -1;
                }
                isl_pw_multi_aff_free(s->shared);
                s->shared = NULL;
            }
        }
    }
    return false;
}

/* A group of one kernel that depends on nothing (typically a reduction's initialisation): it
 * may move to an earlier group together with its consumer. */
static bool floating(const sched_scop *scop, int gi) {
    const sched_group *g = &scop->groups[gi];
    if (g->num_members != 1 || !scop->stmts[g->members[0]].generic) return false;
    for (int u = 0; u < g->members[0]; u++)
        if (sched_depends(scop, u, g->members[0])) return false;
    return true;
}

/* Aligns floating statement p through statement c (already aligned): p's output is what c
 * reads. Sets p->shared on success. */
static bool align_through(const sched_scop *scop, int p, const sched_stmt *c) {
    sched_stmt *s = &scop->stmts[p];
    for (int a = 0; a < s->num_accesses; a++) {
        const sched_access *w = &s->accesses[a];
        if (!w->write || !w->must) continue;
        for (int b = 0; b < c->num_accesses; b++) {
            const sched_access *r = &c->accesses[b];
            if (r->write || !r->must || r->array != w->array) continue;
            s->shared = alignment(s, w, c, r);
            if (!s->shared) continue;
            compute_inner(s);
            if (acceptable(scop, p)) return true;
            isl_pw_multi_aff_free(s->shared);
            s->shared = NULL;
        }
    }
    return false;
}

/* Tries to add statement i to group g together with the floating groups' statements it
 * depends on (floats, in program order): i aligns through a member's output, each float
 * through i. */
static bool try_join_with_floats(sched_scop *scop, sched_group *g, int i, const int *floats,
                                 int num_floats) {
    sched_stmt *s = &scop->stmts[i];
    isl_pw_multi_aff *saved[SCHED_MAX_DIMS];
    if (num_floats > SCHED_MAX_DIMS) return false;
    for (int f = 0; f < num_floats; f++) saved[f] = scop->stmts[floats[f]].shared;
    bool joined = false;
    if (try_join(scop, g, i)) { /* aligned and legal on its own: now bring the floats */
        g->num_members--;
        int f = 0;
        while (f < num_floats && align_through(scop, floats[f], s)) f++;
        if (f == num_floats) {
            for (f = 0; f < num_floats; f++) add_member(g, floats[f]);
            add_member(g, i);
            /* Moved statements run before later members of g: check into all of them. */
            joined = group_legal(scop, g, g->members, g->num_members);
            if (!joined) g->num_members -= num_floats + 1;
        }
        if (!joined) {
            for (int k = 0; k < f; k++) isl_pw_multi_aff_free(scop->stmts[floats[k]].shared);
            isl_pw_multi_aff_free(s->shared);
            s->shared = NULL;
            s->group = -1;
        }
    }
    for (int f = 0; f < num_floats; f++) {
        sched_stmt *p = &scop->stmts[floats[f]];
        if (!joined) {
            p->shared = saved[f];
            compute_inner(p);
            continue;
        }
        isl_pw_multi_aff_free(saved[f]);
        sched_group *old = &scop->groups[p->group];
        old->num_members = 0;
        old->rank = 0;
        p->group = (int)(g - scop->groups);
    }
    return joined;
}

dl_status sched_form_groups(sched_scop *scop, const sched_options *o) {
    bool bands = o->opt >= 2 || o->fuse;
    for (int i = 0; i < scop->num_stmts; i++) {
        sched_mk_choice c;
        sched_stmt *s = &scop->stmts[i];
        s->contraction = o->microkernel && s->generic && sched_mk_choose(s->op, o, &c);
    }
    for (int i = 0; i < scop->num_stmts; i++) {
        if (o->fuse) {
            /* The latest group i depends on, and the latest one ignoring floating groups. */
            int latest = -1, anchored = -1, floats[SCHED_MAX_DIMS], num_floats = 0;
            for (int u = 0; u < i; u++) {
                if (!sched_depends(scop, u, i)) continue;
                int gu = scop->stmts[u].group;
                if (gu > latest) latest = gu;
                if (!floating(scop, gu)) {
                    if (gu > anchored) anchored = gu;
                } else if (num_floats < SCHED_MAX_DIMS) {
                    floats[num_floats++] = u;
                }
            }
            for (int f = 0; f < num_floats; f++) /* only floats after the anchor move */
                if (scop->stmts[floats[f]].group < anchored) floats[f--] = floats[--num_floats];
            if (anchored >= 0 && num_floats && anchored < latest &&
                try_join_with_floats(scop, &scop->groups[anchored], i, floats, num_floats))
                continue;
            if (latest >= 0 && try_join(scop, &scop->groups[latest], i)) continue;
        }
        new_group(scop, i, bands);
    }
    return DL_OK;
}
