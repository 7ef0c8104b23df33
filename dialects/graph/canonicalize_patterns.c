/* canonicalize_patterns.c: the graph dialect's canonical rewrite patterns: ops that provably
 * do nothing (Identity, inference-mode Dropout, no-op Cast/Pad/Reshape/Squeeze/Expand/Slice...)
 * disappear, transpose pairs compose and reshape chains collapse. With dynamic or symbolic
 * dims a pattern fires only when the shapes are provably equal at run time. */
#include "graph.h"

/* Slice ends at least this large reach the end of any dimension (no tensor has 2^62 elements). */
#define END_OF_ANY_DIM (INT64_C(1) << 62)

/* True when a and b are the same tensor type and provably the same shape at run time: every
 * dim static or named (a name stands for one value). With same_count (the op keeps the element
 * count: Reshape, Flatten) one anonymous `?` is also determined, when the other dims are
 * static and non-zero. */
static bool same_shape(const dl_type *a, const dl_type *b, bool same_count) {
    if (a != b || a->kind != DL_TY_TENSOR) return false;
    int anonymous = 0;
    bool others_static_nonzero = true;
    for (int d = 0; d < a->rank; d++) {
        bool named = a->names && a->names[d];
        if (a->dims[d] == DL_DYN && !named)
            anonymous++;
        else if (a->dims[d] == DL_DYN || a->dims[d] == 0)
            others_static_nonzero = false;
    }
    return anonymous == 0 || (same_count && anonymous == 1 && others_static_nonzero);
}

/* The integer values of a graph.Constant operand (at most max): the count, or -1. */
static int64_t const_ints(const dl_value *v, int64_t *out, int64_t max) {
    const dl_attr *a = dl_graph_constant_value(v);
    if (!a || dl_type_is_float(a->type->elem)) return -1;
    int64_t n = dl_dense_num_elements(a);
    if (n > max) return -1;
    for (int64_t i = 0; i < n; i++) out[i] = dl_dense_get_i64(a, i);
    return n;
}

static bool has_operand(const dl_op *op, unsigned i) {
    return i < op->num_operands && !dl_graph_is_none(dl_operand(op, i)) &&
           dl_operand(op, i)->type->kind != DL_TY_NONE;
}

/* True for a value shape inference may read (Reshape's shape, Slice's starts, Resize's scales,
 * If's condition...): a scalar or a short vector. */
static bool shape_like(const dl_type *t) {
    return t->kind == DL_TY_TENSOR &&
           (t->rank == 0 || (t->rank == 1 && (t->dims[0] == DL_DYN || t->dims[0] <= 64)));
}

/* True when uses of from may be replaced by to (NULL: a new constant) without changing what
 * shape inference gives for the users, and so without breaking the verifier's check of declared
 * types: inference reads the values of shape-like operands (through constants and shape
 * computations), so a shape-like from is replaced only when to is a block argument or no user
 * has a result type left to refine. graph-fold handles the other cases (it re-infers). */
static bool users_keep_types(const dl_value *from, const dl_value *to) {
    if (!shape_like(from->type) || (to && !to->def)) return true;
    for (const dl_use *u = from->uses; u; u = u->next)
        for (unsigned i = 0; i < u->owner->num_results; i++) {
            const dl_type *t = u->owner->results[i].type;
            if (t->kind != DL_TY_NONE && (t->kind != DL_TY_TENSOR || !dl_type_has_static_shape(t)))
                return false;
        }
    return true;
}

/* Replaces op by its first operand when that has the result's type. */
static bool forward_input(dl_op *op, dl_rewriter *rw) {
    dl_value *x = dl_operand(op, 0);
    if (x->type != op->results[0].type || !users_keep_types(&op->results[0], x)) return false;
    dl_rw_replace1(rw, op, x);
    return true;
}

/* Identity(x) -> x */
static bool fold_identity(dl_op *op, dl_rewriter *rw) {
    return forward_input(op, rw);
}

/* Dropout in inference mode (training_mode absent or a false constant) -> its input; a used
 * mask becomes an all-true constant (static mask shapes only). */
static bool fold_dropout(dl_op *op, dl_rewriter *rw) {
    dl_value *x = dl_operand(op, 0);
    if (x->type != op->results[0].type || !users_keep_types(&op->results[0], x)) return false;
    if (has_operand(op, 2)) {
        const dl_attr *t = dl_graph_constant_value(dl_operand(op, 2));
        if (!t) return false;
        for (int64_t i = 0; i < dl_dense_num_elements(t); i++)
            if (dl_dense_get_f64(t, i) != 0) return false;
    }
    dl_value *vals[2] = {x, NULL};
    if (op->num_results > 1 && dl_value_has_uses(&op->results[1])) {
        const dl_type *mt = op->results[1].type;
        if (mt->kind != DL_TY_TENSOR || !dl_type_has_static_shape(mt) ||
            mt->elem->kind != DL_TY_I1 || !users_keep_types(&op->results[1], NULL))
            return false;
        int64_t n = dl_type_num_elements(mt);
        unsigned char one = 1;
        dl_builder b = dl_builder_before(op);
        b.loc = op->loc;
        dl_op *c = dl_build(&b, DL_OP_graph_Constant, 0, NULL, 1, &mt, 0);
        dl_op_set_attr(c, "value", dl_attr_dense(op->ctx, mt, &one, n ? 1 : 0, n > 1, true));
        dl_rw_notify(rw, c);
        vals[1] = &c->results[0];
    } else if (op->num_results > 1) {
        vals[1] = &op->results[1]; /* unused: stays unused, erased with op */
    }
    dl_rw_replace(rw, op, vals);
    return true;
}

