/* scop.c: the polyhedral model of a kernel-level function: top-level definitions (hoisted),
 * root arrays, and one ISL statement per kernel.generic (or opaque top-level op) with its
 * iteration domain and its read / write access relations. */
#include "sched.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- Classifying top-level ops ---------------------------------------------------------- */

static bool is_memory_def(const dl_op *op) {
    return op->kind == DL_OP_kernel_alloc || op->kind == DL_OP_kernel_global ||
           op->kind == DL_OP_kernel_view || op->kind == DL_OP_loop_alloca;
}

/* True if v is a function argument or the result of an op already classified as a def. */
static bool defined_early(const dl_value *v, const dl_value_map *defs) {
    return !v->def || dl_value_map_get(defs, v) != NULL;
}

/* A definition has no effect on memory and only needs earlier definitions: memory defs and
 * region-free pure ops over definitions. */
static bool is_definition(const dl_op *op, const dl_value_map *defs) {
    if (is_memory_def(op))
        return op->kind != DL_OP_kernel_view || defined_early(dl_operand(op, 0), defs);
    if (!dl_op_has_trait(op, DL_TRAIT_PURE) || op->num_regions) return false;
    for (unsigned i = 0; i < op->num_operands; i++)
        if (!defined_early(dl_operand(op, i), defs)) return false;
    return true;
}

/* ---- Arrays ------------------------------------------------------------------------------ */

static const dl_value *root_of(const dl_value *v) {
    while (v->def && v->def->kind == DL_OP_kernel_view) v = dl_operand(v->def, 0);
    return v;
}

/* Byte offset of view v from its root's base. */
static int64_t view_offset(const dl_value *v) {
    int64_t off = 0;
    while (v->def && v->def->kind == DL_OP_kernel_view) {
        off += dl_op_attr_int(v->def, "offset", 0);
        v = dl_operand(v->def, 0);
    }
    return off;
}

/* Element strides of a static memref layout; false when it is not static. */
static bool layout(const dl_type *t, int64_t *strides) {
    return t->rank <= SCHED_MAX_DIMS && dl_memref_strides(t, strides);
}

static size_t esize(const dl_type *t) {
    return dl_scalar_size(t->elem->kind);
}

/* The array of v's root, created on first use; its mode is refined by each access. */
static int array_of(sched_scop *scop, const dl_value *v) {
    const dl_value *root = root_of(v);
    int a = 0;
    while (a < scop->num_arrays && scop->arrays[a].root != root) a++;
    if (a == scop->num_arrays) {
        scop->arrays = realloc(scop->arrays, sizeof *scop->arrays * (size_t)(a + 1));
        DL_ASSERT(scop->arrays);
        sched_array *arr = &scop->arrays[a];
        arr->root = root;
        snprintf(arr->name, sizeof arr->name, "A%d", a);
        int64_t strides[SCHED_MAX_DIMS];
        arr->mode = root->type->kind != DL_TY_MEMREF                      ? SCHED_ARRAY_OPAQUE
                    : root->type->strides && !layout(root->type, strides) ? SCHED_ARRAY_OPAQUE
                                                                          : SCHED_ARRAY_MULTI;
        scop->num_arrays++;
    }
    sched_array *arr = &scop->arrays[a];
    if (v == root || arr->mode == SCHED_ARRAY_OPAQUE) return a;
    int64_t strides[SCHED_MAX_DIMS];
    if (!layout(root->type, strides) || !layout(v->type, strides)) {
        arr->mode = SCHED_ARRAY_OPAQUE;
    } else if (esize(v->type) != esize(root->type) ||
               view_offset(v) % (int64_t)esize(root->type) != 0) {
        arr->mode = SCHED_ARRAY_BYTES;
    } else if (arr->mode == SCHED_ARRAY_MULTI) {
        arr->mode = SCHED_ARRAY_LINEAR;
    }
    return a;
}

/* ---- ISL text ---------------------------------------------------------------------------- */

typedef struct text {
    char *data;
    size_t len;
    FILE *f;
} text;

static void text_open(text *t) {
    t->data = NULL;
    t->len = 0;
    t->f = open_memstream(&t->data, &t->len);
    DL_ASSERT(t->f);
}
static char *text_close(text *t) {
    fclose(t->f);
    return t->data;
}

/* Prints "S3[i0, i1]". */
static void print_tuple(FILE *f, const sched_stmt *s) {
    fprintf(f, "%s[", s->name);
    for (int d = 0; d < s->rank; d++) fprintf(f, "%si%d", d ? ", " : "", d);
    fputc(']', f);
}

