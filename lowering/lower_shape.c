/* lower_shape.c: data-movement ops: constants and shape queries (kernel.global), reshape-like
 * ops (kernel.view, no copy), and copies with affine index maps (Transpose, Slice, Concat,
 * Split, Expand, Tile, Pad, DepthToSpace, SpaceToDepth). */
#include "lower.h"

#include <string.h>

static dl_context *ctx_of(dl_lower *lw) {
    return lw_ctx(lw);
}

/* ---- Constants and shape queries --------------------------------------------------------- */

static dl_status lower_constant(dl_lower *lw, dl_op *op) {
    const dl_attr *v = dl_op_attr(op, "value");
    if (!v || v->kind != DL_ATTR_DENSE)
        return dl_op_error(op, "needs a dense 'value' attribute to be lowered");
    const dl_type *t = op->results[0].type;
    if (v->type->elem != t->elem || v->type->rank != t->rank)
        return dl_op_error(op, "'value' does not match the result type");
    lw_bind(lw, dl_result(op, 0), kb_global(lw_top(lw), v));
    return DL_OK;
}

static dl_status bind_i64s(dl_lower *lw, dl_op *op, int rank, const int64_t *vals) {
    const dl_type *t = op->results[0].type;
    if (t->elem->kind != DL_TY_I64) return dl_op_error(op, "result must be i64");
    lw_bind(lw, dl_result(op, 0), kb_global_i64(lw_top(lw), t->rank, t->dims, vals));
    (void)rank;
    return DL_OK;
}

static dl_status lower_shape_op(dl_lower *lw, dl_op *op) {
    const dl_type *in = dl_operand(op, 0)->type;
    int r = in->rank;
    int64_t start = dl_op_attr_int(op, "start", 0), end = dl_op_attr_int(op, "end", r);
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = start < 0 ? 0 : start > r ? r : start;
    end = end < 0 ? 0 : end > r ? r : end;
    int64_t n = end > start ? end - start : 0;
    if (op->results[0].type->dims[0] != n)
        return dl_op_error(op, "result type disagrees with the input's rank");
    return bind_i64s(lw, op, (int)n, in->dims + start);
}

static dl_status lower_size(dl_lower *lw, dl_op *op) {
    int64_t n = dl_type_num_elements(dl_operand(op, 0)->type);
    return bind_i64s(lw, op, 0, &n);
}

/* Fills a buffer with the single value of a dense attribute (any element type). */
static void fill_dense(dl_builder *top, dl_value *dst, const dl_attr *v) {
    const dl_type *t = dst->type;
    kb_generic g;
    kb_begin(&g, top, t->rank, t->dims);
    kb_out(&g, dst, kb_map_id(top->ctx, (unsigned)t->rank));
    dl_builder *b = kb_body(&g);
    dl_value *c = dl_type_is_float(t->elem) ? kb_const(b, t->elem, dl_dense_get_f64(v, 0))
                                            : kb_consti(b, t->elem, dl_dense_get_i64(v, 0));
    kb_yield1(&g, c);
}

static dl_status lower_constant_of_shape(dl_lower *lw, dl_op *op) {
    const dl_attr *v = dl_op_attr(op, "value");
    dl_value *out = lw_out(lw, op, 0);
    if (v && (v->kind != DL_ATTR_DENSE || dl_dense_num_elements(v) != 1))
        return dl_op_error(op, "'value' must hold one element");
    if (v && v->type->elem != out->type->elem)
        return dl_op_error(op, "'value' does not match the result type");
    if (v)
        fill_dense(lw_top(lw), out, v);
    else
        kb_fill(lw_top(lw), out, 0);
    return DL_OK;
}

/* ---- Views ---------------------------------------------------------------------------------- */

static dl_status lower_view(dl_lower *lw, dl_op *op) {
    dl_value *in = lw_in(lw, op, 0);
    const dl_type *t = lw_memref_of(lw, dl_result(op, 0));
    if (dl_type_num_elements(t) != dl_type_num_elements(in->type) || t->elem != in->type->elem)
        return dl_op_error(op, "result has another element count or type than the input");
    lw_bind(lw, dl_result(op, 0), kb_view(lw_top(lw), in, t));
    return DL_OK;
}

