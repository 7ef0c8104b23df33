/* infer_shape.c: shape inference rules of the shape op family: constants, reshaping, transposing,
 * concatenating and splitting, slicing, padding, broadcasting, resizing and shape queries. */
#include "infer.h"

#include <math.h>
#include <string.h>

/* ---- Helpers -------------------------------------------------------------------------------- */

static const dl_type *i64_type(dl_op *op) {
    return dl_type_scalar(op->ctx, DL_TY_I64);
}

static void set_dim(dl_shape *s, int i, int64_t d, const char *name) {
    s->dims[i] = d;
    s->names[i] = d == DL_DYN ? name : NULL;
}

/* A rank-n shape whose dims are all dynamic. */
static dl_status dyn_shape(dl_op *op, dl_shape *s, int64_t n) {
    if (n < 0 || n > DL_MAX_RANK)
        return dl_op_error(op, "the result rank %lld is outside the supported range [0, %d]",
                           (long long)n, DL_MAX_RANK);
    s->rank = (int)n;
    for (int i = 0; i < s->rank; i++) set_dim(s, i, DL_DYN, NULL);
    return DL_OK;
}

/* Sets result i to a tensor of shape s after checking its element count. */
static dl_status set_checked(dl_op *op, unsigned i, const dl_type *elem, const dl_shape *s) {
    if (dl_check_elements(op, s) != DL_OK) return DL_FAILURE;
    dl_set_result(op, i, elem, s);
    return DL_OK;
}

/* Multiplies a static count by a static dim; fails past DL_MAX_ELEMENTS. */
static dl_status mul_checked(dl_op *op, int64_t *acc, int64_t d) {
    if (d != 0 && *acc > DL_MAX_ELEMENTS / d)
        return dl_op_error(op, "the element count overflows (more than 2^62)");
    *acc *= d;
    return DL_OK;
}

/* Product of dims [lo, hi) of s: static when every factor is static, 0 when any factor is 0,
 * otherwise dynamic; a lone dynamic factor among factors multiplying to 1 keeps its name. */
static dl_status dims_product(dl_op *op, const dl_shape *s, int lo, int hi, int64_t *dim,
                              const char **name) {
    int64_t known = 1;
    int ndyn = 0;
    const char *dyn_name = NULL;
    *dim = 0;
    *name = NULL;
    for (int i = lo; i < hi; i++)
        if (s->dims[i] == 0) return DL_OK;
    for (int i = lo; i < hi; i++) {
        if (s->dims[i] == DL_DYN) {
            ndyn++;
            dyn_name = s->names[i];
        } else if (mul_checked(op, &known, s->dims[i]) != DL_OK) {
            return DL_FAILURE;
        }
    }
    *dim = ndyn ? DL_DYN : known;
    if (ndyn == 1 && known == 1) *name = dyn_name;
    return DL_OK;
}

/* The shape of a 1-D integer operand that lists sizes or axes: its static length, or -1. */
static dl_status vector_length(dl_op *op, unsigned i, const char *what, int64_t *len) {
    dl_shape s;
    if (dl_operand_shape(op, i, &s) != DL_OK) return DL_FAILURE;
    if (s.rank > 1) return dl_op_error(op, "%s must be a 1-D tensor, got rank %d", what, s.rank);
    *len = s.rank == 0 ? 1 : s.dims[0] == DL_DYN ? -1 : s.dims[0];
    return DL_OK;
}

/* Normalises n axes against rank into [0, rank) and rejects duplicates. */
static dl_status norm_axes(dl_op *op, const char *what, int64_t *axes, int64_t n, int rank) {
    bool seen[DL_MAX_RANK] = {false};
    for (int64_t i = 0; i < n; i++) {
        if (axes[i] < -rank || axes[i] >= rank)
            return dl_op_error(op, "%s has axis %lld, out of range for rank %d", what,
                               (long long)axes[i], rank);
        if (axes[i] < 0) axes[i] += rank;
        if (seen[axes[i]])
            return dl_op_error(op, "%s lists axis %lld twice", what, (long long)axes[i]);
        seen[axes[i]] = true;
    }
    return DL_OK;
}

/* Size of dim d sliced by start:end:step (step != 0), with numpy clamping. */
static int64_t slice_size(int64_t d, int64_t start, int64_t end, int64_t step) {
    __int128 s = start < 0 ? (__int128)start + d : start, e = end < 0 ? (__int128)end + d : end;
    if (step > 0) {
        s = s < 0 ? 0 : s > d ? d : s;
        e = e < 0 ? 0 : e > d ? d : e;
        return e > s ? (int64_t)((e - s - 1) / step + 1) : 0;
    }
    s = s < 0 ? -1 : s > d - 1 ? d - 1 : s;
    e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
    return s > e ? (int64_t)((s - e - 1) / -(__int128)step + 1) : 0;
}

/* True if start:end:step takes a whole dim whatever its size (forwards or backwards). */
static bool slice_whole(int64_t start, int64_t end, int64_t step) {
    return (step == 1 && start == 0 && end == INT64_MAX) ||
           (step == -1 && (start == -1 || start == INT64_MAX) && end == INT64_MIN);
}