/* Transpose(Transpose(x, p1), p2) -> Transpose(x, p1[p2[i]]), or x when that is the identity;
 * Transpose(x, identity) -> x. */
static bool fold_transpose(dl_op *op, dl_rewriter *rw) {
    dl_value *in = dl_operand(op, 0);
    int rank = in->type->rank;
    if (in->type->kind != DL_TY_TENSOR || rank > 64) return false;
    int64_t p2[64], p1[64], q[64];
    int n2 = dl_op_attr_ints(op, "perm", p2, 64);
    if (n2 < 0) /* ONNX default: reverse the dimensions */
        for (int i = 0; i < rank; i++) p2[i] = rank - 1 - i;
    else if (n2 != rank)
        return false;
    bool identity = true;
    for (int i = 0; i < rank; i++) identity &= p2[i] == i;
    if (identity) return forward_input(op, rw);
    dl_op *inner = in->def;
    if (!inner || inner->kind != DL_OP_graph_Transpose) return false;
    int n1 = dl_op_attr_ints(inner, "perm", p1, 64);
    if (n1 < 0)
        for (int i = 0; i < rank; i++) p1[i] = rank - 1 - i;
    else if (n1 != rank)
        return false;
    identity = true;
    for (int i = 0; i < rank; i++) {
        if (p2[i] < 0 || p2[i] >= rank) return false;
        q[i] = p1[p2[i]];
        identity &= q[i] == i;
    }
    dl_value *x = dl_operand(inner, 0);
    if (identity && x->type == op->results[0].type) {
        if (!users_keep_types(&op->results[0], x)) return false;
        dl_rw_replace1(rw, op, x);
        return true;
    }
    dl_op_set_operand(op, 0, x);
    dl_op_set_attr(op, "perm", dl_attr_int_array(op->ctx, (unsigned)rank, q));
    dl_rw_notify(rw, op);
    if (inner->num_results && dl_op_results_unused(inner)) dl_rw_erase(rw, inner);
    return true;
}

/* Reshape(x, s) -> x when it provably keeps the shape; Reshape(Reshape(x, s1), s2) ->
 * Reshape(x, s2) when the outer result shape is static. */
static bool fold_reshape(dl_op *op, dl_rewriter *rw) {
    dl_value *in = dl_operand(op, 0);
    const dl_type *rt = op->results[0].type;
    if (same_shape(in->type, rt, true)) return forward_input(op, rw);
    dl_op *inner = in->def;
    if (!inner || inner->kind != DL_OP_graph_Reshape || !dl_type_has_static_shape(rt)) return false;
    /* Reshape's `shape` operand may contain 0 ("copy this input dim") unless allowzero; the
     * outer shape operand was computed against the inner result, so only rewrite when the
     * shape is a constant without zeros. */
    const dl_attr *shape = dl_graph_constant_value(dl_operand(op, 1));
    if (!shape) return false;
    for (int64_t i = 0; i < dl_dense_num_elements(shape); i++)
        if (dl_dense_get_i64(shape, i) == 0) return false;
    dl_op_set_operand(op, 0, dl_operand(inner, 0));
    dl_rw_notify(rw, op);
    if (dl_op_results_unused(inner)) dl_rw_erase(rw, inner);
    return true;
}

/* Flatten(x) -> x for a rank-2 x and axis 1, or when it provably keeps the shape. */
static bool fold_flatten(dl_op *op, dl_rewriter *rw) {
    const dl_type *t = dl_operand(op, 0)->type;
    bool noop = t->kind == DL_TY_TENSOR && t->rank == 2 && t == op->results[0].type &&
                (dl_op_attr_int(op, "axis", 1) == 1 || dl_op_attr_int(op, "axis", 1) == -1);
    if (!noop && !same_shape(t, op->results[0].type, true)) return false;
    return forward_input(op, rw);
}

/* Squeeze(x) -> x when nothing is squeezed: the same static type (with dynamic dims a `?`
 * might be 1 at run time and squeezed). */
