/* kbuild.h: a small API for building kernel-dialect ops: kernel.generic from a domain, operands
 * with affine maps and a scalar body; affine-map helpers (identity, broadcasting, selections);
 * scalar arith helpers for bodies; and the common generics (fill, copy, reduction, elementwise).
 *
 * Building one generic reads top to bottom:
 *
 *     kb_generic g;
 *     kb_begin(&g, top, rank, dims);          // box domain, every dimension parallel
 *     kb_reduction(&g, rank - 1);             // optional: mark reduction dimensions
 *     unsigned x = kb_in(&g, xbuf, map_x);    // inputs first ...
 *     unsigned y = kb_out(&g, ybuf, map_y);   // ... then outputs
 *     dl_builder *b = kb_body(&g);            // creates the op; b inserts into its body
 *     kb_yield1(&g, kb_add(b, kb_arg(&g, x), kb_arg(&g, y)));
 *
 * Names: kb_* build kernel IR; everything takes a dl_builder positioned where the new ops go
 * (`top` for generics at function level, the body builder for scalar ops). */
#ifndef DLCC_LOWERING_KBUILD_H
#define DLCC_LOWERING_KBUILD_H

#include "dlcc/ir.h"

/* Limits on generics built here (the kernel verifier allows 64 dimensions). */
#define KB_MAX_DIMS     40
#define KB_MAX_OPERANDS 24

/* ---- kernel.generic ------------------------------------------------------------------------ */

typedef struct kb_generic {
    dl_context *ctx;
    dl_builder *top; /* where the generic is inserted */
    int rank;
    int64_t dom[KB_MAX_DIMS];
    bool reduction[KB_MAX_DIMS];
    unsigned num_operands, num_inputs;
    dl_value *operands[KB_MAX_OPERANDS];
    const dl_affine_map *maps[KB_MAX_OPERANDS];
    dl_op *op;       /* created by kb_body */
    dl_builder body; /* inserts into the body block */
} kb_generic;

/* Starts a generic over the box 0 <= d_k < dims[k] (rank dims, all parallel) at top. */
void kb_begin(kb_generic *g, dl_builder *top, int rank, const int64_t *dims);
/* Marks domain dimension d as a reduction dimension. */
void kb_reduction(kb_generic *g, int d);
/* Starts a generic over dims (rank dims, parallel) and one more reduction dimension d_rank of
 * extent n: pairs of positions along an axis, the second reached with kb_map_along (ranks,
 * prefix sums, transforms). */
void kb_begin_pairs(kb_generic *g, dl_builder *top, int rank, const int64_t *dims, int64_t n);
/* Adds an input (before any output) or an output operand accessed at map; returns its
 * operand index (which is also its body-argument index). */
unsigned kb_in(kb_generic *g, dl_value *buf, const dl_affine_map *map);
unsigned kb_out(kb_generic *g, dl_value *buf, const dl_affine_map *map);
/* Adds an operand that the body only reaches through kb_load / kb_store (data-dependent
 * indices); its map is the constant origin, which is in bounds for a non-empty buffer. */
unsigned kb_in_indirect(kb_generic *g, dl_value *buf);
unsigned kb_out_indirect(kb_generic *g, dl_value *buf);
/* Adds the one element of buf (any rank) as an input: its body argument is that value. */
unsigned kb_in_scalar(kb_generic *g, dl_value *buf);
/* Creates the kernel.generic with its attributes and body block; returns the body builder.
 * The builder's location is top's. */
dl_builder *kb_body(kb_generic *g);
/* The body argument of operand i (inputs: the value at its map; outputs: current value). */
dl_value *kb_arg(kb_generic *g, unsigned i);
/* kernel.index: the value of domain dimension d in the body. */
dl_value *kb_dim(kb_generic *g, int d);
/* Ends the body: one value per output, or none when the body writes with kb_store only. */
void kb_yield(kb_generic *g, unsigned n, dl_value *const *vals);
void kb_yield1(kb_generic *g, dl_value *v);
/* Marks the generic's output 0 as allowed to share the buffer of input `input` (plan-memory
 * may place both at one offset when the input dies here): every output element is computed
 * from the input element at the same position only, and both maps are the identity. */
void kb_mark_inplace(kb_generic *g, unsigned input);

/* ---- Affine maps --------------------------------------------------------------------------- */

/* (d0..dn-1) -> (results...) */
const dl_affine_map *kb_map(dl_context *ctx, unsigned ndims, unsigned nres,
                            const dl_affine_expr *const *res);
/* (d0..dn-1) -> (d0..dn-1) */
const dl_affine_map *kb_map_id(dl_context *ctx, unsigned n);
/* Result k is domain dimension dims[k], or the constant 0 where dims[k] < 0. */
const dl_affine_map *kb_map_dims(dl_context *ctx, unsigned ndims, unsigned nres, const int *dims);
/* Numpy (right-aligned) broadcasting of a buffer of type t into a domain of ndims dimensions
 * with extents dom: result k reads domain dimension ndims - rank + k, or 0 where t's size is 1
 * and the domain's is not. */
