/* ops.c: creating, editing and linking operations, values, blocks and regions. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static void use_link(dl_use *u, dl_value *v) {
    u->value = v;
    if (!v) return;
    u->next = v->uses;
    if (v->uses) v->uses->pprev = &u->next;
    u->pprev = &v->uses;
    v->uses = u;
}

static void use_unlink(dl_use *u) {
    if (!u->value) return;
    *u->pprev = u->next;
    if (u->next) u->next->pprev = u->pprev;
    u->value = NULL;
    u->next = NULL;
    u->pprev = NULL;
}

dl_op *dl_op_create(dl_context *ctx, dl_op_kind kind, dl_loc loc, unsigned num_operands,
                    dl_value *const *operands, unsigned num_results,
                    const dl_type *const *result_types, unsigned num_regions) {
    DL_ASSERT(kind < DL_OP__COUNT);
    dl_op *op = DL_NEW(ctx, dl_op);
    op->kind = kind;
    op->ctx = ctx;
    op->loc = loc;
    op->num_operands = num_operands;
    op->operands = DL_NEW_ARRAY(ctx, dl_use, num_operands ? num_operands : 1);
    for (unsigned i = 0; i < num_operands; i++) {
        op->operands[i].owner = op;
        op->operands[i].index = i;
        use_link(&op->operands[i], operands[i]);
    }
    op->num_results = num_results;
    op->results = DL_NEW_ARRAY(ctx, dl_value, num_results ? num_results : 1);
    for (unsigned i = 0; i < num_results; i++) {
        op->results[i].type = result_types[i];
        op->results[i].def = op;
        op->results[i].index = i;
    }
    op->num_regions = num_regions;
    op->regions = DL_NEW_ARRAY(ctx, dl_region, num_regions ? num_regions : 1);
    for (unsigned i = 0; i < num_regions; i++) op->regions[i].op = op;
    return op;
}

dl_op *dl_op_parent(const dl_op *op) {
    return op->block && op->block->region ? op->block->region->op : NULL;
}

dl_block *dl_op_body(dl_op *op, unsigned i) {
    DL_ASSERT(i < op->num_regions);
    dl_region *r = &op->regions[i];
    if (!r->first) dl_region_append(r, dl_block_create(op->ctx));
    return r->first;
}

/* ---- Attributes ---- */

static int find_attr(const dl_op *op, const char *name) {
    for (unsigned i = 0; i < op->num_attrs; i++)
        if (strcmp(op->attrs[i].name, name) == 0) return (int)i;
    return -1;
}

const dl_attr *dl_op_attr(const dl_op *op, const char *name) {
    int i = find_attr(op, name);
    return i < 0 ? NULL : op->attrs[i].attr;
}

void dl_op_set_attr(dl_op *op, const char *name, const dl_attr *attr) {
    DL_ASSERT(attr);
    int i = find_attr(op, name);
    if (i >= 0) {
        op->attrs[i].attr = attr;
        return;
    }
    if (op->num_attrs == op->cap_attrs) {
        unsigned cap = op->cap_attrs ? op->cap_attrs * 2 : 4;
        dl_named_attr *a = DL_NEW_ARRAY(op->ctx, dl_named_attr, cap);
        if (op->num_attrs) memcpy(a, op->attrs, sizeof(*a) * op->num_attrs);
        op->attrs = a;
        op->cap_attrs = cap;
    }
    name = dl_intern(op->ctx, name);
    unsigned pos = op->num_attrs;
    while (pos > 0 && strcmp(op->attrs[pos - 1].name, name) > 0) {
        op->attrs[pos] = op->attrs[pos - 1];
        pos--;
    }
    op->attrs[pos] = (dl_named_attr){name, attr};
    op->num_attrs++;
}

void dl_op_remove_attr(dl_op *op, const char *name) {
    int i = find_attr(op, name);
    if (i < 0) return;
    memmove(&op->attrs[i], &op->attrs[i + 1],
            sizeof(dl_named_attr) * (op->num_attrs - (unsigned)i - 1));
    op->num_attrs--;
}

