/* to_loop.c: the ISL AST as loop-dialect code. for nodes become loop.for (the outermost
 * parallel one loop.parallel, unless a loop nested in it spreads more evenly over the target's
 * threads), if nodes loop.if, AST expressions arith ops on index, and user nodes the statement
 * itself: a kernel.generic's body inlined at the AST's iteration (block arguments loaded at the
 * operand maps, kernel.index the iteration, kernel.load/store as loop.load/store, kernel.yield
 * as stores at the output maps), an opaque op moved in place, or a micro-kernel's register
 * tile (mk_emit.c). Innermost parallel loops with a stride-one access get `vectorize = W`,
 * small constant loops `unroll = F`. */
#include "arith/arith.h"
#include "sched.h"

#include <stdlib.h>
#include <string.h>

typedef sched_emitter emitter;

/* ---- Index arithmetic --------------------------------------------------------------------- */

static void remember(emitter *e, int64_t v, dl_value *val, bool created) {
    if (e->num_consts == e->cap_consts) {
        e->cap_consts = e->cap_consts ? 2 * e->cap_consts : 16;
        e->consts = realloc(e->consts, sizeof *e->consts * (size_t)e->cap_consts);
        DL_ASSERT(e->consts);
    }
    e->consts[e->num_consts++] = (struct sched_konst){v, val, created};
}

/* The index constant v, defined once before the generated code. */
dl_value *sched_cst(emitter *e, int64_t v) {
    for (int i = 0; i < e->num_consts; i++)
        if (e->consts[i].v == v) return e->consts[i].val;
    dl_builder cb = dl_builder_before(e->const_anchor);
    dl_value *val = dl_arith_index(&cb, v);
    char name[32];
    snprintf(name, sizeof name, v < 0 ? "cm%lld" : "c%lld", (long long)(v < 0 ? -v : v));
    val->name = dl_intern(e->ctx, name);
    remember(e, v, val, true);
    return val;
}

static const dl_attr *const_of(dl_value *v) {
    const dl_attr *a = dl_arith_constant_of(v);
    return a && a->kind == DL_ATTR_INT ? a : NULL;
}

static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* A binary index op, folded when both operands are constants. */
dl_value *sched_bin(emitter *e, dl_op_kind kind, dl_value *a, dl_value *b) {
    const dl_attr *ca = const_of(a), *cb = const_of(b);
    if (ca && cb) {
        int64_t x = ca->u.i, y = cb->u.i;
        switch (kind) {
        case DL_OP_arith_add: return sched_cst(e, x + y);
        case DL_OP_arith_sub: return sched_cst(e, x - y);
        case DL_OP_arith_mul: return sched_cst(e, x * y);
        case DL_OP_arith_min: return sched_cst(e, x < y ? x : y);
        case DL_OP_arith_max: return sched_cst(e, x > y ? x : y);
        case DL_OP_arith_floordiv:
            if (y) return sched_cst(e, floordiv(x, y));
            break;
        default: break;
        }
    }
    if ((kind == DL_OP_arith_add || kind == DL_OP_arith_sub) && cb && cb->u.i == 0) return a;
    if (kind == DL_OP_arith_add && ca && ca->u.i == 0) return b;
    if (kind == DL_OP_arith_mul && cb && cb->u.i == 1) return a;
    if (kind == DL_OP_arith_mul && ca && ca->u.i == 1) return b;
    /* (x + c1) + c2 -> x + (c1 + c2) */
    const dl_attr *inner =
        a->def && a->def->kind == DL_OP_arith_add ? const_of(dl_operand(a->def, 1)) : NULL;
    if (kind == DL_OP_arith_add && cb && inner)
        return sched_bin(e, DL_OP_arith_add, dl_operand(a->def, 0),
                         sched_cst(e, inner->u.i + cb->u.i));
    /* Reuse an identical op among the last few of the insertion block. */
    dl_op *prev = e->b.before ? e->b.before->prev : e->b.block->last;
    for (int i = 0; prev && i < 16; i++, prev = prev->prev)
        if (prev->kind == kind && prev->num_operands == 2 && dl_operand(prev, 0) == a &&
            dl_operand(prev, 1) == b)
            return dl_result(prev, 0);
    dl_value *ops[2] = {a, b};
    return dl_build1(&e->b, kind, 2, ops, a->type);
}

static dl_value *cmp(emitter *e, const char *pred, dl_value *a, dl_value *b) {
    dl_value *ops[2] = {a, b};
    dl_op *op = dl_build(&e->b, DL_OP_arith_cmp, 2, ops, 1, &e->i1, 0);
    dl_op_set_attr(op, "pred", dl_attr_string(e->ctx, pred));
    return dl_result(op, 0);
}

/* An affine expression of the statement's domain coordinates. */
dl_value *sched_affine(emitter *e, const dl_affine_expr *x, dl_value *const *coords) {
    switch (x->kind) {
    case DL_AFF_DIM: return coords[x->value];
    case DL_AFF_CONST: return sched_cst(e, x->value);
    default: break;
    }
    dl_value *a = sched_affine(e, x->lhs, coords), *b = sched_affine(e, x->rhs, coords);
    if (!a || !b) return NULL;
    switch (x->kind) {
    case DL_AFF_ADD: return sched_bin(e, DL_OP_arith_add, a, b);
    case DL_AFF_MUL: return sched_bin(e, DL_OP_arith_mul, a, b);
    case DL_AFF_FLOORDIV: return sched_bin(e, DL_OP_arith_floordiv, a, b);
    case DL_AFF_CEILDIV: return sched_bin(e, DL_OP_arith_ceildiv, a, b);
    case DL_AFF_MOD: /* a - floor(a / b) * b: the non-negative remainder */
        return sched_bin(
            e, DL_OP_arith_sub, a,
            sched_bin(e, DL_OP_arith_mul, sched_bin(e, DL_OP_arith_floordiv, a, b), b));
    default: return NULL;
    }
}