/* ---- Shape values --------------------------------------------------------------------------- */

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
    int64_t d = in.rank, n = slice_size(d, start, end, step);
    __int128 first = start < 0 ? (__int128)start + d : start;
    if (step > 0)
        first = first < 0 ? 0 : first;
    else
        first = first > d - 1 ? d - 1 : first;
    out->rank = (int)n;
    for (int64_t k = 0; k < n; k++) {
        int64_t j = (int64_t)(first + (__int128)k * step);
        set_dim(out, (int)k, in.dims[j], in.names[j]);
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
            set_dim(out, out->rank, in.dims[i], in.names[i]);
        return true;
    }
    case DL_OP_graph_Concat: {
        dl_shape part;
        out->rank = 0;
        for (unsigned k = 0; k < op->num_operands; k++) {
            if (!operand_value(op, k, &part, budget) || out->rank + part.rank > DL_MAX_RANK)
                return false;
            for (int i = 0; i < part.rank; i++, out->rank++)
                set_dim(out, out->rank, part.dims[i], part.names[i]);
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
            set_dim(out, i, data.dims[j], data.names[j]);
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
            set_dim(out, i, ok && r != DL_DYN ? r : DL_DYN, NULL);
        }
        return true;
    }
    default: return false;
    }
}

/* The entries of the shape-like operand i (`what` in messages): a constant, a shape value, or
 * dynamic entries when only the operand's length is known; fails when not even that is. */
static dl_status shape_operand(dl_op *op, unsigned i, const char *what, dl_shape *out) {
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
    if (vector_length(op, i, what, &len) != DL_OK) return DL_FAILURE;
    if (len < 0)
        return dl_op_error(op,
                           "cannot infer the result rank: %s is not a constant and its "
                           "length is dynamic",
                           what);
    return dyn_shape(op, out, len);
}

/* ---- Constant, None ------------------------------------------------------------------------- */

static dl_status infer_constant(dl_op *op) {
    const dl_attr *v = dl_op_attr(op, "value");
    if (!v || v->kind != DL_ATTR_DENSE) return dl_op_error(op, "needs a dense 'value' attribute");
    dl_op_set_result_type(op, 0, v->type);
    return DL_OK;
}

static dl_status infer_none(dl_op *op) {
    dl_op_set_result_type(op, 0, dl_type_none(op->ctx));
    return DL_OK;
}

/* ---- Reshape, Flatten, Transpose, Squeeze, Unsqueeze ---------------------------------------- */

/* Reshape: entries of 'shape' (a constant or a shape value) are sizes, 0 (copy the input dim,
 * unless allowzero), -1 (inferred from the element count) or unknown. Dynamic dims that are
 * copied or that appear with one symbolic name on both sides cancel out, so -1 stays static for
 * e.g. {N}x3x4 -> [0, -1] or -> Concat(Shape(x)[0:1], [-1]). */
static dl_status infer_reshape(dl_op *op) {
    dl_shape in, out, shape;
    if (dl_operand_shape(op, 0, &in) != DL_OK || shape_operand(op, 1, "'shape'", &shape) != DL_OK)
        return DL_FAILURE;
    const dl_type *elem = dl_operand_elem(op, 0);
    bool allowzero = dl_op_attr_int(op, "allowzero", 0) != 0, has_zero = false;
    bool in_done[DL_MAX_RANK] = {false}, out_done[DL_MAX_RANK] = {false}, any_copied = false;
    int infer_at = -1;
    out.rank = shape.rank;
    for (int i = 0; i < out.rank; i++) {
        int64_t v = shape.dims[i];
        set_dim(&out, i, v, shape.names[i]);
        if (v == -1) {
            if (infer_at >= 0) return dl_op_error(op, "'shape' has more than one -1 entry");
            infer_at = i;
            out_done[i] = true;
        } else if (v == 0 && !allowzero) {
            if (i >= in.rank)
                return dl_op_error(op,
                                   "'shape'[%d] is 0 (copy the input dim) but the input has "
                                   "rank %d",
                                   i, in.rank);
            set_dim(&out, i, in.dims[i], in.names[i]);
            in_done[i] = out_done[i] = any_copied = true;
        } else if (v < 0 && v != DL_DYN) {
            return dl_op_error(op, "'shape'[%d] is %lld; entries must be -1 or more", i,
                               (long long)v);
        } else if (v == 0) {
            has_zero = true;
        }
    }
    if (allowzero && has_zero && infer_at >= 0)
        return dl_op_error(op, "'shape' has both 0 and -1 entries with allowzero = 1");
    /* A symbolic output dim cancels an input dim of that name. */
    for (int i = 0; i < out.rank; i++) {
        if (out_done[i] || out.dims[i] != DL_DYN || !out.names[i]) continue;
        for (int j = 0; j < in.rank && !out_done[i]; j++)
            if (!in_done[j] && in.dims[j] == DL_DYN && in.names[j] == out.names[i])
                in_done[j] = out_done[i] = true;
    }
    /* Static element counts of both sides besides the cancelled dims. */
    int64_t in_known = 1, out_known = 1;
    bool in_dyn = false, out_dyn = false;
    for (int i = 0; i < in.rank; i++) {
        if (in_done[i]) continue;
        if (in.dims[i] == DL_DYN)
            in_dyn = true;
        else if (mul_checked(op, &in_known, in.dims[i]) != DL_OK)
            return DL_FAILURE;
    }
    for (int i = 0; i < out.rank; i++) {
        if (out_done[i]) continue;
        if (out.dims[i] == DL_DYN)
            out_dyn = true;
        else if (mul_checked(op, &out_known, out.dims[i]) != DL_OK)
            return DL_FAILURE;
    }
    const char *besides = any_copied ? " (besides the copied dims)" : "";
    if (infer_at >= 0) {
        if (in_dyn || out_dyn) {
            set_dim(&out, infer_at, DL_DYN, NULL);
        } else if (out_known == 0) {
            return dl_op_error(op, "cannot infer the -1 entry of 'shape': the other entries "
                                   "give zero elements");
        } else if (in_known % out_known != 0) {
            return dl_op_error(op,
                               "cannot infer the -1 entry of 'shape': %lld elements%s are not "
                               "a multiple of %lld",
                               (long long)in_known, besides, (long long)out_known);
        } else {
            set_dim(&out, infer_at, in_known / out_known, NULL);
        }
    } else if (!in_dyn && !out_dyn && in_known != out_known) {
        return dl_op_error(op, "'shape' gives %lld elements but the input has %lld%s",
                           (long long)out_known, (long long)in_known, besides);
    }
    return set_checked(op, 0, elem, &out);
}

