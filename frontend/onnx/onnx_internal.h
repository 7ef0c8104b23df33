/* onnx_internal.h: declarations shared by the ONNX importer's source files (frontend/onnx/). */
#ifndef DLCC_ONNX_INTERNAL_H
#define DLCC_ONNX_INTERNAL_H

#include "dlcc/onnx.h"
#include "graph/graph.h"
#include "graph/infer.h"
#include "onnx.pb-c.h"

/* Limits on hostile input. */
#define ONNX_MAX_FILE_BYTES   ((size_t)INT32_MAX) /* protobuf messages are limited to 2 GiB */
#define ONNX_MAX_MSG_DEPTH    100                 /* nesting of protobuf messages */
#define ONNX_MAX_GRAPH_DEPTH  16                  /* nesting of subgraphs (If/Loop/Scan) */
#define ONNX_MAX_TENSOR_BYTES ((int64_t)1 << 40)  /* largest tensor the importer accepts */
#define ONNX_MAX_SPARSE_BYTES ((size_t)1 << 30)   /* largest densified sparse tensor */
#define ONNX_LATEST_OPSET     17 /* the opset whose semantics the graph dialect has */

/* ---- String -> pointer map (names of values, producers) ---- */

typedef struct onnx_name_map {
    const char **keys;
    void **vals;
    uint32_t *hashes;
    size_t cap, count;
} onnx_name_map;

/* The value stored under name, or NULL. */
void *onnx_name_map_get(const onnx_name_map *m, const char *name);
/* Stores val under name (replacing an earlier one); name must outlive the map. */
void onnx_name_map_set(onnx_name_map *m, const char *name, void *val);
void onnx_name_map_free(onnx_name_map *m);

/* ---- Importer state ---- */

typedef struct onnx_importer {
    dl_context *ctx;
    const char *path; /* model path for diagnostics (interned), or NULL */
    const char *dir;  /* folder that external data is relative to, or NULL (refused) */
    const dl_onnx_options *opts;
    const Onnx__ModelProto *model;
    int64_t opset;           /* version of the default (ai.onnx) domain */
    unsigned graph_depth;    /* nesting of the graph being imported */
    unsigned body_reimports; /* Loop/Scan bodies imported again (node.c: import_loop_body) */
    /* Warnings held back while a Loop/Scan body may still be imported again (holding > 0),
     * so that a body imported twice warns once (onnx_warn). */
    struct onnx_held_warning *held;
    size_t num_held, cap_held;
    unsigned holding;
} onnx_importer;

typedef struct onnx_held_warning {
    dl_loc loc;
    const char *msg;
} onnx_held_warning;

/* Emits a warning at loc, or holds it back while im->holding > 0. */
__attribute__((format(printf, 3, 4))) void onnx_warn(onnx_importer *im, dl_loc loc, const char *fmt,
                                                     ...);
/* Emits the held warnings when nothing holds them any more. */
void onnx_release_warnings(onnx_importer *im);

/* Names visible in one graph: its inputs, initializers and node outputs, then the
 * enclosing graphs' names. */
typedef struct onnx_scope {
    struct onnx_scope *parent;
    onnx_name_map values; /* name -> dl_value */
    dl_block *block;      /* where this graph's ops go */
    dl_value *none;       /* graph.None of this block, created on first use */
} onnx_scope;

/* The location of the model as a whole (no node). */
dl_loc onnx_model_loc(onnx_importer *im);
/* The value named name in scope or an enclosing scope, or NULL. */
dl_value *onnx_scope_lookup(const onnx_scope *s, const char *name);
/* The block's graph.None value (an absent optional input). */
dl_value *onnx_scope_none(onnx_importer *im, onnx_scope *s);
/* True if v is a placeholder left by a node that failed to import (its type is none but it
 * is not a graph.None). */
bool onnx_is_placeholder(const dl_value *v);
/* A new placeholder value (the result of a detached op, never printed) standing for a value
 * that failed to import, so that its users are checked without cascading errors. */
dl_value *onnx_placeholder(onnx_importer *im);

/* ---- Protobuf wire checks (wire_check.c) ---- */

