/* infer_nn.c: shape inference rules of the nn op family: convolutions, pooling,
 * normalizations, matrix products, Einsum, recurrent layers, RoI ops and GridSample (ONNX
 * opset 17 semantics). */
#include "infer.h"

#include <string.h>

/* Window attributes (kernel sizes, strides, dilations, pads) are at most this large, so the
 * size formulas below cannot overflow int64 for any tensor size. */
#define ATTR_MAX ((int64_t)1 << 31)

/* Requires operand i to be a 1-D tensor of size n (when both are known). */
static dl_status operand_vector(dl_op *op, unsigned i, const char *name, int64_t n) {
    dl_shape s;
    if (dl_operand_rank(op, i, name, 1, &s) != DL_OK) return DL_FAILURE;
    if (s.dims[0] != DL_DYN && n != DL_DYN && s.dims[0] != n)
        return dl_op_error(op, "operand %u (%s) has %lld entries, expected %lld", i, name,
                           (long long)s.dims[0], (long long)n);
    return DL_OK;
}

/* An integer array attribute with exactly count entries in [min, ATTR_MAX]; every entry is dflt
 * when the attribute is absent. */
static dl_status ints_attr(dl_op *op, const char *name, int count, int64_t dflt, int64_t min,
                           int64_t *out) {
    int n = dl_op_attr_ints(op, name, out, count);
    if (n < 0) {
        for (int i = 0; i < count; i++) out[i] = dflt;
        return DL_OK;
    }
    if (n != count) return dl_op_error(op, "'%s' has %d entries, expected %d", name, n, count);
    for (int i = 0; i < count; i++)
        if (out[i] < min || out[i] > ATTR_MAX)
            return dl_op_error(op, "'%s' entry %d is %lld, expected a value in [%lld, %lld]", name,
                               i, (long long)out[i], (long long)min, (long long)ATTR_MAX);
    return DL_OK;
}

/* ---- Sliding windows (convolution and pooling) ---- */

typedef enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID } auto_pad;

/* The window of a convolution or pooling op over n spatial dimensions. */
typedef struct window {
    int n;
    int64_t kernel[DL_MAX_RANK]; /* DL_DYN when unknown */
    int64_t strides[DL_MAX_RANK];
    int64_t dilations[DL_MAX_RANK];
    int64_t pads[2 * DL_MAX_RANK]; /* n begins, then n ends */
    auto_pad pad;
} window;

/* Reads kernel_shape, strides, dilations, pads and auto_pad. wk, when not NULL, are the
 * weights' spatial sizes, which kernel_shape may be left out for; without wk it is required. */
static dl_status read_window(dl_op *op, int n, const int64_t *wk, window *w) {
    w->n = n;
    for (int i = 0; wk && i < n; i++)
        if (wk[i] != DL_DYN && (wk[i] < 1 || wk[i] > ATTR_MAX))
            return dl_op_error(op,
                               "the weights' kernel size %lld in spatial dimension %d is "
                               "outside [1, %lld]",
                               (long long)wk[i], i, (long long)ATTR_MAX);
    if (dl_op_attr(op, "kernel_shape")) {
        if (ints_attr(op, "kernel_shape", n, 1, 1, w->kernel) != DL_OK) return DL_FAILURE;
        for (int i = 0; wk && i < n; i++)
            if (wk[i] != DL_DYN && wk[i] != w->kernel[i])
                return dl_op_error(op,
                                   "'kernel_shape' entry %d is %lld but the weights have size "
                                   "%lld there",
                                   i, (long long)w->kernel[i], (long long)wk[i]);
    } else if (wk) {
        memcpy(w->kernel, wk, n * sizeof *wk);
    } else {
        return dl_op_error(op, "needs a 'kernel_shape' attribute");
    }
    if (ints_attr(op, "strides", n, 1, 1, w->strides) != DL_OK ||
        ints_attr(op, "dilations", n, 1, 1, w->dilations) != DL_OK ||
        ints_attr(op, "pads", 2 * n, 0, 0, w->pads) != DL_OK)
        return DL_FAILURE;
    const char *p = dl_op_attr_str(op, "auto_pad", "NOTSET");
    if (!strcmp(p, "NOTSET"))
        w->pad = PAD_NOTSET;
    else if (!strcmp(p, "SAME_UPPER"))
        w->pad = PAD_SAME_UPPER;
    else if (!strcmp(p, "SAME_LOWER"))
        w->pad = PAD_SAME_LOWER;
    else if (!strcmp(p, "VALID"))
        w->pad = PAD_VALID;
    else
        return dl_op_error(
            op, "'auto_pad' must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got \"%s\"", p);
    return DL_OK;
}