static dl_status infer_flatten(dl_op *op) {
    dl_shape in, out = {.rank = 2};
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    int64_t axis = dl_op_attr_int(op, "axis", 1);
    if (axis < -in.rank || axis > in.rank)
        return dl_op_error(op, "'axis' %lld is out of range [%d, %d]", (long long)axis, -in.rank,
                           in.rank);
    if (axis < 0) axis += in.rank;
    if (dims_product(op, &in, 0, (int)axis, &out.dims[0], &out.names[0]) != DL_OK ||
        dims_product(op, &in, (int)axis, in.rank, &out.dims[1], &out.names[1]) != DL_OK)
        return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &out);
    return DL_OK;
}

/* Transpose: 'perm' defaults to the reversed axes. */
static dl_status infer_transpose(dl_op *op) {
    dl_shape in, out;
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    int64_t perm[DL_MAX_RANK + 1];
    int n = dl_op_attr_ints(op, "perm", perm, DL_MAX_RANK + 1);
    if (n < 0) {
        n = in.rank;
        for (int i = 0; i < n; i++) perm[i] = n - 1 - i;
    }
    if (n != in.rank)
        return dl_op_error(op, "'perm' has %d entries for an input of rank %d", n, in.rank);
    bool seen[DL_MAX_RANK] = {false};
    out.rank = n;
    for (int i = 0; i < n; i++) {
        if (perm[i] < 0 || perm[i] >= n || seen[perm[i]])
            return dl_op_error(op, "'perm' is not a permutation of [0, %d)", n);
        seen[perm[i]] = true;
        set_dim(&out, i, in.dims[perm[i]], in.names[perm[i]]);
    }
    dl_set_result(op, 0, dl_operand_elem(op, 0), &out);
    return DL_OK;
}

/* Squeeze: removes the listed axes (which must have size 1; dynamic ones are assumed to), or
 * every size-1 dim when 'axes' is absent (a dynamic dim then makes the rank unknown: error).
 * Non-constant axes of known count give a result of known rank with dynamic dims. */
static dl_status infer_squeeze(dl_op *op) {
    dl_shape in, out = {.rank = 0};
    int64_t axes[DL_MAX_RANK], n;
    if (dl_operand_shape(op, 0, &in) != DL_OK ||
        dl_const_operand_ints(op, 1, "'axes'", axes, DL_MAX_RANK, &n) != DL_OK)
        return DL_FAILURE;
    const dl_type *elem = dl_operand_elem(op, 0);
    if (n < 0 && dl_has_operand(op, 1)) {
        int64_t len;
        if (vector_length(op, 1, "'axes'", &len) != DL_OK) return DL_FAILURE;
        if (len < 0)
            return dl_op_error(op, "cannot infer the result rank: 'axes' is not a constant and "
                                   "its length is unknown");
        if (len > in.rank)
            return dl_op_error(op, "'axes' has %lld entries for an input of rank %d",
                               (long long)len, in.rank);
        if (dyn_shape(op, &out, in.rank - len) != DL_OK) return DL_FAILURE;
        dl_set_result(op, 0, elem, &out);
        return DL_OK;
    }
    bool drop[DL_MAX_RANK] = {false};
    if (n < 0) {
        for (int i = 0; i < in.rank; i++) {
            if (in.dims[i] == DL_DYN)
                return dl_op_error(op,
                                   "cannot infer the result rank: 'axes' is absent and "
                                   "dimension %d is dynamic",
                                   i);
            drop[i] = in.dims[i] == 1;
        }
    } else {
        if (norm_axes(op, "'axes'", axes, n, in.rank) != DL_OK) return DL_FAILURE;
        for (int64_t k = 0; k < n; k++) {
            int64_t a = axes[k];
            if (in.dims[a] != 1 && in.dims[a] != DL_DYN)
                return dl_op_error(op, "cannot squeeze axis %lld: its size is %lld, not 1",
                                   (long long)a, (long long)in.dims[a]);
            drop[a] = true;
        }
    }
    for (int i = 0; i < in.rank; i++)
        if (!drop[i]) {
            out.rank++;
            set_dim(&out, out.rank - 1, in.dims[i], in.names[i]);
        }
    dl_set_result(op, 0, elem, &out);
    return DL_OK;
}

/* Unsqueeze: inserts size-1 dims at 'axes', which count in the result's rank. */
static dl_status infer_unsqueeze(dl_op *op) {
    dl_shape in, out;
    int64_t axes[DL_MAX_RANK], n;
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    if (!dl_has_operand(op, 1)) return dl_op_error(op, "needs the 'axes' operand");
    if (dl_const_operand_ints(op, 1, "'axes'", axes, DL_MAX_RANK, &n) != DL_OK) return DL_FAILURE;
    const dl_type *elem = dl_operand_elem(op, 0);
    if (n < 0) {
        int64_t len;
        if (vector_length(op, 1, "'axes'", &len) != DL_OK) return DL_FAILURE;
        if (len < 0)
            return dl_op_error(op, "cannot infer the result rank: 'axes' is not a constant and "
                                   "its length is unknown");
        if (dyn_shape(op, &out, in.rank + len) != DL_OK) return DL_FAILURE;
        dl_set_result(op, 0, elem, &out);
        return DL_OK;
    }
    if (in.rank + n > DL_MAX_RANK)
        return dl_op_error(op, "the result rank %lld exceeds the supported %d",
                           (long long)(in.rank + n), DL_MAX_RANK);
    out.rank = in.rank + (int)n;
    if (norm_axes(op, "'axes'", axes, n, out.rank) != DL_OK) return DL_FAILURE;
    bool inserted[DL_MAX_RANK] = {false};
    for (int64_t k = 0; k < n; k++) inserted[axes[k]] = true;
    for (int i = 0, j = 0; i < out.rank; i++) {
        if (inserted[i])
            set_dim(&out, i, 1, NULL);
        else {
            set_dim(&out, i, in.dims[j], in.names[j]);
            j++;
        }
    }
    dl_set_result(op, 0, elem, &out);
    return DL_OK;
}