static dl_status lower_dropout(dl_lower *lw, dl_op *op) {
    int64_t training = 0;
    double ratio = 0.5;
    bool known_ratio = !lw_has(op, 1) || lw_const_floats(op, 1, &ratio, 1) == 1;
    if (!(known_ratio && ratio == 0)) {
        /* with a ratio of 0 dropout is the identity whatever the mode */
        if (lw_has(op, 2) && lw_const_ints(op, 2, &training, 1) != 1)
            return dl_op_error(op, "training_mode must be a constant (random dropout in training "
                                   "mode is not supported)");
        if (training)
            return dl_op_error(op, "random dropout (training_mode = true) is not supported");
    }
    if (lower_view(lw, op)) return DL_FAILURE;
    if (op->num_results > 1 && op->results[1].type->kind == DL_TY_TENSOR)
        kb_fill(lw_top(lw), lw_out(lw, op, 1), 1);
    return DL_OK;
}

/* ---- Copies with affine maps ---------------------------------------------------------------- */

static dl_status lower_transpose(dl_lower *lw, dl_op *op) {
    dl_value *in = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    int r = in->type->rank;
    int64_t perm[KB_MAX_DIMS];
    int n = dl_op_attr_ints(op, "perm", perm, KB_MAX_DIMS);
    if (r > KB_MAX_DIMS) return dl_op_error(op, "rank %d is not supported", r);
    if (n < 0) {
        n = r;
        for (int k = 0; k < r; k++) perm[k] = r - 1 - k;
    }
    if (n != r) return dl_op_error(op, "'perm' must have one entry per dimension");
    int src[KB_MAX_DIMS];
    for (int j = 0; j < r; j++) src[j] = -2;
    for (int k = 0; k < r; k++) {
        if (perm[k] < 0 || perm[k] >= r || src[perm[k]] != -2)
            return dl_op_error(op, "'perm' is not a permutation");
        src[perm[k]] = k;
    }
    kb_copy(lw_top(lw), in, kb_map_dims(ctx_of(lw), (unsigned)r, (unsigned)r, src), out);
    return DL_OK;
}

/* Effective start of one sliced axis (ONNX clamping rules). */
static int64_t slice_start(int64_t start, int64_t step, int64_t dim) {
    if (start < 0) start += dim;
    if (step > 0) return start < 0 ? 0 : start > dim ? dim : start;
    return start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
}

static dl_status lower_slice(dl_lower *lw, dl_op *op) {
    dl_context *ctx = ctx_of(lw);
    dl_value *in = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    int r = in->type->rank;
    int64_t starts[KB_MAX_DIMS], ends[KB_MAX_DIMS], axes[KB_MAX_DIMS], steps[KB_MAX_DIMS];
    int64_t n = lw_const_ints(op, 1, starts, KB_MAX_DIMS);
    if (n < 0 || lw_const_ints(op, 2, ends, KB_MAX_DIMS) != n)
        return dl_op_error(op, "starts and ends must be constants of equal length");
    if (n > r) return dl_op_error(op, "more slice axes than dimensions");
    if (lw_has(op, 3)) {
        if (lw_const_ints(op, 3, axes, KB_MAX_DIMS) != n)
            return dl_op_error(op, "axes must be a constant like starts");
    } else {
        for (int i = 0; i < n; i++) axes[i] = i;
    }
    if (lw_has(op, 4)) {
        if (lw_const_ints(op, 4, steps, KB_MAX_DIMS) != n)
            return dl_op_error(op, "steps must be a constant like starts");
    } else {
        for (int i = 0; i < n; i++) steps[i] = 1;
    }
    int64_t first[KB_MAX_DIMS], stride[KB_MAX_DIMS];
    for (int k = 0; k < r; k++) first[k] = 0, stride[k] = 1;
    for (int i = 0; i < n; i++) {
        int a;
        if (lw_axis(op, axes[i], r, &a)) return DL_FAILURE;
        if (steps[i] == 0) return dl_op_error(op, "a slice step is 0");
        first[a] = slice_start(starts[i], steps[i], in->type->dims[a]);
        stride[a] = steps[i];
    }
    const dl_affine_expr *res[KB_MAX_DIMS];
    for (int k = 0; k < r; k++) {
        int64_t len = out->type->dims[k];
        if (len > 0 && (first[k] + stride[k] * (len - 1) < 0 ||
                        first[k] + stride[k] * (len - 1) >= in->type->dims[k]))
            return dl_op_error(op, "result type disagrees with the slice parameters");
        res[k] =
            dl_aff_add(ctx, dl_aff_const(ctx, first[k]),
                       dl_aff_mul(ctx, dl_aff_dim(ctx, (unsigned)k), dl_aff_const(ctx, stride[k])));
    }
    kb_copy(lw_top(lw), in, kb_map(ctx, (unsigned)r, (unsigned)r, res), out);
    return DL_OK;
}

