/* types.c: ONNX TypeProto (graph inputs/outputs, value_info, TYPE_PROTO attributes) to dlcc
 * types: tensors with static, unknown (`?`) or named symbolic (`{N}`) dims, and sequences. */
#include "onnx_internal.h"

static const dl_type *tensor_type(onnx_importer *im, const Onnx__TypeProto__Tensor *tt, dl_loc loc,
                                  const char *what, bool *has_shape) {
    dl_context *ctx = im->ctx;
    int32_t code = tt->has_elem_type ? tt->elem_type : 0;
    const dl_type *elem = dl_onnx_elem_type(ctx, code);
    if (!elem) {
        dl_error(ctx, loc, "%s has unsupported element type %s (%d)", what,
                 onnx_data_type_name(code), (int)code);
        return NULL;
    }
    if (!tt->shape) {
        *has_shape = false;
        return NULL;
    }
    size_t rank = tt->shape->n_dim;
    if (rank > DL_MAX_RANK) {
        dl_error(ctx, loc, "%s has rank %zu, more than the supported %d", what, rank, DL_MAX_RANK);
        return NULL;
    }
    int64_t dims[DL_MAX_RANK];
    const char *names[DL_MAX_RANK];
    bool named = false;
    for (size_t i = 0; i < rank; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        dims[i] = DL_DYN;
        names[i] = NULL;
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (d->dim_value < 0) {
                dl_error(ctx, loc, "%s has negative dimension %lld", what, (long long)d->dim_value);
                return NULL;
            }
            dims[i] = d->dim_value;
        } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                   d->dim_param && *d->dim_param) {
            names[i] = dl_intern(ctx, d->dim_param);
            named = true;
        }
    }
    *has_shape = true;
    return dl_type_tensor(ctx, elem, (int)rank, dims, named ? names : NULL);
}

const dl_type *onnx_type_convert(onnx_importer *im, const Onnx__TypeProto *tp, dl_loc loc,
                                 const char *what, bool *has_shape) {
    dl_context *ctx = im->ctx;
    *has_shape = true;
    if (!tp) {
        *has_shape = false;
        return NULL;
    }
    switch (tp->value_case) {
    case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE:
        if (tp->tensor_type) return tensor_type(im, tp->tensor_type, loc, what, has_shape);
        break;
    case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE: {
        const Onnx__TypeProto *e = tp->sequence_type ? tp->sequence_type->elem_type : NULL;
        if (!e || e->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) break;
        const dl_type *t = onnx_type_convert(im, e, loc, what, has_shape);
        return t ? dl_type_seq(ctx, t) : NULL;
    }
    case ONNX__TYPE_PROTO__VALUE__NOT_SET: *has_shape = false; return NULL;
    default: break;
    }
    static const char *const kinds[] = {"", "tensor",        "",        "", "sequence", "map", "",
                                        "", "sparse tensor", "optional"};
    unsigned k = (unsigned)tp->value_case;
    dl_error(ctx, loc, "%s has an unsupported type (%s)", what,
             k < sizeof kinds / sizeof *kinds && *kinds[k] ? kinds[k] : "unknown kind");
    return NULL;
}
