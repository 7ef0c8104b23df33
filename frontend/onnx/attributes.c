/* attributes.c: ONNX node attributes to op attributes of the same name: INT -> i64, FLOAT ->
 * f32, STRING -> string, INTS/FLOATS/STRINGS -> arrays, TENSOR/SPARSE_TENSOR -> dense,
 * TENSORS -> array of dense, TYPE_PROTO -> type. (GRAPH attributes become regions: graph.c.) */
#include "onnx_internal.h"

#include <stdlib.h>

#define KIND(k) ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__##k

Onnx__AttributeProto__AttributeType onnx_attr_kind(const Onnx__AttributeProto *a) {
    if (a->has_type && a->type != KIND(UNDEFINED)) return a->type;
    /* Models from IR version 1 may lack the type: deduce it from the field that is set. */
    if (a->has_f) return KIND(FLOAT);
    if (a->has_i) return KIND(INT);
    if (a->has_s) return KIND(STRING);
    if (a->t) return KIND(TENSOR);
    if (a->g) return KIND(GRAPH);
    if (a->sparse_tensor) return KIND(SPARSE_TENSOR);
    if (a->tp) return KIND(TYPE_PROTO);
    if (a->n_floats) return KIND(FLOATS);
    if (a->n_ints) return KIND(INTS);
    if (a->n_strings) return KIND(STRINGS);
    if (a->n_tensors) return KIND(TENSORS);
    if (a->n_graphs) return KIND(GRAPHS);
    if (a->n_sparse_tensors) return KIND(SPARSE_TENSORS);
    if (a->n_type_protos) return KIND(TYPE_PROTOS);
    return KIND(UNDEFINED);
}

/* A type attribute; a tensor type without shape becomes its element type. */
static const dl_attr *type_attr(onnx_importer *im, const Onnx__TypeProto *tp, dl_loc loc,
                                const char *what) {
    bool has_shape;
    const dl_type *t = onnx_type_convert(im, tp, loc, what, &has_shape);
    if (!t && !has_shape && tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
        tp->tensor_type)
        t = dl_onnx_elem_type(im->ctx, tp->tensor_type->elem_type);
    if (!t && !has_shape) dl_error(im->ctx, loc, "%s has a type without enough information", what);
    return t ? dl_attr_type(im->ctx, t) : NULL;
}

/* An array attribute of n elements made by fn(i), or NULL if any element fails. */
typedef const dl_attr *(*elem_fn)(onnx_importer *im, const Onnx__AttributeProto *a, size_t i,
                                  dl_loc loc, const char *what);

static const dl_attr *array_of(onnx_importer *im, const Onnx__AttributeProto *a, size_t n,
                               elem_fn fn, dl_loc loc, const char *what) {
    if (n > UINT32_MAX) {
        dl_error(im->ctx, loc, "%s has too many elements", what);
        return NULL;
    }
    const dl_attr **elems = malloc((n ? n : 1) * sizeof *elems);
    DL_ASSERT(elems);
    const dl_attr *r = NULL;
    size_t i = 0;
    for (; i < n && (elems[i] = fn(im, a, i, loc, what)); i++) {
    }
    if (i == n) r = dl_attr_array(im->ctx, (unsigned)n, elems);
    free(elems);
    return r;
}

static const dl_attr *string_elem(onnx_importer *im, const Onnx__AttributeProto *a, size_t i,
                                  dl_loc loc, const char *what) {
    const ProtobufCBinaryData *b = &a->strings[i];
    return dl_attr_string_n(im->ctx, b->len ? (const char *)b->data : "", b->len);
}
static const dl_attr *tensor_elem(onnx_importer *im, const Onnx__AttributeProto *a, size_t i,
                                  dl_loc loc, const char *what) {
    return onnx_tensor_decode(im, a->tensors[i], loc, what);
}
static const dl_attr *sparse_elem(onnx_importer *im, const Onnx__AttributeProto *a, size_t i,
                                  dl_loc loc, const char *what) {
    return onnx_sparse_decode(im, a->sparse_tensors[i], loc, what);
}
static const dl_attr *type_elem(onnx_importer *im, const Onnx__AttributeProto *a, size_t i,
                                dl_loc loc, const char *what) {
    return type_attr(im, a->type_protos[i], loc, what);
}

const dl_attr *onnx_attr_convert(onnx_importer *im, const Onnx__AttributeProto *a, dl_loc loc) {
    dl_context *ctx = im->ctx;
    const char *what = dl_sprintf(ctx, "attribute '%s'", a->name ? a->name : "");
    if (a->ref_attr_name && *a->ref_attr_name) {
        dl_error(ctx, loc, "%s refers to a function attribute ('%s'), which only functions may do",
                 what, a->ref_attr_name);
        return NULL;
    }
    switch (onnx_attr_kind(a)) {
    case KIND(FLOAT): return dl_attr_float(ctx, a->f);
    case KIND(INT): return dl_attr_int(ctx, a->i);
    case KIND(STRING):
        return dl_attr_string_n(ctx, a->s.len ? (const char *)a->s.data : "", a->s.len);
    case KIND(TENSOR):
        if (a->t) return onnx_tensor_decode(im, a->t, loc, what);
        break;
    case KIND(SPARSE_TENSOR):
        if (a->sparse_tensor) return onnx_sparse_decode(im, a->sparse_tensor, loc, what);
        break;
    case KIND(TYPE_PROTO):
        if (a->tp) return type_attr(im, a->tp, loc, what);
        break;
    case KIND(FLOATS):
        if (a->n_floats > UINT32_MAX) break;
        return dl_attr_float_array(ctx, (unsigned)a->n_floats, a->floats);
    case KIND(INTS):
        if (a->n_ints > UINT32_MAX) break;
        return dl_attr_int_array(ctx, (unsigned)a->n_ints, a->ints);
    case KIND(STRINGS): return array_of(im, a, a->n_strings, string_elem, loc, what);
    case KIND(TENSORS): return array_of(im, a, a->n_tensors, tensor_elem, loc, what);
    case KIND(SPARSE_TENSORS): return array_of(im, a, a->n_sparse_tensors, sparse_elem, loc, what);
    case KIND(TYPE_PROTOS): return array_of(im, a, a->n_type_protos, type_elem, loc, what);
    case KIND(GRAPH):
    case KIND(GRAPHS):
        dl_error(ctx, loc, "%s is a graph, which this op does not take", what);
        return NULL;
    default: dl_error(ctx, loc, "%s has an unknown or missing type", what); return NULL;
    }
    dl_error(ctx, loc, "%s is malformed (its value is missing)", what);
    return NULL;
}
