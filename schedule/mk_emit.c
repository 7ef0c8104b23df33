/* mk_emit.c: the loop-dialect code of one register tile of a micro-kernel group (planned by
 * microkernel.c): `rows` points along the unrolled shared dim by columns of vectors along the
 * vectorised one.
 *
 * The leader's output lives in one loop.alloca per row and column (a vector each, promoted to
 * registers by LLVM since every access is at a constant index): set by the members before the
 * leader (its initialisation) or loaded once, updated through the leader's whole reduction (its
 * loops around straight-line vector code: broadcast and multiply-add, contracted to FMAs by code
 * generation), read by the members after it (bias, residual, activation), and stored once at
 * the end (unless only the group reads it). Everything else goes through memory: vectors along
 * the operand's last index when contiguous there, one scalar broadcast when the access does not
 * depend on the vectorised dim, every S-th element through a strided view (strided
 * convolutions: the reduction dims that make the first element's phase vary are expanded into
 * straight-line copies), lane by lane otherwise. Tiles cut by the end of a dim get their own
 * code, chosen at run time: fewer rows, columns of 8, 4, 2, 1 lanes. */
#include "sched.h"

#include <stdlib.h>
#include <string.h>

enum { MK_MAX_COLS = SCHED_MK_MAX_VECS + 12, MK_MAX_MEMO = 256 };

typedef struct mk_memo {
    const dl_op *op;
    unsigned operand;
    int row, col; /* -1: the value does not depend on it */
    int64_t width;
    dl_value *v;
} mk_memo;

typedef struct mk_ctx {
    sched_emitter *e;
    const sched_scop *scop;
    const sched_group *g;
    const sched_microkernel *mk;
    dl_value *const *origin; /* first point of the tile along each shared dim */
    int leader;              /* index of the leader among the members */
    int rows, ncols;
    int64_t col_off[MK_MAX_COLS], col_w[MK_MAX_COLS];
    dl_value *acc[SCHED_MK_MAX_ROWS][MK_MAX_COLS]; /* loop.alloca per row and column */
    dl_value *red_iv[SCHED_MAX_DIMS];              /* the leader's reduction coordinates */
    mk_memo memo[MK_MAX_MEMO];
    int num_memo;
} mk_ctx;

/* True if dim d occurs in e. */
static bool expr_uses(const dl_affine_expr *e, int d) {
    if (!e) return false;
    if (e->kind == DL_AFF_DIM) return e->value == d;
    return expr_uses(e->lhs, d) || expr_uses(e->rhs, d);
}

static const dl_type *vec_type(dl_context *ctx, const dl_type *t, int64_t w) {
    return w > 1 ? dl_type_vector(ctx, t, 1, &w) : t;
}

static void insert(sched_emitter *e, dl_op *op) {
    if (e->b.before)
        dl_op_insert_before(e->b.before, op);
    else
        dl_block_append(e->b.block, op);
}

static const sched_stmt *member(const mk_ctx *m, int i) {
    return &m->scop->stmts[m->g->members[i]];
}

/* The dim of member i that equals shared dim j, or -1. */
static int dim_of(const mk_ctx *m, int i, int j) {
    if (j < 0) return -1;
    for (int d = 0; d < member(m, i)->rank; d++)
        if (m->mk->dims[i][d] == j) return d;
    return -1;
}

/* The domain coordinates of member i at row r, column c of the tile, lane `lane`. */
static void coords_at(mk_ctx *m, int i, int r, int c, int64_t lane, dl_value **coords) {
    sched_emitter *e = m->e;
    const sched_microkernel *mk = m->mk;
    for (int d = 0; d < member(m, i)->rank; d++) {
        int j = mk->dims[i][d];
        if (j == -1)
            coords[d] = sched_cst(e, 0);
        else if (j == -2)
            coords[d] = m->red_iv[d];
        else if (j == mk->ju)
            coords[d] = sched_bin(e, DL_OP_arith_add, m->origin[j], sched_cst(e, r));
        else if (j == mk->jv)
            coords[d] =
                sched_bin(e, DL_OP_arith_add, m->origin[j], sched_cst(e, m->col_off[c] + lane));
        else
            coords[d] = m->origin[j];
    }
}

