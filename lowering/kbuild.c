/* kbuild.c: building kernel.generic ops, affine maps, and kernel buffers (alloc, view, global). */
#include "kbuild.h"

#include <string.h>

/* ---- kernel.generic ------------------------------------------------------------------------ */

void kb_begin(kb_generic *g, dl_builder *top, int rank, const int64_t *dims) {
    DL_ASSERT(rank >= 0 && rank <= KB_MAX_DIMS);
    memset(g, 0, sizeof *g);
    g->ctx = top->ctx;
    g->top = top;
    g->rank = rank;
    for (int i = 0; i < rank; i++) g->dom[i] = dims[i];
}

void kb_reduction(kb_generic *g, int d) {
    DL_ASSERT(d >= 0 && d < g->rank);
    g->reduction[d] = true;
}

void kb_begin_pairs(kb_generic *g, dl_builder *top, int rank, const int64_t *dims, int64_t n) {
    int64_t dom[KB_MAX_DIMS];
    DL_ASSERT(rank >= 0 && rank < KB_MAX_DIMS);
    memcpy(dom, dims, sizeof(int64_t) * (size_t)rank);
    dom[rank] = n;
    kb_begin(g, top, rank + 1, dom);
    kb_reduction(g, rank);
}

static unsigned add_operand(kb_generic *g, dl_value *buf, const dl_affine_map *map) {
    DL_ASSERT(!g->op && g->num_operands < KB_MAX_OPERANDS);
    DL_ASSERT(buf->type->kind == DL_TY_MEMREF);
    DL_ASSERT(map->num_dims == (unsigned)g->rank && map->num_results == (unsigned)buf->type->rank);
    g->operands[g->num_operands] = buf;
    g->maps[g->num_operands] = map;
    return g->num_operands++;
}

unsigned kb_in(kb_generic *g, dl_value *buf, const dl_affine_map *map) {
    DL_ASSERT(g->num_inputs == g->num_operands && "inputs come before outputs");
    g->num_inputs++;
    return add_operand(g, buf, map);
}

unsigned kb_out(kb_generic *g, dl_value *buf, const dl_affine_map *map) {
    return add_operand(g, buf, map);
}

unsigned kb_in_indirect(kb_generic *g, dl_value *buf) {
    return kb_in(g, buf, kb_map_zero(g->ctx, (unsigned)g->rank, (unsigned)buf->type->rank));
}

unsigned kb_out_indirect(kb_generic *g, dl_value *buf) {
    return kb_out(g, buf, kb_map_zero(g->ctx, (unsigned)g->rank, (unsigned)buf->type->rank));
}

unsigned kb_in_scalar(kb_generic *g, dl_value *buf) {
    DL_ASSERT(dl_type_num_elements(buf->type) == 1);
    return kb_in(g, buf, kb_map_zero(g->ctx, (unsigned)g->rank, (unsigned)buf->type->rank));
}

dl_builder *kb_body(kb_generic *g) {
    dl_context *ctx = g->ctx;
    DL_ASSERT(!g->op && g->num_operands > g->num_inputs);
    dl_op *op = dl_build(g->top, DL_OP_kernel_generic, g->num_operands, g->operands, 0, NULL, 1);
    const dl_attr *iters[KB_MAX_DIMS], *maps[KB_MAX_OPERANDS];
    for (int i = 0; i < g->rank; i++)
        iters[i] = dl_attr_string(ctx, g->reduction[i] ? "reduction" : "parallel");
    for (unsigned i = 0; i < g->num_operands; i++) maps[i] = dl_attr_affine_map(ctx, g->maps[i]);
    dl_op_set_attr(op, "domain", dl_attr_int_array(ctx, (unsigned)g->rank, g->dom));
    dl_op_set_attr(op, "iterators", dl_attr_array(ctx, (unsigned)g->rank, iters));
    dl_op_set_attr(op, "maps", dl_attr_array(ctx, g->num_operands, maps));
    dl_op_set_attr(op, "num_inputs", dl_attr_int(ctx, g->num_inputs));
    dl_block *body = dl_op_body(op, 0);
    for (unsigned i = 0; i < g->num_operands; i++)
        dl_block_add_arg(ctx, body, g->operands[i]->type->elem);
    g->op = op;
    g->body = dl_builder_at_end(ctx, body);
    g->body.loc = g->top->loc;
    return &g->body;
}

