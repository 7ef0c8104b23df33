/* upgrade.c: opset upgrades: nodes of older opsets are rewritten to the semantics of the latest
 * opset (17) that the graph dialect has: attributes that became inputs (Reshape-1 shape,
 * Slice-1 starts/ends/axes, Clip-6 min/max, Pad-2 pads/value, Split/Squeeze/Unsqueeze/ReduceSum
 * axes, TopK-1 k, Dropout ratio, Upsample and Resize-10 scales), removed attributes
 * (consumed_inputs, is_test, legacy broadcast), changed defaults (Concat-1 axis) and changed
 * semantics (Softmax/LogSoftmax/Hardmax before 13 coerce their input to 2-D, legacy broadcast
 * with an axis, PRelu-6 per-channel slopes, Scan-8's batch axis). */
#include "onnx_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { AFTER_NONE, AFTER_COERCE_2D, AFTER_SCAN8 };

static dl_context *ctx_of(onnx_node *nc) {
    return nc->op->ctx;
}

/* Integer-array attribute `name` as a constant operand (NULL and no change when absent). */
static dl_value *ints_to_const(onnx_importer *im, onnx_node *nc, const char *name, bool *ok) {
    const dl_attr *a = dl_op_attr(nc->op, name);
    if (!a) return NULL;
    dl_op_remove_attr(nc->op, name);
    if (a->kind != DL_ATTR_ARRAY) {
        dl_error(im->ctx, nc->loc, "attribute '%s' must be a list of integers", name);
        *ok = false;
        return NULL;
    }
    int64_t *v = malloc((a->u.array.n + 1) * sizeof *v);
    DL_ASSERT(v);
    for (unsigned i = 0; i < a->u.array.n; i++) {
        const dl_attr *e = a->u.array.elems[i];
        if (e->kind != DL_ATTR_INT) {
            dl_error(im->ctx, nc->loc, "attribute '%s' must be a list of integers", name);
            *ok = false;
            free(v);
            return NULL;
        }
        v[i] = e->u.i;
    }
    dl_value *c = onnx_const_i64(im, nc->op, nc->loc, v, a->u.array.n, false);
    free(v);
    if (!c) *ok = false;
    return c;
}

/* Sets operand i, appending graph.None values for any gap. */
static void set_operand(onnx_importer *im, onnx_node *nc, unsigned i, dl_value *v) {
    dl_op *op = nc->op;
    unsigned n = op->num_operands > i + 1 ? op->num_operands : i + 1;
    dl_value **vals = calloc(n, sizeof *vals);
    DL_ASSERT(vals);
    for (unsigned k = 0; k < n; k++)
        vals[k] = k < op->num_operands ? dl_operand(op, k) : onnx_scope_none(im, nc->scope);
    vals[i] = v;
    dl_op_set_operands(op, n, vals);
    free(vals);
}

/* Drops trailing graph.None operands. */
static void trim_operands(onnx_node *nc) {
    dl_op *op = nc->op;
    unsigned n = op->num_operands;
    while (n && dl_graph_is_none(dl_operand(op, n - 1))) n--;
    if (n == op->num_operands) return;
    dl_value **vals = calloc(n + 1, sizeof *vals);
    DL_ASSERT(vals);
    for (unsigned k = 0; k < n; k++) vals[k] = dl_operand(op, k);
    dl_op_set_operands(op, n, vals);
    free(vals);
}

/* Moves an integer-list attribute to operand position i (when present). */
static bool attr_to_input(onnx_importer *im, onnx_node *nc, const char *name, unsigned i) {
    bool ok = true;
    dl_value *c = ints_to_const(im, nc, name, &ok);
    if (c) set_operand(im, nc, i, c);
    return ok;
}

/* Replaces nc->op by a new op of another kind with the given operands, keeping attributes,
 * results and their names. */