/* loop.load / loop.store of operand k of member i at coords (value type t). */
static dl_value *load_at(mk_ctx *m, int i, unsigned k, dl_value **coords, const dl_type *t) {
    sched_emitter *e = m->e;
    dl_op *op = member(m, i)->op;
    const dl_affine_map *map = dl_op_attr(op, "maps")->u.array.elems[k]->u.map;
    dl_value *ops[SCHED_MAX_DIMS + 1];
    ops[0] = dl_operand(op, k);
    for (unsigned r = 0; r < map->num_results; r++)
        ops[r + 1] = sched_affine(e, map->results[r], coords);
    return dl_build1(&e->b, DL_OP_loop_load, map->num_results + 1, ops, t);
}

static void store_at(mk_ctx *m, int i, unsigned k, dl_value **coords, dl_value *v) {
    sched_emitter *e = m->e;
    dl_op *op = member(m, i)->op;
    const dl_affine_map *map = dl_op_attr(op, "maps")->u.array.elems[k]->u.map;
    dl_value *ops[SCHED_MAX_DIMS + 2];
    ops[0] = v;
    ops[1] = dl_operand(op, k);
    for (unsigned r = 0; r < map->num_results; r++)
        ops[r + 2] = sched_affine(e, map->results[r], coords);
    dl_build(&e->b, DL_OP_loop_store, map->num_results + 2, ops, 0, NULL, 0);
}

static dl_value *alloca_of(mk_ctx *m, const dl_type *elem, int64_t w) {
    const dl_type *t = dl_type_memref(m->e->ctx, elem, 1, &w, NULL, 0);
    return dl_build1(&m->e->b, DL_OP_loop_alloca, 0, NULL, t);
}

static dl_value *broadcast(mk_ctx *m, dl_value *s, int64_t w) {
    if (w <= 1) return s;
    return dl_build1(&m->e->b, DL_OP_arith_broadcast, 1, &s, vec_type(m->e->ctx, s->type, w));
}

static mk_memo *memo_find(mk_ctx *m, const dl_op *op, unsigned k, int r, int c, int64_t w) {
    for (int i = 0; i < m->num_memo; i++) {
        mk_memo *x = &m->memo[i];
        if (x->op == op && x->operand == k && x->row == r && x->col == c && x->width == w) return x;
    }
    return NULL;
}

static void memo_add(mk_ctx *m, const dl_op *op, unsigned k, int r, int c, int64_t w, dl_value *v) {
    if (m->num_memo < MK_MAX_MEMO) m->memo[m->num_memo++] = (mk_memo){op, k, r, c, w, v};
}

/* The view of src holding every stride-th element of its last dim from `phase` on, defined
 * with the other definitions (before the generated code). */
static dl_value *strided_view(mk_ctx *m, dl_value *src, int64_t phase, int64_t stride) {
    sched_emitter *e = m->e;
    for (int i = 0; i < e->num_views; i++)
        if (e->views[i].src == src && e->views[i].phase == phase && e->views[i].stride == stride)
            return e->views[i].view;
    const dl_type *t = src->type;
    int64_t dims[SCHED_MAX_DIMS], strides[SCHED_MAX_DIMS], s = 1;
    int n = t->rank;
    for (int r = n - 1; r >= 0; r--) {
        strides[r] = t->strides ? t->strides[r] : s;
        dims[r] = t->dims[r];
        s *= t->dims[r];
    }
    int64_t last = strides[n - 1];
    dims[n - 1] = t->dims[n - 1] > phase ? (t->dims[n - 1] - 1 - phase) / stride + 1 : 1;
    strides[n - 1] = last * stride;
    const dl_type *vt = dl_type_memref(e->ctx, t->elem, n, dims, strides, t->offset);
    dl_builder b = dl_builder_before(e->const_anchor);
    b.loc = e->b.loc;
    dl_value *v = dl_build1(&b, DL_OP_kernel_view, 1, &src, vt);
    int64_t bytes = phase * last * (int64_t)dl_scalar_size(t->elem->kind);
    dl_op_set_attr(v->def, "offset", dl_attr_int(e->ctx, bytes));
    e->views = realloc(e->views, sizeof *e->views * (size_t)(e->num_views + 1));
    DL_ASSERT(e->views);
    e->views[e->num_views++] = (struct sched_view){src, phase, stride, v};
    return v;
}

/* Operand k of member i at coords, a strided access: a vector load from the view holding
 * every stride-th element from the first one's phase; NULL if the phase is not constant. */
