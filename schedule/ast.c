/* ast.c: AST generation (isl_ast_build_node_from_schedule). Each for node is annotated with
 * what the loop dialect needs to know: whether the loop carries a dependence (the PPCG test:
 * dependence pairs equal on the outer loops must also be equal on this one), how many
 * statement instances run under it, and whether it is innermost. A micro-kernel's mark
 * becomes one call per register tile. */
#include "sched.h"

#include <stdlib.h>

typedef struct ast_ctx {
    sched_scop *scop;
} ast_ctx;

/* True if no dependence between the instances scheduled by `sched` (whose last output
 * dimension is the current loop) is carried by that loop. */
static bool loop_is_parallel(const sched_scop *scop, __isl_keep isl_union_map *sched) {
    isl_union_set *dom = isl_union_map_domain(isl_union_map_copy(sched));
    isl_union_map *d = sched_deps_among(scop, dom);
    isl_union_set_free(dom);
    d = isl_union_map_apply_range(d, isl_union_map_copy(sched));
    d = isl_union_map_apply_domain(d, isl_union_map_copy(sched));
    isl_bool empty = isl_union_map_is_empty(d);
    if (empty != isl_bool_false) {
        isl_union_map_free(d);
        return empty == isl_bool_true;
    }
    isl_map *m = isl_map_from_union_map(d);
    isl_size n = isl_map_dim(m, isl_dim_out);
    if (n <= 0) {
        isl_map_free(m);
        return false;
    }
    for (int i = 0; i < n - 1; i++) m = isl_map_equate(m, isl_dim_in, i, isl_dim_out, i);
    isl_map *same = isl_map_universe(isl_map_get_space(m));
    same = isl_map_equate(same, isl_dim_in, n - 1, isl_dim_out, n - 1);
    isl_bool sub = isl_map_is_subset(m, same);
    isl_map_free(m);
    isl_map_free(same);
    return sub == isl_bool_true;
}

typedef struct count_ctx {
    const sched_scop *scop;
    int64_t total;
} count_ctx;

static isl_stat count_stmt(__isl_take isl_set *set, void *user) {
    count_ctx *c = user;
    int s = sched_stmt_index(c->scop, isl_set_get_tuple_name(set));
    if (s >= 0 && c->total < INT64_MAX / 4) c->total += c->scop->stmts[s].instances;
    isl_set_free(set);
    return isl_stat_ok;
}

static isl_id *before_for(__isl_keep isl_ast_build *build, void *user) {
    ast_ctx *c = user;
    sched_loop_info *info = calloc(1, sizeof *info);
    DL_ASSERT(info);
    isl_union_map *sched = isl_ast_build_get_schedule(build);
    info->parallel = loop_is_parallel(c->scop, sched);
    count_ctx cc = {c->scop, 0};
    isl_union_set *dom = isl_union_map_domain(sched);
    isl_union_set_foreach_set(dom, count_stmt, &cc);
    isl_union_set_free(dom);
    info->instances = cc.total;
    isl_id *id = isl_id_alloc(isl_ast_build_get_ctx(build), "loop", info);
    return isl_id_set_free_user(id, free);
}

static bool contains_for(__isl_keep isl_ast_node *node) {
    bool found = false;
    switch (isl_ast_node_get_type(node)) {
    case isl_ast_node_for: return true;
    case isl_ast_node_if: {
        isl_ast_node *t = isl_ast_node_if_get_then_node(node);
        found = contains_for(t);
        isl_ast_node_free(t);
        if (!found && isl_ast_node_if_has_else_node(node) == isl_bool_true) {
            isl_ast_node *e = isl_ast_node_if_get_else_node(node);
            found = contains_for(e);
            isl_ast_node_free(e);
        }
        return found;
    }
    case isl_ast_node_block: {
        isl_ast_node_list *list = isl_ast_node_block_get_children(node);
        isl_size n = isl_ast_node_list_n_ast_node(list);
        for (int i = 0; i < n && !found; i++) {
            isl_ast_node *child = isl_ast_node_list_get_at(list, i);
            found = contains_for(child);
            isl_ast_node_free(child);
        }
        isl_ast_node_list_free(list);
        return found;
    }
    case isl_ast_node_mark: {
        isl_ast_node *child = isl_ast_node_mark_get_node(node);
        found = contains_for(child);
        isl_ast_node_free(child);
        return found;
    }
    default: return false;
    }
}

static __isl_give isl_ast_node *after_for(__isl_take isl_ast_node *node,
                                          __isl_keep isl_ast_build *build, void *user) {
    isl_id *id = isl_ast_node_get_annotation(node);
    sched_loop_info *info = id ? isl_id_get_user(id) : NULL;
    if (info) {
        isl_ast_node *body = isl_ast_node_for_get_body(node);
        info->innermost = !contains_for(body);
        isl_ast_node_free(body);
    }
    isl_id_free(id);
    return node;
}

/* A micro-kernel's mark becomes a call per register tile (microkernel.c). */
static __isl_give isl_ast_node *after_mark(__isl_take isl_ast_node *node,
                                           __isl_keep isl_ast_build *build, void *user) {
    ast_ctx *c = user;
    return sched_mk_ast_call(c->scop, node, build);
}

__isl_give isl_ast_node *sched_build_ast(sched_scop *scop, __isl_keep isl_schedule *schedule) {
    ast_ctx c = {scop};
    isl_ast_build *build = isl_ast_build_alloc(scop->ctx);
    build = isl_ast_build_set_before_each_for(build, before_for, &c);
    build = isl_ast_build_set_after_each_for(build, after_for, &c);
    build = isl_ast_build_set_after_each_mark(build, after_mark, &c);
    isl_ast_node *ast = isl_ast_build_node_from_schedule(build, isl_schedule_copy(schedule));
    isl_ast_build_free(build);
    return ast;
}
