/* name_map.c: a string -> pointer hash map for ONNX value names (open addressing). */
#include "onnx_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* FNV-1a from a per-process random basis, so that hostile models cannot precompute names that
 * collide (which would make lookups quadratic). */
static uint32_t hash_str(const char *s) {
    static uint32_t basis;
    if (!basis) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        basis = (2166136261u ^ (uint32_t)ts.tv_nsec ^ (uint32_t)(uintptr_t)&ts) | 1u;
    }
    uint32_t h = basis;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h | 1u; /* 0 marks an empty slot */
}

static size_t find_slot(const onnx_name_map *m, const char *name, uint32_t h) {
    size_t mask = m->cap - 1, i = h & mask;
    while (m->hashes[i] && (m->hashes[i] != h || strcmp(m->keys[i], name) != 0)) i = (i + 1) & mask;
    return i;
}

void *onnx_name_map_get(const onnx_name_map *m, const char *name) {
    if (!m->cap) return NULL;
    size_t i = find_slot(m, name, hash_str(name));
    return m->hashes[i] ? m->vals[i] : NULL;
}

static void grow(onnx_name_map *m) {
    onnx_name_map n = {.cap = m->cap ? m->cap * 2 : 16};
    n.keys = calloc(n.cap, sizeof *n.keys);
    n.vals = calloc(n.cap, sizeof *n.vals);
    n.hashes = calloc(n.cap, sizeof *n.hashes);
    DL_ASSERT(n.keys && n.vals && n.hashes);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->hashes[i]) continue;
        size_t j = find_slot(&n, m->keys[i], m->hashes[i]);
        n.keys[j] = m->keys[i];
        n.vals[j] = m->vals[i];
        n.hashes[j] = m->hashes[i];
    }
    n.count = m->count;
    onnx_name_map_free(m);
    *m = n;
}

void onnx_name_map_set(onnx_name_map *m, const char *name, void *val) {
    if ((m->count + 1) * 4 > m->cap * 3) grow(m);
    uint32_t h = hash_str(name);
    size_t i = find_slot(m, name, h);
    if (!m->hashes[i]) {
        m->hashes[i] = h;
        m->keys[i] = name;
        m->count++;
    }
    m->vals[i] = val;
}

void onnx_name_map_free(onnx_name_map *m) {
    free(m->keys);
    free(m->vals);
    free(m->hashes);
    *m = (onnx_name_map){0};
}
