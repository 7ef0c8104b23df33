/* value_map.c: the map from IR values to the LLVM values that hold them while a function is
 * emitted (open addressing on the value's address). */
#include "codegen/cg.h"

#include <stdint.h>
#include <stdlib.h>

struct cg_value_map {
    size_t cap, count; /* cap is a power of two */
    const dl_value **keys;
    LLVMValueRef *vals;
};

static size_t slot_of(const cg_value_map *m, const dl_value *v) {
    uintptr_t h = (uintptr_t)v;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != v) i = (i + 1) & (m->cap - 1);
    return i;
}

static void alloc_table(cg_value_map *m, size_t cap) {
    m->cap = cap;
    m->keys = calloc(cap, sizeof *m->keys);
    m->vals = calloc(cap, sizeof *m->vals);
    if (!m->keys || !m->vals) DL_UNREACHABLE("out of memory");
}

cg_value_map *cg_value_map_create(void) {
    cg_value_map *m = calloc(1, sizeof *m);
    if (!m) DL_UNREACHABLE("out of memory");
    alloc_table(m, 64);
    return m;
}

void cg_value_map_destroy(cg_value_map *m) {
    if (!m) return;
    free(m->keys);
    free(m->vals);
    free(m);
}

void cg_value_map_set(cg_value_map *m, const dl_value *v, LLVMValueRef llv) {
    if (2 * (m->count + 1) > m->cap) {
        cg_value_map old = *m;
        alloc_table(m, old.cap * 2);
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.keys[i]) continue;
            size_t s = slot_of(m, old.keys[i]);
            m->keys[s] = old.keys[i];
            m->vals[s] = old.vals[i];
        }
        free(old.keys);
        free(old.vals);
    }
    size_t s = slot_of(m, v);
    if (!m->keys[s]) m->count++;
    m->keys[s] = v;
    m->vals[s] = llv;
}

LLVMValueRef cg_value_map_get(const cg_value_map *m, const dl_value *v) {
    size_t s = slot_of(m, v);
    return m->keys[s] ? m->vals[s] : NULL;
}

LLVMValueRef cg_operand(cg_func *f, dl_op *op, unsigned i) {
    LLVMValueRef v = cg_value_map_get(f->values, dl_operand(op, i));
    DL_ASSERT(v && "operand emitted before its use");
    return v;
}
