/* infer_index.c: shape inference rules of the index op family: gathers, scatters, one-hot,
 * top-k and the ops whose result size depends on data (NonZero, Compress, Unique, NMS). */
#include "infer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const dl_type *i64_type(dl_op *op) {
    return dl_type_scalar(op->ctx, DL_TY_I64);
}

/* Appends dims [lo, hi) of src to dst; fails past DL_MAX_RANK. */
static dl_status append_dims(dl_op *op, dl_shape *dst, const dl_shape *src, int lo, int hi) {
    if (hi > lo && dst->rank + (hi - lo) > DL_MAX_RANK)
        return dl_op_error(op, "the result rank exceeds the supported %d", DL_MAX_RANK);
    for (int i = lo; i < hi; i++) {
        dst->rank++;
        dl_shape_set_dim(dst, dst->rank - 1, src->dims[i], src->names[i]);
    }
    return DL_OK;
}

/* A dim two operands must agree on: the static one wins; conflicting static sizes fail. */
static dl_status agree_dim(dl_op *op, int64_t a, const char *an, int64_t b, const char *bn,
                           const char *what, int64_t *d, const char **name) {
    if (a != DL_DYN && b != DL_DYN && a != b)
        return dl_op_error(op, "%s: sizes %lld and %lld differ", what, (long long)a, (long long)b);
    *d = a != DL_DYN ? a : b;
    *name = a != DL_DYN || b != DL_DYN ? NULL : an == bn ? an : NULL;
    return DL_OK;
}

/* Element count of a shape as a dim: static, or dynamic (named when it is one named dim). */
static void num_elements_dim(const dl_shape *s, int64_t *d, const char **name) {
    int64_t n = 1;
    int ndyn = 0;
    const char *dyn_name = NULL;
    for (int i = 0; i < s->rank; i++) {
        if (s->dims[i] == 0) {
            *d = 0;
            *name = NULL;
            return;
        }
        if (s->dims[i] == DL_DYN) {
            ndyn++;
            dyn_name = s->names[i];
        } else if (n > DL_MAX_ELEMENTS / s->dims[i]) {
            ndyn = 2; /* too large to be a static size */
        } else {
            n *= s->dims[i];
        }
    }
    *d = ndyn ? DL_DYN : n;
    *name = ndyn == 1 && n == 1 ? dyn_name : NULL;
}

/* ---- Gather, GatherElements, GatherND ------------------------------------------------------- */

/* Gather: data[:axis] + indices + data[axis+1:]. */
static dl_status infer_gather(dl_op *op) {
    dl_shape data, idx, out = {.rank = 0};
    if (dl_operand_shape(op, 0, &data) != DL_OK || dl_operand_shape(op, 1, &idx) != DL_OK)
        return DL_FAILURE;
    if (data.rank < 1) return dl_op_error(op, "'data' must have rank 1 or more");
    int64_t axis;
    if (dl_norm_axis(op, dl_op_attr_int(op, "axis", 0), data.rank, &axis) != DL_OK ||
        append_dims(op, &out, &data, 0, (int)axis) != DL_OK ||
        append_dims(op, &out, &idx, 0, idx.rank) != DL_OK ||
        append_dims(op, &out, &data, (int)axis + 1, data.rank) != DL_OK)
        return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &out);
    return DL_OK;
}

/* GatherElements: the shape of 'indices', which has the rank of 'data'. */
static dl_status infer_gather_elements(dl_op *op) {
    dl_shape data, idx;
    if (dl_operand_shape(op, 0, &data) != DL_OK || dl_operand_shape(op, 1, &idx) != DL_OK)
        return DL_FAILURE;
    if (data.rank < 1) return dl_op_error(op, "'data' must have rank 1 or more");
    if (idx.rank != data.rank)
        return dl_op_error(op, "'indices' has rank %d but 'data' has rank %d", idx.rank, data.rank);
    int64_t axis;
    if (dl_norm_axis(op, dl_op_attr_int(op, "axis", 0), data.rank, &axis) != DL_OK)
        return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &idx);
    return DL_OK;
}