/* ---- Concat, Split -------------------------------------------------------------------------- */

/* Merges a dim seen in two inputs that must agree: static wins over dynamic, names must match. */
static dl_status merge_equal_dim(dl_op *op, dl_shape *acc, int i, int64_t d, const char *name,
                                 unsigned operand) {
    if (d == DL_DYN) {
        if (acc->dims[i] == DL_DYN && acc->names[i] != name) acc->names[i] = NULL;
        return DL_OK;
    }
    if (acc->dims[i] == DL_DYN)
        set_dim(acc, i, d, NULL);
    else if (acc->dims[i] != d)
        return dl_op_error(op, "operand %u has size %lld in dimension %d, but operand 0 has %lld",
                           operand, (long long)d, i, (long long)acc->dims[i]);
    return DL_OK;
}

/* Concat: all inputs have one rank and agree except along 'axis', whose sizes add up. */
static dl_status infer_concat(dl_op *op) {
    if (!dl_op_attr(op, "axis")) return dl_op_error(op, "needs an 'axis' attribute");
    dl_shape out, s;
    if (dl_operand_shape(op, 0, &out) != DL_OK) return DL_FAILURE;
    if (out.rank == 0) return dl_op_error(op, "cannot concatenate scalars (rank 0)");
    int64_t axis;
    if (dl_norm_axis(op, dl_op_attr_int(op, "axis", 0), out.rank, &axis) != DL_OK)
        return DL_FAILURE;
    const dl_type *elem = dl_operand_elem(op, 0);
    for (unsigned k = 1; k < op->num_operands; k++) {
        if (dl_operand_shape(op, k, &s) != DL_OK) return DL_FAILURE;
        if (s.rank != out.rank)
            return dl_op_error(op, "operand %u has rank %d, but operand 0 has rank %d", k, s.rank,
                               out.rank);
        if (dl_operand_elem(op, k) != elem)
            return dl_op_error(op, "operand %u has element type %s, but operand 0 has %s", k,
                               dl_type_str(op->ctx, dl_operand_elem(op, k)),
                               dl_type_str(op->ctx, elem));
        for (int i = 0; i < out.rank; i++) {
            if (i != axis) {
                if (merge_equal_dim(op, &out, i, s.dims[i], s.names[i], k) != DL_OK)
                    return DL_FAILURE;
            } else if (out.dims[i] == DL_DYN || s.dims[i] == DL_DYN) {
                set_dim(&out, i, DL_DYN, NULL);
            } else {
                out.dims[i] += s.dims[i];
                if (out.dims[i] > DL_MAX_ELEMENTS)
                    return dl_op_error(op, "the concatenated dimension overflows");
            }
        }
    }
    return set_checked(op, 0, elem, &out);
}

/* Split: into the sizes of the constant 'split' operand, or into one equal part per result
 * ('num_outputs' when present, opset 18, allows a smaller last part). */
static dl_status infer_split(dl_op *op) {
    dl_shape in, out;
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    if (in.rank == 0) return dl_op_error(op, "cannot split a scalar (rank 0)");
    int64_t axis;
    if (dl_norm_axis(op, dl_op_attr_int(op, "axis", 0), in.rank, &axis) != DL_OK) return DL_FAILURE;
    unsigned nres = op->num_results;
    int64_t sizes[256], n;
    if (nres == 0 || nres > 256) return dl_op_error(op, "has %u results; expected 1 to 256", nres);
    if (dl_const_operand_ints(op, 1, "'split'", sizes, 256, &n) != DL_OK) return DL_FAILURE;
    int64_t d = in.dims[axis];
    if (n >= 0) {
        if (n != nres)
            return dl_op_error(op, "'split' has %lld entries for %u results", (long long)n, nres);
        int64_t sum = 0;
        for (unsigned k = 0; k < nres; k++) {
            if (sizes[k] < 0)
                return dl_op_error(op, "'split'[%u] is negative (%lld)", k, (long long)sizes[k]);
            if (sizes[k] > DL_MAX_ELEMENTS - sum) return dl_op_error(op, "'split' overflows");
            sum += sizes[k];
        }
        if (d != DL_DYN && sum != d)
            return dl_op_error(op, "'split' sums to %lld but dimension %lld has size %lld",
                               (long long)sum, (long long)axis, (long long)d);
    } else if (dl_has_operand(op, 1) || d == DL_DYN) {
        for (unsigned k = 0; k < nres; k++) sizes[k] = DL_DYN;
    } else {
        int64_t num = dl_op_attr_int(op, "num_outputs", nres);
        if (num != nres)
            return dl_op_error(op, "'num_outputs' is %lld but the op has %u results",
                               (long long)num, nres);
        int64_t part = d / nres;
        if (d % nres != 0) {
            if (!dl_op_attr(op, "num_outputs"))
                return dl_op_error(op,
                                   "dimension %lld of size %lld cannot be split into %u "
                                   "equal parts",
                                   (long long)axis, (long long)d, nres);
            part = d / nres + 1;
            if (part * (int64_t)(nres - 1) >= d)
                return dl_op_error(op,
                                   "dimension %lld of size %lld cannot be split into %u "
                                   "parts",
                                   (long long)axis, (long long)d, nres);
        }
        for (unsigned k = 0; k < nres; k++)
            sizes[k] = k + 1 < nres ? part : d - part * (int64_t)(nres - 1);
    }
    const dl_type *elem = dl_operand_elem(op, 0);
    for (unsigned k = 0; k < nres; k++) {
        out = in;
        set_dim(&out, (int)axis, sizes[k], NULL);
        if (sizes[k] == d) out.names[axis] = in.names[axis];
        dl_set_result(op, k, elem, &out);
    }
    return DL_OK;
}

