/* fold.h: constant folding of graph-dialect ops: evaluates ops whose operands are constants
 * (or whose result follows from static types alone, like Shape and Size). */
#ifndef DLCC_GRAPH_FOLD_H
#define DLCC_GRAPH_FOLD_H

#include "graph.h"

/* Largest result (in elements) that folding materialises. */
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
extern const dl_fold_entry dl_fold_elementwise[]; /* fold_elementwise.c */
extern const dl_fold_entry dl_fold_shape[];       /* fold_shape.c */

/* Computes op's results as constants when possible. */
bool dl_graph_fold(dl_op *op, const dl_attr **results);
/* Replaces op by graph.Constant ops when it folds (uses are rewired, op erased). */
bool dl_graph_fold_in_place(dl_op *op);

#endif
