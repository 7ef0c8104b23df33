/* lower.h: the graph -> kernel lowering's internal API: the state of one lowering (which buffer
 * holds each graph value), the helpers op lowerings use to get their operands' buffers and
 * their results' destinations, and the per-family tables of op lowerings. */
#ifndef DLCC_LOWERING_LOWER_H
#define DLCC_LOWERING_LOWER_H

#include "dialects/graph/graph.h"
#include "dialects/graph/infer.h"
#include "kbuild.h"

typedef struct dl_lower dl_lower;

/* Lowers one graph op: emits kernel ops at lw_top(lw) and binds every result of op to a
 * buffer (lw_out / lw_bind). On unsupported input it emits an error naming the op
 * (dl_op_error) and returns DL_FAILURE. */
typedef dl_status (*dl_lower_fn)(dl_lower *lw, dl_op *op);

typedef struct dl_lower_entry {
    dl_op_kind kind;
    dl_lower_fn fn;
} dl_lower_entry;

/* Tables by op family, each ending with {DL_OP__INVALID, NULL}; lower_pass.c merges them. */
extern const dl_lower_entry dl_lower_elementwise[]; /* lower_elementwise.c */
extern const dl_lower_entry dl_lower_shape[];    /* lower_shape.c: views, copies, data movement */
extern const dl_lower_entry dl_lower_linalg[];   /* lower_linalg.c: MatMul, Gemm, Einsum */
extern const dl_lower_entry dl_lower_conv[];     /* lower_conv.c: Conv, ConvTranspose */
extern const dl_lower_entry dl_lower_pool[];     /* lower_pool.c: pooling */
extern const dl_lower_entry dl_lower_reduce[];   /* lower_reduce.c: Reduce*, Arg*, softmax */
extern const dl_lower_entry dl_lower_norm[];     /* lower_norm.c: normalisations */
extern const dl_lower_entry dl_lower_index[];    /* lower_index.c: gather, scatter, ... */
extern const dl_lower_entry dl_lower_select[];   /* lower_select.c: Compress, NonZero, Unique */
extern const dl_lower_entry dl_lower_resize[];   /* lower_resize.c: Resize, Upsample, ... */
extern const dl_lower_entry dl_lower_roi[];      /* lower_roi.c: RoiAlign, MaxRoiPool */
extern const dl_lower_entry dl_lower_loss[];     /* lower_loss.c: NLL, softmax CE */
extern const dl_lower_entry dl_lower_rnn[];      /* lower_rnn.c: RNN, GRU, LSTM */
extern const dl_lower_entry dl_lower_quant[];    /* lower_quant.c: quantized ops */
extern const dl_lower_entry dl_lower_control[];  /* lower_control.c: If, Scan */
extern const dl_lower_entry dl_lower_loop[];     /* lower_loop.c: Loops left after unrolling */
extern const dl_lower_entry dl_lower_sequence[]; /* lower_sequence.c: Sequence* ops */
extern const dl_lower_entry dl_lower_optional[]; /* lower_optional.c: Optional* ops */
extern const dl_lower_entry dl_lower_signal[];   /* lower_signal.c: DFT, windows */
extern const dl_lower_entry dl_lower_misc[];     /* lower_misc.c: everything else */

/* ---- Buffers of graph values ------------------------------------------------------------- */

/* The builder for function-level kernel ops of the op being lowered (its location). */
dl_builder *lw_top(dl_lower *lw);
dl_context *lw_ctx(dl_lower *lw);
/* The buffer of operand i of op, or NULL when the operand is absent or graph.None. */
dl_value *lw_in(dl_lower *lw, dl_op *op, unsigned i);
/* True if op has a present (non-None) operand i. */
bool lw_has(dl_op *op, unsigned i);
/* The destination buffer of result i: the caller's output buffer when the value is a model
 * output (not yet claimed by another value), else a new kernel.alloc. The result is bound
 * to it. Unused results still get a buffer. */
dl_value *lw_out(dl_lower *lw, dl_op *op, unsigned i);
/* Binds graph value v to an existing buffer (views, globals). */
void lw_bind(dl_lower *lw, dl_value *v, dl_value *buf);
/* Sequences: a sequence value is a list of buffers known at compile time. */
void lw_seq_bind(dl_lower *lw, dl_value *v, unsigned n, dl_value *const *items);
/* The buffers of sequence operand i of op (arena array) and their count. */
dl_value **lw_seq(dl_lower *lw, dl_op *op, unsigned i, unsigned *n);
/* A new scratch buffer (kernel.alloc). */
dl_value *lw_temp(dl_lower *lw, const dl_type *elem, int rank, const int64_t *dims);

/* ---- Regions (If branches, Scan and Loop bodies) --------------------------------------------- */

/* Lowers the ops of a region's block (all but its graph.Yield) with the block arguments bound
 * to args; *yields receives the buffers of the Yield operands (arena array). */
dl_status lw_lower_region(dl_lower *lw, dl_block *blk, dl_value *const *args, dl_value ***yields);
/* Forgets the buffers of every value defined in blk (arguments and op results, nested ones
 * too), so that the block can be lowered again (the next iteration of an unrolled loop). */
void lw_forget_region(dl_lower *lw, dl_block *blk);

/* ---- Loops (unroll_loops.c) ---------------------------------------------------------------- */

/* True if func contains a graph.Loop (at any depth). */
bool lw_has_loops(dl_op *func);
/* Unrolls every graph.Loop of the graph-level function func whose iterations are known at
 * compile time into clones of its body (re-inferred and folded per iteration), then re-infers
 * func's types. A Loop that cannot be unrolled stays, with a string attribute
 * `dlcc.unroll_failure` saying why. Modifies func: run it on a scratch copy. */
dl_status lw_unroll_loops(dl_op *func);

/* ---- Reading constant operands ------------------------------------------------------------ */

/* Integer values of constant operand i (graph.Constant): element count, or -1 when the
 * operand is absent or not a constant. */
int64_t lw_const_ints(dl_op *op, unsigned i, int64_t *out, int64_t max);
int64_t lw_const_floats(dl_op *op, unsigned i, double *out, int64_t max);

/* ---- Shapes -------------------------------------------------------------------------------- */

/* Normalises an axis into [0, rank). */
dl_status lw_axis(dl_op *op, int64_t axis, int rank, int *out);
/* The memref type of graph value v (which has a static shape). */
const dl_type *lw_memref_of(dl_lower *lw, const dl_value *v);

/* ---- Shared by several families ------------------------------------------------------------ */

/* A copy of x (N, C, spatial...) surrounded by `fill`: pad_begin[i] elements before spatial dim
 * i, and extended at the end so that dim i has at least need[i] elements; x itself when no
 * padding is needed (lower_conv.c). */
dl_value *lw_padded_input(dl_lower *lw, dl_value *x, int ns, const int64_t *pad_begin,
                          const int64_t *need, double fill);

/* out = conv(x, w) + bias with op's Conv attributes (lower_conv.c); elements are converted to
 * out's type before multiplying. */
dl_status lw_conv(dl_lower *lw, dl_op *op, dl_value *x, dl_value *w, dl_value *bias, dl_value *out);
/* out = matmul(a, b) with numpy batching (lower_linalg.c); elements converted to out's type. */
dl_status lw_matmul(dl_lower *lw, dl_op *op, dl_value *a, dl_value *b, dl_value *out);
/* Writes the softmax (log = false) or log-softmax of x along axis into out, subtracting the
 * maximum first (lower_reduce.c). */
void lw_softmax(dl_lower *lw, dl_value *x, int axis, dl_value *out, bool log);

#endif