const dl_affine_map *kb_map_bcast(dl_context *ctx, unsigned ndims, const int64_t *dom,
                                  const dl_type *t);
/* (d0..dn-1) -> (d0..dm-1): the first m domain dimensions. */
const dl_affine_map *kb_map_first(dl_context *ctx, unsigned ndims, unsigned m);
/* Every result the constant 0 (rank results). */
const dl_affine_map *kb_map_zero(dl_context *ctx, unsigned ndims, unsigned rank);
/* (d0..dn-1) -> (d0 + off[0], .., dn-1 + off[n-1]) */
const dl_affine_map *kb_map_shift(dl_context *ctx, unsigned n, const int64_t *off);
/* Where a part lies in a whole of `rank` dims that it fills from offset `off` along `axis`:
 * (e0..) -> (.., e_axis + off, ..) when the part has the whole's rank, or (.., off, ..) when the
 * part lacks that axis (`dropped`: one slice of the whole). */
const dl_affine_map *kb_map_part(dl_context *ctx, int rank, int axis, int64_t off, bool dropped);
/* Over the domain of kb_begin_pairs (rank + 1 dims): d_rank along `axis`, the other dims their
 * own: (d0..d_rank) -> (d0, .., d_rank, .., d_rank-1). */
const dl_affine_map *kb_map_along(dl_context *ctx, int rank, int axis);
/* The affine expression c0 + sum coef[k] * d_k (coefficients over ndims dimensions). */
const dl_affine_expr *kb_linear(dl_context *ctx, int64_t c0, unsigned ndims, const int64_t *coef);

/* ---- Scalar ops in bodies ------------------------------------------------------------------ */

/* Constants of scalar type t (converted to t). */
dl_value *kb_const(dl_builder *b, const dl_type *t, double v);
dl_value *kb_consti(dl_builder *b, const dl_type *t, int64_t v);
dl_value *kb_index(dl_builder *b, int64_t v);
/* A constant of x's type. */
dl_value *kb_like(dl_builder *b, dl_value *x, double v);
/* arith op of the given kind on operands of one type (result of that type). */
dl_value *kb_un(dl_builder *b, dl_op_kind kind, dl_value *x);
dl_value *kb_bin(dl_builder *b, dl_op_kind kind, dl_value *x, dl_value *y);
dl_value *kb_add(dl_builder *b, dl_value *x, dl_value *y);
dl_value *kb_sub(dl_builder *b, dl_value *x, dl_value *y);
dl_value *kb_mul(dl_builder *b, dl_value *x, dl_value *y);
dl_value *kb_div(dl_builder *b, dl_value *x, dl_value *y);
dl_value *kb_fma(dl_builder *b, dl_value *x, dl_value *y, dl_value *z);
/* acc + x * y with x and y converted to acc's type first (a multiply-accumulate step). */
dl_value *kb_mac(dl_builder *b, dl_value *acc, dl_value *x, dl_value *y);
/* arith.cmp with pred one of "eq" "ne" "lt" "le" "gt" "ge" (i1 result). */
dl_value *kb_cmp(dl_builder *b, const char *pred, dl_value *x, dl_value *y);
dl_value *kb_select(dl_builder *b, dl_value *cond, dl_value *x, dl_value *y);
dl_value *kb_and(dl_builder *b, dl_value *x, dl_value *y);
dl_value *kb_or(dl_builder *b, dl_value *x, dl_value *y);
dl_value *kb_not(dl_builder *b, dl_value *x);
/* Max / min (arith.max / arith.min propagate NaN, like numpy.maximum / minimum). */
dl_value *kb_max_nan(dl_builder *b, dl_value *x, dl_value *y);
dl_value *kb_min_nan(dl_builder *b, dl_value *x, dl_value *y);
/* x clamped into [lo, hi] (NaN stays NaN). */
dl_value *kb_clamp(dl_builder *b, dl_value *x, dl_value *lo, dl_value *hi);
/* Numeric conversion to scalar type t with ONNX Cast semantics: to i1 is x != 0, from i1 is
 * 0/1, others are arith.cast (float to integer truncates toward zero and saturates, NaN gives
 * 0). No op when the types agree. */
dl_value *kb_cast(dl_builder *b, dl_value *x, const dl_type *t);
/* Round half to even (ONNX Round), for floats: arith.round. */
dl_value *kb_round_even(dl_builder *b, dl_value *x);
/* Python-style modulo (result has the divisor's sign) of integers or floats. */
dl_value *kb_mod_floor(dl_builder *b, dl_value *x, dl_value *y);

/* ---- Data-dependent accesses ------------------------------------------------------------- */

/* An integer value (any integer type) as an index, normalised for ONNX negative indexing
 * (i < 0 counts from the end of a dimension of size n) and clamped into [0, n - 1], so a
 * hostile index can never leave the buffer. */