/* ---- AST expressions ---------------------------------------------------------------------- */

static dl_value *lookup_iter(emitter *e, isl_id *id) {
    for (int i = e->num_iters - 1; i >= 0; i--)
        if (e->iters[i].id == id) return e->iters[i].val;
    return NULL;
}

static dl_value *expr(emitter *e, __isl_keep isl_ast_expr *x);

/* Argument i of an operation expression. */
static dl_value *arg(emitter *e, __isl_keep isl_ast_expr *x, int i) {
    isl_ast_expr *a = isl_ast_expr_op_get_arg(x, i);
    dl_value *v = expr(e, a);
    isl_ast_expr_free(a);
    return v;
}

/* The value of x + k, with k pushed into min/max operands: min(19, 8 * c) + 1 becomes
 * min(20, 8 * c + 8), a loop bound without an extra add. */
static dl_value *expr_plus(emitter *e, __isl_keep isl_ast_expr *x, int64_t k) {
    enum isl_ast_expr_op_type t = isl_ast_expr_get_type(x) == isl_ast_expr_op
                                      ? isl_ast_expr_op_get_type(x)
                                      : isl_ast_expr_op_error;
    if (t != isl_ast_expr_op_min && t != isl_ast_expr_op_max) {
        dl_value *v = expr(e, x);
        return v ? sched_bin(e, DL_OP_arith_add, v, sched_cst(e, k)) : NULL;
    }
    isl_size n = isl_ast_expr_op_get_n_arg(x);
    dl_value *acc = NULL;
    for (int i = 0; i < n; i++) {
        isl_ast_expr *a = isl_ast_expr_op_get_arg(x, i);
        dl_value *v = expr_plus(e, a, k);
        isl_ast_expr_free(a);
        if (!v) return NULL;
        acc =
            acc ? sched_bin(e, t == isl_ast_expr_op_min ? DL_OP_arith_min : DL_OP_arith_max, acc, v)
                : v;
    }
    return acc;
}

static dl_value *op_expr(emitter *e, __isl_keep isl_ast_expr *x) {
    enum isl_ast_expr_op_type t = isl_ast_expr_op_get_type(x);
    isl_size n = isl_ast_expr_op_get_n_arg(x);
    dl_value *v[3] = {NULL, NULL, NULL};
    if (n < 1 || (t != isl_ast_expr_op_min && t != isl_ast_expr_op_max && n > 3)) return NULL;
    if (t != isl_ast_expr_op_min && t != isl_ast_expr_op_max)
        for (int i = 0; i < n; i++)
            if (!(v[i] = arg(e, x, i))) return NULL;
    switch (t) {
    case isl_ast_expr_op_min:
    case isl_ast_expr_op_max: {
        dl_value *acc = arg(e, x, 0);
        for (int i = 1; i < n && acc; i++) {
            dl_value *next = arg(e, x, i);
            acc = next ? sched_bin(e, t == isl_ast_expr_op_min ? DL_OP_arith_min : DL_OP_arith_max,
                                   acc, next)
                       : NULL;
        }
        return acc;
    }
    case isl_ast_expr_op_and:
    case isl_ast_expr_op_and_then: return sched_bin(e, DL_OP_arith_and, v[0], v[1]);
    case isl_ast_expr_op_or:
    case isl_ast_expr_op_or_else: return sched_bin(e, DL_OP_arith_or, v[0], v[1]);
    case isl_ast_expr_op_minus: return sched_bin(e, DL_OP_arith_sub, sched_cst(e, 0), v[0]);
    case isl_ast_expr_op_add: return sched_bin(e, DL_OP_arith_add, v[0], v[1]);
    case isl_ast_expr_op_sub: return sched_bin(e, DL_OP_arith_sub, v[0], v[1]);
    case isl_ast_expr_op_mul: return sched_bin(e, DL_OP_arith_mul, v[0], v[1]);
    case isl_ast_expr_op_div:    /* exact */
    case isl_ast_expr_op_pdiv_q: /* dividend >= 0 */
    case isl_ast_expr_op_fdiv_q: return sched_bin(e, DL_OP_arith_floordiv, v[0], v[1]);
    case isl_ast_expr_op_pdiv_r:
    case isl_ast_expr_op_zdiv_r: return sched_bin(e, DL_OP_arith_rem, v[0], v[1]);
    case isl_ast_expr_op_cond:
    case isl_ast_expr_op_select: {
        dl_value *ops[3] = {v[0], v[1], v[2]};
        return dl_build1(&e->b, DL_OP_arith_select, 3, ops, v[1]->type);
    }
    case isl_ast_expr_op_eq: return cmp(e, "eq", v[0], v[1]);
    case isl_ast_expr_op_le: return cmp(e, "le", v[0], v[1]);
    case isl_ast_expr_op_lt: return cmp(e, "lt", v[0], v[1]);
    case isl_ast_expr_op_ge: return cmp(e, "ge", v[0], v[1]);
    case isl_ast_expr_op_gt: return cmp(e, "gt", v[0], v[1]);
    default: return NULL;
    }
}

/* The value of an AST expression; NULL (after no diagnostic) when unsupported. */
static dl_value *expr(emitter *e, __isl_keep isl_ast_expr *x) {
    switch (isl_ast_expr_get_type(x)) {
    case isl_ast_expr_int: {
        isl_val *v = isl_ast_expr_get_val(x);
        dl_value *r = isl_val_is_int(v) ? sched_cst(e, isl_val_get_num_si(v)) : NULL;
        isl_val_free(v);
        return r;
    }
    case isl_ast_expr_id: {
        isl_id *id = isl_ast_expr_get_id(x);
        dl_value *r = lookup_iter(e, id);
        isl_id_free(id);
        return r;
    }
    case isl_ast_expr_op: return op_expr(e, x);
    default: return NULL;
    }
}

