/* interp.c: the reference interpreter: walks a builtin.func's ops, keeping one slot per SSA
 * value, executing kernel.generic point by point and loops iteration by iteration. */
#include "interp/interp.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_RANK = 64 };

/* The current contents of one SSA value. */
typedef struct slot {
    const dl_value *key;
    unsigned lanes; /* 0 for a scalar */
    ip_lane s;      /* scalar value */
    ip_lane *vec;   /* vector lanes (owned, `lanes` of them) */
    char *base;     /* memref base pointer */
} slot;

typedef struct interp {
    dl_context *ctx;
    slot **table; /* open addressing on the value pointer */
    size_t cap, count;
    void **allocs; /* memory owned by the run, freed in reverse at block exits */
    size_t num_allocs, cap_allocs;
    const int64_t *point; /* iteration of the innermost kernel.generic being executed */
    unsigned point_rank;
    dl_interp_options opts;
} interp;

/* ---- Value slots ------------------------------------------------------------------------ */

static size_t hash_ptr(const void *p) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static void grow(interp *ip) {
    size_t cap = ip->cap ? ip->cap * 2 : 256;
    slot **t = calloc(cap, sizeof *t);
    DL_ASSERT(t);
    for (size_t i = 0; i < ip->cap; i++) {
        if (!ip->table[i]) continue;
        size_t h = hash_ptr(ip->table[i]->key) & (cap - 1);
        while (t[h]) h = (h + 1) & (cap - 1);
        t[h] = ip->table[i];
    }
    free(ip->table);
    ip->table = t;
    ip->cap = cap;
}

/* The slot of v, or NULL when v has not been defined yet. */
static slot *find(const interp *ip, const dl_value *v) {
    if (!ip->cap) return NULL;
    for (size_t h = hash_ptr(v) & (ip->cap - 1); ip->table[h]; h = (h + 1) & (ip->cap - 1))
        if (ip->table[h]->key == v) return ip->table[h];
    return NULL;
}

/* The slot of v, created on first definition. */
static slot *def(interp *ip, const dl_value *v) {
    slot *s = find(ip, v);
    if (s) return s;
    if (2 * (ip->count + 1) > ip->cap) grow(ip);
    s = calloc(1, sizeof *s);
    DL_ASSERT(s);
    s->key = v;
    size_t h = hash_ptr(v) & (ip->cap - 1);
    while (ip->table[h]) h = (h + 1) & (ip->cap - 1);
    ip->table[h] = s;
    ip->count++;
    return s;
}

static unsigned lanes_of(const dl_type *t) {
    return t->kind == DL_TY_VECTOR ? (unsigned)t->dims[0] : 0;
}

/* Prepares s to hold a value of type t (allocating vector lanes once). */
static void shape_slot(slot *s, const dl_type *t) {
    unsigned n = lanes_of(t);
    if (n && n != s->lanes) {
        free(s->vec);
        s->vec = calloc(n, sizeof *s->vec);
        DL_ASSERT(s->vec);
    }
    s->lanes = n;
}

/* Lane l of an operand (a scalar stands for every lane). */
static ip_lane lane(const slot *s, unsigned l) {
    return s->lanes ? s->vec[l] : s->s;
}

static dl_status use(interp *ip, dl_op *op, unsigned i, slot **out) {
    *out = find(ip, dl_operand(op, i));
    if (!*out) return dl_op_error(op, "interpreter: operand %u is used before it is defined", i);
    return DL_OK;
}

/* ---- Memory ------------------------------------------------------------------------------ */

static void *own(interp *ip, size_t bytes) {
    void *p = calloc(1, bytes ? bytes : 1);
    DL_ASSERT(p);
    if (ip->num_allocs == ip->cap_allocs) {
        ip->cap_allocs = ip->cap_allocs ? 2 * ip->cap_allocs : 16;
        ip->allocs = realloc(ip->allocs, ip->cap_allocs * sizeof *ip->allocs);
        DL_ASSERT(ip->allocs);
    }
    ip->allocs[ip->num_allocs++] = p;
    return p;
}

static void release_to(interp *ip, size_t mark) {
    while (ip->num_allocs > mark) free(ip->allocs[--ip->num_allocs]);
}

/* Bytes a static memref type spans from its base pointer. */
static size_t span_bytes(const dl_type *t) {
    return (size_t)dl_memref_span(t) * dl_scalar_size(t->elem->kind);
}