/* GatherND with b batch dims: indices[:-1] + data[b + k:], k = indices[-1] (must be static). */
static dl_status infer_gather_nd(dl_op *op) {
    dl_shape data, idx, out = {.rank = 0};
    if (dl_operand_shape(op, 0, &data) != DL_OK || dl_operand_shape(op, 1, &idx) != DL_OK)
        return DL_FAILURE;
    int64_t b = dl_op_attr_int(op, "batch_dims", 0);
    if (data.rank < 1 || idx.rank < 1)
        return dl_op_error(op, "'data' and 'indices' must have rank 1 or more");
    if (b < 0 || b >= data.rank || b >= idx.rank)
        return dl_op_error(op,
                           "'batch_dims' %lld must be in [0, min(rank(data), "
                           "rank(indices)) = %d)",
                           (long long)b, data.rank < idx.rank ? data.rank : idx.rank);
    int64_t k = idx.dims[idx.rank - 1];
    if (k == DL_DYN)
        return dl_op_error(op, "cannot infer the result rank: the last dimension of 'indices' "
                               "is dynamic");
    if (k < 1 || k > data.rank - b)
        return dl_op_error(op, "the last dimension of 'indices' is %lld; expected 1 to %lld",
                           (long long)k, (long long)(data.rank - b));
    if (append_dims(op, &out, &idx, 0, idx.rank - 1) != DL_OK) return DL_FAILURE;
    for (int i = 0; i < b; i++)
        if (agree_dim(op, idx.dims[i], idx.names[i], data.dims[i], data.names[i],
                      "batch dimensions of 'indices' and 'data'", &out.dims[i],
                      &out.names[i]) != DL_OK)
            return DL_FAILURE;
    if (append_dims(op, &out, &data, (int)(b + k), data.rank) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &out);
    return DL_OK;
}

/* ---- Scatter, ScatterElements, ScatterND ---------------------------------------------------- */

static dl_status check_reduction(dl_op *op) {
    const char *r = dl_op_attr_str(op, "reduction", "none");
    static const char *const ok[] = {"none", "add", "mul", "max", "min"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (strcmp(r, ok[i]) == 0) return DL_OK;
    return dl_op_error(op, "unknown 'reduction' \"%s\" (expected none, add, mul, max or min)", r);
}

/* Scatter, ScatterElements: the type of 'data'; 'indices' and 'updates' have its rank. */
static dl_status infer_scatter_elements(dl_op *op) {
    dl_shape data, idx, upd;
    if (dl_operand_shape(op, 0, &data) != DL_OK || dl_operand_shape(op, 1, &idx) != DL_OK ||
        dl_operand_shape(op, 2, &upd) != DL_OK || check_reduction(op) != DL_OK)
        return DL_FAILURE;
    if (data.rank < 1) return dl_op_error(op, "'data' must have rank 1 or more");
    if (idx.rank != data.rank || upd.rank != data.rank)
        return dl_op_error(op,
                           "'indices' (rank %d) and 'updates' (rank %d) must have the rank "
                           "of 'data' (%d)",
                           idx.rank, upd.rank, data.rank);
    int64_t axis;
    if (dl_norm_axis(op, dl_op_attr_int(op, "axis", 0), data.rank, &axis) != DL_OK)
        return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &data);
    return DL_OK;
}

/* ScatterND: the type of 'data'; 'updates' has rank q - 1 + r - k for k = indices[-1]. */
static dl_status infer_scatter_nd(dl_op *op) {
    dl_shape data, idx, upd;
    if (dl_operand_shape(op, 0, &data) != DL_OK || dl_operand_shape(op, 1, &idx) != DL_OK ||
        dl_operand_shape(op, 2, &upd) != DL_OK || check_reduction(op) != DL_OK)
        return DL_FAILURE;
    if (data.rank < 1 || idx.rank < 1)
        return dl_op_error(op, "'data' and 'indices' must have rank 1 or more");
    int64_t k = idx.dims[idx.rank - 1];
    if (k != DL_DYN) {
        if (k < 1 || k > data.rank)
            return dl_op_error(op, "the last dimension of 'indices' is %lld; expected 1 to %d",
                               (long long)k, data.rank);
        if (upd.rank != idx.rank - 1 + data.rank - k)
            return dl_op_error(op, "'updates' has rank %d; expected %lld", upd.rank,
                               (long long)(idx.rank - 1 + data.rank - k));
    }
    dl_set_result(op, 0, dl_operand_elem(op, 0), &data);
    return DL_OK;
}

/* ---- OneHot, TopK --------------------------------------------------------------------------- */

/* The value of a one-element constant operand converted to int64 (truncating floats): true if
 * it is constant. */
static bool const_scalar_int(const dl_op *op, unsigned i, int64_t *v) {
    double f;
    if (dl_const_floats(dl_operand(op, i), &f, 1) != 1) return false;
    if (dl_type_is_float(dl_operand_elem(op, i))) {
        if (!(fabs(f) < (double)DL_MAX_ELEMENTS)) f = f > 0 ? (double)DL_MAX_ELEMENTS : -1;
        *v = (int64_t)f;
        return true;
    }
    return dl_const_ints(dl_operand(op, i), v, 1) == 1;
}