static dl_status unsupported(emitter *e, const char *what) {
    return dl_op_error(e->scop->func, "schedule: unsupported %s in the ISL AST", what);
}

/* ---- Statements --------------------------------------------------------------------------- */

/* Copies op at b with operands mapped, turning kernel.index/load/store into the iteration's
 * coordinates and loop.load/store. */
static void translate(emitter *e, dl_builder *b, dl_op *op, dl_value_map *map,
                      dl_value *const *coords) {
    dl_context *ctx = e->ctx;
    dl_value *ops[2 * SCHED_MAX_DIMS + 2];
    unsigned n = op->num_operands;
    if (op->kind == DL_OP_kernel_index) {
        dl_value_map_set(map, &op->results[0], coords[dl_op_attr_int(op, "dim", 0)]);
        return;
    }
    dl_value **mapped = n <= 2 * SCHED_MAX_DIMS + 2 ? ops : DL_NEW_ARRAY(ctx, dl_value *, n);
    for (unsigned i = 0; i < n; i++) {
        dl_value *m = dl_value_map_get(map, dl_operand(op, i));
        mapped[i] = m ? m : dl_operand(op, i);
    }
    dl_op_kind kind = op->kind == DL_OP_kernel_load    ? DL_OP_loop_load
                      : op->kind == DL_OP_kernel_store ? DL_OP_loop_store
                                                       : op->kind;
    const dl_type **types = DL_NEW_ARRAY(ctx, const dl_type *, op->num_results + 1);
    for (unsigned i = 0; i < op->num_results; i++) types[i] = op->results[i].type;
    dl_op *c = dl_op_create(ctx, kind, op->loc, n, mapped, op->num_results, types, op->num_regions);
    if (kind == op->kind)
        for (unsigned i = 0; i < op->num_attrs; i++)
            dl_op_set_attr(c, op->attrs[i].name, op->attrs[i].attr);
    for (unsigned i = 0; i < op->num_results; i++) {
        c->results[i].name = op->results[i].name;
        dl_value_map_set(map, &op->results[i], &c->results[i]);
    }
    if (b->before)
        dl_op_insert_before(b->before, c);
    else
        dl_block_append(b->block, c);
    for (unsigned r = 0; r < op->num_regions; r++)
        for (dl_block *blk = op->regions[r].first; blk; blk = blk->next) {
            dl_block *nb = dl_block_create(ctx);
            dl_region_append(&c->regions[r], nb);
            for (unsigned a = 0; a < blk->num_args; a++) {
                dl_value *na = dl_block_add_arg(ctx, nb, blk->args[a]->type);
                na->name = blk->args[a]->name;
                dl_value_map_set(map, blk->args[a], na);
            }
            dl_builder inner = dl_builder_at_end(ctx, nb);
            inner.loc = op->loc;
            for (dl_op *o = blk->first; o; o = o->next) translate(e, &inner, o, map, coords);
        }
}

/* Indices of operand k's map at the iteration `coords`. */
static bool map_indices(emitter *e, const dl_affine_map *m, dl_value *const *coords,
                        dl_value **idx) {
    for (unsigned r = 0; r < m->num_results; r++)
        if (!(idx[r] = sched_affine(e, m->results[r], coords))) return false;
    return true;
}

static dl_status inline_generic(emitter *e, sched_stmt *s, dl_value *const *coords) {
    dl_op *g = s->op;
    dl_block *body = dl_op_region(g, 0)->first;
    const dl_attr *maps = dl_op_attr(g, "maps");
    unsigned num_inputs = (unsigned)dl_op_attr_int(g, "num_inputs", 0);
    dl_value_map *map = dl_value_map_create(e->ctx);
    dl_value *ops[SCHED_MAX_DIMS + 2];
    e->b.loc = g->loc;
    for (unsigned k = 0; k < g->num_operands; k++) {
        if (!dl_value_has_uses(body->args[k])) continue;
        dl_value *mem = dl_operand(g, k);
        const dl_affine_map *m = maps->u.array.elems[k]->u.map;
        ops[0] = mem;
        if (m->num_results > SCHED_MAX_DIMS || !map_indices(e, m, coords, ops + 1)) {
            dl_value_map_destroy(map);
            return dl_op_error(g, "schedule: cannot evaluate the map of operand %u", k);
        }
        dl_value *v = dl_build1(&e->b, DL_OP_loop_load, m->num_results + 1, ops, mem->type->elem);
        dl_value_map_set(map, body->args[k], v);
    }
    dl_op *yield = body->last;
    for (dl_op *o = body->first; o != yield; o = o->next) translate(e, &e->b, o, map, coords);
    for (unsigned i = 0; i < yield->num_operands; i++) {
        unsigned k = num_inputs + i;
        dl_value *mem = dl_operand(g, k), *v = dl_operand(yield, i), *mv;
        const dl_affine_map *m = maps->u.array.elems[k]->u.map;
        ops[0] = (mv = dl_value_map_get(map, v)) ? mv : v;
        ops[1] = mem;
        if (m->num_results > SCHED_MAX_DIMS || !map_indices(e, m, coords, ops + 2)) {
            dl_value_map_destroy(map);
            return dl_op_error(g, "schedule: cannot evaluate the map of operand %u", k);
        }
        dl_build(&e->b, DL_OP_loop_store, m->num_results + 2, ops, 0, NULL, 0);
    }
    dl_value_map_destroy(map);
    e->b.loc = dl_loc_unknown();
    return DL_OK;
}