/* Address of element idx of memref value m accessed with `lanes` consecutive lanes along the
 * last dimension (0: a scalar); *lane_step is the byte distance between lanes. */
static dl_status address(dl_op *op, const dl_value *m, const slot *ms, const int64_t *idx,
                         unsigned lanes, char **out, int64_t *lane_step) {
    const dl_type *t = m->type;
    int64_t strides[MAX_RANK];
    if (t->rank > MAX_RANK || !dl_memref_strides(t, strides))
        return dl_op_error(op, "interpreter: memref %s has no static layout",
                           dl_type_str(op->ctx, t));
    int64_t off = t->offset;
    for (int r = 0; r < t->rank; r++) {
        int64_t hi = idx[r] + (r == t->rank - 1 && lanes ? (int64_t)lanes - 1 : 0);
        if (idx[r] < 0 || hi >= t->dims[r])
            return dl_op_error(op,
                               "interpreter: index %lld%s of dimension %d is out of bounds "
                               "for %s",
                               (long long)idx[r], lanes ? " (vector)" : "", r,
                               dl_type_str(op->ctx, t));
        off += idx[r] * strides[r];
    }
    if (lanes && t->rank == 0) return dl_op_error(op, "interpreter: vector access to a 0-d memref");
    int64_t esize = (int64_t)dl_scalar_size(t->elem->kind);
    *out = ms->base + off * esize;
    *lane_step = t->rank ? strides[t->rank - 1] * esize : 0;
    return DL_OK;
}

/* Reads index operands [first, num_operands) of op. */
static dl_status indices(interp *ip, dl_op *op, unsigned first, int64_t *idx) {
    for (unsigned i = first; i < op->num_operands; i++) {
        slot *s;
        if (use(ip, op, i, &s)) return DL_FAILURE;
        idx[i - first] = s->s.i;
    }
    return DL_OK;
}

/* loop.load / kernel.load: result = m[idx] (a vector result loads consecutive lanes). */
static dl_status exec_load(interp *ip, dl_op *op) {
    int64_t idx[MAX_RANK], step;
    slot *ms;
    char *p;
    const dl_type *t = op->results[0].type;
    if (op->num_operands - 1 > MAX_RANK || use(ip, op, 0, &ms) || indices(ip, op, 1, idx) ||
        address(op, dl_operand(op, 0), ms, idx, lanes_of(t), &p, &step))
        return DL_FAILURE;
    slot *r = def(ip, &op->results[0]);
    shape_slot(r, t);
    dl_type_kind k = dl_type_elem(t)->kind;
    if (!r->lanes) r->s = ip_load_scalar(p, k);
    for (unsigned l = 0; l < r->lanes; l++) r->vec[l] = ip_load_scalar(p + l * step, k);
    return DL_OK;
}

/* loop.store / kernel.store: m[idx] = value. */
static dl_status exec_store(interp *ip, dl_op *op) {
    int64_t idx[MAX_RANK], step;
    slot *vs, *ms;
    char *p;
    const dl_type *t = dl_operand(op, 0)->type;
    if (op->num_operands - 2 > MAX_RANK || use(ip, op, 0, &vs) || use(ip, op, 1, &ms) ||
        indices(ip, op, 2, idx) || address(op, dl_operand(op, 1), ms, idx, lanes_of(t), &p, &step))
        return DL_FAILURE;
    dl_type_kind k = dl_type_elem(t)->kind;
    if (!vs->lanes) ip_store_scalar(p, k, vs->s);
    for (unsigned l = 0; l < vs->lanes; l++) ip_store_scalar(p + l * step, k, vs->vec[l]);
    return DL_OK;
}

/* kernel.alloc / loop.alloca (zero-filled), kernel.global (a private copy of its value),
 * kernel.view (the source's base plus a byte offset). */
static dl_status exec_memory_def(interp *ip, dl_op *op) {
    const dl_type *t = op->results[0].type;
    slot *r = def(ip, &op->results[0]);
    shape_slot(r, t);
    if (op->kind == DL_OP_kernel_view) {
        slot *src;
        if (use(ip, op, 0, &src)) return DL_FAILURE;
        r->base = src->base + dl_op_attr_int(op, "offset", 0);
        return DL_OK;
    }
    int64_t strides[MAX_RANK];
    if (t->rank > MAX_RANK || !dl_memref_strides(t, strides))
        return dl_op_error(op, "interpreter: memref %s has no static layout",
                           dl_type_str(op->ctx, t));
    size_t bytes = span_bytes(t);
    r->base = own(ip, bytes);
    if (op->kind != DL_OP_kernel_global) return DL_OK;
    const dl_attr *v = dl_op_attr(op, "value");
    size_t esize = dl_scalar_size(t->elem->kind);
    int64_t n = dl_type_num_elements(t);
    if (t->strides || t->offset) return dl_op_error(op, "interpreter: strided kernel.global");
    for (int64_t i = 0; v && i < n; i++) {
        const char *src =
            (const char *)v->u.dense.data + (v->u.dense.splat ? 0 : (size_t)i * esize);
        memcpy(r->base + (size_t)i * esize, src, esize);
    }
    return DL_OK;
}

