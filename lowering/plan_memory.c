/* plan_memory.c: the plan-memory pass: places every top-level kernel.alloc of `main` in one
 * arena by liveness. The top-level ops of main are the steps (a kernel.generic at kernel level,
 * a whole loop nest at loop level); a buffer is live from the first to the last step that uses
 * it or a view of it. Buffers are placed greedily, largest first, each at the best-fitting
 * 64-byte aligned gap among the buffers whose live ranges overlap it. A generic marked
 * `inplace = [k]` may write its output into the buffer of its input k when that input dies
 * there. Every alloc becomes `kernel.view(%arena) {offset = BYTES}` of a new last argument
 * `memref<Nxi8>`, and the func attribute `arena_bytes` states N. */
#include "dlcc/pass.h"

#include <stdlib.h>
#include <string.h>

enum { ALIGN = 64 };

typedef struct buffer {
    dl_op *alloc;
    int64_t size;     /* bytes, rounded up to ALIGN */
    long first, last; /* live steps; first > last when unused */
    int parent;       /* union-find: buffers sharing memory through in-place reuse */
    int64_t offset;
} buffer;

typedef struct step {
    dl_op *op;
    long index;
} step;

typedef struct plan {
    dl_context *ctx;
    dl_op **steps; /* top-level ops in order */
    size_t num_steps;
    step *sorted; /* the same with their indices, sorted by address, for lookups */
    buffer *bufs;
    int num_bufs;
} plan;

static int cmp_step(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const step *)a)->op, y = (uintptr_t)((const step *)b)->op;
    return x < y ? -1 : x > y;
}

/* Step index of a top-level op, or -1. */
static long step_of(const plan *p, dl_op *top) {
    step key = {top, 0};
    step *hit = bsearch(&key, p->sorted, p->num_steps, sizeof(step), cmp_step);
    return hit ? hit->index : -1;
}

/* The ancestor of op that sits directly in the function body. */
static dl_op *top_level(dl_op *op, dl_op *func) {
    for (dl_op *p = dl_op_parent(op); p && p != func; p = dl_op_parent(p)) op = p;
    return op;
}

static int64_t bytes_of(const dl_type *t) {
    int64_t n = dl_type_num_elements(t);
    return n < 0 ? -1 : n * (int64_t)dl_scalar_size(t->elem->kind);
}

/* Extends b's live range by every use of v and, through views, of the values aliasing it. */
static void add_uses(plan *p, dl_op *func, buffer *b, dl_value *v) {
    for (dl_use *u = v->uses; u; u = u->next) {
        if (u->owner->kind == DL_OP_kernel_view) {
            add_uses(p, func, b, dl_result(u->owner, 0));
            continue;
        }
        long s = step_of(p, top_level(u->owner, func));
        if (s < 0) continue;
        if (b->first > b->last) {
            b->first = b->last = s;
        } else {
            if (s < b->first) b->first = s;
            if (s > b->last) b->last = s;
        }
    }
}

static int find(plan *p, int i) {
    while (p->bufs[i].parent != i) i = p->bufs[i].parent = p->bufs[p->bufs[i].parent].parent;
    return i;
}

/* The buffer whose alloc v is, or whose whole memory v views (offset 0, same size); -1. */
static int whole_buffer(plan *p, dl_value *v) {
    int64_t size = bytes_of(v->type);
    while (v->def && v->def->kind == DL_OP_kernel_view && dl_op_attr_int(v->def, "offset", -1) == 0)
        v = dl_operand(v->def, 0);
    if (!v->def || v->def->kind != DL_OP_kernel_alloc || bytes_of(v->type) != size) return -1;
    for (int i = 0; i < p->num_bufs; i++)
        if (p->bufs[i].alloc == v->def) return i;
    return -1;
}

/* In-place reuse: a step marked `inplace = [k]` writes output 0 into input k's buffer when
 * that input's (merged) range ends at the step and the output's starts there. */
static void merge_inplace(plan *p) {
    for (size_t s = 0; s < p->num_steps; s++) {
        dl_op *op = p->steps[s];
        int64_t in[16];
        int n = dl_op_attr(op, "inplace") ? dl_op_attr_ints(op, "inplace", in, 16) : 0;
        int64_t ni = dl_op_attr_int(op, "num_inputs", -1);
        if (op->kind != DL_OP_kernel_generic || n <= 0 || ni < 0 || ni >= op->num_operands)
            continue;
        int o = whole_buffer(p, dl_operand(op, (unsigned)ni));
        if (o < 0 || find(p, o) != o || p->bufs[o].first != (long)s) continue;
        for (int i = 0; i < n && i < 16; i++) {
            if (in[i] < 0 || in[i] >= ni) continue;
            int b = whole_buffer(p, dl_operand(op, (unsigned)in[i]));
            if (b < 0) continue;
            b = find(p, b);
            if (b == o || p->bufs[b].last != (long)s || p->bufs[b].size != p->bufs[o].size)
                continue;
            p->bufs[o].parent = b;
            p->bufs[b].last = p->bufs[o].last;
            break;
        }
    }
}