dl_value *kb_arg(kb_generic *g, unsigned i) {
    DL_ASSERT(g->op && i < g->num_operands);
    return dl_op_body(g->op, 0)->args[i];
}

dl_value *kb_dim(kb_generic *g, int d) {
    DL_ASSERT(g->op && d >= 0 && d < g->rank);
    dl_op *op = dl_build(&g->body, DL_OP_kernel_index, 0, NULL, 1,
                         (const dl_type *[]){dl_type_scalar(g->ctx, DL_TY_INDEX)}, 0);
    dl_op_set_attr(op, "dim", dl_attr_int(g->ctx, d));
    return dl_result(op, 0);
}

void kb_yield(kb_generic *g, unsigned n, dl_value *const *vals) {
    DL_ASSERT(g->op && (n == 0 || n == g->num_operands - g->num_inputs));
    dl_build(&g->body, DL_OP_kernel_yield, n, vals, 0, NULL, 0);
}

void kb_yield1(kb_generic *g, dl_value *v) {
    kb_yield(g, 1, &v);
}

void kb_mark_inplace(kb_generic *g, unsigned input) {
    DL_ASSERT(g->op && input < g->num_inputs);
    const dl_attr *old = dl_op_attr(g->op, "inplace");
    int64_t v[KB_MAX_OPERANDS];
    int n = old ? dl_op_attr_ints(g->op, "inplace", v, KB_MAX_OPERANDS) : 0;
    v[n++] = input;
    dl_op_set_attr(g->op, "inplace", dl_attr_int_array(g->ctx, (unsigned)n, v));
}

/* ---- Affine maps --------------------------------------------------------------------------- */

const dl_affine_map *kb_map(dl_context *ctx, unsigned ndims, unsigned nres,
                            const dl_affine_expr *const *res) {
    return dl_affine_map_get(ctx, ndims, 0, nres, res);
}

const dl_affine_map *kb_map_id(dl_context *ctx, unsigned n) {
    return dl_affine_map_identity(ctx, n);
}

const dl_affine_map *kb_map_dims(dl_context *ctx, unsigned ndims, unsigned nres, const int *dims) {
    const dl_affine_expr *res[KB_MAX_DIMS];
    DL_ASSERT(nres <= KB_MAX_DIMS);
    for (unsigned k = 0; k < nres; k++)
        res[k] = dims[k] < 0 ? dl_aff_const(ctx, 0) : dl_aff_dim(ctx, (unsigned)dims[k]);
    return kb_map(ctx, ndims, nres, res);
}

const dl_affine_map *kb_map_bcast(dl_context *ctx, unsigned ndims, const int64_t *dom,
                                  const dl_type *t) {
    int dims[KB_MAX_DIMS];
    DL_ASSERT(t->rank <= (int)ndims);
    for (int k = 0; k < t->rank; k++) {
        unsigned d = ndims - (unsigned)t->rank + (unsigned)k;
        dims[k] = t->dims[k] == 1 && dom[d] != 1 ? -1 : (int)d;
    }
    return kb_map_dims(ctx, ndims, (unsigned)t->rank, dims);
}

const dl_affine_map *kb_map_first(dl_context *ctx, unsigned ndims, unsigned m) {
    int dims[KB_MAX_DIMS];
    DL_ASSERT(m <= ndims && m <= KB_MAX_DIMS);
    for (unsigned k = 0; k < m; k++) dims[k] = (int)k;
    return kb_map_dims(ctx, ndims, m, dims);
}

const dl_affine_map *kb_map_zero(dl_context *ctx, unsigned ndims, unsigned rank) {
    int dims[KB_MAX_DIMS];
    for (unsigned k = 0; k < rank; k++) dims[k] = -1;
    return kb_map_dims(ctx, ndims, rank, dims);
}

const dl_affine_map *kb_map_shift(dl_context *ctx, unsigned n, const int64_t *off) {
    const dl_affine_expr *res[KB_MAX_DIMS];
    DL_ASSERT(n <= KB_MAX_DIMS);
    for (unsigned k = 0; k < n; k++)
        res[k] = dl_aff_add(ctx, dl_aff_dim(ctx, k), dl_aff_const(ctx, off[k]));
    return kb_map(ctx, n, n, res);
}

