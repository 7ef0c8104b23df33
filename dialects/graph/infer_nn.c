/* infer_nn.c: shape inference rules of the nn op family: convolutions, pooling,
 * normalizations, matrix products, Einsum, recurrent layers, RoI ops and GridSample (ONNX
 * opset 17 semantics). */
#include "infer.h"

#include <string.h>

/* Window attributes (kernel sizes, strides, dilations, pads) are at most this large, so the
 * size formulas below cannot overflow int64 for any tensor size. */
#define ATTR_MAX ((int64_t)1 << 31)

static const dl_type *elem_of(dl_op *op, dl_type_kind kind) {
    return dl_type_scalar(op->ctx, kind);
}

/* Copies dimension j of src (size and symbolic name) into dimension i of dst. */
static void copy_dim(dl_shape *dst, int i, const dl_shape *src, int j) {
    dst->dims[i] = src->dims[j];
    dst->names[i] = src->names[j];
}

static void set_dim(dl_shape *dst, int i, int64_t size) {
    dst->dims[i] = size;
    dst->names[i] = NULL;
}

/* Sets result i after checking that shape s does not have too many elements. */
static dl_status set_checked(dl_op *op, unsigned i, const dl_type *elem, const dl_shape *s) {
    if (dl_check_elements(op, s) != DL_OK) return DL_FAILURE;
    dl_set_result(op, i, elem, s);
    return DL_OK;
}

/* Requires two sizes to agree where both are known. */
static dl_status match_dim(dl_op *op, int64_t a, int64_t b, const char *what) {
    if (a != DL_DYN && b != DL_DYN && a != b)
        return dl_op_error(op, "%s: %lld and %lld do not match", what, (long long)a, (long long)b);
    return DL_OK;
}

/* Requires operand i to be a tensor of the given rank. */
static dl_status operand_rank(dl_op *op, unsigned i, const char *name, int rank, dl_shape *s) {
    if (dl_operand_shape(op, i, s) != DL_OK) return DL_FAILURE;
    if (s->rank != rank)
        return dl_op_error(op, "operand %u (%s) must have rank %d, got %d", i, name, rank, s->rank);
    return DL_OK;
}

/* Requires operand i to be a 1-D tensor of size n (when both are known). */
static dl_status operand_vector(dl_op *op, unsigned i, const char *name, int64_t n) {
    dl_shape s;
    if (operand_rank(op, i, name, 1, &s) != DL_OK) return DL_FAILURE;
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
    if (operand_rank(op, wi, "W", x.rank, &w) != DL_OK) return DL_FAILURE;
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
    copy_dim(&y, 0, &x, 0);
    copy_dim(&y, 1, &w, 0);
    for (int i = 0; i < win.n; i++) {
        if (window_count(op, &win, i, x.dims[i + 2], false, &y.dims[i + 2]) != DL_OK)
            return DL_FAILURE;
        y.names[i + 2] = NULL;
    }
    return set_checked(op, 0, elem, &y);
}

static dl_status infer_conv(dl_op *op) {
    return conv_like(op, 0, 1, 2, dl_operand_elem(op, 0));
}

/* ConvInteger(x, w, x_zero_point?, w_zero_point?): like Conv, with i32 results. */
static dl_status infer_conv_integer(dl_op *op) {
    return conv_like(op, 0, 1, op->num_operands, elem_of(op, DL_TY_I32));
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
    if (operand_rank(op, 1, "W", x.rank, &w) != DL_OK) return DL_FAILURE;
    if (match_dim(op, x.dims[1], w.dims[0], "input channels of X and W") != DL_OK)
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
    copy_dim(&y, 0, &x, 0);
    set_dim(&y, 1, m);
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
        set_dim(&y, i + 2, size);
    }
    return set_checked(op, 0, dl_operand_elem(op, 0), &y);
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
    dl_set_optional_result(op, 1, elem_of(op, DL_TY_I64), &y);
    return DL_OK;
}