static dl_value *strided_load(mk_ctx *m, int i, unsigned k, dl_value **coords, int64_t w) {
    sched_emitter *e = m->e;
    dl_op *op = member(m, i)->op;
    int64_t stride, phase = sched_mk_phase(op, k, dim_of(m, i, m->mk->jv), coords, &stride);
    if (phase < 0) return NULL;
    dl_value *src = dl_operand(op, k);
    const dl_affine_map *map = dl_op_attr(op, "maps")->u.array.elems[k]->u.map;
    dl_value *ops[SCHED_MAX_DIMS + 1];
    ops[0] = strided_view(m, src, phase, stride);
    unsigned n = map->num_results;
    for (unsigned r = 0; r < n; r++) ops[r + 1] = sched_affine(e, map->results[r], coords);
    ops[n] =
        sched_bin(e, DL_OP_arith_floordiv,
                  sched_bin(e, DL_OP_arith_sub, ops[n], sched_cst(e, phase)), sched_cst(e, stride));
    return dl_build1(&e->b, DL_OP_loop_load, n + 1, ops, vec_type(e->ctx, src->type->elem, w));
}

/* Operand k of member i at row r, column c: a vector of the column's width (a scalar for a
 * width of 1). */
static dl_value *load_operand(mk_ctx *m, int i, unsigned k, int r, int c) {
    sched_emitter *e = m->e;
    dl_op *op = member(m, i)->op;
    const dl_type *elem = dl_operand(op, k)->type->elem;
    int64_t w = m->col_w[c];
    int dv = dim_of(m, i, m->mk->jv), du = dim_of(m, i, m->mk->ju);
    sched_mk_access a = sched_mk_operand_access(op, k, dv, m->mk->tile[m->mk->jv]);
    int rk = sched_mk_operand_depends(op, k, du) ? r : -1;
    int ck = a == SCHED_MK_INVARIANT ? -1 : c;
    mk_memo *hit = memo_find(m, op, k, rk, ck, w);
    if (hit) return hit->v;
    dl_value *coords[SCHED_MAX_DIMS], *v;
    coords_at(m, i, r, c, 0, coords);
    if (a == SCHED_MK_INVARIANT) {
        mk_memo *s = memo_find(m, op, k, rk, ck, 0);
        dl_value *scalar = s ? s->v : load_at(m, i, k, coords, elem);
        if (!s) memo_add(m, op, k, rk, ck, 0, scalar);
        v = broadcast(m, scalar, w);
    } else if (a == SCHED_MK_CONTIGUOUS || w == 1) {
        v = load_at(m, i, k, coords, vec_type(e->ctx, elem, w));
    } else if (a == SCHED_MK_STRIDED && (v = strided_load(m, i, k, coords, w)) != NULL) {
        /* every stride-th element through a view */
    } else { /* lane by lane into a stack vector */
        dl_value *tmp = alloca_of(m, elem, w);
        for (int64_t l = 0; l < w; l++) {
            coords_at(m, i, r, c, l, coords);
            dl_value *ops[3] = {load_at(m, i, k, coords, elem), tmp, sched_cst(e, l)};
            dl_build(&e->b, DL_OP_loop_store, 3, ops, 0, NULL, 0);
        }
        dl_value *ops[2] = {tmp, sched_cst(e, 0)};
        v = dl_build1(&e->b, DL_OP_loop_load, 2, ops, vec_type(e->ctx, elem, w));
    }
    memo_add(m, op, k, rk, ck, w, v);
    return v;
}

/* Stores v (the column's width) into output k of member i at row r, column c. */
static void store_operand(mk_ctx *m, int i, unsigned k, int r, int c, dl_value *v) {
    sched_emitter *e = m->e;
    dl_op *op = member(m, i)->op;
    int64_t w = m->col_w[c];
    dl_value *coords[SCHED_MAX_DIMS];
    sched_mk_access a =
        sched_mk_operand_access(op, k, dim_of(m, i, m->mk->jv), m->mk->tile[m->mk->jv]);
    if (a == SCHED_MK_CONTIGUOUS || w == 1) {
        coords_at(m, i, r, c, 0, coords);
        store_at(m, i, k, coords, v);
        return;
    }
    const dl_type *elem = dl_operand(op, k)->type->elem;
    dl_value *tmp = alloca_of(m, elem, w);
    dl_value *ops[3] = {v, tmp, sched_cst(e, 0)};
    dl_build(&e->b, DL_OP_loop_store, 3, ops, 0, NULL, 0);
    for (int64_t l = 0; l < w; l++) {
        dl_value *idx[2] = {tmp, sched_cst(e, l)};
        dl_value *x = dl_build1(&e->b, DL_OP_loop_load, 2, idx, elem);
        coords_at(m, i, r, c, l, coords);
        store_at(m, i, k, coords, x);
    }
}