static dl_status lower_concat(dl_lower *lw, dl_op *op) {
    dl_context *ctx = ctx_of(lw);
    dl_value *out = lw_out(lw, op, 0);
    int r = out->type->rank, axis;
    if (lw_axis(op, dl_op_attr_int(op, "axis", 0), r, &axis)) return DL_FAILURE;
    int64_t off = 0;
    for (unsigned i = 0; i < op->num_operands; i++) {
        dl_value *in = lw_in(lw, op, i);
        if (!in) continue;
        if (in->type->rank != r) return dl_op_error(op, "inputs must have the result's rank");
        if (dl_type_num_elements(in->type) > 0)
            kb_copy_box(lw_top(lw), r, in->type->dims, in, kb_map_id(ctx, (unsigned)r), out,
                        kb_map_part(ctx, r, axis, off, false));
        off += in->type->dims[axis];
    }
    if (off != out->type->dims[axis])
        return dl_op_error(op, "inputs do not add up to the result along the axis");
    return DL_OK;
}

static dl_status lower_split(dl_lower *lw, dl_op *op) {
    dl_context *ctx = ctx_of(lw);
    dl_value *in = lw_in(lw, op, 0);
    int r = in->type->rank, axis;
    if (lw_axis(op, dl_op_attr_int(op, "axis", 0), r, &axis)) return DL_FAILURE;
    int64_t off = 0;
    for (unsigned i = 0; i < op->num_results; i++) {
        dl_value *out = lw_out(lw, op, i);
        if (!out) continue;
        if (off + out->type->dims[axis] > in->type->dims[axis])
            return dl_op_error(op, "results exceed the input along the axis");
        kb_copy(lw_top(lw), in, kb_map_part(ctx, r, axis, off, false), out);
        off += out->type->dims[axis];
    }
    return DL_OK;
}

static dl_status lower_expand(dl_lower *lw, dl_op *op) {
    dl_value *in = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    if (in->type->rank > out->type->rank) return dl_op_error(op, "result rank is too small");
    const dl_type *t = out->type;
    kb_copy(lw_top(lw), in, kb_map_bcast(ctx_of(lw), (unsigned)t->rank, t->dims, in->type), out);
    return DL_OK;
}

static dl_status lower_tile(dl_lower *lw, dl_op *op) {
    dl_context *ctx = ctx_of(lw);
    dl_value *in = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    int r = in->type->rank;
    const dl_affine_expr *res[KB_MAX_DIMS];
    for (int k = 0; k < r; k++) {
        int64_t n = in->type->dims[k];
        if (out->type->dims[k] % (n ? n : 1) != 0)
            return dl_op_error(op, "result is not a whole multiple of the input");
        res[k] = dl_aff_dim(ctx, (unsigned)k);
        if (out->type->dims[k] > n)
            res[k] = dl_aff_bin(ctx, DL_AFF_MOD, res[k], dl_aff_const(ctx, n));
    }
    kb_copy(lw_top(lw), in, kb_map(ctx, (unsigned)r, (unsigned)r, res), out);
    return DL_OK;
}

/* ---- Pad ------------------------------------------------------------------------------------ */

