/* deps.c: dependences between statement instances (memory-based: every pair of accesses to a
 * common element, at least one a write, in program order) and the legality tests built on
 * them: does a schedule respect them, which band members carry none (coincident), may a band
 * be tiled (permutable). */
#include "sched.h"

#include <stdlib.h>

/* Memory-based dependences between two accesses to the same array, x in a statement that runs
 * no later than y's: every pair of instances touching a common element, x's instance first.
 * Statements are top-level steps in program order, so instances of different statements are
 * ordered by the statements; instances of one statement by their lexicographic order. */
static __isl_give isl_map *conflicts(const sched_access *x, const sched_access *y, bool same) {
    isl_map *d = isl_map_apply_range(isl_map_copy(x->rel), isl_map_reverse(isl_map_copy(y->rel)));
    if (same) {
        isl_space *dom = isl_space_domain(isl_map_get_space(d));
        d = isl_map_intersect(d, isl_map_lex_lt(dom));
    }
    return d;
}

typedef struct pair_ctx {
    sched_scop *scop;
} pair_ctx;

/* Notes the statements map links (dep_pairs) and files map under its source (deps_from). */
static isl_stat note_pair(__isl_take isl_map *map, void *user) {
    sched_scop *scop = ((pair_ctx *)user)->scop;
    int from = sched_stmt_index(scop, isl_map_get_tuple_name(map, isl_dim_in));
    int to = sched_stmt_index(scop, isl_map_get_tuple_name(map, isl_dim_out));
    if (from < 0 || to < 0 || isl_map_plain_is_empty(map)) {
        isl_map_free(map);
        return isl_stat_ok;
    }
    scop->dep_pairs[(size_t)from * (size_t)scop->num_stmts + (size_t)to] = true;
    isl_union_map *one = isl_union_map_from_map(map);
    scop->deps_from[from] =
        scop->deps_from[from] ? isl_union_map_union(scop->deps_from[from], one) : one;
    return scop->deps_from[from] ? isl_stat_ok : isl_stat_error;
}

/* One access of the function, for grouping by array. */
typedef struct access_ref {
    int stmt;
    const sched_access *acc;
} access_ref;

static int by_array(const void *a, const void *b) {
    const access_ref *x = a, *y = b;
    if (x->acc->array != y->acc->array) return x->acc->array < y->acc->array ? -1 : 1;
    return x->stmt < y->stmt ? -1 : x->stmt > y->stmt;
}

dl_status sched_compute_deps(sched_scop *scop) {
    size_t n = 0;
    for (int i = 0; i < scop->num_stmts; i++) n += (size_t)scop->stmts[i].num_accesses;
    access_ref *refs = calloc(n + 1, sizeof *refs);
    DL_ASSERT(refs);
    n = 0;
    for (int i = 0; i < scop->num_stmts; i++)
        for (int j = 0; j < scop->stmts[i].num_accesses; j++)
            refs[n++] = (access_ref){i, &scop->stmts[i].accesses[j]};
    qsort(refs, n, sizeof *refs, by_array);
    isl_union_map *deps = isl_union_map_copy(scop->ssa_deps);
    for (size_t lo = 0, hi; lo < n; lo = hi) {
        for (hi = lo; hi < n && refs[hi].acc->array == refs[lo].acc->array;) hi++;
        for (size_t x = lo; x < hi; x++)
            for (size_t y = lo; y < hi; y++) {
                const access_ref *a = &refs[x], *b = &refs[y];
                bool same = a->stmt == b->stmt;
                if (a->stmt > b->stmt || (!a->acc->write && !b->acc->write)) continue;
                if (!same && y < x) continue; /* each cross-statement pair once */
                isl_map *d = conflicts(a->acc, b->acc, same);
                deps = isl_union_map_union(deps, isl_union_map_from_map(d));
            }
    }
    free(refs);
    scop->deps = isl_union_map_coalesce(deps);
    if (!scop->deps) return dl_op_error(scop->func, "schedule: dependence analysis failed");
    scop->dep_pairs = calloc((size_t)scop->num_stmts * (size_t)scop->num_stmts + 1, sizeof(bool));
    scop->deps_from = calloc((size_t)scop->num_stmts + 1, sizeof *scop->deps_from);
    DL_ASSERT(scop->dep_pairs && scop->deps_from);
    pair_ctx pc = {scop};
    if (isl_union_map_foreach_map(scop->deps, note_pair, &pc) < 0)
        return dl_op_error(scop->func, "schedule: dependence analysis failed");
    return DL_OK;
}

bool sched_depends(const sched_scop *scop, int from, int to) {
    return scop->dep_pairs[(size_t)from * (size_t)scop->num_stmts + (size_t)to];
}

bool sched_groups_ordered(const sched_scop *scop) {
    for (int a = 0; a < scop->num_stmts; a++)
        for (int b = 0; b < scop->num_stmts; b++)
            if (sched_depends(scop, a, b) && scop->stmts[a].group > scop->stmts[b].group)
                return false;
    return true;
}

typedef struct among_ctx {
    const sched_scop *scop;
    isl_union_map *deps;
} among_ctx;

static isl_stat add_from(__isl_take isl_set *set, void *user) {
    among_ctx *c = user;
    int s = sched_stmt_index(c->scop, isl_set_get_tuple_name(set));
    isl_set_free(set);
    if (s >= 0 && c->scop->deps_from[s])
        c->deps = isl_union_map_union(c->deps, isl_union_map_copy(c->scop->deps_from[s]));
    return c->deps ? isl_stat_ok : isl_stat_error;
}

