/* lower_loop.c: graph.Loop ops that unroll_loops.c could not unroll (a trip count known only at
 * run time, or too many iterations) run sequentially inside one kernel.generic.
 *
 * The kernel level has no control flow around kernels, so the body is lowered as usual (its
 * kernels appended to the function), and those kernels are then moved, as loop nests, into the
 * body of a single-point generic:
 *
 *     if run && 0 < M:                       // M: the trip count (unbounded when absent)
 *       loop.while:                          // do ... while
 *         <the body's kernels, each a loop nest over its domain: loads at its maps,
 *          its scalar body, stores at its output maps>
 *         state = yielded values; run = yielded condition; scan[it] = scan values
 *         it = it + 1
 *       loop.condition(run && it < M)
 *
 * Every buffer those kernels touch becomes an (indirect) operand of the generic. Iterations
 * are sequential and the kernels inside are not scheduled, so this is the slow path: loops with
 * few iterations are unrolled instead. Needs static shapes in the body; scan outputs need a
 * constant trip count and a condition that never stops the loop early. */
#include "lower.h"

/* ---- Moving a generic into a sequential body ------------------------------------------------ */

/* The operands of the sequential generic, and which of them are written. */
typedef struct operand_set {
    dl_context *ctx;
    unsigned n, cap;
    dl_value **vals;
    bool *written;
} operand_set;

static void use_buffer(operand_set *s, dl_value *v, bool written) {
    for (unsigned i = 0; i < s->n; i++)
        if (s->vals[i] == v) {
            s->written[i] |= written;
            return;
        }
    if (s->n == s->cap) {
        unsigned cap = s->cap ? 2 * s->cap : 16;
        dl_value **vals = DL_NEW_ARRAY(s->ctx, dl_value *, cap);
        bool *w = DL_NEW_ARRAY(s->ctx, bool, cap);
        for (unsigned i = 0; i < s->n; i++) {
            vals[i] = s->vals[i];
            w[i] = s->written[i];
        }
        s->vals = vals;
        s->written = w;
        s->cap = cap;
    }
    s->vals[s->n] = v;
    s->written[s->n++] = written;
}

static void insert_at(dl_builder *b, dl_op *op) {
    if (b->before)
        dl_op_insert_before(b->before, op);
    else
        dl_block_append(b->block, op);
}

/* The index value of affine expression e over the loop variables ivs. */
static dl_value *affine_value(dl_builder *b, const dl_affine_expr *e, dl_value *const *ivs) {
    if (e->kind == DL_AFF_DIM) return ivs[e->value];
    if (e->kind == DL_AFF_CONST) return kb_index(b, e->value);
    DL_ASSERT(e->kind != DL_AFF_SYM && "kernel maps have no symbols");
    dl_value *l = affine_value(b, e->lhs, ivs), *r = affine_value(b, e->rhs, ivs);
    switch (e->kind) {
    case DL_AFF_ADD: return kb_add(b, l, r);
    case DL_AFF_MUL: return kb_mul(b, l, r);
    case DL_AFF_FLOORDIV: return kb_bin(b, DL_OP_arith_floordiv, l, r);
    case DL_AFF_CEILDIV: return kb_bin(b, DL_OP_arith_ceildiv, l, r);
    case DL_AFF_MOD: return kb_sub(b, l, kb_mul(b, kb_bin(b, DL_OP_arith_floordiv, l, r), r));
    default: DL_UNREACHABLE("affine expression kind");
    }
}

static void map_indices(dl_builder *b, const dl_affine_map *m, dl_value *const *ivs,
                        dl_value **idx) {
    for (unsigned k = 0; k < m->num_results; k++) idx[k] = affine_value(b, m->results[k], ivs);
}

static void note_stores(dl_op *op, void *user) {
    if (op->kind == DL_OP_kernel_store) use_buffer(user, dl_operand(op, 1), true);
}

/* Adds the buffers of generic g to s: its outputs and the buffers its body stores to are
 * written. */
static void collect_buffers(dl_op *g, operand_set *s) {
    unsigned num_inputs = (unsigned)dl_op_attr_int(g, "num_inputs", 0);
    for (unsigned k = 0; k < g->num_operands; k++) use_buffer(s, dl_operand(g, k), k >= num_inputs);
    dl_walk_post(g, note_stores, s);
}

