/* infer.h: shape and type inference of graph-dialect ops, and the helpers inference rules
 * share (shapes with symbolic dims, broadcasting, constant operands, axes). */
#ifndef DLCC_GRAPH_INFER_H
#define DLCC_GRAPH_INFER_H

#include "graph.h"

/* Largest tensor rank the compiler accepts. */
#define DL_MAX_RANK 32

/* One inference rule: sets every result type of op from operand types, constant operand
 * values and attributes. On invalid input it emits an error at the op (dl_op_error) naming
 * the problem and returns DL_FAILURE. Unknown sizes become DL_DYN; symbolic dims propagate. */
typedef dl_status (*dl_infer_fn)(dl_op *op);

typedef struct dl_infer_entry {
    dl_op_kind kind;
    dl_infer_fn fn;
} dl_infer_entry;

/* Rule tables by op family, each ending with {DL_OP__INVALID, NULL}; infer.c merges them. */
extern const dl_infer_entry dl_infer_elementwise[]; /* infer_elementwise.c */
extern const dl_infer_entry dl_infer_nn[];          /* infer_nn.c: conv, pool, norm, matmul, rnn */
extern const dl_infer_entry dl_infer_reduce[];      /* infer_reduce.c: reductions, softmax, arg* */
extern const dl_infer_entry dl_infer_shape[];    /* infer_shape.c: reshape, transpose, slice... */
extern const dl_infer_entry dl_infer_index[];    /* infer_index.c: gather, scatter, topk... */
extern const dl_infer_entry dl_infer_control[];  /* infer_control.c: If, Loop, Scan */
extern const dl_infer_entry dl_infer_sequence[]; /* infer_sequence.c: Sequence* ops */
extern const dl_infer_entry dl_infer_misc[];     /* infer_misc.c: everything else */
extern const dl_infer_entry dl_infer_linalg[];   /* infer_linalg.c: MatMul, Gemm, Einsum, RNN */
extern const dl_infer_entry dl_infer_resample[]; /* infer_resample.c: Resize, DepthToSpace... */

/* Infers op's result types. An op kind without a rule is reported as unsupported. */
dl_status dl_graph_infer(dl_op *op);
bool dl_graph_has_infer(dl_op_kind kind);

/* ---- Helpers for rules ---- */

/* A tensor shape with optional symbolic names (names[i] != NULL means dims[i] is DL_DYN
 * and has that name). */
typedef struct dl_shape {
    int rank;
    int64_t dims[DL_MAX_RANK];
    const char *names[DL_MAX_RANK];
} dl_shape;

/* The shape of a tensor-typed value; false (no error) if v is not a tensor. */
bool dl_shape_of(const dl_value *v, dl_shape *out);
/* The tensor type with elem and shape s. */
const dl_type *dl_shape_tensor(dl_context *ctx, const dl_type *elem, const dl_shape *s);
/* The shape of operand i; error at op if it is not a tensor or its rank exceeds DL_MAX_RANK. */
dl_status dl_operand_shape(dl_op *op, unsigned i, dl_shape *out);
/* Shape from plain dims (no names). Fails (with error at op) when rank > DL_MAX_RANK. */
dl_status dl_shape_from(dl_op *op, dl_shape *s, int rank, const int64_t *dims);
/* Numpy-style multidirectional broadcasting of n shapes; error at op if incompatible. */
dl_status dl_broadcast(dl_op *op, unsigned n, const dl_shape *in, dl_shape *out);
/* Normalises axis into [0, rank) (negative counts from the end); error at op if out of range.
 * For rank 0, axis 0 or -1 gives 0 (callers must not index dims with it). */
dl_status dl_norm_axis(dl_op *op, int64_t axis, int rank, int64_t *out);

/* Integer values of a constant operand (graph.Constant): returns the element count and
 * stores up to max values, or -1 if v is not a constant. */
int64_t dl_const_ints(const dl_value *v, int64_t *out, int64_t max);
/* Float values of a constant operand, like dl_const_ints. */
int64_t dl_const_floats(const dl_value *v, double *out, int64_t max);
/* True if operand i exists and is not graph.None. */
bool dl_has_operand(const dl_op *op, unsigned i);
/* Sets result i to a tensor of elem type and shape. */
void dl_set_result(dl_op *op, unsigned i, const dl_type *elem, const dl_shape *s);
/* dl_set_result for an optional output: does nothing when the op has no result i or result i
 * is absent (type none, an empty output name in the model). */