/* The number of window positions along spatial dimension i for input size in: ceil(in / stride)
 * for SAME_*, else floor (ceil with ceil_mode) of (padded input - effective kernel) / stride,
 * plus one. */
static dl_status window_count(dl_op *op, const window *w, int i, int64_t in, bool ceil_mode,
                              int64_t *out) {
    int64_t s = w->strides[i];
    if (in == DL_DYN) {
        *out = DL_DYN;
        return DL_OK;
    }
    if (w->pad == PAD_SAME_UPPER || w->pad == PAD_SAME_LOWER) {
        *out = in / s + (in % s != 0);
        return DL_OK;
    }
    if (w->kernel[i] == DL_DYN) {
        *out = DL_DYN;
        return DL_OK;
    }
    int64_t eff = (w->kernel[i] - 1) * w->dilations[i] + 1;
    int64_t padded = in;
    if (w->pad == PAD_NOTSET && __builtin_add_overflow(in, w->pads[i] + w->pads[i + w->n], &padded))
        return dl_op_error(op, "spatial dimension %d: the padded input size overflows", i);
    if (padded < eff)
        return dl_op_error(op,
                           "spatial dimension %d: the window (%lld with dilation) is larger than "
                           "the padded input (%lld)",
                           i, (long long)eff, (long long)padded);
    int64_t span = padded - eff;
    *out = span / s + (ceil_mode && span % s != 0) + 1;
    return DL_OK;
}

/* Conv, ConvInteger, QLinearConv: X (N, C, D1..Dn) with weights W (M, C/group, k1..kn) and
 * optional bias B (M) gives (N, M, O1..On), Oi from window_count. */
static dl_status conv_like(dl_op *op, unsigned xi, unsigned wi, unsigned bi, const dl_type *elem) {
    dl_shape x, w, y;
    window win;
    if (dl_operand_shape(op, xi, &x) != DL_OK) return DL_FAILURE;
    if (x.rank < 3)
        return dl_op_error(op, "operand %u (X) must have shape (N, C, D1, ...), got rank %d", xi,
                           x.rank);
    if (dl_operand_rank(op, wi, "W", x.rank, &w) != DL_OK) return DL_FAILURE;
    int64_t group = dl_op_attr_int(op, "group", 1);
    if (group < 1 || group > ATTR_MAX)
        return dl_op_error(op, "'group' is %lld, expected a positive value", (long long)group);
    int64_t c;
    if (w.dims[1] != DL_DYN && x.dims[1] != DL_DYN &&
        (__builtin_mul_overflow(w.dims[1], group, &c) || c != x.dims[1]))
        return dl_op_error(op,
                           "operand %u (X) has %lld channels but the weights expect %lld per "
                           "group x %lld groups",
                           xi, (long long)x.dims[1], (long long)w.dims[1], (long long)group);
    if (w.dims[0] != DL_DYN && w.dims[0] % group != 0)
        return dl_op_error(op, "the weights' %lld output channels do not divide into %lld groups",
                           (long long)w.dims[0], (long long)group);
    if (dl_has_operand(op, bi) && operand_vector(op, bi, "B", w.dims[0]) != DL_OK)
        return DL_FAILURE;
    if (read_window(op, x.rank - 2, w.dims + 2, &win) != DL_OK) return DL_FAILURE;
    y.rank = x.rank;
    dl_shape_copy_dim(&y, 0, &x, 0);
    dl_shape_copy_dim(&y, 1, &w, 0);
    for (int i = 0; i < win.n; i++) {
        if (window_count(op, &win, i, x.dims[i + 2], false, &y.dims[i + 2]) != DL_OK)
            return DL_FAILURE;
        y.names[i + 2] = NULL;
    }
    return dl_set_result_checked(op, 0, elem, &y);
}