/* ---- Arithmetic ------------------------------------------------------------------------- */

static dl_status exec_arith(interp *ip, dl_op *op) {
    const dl_type *t = op->results[0].type;
    dl_type_kind k = dl_type_elem(t)->kind;
    slot *args[3];
    if (op->num_operands > 3) return dl_op_error(op, "interpreter: too many operands");
    for (unsigned i = 0; i < op->num_operands; i++)
        if (use(ip, op, i, &args[i])) return DL_FAILURE;
    slot *r = def(ip, &op->results[0]);
    if (op->kind == DL_OP_arith_constant) {
        shape_slot(r, t);
        const dl_attr *a = dl_op_attr(op, "value");
        ip_lane v = ip_lane_from_attr(a, k);
        r->s = v;
        for (unsigned l = 0; l < r->lanes; l++) r->vec[l] = v;
        return DL_OK;
    }
    if (op->kind == DL_OP_arith_reduce) {
        const char *kind = dl_op_attr_str(op, "kind", "add");
        static const dl_op_kind kinds[] = {DL_OP_arith_add, DL_OP_arith_mul, DL_OP_arith_max,
                                           DL_OP_arith_min};
        static const char *names[] = {"add", "mul", "max", "min"};
        dl_op_kind fold = DL_OP_arith_add;
        for (int i = 0; i < 4; i++)
            if (strcmp(kind, names[i]) == 0) fold = kinds[i];
        /* Evaluate with a stand-in binary op of the folding kind. */
        dl_op fake = *op;
        fake.kind = fold;
        fake.num_operands = 2;
        ip_lane acc = lane(args[0], 0);
        for (unsigned l = 1; l < args[0]->lanes; l++) {
            ip_lane pair[2] = {acc, lane(args[0], l)};
            ip_eval_lane(&fake, k, k, pair, &acc);
        }
        shape_slot(r, t);
        r->s = acc;
        return DL_OK;
    }
    if (op->kind == DL_OP_arith_broadcast) {
        ip_lane v = args[0]->s; /* read before reshaping: r may alias args[0] */
        shape_slot(r, t);
        for (unsigned l = 0; l < r->lanes; l++) r->vec[l] = v;
        return DL_OK;
    }
    dl_type_kind in_kind = dl_type_elem(dl_operand(op, op->num_operands - 1)->type)->kind;
    unsigned n = lanes_of(t);
    ip_lane in[3], out[MAX_RANK * 16], *res = n <= MAX_RANK * 16 ? out : NULL;
    if (!res) res = malloc(n * sizeof *res);
    DL_ASSERT(res);
    for (unsigned l = 0; l < (n ? n : 1); l++) {
        for (unsigned i = 0; i < op->num_operands; i++) in[i] = lane(args[i], l);
        if (!ip_eval_lane(op, in_kind, k, in, &res[l])) {
            if (res != out) free(res);
            return dl_op_error(op, "interpreter: cannot execute '%s'", dl_op_info_of(op)->name);
        }
    }
    shape_slot(r, t); /* after reading the operands: a loop may redefine one of them */
    if (!n) r->s = res[0];
    for (unsigned l = 0; l < n; l++) r->vec[l] = res[l];
    if (res != out) free(res);
    return DL_OK;
}

/* ---- Control flow ----------------------------------------------------------------------- */

static dl_status exec_block(interp *ip, dl_block *b, dl_op **term);

/* Runs the single-block region i of op, which must end with a terminator of kind `end`. */
static dl_status exec_region(interp *ip, dl_op *op, unsigned i, dl_op_kind end, dl_op **term) {
    dl_block *b = dl_op_region(op, i)->first;
    if (!b) return DL_OK;
    if (exec_block(ip, b, term)) return DL_FAILURE;
    if (!*term || (*term)->kind != end)
        return dl_op_error(op, "interpreter: region must end with '%s'", dl_op_infos[end].name);
    return DL_OK;
}