/* True if operand k of member i is the leader's output (every such access is exact). */
static bool is_acc(const mk_ctx *m, int i, unsigned k) {
    const sched_stmt *s = member(m, i);
    for (int a = 0; a < s->num_accesses; a++)
        if (s->accesses[a].operand == (int)k && s->accesses[a].array == m->mk->out_array)
            return true;
    return false;
}

static dl_value *acc_load(mk_ctx *m, int r, int c, const dl_type *elem) {
    dl_value *ops[2] = {m->acc[r][c], sched_cst(m->e, 0)};
    return dl_build1(&m->e->b, DL_OP_loop_load, 2, ops, vec_type(m->e->ctx, elem, m->col_w[c]));
}

static void acc_store(mk_ctx *m, int r, int c, dl_value *v) {
    dl_value *ops[3] = {v, m->acc[r][c], sched_cst(m->e, 0)};
    dl_build(&m->e->b, DL_OP_loop_store, 3, ops, 0, NULL, 0);
}

/* Member i's body at row r, column c on vectors of the column's width: inputs loaded (the
 * leader's output from its accumulator), results stored (likewise). */
static void body_at(mk_ctx *m, int i, int r, int c) {
    sched_emitter *e = m->e;
    dl_op *op = member(m, i)->op;
    dl_block *body = dl_op_region(op, 0)->first;
    unsigned num_inputs = (unsigned)dl_op_attr_int(op, "num_inputs", 0);
    int64_t w = m->col_w[c];
    dl_value_map *map = dl_value_map_create(e->ctx);
    for (unsigned k = 0; k < op->num_operands; k++) {
        if (!dl_value_has_uses(body->args[k])) continue;
        const dl_type *elem = dl_operand(op, k)->type->elem;
        dl_value *v = is_acc(m, i, k) ? acc_load(m, r, c, elem) : load_operand(m, i, k, r, c);
        dl_value_map_set(map, body->args[k], v);
    }
    dl_op *yield = body->last;
    for (dl_op *o = body->first; o != yield; o = o->next) {
        dl_value *ops[8];
        const dl_type *types[4];
        if (o->num_operands > 8 || o->num_results > 4) continue; /* not arith (checked) */
        for (unsigned x = 0; x < o->num_operands; x++) {
            dl_value *v = dl_operand(o, x), *mv = dl_value_map_get(map, v);
            ops[x] = mv ? mv : broadcast(m, v, w); /* defined outside the body */
        }
        for (unsigned x = 0; x < o->num_results; x++)
            types[x] = vec_type(e->ctx, o->results[x].type, w);
        dl_op *n =
            dl_op_create(e->ctx, o->kind, o->loc, o->num_operands, ops, o->num_results, types, 0);
        for (unsigned x = 0; x < o->num_attrs; x++)
            dl_op_set_attr(n, o->attrs[x].name, o->attrs[x].attr);
        insert(e, n);
        for (unsigned x = 0; x < o->num_results; x++)
            dl_value_map_set(map, &o->results[x], &n->results[x]);
    }
    for (unsigned y = 0; y < yield->num_operands; y++) {
        unsigned k = num_inputs + y;
        dl_value *v = dl_operand(yield, y), *mv = dl_value_map_get(map, v);
        v = mv ? mv : broadcast(m, v, w);
        if (is_acc(m, i, k))
            acc_store(m, r, c, v);
        else
            store_operand(m, i, k, r, c, v);
    }
    dl_value_map_destroy(map);
}