static void replace_op(onnx_node *nc, dl_op_kind kind, unsigned n, dl_value *const *operands) {
    dl_op *old = nc->op;
    const dl_type **types = malloc((old->num_results + 1) * sizeof *types);
    DL_ASSERT(types);
    for (unsigned i = 0; i < old->num_results; i++) types[i] = old->results[i].type;
    dl_op *op = dl_op_create(old->ctx, kind, old->loc, n, operands, old->num_results, types,
                             (unsigned)dl_op_infos[kind].num_regions);
    free(types);
    for (unsigned i = 0; i < old->num_attrs; i++)
        dl_op_set_attr(op, old->attrs[i].name, old->attrs[i].attr);
    for (unsigned i = 0; i < old->num_results; i++) op->results[i].name = old->results[i].name;
    dl_op_insert_before(old, op);
    dl_op_erase(old);
    nc->op = op;
}

static const dl_type *operand_type(onnx_node *nc, unsigned i) {
    return i < nc->op->num_operands ? dl_operand(nc->op, i)->type : NULL;
}

/* Element type of operand i, or f32 when it is not known. */
static const dl_type *operand_elem(onnx_node *nc, unsigned i) {
    const dl_type *t = operand_type(nc, i);
    return t && t->kind == DL_TY_TENSOR ? t->elem : dl_type_scalar(ctx_of(nc), DL_TY_F32);
}

/* Unsqueeze(v, axes) built before the node's op. */
static dl_value *unsqueeze(onnx_importer *im, onnx_node *nc, dl_op *before, dl_value *v,
                           const int64_t *axes, unsigned n) {
    dl_value *a = onnx_const_i64(im, before, nc->loc, axes, n, false);
    dl_value *ops[2] = {v, a};
    return a ? onnx_build_aux(im, before, nc->loc, DL_OP_graph_Unsqueeze, 2, ops, 0, NULL) : NULL;
}

/* ---- Individual upgrades ---- */

/* Constant: value_float/value_floats/value_int/value_ints/sparse_value -> value. */
static bool constant(onnx_importer *im, onnx_node *nc) {
    dl_context *ctx = im->ctx;
    dl_op *op = nc->op;
    static const char *const forms[] = {"value",        "sparse_value", "value_float",
                                        "value_floats", "value_int",    "value_ints",
                                        "value_string", "value_strings"};
    const char *which = NULL;
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        if (!dl_op_attr(op, forms[i])) continue;
        if (which) {
            dl_error(ctx, nc->loc, "a Constant has both '%s' and '%s'", which, forms[i]);
            return false;
        }
        which = forms[i];
    }
    if (!which) {
        dl_error(ctx, nc->loc,
                 "a Constant needs one of the attributes 'value', 'value_float', ...");
        return false;
    }
    const dl_attr *a = dl_op_attr(op, which), *v = NULL;
    const dl_type *f32 = dl_type_scalar(ctx, DL_TY_F32), *i64 = dl_type_scalar(ctx, DL_TY_I64);
    if (strcmp(which, "value") == 0 || strcmp(which, "sparse_value") == 0) {
        v = a->kind == DL_ATTR_DENSE ? a : NULL;
    } else if (strcmp(which, "value_float") == 0 && a->kind == DL_ATTR_FLOAT) {
        v = dl_attr_dense_from_f64(ctx, dl_type_tensor(ctx, f32, 0, NULL, NULL), &a->u.f, 1);
    } else if (strcmp(which, "value_int") == 0 && a->kind == DL_ATTR_INT) {
        v = dl_attr_dense_from_i64(ctx, dl_type_tensor(ctx, i64, 0, NULL, NULL), &a->u.i, 1);
    } else if ((strcmp(which, "value_floats") == 0 || strcmp(which, "value_ints") == 0) &&
               a->kind == DL_ATTR_ARRAY) {
        bool ints = strcmp(which, "value_ints") == 0;
        int64_t n = a->u.array.n;
        double *fv = malloc((size_t)(n + 1) * sizeof *fv);
        int64_t *iv = malloc((size_t)(n + 1) * sizeof *iv);
        DL_ASSERT(fv && iv);
        bool ok = true;
        for (int64_t i = 0; i < n; i++) {
            const dl_attr *e = a->u.array.elems[i];
            ok &= e->kind == (ints ? DL_ATTR_INT : DL_ATTR_FLOAT);
            fv[i] = e->kind == DL_ATTR_FLOAT ? e->u.f : 0;
            iv[i] = e->kind == DL_ATTR_INT ? e->u.i : 0;
        }
        const dl_type *t = dl_type_tensor(ctx, ints ? i64 : f32, 1, &n, NULL);
        if (ok)
            v = ints ? dl_attr_dense_from_i64(ctx, t, iv, (size_t)n)
                     : dl_attr_dense_from_f64(ctx, t, fv, (size_t)n);
        free(fv);
        free(iv);
    } else if (strncmp(which, "value_string", 12) == 0) {
        dl_error(ctx, nc->loc, "unsupported Constant attribute '%s' (string tensors)", which);
        return false;
    }
    if (!v) {
        dl_error(ctx, nc->loc, "the Constant attribute '%s' has the wrong kind", which);
        return false;
    }
    dl_op_remove_attr(op, which);
    dl_op_set_attr(op, "value", v);
    return true;
}