void dl_set_optional_result(dl_op *op, unsigned i, const dl_type *elem, const dl_shape *s);
/* Element type of operand i's tensor/sequence type. */
const dl_type *dl_operand_elem(const dl_op *op, unsigned i);
/* Scalar type for an ONNX TensorProto data type code (1 = FLOAT ...), or NULL. */
const dl_type *dl_onnx_elem_type(dl_context *ctx, int64_t onnx_code);
/* The ONNX data type code of a scalar type. */
int dl_onnx_type_code(dl_type_kind kind);

/* Largest element count of a tensor the compiler accepts (as dl_type_num_elements). */
#define DL_MAX_ELEMENTS ((int64_t)1 << 62)
/* Fails with an error at op when the static dims of s multiply to more than DL_MAX_ELEMENTS. */
dl_status dl_check_elements(dl_op *op, const dl_shape *s);
/* Integer values of constant operand i (`what` names it in messages, e.g. "'shape'"): *count
 * is its element count, or -1 when the operand is absent or not a constant. Fails with an error
 * when the constant has more than max elements. */
dl_status dl_const_operand_ints(dl_op *op, unsigned i, const char *what, int64_t *out, int64_t max,
                                int64_t *count);
/* The least type covering a and b (a and b interned types): tensors of one element type and rank
 * merge dimension by dimension (differing sizes or names become dynamic), sequences merge their
 * element types. NULL when they cannot merge (different kinds, element types or ranks). */
const dl_type *dl_type_merge(dl_context *ctx, const dl_type *a, const dl_type *b);
/* dl_type_merge for values that flow together (If branches, loop-carried values, sequence
 * elements): 'none' (an absent optional) joins anything, and tensor elements of sequences with
 * different ranks (not representable) take the rank of b, the newer value (the loop body's, the
 * inserted tensor), with dynamic dims. NULL when they cannot join. */
const dl_type *dl_type_join(dl_context *ctx, const dl_type *a, const dl_type *b);

/* ---- Shape helpers shared by the rule families (infer.c) ---- */

/* Copies dimension j of src (size and symbolic name) into dimension i of dst. */
void dl_shape_copy_dim(dl_shape *dst, int i, const dl_shape *src, int j);
/* Requires two sizes to agree where both are known (`what` names them in the error). */
dl_status dl_match_dim(dl_op *op, int64_t a, int64_t b, const char *what);
/* Requires operand i (`name` in messages) to be a tensor of the given rank; its shape in s. */
dl_status dl_operand_rank(dl_op *op, unsigned i, const char *name, int rank, dl_shape *s);
/* Sets dim i of s (the name is kept only for a dynamic size). */
void dl_shape_set_dim(dl_shape *s, int i, int64_t d, const char *name);
/* A rank-n shape whose dims are all dynamic; error at op when n is not a valid rank. */
dl_status dl_dyn_shape(dl_op *op, dl_shape *s, int64_t n);
/* Sets result i to a tensor of shape s after checking its element count. */
dl_status dl_set_result_checked(dl_op *op, unsigned i, const dl_type *elem, const dl_shape *s);
/* Multiplies a static count by a static dim; error past DL_MAX_ELEMENTS. */
dl_status dl_mul_checked(dl_op *op, int64_t *acc, int64_t d);
/* Product of dims [lo, hi) of s: static when every factor is, 0 when any factor is 0, else
 * dynamic; a lone dynamic factor among factors multiplying to 1 keeps its name. */
dl_status dl_dims_product(dl_op *op, const dl_shape *s, int lo, int hi, int64_t *dim,
                          const char **name);
/* Length of the 1-D integer operand i listing sizes or axes (`what` in messages), or -1. */
dl_status dl_vector_length(dl_op *op, unsigned i, const char *what, int64_t *len);
/* Normalises n axes against rank into [0, rank) and rejects duplicates. */
dl_status dl_norm_axes(dl_op *op, const char *what, int64_t *axes, int64_t n, int rank);
/* Size of a dim of size d sliced by start:end:step (step != 0), with numpy clamping. */
int64_t dl_slice_size(int64_t d, int64_t start, int64_t end, int64_t step);
/* True if start:end:step takes a whole dim whatever its size (forwards or backwards). */
bool dl_slice_whole(int64_t start, int64_t end, int64_t step);
/* The entries of the shape-like operand i: a constant, a traced shape value (infer_shape_value.c),
 * or dynamic entries when only its length is known; error when not even that is. */
dl_status dl_shape_operand(dl_op *op, unsigned i, const char *what, dl_shape *out);

#endif