int64_t dl_op_attr_int(const dl_op *op, const char *name, int64_t dflt) {
    const dl_attr *a = dl_op_attr(op, name);
    if (a && a->kind == DL_ATTR_INT) return a->u.i;
    if (a && a->kind == DL_ATTR_BOOL) return a->u.b;
    return dflt;
}

double dl_op_attr_float(const dl_op *op, const char *name, double dflt) {
    const dl_attr *a = dl_op_attr(op, name);
    if (a && a->kind == DL_ATTR_FLOAT) return a->u.f;
    if (a && a->kind == DL_ATTR_INT) return (double)a->u.i;
    return dflt;
}

const char *dl_op_attr_str(const dl_op *op, const char *name, const char *dflt) {
    const dl_attr *a = dl_op_attr(op, name);
    return a && a->kind == DL_ATTR_STRING ? a->u.str.data : dflt;
}

int dl_op_attr_ints(const dl_op *op, const char *name, int64_t *out, int max) {
    const dl_attr *a = dl_op_attr(op, name);
    if (!a || a->kind != DL_ATTR_ARRAY) return -1;
    int n = (int)a->u.array.n;
    for (int i = 0; i < n && i < max; i++) {
        const dl_attr *e = a->u.array.elems[i];
        out[i] = e->kind == DL_ATTR_INT ? e->u.i : e->kind == DL_ATTR_FLOAT ? (int64_t)e->u.f : 0;
    }
    return n;
}

/* ---- Operands and uses ---- */

void dl_op_set_operand(dl_op *op, unsigned i, dl_value *v) {
    DL_ASSERT(i < op->num_operands);
    use_unlink(&op->operands[i]);
    use_link(&op->operands[i], v);
}

void dl_op_set_operands(dl_op *op, unsigned n, dl_value *const *vals) {
    for (unsigned i = 0; i < op->num_operands; i++) use_unlink(&op->operands[i]);
    if (n > op->num_operands) op->operands = DL_NEW_ARRAY(op->ctx, dl_use, n);
    op->num_operands = n;
    for (unsigned i = 0; i < n; i++) {
        op->operands[i] = (dl_use){.owner = op, .index = i};
        use_link(&op->operands[i], vals[i]);
    }
}

void dl_op_set_result_type(dl_op *op, unsigned i, const dl_type *t) {
    DL_ASSERT(i < op->num_results);
    op->results[i].type = t;
}

void dl_value_replace_all_uses(dl_value *from, dl_value *to) {
    if (from == to) return;
    while (from->uses) {
        dl_use *u = from->uses;
        use_unlink(u);
        use_link(u, to);
    }
}

void dl_op_replace_uses(dl_op *op, dl_value *const *vals) {
    for (unsigned i = 0; i < op->num_results; i++)
        dl_value_replace_all_uses(&op->results[i], vals[i]);
}

unsigned dl_value_num_uses(const dl_value *v) {
    unsigned n = 0;
    for (const dl_use *u = v->uses; u; u = u->next) n++;
    return n;
}

bool dl_op_results_unused(const dl_op *op) {
    for (unsigned i = 0; i < op->num_results; i++)
        if (op->results[i].uses) return false;
    return true;
}

/* ---- Blocks and linking ---- */

dl_block *dl_block_create(dl_context *ctx) {
    return DL_NEW(ctx, dl_block);
}

dl_value *dl_block_add_arg(dl_context *ctx, dl_block *b, const dl_type *t) {
    if (b->num_args == b->cap_args) {
        unsigned cap = b->cap_args ? b->cap_args * 2 : 4;
        dl_value **args = DL_NEW_ARRAY(ctx, dl_value *, cap);
        if (b->num_args) memcpy(args, b->args, sizeof(*args) * b->num_args);
        b->args = args;
        b->cap_args = cap;
    }
    dl_value *v = DL_NEW(ctx, dl_value);
    v->type = t;
    v->block = b;
    v->index = b->num_args;
    b->args[b->num_args++] = v;
    return v;
}

void dl_region_append(dl_region *r, dl_block *b) {
    b->region = r;
    b->prev = r->last;
    b->next = NULL;
    if (r->last)
        r->last->next = b;
    else
        r->first = b;
    r->last = b;
}