/* Prints an affine expression in ISL syntax; false if it is not quasi-affine. */
static bool print_aff(FILE *f, const dl_affine_expr *e) {
    switch (e->kind) {
    case DL_AFF_DIM: fprintf(f, "i%lld", (long long)e->value); return true;
    case DL_AFF_CONST: fprintf(f, "(%lld)", (long long)e->value); return true;
    case DL_AFF_ADD:
        fputc('(', f);
        if (!print_aff(f, e->lhs)) return false;
        fputs(" + ", f);
        if (!print_aff(f, e->rhs)) return false;
        fputc(')', f);
        return true;
    case DL_AFF_MUL: { /* ISL wants a bare constant factor: "(-2 * (i0))" */
        const dl_affine_expr *c = e->rhs->kind == DL_AFF_CONST ? e->rhs : e->lhs;
        const dl_affine_expr *x = c == e->rhs ? e->lhs : e->rhs;
        if (c->kind != DL_AFF_CONST) return false;
        fprintf(f, "(%lld * (", (long long)c->value);
        if (!print_aff(f, x)) return false;
        fputs("))", f);
        return true;
    }
    case DL_AFF_FLOORDIV:
    case DL_AFF_CEILDIV:
    case DL_AFF_MOD:
        if (e->rhs->kind != DL_AFF_CONST || e->rhs->value <= 0) return false;
        fputs(e->kind == DL_AFF_FLOORDIV  ? "floor(("
              : e->kind == DL_AFF_CEILDIV ? "ceil(("
                                          : "((",
              f);
        if (!print_aff(f, e->lhs)) return false;
        fprintf(f, e->kind == DL_AFF_MOD ? ") mod %lld)" : ")/%lld)", (long long)e->rhs->value);
        return true;
    default: return false;
    }
}

/* Prints the element of array a that memref v accesses at indices `idx` (affine expressions
 * over the statement's dims). Returns false if it cannot be expressed. */
static bool print_element(FILE *f, const sched_scop *scop, int a, const dl_value *v,
                          const dl_affine_map *map) {
    const sched_array *arr = &scop->arrays[a];
    int64_t strides[SCHED_MAX_DIMS];
    switch (arr->mode) {
    case SCHED_ARRAY_MULTI:
        fprintf(f, "%s[", arr->name);
        for (unsigned r = 0; r < map->num_results; r++) {
            if (r) fputs(", ", f);
            if (!print_aff(f, map->results[r])) return false;
        }
        fputs("]", f);
        return true;
    case SCHED_ARRAY_LINEAR:
    case SCHED_ARRAY_BYTES: {
        if (!layout(v->type, strides)) return false;
        bool bytes = arr->mode == SCHED_ARRAY_BYTES;
        int64_t es = (int64_t)esize(v->type);
        int64_t base = bytes ? view_offset(v) + v->type->offset * es
                             : view_offset(v) / (int64_t)esize(root_of(v)->type) + v->type->offset;
        fprintf(f, "%s[b] : b >= (%lld", arr->name, (long long)base);
        for (unsigned r = 0; r < map->num_results; r++) {
            fprintf(f, " + %lld * (", (long long)(strides[r] * (bytes ? es : 1)));
            if (!print_aff(f, map->results[r])) return false;
            fputc(')', f);
        }
        fprintf(f, ") and b <= (%lld", (long long)(base + (bytes ? es - 1 : 0)));
        for (unsigned r = 0; r < map->num_results; r++) {
            fprintf(f, " + %lld * (", (long long)(strides[r] * (bytes ? es : 1)));
            print_aff(f, map->results[r]);
            fputc(')', f);
        }
        fputs(")", f);
        return true;
    }
    default: return false;
    }
}

/* Prints every element of array a (the range of a may-access). */
static void print_whole(FILE *f, const sched_scop *scop, int a) {
    const sched_array *arr = &scop->arrays[a];
    const dl_type *t = arr->root->type;
    switch (arr->mode) {
    case SCHED_ARRAY_MULTI:
        fprintf(f, "%s[", arr->name);
        for (int r = 0; r < t->rank; r++) fprintf(f, "%sa%d", r ? ", " : "", r);
        fputs("]", f);
        for (int r = 0, first = 1; r < t->rank; r++) {
            if (t->dims[r] == DL_DYN) continue;
            fprintf(f, " %s 0 <= a%d < %lld", first ? ":" : "and", r, (long long)t->dims[r]);
            first = 0;
        }
        break;
    case SCHED_ARRAY_LINEAR:
        fprintf(f, "%s[b] : 0 <= b < %lld", arr->name, (long long)dl_memref_span(t));
        break;
    case SCHED_ARRAY_BYTES:
        fprintf(f, "%s[b] : 0 <= b < %lld", arr->name,
                (long long)(dl_memref_span(t) * (int64_t)esize(t)));
        break;
    case SCHED_ARRAY_OPAQUE: fprintf(f, "%s[]", arr->name); break;
    }
}

