/* verify.c: verifiers of the kernel dialect; kernel.generic's affine accesses are proven in
 * bounds over its whole iteration domain where they are linear. */
#include "dlcc/ir.h"

#include <string.h>

enum { MAX_DIMS = 64 };

dl_status dl_verify_kernel_alloc(dl_op *op) {
    const dl_type *t = op->results[0].type;
    if (t->kind != DL_TY_MEMREF || !dl_type_has_static_shape(t))
        return dl_op_error(op, "allocates a memref with a static shape");
    return DL_OK;
}

dl_status dl_verify_kernel_global(dl_op *op) {
    const dl_attr *v = dl_op_attr(op, "value");
    const dl_type *t = op->results[0].type;
    if (!v || v->kind != DL_ATTR_DENSE) return dl_op_error(op, "needs a dense 'value' attribute");
    if (t->kind != DL_TY_MEMREF || t->strides || v->type->rank != t->rank ||
        v->type->elem != t->elem ||
        memcmp(v->type->dims, t->dims, sizeof(int64_t) * (size_t)t->rank) != 0)
        return dl_op_error(op, "result must be a contiguous memref shaped like its value");
    return DL_OK;
}

dl_status dl_verify_kernel_view(dl_op *op) {
    const dl_type *src = dl_operand(op, 0)->type, *t = op->results[0].type;
    if (src->kind != DL_TY_MEMREF || t->kind != DL_TY_MEMREF || !dl_type_has_static_shape(t))
        return dl_op_error(op, "views a memref as a static memref");
    int64_t off = dl_op_attr_int(op, "offset", -1);
    int64_t src_bytes = dl_type_num_elements(src) * (int64_t)dl_scalar_size(src->elem->kind);
    int64_t bytes = dl_type_num_elements(t) * (int64_t)dl_scalar_size(t->elem->kind);
    if (off < 0) return dl_op_error(op, "needs a non-negative byte 'offset'");
    if (src_bytes >= 0 && off + bytes > src_bytes)
        return dl_op_error(op, "view of %lld bytes at offset %lld exceeds the %lld-byte source",
                           (long long)bytes, (long long)off, (long long)src_bytes);
    return DL_OK;
}

/* Interval of an expression over the box 0 <= d_k < dims[k] when it is linear with each
 * dimension used at most once (exact), else false. */
static bool linear_range(const dl_affine_expr *e, const int64_t *dom, unsigned *used, int64_t *lo,
                         int64_t *hi) {
    int64_t l1, h1, l2, h2;
    switch (e->kind) {
    case DL_AFF_CONST: *lo = *hi = e->value; return true;
    case DL_AFF_DIM:
        if (used[e->value]++) return false;
        *lo = 0;
        *hi = dom[e->value] - 1;
        return true;
    case DL_AFF_ADD:
        if (!linear_range(e->lhs, dom, used, &l1, &h1) ||
            !linear_range(e->rhs, dom, used, &l2, &h2))
            return false;
        *lo = l1 + l2;
        *hi = h1 + h2;
        return true;
    case DL_AFF_MUL:
        if (e->rhs->kind != DL_AFF_CONST || !linear_range(e->lhs, dom, used, &l1, &h1))
            return false;
        *lo = e->rhs->value >= 0 ? l1 * e->rhs->value : h1 * e->rhs->value;
        *hi = e->rhs->value >= 0 ? h1 * e->rhs->value : l1 * e->rhs->value;
        return true;
    case DL_AFF_FLOORDIV:
        if (e->rhs->kind != DL_AFF_CONST || e->rhs->value <= 0 ||
            !linear_range(e->lhs, dom, used, &l1, &h1))
            return false;
        *lo = l1 >= 0 ? l1 / e->rhs->value : -((-l1 + e->rhs->value - 1) / e->rhs->value);
        *hi = h1 >= 0 ? h1 / e->rhs->value : -((-h1 + e->rhs->value - 1) / e->rhs->value);
        return true;
    case DL_AFF_MOD:
        if (e->rhs->kind != DL_AFF_CONST || e->rhs->value <= 0 ||
            !linear_range(e->lhs, dom, used, &l1, &h1))
            return false;
        if (l1 >= 0 && h1 < e->rhs->value) {
            *lo = l1;
            *hi = h1;
        } else {
            *lo = 0;
            *hi = e->rhs->value - 1;
        }
        return true;
    default: return false;
    }
}

