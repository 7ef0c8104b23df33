/* tree.c: schedule-tree construction. The identity schedule is the program order. The
 * optimised schedule is a sequence of fusion groups; a group is a band over its shared
 * dimensions (every member aligned to them) above a sequence of its members, each with a band
 * of its inner dimensions. When tiled (isl_schedule_node_band_tile), the shared band keeps its
 * tile loops on top, and its point loops move into each segment of the group: consecutive
 * members without inner dimensions share one point band; a member with inner (reduction)
 * dimensions gets its point band above or below them, whichever puts the more stride-one
 * loop innermost. Groups that need no cache tiles but have such a member run by rows: the top
 * band keeps all shared dimensions but the last. A micro-kernel group (microkernel.c) is tiled
 * by register tiles, the vectorised dim's tile loop first, with a mark "MK<g>" between the tile
 * band and the segments (every reduction outside its point loops: the order the micro-kernel
 * computes in). Every variant is checked against the dependences; the untiled one is the
 * fallback. */
#include "sched.h"

#include <stdlib.h>

__isl_give isl_schedule *sched_identity(const sched_scop *scop) {
    return isl_schedule_copy(scop->original);
}

/* The shared band of the given members: their alignments as one multi union pw aff. */
static __isl_give isl_multi_union_pw_aff *shared_band(const sched_scop *scop, const int *members,
                                                      int n) {
    isl_union_pw_multi_aff *u = NULL;
    for (int i = 0; i < n; i++) {
        isl_union_pw_multi_aff *one = isl_union_pw_multi_aff_from_pw_multi_aff(
            isl_pw_multi_aff_copy(scop->stmts[members[i]].shared));
        u = u ? isl_union_pw_multi_aff_union_add(u, one) : one;
    }
    return isl_multi_union_pw_aff_from_union_pw_multi_aff(u);
}

/* The schedule of one statement: its domain, under a band of its inner dimensions. */
static __isl_give isl_schedule *member_schedule(const sched_scop *scop, int s) {
    const sched_stmt *st = &scop->stmts[s];
    isl_schedule *sched =
        isl_schedule_from_domain(isl_union_set_from_set(isl_set_copy(st->domain)));
    if (st->num_inner)
        sched = isl_schedule_insert_partial_schedule(
            sched, sched_stmt_band(scop, s, st->inner, st->num_inner));
    return sched;
}

/* Appends b to the sequence a; `first` says a does not exist yet (so that a NULL from a failed
 * ISL call propagates instead of starting a new sequence). */
static __isl_give isl_schedule *sequence(__isl_take isl_schedule *a, __isl_take isl_schedule *b,
                                         bool *first) {
    bool start = *first;
    *first = false;
    return start ? b : isl_schedule_sequence(a, b);
}

/* Marks the band at the top of sched permutable (when legal) and its coincident members. */
static __isl_give isl_schedule *annotate_top_band(const sched_scop *scop,
                                                  __isl_take isl_schedule *sched) {
    isl_schedule_node *node = isl_schedule_get_root(sched);
    isl_schedule_free(sched);
    node = isl_schedule_node_child(node, 0);
    if (isl_schedule_node_get_type(node) == isl_schedule_node_band) {
        isl_multi_union_pw_aff *mupa = isl_schedule_node_band_get_partial_schedule(node);
        isl_size n = isl_multi_union_pw_aff_size(mupa);
        bool coincident[SCHED_MAX_DIMS];
        if (n > 0 && n <= SCHED_MAX_DIMS &&
            sched_band_coincidence(scop, mupa, coincident) == isl_stat_ok)
            for (int r = 0; r < n; r++)
                node = isl_schedule_node_band_member_set_coincident(node, r, coincident[r]);
        if (sched_band_permutable(scop, mupa) == isl_bool_true)
            node = isl_schedule_node_band_set_permutable(node, 1);
        isl_multi_union_pw_aff_free(mupa);
    }
    sched = isl_schedule_node_get_schedule(node);
    isl_schedule_node_free(node);
    return sched;
}

__isl_give isl_schedule *sched_group_schedule(const sched_scop *scop, const sched_group *g) {
    isl_schedule *sched = NULL;
    bool first = true;
    for (int i = 0; i < g->num_members; i++)
        sched = sequence(sched, member_schedule(scop, g->members[i]), &first);
    if (g->rank)
        sched = isl_schedule_insert_partial_schedule(sched,
                                                     shared_band(scop, g->members, g->num_members));
    return sched;
}

/* ---- Loop order within a tile ------------------------------------------------------------ */

/* How well dimension d suits the innermost loop of statement s: +1 for each access it walks
 * with stride one along the last index, -1 for each access it strides across. */