/* Add/Sub/Mul/Div/Pow/And/Or/Xor/Equal/Greater/Less before opset 7: `broadcast` and `axis`.
 * With an axis, B's dims align with A's starting at axis; numpy aligns trailing dims, so B
 * gets trailing unit dims. */
static bool legacy_broadcast(onnx_importer *im, onnx_node *nc) {
    dl_op *op = nc->op;
    bool bcast = dl_op_attr_int(op, "broadcast", 0) != 0;
    const dl_attr *axis_attr = dl_op_attr(op, "axis");
    dl_op_remove_attr(op, "broadcast");
    dl_op_remove_attr(op, "axis");
    if (!bcast || !axis_attr || axis_attr->kind != DL_ATTR_INT || op->num_operands != 2 ||
        nc->placeholder)
        return true;
    const dl_type *ta = operand_type(nc, 0), *tb = operand_type(nc, 1);
    if (ta->kind != DL_TY_TENSOR || tb->kind != DL_TY_TENSOR) return true;
    int64_t axis = axis_attr->u.i < 0 ? axis_attr->u.i + ta->rank : axis_attr->u.i;
    int64_t k = ta->rank - axis - tb->rank;
    if (k <= 0 || k > DL_MAX_RANK) return true;
    int64_t axes[DL_MAX_RANK];
    for (int64_t i = 0; i < k; i++) axes[i] = tb->rank + i;
    dl_value *b = unsqueeze(im, nc, op, dl_operand(op, 1), axes, (unsigned)k);
    if (!b) return false;
    dl_op_set_operand(op, 1, b);
    return true;
}

/* PRelu before opset 7: a 1-D slope of C values applies per channel (axis 1). */
static bool prelu_channels(onnx_importer *im, onnx_node *nc) {
    if (nc->placeholder || nc->op->num_operands != 2) return true;
    const dl_type *tx = operand_type(nc, 0), *ts = operand_type(nc, 1);
    if (tx->kind != DL_TY_TENSOR || ts->kind != DL_TY_TENSOR || ts->rank != 1 || tx->rank < 3 ||
        ts->dims[0] <= 1 || tx->dims[1] != ts->dims[0])
        return true;
    int64_t axes[DL_MAX_RANK];
    for (int i = 0; i < tx->rank - 2; i++) axes[i] = i + 1;
    dl_value *s = unsqueeze(im, nc, nc->op, dl_operand(nc->op, 1), axes, (unsigned)tx->rank - 2);
    if (!s) return false;
    dl_op_set_operand(nc->op, 1, s);
    return true;
}