/* Opens a loop.for over [0, n) at e->b and moves e->b into it; returns the loop. */
static dl_op *open_loop(sched_emitter *e, int64_t n, const char *name, dl_value **iv) {
    dl_value *bounds[3] = {sched_cst(e, 0), sched_cst(e, n), sched_cst(e, 1)};
    dl_op *loop = dl_build(&e->b, DL_OP_loop_for, 3, bounds, 0, NULL, 1);
    dl_block *blk = dl_op_body(loop, 0);
    *iv = dl_block_add_arg(e->ctx, blk, e->index);
    (*iv)->name = dl_intern(e->ctx, name);
    e->b = dl_builder_at_end(e->ctx, blk);
    return loop;
}

static void close_block(sched_emitter *e, dl_builder saved) {
    dl_build(&e->b, DL_OP_loop_yield, 0, NULL, 0, NULL, 0);
    e->b = saved;
}

/* True if some input of the leader indexes with dim d and the rows' dim in one expression (a
 * sliding window: oh + kh). Unrolling d would let LLVM reuse one row's values in the next
 * row's later steps, values it then keeps live (spilled) across the unrolled steps. */
static bool slides_with_rows(const mk_ctx *m, int d) {
    dl_op *op = member(m, m->leader)->op;
    int du = dim_of(m, m->leader, m->mk->ju);
    if (du < 0) return false;
    const dl_attr *maps = dl_op_attr(op, "maps");
    unsigned num_inputs = (unsigned)dl_op_attr_int(op, "num_inputs", 0);
    for (unsigned k = 0; k < num_inputs; k++) {
        const dl_affine_map *map = maps->u.array.elems[k]->u.map;
        for (unsigned r = 0; r < map->num_results; r++)
            if (expr_uses(map->results[r], d) && expr_uses(map->results[r], du)) return true;
    }
    return false;
}

/* The leader's reduction dims from position x of dims[] on, around every row and column:
 * loops (in domain order); inner loops of at most `unroll` iterations (kernel windows) are
 * unrolled, the outermost one too when the whole reduction is that short, but not a window
 * dim that slides with the rows; dims that strided reads need constant are expanded into
 * straight-line copies. */
static void reduction_from(mk_ctx *m, const int *dims, int n, int x, int64_t total) {
    sched_emitter *e = m->e;
    const sched_stmt *l = member(m, m->leader);
    if (x == n) {
        m->num_memo = 0;
        for (int r = 0; r < m->rows; r++)
            for (int c = 0; c < m->ncols; c++) body_at(m, m->leader, r, c);
        m->num_memo = 0;
        return;
    }
    int d = dims[x];
    int64_t trips = l->extents[d];
    int dv = dim_of(m, m->leader, m->mk->jv);
    if (sched_mk_expands(l->op, dv, d)) {
        for (int64_t v = 0; v < trips; v++) {
            m->red_iv[d] = sched_cst(e, v);
            reduction_from(m, dims, n, x + 1, total);
        }
        return;
    }
    dl_builder saved = e->b;
    char name[16];
    snprintf(name, sizeof name, "k%d", d);
    dl_op *loop = open_loop(e, trips, name, &m->red_iv[d]);
    reduction_from(m, dims, n, x + 1, total);
    close_block(e, saved);
    if (trips <= e->o->unroll && !slides_with_rows(m, d) && (x > 0 || total <= 2 * e->o->unroll))
        dl_op_set_attr(loop, "unroll", dl_attr_int(e->ctx, trips));
}

static void reduction(mk_ctx *m) {
    const sched_stmt *l = member(m, m->leader);
    int dims[SCHED_MAX_DIMS], n = 0;
    int64_t total = 1;
    for (int d = 0; d < l->rank; d++)
        if (m->mk->dims[m->leader][d] == -2) dims[n++] = d, total *= l->extents[d];
    reduction_from(m, dims, n, 0, total);
    for (int d = 0; d < l->rank; d++)
        if (m->mk->dims[m->leader][d] == -2) m->red_iv[d] = sched_cst(m->e, 0);
}

/* True if member i reads (first) the leader's output before anything writes it. */
static bool reads_acc_first(const mk_ctx *m) {
    for (int i = 0; i < m->g->num_members; i++) {
        const sched_stmt *s = member(m, i);
        bool reads = false, writes = false;
        for (int a = 0; a < s->num_accesses; a++) {
            if (s->accesses[a].array != m->mk->out_array) continue;
            reads |= !s->accesses[a].write;
            writes |= s->accesses[a].write;
        }
        if (reads) return true;
        if (writes) return false;
    }
    return false;
}