static dl_status exec_loop(interp *ip, dl_op *op) {
    slot *lb, *ub, *st = NULL;
    if (use(ip, op, 0, &lb) || use(ip, op, 1, &ub)) return DL_FAILURE;
    if (op->kind == DL_OP_loop_for && use(ip, op, 2, &st)) return DL_FAILURE;
    int64_t lo = lb->s.i, hi = ub->s.i, step = st ? st->s.i : 1;
    if (step <= 0)
        return dl_op_error(op, "interpreter: loop step %lld is not positive", (long long)step);
    dl_block *body = dl_op_region(op, 0)->first;
    if (!body || body->num_args != 1) return dl_op_error(op, "interpreter: malformed loop body");
    if (hi <= lo) return DL_OK;
    int64_t trips = (hi - lo - 1) / step + 1;
    bool reverse = ip->opts.reverse_parallel &&
                   (op->kind == DL_OP_loop_parallel || dl_op_attr(op, "vectorize"));
    for (int64_t t = 0; t < trips; t++) {
        slot *s = def(ip, body->args[0]);
        s->lanes = 0;
        s->s.i = lo + (reverse ? trips - 1 - t : t) * step;
        dl_op *term;
        if (exec_region(ip, op, 0, DL_OP_loop_yield, &term)) return DL_FAILURE;
    }
    return DL_OK;
}

static dl_status exec_if(interp *ip, dl_op *op) {
    slot *c;
    if (use(ip, op, 0, &c)) return DL_FAILURE;
    dl_op *term;
    return exec_region(ip, op, c->s.i ? 0 : 1, DL_OP_loop_yield, &term);
}

/* loop.while: the body, then again while its loop.condition holds. */
static dl_status exec_while(interp *ip, dl_op *op) {
    for (;;) {
        dl_op *term;
        slot *c;
        if (exec_region(ip, op, 0, DL_OP_loop_condition, &term) || use(ip, term, 0, &c))
            return DL_FAILURE;
        if (!c->s.i) return DL_OK;
    }
}

/* kernel.generic: lexicographic visit of the domain box, loading used operands, running the
 * body and storing the yielded values at the output maps. */
static dl_status exec_generic(interp *ip, dl_op *op) {
    int64_t dom[MAX_RANK], point[MAX_RANK] = {0}, idx[MAX_RANK];
    int n = dl_op_attr_ints(op, "domain", dom, MAX_RANK);
    const dl_attr *maps = dl_op_attr(op, "maps");
    int64_t num_inputs = dl_op_attr_int(op, "num_inputs", 0);
    dl_block *body = dl_op_region(op, 0)->first;
    if (n < 0 || n > MAX_RANK || !maps || !body)
        return dl_op_error(op, "interpreter: malformed kernel.generic");
    for (int d = 0; d < n; d++)
        if (dom[d] <= 0) return DL_OK;
    slot *mem[256];
    if (op->num_operands > 256) return dl_op_error(op, "interpreter: too many operands");
    for (unsigned k = 0; k < op->num_operands; k++)
        if (use(ip, op, k, &mem[k])) return DL_FAILURE;
    const int64_t *saved_point = ip->point;
    unsigned saved_rank = ip->point_rank;
    ip->point = point;
    ip->point_rank = (unsigned)n;
    dl_status st = DL_OK;
    for (;;) {
        for (unsigned k = 0; k < op->num_operands && !st; k++) {
            if (!dl_value_has_uses(body->args[k])) continue;
            const dl_affine_map *m = maps->u.array.elems[k]->u.map;
            for (unsigned r = 0; r < m->num_results; r++)
                idx[r] = dl_affine_expr_eval(m->results[r], point, NULL);
            int64_t step;
            char *p;
            const dl_value *mv = dl_operand(op, k);
            st = address(op, mv, mem[k], idx, 0, &p, &step);
            if (st) break;
            slot *a = def(ip, body->args[k]);
            a->lanes = 0;
            a->s = ip_load_scalar(p, mv->type->elem->kind);
        }
        dl_op *y = NULL;
        if (!st) st = exec_block(ip, body, &y);
        if (!st && (!y || y->kind != DL_OP_kernel_yield))
            st = dl_op_error(op, "interpreter: body must end with 'kernel.yield'");
        for (unsigned i = 0; !st && i < y->num_operands; i++) {
            unsigned k = (unsigned)num_inputs + i;
            const dl_affine_map *m = maps->u.array.elems[k]->u.map;
            for (unsigned r = 0; r < m->num_results; r++)
                idx[r] = dl_affine_expr_eval(m->results[r], point, NULL);
            int64_t step;
            char *p;
            slot *v;
            const dl_value *mv = dl_operand(op, k);
            st = use(ip, y, i, &v);
            if (!st) st = address(op, mv, mem[k], idx, 0, &p, &step);
            if (!st) ip_store_scalar(p, mv->type->elem->kind, v->s);
        }
        if (st) break;
        int d = n - 1;
        while (d >= 0 && ++point[d] == dom[d]) point[d--] = 0;
        if (d < 0) break;
    }
    ip->point = saved_point;
    ip->point_rank = saved_rank;
    return st;
}