/* Checks that data is a well-formed serialized message of type desc whose nesting stays
 * within ONNX_MAX_MSG_DEPTH (protobuf-c's unpacker recurses without a limit). Returns NULL
 * when fine, otherwise a static description of the problem. */
const char *onnx_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                            size_t len);

/* ---- Tensors, external data, types, attributes ---- */

/* Name of an ONNX TensorProto data type code ("FLOAT", ...), or "unknown". */
const char *onnx_data_type_name(int32_t code);
/* The static tensor type of an ONNX tensor with element type code and dims, and its size in
 * bytes; emits an error at loc (naming `what`) for unsupported types, negative or absurd dims
 * and ranks beyond DL_MAX_RANK. */
const dl_type *onnx_tensor_type(onnx_importer *im, int32_t code, size_t n_dims, const int64_t *dims,
                                dl_loc loc, const char *what, size_t *bytes);
/* Decodes a TensorProto into a dense attribute. Data of the message is borrowed (the message
 * must live as long as ctx); only layouts that differ are converted. External data is read
 * relative to im->dir. Emits an error at loc naming `what` and returns NULL on bad input. */
const dl_attr *onnx_tensor_decode(onnx_importer *im, const Onnx__TensorProto *t, dl_loc loc,
                                  const char *what);
/* Densifies a SparseTensorProto (indices [NNZ] linear or [NNZ, rank]); NULL + error on bad
 * input. */
const dl_attr *onnx_sparse_decode(onnx_importer *im, const Onnx__SparseTensorProto *t, dl_loc loc,
                                  const char *what);
/* Reads the external data of t (data_location = EXTERNAL): exactly `bytes` bytes from the file
 * named by the `location` entry, relative to im->dir, at `offset` for `length`. The file must
 * lie inside im->dir. Returns memory owned by ctx, or NULL after an error at loc. */
const void *onnx_external_data(onnx_importer *im, const Onnx__TensorProto *t, size_t bytes,
                               dl_loc loc, const char *what);
/* Converts a TypeProto (tensor or sequence of tensors) to a dl_type. A tensor without shape
 * information gets rank -1 reported through *has_shape = false and a NULL result. Emits an
 * error at loc (naming `what`) and returns NULL for unsupported types. */
const dl_type *onnx_type_convert(onnx_importer *im, const Onnx__TypeProto *tp, dl_loc loc,
                                 const char *what, bool *has_shape);
/* Converts an attribute of any kind but GRAPH/GRAPHS (which become regions). Emits an error at
 * loc and returns NULL when the attribute is malformed or of an unsupported kind. */
const dl_attr *onnx_attr_convert(onnx_importer *im, const Onnx__AttributeProto *a, dl_loc loc);
/* The attribute's kind, deduced from the set fields when the `type` field is missing. */
Onnx__AttributeProto__AttributeType onnx_attr_kind(const Onnx__AttributeProto *a);

/* ---- Graphs and nodes ---- */

/* Imports the nodes of g into scope s (whose block already holds g's inputs and
 * initializers) in dependency order. Errors are emitted; returns false after any. */
bool onnx_import_nodes(onnx_importer *im, const Onnx__GraphProto *g, onnx_scope *s);
/* Imports g as the body of region `index` of op: block arguments for g's inputs, its
 * initializers and nodes, and a graph.Yield of its outputs. Argument i is typed from its
 * declaration, or from arg_types[i] where the declaration has no shape; where carried (may be
 * NULL) has an entry, the type is joined with carried[i] (a loop-carried value's type). Both
 * arrays have num_arg_types entries, NULL where they say nothing. */
bool onnx_import_subgraph(onnx_importer *im, const Onnx__GraphProto *g, onnx_scope *outer,
                          dl_op *op, unsigned index, unsigned num_arg_types,
                          const dl_type *const *arg_types, const dl_type *const *carried);
/* Warns where an inferred type contradicts a type the model declares for a value of g (in
 * value_info or the graph outputs): element types, ranks or sizes known in both differ. */
