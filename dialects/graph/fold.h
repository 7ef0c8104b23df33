/* fold.h: constant folding of graph-dialect ops: evaluates ops whose operands are constants
 * (or whose result follows from static types alone, like Shape and Size). */
#ifndef DLCC_GRAPH_FOLD_H
#define DLCC_GRAPH_FOLD_H

#include "infer.h"

/* Largest result (in elements) that folding materialises. Constant operands read whole
 * (elementwise ops, reductions) are bounded by the same number. */
#define DL_FOLD_MAX_ELEMENTS (1 << 20)

/* One folding rule: computes a dense attribute for every result of op (whose result types
 * are already inferred and static) and returns true, or returns false when it cannot fold
 * (never an error). */
typedef bool (*dl_fold_fn)(dl_op *op, const dl_attr **results);

typedef struct dl_fold_entry {
    dl_op_kind kind;
    dl_fold_fn fn;
} dl_fold_entry;

/* Rule tables by family, each ending with {DL_OP__INVALID, NULL}; fold.c merges them. */
extern const dl_fold_entry dl_fold_elementwise[]; /* fold_elementwise.c: math, compare, cast */
extern const dl_fold_entry dl_fold_shape[];       /* fold_shape.c: shape, data movement */
extern const dl_fold_entry dl_fold_reduce[];      /* fold_reduce.c: Reduce* */

/* Computes op's results as constants when possible. */
bool dl_graph_fold(dl_op *op, const dl_attr **results);
/* Replaces op by graph.Constant ops when it folds (uses are rewired, op erased). */
bool dl_graph_fold_in_place(dl_op *op);

/* ---- Helpers shared by the rule families (fold.c) ---- */

/* Most operands one elementwise evaluation or strided walk handles. */
#define DL_FOLD_MAX_OPERANDS 8

/* The dense value of operand i when it is a graph.Constant whose value has the operand's
 * tensor type, else NULL. */
const dl_attr *dl_fold_const(const dl_op *op, unsigned i);
/* Zeroed heap memory for the element data of result i (whose type is a static tensor);
 * stores the size in bytes in *bytes. Hand it to dl_fold_finish, or free() it when the rule
 * gives up, so that failed attempts cost no arena memory. */
__dl_give void *dl_fold_buffer(dl_op *op, unsigned i, size_t *bytes);
/* The dense attribute of result i's type holding data (from dl_fold_buffer, which it frees):
 * copied into the arena, as a splat of one element when every element has the same bytes. */
const dl_attr *dl_fold_finish(dl_op *op, unsigned i, __dl_take void *data);
/* The dense attribute of result i's type over a's data unchanged (same element type and
 * count: Reshape and friends), or NULL when they differ. */
const dl_attr *dl_fold_reinterpret(dl_op *op, unsigned i, const dl_attr *a);
/* Pointer to element idx of dense data (splat aware). */
const void *dl_fold_elem_ptr(const dl_attr *a, int64_t idx);

/* One element during evaluation: `f` for float element types, `i` for integer and bool ones
 * (u64 as its bit pattern). */
typedef union dl_fold_scalar {
    double f;
    int64_t i;
} dl_fold_scalar;

/* Element idx of dense data as a scalar of its element class. */
dl_fold_scalar dl_fold_load(const dl_attr *a, int64_t idx);
/* Stores v at element idx of data of element kind k (floats rounded, integers wrapped). */
void dl_fold_store(void *data, dl_type_kind k, int64_t idx, dl_fold_scalar v);
/* v rounded to the precision of float kind k (f16 and bf16 through float, as numpy does). */
double dl_fold_round(dl_type_kind k, double v);
/* v wrapped to the width and signedness of integer kind k (i1: v != 0). */
int64_t dl_fold_wrap(dl_type_kind k, int64_t v);

/* Row-major walk over a static shape that keeps, for each of n operands, an element offset
 * advanced by per-dimension strides (0 for broadcast dimensions). */
typedef struct dl_fold_iter {
    int rank;
    unsigned n;
    int64_t dims[DL_MAX_RANK], idx[DL_MAX_RANK];
    int64_t strides[DL_FOLD_MAX_OPERANDS][DL_MAX_RANK];
    int64_t off[DL_FOLD_MAX_OPERANDS];
} dl_fold_iter;

/* Starts a walk over shape t (offsets at base, strides zero: fill them in); false when t is
 * not a static tensor of rank <= DL_MAX_RANK or n is too large. */
bool dl_fold_iter_init(dl_fold_iter *it, const dl_type *t, unsigned n);
/* Sets operand k's strides to broadcast the row-major tensor of type in to the walk's shape
 * (numpy rules); false when in does not broadcast to it. */
bool dl_fold_iter_broadcast(dl_fold_iter *it, unsigned k, const dl_type *in);
/* Moves to the next element (row-major), updating every offset. */
void dl_fold_iter_next(dl_fold_iter *it);
/* Row-major element strides of a static shape (rank entries). */
void dl_fold_row_major(const dl_type *t, int64_t *strides);

#endif