static dl_status user_node(emitter *e, __isl_keep isl_ast_node *node) {
    isl_ast_expr *call = isl_ast_node_user_get_expr(node);
    isl_ast_expr *name = isl_ast_expr_op_get_arg(call, 0);
    isl_id *id = isl_ast_expr_get_id(name);
    const char *callee = isl_id_get_name(id);
    int s = sched_stmt_index(e->scop, callee);
    int mk = callee && strncmp(callee, "MK", 2) == 0 ? atoi(callee + 2) : -1;
    isl_id_free(id);
    isl_ast_expr_free(name);
    isl_size n = isl_ast_expr_op_get_n_arg(call);
    dl_value *coords[SCHED_MAX_DIMS];
    if (mk >= 0 && mk < e->scop->num_groups && e->scop->groups[mk].mk &&
        n - 1 == e->scop->groups[mk].rank) { /* a micro-kernel's register tile */
        dl_status st = DL_OK;
        for (int i = 1; !st && i < n; i++)
            if (!(coords[i - 1] = arg(e, call, i))) st = unsupported(e, "micro-kernel argument");
        isl_ast_expr_free(call);
        const sched_group *g = &e->scop->groups[mk];
        for (int i = 0; !st && i < g->num_members; i++) e->placed[g->members[i]] = true;
        return st ? st : sched_mk_emit(e, mk, coords);
    }
    dl_status st =
        s < 0 || n - 1 != e->scop->stmts[s].rank ? unsupported(e, "statement call") : DL_OK;
    for (int i = 1; !st && i < n; i++)
        if (!(coords[i - 1] = arg(e, call, i))) st = unsupported(e, "statement argument");
    isl_ast_expr_free(call);
    if (st) return st;
    sched_stmt *stmt = &e->scop->stmts[s];
    if (stmt->generic) {
        e->placed[s] = true;
        return inline_generic(e, stmt, coords);
    }
    if (e->placed[s])
        return dl_op_error(stmt->op, "schedule: statement placed twice by the ISL AST");
    e->placed[s] = true;
    dl_op_unlink(stmt->op);
    if (e->b.before)
        dl_op_insert_before(e->b.before, stmt->op);
    else
        dl_block_append(e->b.block, stmt->op);
    return DL_OK;
}

/* ---- Loop hints --------------------------------------------------------------------------- */

/* Coefficient of iv in the index value v: false when v depends on iv non-linearly. */
static bool coefficient(const dl_value *v, const dl_value *iv, int depth, int64_t *c) {
    if (v == iv) {
        *c = 1;
        return true;
    }
    const dl_op *d = v->def;
    *c = 0;
    if (!d || depth > 32) return d == NULL;
    int64_t a = 0, b = 0;
    bool ok_a = d->num_operands > 0 && coefficient(dl_operand(d, 0), iv, depth + 1, &a);
    bool ok_b = d->num_operands > 1 && coefficient(dl_operand(d, 1), iv, depth + 1, &b);
    switch (d->kind) {
    case DL_OP_arith_constant: return true;
    case DL_OP_arith_add: *c = a + b; return ok_a && ok_b;
    case DL_OP_arith_sub: *c = a - b; return ok_a && ok_b;
    case DL_OP_arith_mul: {
        const dl_attr *ka = dl_arith_constant_of(dl_operand(d, 0)),
                      *kb = dl_arith_constant_of(dl_operand(d, 1));
        if (!ok_a || !ok_b) return false;
        if (kb && kb->kind == DL_ATTR_INT)
            *c = a * kb->u.i;
        else if (ka && ka->kind == DL_ATTR_INT)
            *c = b * ka->u.i;
        else if (a || b)
            return false;
        return true;
    }
    default:
        for (unsigned i = 0; i < d->num_operands; i++) {
            int64_t x;
            if (!coefficient(dl_operand(d, i), iv, depth + 1, &x) || x) return false;
        }
        return true;
    }
}

typedef struct access_scan {
    const dl_value *iv;
    bool has_loop, stride_one;
    size_t max_elem;
} access_scan;

static dl_walk_result scan_access(dl_op *op, void *user) {
    access_scan *s = user;
    if (op->kind == DL_OP_loop_for || op->kind == DL_OP_loop_parallel) s->has_loop = true;
    if (op->kind != DL_OP_loop_load && op->kind != DL_OP_loop_store) return DL_WALK_ADVANCE;
    unsigned m = op->kind == DL_OP_loop_load ? 0 : 1;
    const dl_type *t = dl_operand(op, m)->type;
    size_t es = dl_scalar_size(t->elem->kind);
    if (es > s->max_elem) s->max_elem = es;
    bool unit = t->rank > 0;
    for (unsigned i = m + 1; i < op->num_operands && unit; i++) {
        int64_t c;
        bool last = i + 1 == op->num_operands;
        unit = coefficient(dl_operand(op, i), s->iv, 0, &c) && c == (last ? 1 : 0);
    }
    s->stride_one |= unit;
    return DL_WALK_ADVANCE;
}

/* Trip count of a loop with constant bounds, or -1. */
static int64_t trip_count(dl_op *loop) {
    const dl_attr *lb = const_of(dl_operand(loop, 0)), *ub = const_of(dl_operand(loop, 1)),
                  *st = loop->kind == DL_OP_loop_for ? const_of(dl_operand(loop, 2)) : NULL;
    if (!lb || !ub || (loop->kind == DL_OP_loop_for && !st)) return -1;
    int64_t step = st ? st->u.i : 1;
    return ub->u.i <= lb->u.i ? 0 : (ub->u.i - lb->u.i + step - 1) / step;
}

