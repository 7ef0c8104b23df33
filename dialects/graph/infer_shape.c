/* infer_shape.c: shape inference rules of the shape op family: constants, reshaping, transposing,
 * concatenating and splitting, slicing, padding, broadcasting and shape queries. */
#include "infer.h"

#include <math.h>
#include <string.h>

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
    if (dl_operand_shape(op, 0, &in) != DL_OK ||
        dl_shape_operand(op, 1, "'shape'", &shape) != DL_OK)
        return DL_FAILURE;
    const dl_type *elem = dl_operand_elem(op, 0);
    bool allowzero = dl_op_attr_int(op, "allowzero", 0) != 0, has_zero = false;
    bool in_done[DL_MAX_RANK] = {false}, out_done[DL_MAX_RANK] = {false}, any_copied = false;
    int infer_at = -1;
    out.rank = shape.rank;
    for (int i = 0; i < out.rank; i++) {
        int64_t v = shape.dims[i];
        dl_shape_set_dim(&out, i, v, shape.names[i]);
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
            dl_shape_set_dim(&out, i, in.dims[i], in.names[i]);
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
        else if (dl_mul_checked(op, &in_known, in.dims[i]) != DL_OK)
            return DL_FAILURE;
    }
    for (int i = 0; i < out.rank; i++) {
        if (out_done[i]) continue;
        if (out.dims[i] == DL_DYN)
            out_dyn = true;
        else if (dl_mul_checked(op, &out_known, out.dims[i]) != DL_OK)
            return DL_FAILURE;
    }
    const char *besides = any_copied ? " (besides the copied dims)" : "";
    if (infer_at >= 0) {
        if (in_dyn || out_dyn) {
            dl_shape_set_dim(&out, infer_at, DL_DYN, NULL);
        } else if (out_known == 0) {
            return dl_op_error(op, "cannot infer the -1 entry of 'shape': the other entries "
                                   "give zero elements");
        } else if (in_known % out_known != 0) {
            return dl_op_error(op,
                               "cannot infer the -1 entry of 'shape': %lld elements%s are not "
                               "a multiple of %lld",
                               (long long)in_known, besides, (long long)out_known);
        } else {
            dl_shape_set_dim(&out, infer_at, in_known / out_known, NULL);
        }
    } else if (!in_dyn && !out_dyn && in_known != out_known) {
        return dl_op_error(op, "'shape' gives %lld elements but the input has %lld%s",
                           (long long)out_known, (long long)in_known, besides);
    }
    return dl_set_result_checked(op, 0, elem, &out);
}