static int stride_score(const sched_stmt *s, int d) {
    const dl_attr *maps = dl_op_attr(s->op, "maps");
    int score = 0;
    for (int a = 0; a < s->num_accesses; a++) {
        if (s->accesses[a].operand < 0 || !s->accesses[a].must) continue;
        const dl_affine_map *m = maps->u.array.elems[s->accesses[a].operand]->u.map;
        for (unsigned r = 0; r < m->num_results; r++) {
            const dl_affine_expr *e = m->results[r];
            int64_t zero[SCHED_MAX_DIMS] = {0}, one[SCHED_MAX_DIMS] = {0};
            one[d] = 1;
            int64_t step = dl_affine_expr_eval(e, one, NULL) - dl_affine_expr_eval(e, zero, NULL);
            if (!step) continue;
            score += r + 1 == m->num_results && step == 1 ? 1 : -1;
        }
    }
    return score;
}

/* True if member s should run its inner dimensions outside its point loops: when the point
 * loop walks more stride-one accesses, or when s is a reduction over its inner dims (a row sum
 * or maximum): the point loop then updates independent accumulators, where an innermost
 * reduction loop would chain every step on the latency of the previous one. */
static bool inner_outside(const sched_stmt *s, int rank) {
    int point = sched_shared_dim(s, rank - 1);
    if (point < 0) return false;
    bool reduces = true;
    for (int k = 0; k < s->num_inner; k++) reduces &= s->reduction[s->inner[k]];
    if (reduces && s->extents[point] >= 4) return true;
    return stride_score(s, point) >= stride_score(s, s->inner[s->num_inner - 1]);
}

/* mupa with its members in the order perm (member k of the result is member perm[k]). */
static __isl_give isl_multi_union_pw_aff *permuted(__isl_take isl_multi_union_pw_aff *mupa,
                                                   const int *perm, int n) {
    isl_multi_union_pw_aff *r = isl_multi_union_pw_aff_copy(mupa);
    for (int k = 0; k < n; k++)
        r = isl_multi_union_pw_aff_set_union_pw_aff(
            r, k, isl_multi_union_pw_aff_get_union_pw_aff(mupa, perm[k]));
    isl_multi_union_pw_aff_free(mupa);
    return r;
}

/* The group's schedule with each segment carrying its own copy of the shared band (the point
 * loops once the top band is tiled); with `reduce_outside`, every member's inner dimensions run
 * outside its point loops; with `perm`, the top band's members are in that order. */
static __isl_give isl_schedule *segmented_schedule(const sched_scop *scop, const sched_group *g,
                                                   bool reduce_outside, const int *perm) {
    isl_schedule *seq = NULL;
    bool first = true;
    for (int i = 0; i < g->num_members;) {
        const sched_stmt *s = &scop->stmts[g->members[i]];
        if (s->num_inner) {
            isl_schedule *sub =
                isl_schedule_from_domain(isl_union_set_from_set(isl_set_copy(s->domain)));
            isl_multi_union_pw_aff *inner =
                sched_stmt_band(scop, g->members[i], s->inner, s->num_inner);
            isl_multi_union_pw_aff *points = shared_band(scop, &g->members[i], 1);
            if (reduce_outside || inner_outside(s, g->rank)) {
                sub = isl_schedule_insert_partial_schedule(sub, points);
                sub = isl_schedule_insert_partial_schedule(sub, inner);
            } else {
                sub = isl_schedule_insert_partial_schedule(sub, inner);
                sub = isl_schedule_insert_partial_schedule(sub, points);
            }
            seq = sequence(seq, sub, &first);
            i++;
            continue;
        }
        int j = i;
        isl_schedule *run = NULL;
        bool run_first = true;
        while (j < g->num_members && !scop->stmts[g->members[j]].num_inner)
            run = sequence(run, member_schedule(scop, g->members[j++]), &run_first);
        run = isl_schedule_insert_partial_schedule(run, shared_band(scop, &g->members[i], j - i));
        seq = sequence(seq, run, &first);
        i = j;
    }
    isl_multi_union_pw_aff *top = shared_band(scop, g->members, g->num_members);
    if (perm) top = permuted(top, perm, g->rank);
    return isl_schedule_insert_partial_schedule(seq, top);
}

/* Tiles the top band of the segmented schedule and drops the point band band_tile creates
 * (each segment has its own). With sizes NULL, tiles by rows instead: the top band keeps all
 * but its last member, which the segments' point bands carry alone. With a mark (a micro-
 * kernel), the tile band's members are in the order perm (sizes in that order too), the tile
 * band is the mark's parent and the segments its child. */