dl_status dl_verify_kernel_generic(dl_op *op) {
    dl_context *ctx = op->ctx;
    int64_t dom[MAX_DIMS];
    int n = dl_op_attr_ints(op, "domain", dom, MAX_DIMS);
    if (n < 0 || n > MAX_DIMS)
        return dl_op_error(op, "needs a 'domain' attribute: an array of extents");
    for (int i = 0; i < n; i++)
        if (dom[i] < 0) return dl_op_error(op, "domain extent %d is negative", i);
    const dl_attr *maps = dl_op_attr(op, "maps"), *iters = dl_op_attr(op, "iterators");
    int64_t num_inputs = dl_op_attr_int(op, "num_inputs", -1);
    if (num_inputs < 0 || num_inputs > (int64_t)op->num_operands)
        return dl_op_error(op, "needs a 'num_inputs' attribute between 0 and %u", op->num_operands);
    if (!maps || maps->kind != DL_ATTR_ARRAY || maps->u.array.n != op->num_operands)
        return dl_op_error(op, "needs a 'maps' array with one affine map per operand");
    if (!iters || iters->kind != DL_ATTR_ARRAY || iters->u.array.n != (unsigned)n)
        return dl_op_error(op, "needs an 'iterators' array with one entry per domain dimension");
    for (int i = 0; i < n; i++) {
        const dl_attr *it = iters->u.array.elems[i];
        if (it->kind != DL_ATTR_STRING ||
            (strcmp(it->u.str.data, "parallel") != 0 && strcmp(it->u.str.data, "reduction") != 0))
            return dl_op_error(op, "iterator %d must be \"parallel\" or \"reduction\"", i);
    }
    dl_block *body = dl_op_region(op, 0)->first;
    if (!body || body->next) return dl_op_error(op, "needs a body region with one block");
    if (body->num_args != op->num_operands)
        return dl_op_error(op, "body takes one scalar per operand (%u), has %u", op->num_operands,
                           body->num_args);
    bool nonempty = true;
    for (int i = 0; i < n; i++) nonempty &= dom[i] > 0;
    for (unsigned k = 0; k < op->num_operands; k++) {
        const dl_type *m = dl_operand(op, k)->type;
        const dl_attr *ma = maps->u.array.elems[k];
        if (m->kind != DL_TY_MEMREF) return dl_op_error(op, "operand %u is not a memref", k);
        if (ma->kind != DL_ATTR_AFFINE) return dl_op_error(op, "map %u is not an affine map", k);
        const dl_affine_map *map = ma->u.map;
        if (map->num_dims != (unsigned)n || map->num_syms != 0 ||
            map->num_results != (unsigned)m->rank)
            return dl_op_error(op, "map %u must take %d dims and give %d results", k, n, m->rank);
        if (body->args[k]->type != m->elem)
            return dl_op_error(op, "body argument %u must have type %s", k,
                               dl_type_str(ctx, m->elem));
        for (unsigned r = 0; nonempty && r < map->num_results; r++) {
            unsigned used[MAX_DIMS] = {0};
            int64_t lo, hi;
            if (!linear_range(map->results[r], dom, used, &lo, &hi)) continue;
            if (m->dims[r] != DL_DYN && (lo < 0 || hi >= m->dims[r]))
                return dl_op_error(
                    op, "map %u result %u ranges over [%lld, %lld], outside dimension of size %lld",
                    k, r, (long long)lo, (long long)hi, (long long)m->dims[r]);
        }
    }
    dl_op *y = body->last;
    unsigned num_outputs = op->num_operands - (unsigned)num_inputs;
    if (!y || y->kind != DL_OP_kernel_yield)
        return dl_op_error(op, "body must end with 'kernel.yield'");
    if (y->num_operands != num_outputs && y->num_operands != 0)
        return dl_op_error(op, "body yields %u values for %u outputs", y->num_operands,
                           num_outputs);
    for (unsigned i = 0; i < y->num_operands; i++)
        if (dl_operand(y, i)->type != body->args[num_inputs + i]->type)
            return dl_op_error(op, "yielded value %u has the wrong type", i);
    return DL_OK;
}

static dl_op *enclosing_generic(dl_op *op) {
    for (dl_op *p = dl_op_parent(op); p; p = dl_op_parent(p))
        if (p->kind == DL_OP_kernel_generic) return p;
    return NULL;
}

dl_status dl_verify_kernel_index(dl_op *op) {
    dl_op *g = enclosing_generic(op);
    if (!g) return dl_op_error(op, "must be inside 'kernel.generic'");
    int64_t d = dl_op_attr_int(op, "dim", -1);
    const dl_attr *iters = dl_op_attr(g, "iterators");
    if (d < 0 || !iters || d >= (int64_t)iters->u.array.n)
        return dl_op_error(op, "'dim' is out of range");
    if (op->results[0].type->kind != DL_TY_INDEX) return dl_op_error(op, "result must be 'index'");
    return DL_OK;
}

dl_status dl_verify_kernel_access(dl_op *op) {
    if (!enclosing_generic(op)) return dl_op_error(op, "must be inside 'kernel.generic'");
    unsigned mi = op->kind == DL_OP_kernel_load ? 0 : 1;
    const dl_type *m = dl_operand(op, mi)->type;
    if (m->kind != DL_TY_MEMREF) return dl_op_error(op, "accesses a memref");
    if (op->num_operands - mi - 1 != (unsigned)m->rank)
        return dl_op_error(op, "needs %d indices", m->rank);
    for (unsigned i = mi + 1; i < op->num_operands; i++)
        if (dl_operand(op, i)->type->kind != DL_TY_INDEX)
            return dl_op_error(op, "indices must be 'index'");
    const dl_type *v =
        op->kind == DL_OP_kernel_load ? op->results[0].type : dl_operand(op, 0)->type;
    if (v != m->elem)
        return dl_op_error(op, "value type must be %s", dl_type_str(op->ctx, m->elem));
    return DL_OK;
}

dl_status dl_verify_kernel_yield(dl_op *op) {
    dl_op *p = dl_op_parent(op);
    if (!p || p->kind != DL_OP_kernel_generic)
        return dl_op_error(op, "must end a 'kernel.generic' body");
    return DL_OK;
}