static dl_status infer_flatten(dl_op *op) {
    dl_shape in, out = {.rank = 2};
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    int64_t axis = dl_op_attr_int(op, "axis", 1);
    if (axis < -in.rank || axis > in.rank)
        return dl_op_error(op, "'axis' %lld is out of range [%d, %d]", (long long)axis, -in.rank,
                           in.rank);
    if (axis < 0) axis += in.rank;
    if (dl_dims_product(op, &in, 0, (int)axis, &out.dims[0], &out.names[0]) != DL_OK ||
        dl_dims_product(op, &in, (int)axis, in.rank, &out.dims[1], &out.names[1]) != DL_OK)
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
        dl_shape_set_dim(&out, i, in.dims[perm[i]], in.names[perm[i]]);
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
        if (dl_vector_length(op, 1, "'axes'", &len) != DL_OK) return DL_FAILURE;
        if (len < 0)
            return dl_op_error(op, "cannot infer the result rank: 'axes' is not a constant and "
                                   "its length is unknown");
        if (len > in.rank)
            return dl_op_error(op, "'axes' has %lld entries for an input of rank %d",
                               (long long)len, in.rank);
        if (dl_dyn_shape(op, &out, in.rank - len) != DL_OK) return DL_FAILURE;
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
        if (dl_norm_axes(op, "'axes'", axes, n, in.rank) != DL_OK) return DL_FAILURE;
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
            dl_shape_set_dim(&out, out.rank - 1, in.dims[i], in.names[i]);
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
        if (dl_vector_length(op, 1, "'axes'", &len) != DL_OK) return DL_FAILURE;
        if (len < 0)
            return dl_op_error(op, "cannot infer the result rank: 'axes' is not a constant and "
                                   "its length is unknown");
        if (dl_dyn_shape(op, &out, in.rank + len) != DL_OK) return DL_FAILURE;
        dl_set_result(op, 0, elem, &out);
        return DL_OK;
    }
    if (in.rank + n > DL_MAX_RANK)
        return dl_op_error(op, "the result rank %lld exceeds the supported %d",
                           (long long)(in.rank + n), DL_MAX_RANK);
    out.rank = in.rank + (int)n;
    if (dl_norm_axes(op, "'axes'", axes, n, out.rank) != DL_OK) return DL_FAILURE;
    bool inserted[DL_MAX_RANK] = {false};
    for (int64_t k = 0; k < n; k++) inserted[axes[k]] = true;
    for (int i = 0, j = 0; i < out.rank; i++) {
        if (inserted[i])
            dl_shape_set_dim(&out, i, 1, NULL);
        else {
            dl_shape_set_dim(&out, i, in.dims[j], in.names[j]);
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
        dl_shape_set_dim(acc, i, d, NULL);
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
                dl_shape_set_dim(&out, i, DL_DYN, NULL);
            } else {
                out.dims[i] += s.dims[i];
                if (out.dims[i] > DL_MAX_ELEMENTS)
                    return dl_op_error(op, "the concatenated dimension overflows");
            }
        }
    }
    return dl_set_result_checked(op, 0, elem, &out);
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
        dl_shape_set_dim(&out, (int)axis, sizes[k], NULL);
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
    if (n < 0 && dl_vector_length(op, 1, "'starts'", &n) != DL_OK) return DL_FAILURE;
    if ((ns >= 0 && ns != n) || (ne >= 0 && ne != n) || (na >= 0 && na != n) ||
        (nst >= 0 && nst != n))
        return dl_op_error(op, "'starts', 'ends', 'axes' and 'steps' must have the same length");
    if (n > in.rank)
        return dl_op_error(op, "slices %lld axes of an input of rank %d", (long long)n, in.rank);
    if (n < 0 || (na < 0 && dl_has_operand(op, 3))) {
        /* Unknown axes or count: any dim may be sliced. */
        for (int i = 0; i < out.rank; i++) dl_shape_set_dim(&out, i, DL_DYN, NULL);
        dl_set_result(op, 0, elem, &out);
        return DL_OK;
    }
    if (na < 0)
        for (int64_t k = 0; k < n; k++) axes[k] = k;
    if (dl_norm_axes(op, "'axes'", axes, n, in.rank) != DL_OK) return DL_FAILURE;
    if (nst < 0 && !dl_has_operand(op, 4))
        for (int64_t k = 0; k < n; k++) steps[k] = 1;
    for (int64_t k = 0; k < n; k++) {
        int a = (int)axes[k];
        bool known = ns >= 0 && ne >= 0 && (nst >= 0 || !dl_has_operand(op, 4));
        if (known && steps[k] == 0) return dl_op_error(op, "'steps'[%lld] is 0", (long long)k);
        if (!known) {
            dl_shape_set_dim(&out, a, DL_DYN, NULL);
        } else if (in.dims[a] == DL_DYN) {
            dl_shape_set_dim(&out, a, DL_DYN,
                             dl_slice_whole(starts[k], ends[k], steps[k]) ? in.names[a] : NULL);
        } else {
            dl_shape_set_dim(&out, a, dl_slice_size(in.dims[a], starts[k], ends[k], steps[k]),
                             NULL);
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
        for (int i = 0; i < out.rank; i++) dl_shape_set_dim(&out, i, DL_DYN, NULL);
        dl_set_result(op, 0, elem, &out);
        return DL_OK;
    }
    if (na < 0) {
        na = in.rank;
        for (int i = 0; i < in.rank; i++) axes[i] = i;
    } else if (dl_norm_axes(op, "'axes'", axes, na, in.rank) != DL_OK) {
        return DL_FAILURE;
    }
    if (np != 2 * na)
        return dl_op_error(op, "'pads' has %lld entries; expected %lld (2 per padded axis)",
                           (long long)np, (long long)(2 * na));
    for (int64_t k = 0; k < na; k++) {
        int a = (int)axes[k];
        int64_t b = pads[k], e = pads[k + na];
        if (in.dims[a] == DL_DYN) {
            if (b != 0 || e != 0) dl_shape_set_dim(&out, a, DL_DYN, NULL);
            continue;
        }
        __int128 d = (__int128)in.dims[a] + b + e;
        if (d < 0)
            return dl_op_error(op, "'pads' crop axis %d of size %lld to a negative size", a,
                               (long long)in.dims[a]);
        if (d > DL_MAX_ELEMENTS) return dl_op_error(op, "'pads' make axis %d too large", a);
        dl_shape_set_dim(&out, a, (int64_t)d, NULL);
    }
    return dl_set_result_checked(op, 0, elem, &out);
}

/* Expand: broadcasts the input with 'shape' (a constant or a shape value). Unknown entries
 * broadcast as dynamic dims: they keep the input's static sizes other than 1. */
static dl_status infer_expand(dl_op *op) {
    dl_shape in[2], out;
    if (dl_operand_shape(op, 0, &in[0]) != DL_OK ||
        dl_shape_operand(op, 1, "'shape'", &in[1]) != DL_OK)
        return DL_FAILURE;
    for (int i = 0; i < in[1].rank; i++)
        if (in[1].dims[i] < 0 && in[1].dims[i] != DL_DYN)
            return dl_op_error(op, "'shape'[%d] is negative (%lld)", i, (long long)in[1].dims[i]);
    if (dl_broadcast(op, 2, in, &out) != DL_OK) return DL_FAILURE;
    return dl_set_result_checked(op, 0, dl_operand_elem(op, 0), &out);
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
            dl_shape_set_dim(&out, i, DL_DYN, NULL);
            continue;
        }
        if (reps[i] < 0)
            return dl_op_error(op, "'repeats'[%d] is negative (%lld)", i, (long long)reps[i]);
        if (reps[i] == 1) continue;
        if (in.dims[i] == DL_DYN) {
            dl_shape_set_dim(&out, i, reps[i] == 0 ? 0 : DL_DYN, NULL);
            continue;
        }
        int64_t d = in.dims[i];
        if (dl_mul_checked(op, &d, reps[i]) != DL_OK) return DL_FAILURE;
        dl_shape_set_dim(&out, i, d, NULL);
    }
    return dl_set_result_checked(op, 0, dl_operand_elem(op, 0), &out);
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
    dl_set_result(op, 0, dl_type_scalar(op->ctx, DL_TY_I64), &out);
    return DL_OK;
}

static dl_status infer_size(dl_op *op) {
    dl_shape in, out = {.rank = 0};
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_type_scalar(op->ctx, DL_TY_I64), &out);
    return DL_OK;
}

/* ConstantOfShape: the shape is the input (a constant or a shape value); the element type is
 * that of the one-element 'value' attribute (f32 without it). */
static dl_status infer_constant_of_shape(dl_op *op) {
    dl_shape out;
    if (dl_shape_operand(op, 0, "the shape operand", &out) != DL_OK) return DL_FAILURE;
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
    return dl_set_result_checked(op, 0, elem, &out);
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
    {DL_OP__INVALID, NULL},
};