static __isl_give isl_schedule *tiled_schedule(const sched_scop *scop, const sched_group *g,
                                               const int64_t *sizes, __isl_take isl_id *mark,
                                               const int *perm) {
    isl_schedule *sched = annotate_top_band(scop, segmented_schedule(scop, g, mark != NULL, perm));
    isl_schedule_node *node = isl_schedule_get_root(sched);
    isl_schedule_free(sched);
    node = isl_schedule_node_child(node, 0);
    if (sizes) {
        isl_multi_val *mv = isl_multi_val_zero(isl_schedule_node_band_get_space(node));
        for (int j = 0; j < g->rank; j++)
            mv = isl_multi_val_set_val(mv, j, isl_val_int_from_si(scop->ctx, sizes[j]));
        node = isl_schedule_node_band_tile(node, mv);
    } else {
        node = isl_schedule_node_band_split(node, g->rank - 1);
    }
    node = isl_schedule_node_child(node, 0);
    node = isl_schedule_node_delete(node);
    if (mark) node = isl_schedule_node_insert_mark(node, mark);
    sched = isl_schedule_node_get_schedule(node);
    isl_schedule_node_free(node);
    return sched;
}

/* True if some member would rather run its inner dimensions outside its point loops. */
static bool wants_reorder(const sched_scop *scop, const sched_group *g) {
    for (int i = 0; i < g->num_members; i++) {
        const sched_stmt *s = &scop->stmts[g->members[i]];
        if (s->num_inner && inner_outside(s, g->rank)) return true;
    }
    return false;
}

/* Register tiles of a micro-kernel group: the tile band, a mark "MK<g>" that AST generation
 * turns into one call per tile, each member's point loops (the leader's below its reduction
 * loops: the order the micro-kernel computes in). The vectorised dim's tiles come first, so
 * that the operand read by vectors (weights, the right matrix) stays in cache while the tiles
 * of rows go by. NULL when the dependences forbid it. */
static __isl_give isl_schedule *microkernel_tree(sched_scop *scop, int gi, const sched_options *o) {
    sched_group *g = &scop->groups[gi];
    const sched_microkernel *mk = g->mk;
    char name[24];
    snprintf(name, sizeof name, "MK%d", gi);
    int perm[SCHED_MAX_DIMS], n = 0;
    int64_t sizes[SCHED_MAX_DIMS];
    perm[n++] = mk->jv;
    for (int j = 0; j < g->rank; j++)
        if (j != mk->jv) perm[n++] = j;
    for (int k = 0; k < g->rank; k++) sizes[k] = mk->tile[perm[k]];
    isl_schedule *sched = tiled_schedule(scop, g, sizes, isl_id_alloc(scop->ctx, name, NULL), perm);
    if (o->print && sched) {
        const sched_mk_choice *c = &mk->choice;
        fprintf(stderr,
                "// micro-kernel %s: %s, %d row(s) along d%d by %d vector(s) of %d along d%d\n",
                name, scop->stmts[mk->leader].name, c->rows, c->udim, c->vecs, c->lanes, c->vdim);
    }
    if (sched && sched_respects_deps(scop, sched, NULL) == isl_bool_true) return sched;
    isl_schedule_free(sched);
    sched_mk_free(g->mk);
    g->mk = NULL;
    return NULL;
}

static __isl_give isl_schedule *group_tree(sched_scop *scop, int gi, const sched_options *o) {
    const sched_group *g = &scop->groups[gi];
    if (g->rank && sched_mk_plan(scop, gi, o)) {
        isl_schedule *mk = microkernel_tree(scop, gi, o);
        if (mk) return mk;
    }
    isl_schedule *untiled = annotate_top_band(scop, sched_group_schedule(scop, g));
    int64_t sizes[SCHED_MAX_DIMS];
    if (!g->rank || !o->tile) return untiled;
    bool cache_tiles = sched_tile_sizes(scop, g, o, sizes);
    /* Without cache tiles, rows (the last shared dimension in the segments) still let a
     * reduction run outside its stride-one point loop, consumers fused per row. */
    if (!cache_tiles && (g->rank < 2 || o->num_tile_sizes || !wants_reorder(scop, g)))
        return untiled;
    isl_schedule *tiled = tiled_schedule(scop, g, cache_tiles ? sizes : NULL, NULL, NULL);
    if (sched_respects_deps(scop, tiled, NULL) != isl_bool_true) {
        isl_schedule_free(tiled);
        return untiled;
    }
    isl_schedule_free(untiled);
    return tiled;
}

int sched_optimized_parts(sched_scop *scop, const sched_options *o, isl_schedule **parts) {
    int n = 0;
    for (int g = 0; g < scop->num_groups; g++)
        if (scop->groups[g].num_members) /* floating groups that moved are empty */
            parts[n++] = group_tree(scop, g, o);
    return n;
}

__isl_give isl_schedule *sched_sequence(isl_schedule *const *parts, int n) {
    isl_schedule *sched = NULL;
    bool first = true;
    for (int k = 0; k < n; k++) {
        if (!parts[k]) {
            isl_schedule_free(sched);
            return NULL;
        }
        sched = sequence(sched, isl_schedule_copy(parts[k]), &first);
    }
    return sched;
}