static dl_status infer_conv(dl_op *op) {
    return conv_like(op, 0, 1, 2, dl_operand_elem(op, 0));
}

/* ConvInteger(x, w, x_zero_point?, w_zero_point?): like Conv, with i32 results. */
static dl_status infer_conv_integer(dl_op *op) {
    return conv_like(op, 0, 1, op->num_operands, dl_type_scalar(op->ctx, DL_TY_I32));
}

/* QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B?): like Conv, with the
 * element type of y_zero_point. */
static dl_status infer_qlinear_conv(dl_op *op) {
    dl_shape zp;
    if (dl_operand_shape(op, 7, &zp) != DL_OK) return DL_FAILURE;
    return conv_like(op, 0, 3, 8, dl_operand_elem(op, 7));
}

/* ConvTranspose(X, W, B?): X (N, C, D1..Dn), W (C, M/group, k1..kn) give (N, M, O1..On) with
 * Oi = output_shape[i] when given, Di * stride for SAME_*, else
 * stride * (Di - 1) + output_padding + (k - 1) * dilation + 1 - pad_begin - pad_end. */
static dl_status infer_conv_transpose(dl_op *op) {
    dl_shape x, w, y;
    window win;
    if (dl_operand_shape(op, 0, &x) != DL_OK) return DL_FAILURE;
    if (x.rank < 3)
        return dl_op_error(op, "operand 0 (X) must have shape (N, C, D1, ...), got rank %d",
                           x.rank);
    if (dl_operand_rank(op, 1, "W", x.rank, &w) != DL_OK) return DL_FAILURE;
    if (dl_match_dim(op, x.dims[1], w.dims[0], "input channels of X and W") != DL_OK)
        return DL_FAILURE;
    int64_t group = dl_op_attr_int(op, "group", 1);
    if (group < 1 || group > ATTR_MAX)
        return dl_op_error(op, "'group' is %lld, expected a positive value", (long long)group);
    int64_t m = DL_DYN;
    if (w.dims[1] != DL_DYN && __builtin_mul_overflow(w.dims[1], group, &m))
        return dl_op_error(op, "the number of output channels overflows");
    if (dl_has_operand(op, 2) && operand_vector(op, 2, "B", m) != DL_OK) return DL_FAILURE;
    int n = x.rank - 2;
    int64_t out_pad[DL_MAX_RANK], out_shape[DL_MAX_RANK + 2];
    if (read_window(op, n, w.dims + 2, &win) != DL_OK ||
        ints_attr(op, "output_padding", n, 0, 0, out_pad) != DL_OK)
        return DL_FAILURE;
    int n_out = dl_op_attr_ints(op, "output_shape", out_shape, n + 2);
    if (n_out >= 0 && n_out != n && n_out != n + 2)
        return dl_op_error(op,
                           "'output_shape' has %d entries, expected %d (one per spatial "
                           "dimension)",
                           n_out, n);
    y.rank = x.rank;
    dl_shape_copy_dim(&y, 0, &x, 0);
    dl_shape_set_dim(&y, 1, m, NULL);
    for (int i = 0; i < n; i++) {
        int64_t in = x.dims[i + 2], k = win.kernel[i], size;
        if (n_out >= 0) {
            size = out_shape[n_out - n + i];
            if (size < 0)
                return dl_op_error(op, "'output_shape' entry %d is negative", n_out - n + i);
        } else if (in == DL_DYN) {
            size = DL_DYN;
        } else if (win.pad == PAD_SAME_UPPER || win.pad == PAD_SAME_LOWER) {
            if (__builtin_mul_overflow(in, win.strides[i], &size))
                return dl_op_error(op, "spatial dimension %d: the output size overflows", i);
        } else if (k == DL_DYN) {
            size = DL_DYN;
        } else {
            int64_t pads = win.pad == PAD_VALID ? 0 : win.pads[i] + win.pads[i + n];
            if (in == 0)
                return dl_op_error(op, "spatial dimension %d of operand 0 (X) is empty", i);
            if (__builtin_mul_overflow(in - 1, win.strides[i], &size))
                return dl_op_error(op, "spatial dimension %d: the output size overflows", i);
            int64_t extra = out_pad[i] + (k - 1) * win.dilations[i] + 1 - pads;
            if (__builtin_add_overflow(size, extra, &size))
                return dl_op_error(op, "spatial dimension %d: the output size overflows", i);
            if (size < 1)
                return dl_op_error(op,
                                   "spatial dimension %d: the pads (%lld in all) leave no output",
                                   i, (long long)pads);
        }
        dl_shape_set_dim(&y, i + 2, size, NULL);
    }
    return dl_set_result_checked(op, 0, dl_operand_elem(op, 0), &y);
}