/* ---- Accesses ---------------------------------------------------------------------------- */

static void add_access(sched_stmt *s, int array, int operand, bool write, bool must,
                       __isl_take isl_map *rel) {
    s->accesses = realloc(s->accesses, sizeof *s->accesses * (size_t)(s->num_accesses + 1));
    DL_ASSERT(s->accesses);
    rel = isl_map_intersect_domain(rel, isl_set_copy(s->domain));
    s->accesses[s->num_accesses++] = (sched_access){array, operand, write, must, rel};
}

/* A may-access of statement s to the whole array of memref v. */
static void add_whole(sched_scop *scop, sched_stmt *s, const dl_value *v, bool write) {
    int a = array_of(scop, v);
    text t;
    text_open(&t);
    fputs("{ ", t.f);
    print_tuple(t.f, s);
    fputs(" -> ", t.f);
    print_whole(t.f, scop, a);
    fputs(" }", t.f);
    char *str = text_close(&t);
    isl_map *rel = isl_map_read_from_str(scop->ctx, str);
    free(str);
    DL_ASSERT(rel);
    add_access(s, a, -1, write, false, rel);
}

/* The access of s to memref v at map (an exact relation when possible, else a may-access to
 * the whole array). */
static void add_mapped(sched_scop *scop, sched_stmt *s, int operand, const dl_value *v,
                       const dl_affine_map *map, bool write) {
    int a = array_of(scop, v);
    text t;
    text_open(&t);
    fputs("{ ", t.f);
    print_tuple(t.f, s);
    fputs(" -> ", t.f);
    bool ok = print_element(t.f, scop, a, v, map);
    fputs(" }", t.f);
    char *str = text_close(&t);
    isl_map *rel = ok ? isl_map_read_from_str(scop->ctx, str) : NULL;
    if (ok && !rel) /* a modelling bug: the access is still handled, conservatively */
        dl_emit(s->op->ctx, DL_SEV_WARNING, s->op->loc,
                "schedule: ISL rejected access relation '%s'; treating it as a may-access", str);
    free(str);
    if (!rel) {
        add_whole(scop, s, v, write);
        s->accesses[s->num_accesses - 1].operand = operand;
        return;
    }
    add_access(s, a, operand, write, true, rel);
}

/* True if v is defined inside op (a local buffer of the statement). */
static bool defined_inside(const dl_value *v, const dl_op *op) {
    const dl_op *d = v->def;
    if (!d && v->block && v->block->region) d = v->block->region->op;
    for (; d; d = dl_op_parent(d))
        if (d == op) return true;
    return false;
}

typedef struct walk_ctx {
    sched_scop *scop;
    sched_stmt *stmt;
} walk_ctx;

/* Body / opaque ops: kernel.load and kernel.store are may-accesses of their buffer; any other
 * memref operand may be read and written. */
static dl_walk_result collect_may(dl_op *op, void *user) {
    walk_ctx *w = user;
    if (op == w->stmt->op && op->kind == DL_OP_kernel_generic) return DL_WALK_ADVANCE;
    for (unsigned i = 0; i < op->num_operands; i++) {
        const dl_value *v = dl_operand(op, i);
        if (v->type->kind != DL_TY_MEMREF || defined_inside(root_of(v), w->stmt->op)) continue;
        bool load = op->kind == DL_OP_kernel_load || op->kind == DL_OP_loop_load;
        bool store = op->kind == DL_OP_kernel_store || op->kind == DL_OP_loop_store;
        if (!store) add_whole(w->scop, w->stmt, v, false);
        if (!load) add_whole(w->scop, w->stmt, v, true);
    }
    return DL_WALK_ADVANCE;
}