/* GlobalAveragePool, GlobalMaxPool, GlobalLpPool: (N, C, D1..Dn) gives (N, C, 1, ..., 1). */
static dl_status infer_global_pool(dl_op *op) {
    dl_shape y;
    if (dl_operand_shape(op, 0, &y) != DL_OK) return DL_FAILURE;
    if (y.rank < 2)
        return dl_op_error(op, "operand 0 (X) must have shape (N, C, D1, ...), got rank %d",
                           y.rank);
    for (int i = 2; i < y.rank; i++) set_dim(&y, i, 1);
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
            set_dim(&y, i, n >= 0 ? dims[i] : DL_DYN);
        }
        return set_checked(op, 0, dl_operand_elem(op, 0), &y);
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
        set_dim(&y, i + 2, size);
    }
    return set_checked(op, 0, dl_operand_elem(op, 0), &y);
}

/* MaxRoiPool(X, rois (num_rois, 5)): (num_rois, C, pooled_h, pooled_w). */
static dl_status infer_max_roi_pool(dl_op *op) {
    dl_shape x, rois, y;
    int64_t pooled[2];
    if (operand_rank(op, 0, "X", 4, &x) != DL_OK || operand_rank(op, 1, "rois", 2, &rois) != DL_OK)
        return DL_FAILURE;
    if (rois.dims[1] != DL_DYN && rois.dims[1] != 5)
        return dl_op_error(op, "operand 1 (rois) must have shape (num_rois, 5)");
    if (!dl_op_attr(op, "pooled_shape")) return dl_op_error(op, "needs a 'pooled_shape' attribute");
    if (ints_attr(op, "pooled_shape", 2, 1, 1, pooled) != DL_OK) return DL_FAILURE;
    y.rank = 4;
    copy_dim(&y, 0, &rois, 0);
    copy_dim(&y, 1, &x, 1);
    set_dim(&y, 2, pooled[0]);
    set_dim(&y, 3, pooled[1]);
    return set_checked(op, 0, dl_operand_elem(op, 0), &y);
}

/* RoiAlign(X, rois (num_rois, 4), batch_indices (num_rois)): (num_rois, C, output_height,
 * output_width). */
static dl_status infer_roi_align(dl_op *op) {
    dl_shape x, rois, idx, y;
    if (operand_rank(op, 0, "X", 4, &x) != DL_OK ||
        operand_rank(op, 1, "rois", 2, &rois) != DL_OK ||
        operand_rank(op, 2, "batch_indices", 1, &idx) != DL_OK)
        return DL_FAILURE;
    if (rois.dims[1] != DL_DYN && rois.dims[1] != 4)
        return dl_op_error(op, "operand 1 (rois) must have shape (num_rois, 4)");
    if (match_dim(op, rois.dims[0], idx.dims[0], "number of rois and of batch indices") != DL_OK)
        return DL_FAILURE;
    int64_t h = dl_op_attr_int(op, "output_height", 1), w = dl_op_attr_int(op, "output_width", 1);
    if (h < 1 || w < 1 || h > ATTR_MAX || w > ATTR_MAX)
        return dl_op_error(op, "'output_height' and 'output_width' must be positive");
    y.rank = 4;
    copy_dim(&y, 0, rois.dims[0] != DL_DYN ? &rois : &idx, 0);
    copy_dim(&y, 1, &x, 1);
    set_dim(&y, 2, h);
    set_dim(&y, 3, w);
    return set_checked(op, 0, dl_operand_elem(op, 0), &y);
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
        for (int i = (int)axis; i < x.rank; i++) set_dim(&stat, i, 1);
        dl_set_optional_result(op, 1, stash, &stat);
        dl_set_optional_result(op, 2, stash, &stat);
    }
    return DL_OK;
}

/* ---- Matrix products ---- */

/* The numpy matmul shape of operands ai and bi: 1-D operands are promoted to matrices (and the
 * added dimension removed again), batch dimensions broadcast, inner sizes must agree. */