/* Cast before opset 6: `to` is a type name string. */
static bool cast_to_string(onnx_importer *im, onnx_node *nc) {
    const dl_attr *to = dl_op_attr(nc->op, "to");
    if (!to || to->kind != DL_ATTR_STRING) return true;
    for (int32_t code = 1; code <= 16; code++)
        if (strcmp(onnx_data_type_name(code), to->u.str.data) == 0) {
            dl_op_set_attr(nc->op, "to", dl_attr_int(im->ctx, code));
            return true;
        }
    dl_error(im->ctx, nc->loc, "unsupported Cast target type '%s'", to->u.str.data);
    return false;
}

/* (Log)Softmax over the dims from `axis` on, from reductions that keep symbolic dims:
 * m = ReduceMax(x), d = x - m, e = Exp(d), s = ReduceSum(e); Softmax = e / s,
 * LogSoftmax = d - Log(s). nc->op becomes an Identity of the result. */
static bool softmax_from_reductions(onnx_importer *im, onnx_node *nc, int64_t axis, int rank) {
    dl_context *ctx = im->ctx;
    dl_op *op = nc->op;
    dl_loc loc = nc->loc;
    int64_t axes[DL_MAX_RANK];
    unsigned n = 0;
    for (int64_t i = axis; i < rank; i++) axes[n++] = i;
    dl_named_attr keep = {"keepdims", dl_attr_int(ctx, 1)};
    dl_named_attr max_attrs[2] = {{"axes", dl_attr_int_array(ctx, n, axes)}, keep};
    dl_value *x = dl_operand(op, 0);
    dl_value *m = onnx_build_aux(im, op, loc, DL_OP_graph_ReduceMax, 1, &x, 2, max_attrs);
    dl_value *xm[2] = {x, m};
    dl_value *d = m ? onnx_build_aux(im, op, loc, DL_OP_graph_Sub, 2, xm, 0, NULL) : NULL;
    dl_value *e = d ? onnx_build_aux(im, op, loc, DL_OP_graph_Exp, 1, &d, 0, NULL) : NULL;
    dl_value *c = e ? onnx_const_i64(im, op, loc, axes, n, false) : NULL;
    dl_value *ec[2] = {e, c};
    dl_value *s = c ? onnx_build_aux(im, op, loc, DL_OP_graph_ReduceSum, 2, ec, 1, &keep) : NULL;
    dl_value *y = NULL;
    if (s && op->kind == DL_OP_graph_Softmax) {
        dl_value *es[2] = {e, s};
        y = onnx_build_aux(im, op, loc, DL_OP_graph_Div, 2, es, 0, NULL);
    } else if (s) {
        dl_value *l = onnx_build_aux(im, op, loc, DL_OP_graph_Log, 1, &s, 0, NULL);
        dl_value *dl[2] = {d, l};
        y = l ? onnx_build_aux(im, op, loc, DL_OP_graph_Sub, 2, dl, 0, NULL) : NULL;
    }
    if (!y) return false;
    replace_op(nc, DL_OP_graph_Identity, 1, &y);
    dl_op_remove_attr(nc->op, "axis");
    return true;
}

/* Softmax, LogSoftmax, Hardmax before opset 13: the input is coerced to 2-D at `axis`
 * (default 1), the op applies along the second dim. Equivalent: Flatten(axis), op(axis=1),
 * Reshape back to the input's shape (or just axis=rank-1 when axis is the last dim). With
 * dims unknown at compile time the Reshape would lose them, so (Log)Softmax is then built
 * from reductions over the trailing dims instead. */
