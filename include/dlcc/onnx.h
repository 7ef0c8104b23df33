/* onnx.h: importing ONNX models into the graph dialect, and reading/writing ONNX tensor files. */
#ifndef DLCC_ONNX_H
#define DLCC_ONNX_H

#include "dlcc/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

/* `-shape NAME=1x3x224x224`: fixes the shape of a graph input with symbolic dims. */
typedef struct dl_shape_override {
    const char *name;
    int rank;
    const int64_t *dims;
} dl_shape_override;

/* `-bind NAME=FILE.pb`: specialises the model for one value of a graph input. The input
 * becomes a graph.Constant holding `value` before inference and is no longer an argument of
 * main. value is a dense attribute of the importing context (e.g. from dl_onnx_read_tensor);
 * its element type and rank must be the input's declared ones, and its size must match every
 * static dim of the declaration (symbolic and unknown dims take the value's size). */
typedef struct dl_input_binding {
    const char *name;
    const dl_attr *value;
} dl_input_binding;

typedef struct dl_onnx_options {
    const dl_shape_override *shapes;
    unsigned num_shapes;
    const dl_input_binding *bindings;
    unsigned num_bindings;
    bool no_fold; /* keep constant subgraphs unfolded (folding happens during import otherwise) */
} dl_onnx_options;

/* Imports the model at path into a new builtin.module holding one builtin.func "main": its
 * arguments are the graph inputs that are neither initializers nor bound by opts->bindings,
 * its results the graph outputs, with the original names in the func attributes `arg_names`
 * and `result_names`. Every node becomes one graph-dialect op with inferred result types.
 * Errors (corrupt file, unsupported op/attribute/type, invalid shapes; a -shape or -bind
 * naming no graph input, an input bound twice, a bound value whose type does not match the
 * input's) are emitted to ctx, naming the node (or input), op type, domain and opset; every
 * unsupported node is reported, not just the first. Returns NULL on error. */
__dl_give dl_op *dl_onnx_import(dl_context *ctx, const char *path, const dl_onnx_options *opts);
/* Same, from a serialized ModelProto in memory; `path` names it in diagnostics and anchors
 * external data (may be NULL: then external data is refused). */
__dl_give dl_op *dl_onnx_import_buffer(dl_context *ctx, const void *data, size_t len,
                                       const char *path, const dl_onnx_options *opts);

/* Reads a serialized TensorProto file (ONNX test-data layout). Returns a dense attribute
 * (a tensor type with the stored shape) and its name (arena string, may be ""), or NULL with
 * an error emitted. */
const dl_attr *dl_onnx_read_tensor(dl_context *ctx, const char *path, const char **name);
/* Writes data (row-major, of tensor type t) as a TensorProto file. */
dl_status dl_onnx_write_tensor(dl_context *ctx, const char *path, const char *name,
                               const dl_type *t, const void *data);

#ifdef __cplusplus
}
#endif
#endif