/* Fills dst with the value of buffer `v` (rank 0 or one element) or the constant c. */
static void fill_from(dl_builder *top, dl_value *dst, dl_value *v, double c) {
    if (!v) {
        kb_fill(top, dst, c);
        return;
    }
    const dl_type *t = dst->type;
    kb_copy(top, v, kb_map_zero(top->ctx, (unsigned)t->rank, (unsigned)v->type->rank), dst);
}

static dl_status lower_pad(dl_lower *lw, dl_op *op) {
    dl_context *ctx = ctx_of(lw);
    dl_value *in = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    const dl_type *it = in->type, *ot = out->type;
    int r = it->rank;
    int64_t pads[2 * KB_MAX_DIMS], axes[KB_MAX_DIMS];
    int64_t np = lw_const_ints(op, 1, pads, 2 * KB_MAX_DIMS);
    int64_t na = r;
    if (lw_has(op, 3)) {
        na = lw_const_ints(op, 3, axes, KB_MAX_DIMS);
        if (na < 0) return dl_op_error(op, "axes must be a constant");
    } else {
        for (int k = 0; k < r; k++) axes[k] = k;
    }
    if (np != 2 * na) return dl_op_error(op, "pads must be a constant with 2 values per axis");
    int64_t before[KB_MAX_DIMS] = {0};
    for (int i = 0; i < na; i++) {
        int a;
        if (lw_axis(op, axes[i], r, &a)) return DL_FAILURE;
        before[a] = pads[i];
    }
    const char *mode = dl_op_attr_str(op, "mode", "constant");
    if (strcmp(mode, "constant") == 0) {
        dl_value *cv = lw_in(lw, op, 2);
        if (cv && dl_type_num_elements(cv->type) != 1)
            return dl_op_error(op, "constant_value must hold one element");
        fill_from(lw_top(lw), out, cv, 0);
        /* copy the part of the input that lands inside the output */
        int64_t dom[KB_MAX_DIMS], src[KB_MAX_DIMS], dst[KB_MAX_DIMS];
        for (int k = 0; k < r; k++) {
            src[k] = before[k] < 0 ? -before[k] : 0; /* first input index kept */
            dst[k] = before[k] > 0 ? before[k] : 0;
            int64_t hi = it->dims[k];
            if (hi - src[k] > ot->dims[k] - dst[k]) hi = src[k] + ot->dims[k] - dst[k];
            dom[k] = hi > src[k] ? hi - src[k] : 0;
        }
        kb_copy_box(lw_top(lw), r, dom, in, kb_map_shift(ctx, (unsigned)r, src), out,
                    kb_map_shift(ctx, (unsigned)r, dst));
        return DL_OK;
    }
    bool edge = strcmp(mode, "edge") == 0, reflect = strcmp(mode, "reflect") == 0,
         wrap = strcmp(mode, "wrap") == 0;
    if (!edge && !reflect && !wrap) return dl_op_error(op, "pad mode '%s' is not supported", mode);
    if (dl_type_num_elements(it) == 0)
        return dl_op_error(op, "cannot %s-pad an empty tensor", mode);
    /* out[d] = in[src(d)] with src computed per dimension in the body */
    kb_generic g;
    kb_begin(&g, lw_top(lw), r, ot->dims);
    kb_in_indirect(&g, in);
    kb_out(&g, out, kb_map_id(ctx, (unsigned)r));
    dl_builder *b = kb_body(&g);
    dl_value *idx[KB_MAX_DIMS];
    for (int k = 0; k < r; k++) {
        int64_t n = it->dims[k];
        dl_value *i = kb_sub(b, kb_dim(&g, k), kb_index(b, before[k]));
        if (reflect && n > 1) {
            /* fold into [0, 2n-2) then mirror the upper half */
            dl_value *period = kb_index(b, 2 * n - 2);
            i = kb_mod_floor(b, i, period);
            dl_value *upper = kb_cmp(b, "ge", i, kb_index(b, n));
            i = kb_select(b, upper, kb_sub(b, period, i), i);
        } else if (wrap) {
            i = kb_mod_floor(b, i, kb_index(b, n));
        }
        idx[k] = kb_clamp_index(b, i, n);
    }
    kb_yield1(&g, kb_load(b, in, (unsigned)r, idx));
    return DL_OK;
}