/* ---- Pooling ---- */

/* AveragePool, MaxPool, LpPool: X (N, C, D1..Dn) gives (N, C, O1..On), Oi from window_count
 * with the required kernel_shape; MaxPool's optional Indices output is i64 of the same shape. */
static dl_status infer_pool(dl_op *op) {
    dl_shape x, y;
    window win;
    if (dl_operand_shape(op, 0, &x) != DL_OK) return DL_FAILURE;
    if (x.rank < 3)
        return dl_op_error(op, "operand 0 (X) must have shape (N, C, D1, ...), got rank %d",
                           x.rank);
    if (read_window(op, x.rank - 2, NULL, &win) != DL_OK) return DL_FAILURE;
    bool ceil_mode = dl_op_attr_int(op, "ceil_mode", 0) != 0;
    y = x;
    for (int i = 0; i < win.n; i++) {
        if (window_count(op, &win, i, x.dims[i + 2], ceil_mode, &y.dims[i + 2]) != DL_OK)
            return DL_FAILURE;
        y.names[i + 2] = NULL;
    }
    if (dl_check_elements(op, &y) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &y);
    dl_set_optional_result(op, 1, dl_type_scalar(op->ctx, DL_TY_I64), &y);
    return DL_OK;
}

/* GlobalAveragePool, GlobalMaxPool, GlobalLpPool: (N, C, D1..Dn) gives (N, C, 1, ..., 1). */
static dl_status infer_global_pool(dl_op *op) {
    dl_shape y;
    if (dl_operand_shape(op, 0, &y) != DL_OK) return DL_FAILURE;
    if (y.rank < 2)
        return dl_op_error(op, "operand 0 (X) must have shape (N, C, D1, ...), got rank %d",
                           y.rank);
    for (int i = 2; i < y.rank; i++) dl_shape_set_dim(&y, i, 1, NULL);
    dl_set_result(op, 0, dl_operand_elem(op, 0), &y);
    return DL_OK;
}

/* MaxUnpool(X, I, output_shape?): the constant output_shape operand when given (all sizes
 * unknown when it is not constant), else (N, C, O1..On) with
 * Oi = (Di - 1) * stride + kernel - pad_begin - pad_end. */