static void add_hints(emitter *e, dl_op *loop, const sched_loop_info *info) {
    if (loop->kind != DL_OP_loop_for || !info || !info->innermost) return;
    dl_block *body = dl_op_region(loop, 0)->first;
    access_scan s = {body->args[0], false, false, 1};
    for (dl_op *o = body->first; o; o = o->next) dl_walk(o, scan_access, &s);
    int64_t trips = trip_count(loop);
    const dl_attr *step = const_of(dl_operand(loop, 2));
    int64_t lanes = (int64_t)e->o->vector * 4 / (int64_t)s.max_elem;
    if (e->o->vector > 0 && info->parallel && !s.has_loop && s.stride_one && step &&
        step->u.i == 1 && lanes > 1 && (trips < 0 || trips >= lanes)) {
        dl_op_set_attr(loop, "vectorize", dl_attr_int(e->ctx, lanes));
        return;
    }
    if (!s.has_loop && trips > 1 && trips <= e->o->unroll)
        dl_op_set_attr(loop, "unroll", dl_attr_int(e->ctx, trips));
}

/* ---- AST nodes ---------------------------------------------------------------------------- */

static dl_status node(emitter *e, __isl_keep isl_ast_node *n);

/* Generates `n` at the end of block blk (before its terminator when it has one). */
static dl_status node_in_block(emitter *e, __isl_keep isl_ast_node *n, dl_block *blk) {
    dl_builder saved = e->b;
    e->b = dl_builder_at_end(e->ctx, blk);
    dl_status st = node(e, n);
    dl_build(&e->b, DL_OP_loop_yield, 0, NULL, 0, NULL, 0);
    e->b = saved;
    return st;
}

/* Trip count of an AST for node with constant bounds and step, or -1. */
static int64_t ast_trips(__isl_keep isl_ast_node *n) {
    isl_ast_expr *init = isl_ast_node_for_get_init(n), *cond = isl_ast_node_for_get_cond(n);
    isl_ast_expr *inc = isl_ast_node_for_get_inc(n);
    isl_ast_expr *bound =
        isl_ast_expr_get_type(cond) == isl_ast_expr_op && isl_ast_expr_op_get_n_arg(cond) == 2
            ? isl_ast_expr_op_get_arg(cond, 1)
            : NULL;
    int64_t trips = -1;
    if (bound && isl_ast_expr_get_type(init) == isl_ast_expr_int &&
        isl_ast_expr_get_type(bound) == isl_ast_expr_int &&
        isl_ast_expr_get_type(inc) == isl_ast_expr_int) {
        isl_val *lo = isl_ast_expr_get_val(init), *hi = isl_ast_expr_get_val(bound),
                *st = isl_ast_expr_get_val(inc);
        int64_t l = isl_val_get_num_si(lo), h = isl_val_get_num_si(hi), s = isl_val_get_num_si(st);
        if (isl_ast_expr_op_get_type(cond) == isl_ast_expr_op_le) h++;
        if (s > 0) trips = h > l ? (h - l + s - 1) / s : 0;
        isl_val_free(lo);
        isl_val_free(hi);
        isl_val_free(st);
    }
    isl_ast_expr_free(bound);
    isl_ast_expr_free(init);
    isl_ast_expr_free(cond);
    isl_ast_expr_free(inc);
    return trips;
}

/* How evenly `trips` iterations spread over the target's threads (1: perfectly), a few
 * iterations per thread counting as less even (the last tile of a loop is often partial). */
static double balance(const emitter *e, int64_t trips) {
    int64_t t = e->o->target.threads;
    if (trips < 0 || t <= 1) return 1;
    double b = (double)trips / (double)(((trips + t - 1) / t) * t);
    return trips < 4 * t ? 0.9 * b : b;
}

static const sched_loop_info *loop_info(__isl_keep isl_ast_node *n) {
    isl_id *ann = isl_ast_node_get_annotation(n);
    const sched_loop_info *info = ann ? isl_id_get_user(ann) : NULL;
    isl_id_free(ann);
    return info;
}

/* True if a loop nested perfectly inside body (a chain of single for loops) may run in
 * parallel and spreads over the threads more evenly than `b`. */
static bool better_inside(const emitter *e, __isl_keep isl_ast_node *body, double b) {
    isl_ast_node *n = isl_ast_node_copy(body);
    bool better = false;
    while (!better && n && isl_ast_node_get_type(n) == isl_ast_node_for) {
        const sched_loop_info *info = loop_info(n);
        better = info && info->parallel && info->instances >= e->o->parallel_min &&
                 isl_ast_node_for_is_degenerate(n) != isl_bool_true &&
                 balance(e, ast_trips(n)) > b + 0.01;
        isl_ast_node *next = isl_ast_node_for_get_body(n);
        isl_ast_node_free(n);
        n = next;
    }
    isl_ast_node_free(n);
    return better;
}

/* A parallel loop over [lb, ub) by step (the constant step_c), with trips iterations (-1 when
 * unknown), at e->b. More than eight iterations per thread run in chunks of consecutive
 * iterations, eight chunks per thread (each parallel iteration costs the thread pool a claim,
 * and neighbours share cache lines): a loop.parallel over chunks, each a loop.for. Otherwise
 * one loop.parallel over the trip count (it has unit steps). Returns the innermost loop; *iv is
 * the iteration's value at the start of its body (named `name`; the chunk index is named
 * `chunk_name`). */