static void link_between(dl_block *b, dl_op *prev, dl_op *next, dl_op *op) {
    DL_ASSERT(!op->block && "op is already in a block");
    op->block = b;
    op->prev = prev;
    op->next = next;
    if (prev)
        prev->next = op;
    else
        b->first = op;
    if (next)
        next->prev = op;
    else
        b->last = op;
}

void dl_block_append(dl_block *b, dl_op *op) {
    link_between(b, b->last, NULL, op);
}
void dl_block_prepend(dl_block *b, dl_op *op) {
    link_between(b, NULL, b->first, op);
}
void dl_op_insert_before(dl_op *pos, dl_op *op) {
    link_between(pos->block, pos->prev, pos, op);
}
void dl_op_insert_after(dl_op *pos, dl_op *op) {
    link_between(pos->block, pos, pos->next, op);
}

void dl_op_unlink(dl_op *op) {
    dl_block *b = op->block;
    if (!b) return;
    if (op->prev)
        op->prev->next = op->next;
    else
        b->first = op->next;
    if (op->next)
        op->next->prev = op->prev;
    else
        b->last = op->prev;
    op->block = NULL;
    op->prev = op->next = NULL;
}

void dl_op_move_before(dl_op *op, dl_op *pos) {
    dl_op_unlink(op);
    dl_op_insert_before(pos, op);
}

static void drop_uses(dl_op *op, void *user) {
    (void)user;
    for (unsigned i = 0; i < op->num_operands; i++) use_unlink(&op->operands[i]);
}

void dl_op_erase(dl_op *op) {
    DL_ASSERT(dl_op_results_unused(op) && "erasing an op whose results are still used");
    dl_op_unlink(op);
    dl_walk_post(op, drop_uses, NULL);
}

bool dl_op_is_before_in_block(const dl_op *a, const dl_op *b) {
    DL_ASSERT(a->block == b->block);
    for (const dl_op *o = a->next; o; o = o->next)
        if (o == b) return true;
    return false;
}

/* ---- Builders ---- */

dl_builder dl_builder_at_end(dl_context *ctx, dl_block *b) {
    return (dl_builder){.ctx = ctx, .block = b};
}
dl_builder dl_builder_before(dl_op *op) {
    return (dl_builder){.ctx = op->ctx, .block = op->block, .before = op, .loc = op->loc};
}
dl_builder dl_builder_after(dl_op *op) {
    return (dl_builder){.ctx = op->ctx, .block = op->block, .before = op->next, .loc = op->loc};
}

dl_op *dl_build(dl_builder *b, dl_op_kind kind, unsigned num_operands, dl_value *const *operands,
                unsigned num_results, const dl_type *const *result_types, unsigned num_regions) {
    dl_op *op = dl_op_create(b->ctx, kind, b->loc, num_operands, operands, num_results,
                             result_types, num_regions);
    if (b->before)
        dl_op_insert_before(b->before, op);
    else if (b->block)
        dl_block_append(b->block, op);
    return op;
}

dl_value *dl_build1(dl_builder *b, dl_op_kind kind, unsigned num_operands,
                    dl_value *const *operands, const dl_type *result_type) {
    return dl_result(dl_build(b, kind, num_operands, operands, 1, &result_type, 0), 0);
}

/* ---- Value maps ---- */

struct dl_value_map {
    dl_ptrmap map;
};

dl_value_map *dl_value_map_create(dl_context *ctx) {
    (void)ctx;
    dl_value_map *m = calloc(1, sizeof *m);
    DL_ASSERT(m);
    return m;
}

void dl_value_map_destroy(dl_value_map *m) {
    if (!m) return;
    dl_ptrmap_free(&m->map);
    free(m);
}

void dl_value_map_set(dl_value_map *m, const dl_value *from, dl_value *to) {
    dl_ptrmap_set(&m->map, from, to);
}

dl_value *dl_value_map_get(const dl_value_map *m, const dl_value *k) {
    return m ? dl_ptrmap_get(&m->map, k) : NULL;
}