static dl_status matmul_shape(dl_op *op, unsigned ai, unsigned bi, dl_shape *y) {
    dl_shape a, b, batch[2];
    if (dl_operand_shape(op, ai, &a) != DL_OK || dl_operand_shape(op, bi, &b) != DL_OK)
        return DL_FAILURE;
    if (a.rank == 0 || b.rank == 0)
        return dl_op_error(op, "operand %u is a scalar; matrix products need rank >= 1",
                           a.rank == 0 ? ai : bi);
    int64_t ak = a.dims[a.rank - 1];
    int64_t bk = b.dims[b.rank == 1 ? 0 : b.rank - 2];
    if (ak != DL_DYN && bk != DL_DYN && ak != bk)
        return dl_op_error(op,
                           "inner dimensions do not match: operand %u has %lld columns, operand "
                           "%u has %lld rows",
                           ai, (long long)ak, bi, (long long)bk);
    batch[0] = a;
    batch[0].rank = a.rank > 2 ? a.rank - 2 : 0;
    batch[1] = b;
    batch[1].rank = b.rank > 2 ? b.rank - 2 : 0;
    if (dl_broadcast(op, 2, batch, y) != DL_OK) return DL_FAILURE;
    if (a.rank > 1) copy_dim(y, y->rank++, &a, a.rank - 2);
    if (b.rank > 1) copy_dim(y, y->rank++, &b, b.rank - 1);
    return dl_check_elements(op, y);
}

static dl_status infer_matmul(dl_op *op) {
    dl_shape y;
    if (matmul_shape(op, 0, 1, &y) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &y);
    return DL_OK;
}

/* MatMulInteger(A, B, a_zero_point?, b_zero_point?): the matmul shape, i32. */
static dl_status infer_matmul_integer(dl_op *op) {
    dl_shape y;
    if (matmul_shape(op, 0, 1, &y) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, elem_of(op, DL_TY_I32), &y);
    return DL_OK;
}

/* QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp): the matmul shape of a and
 * b with y_zero_point's element type. */
static dl_status infer_qlinear_matmul(dl_op *op) {
    dl_shape y, zp;
    if (matmul_shape(op, 0, 3, &y) != DL_OK || dl_operand_shape(op, 7, &zp) != DL_OK)
        return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 7), &y);
    return DL_OK;
}

/* Gemm(A, B, C?): A (M, K) and B (K, N), each transposed first when transA / transB is set,
 * give (M, N); C must broadcast to (M, N) in one direction. */
static dl_status infer_gemm(dl_op *op) {
    dl_shape a, b, y;
    if (operand_rank(op, 0, "A", 2, &a) != DL_OK || operand_rank(op, 1, "B", 2, &b) != DL_OK)
        return DL_FAILURE;
    int ta = dl_op_attr_int(op, "transA", 0) != 0, tb = dl_op_attr_int(op, "transB", 0) != 0;
    int64_t ak = a.dims[1 - ta], bk = b.dims[tb];
    if (ak != DL_DYN && bk != DL_DYN && ak != bk)
        return dl_op_error(op, "inner dimensions do not match: A gives K = %lld, B gives K = %lld",
                           (long long)ak, (long long)bk);
    y.rank = 2;
    copy_dim(&y, 0, &a, ta);
    copy_dim(&y, 1, &b, 1 - tb);
    if (dl_has_operand(op, 2)) {
        dl_shape c;
        if (dl_operand_shape(op, 2, &c) != DL_OK) return DL_FAILURE;
        bool ok = c.rank <= 2;
        for (int i = 0; ok && i < c.rank; i++) {
            int64_t d = c.dims[i], want = y.dims[2 - c.rank + i];
            ok = d == 1 || d == DL_DYN || want == DL_DYN || d == want;
        }
        if (!ok)
            return dl_op_error(op, "operand 2 (C) does not broadcast to the result shape (M, N)");
    }
    return set_checked(op, 0, dl_operand_elem(op, 0), &y);
}

/* ---- Einsum ---- */

#define EINSUM_LABELS 128

/* One term of an Einsum equation: its labels in order, with the ellipsis at position ell
 * (-1 if absent). */
