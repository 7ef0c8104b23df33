/* interp.h: a reference interpreter for kernel-, loop- and arith-level IR (tree-walking
 * execution of one builtin.func on caller memory), the independent executor that checks
 * scheduling and lowering. */
#ifndef DLCC_INTERP_H
#define DLCC_INTERP_H

#include "dlcc/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Executes func, a builtin.func made of builtin, kernel, loop and arith ops, once.
 *
 * buffers[i] is the memory of argument i: for a memref argument its base pointer, for a
 * scalar argument a pointer to its value. Element (x0..xk) of a memref lives at
 *   base + (offset + sum_r x_r * stride_r) * element_size
 * with the type's strides and element offset (row-major strides for contiguous types).
 * Memrefs must have static shapes. Every access is bounds-checked.
 *
 * Semantics, op by op:
 *   kernel.alloc: zero-filled memory, freed when func returns. kernel.global: a private copy
 *   of the dense value. kernel.view: base + `offset` bytes, with the result's type.
 *   kernel.generic: visits the domain in lexicographic order; at each point it loads the
 *   operands whose block arguments are used (at maps[k](d)), runs the body, and stores the
 *   yielded values at the output maps. kernel.index / kernel.load / kernel.store as in
 *   kernel/ops.def. loop.for runs lb, lb+step, ... < ub (step must be positive);
 *   loop.parallel runs its iterations sequentially, in order; loop.alloca memory lives until
 *   its block ends. Vector loop.load/loop.store access consecutive elements along the last
 *   dimension.
 *   arith: vectors lane by lane. Integers wrap to their width (iN signed, uN unsigned, index
 *   is i64, i1 is 0/1); div/rem truncate (rem takes the dividend's sign), floordiv/ceildiv
 *   round down/up; integer division by zero gives 0. Shifts by >= the width give 0 (shr of
 *   a negative signed value: -1). Floats follow IEEE arithmetic in their own precision
 *   (f16/bf16 computed in f32 and rounded); rem is fmod, floordiv/ceildiv are floor/ceil of
 *   the quotient; max/min propagate NaN and order -0 < +0; round is half-to-even; cmp is
 *   false on NaN except `ne`. cast: int->int sign/zero-extends by the source type then
 *   wraps; float->int truncates toward zero and saturates (NaN -> 0); anything -> i1 is
 *   `!= 0`. reduce folds lanes 0..n-1 in order.
 *
 * Returns DL_OK, or DL_FAILURE after emitting a located error into func's context (an op it
 * cannot execute, an out-of-bounds access, a non-positive step, a dynamic shape). */
dl_status dl_interp_run(dl_op *func, void *const *buffers);

/* Knobs for testing the claims of scheduled code. */
typedef struct dl_interp_options {
    /* Runs the iterations of loop.parallel, and of loop.for marked `vectorize`, last to
     * first: any order must give the same result when the loop carries no dependence. */
    bool reverse_parallel;
} dl_interp_options;

/* dl_interp_run with options (NULL: the defaults of dl_interp_run). */
dl_status dl_interp_run_opts(dl_op *func, void *const *buffers, const dl_interp_options *options);

#ifdef __cplusplus
}
#endif
#endif
