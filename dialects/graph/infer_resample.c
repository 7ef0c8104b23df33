/* infer_resample.c: shape inference rules of resampling ops: DepthToSpace, SpaceToDepth, Resize
 * and Upsample. */
#include "infer.h"

#include <math.h>
#include <string.h>

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
            dl_shape_set_dim(&out, i, DL_DYN, NULL);
        } else if (divide) {
            if (d % f != 0)
                return dl_op_error(op, "dimension %d (%lld) is not a multiple of %lld", i,
                                   (long long)d, (long long)f);
            dl_shape_set_dim(&out, i, d / f, NULL);
        } else {
            if (dl_mul_checked(op, &d, f) != DL_OK) return DL_FAILURE;
            dl_shape_set_dim(&out, i, d, NULL);
        }
    }
    return dl_set_result_checked(op, 0, dl_operand_elem(op, 0), &out);
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
    } else if (dl_norm_axes(op, "'axes'", axes, na, in.rank) != DL_OK) {
        return DL_FAILURE;
    }
    out = in;
    const char *what = has_scales ? "'scales'" : "'sizes'";
    unsigned idx = has_scales ? scales_i : sizes_i;
    double vals[DL_MAX_RANK];
    int64_t n = dl_const_floats(dl_operand(op, idx), vals, DL_MAX_RANK);
    if (n < 0) {
        for (int k = 0; k < na; k++) dl_shape_set_dim(&out, (int)axes[k], DL_DYN, NULL);
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
                dl_shape_set_dim(&out, a, DL_DYN, NULL);
                continue;
            }
            double d = floor((double)in.dims[a] * vals[k]);
            if (d >= (double)DL_MAX_ELEMENTS) return dl_op_error(op, "the result is too large");
            dl_shape_set_dim(&out, a, (int64_t)d, NULL);
        }
        return dl_set_result_checked(op, 0, dl_operand_elem(op, 0), &out);
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
            dl_shape_set_dim(&out, a, DL_DYN, NULL);
        else if (d >= (double)DL_MAX_ELEMENTS)
            return dl_op_error(op, "the result is too large");
        else
            dl_shape_set_dim(&out, a, (int64_t)d, NULL);
    }
    return dl_set_result_checked(op, 0, dl_operand_elem(op, 0), &out);
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

const dl_infer_entry dl_infer_resample[] = {
    {DL_OP_graph_DepthToSpace, infer_depth_to_space},
    {DL_OP_graph_SpaceToDepth, infer_space_to_depth},
    {DL_OP_graph_Resize, infer_resize},
    {DL_OP_graph_Upsample, infer_upsample},
    {DL_OP__INVALID, NULL},
};