static bool coerce_2d(onnx_importer *im, onnx_node *nc) {
    dl_context *ctx = im->ctx;
    dl_op *op = nc->op;
    int64_t axis = dl_op_attr_int(op, "axis", 1);
    const dl_type *t = operand_type(nc, 0);
    if (nc->placeholder || !t || t->kind != DL_TY_TENSOR) {
        dl_op_set_attr(op, "axis", dl_attr_int(ctx, axis));
        return true;
    }
    int64_t a = axis < 0 ? axis + t->rank : axis;
    if (a == t->rank - 1 || a < 0 || a > t->rank) {
        dl_op_set_attr(op, "axis", dl_attr_int(ctx, a < 0 || a > t->rank ? axis : a));
        return true;
    }
    if (!dl_type_has_static_shape(t) && op->kind != DL_OP_graph_Hardmax)
        return softmax_from_reductions(im, nc, a, t->rank);
    dl_named_attr fa = {"axis", dl_attr_int(ctx, a)};
    dl_value *x = dl_operand(op, 0);
    dl_value *flat = onnx_build_aux(im, op, nc->loc, DL_OP_graph_Flatten, 1, &x, 1, &fa);
    if (!flat) return false;
    dl_op_set_operand(op, 0, flat);
    dl_op_set_attr(op, "axis", dl_attr_int(ctx, 1));
    nc->orig_input0 = x;
    nc->upgrade_kind = AFTER_COERCE_2D;
    return true;
}

/* Clip before opset 11: `min`/`max` attributes -> inputs of the input's element type. */
static bool clip_attrs(onnx_importer *im, onnx_node *nc) {
    dl_op *op = nc->op;
    const dl_type *elem = operand_elem(nc, 0);
    static const char *const names[2] = {"min", "max"};
    for (unsigned k = 0; k < 2; k++) {
        const dl_attr *a = dl_op_attr(op, names[k]);
        if (!a) continue;
        dl_op_remove_attr(op, names[k]);
        double v = a->kind == DL_ATTR_FLOAT ? a->u.f
                   : a->kind == DL_ATTR_INT ? (double)a->u.i
                                            : NAN;
        dl_value *c = onnx_const_scalar(im, op, nc->loc, elem, v);
        if (!c) return false;
        set_operand(im, nc, 1 + k, c);
    }
    return true;
}

/* Pad before opset 11: `pads` (Pad-1: `paddings`) and `value` attributes -> inputs. */
static bool pad_attrs(onnx_importer *im, onnx_node *nc) {
    dl_op *op = nc->op;
    const char *name = dl_op_attr(op, "pads") ? "pads" : "paddings";
    if (!dl_op_attr(op, name)) {
        dl_error(im->ctx, nc->loc, "Pad-%lld needs the attribute 'pads'", (long long)nc->opset);
        return false;
    }
    if (!attr_to_input(im, nc, name, 1)) return false;
    const dl_attr *v = dl_op_attr(op, "value");
    double value = v && v->kind == DL_ATTR_FLOAT ? v->u.f : 0.0;
    dl_op_remove_attr(op, "value");
    dl_value *c = onnx_const_scalar(im, op, nc->loc, operand_elem(nc, 0), value);
    if (!c) return false;
    set_operand(im, nc, 2, c);
    return true;
}

/* Slice before opset 10: starts/ends/axes attributes -> inputs. */
static bool slice_attrs(onnx_importer *im, onnx_node *nc) {
    if (!dl_op_attr(nc->op, "starts") || !dl_op_attr(nc->op, "ends")) {
        dl_error(im->ctx, nc->loc, "Slice-%lld needs the attributes 'starts' and 'ends'",
                 (long long)nc->opset);
        return false;
    }
    return attr_to_input(im, nc, "starts", 1) && attr_to_input(im, nc, "ends", 2) &&
           attr_to_input(im, nc, "axes", 3);
}

/* TopK before opset 10: `k` attribute -> a 1-element input. */
static bool topk_attr(onnx_importer *im, onnx_node *nc) {
    const dl_attr *k = dl_op_attr(nc->op, "k");
    if (!k || k->kind != DL_ATTR_INT) {
        dl_error(im->ctx, nc->loc, "TopK-1 needs an integer attribute 'k'");
        return false;
    }
    dl_op_remove_attr(nc->op, "k");
    dl_value *c = onnx_const_i64(im, nc->op, nc->loc, &k->u.i, 1, false);
    if (!c) return false;
    set_operand(im, nc, 1, c);
    return true;
}