/* ---- Slice, Pad, Expand, Tile --------------------------------------------------------------- */

/* Slice: starts/ends/axes/steps are constants (axes default to 0..n-1, steps to 1). Negative
 * indices count from the end and are clamped. A dynamic dim stays dynamic unless the slice
 * takes all of it (0:INT64_MAX:1). Non-constant inputs make the affected dims dynamic. */
static dl_status infer_slice(dl_op *op) {
    dl_shape in, out;
    int64_t starts[DL_MAX_RANK], ends[DL_MAX_RANK], axes[DL_MAX_RANK], steps[DL_MAX_RANK];
    int64_t ns, ne, na, nst;
    if (dl_operand_shape(op, 0, &in) != DL_OK ||
        dl_const_operand_ints(op, 1, "'starts'", starts, DL_MAX_RANK, &ns) != DL_OK ||
        dl_const_operand_ints(op, 2, "'ends'", ends, DL_MAX_RANK, &ne) != DL_OK ||
        dl_const_operand_ints(op, 3, "'axes'", axes, DL_MAX_RANK, &na) != DL_OK ||
        dl_const_operand_ints(op, 4, "'steps'", steps, DL_MAX_RANK, &nst) != DL_OK)
        return DL_FAILURE;
    const dl_type *elem = dl_operand_elem(op, 0);
    out = in;
    /* The number of sliced axes, from whichever input tells it. */
    int64_t n = ns >= 0 ? ns : ne >= 0 ? ne : na >= 0 ? na : nst;
    if (n < 0 && vector_length(op, 1, "'starts'", &n) != DL_OK) return DL_FAILURE;
    if ((ns >= 0 && ns != n) || (ne >= 0 && ne != n) || (na >= 0 && na != n) ||
        (nst >= 0 && nst != n))
        return dl_op_error(op, "'starts', 'ends', 'axes' and 'steps' must have the same length");
    if (n > in.rank)
        return dl_op_error(op, "slices %lld axes of an input of rank %d", (long long)n, in.rank);
    if (n < 0 || (na < 0 && dl_has_operand(op, 3))) {
        /* Unknown axes or count: any dim may be sliced. */
        for (int i = 0; i < out.rank; i++) set_dim(&out, i, DL_DYN, NULL);
        dl_set_result(op, 0, elem, &out);
        return DL_OK;
    }
    if (na < 0)
        for (int64_t k = 0; k < n; k++) axes[k] = k;
    if (norm_axes(op, "'axes'", axes, n, in.rank) != DL_OK) return DL_FAILURE;
    if (nst < 0 && !dl_has_operand(op, 4))
        for (int64_t k = 0; k < n; k++) steps[k] = 1;
    for (int64_t k = 0; k < n; k++) {
        int a = (int)axes[k];
        bool known = ns >= 0 && ne >= 0 && (nst >= 0 || !dl_has_operand(op, 4));
        if (known && steps[k] == 0) return dl_op_error(op, "'steps'[%lld] is 0", (long long)k);
        if (!known) {
            set_dim(&out, a, DL_DYN, NULL);
        } else if (in.dims[a] == DL_DYN) {
            set_dim(&out, a, DL_DYN,
                    slice_whole(starts[k], ends[k], steps[k]) ? in.names[a] : NULL);
        } else {
            set_dim(&out, a, slice_size(in.dims[a], starts[k], ends[k], steps[k]), NULL);
        }
    }
    dl_set_result(op, 0, elem, &out);
    return DL_OK;
}

/* Pad: the constant 'pads' lists [begin_0, ..., begin_n-1, end_0, ..., end_n-1] for every axis
 * (or for the axes of the 'axes' operand, opset 18); negative pads crop. */
static dl_status infer_pad(dl_op *op) {
    dl_shape in, out;
    int64_t pads[2 * DL_MAX_RANK], axes[DL_MAX_RANK], np, na;
    if (dl_operand_shape(op, 0, &in) != DL_OK ||
        dl_const_operand_ints(op, 1, "'pads'", pads, 2 * DL_MAX_RANK, &np) != DL_OK ||
        dl_const_operand_ints(op, 3, "'axes'", axes, DL_MAX_RANK, &na) != DL_OK)
        return DL_FAILURE;
    const char *mode = dl_op_attr_str(op, "mode", "constant");
    if (strcmp(mode, "constant") != 0 && strcmp(mode, "reflect") != 0 &&
        strcmp(mode, "edge") != 0 && strcmp(mode, "wrap") != 0)
        return dl_op_error(op, "unknown 'mode' \"%s\" (expected constant, reflect, edge or wrap)",
                           mode);
    const dl_type *elem = dl_operand_elem(op, 0);
    out = in;
    if (np < 0 || (na < 0 && dl_has_operand(op, 3))) {
        for (int i = 0; i < out.rank; i++) set_dim(&out, i, DL_DYN, NULL);
        dl_set_result(op, 0, elem, &out);
        return DL_OK;
    }
    if (na < 0) {
        na = in.rank;
        for (int i = 0; i < in.rank; i++) axes[i] = i;
    } else if (norm_axes(op, "'axes'", axes, na, in.rank) != DL_OK) {
        return DL_FAILURE;
    }
    if (np != 2 * na)
        return dl_op_error(op, "'pads' has %lld entries; expected %lld (2 per padded axis)",
                           (long long)np, (long long)(2 * na));
    for (int64_t k = 0; k < na; k++) {
        int a = (int)axes[k];
        int64_t b = pads[k], e = pads[k + na];
        if (in.dims[a] == DL_DYN) {
            if (b != 0 || e != 0) set_dim(&out, a, DL_DYN, NULL);
            continue;
        }
        __int128 d = (__int128)in.dims[a] + b + e;
        if (d < 0)
            return dl_op_error(op, "'pads' crop axis %d of size %lld to a negative size", a,
                               (long long)in.dims[a]);
        if (d > DL_MAX_ELEMENTS) return dl_op_error(op, "'pads' make axis %d too large", a);
        set_dim(&out, a, (int64_t)d, NULL);
    }
    return set_checked(op, 0, elem, &out);
}

