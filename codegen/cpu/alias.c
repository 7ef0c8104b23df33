/* alias.c: alias scopes that tell LLVM which buffers cannot overlap, so that it can keep values
 * in registers across stores, vectorise without run-time checks and hoist loads (closures see
 * buffers only as pointers loaded from a struct, so nothing else tells it).
 *
 * Every load/store gets !alias.scope {its buffer's scope} and !noalias {every other scope}.
 * A scope is: one per function argument (the caller's inputs and outputs; the ABI says they do
 * not overlap), one per kernel.alloc, and one per group of arena views whose byte ranges
 * overlap (plan-memory only overlaps buffers that are never live together, or reuses a dead
 * input in place: overlapping views share a scope, so no claim is ever made about them).
 * Views of an argument or allocation share its scope. Constant globals share one scope: they
 * are never written, so they overlap nothing that is (LLVM cannot tell by itself when they are
 * defined by the data object, outside the module). Stack buffers and direct accesses to the
 * arena get no tag (LLVM then assumes nothing about them). */
#include "codegen/cg.h"

#include <llvm-c/DebugInfo.h>

#include <stdlib.h>
#include <string.h>

/* What a memref value is part of. */
typedef struct root {
    enum { ROOT_NONE, ROOT_SCOPE, ROOT_ARENA } kind;
    int scope;     /* ROOT_SCOPE */
    int64_t begin; /* ROOT_ARENA: byte range in the arena */
    int64_t end;
} root;

typedef struct interval {
    int64_t begin, end;
    int scope;
} interval;

typedef struct analysis {
    cg_module *m;
    dl_value *arena;
    dl_value **values; /* memref values, in definition order */
    root *roots;
    unsigned n, cap;
    int num_scopes;
    int constants_scope; /* the scope of every kernel.global, -1 before the first */
} analysis;

static root *root_of(analysis *a, const dl_value *v) {
    for (unsigned i = a->n; i-- > 0;)
        if (a->values[i] == v) return &a->roots[i];
    return NULL;
}

static void add(analysis *a, dl_value *v, root r) {
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->values = realloc(a->values, sizeof(dl_value *) * a->cap);
        a->roots = realloc(a->roots, sizeof(root) * a->cap);
        if (!a->values || !a->roots) DL_UNREACHABLE("out of memory");
    }
    a->values[a->n] = v;
    a->roots[a->n++] = r;
}

/* Bytes a static memref spans from its base (0 when unknown: no claim is made). */
static int64_t span_bytes(const dl_type *t) {
    if (!dl_type_has_static_shape(t) || t->offset == DL_DYN) return 0;
    int64_t n = dl_type_num_elements(t);
    if (n <= 0) return 0;
    int64_t end = t->offset, s = 1;
    for (int k = t->rank - 1; k >= 0; k--) {
        int64_t stride = t->strides ? t->strides[k] : s;
        if (stride == DL_DYN || stride < 0) return 0;
        end += (t->dims[k] - 1) * stride;
        s *= t->dims[k];
    }
    return (end + 1) * (int64_t)dl_scalar_size(t->elem->kind);
}

static dl_walk_result visit(dl_op *op, void *user) {
    analysis *a = user;
    if (op->kind == DL_OP_kernel_alloc) {
        add(a, &op->results[0], (root){.kind = ROOT_SCOPE, .scope = a->num_scopes++});
    } else if (op->kind == DL_OP_kernel_global) {
        if (a->constants_scope < 0) a->constants_scope = a->num_scopes++;
        add(a, &op->results[0], (root){.kind = ROOT_SCOPE, .scope = a->constants_scope});
    } else if (op->kind == DL_OP_kernel_view) {
        root *src = root_of(a, dl_operand(op, 0));
        int64_t off = dl_op_attr_int(op, "offset", 0);
        int64_t bytes = span_bytes(op->results[0].type);
        if (dl_operand(op, 0) == a->arena && bytes > 0)
            add(a, &op->results[0], (root){.kind = ROOT_ARENA, .begin = off, .end = off + bytes});
        else if (src && src->kind == ROOT_ARENA && bytes > 0)
            add(a, &op->results[0],
                (root){.kind = ROOT_ARENA,
                       .begin = src->begin + off,
                       .end = src->begin + off + bytes});
        else if (src && src->kind == ROOT_SCOPE)
            add(a, &op->results[0], *src);
    }
    return DL_WALK_ADVANCE;
}

static int by_begin(const void *x, const void *y) {
    const interval *a = x, *b = y;
    return a->begin < b->begin ? -1 : a->begin > b->begin;
}