/* Dropout before opset 12: `ratio` attribute -> input; `is_test` removed. */
static bool dropout_attrs(onnx_importer *im, onnx_node *nc) {
    dl_op *op = nc->op;
    dl_op_remove_attr(op, "is_test");
    const dl_attr *r = dl_op_attr(op, "ratio");
    if (!r) return true;
    dl_op_remove_attr(op, "ratio");
    double v = r->kind == DL_ATTR_FLOAT ? r->u.f : 0.5;
    dl_value *c = onnx_const_scalar(im, op, nc->loc, dl_type_scalar(im->ctx, DL_TY_F32), v);
    if (!c) return false;
    set_operand(im, nc, 1, c);
    return true;
}

/* BatchNormalization before opset 14: inference form only; old attributes removed. */
static bool batchnorm_attrs(onnx_importer *im, onnx_node *nc) {
    dl_op *op = nc->op;
    if (dl_op_attr_int(op, "spatial", 1) != 1) {
        dl_error(im->ctx, nc->loc, "unsupported BatchNormalization with spatial=0");
        return false;
    }
    if (op->num_results > 1) {
        dl_error(im->ctx, nc->loc,
                 "unsupported training-mode BatchNormalization of opset %lld (more than one "
                 "output)",
                 (long long)nc->opset);
        return false;
    }
    dl_op_remove_attr(op, "spatial");
    dl_op_remove_attr(op, "is_test");
    return true;
}

/* Upsample (any opset) and Resize-10: Resize(X, roi = none, scales) with the asymmetric
 * coordinate transformation and floor rounding of the old ops. */
static bool to_resize(onnx_importer *im, onnx_node *nc) {
    dl_context *ctx = im->ctx;
    dl_op *op = nc->op;
    if (dl_op_attr(op, "height_scale") || dl_op_attr(op, "width_scale")) {
        dl_error(ctx, nc->loc, "unsupported experimental Upsample-1 attributes");
        return false;
    }
    dl_value *scales = op->num_operands > 1 ? dl_operand(op, 1) : NULL;
    const dl_attr *sa = dl_op_attr(op, "scales");
    if (!scales && sa && sa->kind == DL_ATTR_ARRAY) {
        int64_t n = sa->u.array.n;
        double *v = malloc((size_t)(n + 1) * sizeof *v);
        DL_ASSERT(v);
        for (int64_t i = 0; i < n; i++)
            v[i] = sa->u.array.elems[i]->kind == DL_ATTR_FLOAT ? sa->u.array.elems[i]->u.f : 0;
        const dl_type *t = dl_type_tensor(ctx, dl_type_scalar(ctx, DL_TY_F32), 1, &n, NULL);
        dl_named_attr va = {"value", dl_attr_dense_from_f64(ctx, t, v, (size_t)n)};
        free(v);
        scales = onnx_build_aux(im, op, nc->loc, DL_OP_graph_Constant, 0, NULL, 1, &va);
        if (!scales) return false;
    }
    if (!scales || op->num_operands > 2) {
        dl_error(ctx, nc->loc, "%s needs exactly its input and scales", nc->proto->op_type);
        return false;
    }
    dl_op_remove_attr(op, "scales");
    const char *mode = dl_op_attr_str(op, "mode", "nearest");
    if (strcmp(mode, "bilinear") == 0 || strcmp(mode, "trilinear") == 0) mode = "linear";
    dl_value *ops[3] = {dl_operand(op, 0), onnx_scope_none(im, nc->scope), scales};
    replace_op(nc, DL_OP_graph_Resize, 3, ops);
    dl_op_set_attr(nc->op, "mode", dl_attr_string(ctx, mode));
    dl_op_set_attr(nc->op, "coordinate_transformation_mode", dl_attr_string(ctx, "asymmetric"));
    if (strcmp(mode, "nearest") == 0)
        dl_op_set_attr(nc->op, "nearest_mode", dl_attr_string(ctx, "floor"));
    return true;
}