/* ---- Cloning ---- */

static dl_value *mapped(dl_value_map *map, dl_value *v) {
    dl_value *n = v ? dl_value_map_get(map, v) : NULL;
    return n ? n : v;
}

static dl_op *clone_rec(dl_op *op, dl_value_map *map) {
    dl_context *ctx = op->ctx;
    dl_value **ops = DL_NEW_ARRAY(ctx, dl_value *, op->num_operands ? op->num_operands : 1);
    for (unsigned i = 0; i < op->num_operands; i++) ops[i] = mapped(map, dl_operand(op, i));
    const dl_type **types =
        DL_NEW_ARRAY(ctx, const dl_type *, op->num_results ? op->num_results : 1);
    for (unsigned i = 0; i < op->num_results; i++) types[i] = op->results[i].type;
    dl_op *c = dl_op_create(ctx, op->kind, op->loc, op->num_operands, ops, op->num_results, types,
                            op->num_regions);
    for (unsigned i = 0; i < op->num_attrs; i++)
        dl_op_set_attr(c, op->attrs[i].name, op->attrs[i].attr);
    for (unsigned i = 0; i < op->num_results; i++) {
        c->results[i].name = op->results[i].name;
        dl_value_map_set(map, &op->results[i], &c->results[i]);
    }
    for (unsigned r = 0; r < op->num_regions; r++) {
        for (dl_block *b = op->regions[r].first; b; b = b->next) {
            dl_block *nb = dl_block_create(ctx);
            dl_region_append(&c->regions[r], nb);
            for (unsigned a = 0; a < b->num_args; a++) {
                dl_value *na = dl_block_add_arg(ctx, nb, b->args[a]->type);
                na->name = b->args[a]->name;
                dl_value_map_set(map, b->args[a], na);
            }
            for (dl_op *o = b->first; o; o = o->next) dl_block_append(nb, clone_rec(o, map));
        }
    }
    return c;
}

dl_op *dl_op_clone(dl_op *op, dl_value_map *map) {
    dl_value_map *own = map ? NULL : dl_value_map_create(op->ctx);
    dl_op *c = clone_rec(op, map ? map : own);
    dl_value_map_destroy(own);
    return c;
}

/* ---- Walking ---- */

dl_walk_result dl_walk(dl_op *op, dl_walk_fn fn, void *user) {
    dl_walk_result r = fn(op, user);
    if (r != DL_WALK_ADVANCE) return r == DL_WALK_INTERRUPT ? r : DL_WALK_ADVANCE;
    for (unsigned i = 0; i < op->num_regions; i++)
        for (dl_block *b = op->regions[i].first; b; b = b->next)
            for (dl_op *o = b->first, *next; o; o = next) {
                next = o->next;
                if (dl_walk(o, fn, user) == DL_WALK_INTERRUPT) return DL_WALK_INTERRUPT;
            }
    return DL_WALK_ADVANCE;
}

void dl_walk_post(dl_op *op, void (*fn)(dl_op *op, void *user), void *user) {
    for (unsigned i = 0; i < op->num_regions; i++)
        for (dl_block *b = op->regions[i].first; b; b = b->next)
            for (dl_op *o = b->first, *next; o; o = next) {
                next = o->next;
                dl_walk_post(o, fn, user);
            }
    fn(op, user);
}

typedef struct {
    dl_context *ctx;
    dl_op *root;
    dl_op **items;
    size_t n, cap;
} collector;

static dl_walk_result collect(dl_op *op, void *user) {
    collector *c = user;
    if (op == c->root) return DL_WALK_ADVANCE;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        dl_op **items = DL_NEW_ARRAY(c->ctx, dl_op *, cap);
        if (c->n) memcpy(items, c->items, sizeof(*items) * c->n);
        c->items = items;
        c->cap = cap;
    }
    c->items[c->n++] = op;
    return DL_WALK_ADVANCE;
}

dl_op **dl_collect_ops(dl_op *root, size_t *count) {
    collector c = {.ctx = root->ctx, .root = root};
    dl_walk(root, collect, &c);
    *count = c.n;
    return c.items;
}