dl_value *kb_index_in(dl_builder *b, dl_value *i, int64_t n);
/* An index clamped into [0, n - 1]. */
dl_value *kb_clamp_index(dl_builder *b, dl_value *i, int64_t n);
/* kernel.load / kernel.store of buffer buf (an operand of the enclosing generic). */
dl_value *kb_load(dl_builder *b, dl_value *buf, unsigned n, dl_value *const *idx);
void kb_store(dl_builder *b, dl_value *v, dl_value *buf, unsigned n, dl_value *const *idx);

/* ---- Sequential work in bodies (loop dialect) ------------------------------------------------ */

/* loop.for(lb, ub, step) at b: *body inserts into the loop body (before its loop.yield) and
 * the induction variable is returned. */
dl_value *kb_for(dl_builder *b, dl_value *lb, dl_value *ub, dl_value *step, dl_builder *body);
/* loop.if(cond) at b with an empty else region: *then inserts into the then region. */
void kb_if(dl_builder *b, dl_value *cond, dl_builder *then);
/* A do-while loop at b: *body appends to its body, which kb_while_end closes with the i1 value
 * saying whether to run the body again. */
void kb_while(dl_builder *b, dl_builder *body);
void kb_while_end(dl_builder *body, dl_value *again);

/* ---- Buffers and common generics --------------------------------------------------------- */

/* memref type with elem and dims. */
const dl_type *kb_memref(dl_context *ctx, const dl_type *elem, int rank, const int64_t *dims);
/* The memref type of t's element type and shape with the axes in `axes` (a mask) of size 1: a
 * reduction's result with kept dims, which broadcasts back against t. */
const dl_type *kb_memref_kept(dl_context *ctx, const dl_type *t, const bool *axes);
/* A new kernel.alloc of a memref type. */
dl_value *kb_alloc(dl_builder *top, const dl_type *memref);
/* A kernel.view of buf with another shape (same element count), offset 0. */
dl_value *kb_view(dl_builder *top, dl_value *buf, const dl_type *memref);
/* A kernel.global holding dense data (its tensor type gives the memref type). */
dl_value *kb_global(dl_builder *top, const dl_attr *dense);
/* A kernel.global of int64 / f32 values. */
dl_value *kb_global_i64(dl_builder *top, int rank, const int64_t *dims, const int64_t *vals);
dl_value *kb_global_f32(dl_builder *top, int rank, const int64_t *dims, const float *vals);

/* dst[...] = v for every element. */
void kb_fill(dl_builder *top, dl_value *dst, double v);
/* Copies over the domain of dst's shape: dst[d] = src[src_map(d)], converting elements. */
void kb_copy(dl_builder *top, dl_value *src, const dl_affine_map *src_map, dl_value *dst);
/* Copies over an explicit domain: dst[dst_map(d)] = src[src_map(d)]. */
void kb_copy_box(dl_builder *top, int rank, const int64_t *dom, dl_value *src,
                 const dl_affine_map *src_map, dl_value *dst, const dl_affine_map *dst_map);

/* Body of an elementwise generic: args are the input values (already of their own types),
 * the result must have type out_elem. */
typedef dl_value *(*kb_scalar_fn)(dl_builder *b, dl_value *const *args, const dl_type *out_elem,
                                  const void *user);
/* dst = f(ins...) with numpy broadcasting of every input to dst's shape. Inputs with dst's
 * shape and element size are marked for in-place reuse. */
void kb_elementwise(dl_builder *top, unsigned n, dl_value *const *ins, dl_value *dst,
                    kb_scalar_fn f, const void *user);

/* Reduction kinds: how values combine and the identity they start from. */
typedef enum kb_reduce_kind { KB_SUM, KB_PROD, KB_MAX, KB_MIN } kb_reduce_kind;
/* The combination of an accumulator and a value. */
dl_value *kb_combine(dl_builder *b, kb_reduce_kind kind, dl_value *acc, dl_value *x);
/* dst = reduce over the axes in `axes` (a mask over src's rank) of pre(src), where dst has
 * src's rank with reduced axes of size 1 (keepdims) or lacks them: dst's rank tells. pre may
 * be NULL (identity); it gets one argument, the source element. dst is initialised first
 * with the identity of `kind`. */
void kb_reduce(dl_builder *top, dl_value *src, dl_value *dst, const bool *axes, kb_reduce_kind kind,
               kb_scalar_fn pre, const void *user);
/* dst (already initialised) = reduce over axes of f(x, m), where m is broadcast against x (it has
 * x's rank with size-1 dims, e.g. a kept-dims mean). */
void kb_reduce2(dl_builder *top, dl_value *x, dl_value *m, dl_value *dst, const bool *axes,
                kb_reduce_kind kind, kb_scalar_fn f, const void *user);
/* The output map of a reduction over src's domain: dst's dims follow src's non-reduced dims. */
const dl_affine_map *kb_map_reduced(dl_context *ctx, int rank, const bool *axes, int dst_rank);

#endif