/* ---- Depth/space rearrangements ------------------------------------------------------------- */

/* DepthToSpace and SpaceToDepth over the domain [n, c', h, b1, w, b2] of the space side. */
static dl_status lower_depth_space(dl_lower *lw, dl_op *op, bool to_space) {
    dl_context *ctx = ctx_of(lw);
    dl_value *in = lw_in(lw, op, 0), *out = lw_out(lw, op, 0);
    if (in->type->rank != 4) return dl_op_error(op, "only 4-d inputs are supported");
    int64_t bs = dl_op_attr_int(op, "blocksize", 0);
    if (bs <= 0) return dl_op_error(op, "needs a positive 'blocksize'");
    const dl_type *depth = to_space ? in->type : out->type,
                  *space = to_space ? out->type : in->type;
    int64_t C = space->dims[1];
    bool crd = strcmp(dl_op_attr_str(op, "mode", "DCR"), "CRD") == 0 && to_space;
    int64_t dom[6] = {space->dims[0], C, depth->dims[2], bs, depth->dims[3], bs};
    /* depth channel: DCR (b1*bs + b2)*C + c, CRD c*bs*bs + b1*bs + b2 */
    int64_t ch[6] = {0, crd ? bs * bs : 1, 0, crd ? bs : bs * C, 0, crd ? 1 : C};
    int64_t hs[6] = {0, 0, bs, 1, 0, 0}, ws[6] = {0, 0, 0, 0, bs, 1};
    const dl_affine_expr *dres[4] = {dl_aff_dim(ctx, 0), kb_linear(ctx, 0, 6, ch),
                                     dl_aff_dim(ctx, 2), dl_aff_dim(ctx, 4)};
    const dl_affine_expr *sres[4] = {dl_aff_dim(ctx, 0), dl_aff_dim(ctx, 1),
                                     kb_linear(ctx, 0, 6, hs), kb_linear(ctx, 0, 6, ws)};
    const dl_affine_map *dmap = kb_map(ctx, 6, 4, dres), *smap = kb_map(ctx, 6, 4, sres);
    if (depth->dims[1] != C * bs * bs || space->dims[2] != depth->dims[2] * bs ||
        space->dims[3] != depth->dims[3] * bs)
        return dl_op_error(op, "result shape disagrees with the blocksize");
    if (to_space)
        kb_copy_box(lw_top(lw), 6, dom, in, dmap, out, smap);
    else
        kb_copy_box(lw_top(lw), 6, dom, in, smap, out, dmap);
    return DL_OK;
}

static dl_status lower_depth_to_space(dl_lower *lw, dl_op *op) {
    return lower_depth_space(lw, op, true);
}
static dl_status lower_space_to_depth(dl_lower *lw, dl_op *op) {
    return lower_depth_space(lw, op, false);
}

const dl_lower_entry dl_lower_shape[] = {
    {DL_OP_graph_Constant, lower_constant},
    {DL_OP_graph_Shape, lower_shape_op},
    {DL_OP_graph_Size, lower_size},
    {DL_OP_graph_ConstantOfShape, lower_constant_of_shape},
    {DL_OP_graph_Reshape, lower_view},
    {DL_OP_graph_Flatten, lower_view},
    {DL_OP_graph_Squeeze, lower_view},
    {DL_OP_graph_Unsqueeze, lower_view},
    {DL_OP_graph_Identity, lower_view},
    {DL_OP_graph_Dropout, lower_dropout},
    {DL_OP_graph_Transpose, lower_transpose},
    {DL_OP_graph_Slice, lower_slice},
    {DL_OP_graph_Concat, lower_concat},
    {DL_OP_graph_Split, lower_split},
    {DL_OP_graph_Expand, lower_expand},
    {DL_OP_graph_Tile, lower_tile},
    {DL_OP_graph_Pad, lower_pad},
    {DL_OP_graph_DepthToSpace, lower_depth_to_space},
    {DL_OP_graph_SpaceToDepth, lower_space_to_depth},
    {DL_OP__INVALID, NULL},
};