static dl_op *parallel_loop(emitter *e, dl_value *lb, dl_value *ub, dl_value *step, int64_t step_c,
                            int64_t trips, const char *name, const char *chunk_name,
                            dl_value **iv) {
    int64_t chunk = 1, most = 8 * (int64_t)e->o->target.threads;
    if (trips > most) chunk = (trips + most - 1) / most;
    dl_op *loop;
    dl_builder saved = e->b;
    if (chunk > 1) {
        dl_value *bounds[2] = {sched_cst(e, 0), sched_cst(e, (trips + chunk - 1) / chunk)};
        dl_op *outer = dl_build(&e->b, DL_OP_loop_parallel, 2, bounds, 0, NULL, 1);
        dl_block *pb = dl_op_body(outer, 0);
        dl_value *t = dl_block_add_arg(e->ctx, pb, e->index);
        t->name = dl_intern(e->ctx, chunk_name);
        e->b = dl_builder_at_end(e->ctx, pb);
        dl_value *span = sched_cst(e, chunk * step_c);
        dl_value *lo = sched_bin(e, DL_OP_arith_add, lb, sched_bin(e, DL_OP_arith_mul, t, span));
        dl_value *hi = sched_bin(e, DL_OP_arith_min, ub, sched_bin(e, DL_OP_arith_add, lo, span));
        dl_value *inner[3] = {lo, hi, step};
        loop = dl_build(&e->b, DL_OP_loop_for, 3, inner, 0, NULL, 1);
        dl_build(&e->b, DL_OP_loop_yield, 0, NULL, 0, NULL, 0);
    } else {
        dl_value *trips_v = step_c == 1 ? NULL
                                        : sched_bin(e, DL_OP_arith_ceildiv,
                                                    sched_bin(e, DL_OP_arith_sub, ub, lb), step);
        dl_value *bounds[2] = {trips_v ? sched_cst(e, 0) : lb, trips_v ? trips_v : ub};
        loop = dl_build(&e->b, DL_OP_loop_parallel, 2, bounds, 0, NULL, 1);
    }
    dl_block *blk = dl_op_body(loop, 0);
    *iv = dl_block_add_arg(e->ctx, blk, e->index);
    (*iv)->name = dl_intern(e->ctx, name);
    e->b = dl_builder_at_end(e->ctx, blk);
    if (chunk == 1 && step_c != 1) /* iv = lb + t * step */
        *iv = sched_bin(e, DL_OP_arith_add, lb, sched_bin(e, DL_OP_arith_mul, *iv, step));
    e->b = saved;
    return loop;
}

/* True if the body of for node n is one micro-kernel register tile (a call "MK<g>"). */
static bool body_is_microkernel(__isl_keep isl_ast_node *n) {
    isl_ast_node *b = isl_ast_node_for_get_body(n);
    bool mk = false;
    if (b && isl_ast_node_get_type(b) == isl_ast_node_user) {
        isl_ast_expr *call = isl_ast_node_user_get_expr(b);
        isl_ast_expr *name = isl_ast_expr_op_get_arg(call, 0);
        isl_id *id = isl_ast_expr_get_id(name);
        const char *callee = id ? isl_id_get_name(id) : NULL;
        mk = callee && strncmp(callee, "MK", 2) == 0;
        isl_id_free(id);
        isl_ast_expr_free(name);
        isl_ast_expr_free(call);
    }
    isl_ast_node_free(b);
    return mk;
}

/* Loops that join n in one collapsed parallel loop: n's trip count is constant and too small
 * to keep the threads evenly busy, and the for nodes nested perfectly in it are dependence-free
 * with constant bounds (a box: the PPCG test on each then makes the whole box free of
 * dependences) and not innermost (those keep their vector and unroll hints) unless their body
 * is a micro-kernel's register tile. Sets chain[0] = n and the joining loops after it, with
 * their trip counts; returns how many loops (1 when none joins). One fork and join of the
 * threads per nest instead of one per iteration of the outer loops, and the tasks spread over
 * the whole box. */
static int collapse_chain(const emitter *e, __isl_keep isl_ast_node *n, isl_ast_node **chain,
                          int64_t *trips) {
    int64_t threads = e->o->target.threads, total = ast_trips(n);
    int count = 1;
    chain[0] = n;
    trips[0] = total;
    if (total < 1 || threads <= 1) return 1;
    isl_ast_node *next = isl_ast_node_for_get_body(n);
    while (total < 4 * threads && count < SCHED_MAX_DIMS && next &&
           isl_ast_node_get_type(next) == isl_ast_node_for &&
           isl_ast_node_for_is_degenerate(next) == isl_bool_false) {
        const sched_loop_info *info = loop_info(next);
        int64_t t = ast_trips(next);
        if (!info || !info->parallel || (info->innermost && !body_is_microkernel(next)) || t < 1 ||
            total > INT32_MAX / t)
            break;
        chain[count] = next;
        trips[count++] = t;
        total *= t;
        next = isl_ast_node_for_get_body(next);
    }
    isl_ast_node_free(next);
    return count;
}

/* A constant integer AST expression's value. */
static int64_t ast_int(__isl_take isl_ast_expr *x) {
    isl_val *v = isl_ast_expr_get_val(x);
    int64_t r = isl_val_get_num_si(v);
    isl_val_free(v);
    isl_ast_expr_free(x);
    return r;
}

/* The loops chain[0..count) (collapse_chain) as one parallel loop over their box
 * (parallel_loop); each loop's iterator is recovered from the flat index by division and
 * remainder. */