__isl_give isl_union_map *sched_deps_among(const sched_scop *scop, __isl_keep isl_union_set *dom) {
    among_ctx c = {scop, isl_union_map_empty(isl_union_set_get_space(dom))};
    if (isl_union_set_foreach_set(dom, add_from, &c) < 0) return isl_union_map_free(c.deps);
    c.deps = isl_union_map_intersect_domain(c.deps, isl_union_set_copy(dom));
    return isl_union_map_intersect_range(c.deps, isl_union_set_copy(dom));
}

/* The dependences among the domain of `sched` (a union map to one schedule space), mapped to
 * pairs of schedule points; with sinks, only those into the sinks. */
static __isl_give isl_union_map *deps_in_schedule(const sched_scop *scop,
                                                  __isl_take isl_union_map *sched,
                                                  __isl_keep isl_union_set *sinks) {
    isl_union_set *dom = isl_union_map_domain(isl_union_map_copy(sched));
    isl_union_map *d = sched_deps_among(scop, dom);
    isl_union_set_free(dom);
    if (sinks) d = isl_union_map_intersect_range(d, isl_union_set_copy(sinks));
    d = isl_union_map_apply_domain(d, isl_union_map_copy(sched));
    return isl_union_map_apply_range(d, sched);
}

typedef struct check_ctx {
    isl_bool ok;
} check_ctx;

static isl_stat check_forward(__isl_take isl_map *m, void *user) {
    check_ctx *c = user;
    isl_space *space = isl_map_get_space(m);
    isl_bool same = isl_space_tuple_is_equal(space, isl_dim_in, space, isl_dim_out);
    if (same != isl_bool_true) {
        c->ok = same < 0 ? isl_bool_error : isl_bool_false;
    } else {
        isl_map *lt = isl_map_lex_lt(isl_space_range(isl_space_copy(space)));
        isl_bool sub = isl_map_is_subset(m, lt);
        isl_map_free(lt);
        if (sub != isl_bool_true) c->ok = sub;
    }
    isl_space_free(space);
    isl_map_free(m);
    return c->ok == isl_bool_true ? isl_stat_ok : isl_stat_error;
}

isl_bool sched_respects_deps(const sched_scop *scop, __isl_keep isl_schedule *schedule,
                             __isl_keep isl_union_set *sinks) {
    isl_union_map *d = deps_in_schedule(scop, isl_schedule_get_map(schedule), sinks);
    if (!d) return isl_bool_error;
    check_ctx c = {isl_bool_true};
    isl_union_map_foreach_map(d, check_forward, &c);
    isl_union_map_free(d);
    return c.ok;
}

/* The dependences between instances of the band as one map [band] -> [band], or NULL with
 * *empty set when there are none. */
static __isl_give isl_map *band_deps(const sched_scop *scop,
                                     __isl_keep isl_multi_union_pw_aff *mupa, isl_bool *empty) {
    isl_union_map *sched = isl_union_map_from_multi_union_pw_aff(isl_multi_union_pw_aff_copy(mupa));
    isl_union_map *d = deps_in_schedule(scop, sched, NULL);
    *empty = isl_union_map_is_empty(d);
    if (*empty != isl_bool_false) {
        isl_union_map_free(d);
        return NULL;
    }
    return isl_map_from_union_map(d);
}

isl_stat sched_band_coincidence(const sched_scop *scop, __isl_keep isl_multi_union_pw_aff *mupa,
                                bool *coincident) {
    isl_size n = isl_multi_union_pw_aff_size(mupa);
    isl_bool empty;
    isl_map *d = band_deps(scop, mupa, &empty);
    if (n < 0 || empty < 0) return isl_stat_error;
    for (int r = 0; r < n; r++) {
        if (empty) {
            coincident[r] = true;
            continue;
        }
        isl_map *carried = isl_map_copy(d);
        for (int o = 0; o < r; o++)
            carried = isl_map_equate(carried, isl_dim_in, o, isl_dim_out, o);
        isl_map *same = isl_map_universe(isl_map_get_space(carried));
        same = isl_map_equate(same, isl_dim_in, r, isl_dim_out, r);
        isl_bool sub = isl_map_is_subset(carried, same);
        isl_map_free(carried);
        isl_map_free(same);
        if (sub < 0) {
            isl_map_free(d);
            return isl_stat_error;
        }
        coincident[r] = sub;
    }
    isl_map_free(d);
    return isl_stat_ok;
}

isl_bool sched_band_permutable(const sched_scop *scop, __isl_keep isl_multi_union_pw_aff *mupa) {
    isl_bool empty;
    isl_map *d = band_deps(scop, mupa, &empty);
    if (empty != isl_bool_false) return empty < 0 ? isl_bool_error : isl_bool_true;
    isl_set *delta = isl_map_deltas(d);
    isl_set *nonneg = isl_set_universe(isl_set_get_space(delta));
    isl_size n = isl_set_dim(nonneg, isl_dim_set);
    for (int r = 0; r < n; r++) nonneg = isl_set_lower_bound_si(nonneg, isl_dim_set, r, 0);
    isl_bool ok = isl_set_is_subset(delta, nonneg);
    isl_set_free(delta);
    isl_set_free(nonneg);
    return ok;
}