/* Fails unless operand i is a scalar or a one-element 1-D tensor. */
static dl_status check_scalar(dl_op *op, unsigned i, const char *what) {
    dl_shape s;
    if (dl_operand_shape(op, i, &s) != DL_OK) return DL_FAILURE;
    if (s.rank > 1 || (s.rank == 1 && s.dims[0] != 1 && s.dims[0] != DL_DYN))
        return dl_op_error(op, "%s must be a scalar or a 1-element tensor", what);
    return DL_OK;
}

/* OneHot: inserts a dim of size 'depth' (constant) at 'axis'; element type of 'values'. */
static dl_status infer_one_hot(dl_op *op) {
    dl_shape idx, vals, out = {.rank = 0};
    if (dl_operand_shape(op, 0, &idx) != DL_OK || check_scalar(op, 1, "'depth'") != DL_OK ||
        dl_operand_shape(op, 2, &vals) != DL_OK)
        return DL_FAILURE;
    if (vals.rank != 1 || (vals.dims[0] != 2 && vals.dims[0] != DL_DYN))
        return dl_op_error(op, "'values' must be a 1-D tensor of 2 elements [off, on]");
    if (idx.rank + 1 > DL_MAX_RANK)
        return dl_op_error(op, "the result rank exceeds the supported %d", DL_MAX_RANK);
    int64_t axis, depth = DL_DYN;
    if (dl_norm_axis(op, dl_op_attr_int(op, "axis", -1), idx.rank + 1, &axis) != DL_OK)
        return DL_FAILURE;
    if (const_scalar_int(op, 1, &depth) && depth < 1)
        return dl_op_error(op, "'depth' must be positive, got %lld", (long long)depth);
    if (append_dims(op, &out, &idx, 0, (int)axis) != DL_OK) return DL_FAILURE;
    out.rank++;
    dl_shape_set_dim(&out, (int)axis, depth, NULL);
    if (append_dims(op, &out, &idx, (int)axis, idx.rank) != DL_OK) return DL_FAILURE;
    if (dl_check_elements(op, &out) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 2), &out);
    return DL_OK;
}

/* TopK: values and i64 indices with the dim at 'axis' replaced by the constant K. */
static dl_status infer_top_k(dl_op *op) {
    dl_shape in, out;
    if (dl_operand_shape(op, 0, &in) != DL_OK || check_scalar(op, 1, "'K'") != DL_OK)
        return DL_FAILURE;
    if (in.rank < 1) return dl_op_error(op, "the input must have rank 1 or more");
    int64_t axis, k = DL_DYN;
    if (dl_norm_axis(op, dl_op_attr_int(op, "axis", -1), in.rank, &axis) != DL_OK)
        return DL_FAILURE;
    if (dl_const_ints(dl_operand(op, 1), &k, 1) == 1) {
        if (k < 0) return dl_op_error(op, "'K' must not be negative, got %lld", (long long)k);
        if (in.dims[axis] != DL_DYN && k > in.dims[axis])
            return dl_op_error(op, "'K' (%lld) exceeds the size %lld of axis %lld", (long long)k,
                               (long long)in.dims[axis], (long long)axis);
    } else {
        k = DL_DYN;
    }
    out = in;
    dl_shape_set_dim(&out, (int)axis, k, NULL);
    dl_set_result(op, 0, dl_operand_elem(op, 0), &out);
    dl_set_result(op, 1, i64_type(op), &out);
    return DL_OK;
}

/* ---- Data-dependent sizes: NonZero, Compress, Unique, NonMaxSuppression --------------------- */

/* Number of non-zero elements among the first n of a constant (splat aware). */
static int64_t count_nonzero(const dl_attr *a, int64_t n) {
    if (a->u.dense.splat) return dl_dense_get_f64(a, 0) != 0 ? n : 0;
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) count += dl_dense_get_f64(a, i) != 0;
    return count;
}

/* NonZero: [rank, count] of i64; count is known only for a constant input. */
static dl_status infer_non_zero(dl_op *op) {
    dl_shape in, out = {.rank = 2};
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    const dl_attr *c = dl_graph_constant_value(dl_operand(op, 0));
    dl_shape_set_dim(&out, 0, in.rank, NULL);
    dl_shape_set_dim(&out, 1, c ? count_nonzero(c, dl_dense_num_elements(c)) : DL_DYN, NULL);
    dl_set_result(op, 0, i64_type(op), &out);
    return DL_OK;
}

