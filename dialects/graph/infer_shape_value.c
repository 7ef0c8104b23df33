/* infer_shape_value.c: shape values: the entries of small integer tensors that hold shapes,
 * traced through constants and Shape/Gather/Concat/Slice/... chains like ONNX's data propagation,
 * so that Reshape/Expand/ConstantOfShape see symbolic and static sizes. */
#include "infer.h"

#include <string.h>

/* Like ONNX's data propagation: the entries of a small 1-D (or scalar) integer value computed from
 * constants and the dims of tensors (Shape), through Concat, Gather, Slice, Unsqueeze, Squeeze,
 * Cast, Identity, Add, Sub and Mul. An entry is a value, or DL_DYN with the name of the symbolic
 * dim it equals (or none). False when the value is not of that form or *budget producer ops
 * have been visited. */
static bool shape_value(const dl_value *v, dl_shape *out, int *budget);

/* The i-th operand of op as a shape value. */
static bool operand_value(const dl_op *op, unsigned i, dl_shape *out, int *budget) {
    return i < op->num_operands && shape_value(dl_operand(op, i), out, budget);
}

/* Constant integers of operand i (at most max), or -1. */
static int64_t operand_ints(const dl_op *op, unsigned i, int64_t *out, int64_t max) {
    if (!dl_has_operand(op, i)) return -1;
    int64_t n = dl_const_ints(dl_operand(op, i), out, max);
    return n > max ? -1 : n;
}

static bool shape_value_slice(const dl_op *op, dl_shape *out, int *budget) {
    dl_shape in;
    int64_t start, end, axis = 0, step = 1;
    if (!operand_value(op, 0, &in, budget) || operand_ints(op, 1, &start, 1) != 1 ||
        operand_ints(op, 2, &end, 1) != 1 ||
        (dl_has_operand(op, 3) &&
         (operand_ints(op, 3, &axis, 1) != 1 || (axis != 0 && axis != -1))) ||
        (dl_has_operand(op, 4) && operand_ints(op, 4, &step, 1) != 1) || step == 0)
        return false;
    int64_t d = in.rank, n = dl_slice_size(d, start, end, step);
    __int128 first = start < 0 ? (__int128)start + d : start;
    if (step > 0)
        first = first < 0 ? 0 : first;
    else
        first = first > d - 1 ? d - 1 : first;
    out->rank = (int)n;
    for (int64_t k = 0; k < n; k++) {
        int64_t j = (int64_t)(first + (__int128)k * step);
        dl_shape_set_dim(out, (int)k, in.dims[j], in.names[j]);
    }
    return true;
}