static bool fold_squeeze(dl_op *op, dl_rewriter *rw) {
    const dl_type *t = dl_operand(op, 0)->type;
    if (t != op->results[0].type || !dl_type_has_static_shape(t)) return false;
    return forward_input(op, rw);
}

/* Unsqueeze(x) -> x when it inserts no dim (empty axes: the same type). */
static bool fold_unsqueeze(dl_op *op, dl_rewriter *rw) {
    return forward_input(op, rw);
}

/* Cast(x) / CastLike(x, y) -> x when x already has the result type. */
static bool fold_cast(dl_op *op, dl_rewriter *rw) {
    return forward_input(op, rw);
}

/* Pad(x, pads) -> x when every pad is a constant zero. */
static bool fold_pad(dl_op *op, dl_rewriter *rw) {
    int64_t pads[128];
    int64_t n = const_ints(dl_operand(op, 1), pads, 128);
    if (n < 0) return false;
    for (int64_t i = 0; i < n; i++)
        if (pads[i] != 0) return false;
    return forward_input(op, rw);
}

/* Expand(x, shape) -> x when it broadcasts to x's own shape: a static type that stays, or a
 * constant shape of ones (or x's static sizes) no longer than x's rank. */
static bool fold_expand(dl_op *op, dl_rewriter *rw) {
    const dl_type *t = dl_operand(op, 0)->type;
    if (t != op->results[0].type || t->kind != DL_TY_TENSOR) return false;
    if (!dl_type_has_static_shape(t)) {
        int64_t shape[64];
        int64_t n = const_ints(dl_operand(op, 1), shape, 64);
        if (n < 0 || n > t->rank) return false;
        for (int64_t j = 0; j < n; j++) {
            int64_t d = t->dims[t->rank - n + j];
            if (shape[j] != 1 && (d == DL_DYN || shape[j] != d)) return false;
        }
    }
    return forward_input(op, rw);
}

/* Concat(x) -> x */
static bool fold_concat(dl_op *op, dl_rewriter *rw) {
    if (op->num_operands != 1) return false;
    return forward_input(op, rw);
}

/* Slice(x, starts, ends, axes, steps) -> x when every sliced axis is taken whole with step 1:
 * start 0 (or <= -dim for a static dim) and end >= dim (2^62 or more for a dynamic dim). */
static bool fold_slice(dl_op *op, dl_rewriter *rw) {
    const dl_type *t = dl_operand(op, 0)->type;
    if (t != op->results[0].type || t->kind != DL_TY_TENSOR || t->rank > 64) return false;
    int64_t starts[64], ends[64], axes[64], steps[64];
    int64_t n = const_ints(dl_operand(op, 1), starts, 64);
    if (n < 0 || const_ints(dl_operand(op, 2), ends, 64) != n) return false;
    if (has_operand(op, 3)) {
        if (const_ints(dl_operand(op, 3), axes, 64) != n) return false;
    } else {
        for (int64_t k = 0; k < n; k++) axes[k] = k;
    }
    if (has_operand(op, 4)) {
        if (const_ints(dl_operand(op, 4), steps, 64) != n) return false;
    } else {
        for (int64_t k = 0; k < n; k++) steps[k] = 1;
    }
    for (int64_t k = 0; k < n; k++) {
        int64_t ax = axes[k] < 0 ? axes[k] + t->rank : axes[k];
        if (ax < 0 || ax >= t->rank || steps[k] != 1) return false;
        int64_t dim = t->dims[ax];
        bool whole_start = starts[k] == 0 || (dim != DL_DYN && starts[k] <= -dim);
        bool whole_end = dim != DL_DYN ? ends[k] >= dim : ends[k] >= END_OF_ANY_DIM;
        if (!whole_start || !whole_end) return false;
    }
    return forward_input(op, rw);
}

static const dl_pattern patterns[] = {
    {"identity", DL_OP_graph_Identity, fold_identity},
    {"dropout-inference", DL_OP_graph_Dropout, fold_dropout},
    {"transpose", DL_OP_graph_Transpose, fold_transpose},
    {"reshape", DL_OP_graph_Reshape, fold_reshape},
    {"flatten-noop", DL_OP_graph_Flatten, fold_flatten},
    {"squeeze-noop", DL_OP_graph_Squeeze, fold_squeeze},
    {"unsqueeze-noop", DL_OP_graph_Unsqueeze, fold_unsqueeze},
    {"cast-noop", DL_OP_graph_Cast, fold_cast},
    {"castlike-noop", DL_OP_graph_CastLike, fold_cast},
    {"pad-noop", DL_OP_graph_Pad, fold_pad},
    {"expand-noop", DL_OP_graph_Expand, fold_expand},
    {"concat-single", DL_OP_graph_Concat, fold_concat},
    {"slice-whole", DL_OP_graph_Slice, fold_slice},
};

const dl_pattern *dl_graph_patterns(size_t *count) {
    *count = sizeof patterns / sizeof *patterns;
    return patterns;
}
