/* types.h: interned IR types: scalars, tensor, memref, vector, sequence, function. */
#ifndef DLCC_TYPES_H
#define DLCC_TYPES_H

#include "dlcc/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Scalar kinds come first so that kind < DL_TY_NUM_SCALARS tests scalarness. */
#define DL_SCALAR_TYPES(X)                                                                         \
    X(F16, "f16", 2)                                                                               \
    X(BF16, "bf16", 2)                                                                             \
    X(F32, "f32", 4)                                                                               \
    X(F64, "f64", 8)                                                                               \
    X(I1, "i1", 1)                                                                                 \
    X(I8, "i8", 1)                                                                                 \
    X(I16, "i16", 2)                                                                               \
    X(I32, "i32", 4)                                                                               \
    X(I64, "i64", 8)                                                                               \
    X(U8, "u8", 1)                                                                                 \
    X(U16, "u16", 2)                                                                               \
    X(U32, "u32", 4)                                                                               \
    X(U64, "u64", 8)                                                                               \
    X(INDEX, "index", 8)

typedef enum dl_type_kind {
#define X(id, name, size) DL_TY_##id,
    DL_SCALAR_TYPES(X)
#undef X
        DL_TY_NUM_SCALARS,
    DL_TY_NONE = DL_TY_NUM_SCALARS, /* absent optional value */
    DL_TY_TENSOR,                   /* value-semantics n-d array */
    DL_TY_MEMREF,                   /* buffer with strides and offset */
    DL_TY_VECTOR,                   /* fixed-size SIMD vector */
    DL_TY_SEQ,                      /* ONNX sequence of tensors */
    DL_TY_FUNC,                     /* function signature */
} dl_type_kind;

/* A dynamic dimension, stride or offset. */
#define DL_DYN INT64_MIN

/* Types are interned: two types are equal iff their pointers are equal.
 * All fields are read-only; build types with the constructors below. */
typedef struct dl_type {
    dl_type_kind kind;
    uint32_t hash;
    const struct dl_type *elem; /* tensor/memref/vector/seq element type */
    int rank;                   /* tensor/memref/vector */
    const int64_t *dims;        /* rank sizes; DL_DYN when unknown */
    const char *const *names;   /* tensor: NULL, or rank symbolic names (NULL entries) */
    const int64_t *strides;     /* memref: NULL for the contiguous row-major layout */
    int64_t offset;             /* memref element offset */
    unsigned num_inputs, num_results;
    const struct dl_type *const *inputs, *const *results; /* func */
} dl_type;

const dl_type *dl_type_scalar(dl_context *ctx, dl_type_kind kind);
const dl_type *dl_type_none(dl_context *ctx);
/* names may be NULL; otherwise rank entries, each NULL or a symbolic dim name. */
const dl_type *dl_type_tensor(dl_context *ctx, const dl_type *elem, int rank, const int64_t *dims,
                              const char *const *names);
const dl_type *dl_type_memref(dl_context *ctx, const dl_type *elem, int rank, const int64_t *dims,
                              const int64_t *strides, int64_t offset);
const dl_type *dl_type_vector(dl_context *ctx, const dl_type *elem, int rank, const int64_t *dims);
const dl_type *dl_type_seq(dl_context *ctx, const dl_type *elem);
const dl_type *dl_type_func(dl_context *ctx, unsigned num_inputs, const dl_type *const *inputs,
                            unsigned num_results, const dl_type *const *results);
/* The same shape with another element type (tensor, memref or vector). */
const dl_type *dl_type_with_elem(dl_context *ctx, const dl_type *shaped, const dl_type *elem);

static inline bool dl_type_is_scalar(const dl_type *t) {
    return t->kind < DL_TY_NUM_SCALARS;
}
static inline bool dl_type_is_float(const dl_type *t) {
    return t->kind <= DL_TY_F64;
}
static inline bool dl_type_is_int(const dl_type *t) {
    return t->kind >= DL_TY_I1 && t->kind <= DL_TY_INDEX;
}
static inline bool dl_type_is_unsigned(const dl_type *t) {
    return t->kind >= DL_TY_U8 && t->kind <= DL_TY_U64;
}
static inline bool dl_type_is_shaped(const dl_type *t) {
    return t->kind == DL_TY_TENSOR || t->kind == DL_TY_MEMREF || t->kind == DL_TY_VECTOR;
}
/* Element type of a shaped type, or the type itself for a scalar. */
const dl_type *dl_type_elem(const dl_type *t);
/* Size in bytes of a scalar type. */
size_t dl_scalar_size(dl_type_kind kind);
/* Bit width of a scalar type (1 for i1). */
unsigned dl_scalar_bits(dl_type_kind kind);
const char *dl_scalar_name(dl_type_kind kind);
/* True when every dimension of a shaped type is known. */
bool dl_type_has_static_shape(const dl_type *t);
/* Number of elements of a static shape; -1 if dynamic or on overflow past 2^62. */
int64_t dl_type_num_elements(const dl_type *t);

/* Element strides of a memref with a static layout (row-major unless the type gives strides)
 * into strides[0..rank); false when a size, stride or the offset is dynamic. */
bool dl_memref_strides(const dl_type *t, int64_t *strides);
/* Elements a static memref spans from its base pointer (offset and farthest element included):
 * 0 when it is empty or its layout is not static. */
int64_t dl_memref_span(const dl_type *t);

/* Prints the type in the IR text syntax. */
void dl_type_print(const dl_type *t, FILE *out);
/* The type as an arena string. */
const char *dl_type_str(dl_context *ctx, const dl_type *t);

#ifdef __cplusplus
}
#endif
#endif