static dl_status infer_max_unpool(dl_op *op) {
    dl_shape x, idx, y;
    if (dl_operand_shape(op, 0, &x) != DL_OK || dl_operand_shape(op, 1, &idx) != DL_OK)
        return DL_FAILURE;
    if (x.rank < 3)
        return dl_op_error(op, "operand 0 (X) must have shape (N, C, D1, ...), got rank %d",
                           x.rank);
    if (dl_operand_elem(op, 1)->kind != DL_TY_I64)
        return dl_op_error(op, "operand 1 (I) must be an i64 tensor");
    y = x;
    if (dl_has_operand(op, 2)) {
        int64_t dims[DL_MAX_RANK];
        int64_t n = dl_const_ints(dl_operand(op, 2), dims, DL_MAX_RANK);
        if (n >= 0 && n != x.rank)
            return dl_op_error(op, "operand 2 (output_shape) has %lld entries, expected %d",
                               (long long)n, x.rank);
        for (int i = 0; i < x.rank; i++) {
            if (n >= 0 && dims[i] < 0)
                return dl_op_error(op, "operand 2 (output_shape) entry %d is negative", i);
            dl_shape_set_dim(&y, i, n >= 0 ? dims[i] : DL_DYN, NULL);
        }
        return dl_set_result_checked(op, 0, dl_operand_elem(op, 0), &y);
    }
    window win;
    if (read_window(op, x.rank - 2, NULL, &win) != DL_OK) return DL_FAILURE;
    for (int i = 0; i < win.n; i++) {
        int64_t in = x.dims[i + 2], size = DL_DYN;
        if (in != DL_DYN) {
            if (in == 0)
                return dl_op_error(op, "spatial dimension %d of operand 0 (X) is empty", i);
            if (__builtin_mul_overflow(in - 1, win.strides[i], &size))
                return dl_op_error(op, "spatial dimension %d: the output size overflows", i);
            int64_t extra = win.kernel[i] - win.pads[i] - win.pads[i + win.n];
            if (__builtin_add_overflow(size, extra, &size))
                return dl_op_error(op, "spatial dimension %d: the output size overflows", i);
            if (size < 1)
                return dl_op_error(op, "spatial dimension %d: the pads leave no output", i);
        }
        dl_shape_set_dim(&y, i + 2, size, NULL);
    }
    return dl_set_result_checked(op, 0, dl_operand_elem(op, 0), &y);
}

/* MaxRoiPool(X, rois (num_rois, 5)): (num_rois, C, pooled_h, pooled_w). */
static dl_status infer_max_roi_pool(dl_op *op) {
    dl_shape x, rois, y;
    int64_t pooled[2];
    if (dl_operand_rank(op, 0, "X", 4, &x) != DL_OK ||
        dl_operand_rank(op, 1, "rois", 2, &rois) != DL_OK)
        return DL_FAILURE;
    if (rois.dims[1] != DL_DYN && rois.dims[1] != 5)
        return dl_op_error(op, "operand 1 (rois) must have shape (num_rois, 5)");
    if (!dl_op_attr(op, "pooled_shape")) return dl_op_error(op, "needs a 'pooled_shape' attribute");
    if (ints_attr(op, "pooled_shape", 2, 1, 1, pooled) != DL_OK) return DL_FAILURE;
    y.rank = 4;
    dl_shape_copy_dim(&y, 0, &rois, 0);
    dl_shape_copy_dim(&y, 1, &x, 1);
    dl_shape_set_dim(&y, 2, pooled[0], NULL);
    dl_shape_set_dim(&y, 3, pooled[1], NULL);
    return dl_set_result_checked(op, 0, dl_operand_elem(op, 0), &y);
}

/* RoiAlign(X, rois (num_rois, 4), batch_indices (num_rois)): (num_rois, C, output_height,
 * output_width). */
