/* tensor.c: decoding ONNX TensorProto messages into dense attributes. raw_data and typed
 * fields whose layout matches the element type are borrowed from the unpacked model; only
 * narrower types stored in int32_data/uint64_data (int8, f16, bool, u32, ...) are converted. */
#include "onnx_internal.h"

#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "ONNX raw_data is little-endian; a big-endian host needs byte swapping here");

static const char *const type_names[] = {
    "UNDEFINED", "FLOAT",  "UINT8",     "INT8",       "UINT16",   "INT16",
    "INT32",     "INT64",  "STRING",    "BOOL",       "FLOAT16",  "DOUBLE",
    "UINT32",    "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
};

const char *onnx_data_type_name(int32_t code) {
    if (code >= 0 && (size_t)code < sizeof type_names / sizeof *type_names) return type_names[code];
    return "unknown";
}

const dl_type *onnx_tensor_type(onnx_importer *im, int32_t code, size_t n_dims, const int64_t *dims,
                                dl_loc loc, const char *what, size_t *bytes) {
    dl_context *ctx = im->ctx;
    const dl_type *elem = dl_onnx_elem_type(ctx, code);
    if (!elem) {
        dl_error(ctx, loc, "%s has unsupported element type %s (%d)", what,
                 onnx_data_type_name(code), (int)code);
        return NULL;
    }
    if (n_dims > DL_MAX_RANK) {
        dl_error(ctx, loc, "%s has rank %zu, more than the supported %d", what, n_dims,
                 DL_MAX_RANK);
        return NULL;
    }
    int64_t count = 1;
    for (size_t i = 0; i < n_dims; i++) {
        if (dims[i] < 0) {
            dl_error(ctx, loc, "%s has negative dimension %lld", what, (long long)dims[i]);
            return NULL;
        }
        if (__builtin_mul_overflow(count, dims[i], &count) || count > ONNX_MAX_TENSOR_BYTES) {
            dl_error(ctx, loc, "%s has an absurd shape (its element count overflows)", what);
            return NULL;
        }
    }
    int64_t nbytes = count * (int64_t)dl_scalar_size(elem->kind);
    if (nbytes > ONNX_MAX_TENSOR_BYTES) {
        dl_error(ctx, loc, "%s is too large (%lld bytes)", what, (long long)nbytes);
        return NULL;
    }
    *bytes = (size_t)nbytes;
    return dl_type_tensor(ctx, elem, (int)n_dims, dims, NULL);
}

/* Converts n values of a wider typed field to the element layout. */
static void *narrow(dl_context *ctx, dl_type_kind kind, const void *src, bool from_u64, size_t n) {
    size_t es = dl_scalar_size(kind);
    uint8_t *out = dl_alloc(ctx, n ? n * es : 1);
    for (size_t i = 0; i < n; i++) {
        uint64_t v = from_u64 ? ((const uint64_t *)src)[i] : (uint64_t)((const int32_t *)src)[i];
        if (kind == DL_TY_I1) v = v != 0;
        memcpy(out + i * es, &v, es); /* little-endian: the low bytes */
    }
    return out;
}

/* The typed field holding this element type: its data, count and whether it needs narrowing. */
static bool typed_field(const Onnx__TensorProto *t, dl_type_kind kind, const void **data, size_t *n,
                        bool *convert, bool *from_u64) {
    *convert = *from_u64 = false;
    *data = NULL;
    *n = 0;
    switch (kind) {
    case DL_TY_F32: *data = t->float_data, *n = t->n_float_data; return true;
    case DL_TY_F64: *data = t->double_data, *n = t->n_double_data; return true;
    case DL_TY_I64: *data = t->int64_data, *n = t->n_int64_data; return true;
    case DL_TY_U64: *data = t->uint64_data, *n = t->n_uint64_data; return true;
    case DL_TY_U32:
        *data = t->uint64_data, *n = t->n_uint64_data, *convert = *from_u64 = true;
        return true;
    case DL_TY_I32: *data = t->int32_data, *n = t->n_int32_data; return true;
    case DL_TY_I1:
    case DL_TY_I8:
    case DL_TY_U8:
    case DL_TY_I16:
    case DL_TY_U16:
    case DL_TY_F16:
    case DL_TY_BF16: *data = t->int32_data, *n = t->n_int32_data, *convert = true; return true;
    default: return false;
    }
}

const dl_attr *onnx_tensor_decode(onnx_importer *im, const Onnx__TensorProto *t, dl_loc loc,
                                  const char *what) {
    dl_context *ctx = im->ctx;
    if (t->name && *t->name) what = dl_sprintf(ctx, "%s '%s'", what, t->name);
    if (!t->has_data_type) {
        dl_error(ctx, loc, "%s has no data type", what);
        return NULL;
    }
    size_t bytes;
    const dl_type *type = onnx_tensor_type(im, t->data_type, t->n_dims, t->dims, loc, what, &bytes);
    if (!type) return NULL;
    if (t->segment) {
        dl_error(ctx, loc, "%s is a segment of a larger tensor, which is not supported", what);
        return NULL;
    }
    const void *data = NULL;
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        data = onnx_external_data(im, t, bytes, loc, what);
        if (!data) return NULL;
    } else if (t->has_raw_data) {
        if (t->raw_data.len != bytes) {
            dl_error(ctx, loc, "%s has %zu bytes of raw_data, but its shape %s needs %zu", what,
                     t->raw_data.len, dl_type_str(ctx, type), bytes);
            return NULL;
        }
        data = t->raw_data.data;
    } else {
        const void *src;
        size_t n, count = bytes / dl_scalar_size(type->elem->kind);
        bool convert, from_u64;
        typed_field(t, type->elem->kind, &src, &n, &convert, &from_u64);
        if (n != count) {
            dl_error(ctx, loc, "%s has %zu values, but its shape %s needs %zu", what, n,
                     dl_type_str(ctx, type), count);
            return NULL;
        }
        data = convert ? narrow(ctx, type->elem->kind, src, from_u64, n) : src;
    }
    static const char empty[16];
    const dl_attr *a = dl_attr_dense(ctx, type, bytes ? data : empty, bytes, false, false);
    DL_ASSERT(a);
    return a;
}