static int by_size(const void *a, const void *b) {
    const buffer *x = *(buffer *const *)a, *y = *(buffer *const *)b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

static int by_offset(const void *a, const void *b) {
    const buffer *x = *(buffer *const *)a, *y = *(buffer *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static bool overlaps(const buffer *a, const buffer *b) {
    return a->first <= b->last && b->first <= a->last;
}

/* Greedy by size with best fit; returns the arena size. */
static int64_t place(plan *p) {
    int n = 0;
    buffer **roots = calloc((size_t)p->num_bufs + 1, sizeof(buffer *));
    buffer **placed = calloc((size_t)p->num_bufs + 1, sizeof(buffer *));
    for (int i = 0; i < p->num_bufs; i++)
        if (find(p, i) == i) roots[n++] = &p->bufs[i];
    qsort(roots, (size_t)n, sizeof(buffer *), by_size);
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        buffer *b = roots[i];
        int k = 0;
        for (int j = 0; j < i; j++)
            if (overlaps(roots[j], b)) placed[k++] = roots[j];
        qsort(placed, (size_t)k, sizeof(buffer *), by_offset);
        int64_t best = -1, best_gap = INT64_MAX, at = 0;
        for (int j = 0; j < k; j++) {
            int64_t gap = placed[j]->offset - at;
            if (gap >= b->size && gap < best_gap) best = at, best_gap = gap;
            if (placed[j]->offset + placed[j]->size > at) at = placed[j]->offset + placed[j]->size;
        }
        b->offset = best >= 0 ? best : at;
        if (b->offset + b->size > total) total = b->offset + b->size;
    }
    free(roots);
    free(placed);
    return total;
}

static dl_status plan_func(dl_op *func) {
    dl_context *ctx = func->ctx;
    if (dl_op_attr(func, "arena_bytes")) return DL_OK; /* already planned */
    dl_block *entry = dl_func_entry(func);
    plan p = {.ctx = ctx};
    for (dl_op *op = entry->first; op; op = op->next) p.num_steps++;
    p.steps = calloc(p.num_steps + 1, sizeof(dl_op *));
    p.sorted = calloc(p.num_steps + 1, sizeof(step));
    size_t i = 0;
    for (dl_op *op = entry->first; op; op = op->next, i++) {
        p.steps[i] = op;
        p.sorted[i] = (step){op, (long)i};
        if (op->kind == DL_OP_kernel_alloc) p.num_bufs++;
    }
    qsort(p.sorted, p.num_steps, sizeof(step), cmp_step);
    p.bufs = calloc((size_t)p.num_bufs + 1, sizeof(buffer));
    int nb = 0;
    dl_status st = DL_OK;
    for (dl_op *op = entry->first; op; op = op->next) {
        if (op->kind != DL_OP_kernel_alloc) continue;
        buffer *b = &p.bufs[nb];
        int64_t bytes = bytes_of(op->results[0].type);
        if (bytes < 0 || bytes > INT64_MAX / 4) {
            st = dl_op_error(op, "buffer size is not a static, representable number of bytes");
            break;
        }
        *b = (buffer){.alloc = op,
                      .size = (bytes + ALIGN - 1) / ALIGN * ALIGN,
                      .first = 1,
                      .last = 0,
                      .parent = nb};
        add_uses(&p, func, b, dl_result(op, 0));
        if (b->first > b->last) b->first = b->last = step_of(&p, op);
        nb++;
    }
    int64_t total = 0;
    if (!st) {
        merge_inplace(&p);
        total = place(&p);
        const dl_type *at = dl_type_memref(ctx, dl_type_scalar(ctx, DL_TY_I8), 1, &total, NULL, 0);
        dl_value *arena = dl_block_add_arg(ctx, entry, at);
        arena->name = dl_intern(ctx, "arena");
        const dl_type *ft = dl_func_type(func);
        const dl_type **ins = DL_NEW_ARRAY(ctx, const dl_type *, ft->num_inputs + 1);
        for (unsigned k = 0; k < ft->num_inputs; k++) ins[k] = ft->inputs[k];
        ins[ft->num_inputs] = at;
        dl_op_set_attr(func, "function_type",
                       dl_attr_type(ctx, dl_type_func(ctx, ft->num_inputs + 1, ins, ft->num_results,
                                                      ft->results)));
        dl_op_set_attr(func, "arena_bytes", dl_attr_int(ctx, total));
        for (int k = 0; k < nb; k++) {
            dl_op *a = p.bufs[k].alloc;
            dl_builder b = dl_builder_before(a);
            dl_value *v = dl_build1(&b, DL_OP_kernel_view, 1, &arena, a->results[0].type);
            dl_op_set_attr(v->def, "offset", dl_attr_int(ctx, p.bufs[find(&p, k)].offset));
            v->name = a->results[0].name;
            dl_value_replace_all_uses(dl_result(a, 0), v);
            dl_op_erase(a);
        }
    }
    free(p.steps);
    free(p.sorted);
    free(p.bufs);
    return st;
}

dl_status dl_pass_plan_memory(dl_op *module, const dl_pass_options *options) {
    (void)options;
    dl_op *func = dl_module_lookup_func(module, "main");
    if (!func) return dl_op_error(module, "plan-memory needs a function named 'main'");
    return plan_func(func);
}