typedef struct einsum_term {
    int n;
    char labels[DL_MAX_RANK];
    int ell;
} einsum_term;

/* Parses one term from *p up to ',', '-' or the end, skipping spaces. */
static dl_status parse_term(dl_op *op, const char **p, einsum_term *t) {
    const char *s = *p;
    t->n = 0;
    t->ell = -1;
    while (*s && *s != ',' && *s != '-') {
        if (*s == ' ') {
            s++;
            continue;
        }
        if (s[0] == '.') {
            if (s[1] != '.' || s[2] != '.')
                return dl_op_error(op, "'equation': a '.' that is not part of '...'");
            if (t->ell >= 0) return dl_op_error(op, "'equation': a term has two ellipses");
            t->ell = t->n;
            s += 3;
            continue;
        }
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return dl_op_error(op, "'equation': invalid character '%c'", *s);
        if (t->n == DL_MAX_RANK)
            return dl_op_error(op, "'equation': a term has more than %d labels", DL_MAX_RANK);
        t->labels[t->n++] = *s++;
    }
    *p = s;
    return DL_OK;
}

/* Einsum(inputs...): each input's labels give named sizes (equal labels, equal sizes; 1
 * broadcasts), ellipsis dims broadcast across inputs. The output has the explicit right-hand
 * side's labels (which must keep the ellipsis when it stands for dimensions) or, implicitly,
 * the ellipsis dims then the labels used once in ASCII order (numpy.einsum's rules). */
static dl_status infer_einsum(dl_op *op) {
    const char *eq = dl_op_attr_str(op, "equation", NULL);
    if (!eq) return dl_op_error(op, "needs an 'equation' attribute");
    int64_t size[EINSUM_LABELS];
    const char *name[EINSUM_LABELS];
    int count[EINSUM_LABELS] = {0};
    dl_shape ell = {.rank = 0};
    bool any_ell = false;
    const char *p = eq;
    for (unsigned i = 0; i < op->num_operands; i++) {
        einsum_term t;
        dl_shape s;
        if (i > 0 && *p++ != ',')
            return dl_op_error(op, "'equation' has %u input terms for %u operands", i,
                               op->num_operands);
        if (dl_operand_shape(op, i, &s) != DL_OK || parse_term(op, &p, &t) != DL_OK)
            return DL_FAILURE;
        if (i > 0 && dl_operand_elem(op, i) != dl_operand_elem(op, 0))
            return dl_op_error(op, "operand %u has element type %s, expected %s like operand 0", i,
                               dl_type_str(op->ctx, dl_operand_elem(op, i)),
                               dl_type_str(op->ctx, dl_operand_elem(op, 0)));
        if (t.ell < 0 ? s.rank != t.n : s.rank < t.n)
            return dl_op_error(op, "'equation' term %u has %d labels for an operand of rank %d", i,
                               t.n, s.rank);
        int ell_rank = s.rank - t.n;
        for (int j = 0; j < t.n; j++) {
            int d = j < t.ell || t.ell < 0 ? j : j + ell_rank;
            unsigned char c = (unsigned char)t.labels[j];
            int64_t e = s.dims[d];
            if (count[c]++ == 0 || size[c] == 1 || (size[c] == DL_DYN && e != 1)) {
                size[c] = e;
                name[c] = s.names[d];
            } else if (e != 1 && e != DL_DYN && size[c] != e) {
                return dl_op_error(op, "label '%c' has sizes %lld and %lld", c, (long long)size[c],
                                   (long long)e);
            }
        }
        if (t.ell >= 0) {
            dl_shape pair[2] = {ell, s};
            pair[1].rank = ell_rank;
            for (int j = 0; j < ell_rank; j++) copy_dim(&pair[1], j, &s, t.ell + j);
            if (dl_broadcast(op, any_ell ? 2 : 1, any_ell ? pair : &pair[1], &ell) != DL_OK)
                return DL_FAILURE;
            any_ell = true;
        }
    }
    if (*p == ',')
        return dl_op_error(op, "'equation' has more input terms than the %u operands",
                           op->num_operands);

    dl_shape y = {.rank = 0};
    if (*p == '-') {
        einsum_term t;
        if (p[1] != '>') return dl_op_error(op, "'equation': expected '->'");
        p += 2;
        if (parse_term(op, &p, &t) != DL_OK) return DL_FAILURE;
        if (*p) return dl_op_error(op, "'equation': unexpected '%c' in the output term", *p);
        if (t.ell < 0 && ell.rank > 0)
            return dl_op_error(op,
                               "'equation': the output term needs '...' for the %d ellipsis "
                               "dimensions of the inputs",
                               ell.rank);
        bool seen[EINSUM_LABELS] = {0};
        for (int j = 0; j <= t.n; j++) {
            if (j == t.ell) {
                if (y.rank + ell.rank > DL_MAX_RANK)
                    return dl_op_error(op, "the result rank exceeds %d", DL_MAX_RANK);
                for (int e = 0; e < ell.rank; e++) copy_dim(&y, y.rank++, &ell, e);
            }
            if (j == t.n) break;
            unsigned char c = (unsigned char)t.labels[j];
            if (!count[c])
                return dl_op_error(op, "'equation': output label '%c' is not an input label", c);
            if (seen[c]) return dl_op_error(op, "'equation': output label '%c' is repeated", c);
            seen[c] = true;
            if (y.rank >= DL_MAX_RANK)
                return dl_op_error(op, "the result rank exceeds %d", DL_MAX_RANK);
            y.dims[y.rank] = size[c];
            y.names[y.rank++] = name[c];
        }
    } else {
        y = ell;
        for (int c = 0; c < EINSUM_LABELS; c++) {
            if (count[c] != 1) continue;
            if (y.rank >= DL_MAX_RANK)
                return dl_op_error(op, "the result rank exceeds %d", DL_MAX_RANK);
            y.dims[y.rank] = size[c];
            y.names[y.rank++] = name[c];
        }
    }
    return set_checked(op, 0, dl_operand_elem(op, 0), &y);
}