/* One tile of `rows` rows by the columns covering `width` lanes. */
static void tile(mk_ctx *m, int rows, int64_t width) {
    sched_emitter *e = m->e;
    const sched_stmt *l = member(m, m->leader);
    const dl_type *elem = dl_operand(l->op, (unsigned)m->mk->choice.num_operands - 1)->type->elem;
    int64_t lanes = m->mk->choice.lanes;
    m->rows = rows;
    m->ncols = 0;
    for (int64_t off = 0; off < width && m->ncols < MK_MAX_COLS;) {
        int64_t w = 1;
        while (w * 2 <= width - off && w * 2 <= lanes) w *= 2;
        if (lanes <= width - off) w = lanes;
        m->col_off[m->ncols] = off;
        m->col_w[m->ncols++] = w;
        off += w;
    }
    for (int d = 0; d < l->rank; d++) m->red_iv[d] = sched_cst(e, 0);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < m->ncols; c++) m->acc[r][c] = alloca_of(m, elem, m->col_w[c]);
    const unsigned out = (unsigned)m->mk->choice.num_operands - 1;
    m->num_memo = 0;
    if (reads_acc_first(m))
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < m->ncols; c++)
                acc_store(m, r, c, load_operand(m, m->leader, out, r, c));
    for (int i = 0; i < m->g->num_members; i++) {
        m->num_memo = 0;
        if (i == m->leader) {
            reduction(m);
            continue;
        }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < m->ncols; c++) body_at(m, i, r, c);
    }
    m->num_memo = 0;
    for (int r = 0; r < rows && !m->mk->out_dead; r++)
        for (int c = 0; c < m->ncols; c++)
            store_operand(m, m->leader, out, r, c, acc_load(m, r, c, elem));
}

/* `if (origin[j] + size <= extent) full() else rest()`, or just the one that can happen. */
typedef void (*variant_fn)(mk_ctx *m, int64_t size, int64_t arg);

static void split(mk_ctx *m, int j, int64_t size, variant_fn fn, int64_t arg) {
    sched_emitter *e = m->e;
    int64_t extent = m->g->extents[j], rest = extent % size;
    if (extent < size || !rest) {
        fn(m, extent < size ? extent : size, arg);
        return;
    }
    dl_value *end = sched_bin(e, DL_OP_arith_add, m->origin[j], sched_cst(e, size));
    dl_value *ops[2] = {end, sched_cst(e, extent)};
    dl_op *c = dl_build(&e->b, DL_OP_arith_cmp, 2, ops, 1, &e->i1, 0);
    dl_op_set_attr(c, "pred", dl_attr_string(e->ctx, "le"));
    dl_value *cond = dl_result(c, 0);
    dl_op *iff = dl_build(&e->b, DL_OP_loop_if, 1, &cond, 0, NULL, 2);
    dl_builder saved = e->b;
    e->b = dl_builder_at_end(e->ctx, dl_op_body(iff, 0));
    fn(m, size, arg);
    close_block(e, saved);
    e->b = dl_builder_at_end(e->ctx, dl_op_body(iff, 1));
    fn(m, rest, arg);
    close_block(e, saved);
}

static void rows_variant(mk_ctx *m, int64_t rows, int64_t width) {
    tile(m, (int)rows, width);
}

static void cols_variant(mk_ctx *m, int64_t width, int64_t unused) {
    (void)unused;
    if (m->mk->ju < 0) {
        tile(m, 1, width);
        return;
    }
    split(m, m->mk->ju, m->mk->tile[m->mk->ju], rows_variant, width);
}

dl_status sched_mk_emit(sched_emitter *e, int g, dl_value *const *origin) {
    mk_ctx *m = calloc(1, sizeof *m);
    DL_ASSERT(m);
    m->e = e;
    m->scop = e->scop;
    m->g = &e->scop->groups[g];
    m->mk = m->g->mk;
    m->origin = origin;
    for (int i = 0; i < m->g->num_members; i++)
        if (m->g->members[i] == m->mk->leader) m->leader = i;
    dl_loc saved = e->b.loc;
    e->b.loc = member(m, m->leader)->op->loc;
    split(m, m->mk->jv, m->mk->tile[m->mk->jv], cols_variant, 0);
    e->b.loc = saved;
    free(m);
    return DL_OK;
}
