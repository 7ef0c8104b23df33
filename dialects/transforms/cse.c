/* cse.c: common-subexpression elimination over pure, region-free ops. An op is replaced by an
 * identical one that dominates it: earlier in the same block or in an enclosing block (never
 * across an isolated op). Dense constants compare by content. */
#include "dlcc/pass.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    dl_op *op;
    uint32_t hash;
} entry;

/* Open-addressing table of known ops with an undo log for scopes. */
typedef struct table {
    entry *slots;
    size_t cap, count;
    entry *log;
    size_t log_len, log_cap;
} table;

static uint32_t mix(uint32_t h, uint64_t v) {
    h ^= (uint32_t)v ^ (uint32_t)(v >> 32);
    return h * 0x01000193u + 0x9e3779b9u;
}

static uint32_t op_hash(const dl_op *op) {
    uint32_t h = mix(0x811c9dc5u, op->kind);
    for (unsigned i = 0; i < op->num_operands; i++) h = mix(h, (uintptr_t)dl_operand(op, i));
    for (unsigned i = 0; i < op->num_results; i++) h = mix(h, (uintptr_t)op->results[i].type);
    for (unsigned i = 0; i < op->num_attrs; i++) {
        h = mix(h, (uintptr_t)op->attrs[i].name);
        h = mix(h, dl_attr_hash(op->attrs[i].attr));
    }
    return h;
}

static bool op_equal(const dl_op *a, const dl_op *b) {
    if (a->kind != b->kind || a->num_operands != b->num_operands ||
        a->num_results != b->num_results || a->num_attrs != b->num_attrs)
        return false;
    for (unsigned i = 0; i < a->num_operands; i++)
        if (dl_operand(a, i) != dl_operand(b, i)) return false;
    for (unsigned i = 0; i < a->num_results; i++)
        if (a->results[i].type != b->results[i].type) return false;
    for (unsigned i = 0; i < a->num_attrs; i++)
        if (a->attrs[i].name != b->attrs[i].name ||
            !dl_attr_equal(a->attrs[i].attr, b->attrs[i].attr))
            return false;
    return true;
}

static void table_insert(table *t, dl_op *op, uint32_t h);

static void grow(table *t) {
    table old = *t;
    t->cap = t->cap ? t->cap * 2 : 256;
    t->slots = calloc(t->cap, sizeof(entry));
    DL_ASSERT(t->slots);
    t->count = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].op) {
            size_t j = old.slots[i].hash & (t->cap - 1);
            while (t->slots[j].op) j = (j + 1) & (t->cap - 1);
            t->slots[j] = old.slots[i];
            t->count++;
        }
    free(old.slots);
}

static dl_op *table_find(const table *t, const dl_op *op, uint32_t h) {
    if (!t->cap) return NULL;
    for (size_t i = h & (t->cap - 1); t->slots[i].op; i = (i + 1) & (t->cap - 1))
        if (t->slots[i].hash == h && op_equal(t->slots[i].op, op)) return t->slots[i].op;
    return NULL;
}

static void table_insert(table *t, dl_op *op, uint32_t h) {
    if ((t->count + 1) * 2 > t->cap) grow(t);
    size_t i = h & (t->cap - 1);
    while (t->slots[i].op) i = (i + 1) & (t->cap - 1);
    t->slots[i] = (entry){op, h};
    t->count++;
    if (t->log_len == t->log_cap) {
        t->log_cap = t->log_cap ? t->log_cap * 2 : 256;
        entry *l = realloc(t->log, sizeof(*l) * t->log_cap);
        DL_ASSERT(l);
        t->log = l;
    }
    t->log[t->log_len++] = (entry){op, h};
}

/* Removes entries logged after mark (linear probing: reinsert the rest of the cluster). */
static void table_pop(table *t, size_t mark) {
    while (t->log_len > mark) {
        dl_op *op = t->log[--t->log_len].op;
        size_t mask = t->cap - 1, i = t->log[t->log_len].hash & mask;
        while (t->slots[i].op != op) i = (i + 1) & mask;
        t->slots[i].op = NULL;
        t->count--;
        for (size_t j = (i + 1) & mask; t->slots[j].op; j = (j + 1) & mask) {
            entry e = t->slots[j];
            t->slots[j].op = NULL;
            size_t k = e.hash & mask;
            while (t->slots[k].op) k = (k + 1) & mask;
            t->slots[k] = e;
        }
    }
}

static void cse_region(dl_region *r, table *t);

static void cse_block(dl_block *b, table *t) {
    size_t mark = t->log_len;
    for (dl_op *o = b->first, *next; o; o = next) {
        next = o->next;
        if (o->num_regions) {
            for (unsigned i = 0; i < o->num_regions; i++) {
                if (dl_op_has_trait(o, DL_TRAIT_ISOLATED)) {
                    table inner = {0};
                    cse_region(&o->regions[i], &inner);
                    free(inner.slots);
                    free(inner.log);
                } else {
                    cse_region(&o->regions[i], t);
                }
            }
            continue;
        }
        if (!dl_op_has_trait(o, DL_TRAIT_PURE) || !o->num_results) continue;
        uint32_t h = op_hash(o);
        dl_op *prev = table_find(t, o, h);
        if (prev) {
            for (unsigned i = 0; i < o->num_results; i++) {
                if (!prev->results[i].name) prev->results[i].name = o->results[i].name;
                dl_value_replace_all_uses(&o->results[i], &prev->results[i]);
            }
            dl_op_erase(o);
        } else {
            table_insert(t, o, h);
        }
    }
    table_pop(t, mark);
}

static void cse_region(dl_region *r, table *t) {
    for (dl_block *b = r->first; b; b = b->next) cse_block(b, t);
}

dl_status dl_pass_cse(dl_op *module, const dl_pass_options *options) {
    (void)options;
    table t = {0};
    for (unsigned i = 0; i < module->num_regions; i++) cse_region(&module->regions[i], &t);
    free(t.slots);
    free(t.log);
    return DL_OK;
}