/* ---- Recurrent layers ---- */

/* RNN, GRU, LSTM(X, W, R, B?, sequence_lens?, initial_h?, initial_c?, P?): X is
 * (seq, batch, input) for layout 0 or (batch, seq, input) for layout 1; W is
 * (directions, gates * hidden, input). Outputs, each optional: Y (seq, directions, batch,
 * hidden) / (batch, seq, directions, hidden); Y_h and LSTM's Y_c (directions, batch, hidden) /
 * (batch, directions, hidden). */
static dl_status infer_rnn(dl_op *op) {
    int gates = op->kind == DL_OP_graph_LSTM ? 4 : op->kind == DL_OP_graph_GRU ? 3 : 1;
    dl_shape x, w, r;
    if (operand_rank(op, 0, "X", 3, &x) != DL_OK || operand_rank(op, 1, "W", 3, &w) != DL_OK ||
        operand_rank(op, 2, "R", 3, &r) != DL_OK)
        return DL_FAILURE;
    const char *direction = dl_op_attr_str(op, "direction", "forward");
    int64_t dirs;
    if (!strcmp(direction, "forward") || !strcmp(direction, "reverse"))
        dirs = 1;
    else if (!strcmp(direction, "bidirectional"))
        dirs = 2;
    else
        return dl_op_error(op,
                           "'direction' must be \"forward\", \"reverse\" or \"bidirectional\", "
                           "got \"%s\"",
                           direction);
    int64_t layout = dl_op_attr_int(op, "layout", 0);
    if (layout != 0 && layout != 1)
        return dl_op_error(op, "'layout' must be 0 or 1, got %lld", (long long)layout);
    int64_t hidden = dl_op_attr_int(op, "hidden_size", DL_DYN);
    if (dl_op_attr(op, "hidden_size") && (hidden < 1 || hidden > ATTR_MAX))
        return dl_op_error(op, "'hidden_size' must be positive, got %lld", (long long)hidden);
    if (hidden == DL_DYN) hidden = r.dims[2];
    if (hidden == DL_DYN && w.dims[1] != DL_DYN) hidden = w.dims[1] / gates;
    if (match_dim(op, w.dims[0], dirs, "directions of W and 'direction'") != DL_OK ||
        match_dim(op, r.dims[0], dirs, "directions of R and 'direction'") != DL_OK ||
        match_dim(op, w.dims[2], x.dims[2], "input size of W and X") != DL_OK ||
        match_dim(op, r.dims[2], hidden, "hidden size of R and 'hidden_size'") != DL_OK)
        return DL_FAILURE;
    if (hidden != DL_DYN && w.dims[1] != DL_DYN && w.dims[1] != gates * hidden)
        return dl_op_error(op, "operand 1 (W) has %lld rows, expected %d gates x hidden size %lld",
                           (long long)w.dims[1], gates, (long long)hidden);
    int seq = layout ? 1 : 0, batch = layout ? 0 : 1;
    dl_shape y = {.rank = 4}, yh = {.rank = 3};
    if (layout) {
        copy_dim(&y, 0, &x, batch);
        copy_dim(&y, 1, &x, seq);
        set_dim(&y, 2, dirs);
        copy_dim(&yh, 0, &x, batch);
        set_dim(&yh, 1, dirs);
    } else {
        copy_dim(&y, 0, &x, seq);
        set_dim(&y, 1, dirs);
        copy_dim(&y, 2, &x, batch);
        set_dim(&yh, 0, dirs);
        copy_dim(&yh, 1, &x, batch);
    }
    set_dim(&y, 3, hidden);
    set_dim(&yh, 2, hidden);
    if (dl_check_elements(op, &y) != DL_OK) return DL_FAILURE;
    const dl_type *elem = dl_operand_elem(op, 0);
    dl_set_optional_result(op, 0, elem, &y);
    dl_set_optional_result(op, 1, elem, &yh);
    dl_set_optional_result(op, 2, elem, &yh);
    return DL_OK;
}