/* Appends generic g at b as a loop nest over its domain that loads its inputs (and the current
 * values of its outputs) at their maps, runs its body and stores the yielded values. g itself
 * is left unchanged (the caller erases it). */
static void inline_generic(dl_builder *b, dl_op *g) {
    dl_context *ctx = b->ctx;
    int64_t dom[KB_MAX_DIMS];
    int rank = dl_op_attr_ints(g, "domain", dom, KB_MAX_DIMS);
    unsigned num_inputs = (unsigned)dl_op_attr_int(g, "num_inputs", 0);
    const dl_attr *maps = dl_op_attr(g, "maps");
    DL_ASSERT(rank >= 0 && maps && maps->u.array.n == g->num_operands);
    dl_block *body = dl_op_body(g, 0);
    dl_builder cur = *b, inner;
    cur.loc = g->loc;
    dl_value *ivs[KB_MAX_DIMS], *idx[KB_MAX_DIMS];
    for (int d = 0; d < rank; d++) {
        ivs[d] = kb_for(&cur, kb_index(&cur, 0), kb_index(&cur, dom[d]), kb_index(&cur, 1), &inner);
        cur = inner;
    }
    dl_value_map *vm = dl_value_map_create(ctx);
    for (unsigned k = 0; k < g->num_operands; k++) {
        if (!dl_value_has_uses(body->args[k])) continue;
        const dl_affine_map *m = maps->u.array.elems[k]->u.map;
        map_indices(&cur, m, ivs, idx);
        dl_value_map_set(vm, body->args[k], kb_load(&cur, dl_operand(g, k), m->num_results, idx));
    }
    dl_op *term = body->last;
    for (dl_op *o = body->first; o && o != term; o = o->next) {
        if (o->kind == DL_OP_kernel_index) {
            dl_value_map_set(vm, dl_result(o, 0), ivs[dl_op_attr_int(o, "dim", 0)]);
            continue;
        }
        insert_at(&cur, dl_op_clone(o, vm));
    }
    for (unsigned i = 0; term && i < term->num_operands; i++) {
        unsigned k = num_inputs + i;
        const dl_affine_map *m = maps->u.array.elems[k]->u.map;
        dl_value *v = dl_value_map_get(vm, dl_operand(term, i));
        map_indices(&cur, m, ivs, idx);
        kb_store(&cur, v ? v : dl_operand(term, i), dl_operand(g, k), m->num_results, idx);
    }
    dl_value_map_destroy(vm);
}

/* A single-point kernel.generic over the buffers of s (inputs: those never written); its body
 * builder is returned in *body (the body ends with kernel.yield()). */
static void sequential_generic(dl_builder *top, operand_set *s, dl_builder *body) {
    dl_context *ctx = top->ctx;
    dl_value **ops = DL_NEW_ARRAY(ctx, dl_value *, s->n + 1);
    const dl_attr **maps = DL_NEW_ARRAY(ctx, const dl_attr *, s->n + 1);
    unsigned n = 0, num_inputs = 0;
    for (int pass = 0; pass < 2; pass++)
        for (unsigned i = 0; i < s->n; i++)
            if (s->written[i] == (pass == 1)) {
                unsigned rank = (unsigned)s->vals[i]->type->rank;
                maps[n] = dl_attr_affine_map(ctx, kb_map_zero(ctx, 0, rank));
                ops[n++] = s->vals[i];
                num_inputs += pass == 0;
            }
    dl_op *g = dl_build(top, DL_OP_kernel_generic, n, ops, 0, NULL, 1);
    dl_op_set_attr(g, "domain", dl_attr_int_array(ctx, 0, NULL));
    dl_op_set_attr(g, "iterators", dl_attr_array(ctx, 0, NULL));
    dl_op_set_attr(g, "maps", dl_attr_array(ctx, n, maps));
    dl_op_set_attr(g, "num_inputs", dl_attr_int(ctx, num_inputs));
    dl_block *blk = dl_op_body(g, 0);
    for (unsigned i = 0; i < n; i++) dl_block_add_arg(ctx, blk, ops[i]->type->elem);
    dl_builder end = dl_builder_at_end(ctx, blk);
    end.loc = top->loc;
    dl_op *y = dl_build(&end, DL_OP_kernel_yield, 0, NULL, 0, NULL, 0);
    *body = dl_builder_before(y);
}

/* ---- The Loop ----------------------------------------------------------------------------- */