static dl_status collapsed_node(emitter *e, isl_ast_node **chain, int count, const int64_t *trips) {
    if (e->num_iters + count > (int)(sizeof e->iters / sizeof *e->iters))
        return unsupported(e, "loop depth");
    int64_t total = 1;
    for (int k = 0; k < count; k++) total *= trips[k];
    dl_value *flat;
    dl_op *loop = parallel_loop(e, sched_cst(e, 0), sched_cst(e, total), sched_cst(e, 1), 1, total,
                                "i_flat", "i_chunk", &flat);
    dl_block *blk = dl_op_body(loop, 0);
    dl_builder saved = e->b;
    e->b = dl_builder_at_end(e->ctx, blk);
    int64_t stride = total;
    for (int k = 0; k < count; k++) {
        stride /= trips[k];
        dl_value *idx = flat;
        if (stride > 1) idx = sched_bin(e, DL_OP_arith_floordiv, idx, sched_cst(e, stride));
        if (k > 0) idx = sched_bin(e, DL_OP_arith_rem, idx, sched_cst(e, trips[k]));
        int64_t lb = ast_int(isl_ast_node_for_get_init(chain[k]));
        int64_t step = ast_int(isl_ast_node_for_get_inc(chain[k]));
        dl_value *iv = idx;
        if (step != 1) iv = sched_bin(e, DL_OP_arith_mul, iv, sched_cst(e, step));
        if (lb != 0) iv = sched_bin(e, DL_OP_arith_add, iv, sched_cst(e, lb));
        isl_ast_expr *it = isl_ast_node_for_get_iterator(chain[k]);
        isl_id *id = isl_ast_expr_get_id(it);
        isl_ast_expr_free(it);
        e->iters[e->num_iters++] = (struct sched_iter){id, iv};
        isl_id_free(id); /* the AST keeps the id alive while it is generated */
    }
    e->b = saved;
    isl_ast_node *body = isl_ast_node_for_get_body(chain[count - 1]);
    bool was_parallel = e->in_parallel;
    e->in_parallel = true;
    dl_status st = node_in_block(e, body, blk);
    e->in_parallel = was_parallel;
    e->num_iters -= count;
    isl_ast_node_free(body);
    return st;
}

static dl_status for_node(emitter *e, __isl_keep isl_ast_node *n) {
    isl_ast_expr *it = isl_ast_node_for_get_iterator(n);
    isl_id *id = isl_ast_expr_get_id(it);
    isl_ast_expr_free(it);
    isl_ast_expr *init = isl_ast_node_for_get_init(n);
    dl_value *lb = expr(e, init);
    isl_ast_expr_free(init);
    isl_ast_node *body = isl_ast_node_for_get_body(n);
    dl_status st = DL_OK;
    if (!lb || e->num_iters == (int)(sizeof e->iters / sizeof *e->iters)) {
        st = unsupported(e, "loop bound");
    } else if (isl_ast_node_for_is_degenerate(n) == isl_bool_true) {
        e->iters[e->num_iters++] = (struct sched_iter){id, lb};
        st = node(e, body);
        e->num_iters--;
    } else {
        isl_ast_expr *cond = isl_ast_node_for_get_cond(n), *inc = isl_ast_node_for_get_inc(n);
        enum isl_ast_expr_op_type t = isl_ast_expr_op_get_type(cond);
        dl_value *ub = NULL, *step = expr(e, inc);
        isl_ast_expr *lhs = isl_ast_expr_op_get_arg(cond, 0);
        isl_id *lid = lhs ? isl_ast_expr_get_id(lhs) : NULL;
        if ((t == isl_ast_expr_op_le || t == isl_ast_expr_op_lt) && lid == id) {
            isl_ast_expr *bound = isl_ast_expr_op_get_arg(cond, 1);
            ub = t == isl_ast_expr_op_le ? expr_plus(e, bound, 1) : expr(e, bound);
            isl_ast_expr_free(bound);
        }
        isl_id_free(lid);
        isl_ast_expr_free(lhs);
        isl_ast_expr_free(cond);
        isl_ast_expr_free(inc);
        const dl_attr *sc = step ? const_of(step) : NULL;
        if (!ub || !sc || sc->u.i <= 0) {
            st = unsupported(e, "loop condition or step");
        } else {
            isl_id *ann = isl_ast_node_get_annotation(n);
            const sched_loop_info *info = ann ? isl_id_get_user(ann) : NULL;
            isl_id_free(ann);
            bool par = e->o->parallel_min > 0 && info && info->parallel && !e->in_parallel &&
                       info->instances >= e->o->parallel_min;
            /* An inner loop that keeps every thread busy beats a few uneven iterations (but
             * each iteration of this one then forks and joins the threads). */
            int64_t trips = par ? ast_trips(n) : -1;
            if (par && trips >= 0) {
                isl_ast_node *chain[SCHED_MAX_DIMS];
                int64_t chain_trips[SCHED_MAX_DIMS];
                int count = collapse_chain(e, n, chain, chain_trips);
                if (count > 1) st = collapsed_node(e, chain, count, chain_trips);
                for (int k = 1; k < count; k++) isl_ast_node_free(chain[k]);
                if (count > 1) {
                    isl_ast_node_free(body);
                    isl_id_free(id);
                    return st;
                }
            }
            double b = balance(e, trips);
            if (par && trips >= 0 && trips <= 2 * e->o->target.threads && b < 0.95 &&
                better_inside(e, body, b))
                par = false;
            const char *isl_name = isl_id_get_name(id); /* "c3" -> "i3" */
            const char *iv_name =
                dl_intern(e->ctx, dl_sprintf(e->ctx, "i%s", isl_name + (isl_name[0] == 'c')));
            dl_op *loop;
            dl_value *iv;
            if (par) {
                loop = parallel_loop(e, lb, ub, step, sc->u.i, trips, iv_name,
                                     dl_sprintf(e->ctx, "%s_chunk", iv_name), &iv);
            } else {
                dl_value *bounds[3] = {lb, ub, step};
                loop = dl_build(&e->b, DL_OP_loop_for, 3, bounds, 0, NULL, 1);
                iv = dl_block_add_arg(e->ctx, dl_op_body(loop, 0), e->index);
                iv->name = iv_name;
            }
            dl_block *blk = dl_op_body(loop, 0);
            e->iters[e->num_iters++] = (struct sched_iter){id, iv};
            bool was_parallel = e->in_parallel;
            e->in_parallel |= par;
            st = node_in_block(e, body, blk);
            e->in_parallel = was_parallel;
            e->num_iters--;
            if (!st) add_hints(e, loop, info);
        }
    }
    isl_ast_node_free(body);
    isl_id_free(id);
    return st;
}

