/* infer.c: dispatch of graph-op shape inference over the per-family rule tables, and the
 * helpers those rules share. */
#include "infer.h"

#include <string.h>

static const dl_infer_entry *const families[] = {
    dl_infer_elementwise, dl_infer_nn,       dl_infer_reduce, dl_infer_shape,    dl_infer_index,
    dl_infer_control,     dl_infer_sequence, dl_infer_misc,   dl_infer_resample, dl_infer_linalg,
};

static dl_infer_fn table[DL_OP__COUNT];
static bool table_ready;

static void build_table(void) {
    for (size_t f = 0; f < sizeof families / sizeof *families; f++)
        for (const dl_infer_entry *e = families[f]; e->kind != DL_OP__INVALID; e++) {
            DL_ASSERT(!table[e->kind] && "two inference rules for one op");
            table[e->kind] = e->fn;
        }
    table_ready = true;
}

bool dl_graph_has_infer(dl_op_kind kind) {
    if (!table_ready) build_table();
    return kind < DL_OP__COUNT && table[kind] != NULL;
}

dl_status dl_graph_infer(dl_op *op) {
    if (!dl_graph_has_infer(op->kind))
        return dl_op_error(op, "shape inference is not implemented for this op");
    for (unsigned i = 0; i < op->num_operands; i++)
        if (!dl_operand(op, i)) return dl_op_error(op, "operand %u is missing", i);
    return table[op->kind](op);
}

bool dl_shape_of(const dl_value *v, dl_shape *out) {
    const dl_type *t = v ? v->type : NULL;
    if (!t || t->kind != DL_TY_TENSOR || t->rank > DL_MAX_RANK) return false;
    out->rank = t->rank;
    for (int i = 0; i < t->rank; i++) {
        out->dims[i] = t->dims[i];
        out->names[i] = t->names ? t->names[i] : NULL;
    }
    return true;
}

dl_status dl_operand_shape(dl_op *op, unsigned i, dl_shape *out) {
    if (i >= op->num_operands) return dl_op_error(op, "operand %u is missing", i);
    const dl_type *t = dl_operand(op, i)->type;
    if (t->kind != DL_TY_TENSOR)
        return dl_op_error(op, "operand %u must be a tensor, got %s", i, dl_type_str(op->ctx, t));
    if (!dl_shape_of(dl_operand(op, i), out))
        return dl_op_error(op, "operand %u has rank %d, more than the supported %d", i, t->rank,
                           DL_MAX_RANK);
    return DL_OK;
}

const dl_type *dl_shape_tensor(dl_context *ctx, const dl_type *elem, const dl_shape *s) {
    return dl_type_tensor(ctx, elem, s->rank, s->dims, s->names);
}

dl_status dl_shape_from(dl_op *op, dl_shape *s, int rank, const int64_t *dims) {
    if (rank < 0 || rank > DL_MAX_RANK)
        return dl_op_error(op, "rank %d is outside the supported range [0, %d]", rank, DL_MAX_RANK);
    s->rank = rank;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 && dims[i] != DL_DYN)
            return dl_op_error(op, "dimension %d has negative size %lld", i, (long long)dims[i]);
        s->dims[i] = dims[i];
        s->names[i] = NULL;
    }
    return DL_OK;
}

dl_status dl_broadcast(dl_op *op, unsigned n, const dl_shape *in, dl_shape *out) {
    int rank = 0;
    for (unsigned k = 0; k < n; k++) rank = in[k].rank > rank ? in[k].rank : rank;
    out->rank = rank;
    for (int i = 0; i < rank; i++) {
        int64_t d = 1;
        const char *name = NULL;
        bool dyn = false;
        for (unsigned k = 0; k < n; k++) {
            int j = i - (rank - in[k].rank);
            if (j < 0) continue;
            int64_t e = in[k].dims[j];
            const char *en = in[k].names[j];
            if (e == 1) continue;
            if (e == DL_DYN) {
                if (d == DL_DYN || d == 1) {
                    /* keep a name only if all dynamic candidates agree */
                    if (d == 1)
                        name = en;
                    else if (name != en)
                        name = NULL;
                    d = DL_DYN;
                    dyn = true;
                }
                continue;
            }
            if (d == 1 || d == DL_DYN) {
                d = e;
                name = NULL;
            } else if (d != e) {
                return dl_op_error(
                    op,
                    "operands cannot be broadcast together: dimension %d has sizes %lld and %lld",
                    i, (long long)d, (long long)e);
            }
        }
        (void)dyn;
        out->dims[i] = d;
        out->names[i] = d == DL_DYN ? name : NULL;
    }
    return DL_OK;
}

dl_status dl_norm_axis(dl_op *op, int64_t axis, int rank, int64_t *out) {
    if (rank == 0 && (axis == 0 || axis == -1)) {
        *out = 0; /* a scalar: callers must not index dims with it */
        return DL_OK;
    }
    if (axis < -rank || axis >= rank)
        return dl_op_error(op, "axis %lld is out of range for rank %d", (long long)axis, rank);
    *out = axis < 0 ? axis + rank : axis;
    return DL_OK;
}