/* Scan-8: a batch axis in front of every state and scanned input, and an optional
 * sequence_lens input. Supported for batch size 1 without sequence_lens: squeeze the batch
 * axis, run the Scan-9 form, unsqueeze the results. */
static bool scan8(onnx_importer *im, onnx_node *nc) {
    dl_context *ctx = im->ctx;
    dl_op *op = nc->op;
    if (op->num_operands < 1 || !dl_graph_is_none(dl_operand(op, 0))) {
        dl_error(ctx, nc->loc, "unsupported Scan-8 with a sequence_lens input");
        return false;
    }
    unsigned n = op->num_operands - 1;
    dl_value **ops = calloc(n + 1, sizeof *ops);
    DL_ASSERT(ops);
    bool ok = true;
    for (unsigned i = 0; i < n && ok; i++) {
        ops[i] = dl_operand(op, i + 1);
        if (nc->placeholder) continue;
        const dl_type *t = ops[i]->type;
        if (t->kind != DL_TY_TENSOR || t->rank < 1 || t->dims[0] != 1) {
            dl_error(ctx, nc->loc, "unsupported Scan-8 with a batch size other than 1");
            ok = false;
            break;
        }
        const int64_t zero = 0;
        dl_value *axes = onnx_const_i64(im, op, nc->loc, &zero, 1, false);
        dl_value *sq[2] = {ops[i], axes};
        ops[i] = axes ? onnx_build_aux(im, op, nc->loc, DL_OP_graph_Squeeze, 2, sq, 0, NULL) : NULL;
        ok = ops[i] != NULL;
    }
    if (ok) {
        const dl_attr *dirs = dl_op_attr(op, "directions");
        if (dirs) {
            dl_op_remove_attr(op, "directions");
            dl_op_set_attr(op, "scan_input_directions", dirs);
        }
        replace_op(nc, DL_OP_graph_Scan, n, ops);
        nc->upgrade_kind = AFTER_SCAN8;
    }
    free(ops);
    return ok;
}

/* ---- Dispatch ---- */

typedef bool (*upgrade_fn)(onnx_importer *im, onnx_node *nc);

/* Upgrade rows: op type, applies when the node's opset is below `before`. */
static const struct {
    const char *op;
    int64_t before;
    upgrade_fn fn;
} upgrades[] = {
    {"Constant", ONNX_LATEST_OPSET + 1, constant},
    {"Add", 7, legacy_broadcast},
    {"Sub", 7, legacy_broadcast},
    {"Mul", 7, legacy_broadcast},
    {"Div", 7, legacy_broadcast},
    {"Pow", 7, legacy_broadcast},
    {"And", 7, legacy_broadcast},
    {"Or", 7, legacy_broadcast},
    {"Xor", 7, legacy_broadcast},
    {"Equal", 7, legacy_broadcast},
    {"Greater", 7, legacy_broadcast},
    {"Less", 7, legacy_broadcast},
    {"PRelu", 7, prelu_channels},
    {"Cast", 6, cast_to_string},
    {"Softmax", 13, coerce_2d},
    {"LogSoftmax", 13, coerce_2d},
    {"Hardmax", 13, coerce_2d},
    {"Clip", 11, clip_attrs},
    {"Pad", 11, pad_attrs},
    {"Slice", 10, slice_attrs},
    {"TopK", 10, topk_attr},
    {"Dropout", 12, dropout_attrs},
    {"BatchNormalization", 14, batchnorm_attrs},
    {"Upsample", ONNX_LATEST_OPSET + 1, to_resize},
    {"Resize", 11, to_resize},
    {"Scan", 9, scan8},
};

