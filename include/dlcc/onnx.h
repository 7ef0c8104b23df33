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

typedef struct dl_onnx_options {
    const dl_shape_override *shapes;
    unsigned num_shapes;
    bool no_fold; /* keep constant subgraphs unfolded (folding happens during import otherwise) */
} dl_onnx_options;

/* Imports the model at path into a new builtin.module holding one builtin.func "main": its
 * arguments are the graph inputs that are not initializers, its results the graph outputs,
 * with the original names in the func attributes `arg_names` and `result_names`. Every node
 * becomes one graph-dialect op with inferred result types. Errors (corrupt file, unsupported
 * op/attribute/type, invalid shapes) are emitted to ctx, naming the node, op type, domain and
 * opset; every unsupported node is reported, not just the first. Returns NULL on error. */
__dl_give dl_op *dl_onnx_import(dl_context *ctx, const char *path, const dl_onnx_options *opts);
/* Same, from a serialized ModelProto in memory; `path` names it in diagnostics and anchors
 * external data (may be NULL: then external data is refused). */
__dl_give dl_op *dl_onnx_import_buffer(dl_context *ctx, const void *data, size_t len, const char *path,
                                       const dl_onnx_options *opts);

/* Reads a serialized TensorProto file (ONNX test-data layout). Returns a dense attribute
 * (a tensor type with the stored shape) and its name (arena string, may be ""), or NULL with
 * an error emitted. */
const dl_attr *dl_onnx_read_tensor(dl_context *ctx, const char *path, const char **name);
/* Writes data (row-major, of tensor type t) as a TensorProto file. */
dl_status dl_onnx_write_tensor(dl_context *ctx, const char *path, const char *name, const dl_type *t,
                               const void *data);

#ifdef __cplusplus
}
#endif
#endif