int64_t dl_const_ints(const dl_value *v, int64_t *out, int64_t max) {
    const dl_attr *a = dl_graph_constant_value(v);
    if (!a) return -1;
    int64_t n = dl_dense_num_elements(a);
    for (int64_t i = 0; i < n && i < max; i++) out[i] = dl_dense_get_i64(a, i);
    return n;
}

int64_t dl_const_floats(const dl_value *v, double *out, int64_t max) {
    const dl_attr *a = dl_graph_constant_value(v);
    if (!a) return -1;
    int64_t n = dl_dense_num_elements(a);
    for (int64_t i = 0; i < n && i < max; i++) out[i] = dl_dense_get_f64(a, i);
    return n;
}

bool dl_has_operand(const dl_op *op, unsigned i) {
    return i < op->num_operands && dl_operand(op, i) && !dl_graph_is_none(dl_operand(op, i)) &&
           dl_operand(op, i)->type->kind != DL_TY_NONE;
}

void dl_set_result(dl_op *op, unsigned i, const dl_type *elem, const dl_shape *s) {
    dl_op_set_result_type(op, i, dl_shape_tensor(op->ctx, elem, s));
}

void dl_set_optional_result(dl_op *op, unsigned i, const dl_type *elem, const dl_shape *s) {
    if (i < op->num_results && op->results[i].type->kind != DL_TY_NONE)
        dl_set_result(op, i, elem, s);
}

const dl_type *dl_operand_elem(const dl_op *op, unsigned i) {
    const dl_type *t = dl_operand(op, i)->type;
    if (t->kind == DL_TY_SEQ) t = t->elem;
    return dl_type_elem(t);
}

/* ONNX TensorProto.DataType codes. */
static const struct {
    int code;
    dl_type_kind kind;
} onnx_codes[] = {
    {1, DL_TY_F32},  {2, DL_TY_U8},   {3, DL_TY_I8},    {4, DL_TY_U16},  {5, DL_TY_I16},
    {6, DL_TY_I32},  {7, DL_TY_I64},  {9, DL_TY_I1},    {10, DL_TY_F16}, {11, DL_TY_F64},
    {12, DL_TY_U32}, {13, DL_TY_U64}, {16, DL_TY_BF16},
};

const dl_type *dl_onnx_elem_type(dl_context *ctx, int64_t code) {
    for (size_t i = 0; i < sizeof onnx_codes / sizeof *onnx_codes; i++)
        if (onnx_codes[i].code == code) return dl_type_scalar(ctx, onnx_codes[i].kind);
    return NULL;
}

int dl_onnx_type_code(dl_type_kind kind) {
    for (size_t i = 0; i < sizeof onnx_codes / sizeof *onnx_codes; i++)
        if (onnx_codes[i].kind == kind) return onnx_codes[i].code;
    return 0;
}

dl_status dl_check_elements(dl_op *op, const dl_shape *s) {
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) {
        if (s->dims[i] == DL_DYN) continue;
        if (s->dims[i] != 0 && n > DL_MAX_ELEMENTS / s->dims[i])
            return dl_op_error(op, "the result has more than 2^62 elements");
        n *= s->dims[i];
    }
    return DL_OK;
}

dl_status dl_const_operand_ints(dl_op *op, unsigned i, const char *what, int64_t *out, int64_t max,
                                int64_t *count) {
    *count = -1;
    if (!dl_has_operand(op, i)) return DL_OK;
    int64_t n = dl_const_ints(dl_operand(op, i), out, max);
    if (n > max)
        return dl_op_error(op, "%s has %lld values, more than the supported %lld", what,
                           (long long)n, (long long)max);
    *count = n;
    return DL_OK;
}

const dl_type *dl_type_merge(dl_context *ctx, const dl_type *a, const dl_type *b) {
    if (a == b) return a;
    if (a->kind != b->kind) return NULL;
    if (a->kind == DL_TY_SEQ) {
        const dl_type *e = dl_type_merge(ctx, a->elem, b->elem);
        return e ? dl_type_seq(ctx, e) : NULL;
    }
    if (a->kind != DL_TY_TENSOR || a->elem != b->elem || a->rank != b->rank) return NULL;
    if (a->rank > DL_MAX_RANK) return NULL;
    dl_shape s = {.rank = a->rank};
    for (int i = 0; i < s.rank; i++) {
        const char *an = a->names ? a->names[i] : NULL, *bn = b->names ? b->names[i] : NULL;
        bool same = a->dims[i] == b->dims[i] && an == bn;
        s.dims[i] = same ? a->dims[i] : DL_DYN;
        s.names[i] = same ? an : NULL;
    }
    return dl_shape_tensor(ctx, a->elem, &s);
}