/* GridSample(X (N, C, D1..Dn), grid (N, O1..On, n)): (N, C, O1..On). */
static dl_status infer_grid_sample(dl_op *op) {
    dl_shape x, g, y;
    if (dl_operand_shape(op, 0, &x) != DL_OK) return DL_FAILURE;
    if (x.rank < 3)
        return dl_op_error(op, "operand 0 (X) must have shape (N, C, D1, ...), got rank %d",
                           x.rank);
    if (operand_rank(op, 1, "grid", x.rank, &g) != DL_OK) return DL_FAILURE;
    if (g.dims[x.rank - 1] != DL_DYN && g.dims[x.rank - 1] != x.rank - 2)
        return dl_op_error(op, "operand 1 (grid) must have %d coordinates in its last dimension",
                           x.rank - 2);
    if (match_dim(op, x.dims[0], g.dims[0], "batch sizes of X and grid") != DL_OK)
        return DL_FAILURE;
    y = g;
    copy_dim(&y, 0, x.dims[0] != DL_DYN ? &x : &g, 0);
    for (int i = x.rank - 1; i > 1; i--) copy_dim(&y, i, &g, i - 1);
    copy_dim(&y, 1, &x, 1);
    return set_checked(op, 0, dl_operand_elem(op, 0), &y);
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
    {DL_OP_graph_MatMul, infer_matmul},
    {DL_OP_graph_MatMulInteger, infer_matmul_integer},
    {DL_OP_graph_QLinearMatMul, infer_qlinear_matmul},
    {DL_OP_graph_Gemm, infer_gemm},
    {DL_OP_graph_Einsum, infer_einsum},
    {DL_OP_graph_RNN, infer_rnn},
    {DL_OP_graph_GRU, infer_rnn},
    {DL_OP_graph_LSTM, infer_rnn},
    {DL_OP_graph_GridSample, infer_grid_sample},
    {DL_OP__INVALID, NULL},
};