/* Expand: broadcasts the input with 'shape' (a constant or a shape value). Unknown entries
 * broadcast as dynamic dims: they keep the input's static sizes other than 1. */
static dl_status infer_expand(dl_op *op) {
    dl_shape in[2], out;
    if (dl_operand_shape(op, 0, &in[0]) != DL_OK ||
        shape_operand(op, 1, "'shape'", &in[1]) != DL_OK)
        return DL_FAILURE;
    for (int i = 0; i < in[1].rank; i++)
        if (in[1].dims[i] < 0 && in[1].dims[i] != DL_DYN)
            return dl_op_error(op, "'shape'[%d] is negative (%lld)", i, (long long)in[1].dims[i]);
    if (dl_broadcast(op, 2, in, &out) != DL_OK) return DL_FAILURE;
    return set_checked(op, 0, dl_operand_elem(op, 0), &out);
}

/* Tile: multiplies each dim by the constant 'repeats'. */
static dl_status infer_tile(dl_op *op) {
    dl_shape in, out;
    int64_t reps[DL_MAX_RANK], n;
    if (dl_operand_shape(op, 0, &in) != DL_OK ||
        dl_const_operand_ints(op, 1, "'repeats'", reps, DL_MAX_RANK, &n) != DL_OK)
        return DL_FAILURE;
    out = in;
    if (n >= 0 && n != in.rank)
        return dl_op_error(op, "'repeats' has %lld entries for an input of rank %d", (long long)n,
                           in.rank);
    for (int i = 0; i < in.rank; i++) {
        if (n < 0) {
            set_dim(&out, i, DL_DYN, NULL);
            continue;
        }
        if (reps[i] < 0)
            return dl_op_error(op, "'repeats'[%d] is negative (%lld)", i, (long long)reps[i]);
        if (reps[i] == 1) continue;
        if (in.dims[i] == DL_DYN) {
            set_dim(&out, i, reps[i] == 0 ? 0 : DL_DYN, NULL);
            continue;
        }
        int64_t d = in.dims[i];
        if (mul_checked(op, &d, reps[i]) != DL_OK) return DL_FAILURE;
        set_dim(&out, i, d, NULL);
    }
    return set_checked(op, 0, dl_operand_elem(op, 0), &out);
}

/* ---- Shape, Size, ConstantOfShape, Range, EyeLike, Trilu ------------------------------------ */

/* Shape: the dims [start, end) of the input (negative values count from the end, clamped). */
static dl_status infer_shape(dl_op *op) {
    dl_shape in, out;
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    int64_t r = in.rank, start = dl_op_attr_int(op, "start", 0), end = dl_op_attr_int(op, "end", r);
    if (start < 0) start = start < -r ? 0 : start + r;
    if (end < 0) end = end < -r ? 0 : end + r;
    start = start > r ? r : start;
    end = end > r ? r : end;
    int64_t len = end > start ? end - start : 0;
    dl_shape_from(op, &out, 1, &len);
    dl_set_result(op, 0, i64_type(op), &out);
    return DL_OK;
}

static dl_status infer_size(dl_op *op) {
    dl_shape in, out = {.rank = 0};
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, i64_type(op), &out);
    return DL_OK;
}

/* ConstantOfShape: the shape is the input (a constant or a shape value); the element type is
 * that of the one-element 'value' attribute (f32 without it). */
static dl_status infer_constant_of_shape(dl_op *op) {
    dl_shape out;
    if (shape_operand(op, 0, "the shape operand", &out) != DL_OK) return DL_FAILURE;
    const dl_attr *v = dl_op_attr(op, "value");
    const dl_type *elem = dl_type_scalar(op->ctx, DL_TY_F32);
    if (v) {
        if (v->kind != DL_ATTR_DENSE || dl_dense_num_elements(v) != 1)
            return dl_op_error(op, "'value' must be a dense tensor of one element");
        elem = v->type->elem;
    }
    for (int i = 0; i < out.rank; i++)
        if (out.dims[i] < 0 && out.dims[i] != DL_DYN)
            return dl_op_error(op, "the shape operand has a negative entry %lld at %d",
                               (long long)out.dims[i], i);
    return set_checked(op, 0, elem, &out);
}