/* The value of a one-element buffer (any rank) in a body. */
static dl_value *load_scalar(dl_builder *b, dl_value *buf) {
    dl_value *idx[KB_MAX_DIMS];
    for (int k = 0; k < buf->type->rank; k++) idx[k] = kb_index(b, 0);
    return kb_load(b, buf, (unsigned)buf->type->rank, idx);
}

static void store_scalar(dl_builder *b, dl_value *v, dl_value *buf) {
    dl_value *idx[KB_MAX_DIMS];
    for (int k = 0; k < buf->type->rank; k++) idx[k] = kb_index(b, 0);
    kb_store(b, kb_cast(b, v, buf->type->elem), buf, (unsigned)buf->type->rank, idx);
}

/* dst[it, ...] = src[...] as a loop nest at b. */
static void store_scan(dl_builder *b, dl_value *src, dl_value *dst, dl_value *it) {
    const dl_type *t = src->type;
    dl_builder cur = *b, inner;
    dl_value *idx[KB_MAX_DIMS + 1];
    idx[0] = it;
    for (int d = 0; d < t->rank; d++) {
        idx[d + 1] =
            kb_for(&cur, kb_index(&cur, 0), kb_index(&cur, t->dims[d]), kb_index(&cur, 1), &inner);
        cur = inner;
    }
    dl_value *v = kb_load(&cur, src, (unsigned)t->rank, idx + 1);
    kb_store(&cur, v, dst, (unsigned)t->rank + 1, idx);
}

/* Why the Loop cannot run sequentially, or NULL. */
static const char *sequential_blocker(dl_op *op) {
    dl_block *body = dl_op_body(op, 0);
    unsigned n = op->num_operands - 2;
    int64_t trips = -1;
    if (lw_has(op, 0) && lw_const_ints(op, 0, &trips, 1) != 1) trips = -1;
    for (unsigned i = 0; i < op->num_results; i++) {
        const dl_type *t = op->results[i].type;
        if (t->kind != DL_TY_TENSOR || !dl_type_has_static_shape(t))
            return "its results have shapes known only at run time";
        if (i < n && (t != dl_operand(op, 2 + i)->type || t != body->args[2 + i]->type))
            return "a loop-carried value changes its shape";
        if (i >= n && (trips < 0 || t->dims[0] != trips))
            return "its scan outputs have a data-dependent length";
    }
    size_t count;
    dl_op **ops = dl_collect_ops(op, &count);
    for (size_t i = 0; i < count; i++)
        for (unsigned r = 0; r < ops[i]->num_results; r++) {
            const dl_type *t = ops[i]->results[r].type;
            if (t->kind == DL_TY_TENSOR && !dl_type_has_static_shape(t))
                return "the body's shapes change from one iteration to the next";
        }
    return NULL;
}

/* to = from, for buffers of one shape or of one element each. */
static void copy_into(dl_builder *top, dl_value *from, dl_value *to) {
    dl_context *ctx = top->ctx;
    unsigned r = (unsigned)to->type->rank;
    kb_copy(top, from,
            dl_type_num_elements(to->type) == 1 ? kb_map_zero(ctx, r, (unsigned)from->type->rank)
                                                : kb_map_id(ctx, r),
            to);
}

/* The buffer v is a view of (or v itself when it is not a view). */
static dl_value *root_of(dl_value *v) {
    while (v->def && v->def->kind == DL_OP_kernel_view) v = dl_operand(v->def, 0);
    return v;
}

/* True if v shares memory with one of the n state buffers. */
static bool aliases(dl_value *v, dl_value *const *state, unsigned n) {
    for (unsigned i = 0; i < n; i++)
        if (root_of(v) == root_of(state[i])) return true;
    return false;
}

/* The loop's state: the iteration number, the condition and the loop-carried values (the
 * results of op, initialised from its operands): the buffers its body arguments are bound to. */
static dl_value **init_state(dl_lower *lw, dl_op *op, unsigned n) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    dl_block *body = dl_op_body(op, 0);
    dl_value **state = DL_NEW_ARRAY(ctx, dl_value *, n + 2), *cond = lw_in(lw, op, 1);
    state[0] = kb_alloc(top, lw_memref_of(lw, body->args[0]));
    state[1] = kb_alloc(top, lw_memref_of(lw, body->args[1]));
    kb_fill(top, state[0], 0);
    if (cond)
        copy_into(top, cond, state[1]);
    else
        kb_fill(top, state[1], 1);
    for (unsigned i = 0; i < n; i++) {
        state[2 + i] = lw_out(lw, op, i);
        copy_into(top, lw_in(lw, op, 2 + i), state[2 + i]);
    }
    return state;
}