/* Attributes that became inputs, with the operand position they take. */
static const struct {
    const char *op;
    int64_t before;
    const char *attr;
    unsigned input;
} moved_attrs[] = {
    {"Reshape", 5, "shape", 1},   {"Split", 13, "split", 1},    {"Squeeze", 13, "axes", 1},
    {"Unsqueeze", 13, "axes", 1}, {"ReduceSum", 13, "axes", 1},
};

bool onnx_upgrade_before(onnx_importer *im, onnx_node *nc) {
    const char *type = nc->proto->op_type;
    dl_op *op = nc->op;
    if (nc->opset < 7) {
        dl_op_remove_attr(op, "consumed_inputs");
        if (op->kind == DL_OP_graph_Gemm) dl_op_remove_attr(op, "broadcast");
        if (op->kind == DL_OP_graph_LSTM || op->kind == DL_OP_graph_GRU ||
            op->kind == DL_OP_graph_RNN)
            dl_op_remove_attr(op, "output_sequence");
        if (op->kind == DL_OP_graph_Tile && op->num_operands == 3) {
            dl_error(im->ctx, nc->loc, "unsupported Tile-1 with an axis input");
            return false;
        }
    }
    if (nc->opset < 4 && op->kind == DL_OP_graph_Concat && !dl_op_attr(op, "axis"))
        dl_op_set_attr(op, "axis", dl_attr_int(im->ctx, 1));
    for (size_t i = 0; i < sizeof moved_attrs / sizeof *moved_attrs; i++)
        if (nc->opset < moved_attrs[i].before && strcmp(type, moved_attrs[i].op) == 0 &&
            !attr_to_input(im, nc, moved_attrs[i].attr, moved_attrs[i].input))
            return false;
    for (size_t i = 0; i < sizeof upgrades / sizeof *upgrades; i++)
        if (nc->opset < upgrades[i].before && strcmp(type, upgrades[i].op) == 0 &&
            !upgrades[i].fn(im, nc))
            return false;
    trim_operands(nc);
    return true;
}

/* A temporary op at the end of the node's block, so that ops built before it come after
 * everything the node produced. */
static dl_op *end_anchor(onnx_importer *im, onnx_node *nc) {
    const dl_type *none = dl_type_none(im->ctx);
    dl_op *a = dl_op_create(im->ctx, DL_OP_graph_None, nc->loc, 0, NULL, 1, &none, 0);
    dl_block_append(nc->scope->block, a);
    return a;
}

bool onnx_upgrade_after(onnx_importer *im, onnx_node *nc) {
    if (nc->upgrade_kind == AFTER_COERCE_2D) {
        dl_op *anchor = end_anchor(im, nc);
        dl_value *x = nc->orig_input0, *y = nc->outputs[0];
        dl_value *shape = onnx_build_aux(im, anchor, nc->loc, DL_OP_graph_Shape, 1, &x, 0, NULL);
        dl_value *ops[2] = {y, shape};
        dl_value *r =
            shape ? onnx_build_aux(im, anchor, nc->loc, DL_OP_graph_Reshape, 2, ops, 0, NULL)
                  : NULL;
        dl_op_erase(anchor);
        if (!r) return false;
        y->name = NULL;
        nc->outputs[0] = r;
    } else if (nc->upgrade_kind == AFTER_SCAN8) {
        for (unsigned i = 0; i < nc->num_outputs; i++) {
            dl_value *y = nc->outputs[i];
            if (!y || !y->def) continue;
            dl_op *anchor = end_anchor(im, nc);
            const int64_t zero = 0;
            dl_value *axes = onnx_const_i64(im, anchor, nc->loc, &zero, 1, false);
            dl_value *ops[2] = {y, axes};
            dl_value *r =
                axes ? onnx_build_aux(im, anchor, nc->loc, DL_OP_graph_Unsqueeze, 2, ops, 0, NULL)
                     : NULL;
            dl_op_erase(anchor);
            if (!r) return false;
            y->name = NULL;
            nc->outputs[i] = r;
        }
    }
    return true;
}