void onnx_check_declared(onnx_importer *im, const Onnx__GraphProto *g, const onnx_scope *s);
/* Adds the initializers of g to s as graph.Constant ops. */
bool onnx_import_initializers(onnx_importer *im, const Onnx__GraphProto *g, onnx_scope *s);

/* One node being imported. */
typedef struct onnx_node {
    const Onnx__NodeProto *proto;
    onnx_scope *scope;
    dl_loc loc;
    int64_t opset;
    dl_op *op;          /* the op being built (inserted at the end of the scope's block) */
    dl_value **outputs; /* values bound to the node's output names (one per output) */
    unsigned num_outputs;
    bool placeholder;      /* an operand is a placeholder: the op is not inferred */
    dl_value *orig_input0; /* first operand before upgrades (Softmax coercion) */
    int upgrade_kind;      /* upgrade needing a step after inference (0: none) */
} onnx_node;

/* Imports one node; returns false after an error (its outputs are then placeholders). */
bool onnx_import_node(onnx_importer *im, const Onnx__NodeProto *n, onnx_scope *s);
/* Fills attribute defaults, infers result types and (unless disabled) folds op, which must be
 * in a block. Stores op's results, or the constants that replaced them, in vals (may be
 * NULL). Returns false after an inference error. */
bool onnx_finish_op(onnx_importer *im, dl_op *op, dl_value **vals);
/* Builds a finished one-result op before `before` with the given attributes (name/value
 * pairs, num_attrs of them): the helper upgrades use for Constant, Unsqueeze, Reshape, ...
 * Returns its (possibly folded) result, or NULL after an error. */
dl_value *onnx_build_aux(onnx_importer *im, dl_op *before, dl_loc loc, dl_op_kind kind,
                         unsigned num_operands, dl_value *const *operands, unsigned num_attrs,
                         const dl_named_attr *attrs);
/* A graph.Constant holding n int64 values as a 1-D tensor (or a scalar when scalar is set),
 * built before `before`. */
dl_value *onnx_const_i64(onnx_importer *im, dl_op *before, dl_loc loc, const int64_t *v, unsigned n,
                         bool scalar);
/* A scalar graph.Constant of element type elem holding v, built before `before`. */
dl_value *onnx_const_scalar(onnx_importer *im, dl_op *before, dl_loc loc, const dl_type *elem,
                            double v);

/* ---- Bound inputs (bind.c) ---- */

/* Checks opts->bindings against the graph inputs of g (inits: the initializer names): each
 * names an input that is not an initializer, and no input is bound twice. Errors are emitted;
 * returns false after any. */
bool onnx_check_bindings(onnx_importer *im, const Onnx__GraphProto *g, const onnx_name_map *inits);
/* The binding of the graph input name, or NULL. */
const dl_input_binding *onnx_find_binding(onnx_importer *im, const char *name);
/* Checks a bound value against the input's declared type (NULL when the model declares no
 * shape; -shape overrides already applied): same element type (bfloat16 inputs also take the
 * uint16 bits ONNX test data stores) and rank, equal sizes where the declaration's are static.
 * Returns the value to use, or NULL after an error at loc naming the input. */
const dl_attr *onnx_bound_value(onnx_importer *im, const Onnx__ValueInfoProto *vi,
                                const dl_type *declared, const dl_attr *value, dl_loc loc);
/* Appends the graph.Constant standing for bound input `name` to block; returns its value. */
dl_value *onnx_bind_input(onnx_importer *im, dl_block *block, const char *name,
                          const dl_attr *value);

/* ---- Opset upgrades (upgrade.c) ---- */

/* Rewrites the node's op (attributes already converted, not yet finished) from its opset's
 * form to the latest semantics: attributes that became inputs, removed attributes, changed
 * defaults and semantics. May replace nc->op. Emits an error and returns false when the old
 * form cannot be expressed. */
bool onnx_upgrade_before(onnx_importer *im, onnx_node *nc);
/* The part of an upgrade that wraps the finished op's results (nc->outputs), e.g. reshaping
 * a coerced Softmax back to its input's shape. */
bool onnx_upgrade_after(onnx_importer *im, onnx_node *nc);

#endif