/* Appends the copies of the yielded condition and loop-carried values ys[0..n] into the state;
 * a yield that shares memory with the state goes through a scratch copy first. */
static void update_state(dl_builder *top, dl_value **state, dl_value **ys, unsigned n) {
    dl_value **src = DL_NEW_ARRAY(top->ctx, dl_value *, n + 2);
    for (unsigned i = 1; i < n + 2; i++) {
        src[i] = ys[i - 1];
        if (src[i] != state[i] && aliases(src[i], state, n + 2)) {
            dl_value *tmp = kb_alloc(top, state[i]->type);
            copy_into(top, src[i], tmp);
            src[i] = tmp;
        }
    }
    for (unsigned i = 1; i < n + 2; i++)
        if (src[i] != state[i]) copy_into(top, src[i], state[i]);
}

static dl_status lower_loop(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_builder *top = lw_top(lw);
    const char *unroll = dl_op_attr_str(op, "dlcc.unroll_failure", "its iterations are unknown");
    const char *why = op->num_operands >= 2 ? sequential_blocker(op) : "malformed";
    if (why)
        return dl_op_error(op, "cannot be unrolled (%s) nor run sequentially (%s)", unroll, why);
    unsigned n = op->num_operands - 2, k = op->num_results - n;
    dl_value **state = init_state(lw, op, n), *m = lw_in(lw, op, 0), **ys;
    dl_value **scan = DL_NEW_ARRAY(ctx, dl_value *, k + 1);
    for (unsigned j = 0; j < k; j++) scan[j] = lw_out(lw, op, n + j);
    /* the body's kernels and the state updates, appended after `mark` */
    dl_op *mark = top->block->last;
    if (lw_lower_region(lw, dl_op_body(op, 0), state, &ys)) return DL_FAILURE;
    update_state(top, state, ys, n);
    dl_op *first = mark->next;
    /* the sequential generic over every buffer they use */
    operand_set s = {.ctx = ctx};
    if (m) use_buffer(&s, m, false);
    for (unsigned i = 0; i < 2; i++) use_buffer(&s, state[i], true);
    for (dl_op *o = first; o; o = o->next)
        if (o->kind == DL_OP_kernel_generic) collect_buffers(o, &s);
    for (unsigned j = 0; j < k; j++) {
        use_buffer(&s, ys[1 + n + j], false);
        use_buffer(&s, scan[j], true);
    }
    dl_builder b, then, body;
    sequential_generic(top, &s, &b);
    dl_op *seq = b.before->block->region->op;
    /* if (run && 0 < M) do { body; it++ } while (run && it < M) */
    const dl_type *i64 = dl_type_scalar(ctx, DL_TY_I64);
    dl_value *trips = m ? kb_cast(&b, load_scalar(&b, m), i64) : kb_consti(&b, i64, INT64_MAX);
    dl_value *zero = kb_consti(&b, i64, 0);
    kb_if(&b, kb_and(&b, load_scalar(&b, state[1]), kb_cmp(&b, "lt", zero, trips)), &then);
    kb_while(&then, &body);
    dl_value *it = kb_cast(&body, load_scalar(&body, state[0]), dl_type_scalar(ctx, DL_TY_INDEX));
    for (dl_op *o = first, *next; o != seq; o = next) {
        next = o->next;
        if (o->kind != DL_OP_kernel_generic) continue;
        inline_generic(&body, o);
        dl_op_erase(o);
    }
    for (unsigned j = 0; j < k; j++) store_scan(&body, ys[1 + n + j], scan[j], it);
    dl_value *next_it = kb_add(&body, kb_cast(&body, it, i64), kb_consti(&body, i64, 1));
    store_scalar(&body, next_it, state[0]);
    kb_while_end(&body,
                 kb_and(&body, load_scalar(&body, state[1]), kb_cmp(&body, "lt", next_it, trips)));
    return DL_OK;
}

const dl_lower_entry dl_lower_loop[] = {
    {DL_OP_graph_Loop, lower_loop},
    {DL_OP__INVALID, NULL},
};