static dl_status if_node(emitter *e, __isl_keep isl_ast_node *n) {
    isl_ast_expr *cond = isl_ast_node_if_get_cond(n);
    dl_value *c = expr(e, cond);
    isl_ast_expr_free(cond);
    if (!c || c->type != e->i1) return unsupported(e, "condition");
    dl_op *op = dl_build(&e->b, DL_OP_loop_if, 1, &c, 0, NULL, 2);
    isl_ast_node *then = isl_ast_node_if_get_then_node(n);
    dl_status st = node_in_block(e, then, dl_op_body(op, 0));
    isl_ast_node_free(then);
    if (!st && isl_ast_node_if_has_else_node(n) == isl_bool_true) {
        isl_ast_node *els = isl_ast_node_if_get_else_node(n);
        st = node_in_block(e, els, dl_op_body(op, 1));
        isl_ast_node_free(els);
    }
    return st;
}

static dl_status node(emitter *e, __isl_keep isl_ast_node *n) {
    switch (isl_ast_node_get_type(n)) {
    case isl_ast_node_for: return for_node(e, n);
    case isl_ast_node_if: return if_node(e, n);
    case isl_ast_node_user: return user_node(e, n);
    case isl_ast_node_mark: {
        isl_ast_node *child = isl_ast_node_mark_get_node(n);
        dl_status st = node(e, child);
        isl_ast_node_free(child);
        return st;
    }
    case isl_ast_node_block: {
        isl_ast_node_list *list = isl_ast_node_block_get_children(n);
        isl_size count = isl_ast_node_list_n_ast_node(list);
        dl_status st = count < 0 ? unsupported(e, "block") : DL_OK;
        for (int i = 0; i < count && !st; i++) {
            isl_ast_node *child = isl_ast_node_list_get_at(list, i);
            st = node(e, child);
            isl_ast_node_free(child);
        }
        isl_ast_node_list_free(list);
        return st;
    }
    default: return unsupported(e, "node");
    }
}

/* Erases pure region-free ops with unused results in blk from `last` back to (excluding)
 * `stop`, and in the regions of the ops on the way: bound computations folded away. */
static void erase_dead(dl_block *blk, dl_op *last, const dl_op *stop) {
    for (dl_op *op = last, *prev; op && op != stop; op = prev) {
        prev = op->prev;
        for (unsigned r = 0; r < op->num_regions; r++)
            for (dl_block *b = op->regions[r].first; b; b = b->next) erase_dead(b, b->last, NULL);
        if (dl_op_has_trait(op, DL_TRAIT_PURE) && !op->num_regions && dl_op_results_unused(op))
            dl_op_erase(op);
    }
    (void)blk;
}

dl_status sched_emit_loops(sched_scop *scop, isl_ast_node *const *asts, int n,
                           const sched_options *o) {
    dl_op *ret = dl_func_return(scop->func);
    if (!ret) return dl_op_error(scop->func, "schedule: function has no builtin.return");
    if (!scop->num_stmts) return DL_OK;
    dl_op *first = scop->stmts[0].op;
    for (int i = 0; i < scop->num_defs; i++)
        if (dl_op_is_before_in_block(first, scop->defs[i])) dl_op_move_before(scop->defs[i], first);
    emitter e = {.scop = scop, .o = o, .ctx = scop->func->ctx, .const_anchor = first};
    for (int i = 0; i < scop->num_defs; i++) { /* reuse the function's index constants */
        const dl_attr *a =
            scop->defs[i]->num_results == 1 ? const_of(dl_result(scop->defs[i], 0)) : NULL;
        if (a && a->type->kind == DL_TY_INDEX)
            remember(&e, a->u.i, dl_result(scop->defs[i], 0), false);
    }
    e.const_anchor = sched_cst(&e, 0)->def; /* later constants go before it: first may move */
    e.index = dl_type_scalar(e.ctx, DL_TY_INDEX);
    e.i1 = dl_type_scalar(e.ctx, DL_TY_I1);
    e.b = dl_builder_before(ret);
    e.b.loc = dl_loc_unknown();
    e.placed = calloc((size_t)scop->num_stmts, sizeof *e.placed);
    DL_ASSERT(e.placed);
    dl_op *before_code = ret->prev;
    dl_status st = DL_OK;
    for (int k = 0; k < n && !st; k++) st = node(&e, asts[k]);
    if (!st) erase_dead(ret->block, ret->prev, before_code);
    for (int i = 0; !st && i < scop->num_stmts; i++) /* every statement that runs is there */
        if (!e.placed[i] && scop->stmts[i].instances > 0)
            st = dl_op_error(scop->stmts[i].op, "schedule: statement lost by the ISL AST");
    if (!st)
        for (int i = 0; i < scop->num_stmts; i++)
            if (scop->stmts[i].generic) dl_op_erase(scop->stmts[i].op);
    for (int i = 0; !st && i < scop->num_defs; i++) /* buffers micro-kernels kept in registers */
        if (scop->defs[i]->kind == DL_OP_kernel_alloc && dl_op_results_unused(scop->defs[i]))
            dl_op_erase(scop->defs[i]);
    for (int i = 0; i < scop->num_packed; i++) { /* constants replaced by packed copies */
        dl_value *from = scop->packed[i].from;
        if (!from || dl_value_has_uses(from)) continue;
        for (int j = i; j < scop->num_packed; j++)
            if (scop->packed[j].from == from) scop->packed[j].from = NULL;
        dl_op_erase(from->def);
    }
    for (int i = 0; i < e.num_consts; i++)
        if (e.consts[i].created && !dl_value_has_uses(e.consts[i].val))
            dl_op_erase(e.consts[i].val->def);
    free(e.consts);
    free(e.placed);
    free(e.views);
    return st;
}