static dl_status build_generic(sched_scop *scop, sched_stmt *s) {
    dl_op *op = s->op;
    const dl_attr *maps = dl_op_attr(op, "maps"), *iters = dl_op_attr(op, "iterators");
    int n = dl_op_attr_ints(op, "domain", s->extents, SCHED_MAX_DIMS);
    if (n < 0 || n > SCHED_MAX_DIMS || !maps || !iters)
        return dl_op_error(op, "schedule: malformed kernel.generic");
    s->rank = n;
    for (int d = 0; d < n; d++)
        s->reduction[d] = strcmp(iters->u.array.elems[d]->u.str.data, "reduction") == 0;
    unsigned num_inputs = (unsigned)dl_op_attr_int(op, "num_inputs", 0);
    dl_block *body = dl_op_region(op, 0)->first;
    dl_op *yield = body->last;
    for (unsigned k = 0; k < op->num_operands; k++) {
        const dl_affine_map *map = maps->u.array.elems[k]->u.map;
        if (dl_value_has_uses(body->args[k]))
            add_mapped(scop, s, (int)k, dl_operand(op, k), map, false);
        if (k >= num_inputs && yield->num_operands)
            add_mapped(scop, s, (int)k, dl_operand(op, k), map, true);
    }
    walk_ctx w = {scop, s};
    dl_walk(op, collect_may, &w);
    return DL_OK;
}

/* ---- The scop ---------------------------------------------------------------------------- */

static __isl_give isl_set *box_domain(isl_ctx *ctx, const sched_stmt *s) {
    text t;
    text_open(&t);
    fputs("{ ", t.f);
    print_tuple(t.f, s);
    for (int d = 0; d < s->rank; d++)
        fprintf(t.f, " %s 0 <= i%d < %lld", d ? "and" : ":", d, (long long)s->extents[d]);
    fputs(" }", t.f);
    char *str = text_close(&t);
    isl_set *set = isl_set_read_from_str(ctx, str);
    free(str);
    return set;
}

int sched_stmt_index(const sched_scop *scop, const char *name) {
    if (!name || name[0] != 'S') return -1;
    char *end;
    long i = strtol(name + 1, &end, 10);
    return *end || i < 0 || i >= scop->num_stmts ? -1 : (int)i;
}

__isl_give isl_multi_union_pw_aff *sched_stmt_band(const sched_scop *scop, int s, const int *dims,
                                                   int n) {
    const sched_stmt *st = &scop->stmts[s];
    text t;
    text_open(&t);
    fputc('[', t.f);
    for (int m = 0; m < n; m++) {
        fputs(m ? ", { " : "{ ", t.f);
        print_tuple(t.f, st);
        fprintf(t.f, " -> [(i%d)] }", dims[m]);
    }
    fputc(']', t.f);
    char *str = text_close(&t);
    isl_multi_union_pw_aff *mupa = isl_multi_union_pw_aff_read_from_str(scop->ctx, str);
    free(str);
    return mupa;
}

/* Program order: a sequence of statements, each with its loops in their original order. */
/* Statements lo..hi-1 in program order. The halves are built apart and joined: appending
 * statements one by one copies the growing sequence each time (quadratic in the statements). */
static __isl_give isl_schedule *program_order_range(const sched_scop *scop, int lo, int hi) {
    if (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        return isl_schedule_sequence(program_order_range(scop, lo, mid),
                                     program_order_range(scop, mid, hi));
    }
    const sched_stmt *s = &scop->stmts[lo];
    isl_schedule *one = isl_schedule_from_domain(isl_union_set_from_set(isl_set_copy(s->domain)));
    if (s->rank) {
        int dims[SCHED_MAX_DIMS];
        for (int d = 0; d < s->rank; d++) dims[d] = d;
        one = isl_schedule_insert_partial_schedule(one, sched_stmt_band(scop, lo, dims, s->rank));
    }
    return one;
}

static __isl_give isl_schedule *program_order(const sched_scop *scop) {
    return scop->num_stmts ? program_order_range(scop, 0, scop->num_stmts) : NULL;
}

/* Statement u defines a value that statement s uses: s must follow all of u. */
static __isl_give isl_union_map *ssa_dependences(const sched_scop *scop) {
    isl_union_map *deps = isl_union_map_empty(isl_space_params_alloc(scop->ctx, 0));
    for (int i = 0; i < scop->num_stmts; i++) {
        const sched_stmt *s = &scop->stmts[i];
        size_t count;
        dl_op **ops = dl_collect_ops(s->op, &count);
        for (size_t j = 0; j <= count; j++) {
            dl_op *o = j < count ? ops[j] : s->op;
            for (unsigned k = 0; k < o->num_operands; k++) {
                const dl_op *d = dl_operand(o, k)->def;
                for (int u = 0; d && d->block == s->op->block && u < i; u++) {
                    if (scop->stmts[u].op != d) continue;
                    isl_map *m = isl_map_from_domain_and_range(isl_set_copy(scop->stmts[u].domain),
                                                               isl_set_copy(s->domain));
                    deps = isl_union_map_union(deps, isl_union_map_from_map(m));
                }
            }
        }
    }
    return deps;
}

