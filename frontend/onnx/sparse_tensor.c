/* sparse_tensor.c: densifying ONNX SparseTensorProto values (sparse_value attributes and
 * sparse initializers) into dense attributes. */
#include "onnx_internal.h"

#include <string.h>

const dl_attr *onnx_sparse_decode(onnx_importer *im, const Onnx__SparseTensorProto *t, dl_loc loc,
                                  const char *what) {
    dl_context *ctx = im->ctx;
    if (!t->values || !t->indices) {
        dl_error(ctx, loc, "sparse %s lacks its values or indices", what);
        return NULL;
    }
    const dl_attr *values = onnx_tensor_decode(im, t->values, loc, "sparse values");
    const dl_attr *indices = onnx_tensor_decode(im, t->indices, loc, "sparse indices");
    if (!values || !indices) return NULL;
    size_t bytes;
    const dl_type *type =
        onnx_tensor_type(im, t->values->data_type, t->n_dims, t->dims, loc, what, &bytes);
    if (!type) return NULL;
    if (bytes > ONNX_MAX_SPARSE_BYTES) {
        dl_error(ctx, loc, "sparse %s is too large to densify (%zu bytes)", what, bytes);
        return NULL;
    }
    int rank = type->rank;
    int64_t nnz = dl_dense_num_elements(values), total = dl_type_num_elements(type);
    const dl_type *it = indices->type;
    bool linear = it->rank == 1 && it->dims[0] == nnz;
    bool coords = it->rank == 2 && it->dims[0] == nnz && it->dims[1] == rank;
    if (values->type->rank != 1 || it->elem->kind != DL_TY_I64 || (!linear && !coords)) {
        dl_error(ctx, loc,
                 "sparse %s needs 1-D values and int64 indices of shape [NNZ] or [NNZ, %d]", what,
                 rank);
        return NULL;
    }
    size_t es = dl_scalar_size(type->elem->kind);
    uint8_t *out = dl_alloc(ctx, bytes ? bytes : 1);
    for (int64_t k = 0; k < nnz; k++) {
        int64_t pos = 0;
        if (linear) {
            pos = dl_dense_get_i64(indices, k);
        } else {
            for (int d = 0; d < rank; d++) {
                int64_t i = dl_dense_get_i64(indices, k * rank + d);
                if (i < 0 || i >= type->dims[d]) pos = -1;
                if (pos >= 0) pos = pos * type->dims[d] + i;
            }
        }
        if (pos < 0 || pos >= total) {
            dl_error(ctx, loc, "sparse %s has an index out of range (entry %lld)", what,
                     (long long)k);
            return NULL;
        }
        memcpy(out + (size_t)pos * es, (const uint8_t *)values->u.dense.data + (size_t)k * es, es);
    }
    return dl_attr_dense(ctx, type, out, bytes, false, false);
}
