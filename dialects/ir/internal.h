/* internal.h: private declarations shared by the IR core's source files. */
#ifndef DLCC_IR_INTERNAL_H
#define DLCC_IR_INTERNAL_H

#include "dlcc/ir.h"

/* Open-addressing hash set of pointers, compared with a user equality function. */
typedef struct dl_hashset {
    void **slots;
    uint32_t *hashes;
    size_t cap, count;
} dl_hashset;

typedef bool (*dl_hash_eq_fn)(const void *a, const void *b);
/* Finds an element equal to key (same hash and eq), or NULL. */
void *dl_hashset_find(const dl_hashset *s, uint32_t hash, const void *key, dl_hash_eq_fn eq);
/* Inserts elem (caller has checked it is absent). */
void dl_hashset_insert(dl_hashset *s, uint32_t hash, void *elem);
void dl_hashset_free(dl_hashset *s);

uint32_t dl_hash_bytes(const void *p, size_t n, uint32_t seed);
static inline uint32_t dl_hash_combine(uint32_t h, uint32_t v) {
    return (h ^ v) * 0x01000193u + (h >> 13);
}
static inline uint32_t dl_hash_ptr(const void *p) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (uint32_t)x;
}

/* Pointer -> pointer map with deletion (keys are never NULL). */
typedef struct dl_ptrmap {
    const void **keys;
    void **vals;
    size_t cap, used;
} dl_ptrmap;

void dl_ptrmap_set(dl_ptrmap *m, const void *key, void *val);
/* The value for key, or NULL. */
void *dl_ptrmap_get(const dl_ptrmap *m, const void *key);
bool dl_ptrmap_has(const dl_ptrmap *m, const void *key);
void dl_ptrmap_del(dl_ptrmap *m, const void *key);
void dl_ptrmap_free(dl_ptrmap *m);

/* Per-kind interning tables living in the context. */
typedef struct dl_intern_tables {
    dl_hashset strings, types, attrs, affine_exprs, affine_maps;
} dl_intern_tables;

dl_intern_tables *dl_context_tables(dl_context *ctx);

#endif