static dl_status exec_op(interp *ip, dl_op *op) {
    switch (op->kind) {
    case DL_OP_kernel_alloc:
    case DL_OP_kernel_global:
    case DL_OP_kernel_view:
    case DL_OP_loop_alloca: return exec_memory_def(ip, op);
    case DL_OP_kernel_generic: return exec_generic(ip, op);
    case DL_OP_kernel_index: {
        int64_t d = dl_op_attr_int(op, "dim", -1);
        if (!ip->point || d < 0 || d >= (int64_t)ip->point_rank)
            return dl_op_error(op, "interpreter: kernel.index outside a kernel.generic");
        slot *r = def(ip, &op->results[0]);
        r->lanes = 0;
        r->s.i = ip->point[d];
        return DL_OK;
    }
    case DL_OP_kernel_load:
    case DL_OP_loop_load: return exec_load(ip, op);
    case DL_OP_kernel_store:
    case DL_OP_loop_store: return exec_store(ip, op);
    case DL_OP_loop_for:
    case DL_OP_loop_parallel: return exec_loop(ip, op);
    case DL_OP_loop_if: return exec_if(ip, op);
    case DL_OP_loop_while: return exec_while(ip, op);
    default: break;
    }
    if (strcmp(dl_op_info_of(op)->dialect, "arith") == 0) return exec_arith(ip, op);
    return dl_op_error(op, "interpreter: cannot execute '%s'", dl_op_info_of(op)->name);
}

/* Runs b's ops up to its terminator (returned in *term, NULL if none); memory allocated in
 * b is released when it ends. */
static dl_status exec_block(interp *ip, dl_block *b, dl_op **term) {
    size_t mark = ip->num_allocs;
    *term = NULL;
    dl_status st = DL_OK;
    for (dl_op *o = b->first; o && !st; o = o->next) {
        if (dl_op_has_trait(o, DL_TRAIT_TERMINATOR)) {
            *term = o;
            break;
        }
        st = exec_op(ip, o);
    }
    release_to(ip, mark);
    return st;
}

dl_status dl_interp_run(dl_op *func, void *const *buffers) {
    return dl_interp_run_opts(func, buffers, NULL);
}

dl_status dl_interp_run_opts(dl_op *func, void *const *buffers, const dl_interp_options *options) {
    if (func->kind != DL_OP_builtin_func)
        return dl_op_error(func, "interpreter: expected a builtin.func");
    interp ip = {.ctx = func->ctx};
    if (options) ip.opts = *options;
    dl_block *entry = dl_func_entry(func);
    dl_status st = DL_OK;
    for (unsigned i = 0; i < entry->num_args && !st; i++) {
        const dl_value *a = entry->args[i];
        slot *s = def(&ip, a);
        if (a->type->kind == DL_TY_MEMREF) {
            s->base = buffers[i];
        } else if (dl_type_is_scalar(a->type)) {
            s->s = ip_load_scalar(buffers[i], a->type->kind);
        } else {
            st = dl_op_error(func, "interpreter: argument %u has unsupported type %s", i,
                             dl_type_str(func->ctx, a->type));
        }
    }
    dl_op *term = NULL;
    if (!st) st = exec_block(&ip, entry, &term);
    if (!st && (!term || term->kind != DL_OP_builtin_return))
        st = dl_op_error(func, "interpreter: function must end with 'builtin.return'");
    release_to(&ip, 0);
    for (size_t i = 0; i < ip.cap; i++)
        if (ip.table[i]) {
            free(ip.table[i]->vec);
            free(ip.table[i]);
        }
    free(ip.table);
    free(ip.allocs);
    return st;
}