static dl_status infer_roi_align(dl_op *op) {
    dl_shape x, rois, idx, y;
    if (dl_operand_rank(op, 0, "X", 4, &x) != DL_OK ||
        dl_operand_rank(op, 1, "rois", 2, &rois) != DL_OK ||
        dl_operand_rank(op, 2, "batch_indices", 1, &idx) != DL_OK)
        return DL_FAILURE;
    if (rois.dims[1] != DL_DYN && rois.dims[1] != 4)
        return dl_op_error(op, "operand 1 (rois) must have shape (num_rois, 4)");
    if (dl_match_dim(op, rois.dims[0], idx.dims[0], "number of rois and of batch indices") != DL_OK)
        return DL_FAILURE;
    int64_t h = dl_op_attr_int(op, "output_height", 1), w = dl_op_attr_int(op, "output_width", 1);
    if (h < 1 || w < 1 || h > ATTR_MAX || w > ATTR_MAX)
        return dl_op_error(op, "'output_height' and 'output_width' must be positive");
    y.rank = 4;
    dl_shape_copy_dim(&y, 0, rois.dims[0] != DL_DYN ? &rois : &idx, 0);
    dl_shape_copy_dim(&y, 1, &x, 1);
    dl_shape_set_dim(&y, 2, h, NULL);
    dl_shape_set_dim(&y, 3, w, NULL);
    return dl_set_result_checked(op, 0, dl_operand_elem(op, 0), &y);
}

/* ---- Normalizations ---- */

/* LRN, LpNormalization, MeanVarianceNormalization: the input's type; axis attributes must be in
 * range. */
static dl_status infer_norm_same(dl_op *op) {
    dl_shape s;
    int64_t axes[DL_MAX_RANK], a;
    if (dl_operand_shape(op, 0, &s) != DL_OK) return DL_FAILURE;
    if (op->kind == DL_OP_graph_LpNormalization &&
        dl_norm_axis(op, dl_op_attr_int(op, "axis", -1), s.rank, &a) != DL_OK)
        return DL_FAILURE;
    int n = dl_op_attr_ints(op, "axes", axes, DL_MAX_RANK);
    if (n > DL_MAX_RANK) return dl_op_error(op, "'axes' has %d entries", n);
    for (int i = 0; i < n; i++)
        if (dl_norm_axis(op, axes[i], s.rank, &a) != DL_OK) return DL_FAILURE;
    if (op->kind == DL_OP_graph_LRN && dl_op_attr_int(op, "size", 0) < 1)
        return dl_op_error(op, "needs a positive 'size' attribute");
    dl_set_result(op, 0, dl_operand_elem(op, 0), &s);
    return DL_OK;
}

/* BatchNormalization(X, scale, B, mean, var): Y like X (N, C, ...); scale, B, mean and var have
 * shape (C). The optional training outputs running_mean and running_var are like mean and var. */
static dl_status infer_batch_norm(dl_op *op) {
    static const char *const names[] = {"X", "scale", "B", "input_mean", "input_var"};
    dl_shape x;
    if (dl_operand_shape(op, 0, &x) != DL_OK) return DL_FAILURE;
    if (x.rank < 2)
        return dl_op_error(op, "operand 0 (X) must have shape (N, C, ...), got rank %d", x.rank);
    for (unsigned i = 1; i < 5; i++)
        if (operand_vector(op, i, names[i], x.dims[1]) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &x);
    for (unsigned i = 1; i < 3; i++) {
        dl_shape stat;
        dl_shape_of(dl_operand(op, 2 + i), &stat);
        dl_set_optional_result(op, i, dl_operand_elem(op, 2 + i), &stat);
    }
    return DL_OK;
}

/* InstanceNormalization(input, scale, B): the input's type; scale and B have shape (C). */
static dl_status infer_instance_norm(dl_op *op) {
    dl_shape x;
    if (dl_operand_shape(op, 0, &x) != DL_OK) return DL_FAILURE;
    if (x.rank < 2)
        return dl_op_error(op, "operand 0 (input) must have shape (N, C, ...), got rank %d",
                           x.rank);
    if (operand_vector(op, 1, "scale", x.dims[1]) != DL_OK ||
        operand_vector(op, 2, "B", x.dims[1]) != DL_OK)
        return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &x);
    return DL_OK;
}

/* LayerNormalization(X, Scale, B?): Y like X; the optional Mean and InvStdDev outputs keep the
 * dims before 'axis' and have size 1 from there, with the element type given by stash_type. */