/* Compress: selects the slices along 'axis' (of the flattened input without it) where the 1-D
 * 'condition' is true; the count is static when the condition is a constant and the selected
 * dim is static (a shorter condition selects from a prefix). */
static dl_status infer_compress(dl_op *op) {
    dl_shape in, cond, out;
    if (dl_operand_shape(op, 0, &in) != DL_OK || dl_operand_shape(op, 1, &cond) != DL_OK)
        return DL_FAILURE;
    if (cond.rank != 1) return dl_op_error(op, "'condition' must be 1-D, got rank %d", cond.rank);
    int64_t axis = -1;
    if (dl_op_attr(op, "axis")) {
        if (dl_norm_axis(op, dl_op_attr_int(op, "axis", 0), in.rank, &axis) != DL_OK)
            return DL_FAILURE;
        out = in;
    } else {
        out.rank = 1;
        num_elements_dim(&in, &out.dims[0], &out.names[0]);
        axis = 0;
    }
    int64_t d = out.dims[axis], count = DL_DYN;
    const dl_attr *c = dl_graph_constant_value(dl_operand(op, 1));
    if (c && d != DL_DYN) {
        int64_t n = dl_dense_num_elements(c);
        count = count_nonzero(c, n < d ? n : d);
        if (n > d && count_nonzero(c, n) != count)
            return dl_op_error(op, "'condition' selects index %lld or beyond, past the size %lld",
                               (long long)d, (long long)d);
    }
    dl_shape_set_dim(&out, (int)axis, count, NULL);
    dl_set_result(op, 0, dl_operand_elem(op, 0), &out);
    return DL_OK;
}

/* Three-way comparison of doubles with NaN after every number and equal to itself. */
static int cmp_f64(double a, double b) {
    if (isnan(a) || isnan(b)) return isnan(a) - isnan(b);
    return (a > b) - (a < b);
}

static int cmp_f64_qsort(const void *a, const void *b) {
    return cmp_f64(*(const double *)a, *(const double *)b);
}

