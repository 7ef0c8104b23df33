/* graph.h: the graph dialect's internal API: canonical patterns and helpers over ops. */
#ifndef DLCC_GRAPH_H
#define DLCC_GRAPH_H

#include "dlcc/pass.h"

/* The canonicalization patterns of the graph dialect. */
const dl_pattern *dl_graph_patterns(size_t *count);

/* The dense value of a graph.Constant producing v, or NULL. */
const dl_attr *dl_graph_constant_value(const dl_value *v);
/* True if v is produced by graph.None (an absent optional input). */
bool dl_graph_is_none(const dl_value *v);

/* Adds every attribute the op's ONNX schema gives a default for and the op lacks. */
void dl_graph_fill_defaults(dl_op *op);

/* Re-infers op's result types and reports declared types that do not fit them (a declared type
 * may leave sizes dynamic that inference knows; nothing is changed). */
dl_status dl_graph_check_types(dl_op *op);

#endif