static dl_status infer_layer_norm(dl_op *op) {
    dl_shape x, stat;
    int64_t axis;
    if (dl_operand_shape(op, 0, &x) != DL_OK) return DL_FAILURE;
    if (x.rank == 0) return dl_op_error(op, "operand 0 (X) must have rank at least 1");
    if (dl_norm_axis(op, dl_op_attr_int(op, "axis", -1), x.rank, &axis) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &x);
    if (op->num_results > 1) {
        const dl_type *stash = dl_onnx_elem_type(op->ctx, dl_op_attr_int(op, "stash_type", 1));
        if (!stash || !dl_type_is_float(stash))
            return dl_op_error(op, "'stash_type' must be a floating-point ONNX data type code");
        stat = x;
        for (int i = (int)axis; i < x.rank; i++) dl_shape_set_dim(&stat, i, 1, NULL);
        dl_set_optional_result(op, 1, stash, &stat);
        dl_set_optional_result(op, 2, stash, &stat);
    }
    return DL_OK;
}

/* GridSample(X (N, C, D1..Dn), grid (N, O1..On, n)): (N, C, O1..On). */
static dl_status infer_grid_sample(dl_op *op) {
    dl_shape x, g, y;
    if (dl_operand_shape(op, 0, &x) != DL_OK) return DL_FAILURE;
    if (x.rank < 3)
        return dl_op_error(op, "operand 0 (X) must have shape (N, C, D1, ...), got rank %d",
                           x.rank);
    if (dl_operand_rank(op, 1, "grid", x.rank, &g) != DL_OK) return DL_FAILURE;
    if (g.dims[x.rank - 1] != DL_DYN && g.dims[x.rank - 1] != x.rank - 2)
        return dl_op_error(op, "operand 1 (grid) must have %d coordinates in its last dimension",
                           x.rank - 2);
    if (dl_match_dim(op, x.dims[0], g.dims[0], "batch sizes of X and grid") != DL_OK)
        return DL_FAILURE;
    y = g;
    dl_shape_copy_dim(&y, 0, x.dims[0] != DL_DYN ? &x : &g, 0);
    for (int i = x.rank - 1; i > 1; i--) dl_shape_copy_dim(&y, i, &g, i - 1);
    dl_shape_copy_dim(&y, 1, &x, 1);
    return dl_set_result_checked(op, 0, dl_operand_elem(op, 0), &y);
}

const dl_infer_entry dl_infer_nn[] = {
    {DL_OP_graph_Conv, infer_conv},
    {DL_OP_graph_ConvInteger, infer_conv_integer},
    {DL_OP_graph_QLinearConv, infer_qlinear_conv},
    {DL_OP_graph_ConvTranspose, infer_conv_transpose},
    {DL_OP_graph_AveragePool, infer_pool},
    {DL_OP_graph_MaxPool, infer_pool},
    {DL_OP_graph_LpPool, infer_pool},
    {DL_OP_graph_GlobalAveragePool, infer_global_pool},
    {DL_OP_graph_GlobalMaxPool, infer_global_pool},
    {DL_OP_graph_GlobalLpPool, infer_global_pool},
    {DL_OP_graph_MaxUnpool, infer_max_unpool},
    {DL_OP_graph_MaxRoiPool, infer_max_roi_pool},
    {DL_OP_graph_RoiAlign, infer_roi_align},
    {DL_OP_graph_BatchNormalization, infer_batch_norm},
    {DL_OP_graph_InstanceNormalization, infer_instance_norm},
    {DL_OP_graph_LayerNormalization, infer_layer_norm},
    {DL_OP_graph_LRN, infer_norm_same},
    {DL_OP_graph_LpNormalization, infer_norm_same},
    {DL_OP_graph_MeanVarianceNormalization, infer_norm_same},
    {DL_OP_graph_GridSample, infer_grid_sample},
    {DL_OP__INVALID, NULL},
};