static int cmp_i64_qsort(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The number of distinct elements (axis < 0) or distinct slices along axis of a constant of
 * static shape s, or DL_DYN when that is too costly to work out. */
static int64_t count_unique(const dl_attr *c, const dl_shape *s, int64_t axis) {
    int64_t n = dl_dense_num_elements(c);
    if (n == 0) return 0;
    if (c->u.dense.splat) return axis < 0 || s->dims[axis] > 0 ? 1 : 0;
    bool is_float = dl_type_is_float(c->type->elem);
    if (axis < 0) {
        void *v = malloc((size_t)n * 8);
        if (!v) return DL_DYN;
        for (int64_t i = 0; i < n; i++) {
            if (is_float)
                ((double *)v)[i] = dl_dense_get_f64(c, i);
            else
                ((int64_t *)v)[i] = dl_dense_get_i64(c, i);
        }
        qsort(v, (size_t)n, 8, is_float ? cmp_f64_qsort : cmp_i64_qsort);
        int64_t u = 1;
        for (int64_t i = 1; i < n; i++)
            u += is_float ? cmp_f64(((double *)v)[i - 1], ((double *)v)[i]) != 0
                          : ((int64_t *)v)[i - 1] != ((int64_t *)v)[i];
        free(v);
        return u;
    }
    /* Slices along axis: element (outer, j, inner) is at (outer * d + j) * inner_n + inner. */
    int64_t d = s->dims[axis], inner_n = 1;
    for (int i = (int)axis + 1; i < s->rank; i++) inner_n *= s->dims[i];
    int64_t outer_n = n / d / inner_n;
    if ((double)d * (double)d * (double)(n / d) > 1e7) return DL_DYN;
    int64_t u = 0;
    for (int64_t j = 0; j < d; j++) {
        bool seen = false;
        for (int64_t p = 0; p < j && !seen; p++) {
            bool equal = true;
            for (int64_t o = 0; o < outer_n && equal; o++)
                for (int64_t in = 0; in < inner_n && equal; in++) {
                    int64_t a = (o * d + j) * inner_n + in, b = (o * d + p) * inner_n + in;
                    equal = is_float ? cmp_f64(dl_dense_get_f64(c, a), dl_dense_get_f64(c, b)) == 0
                                     : dl_dense_get_i64(c, a) == dl_dense_get_i64(c, b);
                }
            seen = equal;
        }
        u += !seen;
    }
    return u;
}

/* Unique: Y (the unique values, or slices along 'axis'), and the optional i64 'indices',
 * 'inverse_indices' and 'counts'. The number of unique entries is static only for a constant
 * input. */
static dl_status infer_unique(dl_op *op) {
    dl_shape in, y, v = {.rank = 1};
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    int64_t axis = -1;
    if (dl_op_attr(op, "axis") &&
        dl_norm_axis(op, dl_op_attr_int(op, "axis", 0), in.rank, &axis) != DL_OK)
        return DL_FAILURE;
    const dl_attr *c = dl_graph_constant_value(dl_operand(op, 0));
    int64_t u = c ? count_unique(c, &in, axis) : DL_DYN;
    if (axis >= 0) {
        y = in;
        dl_shape_set_dim(&y, (int)axis, u, NULL);
    } else {
        y.rank = 1;
        dl_shape_set_dim(&y, 0, u, NULL);
    }
    dl_set_result(op, 0, dl_operand_elem(op, 0), &y);
    dl_shape_set_dim(&v, 0, u, NULL);
    dl_shape inv = {.rank = 1};
    if (axis >= 0)
        dl_shape_set_dim(&inv, 0, in.dims[axis], in.names[axis]);
    else
        num_elements_dim(&in, &inv.dims[0], &inv.names[0]);
    dl_set_optional_result(op, 1, i64_type(op), &v);
    dl_set_optional_result(op, 2, i64_type(op), &inv);
    dl_set_optional_result(op, 3, i64_type(op), &v);
    return DL_OK;
}

/* ReverseSequence: the input's type; time and batch axes are 0 and 1 in some order. */
static dl_status infer_reverse_sequence(dl_op *op) {
    dl_shape in, lens;
    if (dl_operand_shape(op, 0, &in) != DL_OK || dl_operand_shape(op, 1, &lens) != DL_OK)
        return DL_FAILURE;
    if (in.rank < 2) return dl_op_error(op, "the input must have rank 2 or more");
    int64_t t = dl_op_attr_int(op, "time_axis", 0), b = dl_op_attr_int(op, "batch_axis", 1);
    if (!((t == 0 && b == 1) || (t == 1 && b == 0)))
        return dl_op_error(op, "'time_axis' and 'batch_axis' must be 0 and 1 in some order");
    if (lens.rank != 1) return dl_op_error(op, "'sequence_lens' must be 1-D");
    if (lens.dims[0] != DL_DYN && in.dims[b] != DL_DYN && lens.dims[0] != in.dims[b])
        return dl_op_error(op, "'sequence_lens' has %lld entries for a batch of %lld",
                           (long long)lens.dims[0], (long long)in.dims[b]);
    dl_set_result(op, 0, dl_operand_elem(op, 0), &in);
    return DL_OK;
}

/* NonMaxSuppression: [selected, 3] of i64; the count depends on the data. */
static dl_status infer_non_max_suppression(dl_op *op) {
    dl_shape boxes, scores, out = {.rank = 2};
    if (dl_operand_shape(op, 0, &boxes) != DL_OK || dl_operand_shape(op, 1, &scores) != DL_OK)
        return DL_FAILURE;
    if (boxes.rank != 3 || (boxes.dims[2] != 4 && boxes.dims[2] != DL_DYN))
        return dl_op_error(op, "'boxes' must have shape [batches, boxes, 4]");
    if (scores.rank != 3)
        return dl_op_error(op, "'scores' must have shape [batches, classes, "
                               "boxes]");
    dl_shape_set_dim(&out, 0, DL_DYN, NULL);
    dl_shape_set_dim(&out, 1, 3, NULL);
    dl_set_result(op, 0, i64_type(op), &out);
    return DL_OK;
}

const dl_infer_entry dl_infer_index[] = {
    {DL_OP_graph_Gather, infer_gather},
    {DL_OP_graph_GatherElements, infer_gather_elements},
    {DL_OP_graph_GatherND, infer_gather_nd},
    {DL_OP_graph_Scatter, infer_scatter_elements},
    {DL_OP_graph_ScatterElements, infer_scatter_elements},
    {DL_OP_graph_ScatterND, infer_scatter_nd},
    {DL_OP_graph_OneHot, infer_one_hot},
    {DL_OP_graph_TopK, infer_top_k},
    {DL_OP_graph_NonZero, infer_non_zero},
    {DL_OP_graph_Compress, infer_compress},
    {DL_OP_graph_Unique, infer_unique},
    {DL_OP_graph_ReverseSequence, infer_reverse_sequence},
    {DL_OP_graph_NonMaxSuppression, infer_non_max_suppression},
    {DL_OP__INVALID, NULL},
};