dl_status sched_scop_build(sched_scop *scop, isl_ctx *ctx, dl_op *func) {
    memset(scop, 0, sizeof *scop);
    scop->ctx = ctx;
    scop->func = func;
    dl_block *entry = dl_func_entry(func);
    size_t n = 0;
    for (dl_op *o = entry->first; o; o = o->next) n++;
    scop->defs = calloc(n + 1, sizeof *scop->defs);
    scop->stmts = calloc(n + 1, sizeof *scop->stmts);
    DL_ASSERT(scop->defs && scop->stmts);
    dl_value_map *defs = dl_value_map_create(func->ctx);
    for (dl_op *o = entry->first; o; o = o->next) {
        if (dl_op_has_trait(o, DL_TRAIT_TERMINATOR)) continue;
        if (is_definition(o, defs)) {
            scop->defs[scop->num_defs++] = o;
            for (unsigned i = 0; i < o->num_results; i++)
                dl_value_map_set(defs, &o->results[i], &o->results[i]);
            continue;
        }
        sched_stmt *s = &scop->stmts[scop->num_stmts];
        s->op = o;
        s->generic = o->kind == DL_OP_kernel_generic;
        s->group = -1;
        snprintf(s->name, sizeof s->name, "S%d", scop->num_stmts);
        scop->num_stmts++;
    }
    dl_value_map_destroy(defs);

    /* Arrays first (their modes depend on every access), then domains and accesses. */
    for (int i = 0; i < scop->num_stmts; i++) {
        sched_stmt *s = &scop->stmts[i];
        size_t count;
        dl_op **ops = dl_collect_ops(s->op, &count);
        for (size_t j = 0; j <= count; j++) {
            dl_op *o = j < count ? ops[j] : s->op;
            for (unsigned k = 0; k < o->num_operands; k++)
                if (dl_operand(o, k)->type->kind == DL_TY_MEMREF &&
                    !defined_inside(root_of(dl_operand(o, k)), s->op))
                    array_of(scop, dl_operand(o, k));
        }
    }
    for (int i = 0; i < scop->num_stmts; i++) {
        sched_stmt *s = &scop->stmts[i];
        if (s->generic) {
            s->rank = dl_op_attr_ints(s->op, "domain", s->extents, SCHED_MAX_DIMS);
            if (s->rank < 0 || s->rank > SCHED_MAX_DIMS)
                return dl_op_error(s->op, "schedule: malformed kernel.generic");
        }
        s->domain = box_domain(ctx, s);
        if (!s->domain) return dl_op_error(s->op, "schedule: cannot build the iteration domain");
        s->instances = 1;
        for (int d = 0; d < s->rank; d++)
            s->instances = s->extents[d] && s->instances > INT64_MAX / 4 / s->extents[d]
                               ? INT64_MAX / 4
                               : s->instances * s->extents[d];
        if (s->generic) {
            if (build_generic(scop, s)) return DL_FAILURE;
        } else {
            if (dl_op_has_trait(s->op, DL_TRAIT_ISOLATED))
                return dl_op_error(s->op, "schedule: unexpected isolated op in a function body");
            walk_ctx w = {scop, s};
            dl_walk(s->op, collect_may, &w);
        }
    }

    scop->ssa_deps = ssa_dependences(scop);
    scop->original = program_order(scop);
    return DL_OK;
}

void sched_scop_free(sched_scop *scop) {
    for (int i = 0; i < scop->num_stmts; i++) {
        sched_stmt *s = &scop->stmts[i];
        isl_set_free(s->domain);
        for (int j = 0; j < s->num_accesses; j++) isl_map_free(s->accesses[j].rel);
        free(s->accesses);
        isl_pw_multi_aff_free(s->shared);
    }
    for (int g = 0; g < scop->num_groups; g++) {
        free(scop->groups[g].members);
        sched_mk_free(scop->groups[g].mk);
    }
    free(scop->groups);
    free(scop->packed);
    free(scop->stmts);
    free(scop->defs);
    free(scop->arrays);
    isl_union_map_free(scop->deps);
    isl_union_map_free(scop->ssa_deps);
    for (int i = 0; scop->deps_from && i < scop->num_stmts; i++)
        isl_union_map_free(scop->deps_from[i]);
    free(scop->deps_from);
    free(scop->dep_pairs);
    isl_schedule_free(scop->original);
    memset(scop, 0, sizeof *scop);
}