/* Gives every arena view the scope of its group of overlapping byte ranges. */
static void group_arena_views(analysis *a) {
    interval *iv = calloc(a->n + 1, sizeof(interval));
    unsigned k = 0;
    for (unsigned i = 0; i < a->n; i++)
        if (a->roots[i].kind == ROOT_ARENA)
            iv[k++] = (interval){a->roots[i].begin, a->roots[i].end, -1};
    qsort(iv, k, sizeof(interval), by_begin);
    int64_t group_end = INT64_MIN;
    for (unsigned i = 0; i < k; i++) {
        if (iv[i].begin >= group_end) a->num_scopes++; /* starts a new group */
        iv[i].scope = a->num_scopes - 1;
        if (iv[i].end > group_end) group_end = iv[i].end;
    }
    for (unsigned i = 0; i < a->n; i++) {
        root *r = &a->roots[i];
        if (r->kind != ROOT_ARENA) continue;
        /* the group of the last interval starting at or before this one */
        int scope = -1;
        for (unsigned j = 0; j < k && iv[j].begin <= r->begin; j++) scope = iv[j].scope;
        *r = (root){.kind = ROOT_SCOPE, .scope = scope};
    }
    free(iv);
}

/* A self-referential metadata node {self, ops...}. */
static LLVMMetadataRef distinct_node(cg_module *m, LLVMMetadataRef *ops, unsigned n) {
    LLVMMetadataRef self = LLVMTemporaryMDNode(m->llctx, NULL, 0);
    LLVMMetadataRef *all = calloc(n + 1, sizeof(LLVMMetadataRef));
    all[0] = self;
    memcpy(all + 1, ops, sizeof(LLVMMetadataRef) * n);
    LLVMMetadataRef node = LLVMMDNodeInContext2(m->llctx, all, n + 1);
    LLVMMetadataReplaceAllUsesWith(self, node);
    free(all);
    return node;
}

void cg_alias_analyze(cg_module *m) {
    const cg_signature *sig = m->sig;
    dl_block *entry = dl_func_entry(sig->func);
    analysis a = {.m = m,
                  .arena = sig->has_arena ? entry->args[entry->num_args - 1] : NULL,
                  .constants_scope = -1};
    for (unsigned i = 0; i < sig->num_inputs + sig->num_outputs; i++)
        add(&a, entry->args[i], (root){.kind = ROOT_SCOPE, .scope = a.num_scopes++});
    dl_walk(sig->func, visit, &a);
    group_arena_views(&a);
    if (a.num_scopes >= 2) {
        LLVMMetadataRef name = LLVMMDStringInContext2(m->llctx, m->name, strlen(m->name));
        LLVMMetadataRef domain = distinct_node(m, &name, 1);
        LLVMMetadataRef *scopes = calloc((size_t)a.num_scopes, sizeof(LLVMMetadataRef));
        for (int s = 0; s < a.num_scopes; s++) {
            char label[32];
            snprintf(label, sizeof label, "buffer %d", s);
            LLVMMetadataRef ops[2] = {domain,
                                      LLVMMDStringInContext2(m->llctx, label, strlen(label))};
            scopes[s] = distinct_node(m, ops, 2);
        }
        LLVMMetadataRef *others = calloc((size_t)a.num_scopes, sizeof(LLVMMetadataRef));
        LLVMValueRef *scope_lists = calloc((size_t)a.num_scopes, sizeof(LLVMValueRef));
        LLVMValueRef *noalias_lists = calloc((size_t)a.num_scopes, sizeof(LLVMValueRef));
        for (int s = 0; s < a.num_scopes; s++) {
            unsigned k = 0;
            for (int t = 0; t < a.num_scopes; t++)
                if (t != s) others[k++] = scopes[t];
            scope_lists[s] =
                LLVMMetadataAsValue(m->llctx, LLVMMDNodeInContext2(m->llctx, &scopes[s], 1));
            noalias_lists[s] =
                LLVMMetadataAsValue(m->llctx, LLVMMDNodeInContext2(m->llctx, others, k));
        }
        for (unsigned i = 0; i < a.n; i++) {
            if (a.roots[i].kind != ROOT_SCOPE || a.roots[i].scope < 0) continue;
            cg_value_map_set(m->alias_scopes, a.values[i], scope_lists[a.roots[i].scope]);
            cg_value_map_set(m->noalias_scopes, a.values[i], noalias_lists[a.roots[i].scope]);
        }
        free(scopes);
        free(others);
        free(scope_lists);
        free(noalias_lists);
    }
    free(a.values);
    free(a.roots);
}

void cg_alias_tag(cg_func *f, LLVMValueRef access, const dl_value *memref) {
    cg_module *m = f->m;
    LLVMValueRef scope = cg_value_map_get(m->alias_scopes, memref);
    if (!scope) return;
    LLVMSetMetadata(access, LLVMGetMDKindIDInContext(m->llctx, "alias.scope", 11), scope);
    LLVMSetMetadata(access, LLVMGetMDKindIDInContext(m->llctx, "noalias", 7),
                    cg_value_map_get(m->noalias_scopes, memref));
}