const dl_affine_map *kb_map_part(dl_context *ctx, int rank, int axis, int64_t off, bool dropped) {
    const dl_affine_expr *res[KB_MAX_DIMS];
    DL_ASSERT(rank <= KB_MAX_DIMS);
    for (int k = 0, e = 0; k < rank; k++) {
        if (k == axis && dropped) {
            res[k] = dl_aff_const(ctx, off);
            continue;
        }
        res[k] = dl_aff_dim(ctx, (unsigned)e++);
        if (k == axis) res[k] = dl_aff_add(ctx, res[k], dl_aff_const(ctx, off));
    }
    return kb_map(ctx, (unsigned)(rank - dropped), (unsigned)rank, res);
}

const dl_affine_map *kb_map_along(dl_context *ctx, int rank, int axis) {
    int dims[KB_MAX_DIMS];
    DL_ASSERT(rank < KB_MAX_DIMS);
    for (int k = 0; k < rank; k++) dims[k] = k == axis ? rank : k;
    return kb_map_dims(ctx, (unsigned)(rank + 1), (unsigned)rank, dims);
}

const dl_affine_expr *kb_linear(dl_context *ctx, int64_t c0, unsigned ndims, const int64_t *coef) {
    const dl_affine_expr *e = dl_aff_const(ctx, c0);
    for (unsigned k = 0; k < ndims; k++)
        if (coef[k])
            e = dl_aff_add(ctx, e, dl_aff_mul(ctx, dl_aff_dim(ctx, k), dl_aff_const(ctx, coef[k])));
    return e;
}

const dl_affine_map *kb_map_reduced(dl_context *ctx, int rank, const bool *axes, int dst_rank) {
    int dims[KB_MAX_DIMS], n = 0;
    bool keep = dst_rank == rank;
    for (int k = 0; k < rank; k++) {
        if (!axes[k])
            dims[n++] = k;
        else if (keep)
            dims[n++] = -1;
    }
    DL_ASSERT(n == dst_rank);
    return kb_map_dims(ctx, (unsigned)rank, (unsigned)n, dims);
}

/* ---- Buffers ------------------------------------------------------------------------------- */

const dl_type *kb_memref(dl_context *ctx, const dl_type *elem, int rank, const int64_t *dims) {
    return dl_type_memref(ctx, elem, rank, dims, NULL, 0);
}

const dl_type *kb_memref_kept(dl_context *ctx, const dl_type *t, const bool *axes) {
    int64_t dims[KB_MAX_DIMS];
    DL_ASSERT(t->rank <= KB_MAX_DIMS);
    for (int k = 0; k < t->rank; k++) dims[k] = axes[k] ? 1 : t->dims[k];
    return kb_memref(ctx, t->elem, t->rank, dims);
}

dl_value *kb_alloc(dl_builder *top, const dl_type *memref) {
    return dl_build1(top, DL_OP_kernel_alloc, 0, NULL, memref);
}

dl_value *kb_view(dl_builder *top, dl_value *buf, const dl_type *memref) {
    if (buf->type == memref) return buf;
    dl_value *v = dl_build1(top, DL_OP_kernel_view, 1, &buf, memref);
    dl_op_set_attr(v->def, "offset", dl_attr_int(top->ctx, 0));
    return v;
}

dl_value *kb_global(dl_builder *top, const dl_attr *dense) {
    const dl_type *t = dense->type;
    dl_value *v = dl_build1(top, DL_OP_kernel_global, 0, NULL,
                            kb_memref(top->ctx, t->elem, t->rank, t->dims));
    dl_op_set_attr(v->def, "value", dense);
    return v;
}

dl_value *kb_global_i64(dl_builder *top, int rank, const int64_t *dims, const int64_t *vals) {
    dl_context *ctx = top->ctx;
    const dl_type *t = dl_type_tensor(ctx, dl_type_scalar(ctx, DL_TY_I64), rank, dims, NULL);
    int64_t n = dl_type_num_elements(t);
    return kb_global(top, dl_attr_dense(ctx, t, vals, (size_t)n * 8, false, true));
}

dl_value *kb_global_f32(dl_builder *top, int rank, const int64_t *dims, const float *vals) {
    dl_context *ctx = top->ctx;
    const dl_type *t = dl_type_tensor(ctx, dl_type_scalar(ctx, DL_TY_F32), rank, dims, NULL);
    int64_t n = dl_type_num_elements(t);
    return kb_global(top, dl_attr_dense(ctx, t, vals, (size_t)n * 4, false, true));
}
