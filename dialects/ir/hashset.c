/* hashset.c: the open-addressing hash set used to intern strings, types and attributes. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

uint32_t dl_hash_bytes(const void *p, size_t n, uint32_t seed) {
    const unsigned char *s = p;
    uint32_t h = 2166136261u ^ seed;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 16777619u;
    return h;
}

void *dl_hashset_find(const dl_hashset *s, uint32_t hash, const void *key, dl_hash_eq_fn eq) {
    if (s->cap == 0) return NULL;
    size_t mask = s->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        if (!s->slots[i]) return NULL;
        if (s->hashes[i] == hash && eq(s->slots[i], key)) return s->slots[i];
    }
}

static void grow(dl_hashset *s) {
    size_t ncap = s->cap ? s->cap * 2 : 64;
    void **slots = calloc(ncap, sizeof(void *));
    uint32_t *hashes = calloc(ncap, sizeof(uint32_t));
    DL_ASSERT(slots && hashes);
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->slots[i]) continue;
        size_t j = s->hashes[i] & (ncap - 1);
        while (slots[j]) j = (j + 1) & (ncap - 1);
        slots[j] = s->slots[i];
        hashes[j] = s->hashes[i];
    }
    free(s->slots);
    free(s->hashes);
    s->slots = slots;
    s->hashes = hashes;
    s->cap = ncap;
}

void dl_hashset_insert(dl_hashset *s, uint32_t hash, void *elem) {
    if ((s->count + 1) * 4 > s->cap * 3) grow(s);
    size_t mask = s->cap - 1, i = hash & mask;
    while (s->slots[i]) i = (i + 1) & mask;
    s->slots[i] = elem;
    s->hashes[i] = hash;
    s->count++;
}

void dl_hashset_free(dl_hashset *s) {
    free(s->slots);
    free(s->hashes);
    memset(s, 0, sizeof *s);
}

/* ---- Pointer maps with tombstones ---- */

#define TOMBSTONE ((const void *)1)

static void ptrmap_put(dl_ptrmap *m, const void *key, void *val);

static void ptrmap_grow(dl_ptrmap *m) {
    dl_ptrmap old = *m;
    m->cap = m->cap ? m->cap * 2 : 64;
    m->keys = calloc(m->cap, sizeof(void *));
    m->vals = calloc(m->cap, sizeof(void *));
    DL_ASSERT(m->keys && m->vals);
    m->used = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i] && old.keys[i] != TOMBSTONE) ptrmap_put(m, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
}

static size_t ptrmap_slot(const dl_ptrmap *m, const void *key) {
    if (!m->cap) return SIZE_MAX;
    size_t mask = m->cap - 1;
    for (size_t i = dl_hash_ptr(key) & mask; m->keys[i]; i = (i + 1) & mask)
        if (m->keys[i] == key) return i;
    return SIZE_MAX;
}

static void ptrmap_put(dl_ptrmap *m, const void *key, void *val) {
    size_t i = ptrmap_slot(m, key);
    if (i != SIZE_MAX) {
        m->vals[i] = val;
        return;
    }
    if ((m->used + 1) * 2 > m->cap) ptrmap_grow(m);
    size_t mask = m->cap - 1;
    for (i = dl_hash_ptr(key) & mask; m->keys[i] && m->keys[i] != TOMBSTONE; i = (i + 1) & mask) {
    }
    if (!m->keys[i]) m->used++;
    m->keys[i] = key;
    m->vals[i] = val;
}

void dl_ptrmap_set(dl_ptrmap *m, const void *key, void *val) {
    ptrmap_put(m, key, val);
}

void *dl_ptrmap_get(const dl_ptrmap *m, const void *key) {
    size_t i = ptrmap_slot(m, key);
    return i == SIZE_MAX ? NULL : m->vals[i];
}

bool dl_ptrmap_has(const dl_ptrmap *m, const void *key) {
    return ptrmap_slot(m, key) != SIZE_MAX;
}

void dl_ptrmap_del(dl_ptrmap *m, const void *key) {
    size_t i = ptrmap_slot(m, key);
    if (i != SIZE_MAX) m->keys[i] = TOMBSTONE;
}

void dl_ptrmap_free(dl_ptrmap *m) {
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}