/* Range: max(ceil((limit - start) / delta), 0) elements when all three scalars are constant. */
static dl_status infer_range(dl_op *op) {
    const dl_type *elem = dl_operand_elem(op, 0);
    dl_shape s;
    for (unsigned i = 0; i < 3; i++) {
        if (dl_operand_shape(op, i, &s) != DL_OK) return DL_FAILURE;
        if (dl_type_num_elements(dl_operand(op, i)->type) != 1 && s.rank != 0)
            return dl_op_error(op, "operand %u must be a scalar", i);
        if (dl_operand_elem(op, i) != elem)
            return dl_op_error(op, "operands must have one element type; operand %u has %s", i,
                               dl_type_str(op->ctx, dl_operand_elem(op, i)));
    }
    int64_t count = DL_DYN;
    if (dl_type_is_float(elem)) {
        double v[3];
        bool known = true;
        for (unsigned i = 0; i < 3; i++) known &= dl_const_floats(dl_operand(op, i), &v[i], 1) == 1;
        if (known) {
            if (v[2] == 0) return dl_op_error(op, "'delta' is zero");
            double n = ceil((v[1] - v[0]) / v[2]);
            if (!(n < (double)DL_MAX_ELEMENTS))
                return dl_op_error(op, "the number of elements is not finite or too large");
            count = n > 0 ? (int64_t)n : 0;
        }
    } else {
        int64_t v[3];
        bool known = true;
        for (unsigned i = 0; i < 3; i++) known &= dl_const_ints(dl_operand(op, i), &v[i], 1) == 1;
        if (known) {
            if (v[2] == 0) return dl_op_error(op, "'delta' is zero");
            __int128 diff = (__int128)v[1] - v[0], d = v[2];
            __int128 n = diff / d + (diff % d != 0 && (diff > 0) == (d > 0));
            if (n > DL_MAX_ELEMENTS) return dl_op_error(op, "the number of elements is too large");
            count = n > 0 ? (int64_t)n : 0;
        }
    }
    dl_shape_from(op, &s, 1, &count);
    dl_set_result(op, 0, elem, &s);
    return DL_OK;
}

/* EyeLike: a 2-D tensor of the input's shape; 'dtype' (an ONNX type code) or the input's type. */
static dl_status infer_eye_like(dl_op *op) {
    dl_shape in;
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    if (in.rank != 2) return dl_op_error(op, "the input must be 2-D, got rank %d", in.rank);
    const dl_type *elem = dl_operand_elem(op, 0);
    if (dl_op_attr(op, "dtype")) {
        int64_t code = dl_op_attr_int(op, "dtype", 0);
        elem = dl_onnx_elem_type(op->ctx, code);
        if (!elem) return dl_op_error(op, "'dtype' %lld is not a supported type", (long long)code);
    }
    dl_set_result(op, 0, elem, &in);
    return DL_OK;
}

static dl_status infer_trilu(dl_op *op) {
    dl_shape in;
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    if (in.rank < 2) return dl_op_error(op, "the input must have rank 2 or more, got %d", in.rank);
    if (dl_has_operand(op, 1)) {
        dl_shape k;
        if (dl_operand_shape(op, 1, &k) != DL_OK) return DL_FAILURE;
        if (k.rank != 0 && dl_type_num_elements(dl_operand(op, 1)->type) != 1)
            return dl_op_error(op, "'k' must be a scalar");
    }
    dl_set_result(op, 0, dl_operand_elem(op, 0), &in);
    return DL_OK;
}

/* ---- DepthToSpace, SpaceToDepth ------------------------------------------------------------- */

/* [N, C, H, W] -> [N, C / b^2, H * b, W * b] (to_space) or [N, C * b^2, H / b, W / b]. */
static dl_status infer_depth_space(dl_op *op, bool to_space) {
    dl_shape in, out;
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    if (in.rank != 4) return dl_op_error(op, "the input must be 4-D, got rank %d", in.rank);
    int64_t b = dl_op_attr_int(op, "blocksize", -1);
    if (!dl_op_attr(op, "blocksize")) return dl_op_error(op, "needs a 'blocksize' attribute");
    if (b <= 0 || b > (1 << 20))
        return dl_op_error(op, "'blocksize' %lld is out of range", (long long)b);
    if (to_space) {
        const char *mode = dl_op_attr_str(op, "mode", "DCR");
        if (strcmp(mode, "DCR") != 0 && strcmp(mode, "CRD") != 0)
            return dl_op_error(op, "unknown 'mode' \"%s\" (expected DCR or CRD)", mode);
    }
    out = in;
    for (int i = 1; i < 4; i++) {
        int64_t d = in.dims[i], f = i == 1 ? b * b : b;
        bool divide = (i == 1) == to_space;
        if (d == DL_DYN) {
            set_dim(&out, i, DL_DYN, NULL);
        } else if (divide) {
            if (d % f != 0)
                return dl_op_error(op, "dimension %d (%lld) is not a multiple of %lld", i,
                                   (long long)d, (long long)f);
            set_dim(&out, i, d / f, NULL);
        } else {
            if (mul_checked(op, &d, f) != DL_OK) return DL_FAILURE;
            set_dim(&out, i, d, NULL);
        }
    }
    return set_checked(op, 0, dl_operand_elem(op, 0), &out);
}

static dl_status infer_depth_to_space(dl_op *op) {
    return infer_depth_space(op, true);
}
static dl_status infer_space_to_depth(dl_op *op) {
    return infer_depth_space(op, false);
}

/* ---- Resize, Upsample ----------------------------------------------------------------------- */

/* True if operand i is present and not an empty (0-element) tensor. */
static bool nonempty_operand(const dl_op *op, unsigned i) {
    if (!dl_has_operand(op, i)) return false;
    const dl_type *t = dl_operand(op, i)->type;
    return !(t->kind == DL_TY_TENSOR && t->rank == 1 && t->dims[0] == 0);
}

/* Output dims of the resized axes: floor(dim * scale) from constant scales (the reference's
 * float64 product of the float32 scale), or the constant sizes, optionally adjusted by
 * 'keep_aspect_ratio_policy' (opset 18). Non-constant scales or sizes make those dims dynamic. */