const dl_type *dl_type_join(dl_context *ctx, const dl_type *a, const dl_type *b) {
    if (a->kind == DL_TY_NONE) return b;
    if (b->kind == DL_TY_NONE) return a;
    const dl_type *t = dl_type_merge(ctx, a, b);
    if (t || a->kind != DL_TY_SEQ || b->kind != DL_TY_SEQ) return t;
    const dl_type *ea = a->elem, *eb = b->elem;
    if (ea->kind != DL_TY_TENSOR || eb->kind != DL_TY_TENSOR || ea->elem != eb->elem ||
        eb->rank > DL_MAX_RANK)
        return NULL;
    dl_shape s = {.rank = eb->rank};
    for (int i = 0; i < s.rank; i++) s.dims[i] = DL_DYN;
    return dl_type_seq(ctx, dl_shape_tensor(ctx, eb->elem, &s));
}

/* ---- Shape helpers shared by the rule families ---- */

void dl_shape_set_dim(dl_shape *s, int i, int64_t d, const char *name) {
    s->dims[i] = d;
    s->names[i] = d == DL_DYN ? name : NULL;
}

/* A rank-n shape whose dims are all dynamic. */
dl_status dl_dyn_shape(dl_op *op, dl_shape *s, int64_t n) {
    if (n < 0 || n > DL_MAX_RANK)
        return dl_op_error(op, "the result rank %lld is outside the supported range [0, %d]",
                           (long long)n, DL_MAX_RANK);
    s->rank = (int)n;
    for (int i = 0; i < s->rank; i++) dl_shape_set_dim(s, i, DL_DYN, NULL);
    return DL_OK;
}

/* Sets result i to a tensor of shape s after checking its element count. */
dl_status dl_set_result_checked(dl_op *op, unsigned i, const dl_type *elem, const dl_shape *s) {
    if (dl_check_elements(op, s) != DL_OK) return DL_FAILURE;
    dl_set_result(op, i, elem, s);
    return DL_OK;
}

/* Multiplies a static count by a static dim; fails past DL_MAX_ELEMENTS. */
dl_status dl_mul_checked(dl_op *op, int64_t *acc, int64_t d) {
    if (d != 0 && *acc > DL_MAX_ELEMENTS / d)
        return dl_op_error(op, "the element count overflows (more than 2^62)");
    *acc *= d;
    return DL_OK;
}

/* Product of dims [lo, hi) of s: static when every factor is static, 0 when any factor is 0,
 * otherwise dynamic; a lone dynamic factor among factors multiplying to 1 keeps its name. */
dl_status dl_dims_product(dl_op *op, const dl_shape *s, int lo, int hi, int64_t *dim,
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
        } else if (dl_mul_checked(op, &known, s->dims[i]) != DL_OK) {
            return DL_FAILURE;
        }
    }
    *dim = ndyn ? DL_DYN : known;
    if (ndyn == 1 && known == 1) *name = dyn_name;
    return DL_OK;
}

/* The shape of a 1-D integer operand that lists sizes or axes: its static length, or -1. */
dl_status dl_vector_length(dl_op *op, unsigned i, const char *what, int64_t *len) {
    dl_shape s;
    if (dl_operand_shape(op, i, &s) != DL_OK) return DL_FAILURE;
    if (s.rank > 1) return dl_op_error(op, "%s must be a 1-D tensor, got rank %d", what, s.rank);
    *len = s.rank == 0 ? 1 : s.dims[0] == DL_DYN ? -1 : s.dims[0];
    return DL_OK;
}

/* Normalises n axes against rank into [0, rank) and rejects duplicates. */
dl_status dl_norm_axes(dl_op *op, const char *what, int64_t *axes, int64_t n, int rank) {
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
int64_t dl_slice_size(int64_t d, int64_t start, int64_t end, int64_t step) {
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
bool dl_slice_whole(int64_t start, int64_t end, int64_t step) {
    return (step == 1 && start == 0 && end == INT64_MAX) ||
           (step == -1 && (start == -1 || start == INT64_MAX) && end == INT64_MIN);
}

void dl_shape_copy_dim(dl_shape *dst, int i, const dl_shape *src, int j) {
    dst->dims[i] = src->dims[j];
    dst->names[i] = src->names[j];
}

dl_status dl_match_dim(dl_op *op, int64_t a, int64_t b, const char *what) {
    if (a != DL_DYN && b != DL_DYN && a != b)
        return dl_op_error(op, "%s: %lld and %lld do not match", what, (long long)a, (long long)b);
    return DL_OK;
}

dl_status dl_operand_rank(dl_op *op, unsigned i, const char *name, int rank, dl_shape *s) {
    if (dl_operand_shape(op, i, s) != DL_OK) return DL_FAILURE;
    if (s->rank != rank)
        return dl_op_error(op, "operand %u (%s) must have rank %d, got %d", i, name, rank, s->rank);
    return DL_OK;
}