static bool shape_value(const dl_value *v, dl_shape *out, int *budget) {
    const dl_op *op = v->def;
    const dl_type *t = v->type;
    if (!op || --*budget < 0 || t->kind != DL_TY_TENSOR || t->rank > 1 || !dl_type_is_int(t->elem))
        return false;
    int64_t vals[DL_MAX_RANK];
    switch (op->kind) {
    case DL_OP_graph_Constant: {
        int64_t n = dl_const_ints(v, vals, DL_MAX_RANK);
        if (n < 0 || n > DL_MAX_RANK) return false;
        out->rank = (int)n;
        for (int i = 0; i < out->rank; i++) {
            if (vals[i] == DL_DYN) return false;
            out->dims[i] = vals[i];
            out->names[i] = NULL;
        }
        return true;
    }
    case DL_OP_graph_Shape: {
        dl_shape in;
        if (!dl_shape_of(dl_operand(op, 0), &in)) return false;
        int64_t r = in.rank, start = dl_op_attr_int(op, "start", 0);
        int64_t end = dl_op_attr_int(op, "end", r);
        if (start < 0) start = start < -r ? 0 : start + r;
        if (end < 0) end = end < -r ? 0 : end + r;
        start = start > r ? r : start;
        end = end > r ? r : end;
        out->rank = 0;
        for (int64_t i = start; i < end; i++, out->rank++)
            dl_shape_set_dim(out, out->rank, in.dims[i], in.names[i]);
        return true;
    }
    case DL_OP_graph_Concat: {
        dl_shape part;
        out->rank = 0;
        for (unsigned k = 0; k < op->num_operands; k++) {
            if (!operand_value(op, k, &part, budget) || out->rank + part.rank > DL_MAX_RANK)
                return false;
            for (int i = 0; i < part.rank; i++, out->rank++)
                dl_shape_set_dim(out, out->rank, part.dims[i], part.names[i]);
        }
        return true;
    }
    case DL_OP_graph_Gather: {
        dl_shape data;
        int64_t n = operand_ints(op, 1, vals, DL_MAX_RANK);
        if (dl_op_attr_int(op, "axis", 0) != 0 || !operand_value(op, 0, &data, budget) || n < 0)
            return false;
        out->rank = (int)n;
        for (int i = 0; i < out->rank; i++) {
            int64_t j = vals[i] < 0 ? vals[i] + data.rank : vals[i];
            if (j < 0 || j >= data.rank) return false;
            dl_shape_set_dim(out, i, data.dims[j], data.names[j]);
        }
        return true;
    }
    case DL_OP_graph_Slice: return shape_value_slice(op, out, budget);
    case DL_OP_graph_Unsqueeze:
    case DL_OP_graph_Squeeze:
    case DL_OP_graph_Cast:
    case DL_OP_graph_Identity: return operand_value(op, 0, out, budget);
    case DL_OP_graph_Add:
    case DL_OP_graph_Sub:
    case DL_OP_graph_Mul: {
        dl_shape a, b;
        if (!operand_value(op, 0, &a, budget) || !operand_value(op, 1, &b, budget)) return false;
        if (a.rank != b.rank && a.rank != 1 && b.rank != 1) return false;
        out->rank = a.rank > b.rank ? a.rank : b.rank;
        for (int i = 0; i < out->rank; i++) {
            int64_t x = a.dims[a.rank == 1 ? 0 : i], y = b.dims[b.rank == 1 ? 0 : i], r = DL_DYN;
            bool ok = x != DL_DYN && y != DL_DYN;
            if (ok && op->kind == DL_OP_graph_Add) ok = !__builtin_add_overflow(x, y, &r);
            if (ok && op->kind == DL_OP_graph_Sub) ok = !__builtin_sub_overflow(x, y, &r);
            if (ok && op->kind == DL_OP_graph_Mul) ok = !__builtin_mul_overflow(x, y, &r);
            dl_shape_set_dim(out, i, ok && r != DL_DYN ? r : DL_DYN, NULL);
        }
        return true;
    }
    default: return false;
    }
}

/* The entries of the shape-like operand i (`what` in messages): a constant, a shape value, or
 * dynamic entries when only the operand's length is known; fails when not even that is. */
dl_status dl_shape_operand(dl_op *op, unsigned i, const char *what, dl_shape *out) {
    int64_t vals[DL_MAX_RANK], n, len;
    if (dl_const_operand_ints(op, i, what, vals, DL_MAX_RANK, &n) != DL_OK) return DL_FAILURE;
    if (n >= 0) {
        out->rank = (int)n;
        for (int k = 0; k < out->rank; k++) {
            if (vals[k] == DL_DYN) return dl_op_error(op, "%s[%d] is out of range", what, k);
            out->dims[k] = vals[k];
            out->names[k] = NULL;
        }
        return DL_OK;
    }
    int budget = 64; /* producer ops visited at most */
    if (dl_has_operand(op, i) && shape_value(dl_operand(op, i), out, &budget)) return DL_OK;
    if (dl_vector_length(op, i, what, &len) != DL_OK) return DL_FAILURE;
    if (len < 0)
        return dl_op_error(op,
                           "cannot infer the result rank: %s is not a constant and its "
                           "length is dynamic",
                           what);
    return dl_dyn_shape(op, out, len);
}