static dl_status resize_shape(dl_op *op, unsigned scales_i, unsigned sizes_i) {
    dl_shape in, out;
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    bool has_scales = nonempty_operand(op, scales_i);
    bool has_sizes = sizes_i < op->num_operands && nonempty_operand(op, sizes_i);
    if (has_scales && has_sizes)
        return dl_op_error(op, "only one of 'scales' and 'sizes' may be given");
    if (!has_scales && !has_sizes) return dl_op_error(op, "needs one of 'scales' and 'sizes'");
    int64_t axes[DL_MAX_RANK + 1];
    int na = dl_op_attr_ints(op, "axes", axes, DL_MAX_RANK + 1);
    if (na > DL_MAX_RANK) return dl_op_error(op, "'axes' has too many entries");
    if (na < 0) {
        na = in.rank;
        for (int i = 0; i < na; i++) axes[i] = i;
    } else if (norm_axes(op, "'axes'", axes, na, in.rank) != DL_OK) {
        return DL_FAILURE;
    }
    out = in;
    const char *what = has_scales ? "'scales'" : "'sizes'";
    unsigned idx = has_scales ? scales_i : sizes_i;
    double vals[DL_MAX_RANK];
    int64_t n = dl_const_floats(dl_operand(op, idx), vals, DL_MAX_RANK);
    if (n < 0) {
        for (int k = 0; k < na; k++) set_dim(&out, (int)axes[k], DL_DYN, NULL);
        dl_set_result(op, 0, dl_operand_elem(op, 0), &out);
        return DL_OK;
    }
    if (n != na) return dl_op_error(op, "%s has %lld entries; expected %d", what, (long long)n, na);
    for (int k = 0; k < na; k++)
        if (!(vals[k] >= 0) || vals[k] > (double)DL_MAX_ELEMENTS || (has_scales && vals[k] == 0))
            return dl_op_error(op, "%s[%d] is out of range (%g)", what, k, vals[k]);
    if (has_scales) {
        for (int k = 0; k < na; k++) {
            int a = (int)axes[k];
            if (vals[k] == 1) continue;
            if (in.dims[a] == DL_DYN) {
                set_dim(&out, a, DL_DYN, NULL);
                continue;
            }
            double d = floor((double)in.dims[a] * vals[k]);
            if (d >= (double)DL_MAX_ELEMENTS) return dl_op_error(op, "the result is too large");
            set_dim(&out, a, (int64_t)d, NULL);
        }
        return set_checked(op, 0, dl_operand_elem(op, 0), &out);
    }
    const char *policy = dl_op_attr_str(op, "keep_aspect_ratio_policy", "stretch");
    bool stretch = strcmp(policy, "stretch") == 0;
    bool not_larger = strcmp(policy, "not_larger") == 0;
    if (!stretch && !not_larger && strcmp(policy, "not_smaller") != 0)
        return dl_op_error(op, "unknown 'keep_aspect_ratio_policy' \"%s\"", policy);
    double scale = not_larger ? INFINITY : 0;
    bool all_static = true;
    for (int k = 0; k < na; k++) {
        int64_t d = in.dims[axes[k]];
        all_static &= d != DL_DYN;
        if (d == DL_DYN || d == 0) continue;
        double s = vals[k] / (double)d;
        scale = not_larger ? fmin(scale, s) : fmax(scale, s);
    }
    if (!isfinite(scale)) scale = 0; /* every resized dim is 0 */
    for (int k = 0; k < na; k++) {
        int a = (int)axes[k];
        double d = stretch ? vals[k] : floor(scale * (double)in.dims[a] + 0.5);
        if (!stretch && !all_static)
            set_dim(&out, a, DL_DYN, NULL);
        else if (d >= (double)DL_MAX_ELEMENTS)
            return dl_op_error(op, "the result is too large");
        else
            set_dim(&out, a, (int64_t)d, NULL);
    }
    return set_checked(op, 0, dl_operand_elem(op, 0), &out);
}

static dl_status infer_resize(dl_op *op) {
    const char *mode = dl_op_attr_str(op, "mode", "nearest");
    if (strcmp(mode, "nearest") != 0 && strcmp(mode, "linear") != 0 && strcmp(mode, "cubic") != 0)
        return dl_op_error(op, "unknown 'mode' \"%s\" (expected nearest, linear or cubic)", mode);
    return resize_shape(op, 2, 3);
}

static dl_status infer_upsample(dl_op *op) {
    return resize_shape(op, 1, ~0u);
}

const dl_infer_entry dl_infer_shape[] = {
    {DL_OP_graph_Constant, infer_constant},
    {DL_OP_graph_None, infer_none},
    {DL_OP_graph_Reshape, infer_reshape},
    {DL_OP_graph_Flatten, infer_flatten},
    {DL_OP_graph_Transpose, infer_transpose},
    {DL_OP_graph_Squeeze, infer_squeeze},
    {DL_OP_graph_Unsqueeze, infer_unsqueeze},
    {DL_OP_graph_Concat, infer_concat},
    {DL_OP_graph_Split, infer_split},
    {DL_OP_graph_Slice, infer_slice},
    {DL_OP_graph_Pad, infer_pad},
    {DL_OP_graph_Expand, infer_expand},
    {DL_OP_graph_Tile, infer_tile},
    {DL_OP_graph_Shape, infer_shape},
    {DL_OP_graph_Size, infer_size},
    {DL_OP_graph_ConstantOfShape, infer_constant_of_shape},
    {DL_OP_graph_Range, infer_range},
    {DL_OP_graph_EyeLike, infer_eye_like},
    {DL_OP_graph_Trilu, infer_trilu},
    {DL_OP_graph_DepthToSpace, infer_depth_to_space},
    {DL_OP_graph_SpaceToDepth, infer_space_to_depth},
    {DL_OP_graph_Resize, infer_resize},
    {DL_OP_graph_Upsample, infer_upsample},
    {DL_OP__INVALID, NULL},
};
