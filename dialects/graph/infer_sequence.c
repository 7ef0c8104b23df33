/* infer_sequence.c: shape inference rules of sequence and optional ops. A sequence has type
 * seq<tensor<...>> whose element type covers every element (differing sizes are dynamic); an
 * optional value has the type of its element, or none when it is known to be empty. Where the
 * elements of a sequence can be followed statically (built by SequenceConstruct, SequenceInsert,
 * SequenceErase or SplitToSequence with constant positions and sizes), SequenceAt and
 * ConcatFromSequence give exact shapes. */
#include "infer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_TRACKED     256
#define MAX_TRACK_DEPTH 64

/* The element types of a sequence known at compile time. */
typedef struct seq_list {
    int n;
    const dl_type *elems[MAX_TRACKED];
} seq_list;

/* The sequence type of operand i, or NULL after an error. */
static const dl_type *seq_operand(dl_op *op, unsigned i) {
    const dl_type *t = dl_operand(op, i)->type;
    if (t->kind != DL_TY_SEQ || t->elem->kind != DL_TY_TENSOR) {
        dl_op_error(op, "operand %u must be a sequence of tensors, got %s", i,
                    dl_type_str(op->ctx, t));
        return NULL;
    }
    return t;
}

/* Checks that operand i, when present, is an integer scalar (or one-element tensor). */
static dl_status check_position(dl_op *op, unsigned i) {
    if (!dl_has_operand(op, i)) return DL_OK;
    const dl_type *t = dl_operand(op, i)->type;
    if (t->kind != DL_TY_TENSOR || !dl_type_is_int(t->elem) || t->rank > 1 ||
        (t->rank == 1 && t->dims[0] != 1))
        return dl_op_error(op, "the position must be an integer scalar, got %s",
                           dl_type_str(op->ctx, t));
    return DL_OK;
}

/* Normalises a position against a sequence of n elements: valid in [-n, n-1], or [-n, n] when
 * inserting; false when out of range. */
static bool norm_position(int64_t *pos, int n, bool insert) {
    if (*pos < -n || *pos > (insert ? n : n - 1)) return false;
    if (*pos < 0) *pos += n;
    return true;
}

/* ---- SplitToSequence chunks ----------------------------------------------------------------- */

/* Reports a SplitToSequence error at op when report is set; fails either way. */
__attribute__((format(printf, 3, 4))) static dl_status split_error(dl_op *op, bool report,
                                                                   const char *fmt, ...) {
    if (!report) return DL_FAILURE;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dl_op_error(op, "%s", msg);
}

/* The chunk sizes SplitToSequence op produces along its axis and their count (-1 when unknown
 * or more than max): a constant scalar 'split' gives chunks of that size (the last one smaller),
 * a constant 1-D one its entries, no 'split' chunks of 1. Invalid splits fail, with an error at
 * op when report is set. */
static dl_status split_chunks(dl_op *op, const dl_shape *in, int64_t axis, int64_t *sizes,
                              int64_t max, int64_t *count, bool report) {
    int64_t d = in->dims[axis], n, split[MAX_TRACKED];
    *count = -1;
    if (!dl_has_operand(op, 1)) {
        if (d == DL_DYN || d > max) return DL_OK;
        for (int64_t i = 0; i < d; i++) sizes[i] = 1;
        *count = d;
        return DL_OK;
    }
    const dl_type *st = dl_operand(op, 1)->type;
    if (st->kind != DL_TY_TENSOR || st->rank > 1)
        return split_error(op, report, "'split' must be a scalar or a 1-D tensor");
    n = dl_const_ints(dl_operand(op, 1), split, MAX_TRACKED);
    if (n < 0 || n > MAX_TRACKED) return DL_OK;
    if (st->rank == 0) {
        if (split[0] <= 0)
            return split_error(op, report, "'split' must be positive, got %lld",
                               (long long)split[0]);
        if (d == DL_DYN) return DL_OK;
        int64_t chunks = d / split[0] + (d % split[0] != 0);
        if (chunks > max) return DL_OK;
        for (int64_t i = 0; i < chunks; i++)
            sizes[i] = i + 1 < chunks || d % split[0] == 0 ? split[0] : d % split[0];
        *count = chunks;
        return DL_OK;
    }
    int64_t sum = 0;
    for (int64_t i = 0; i < n; i++) {
        if (split[i] < 0 || split[i] > DL_MAX_ELEMENTS)
            return split_error(op, report, "'split'[%lld] is out of range (%lld)", (long long)i,
                               (long long)split[i]);
        sum += split[i];
        sizes[i] = split[i];
    }
    if (d != DL_DYN && sum != d)
        return split_error(op, report, "'split' sums to %lld but the split dimension has size %lld",
                           (long long)sum, (long long)d);
    if (n > max) return DL_OK;
    *count = n;
    return DL_OK;
}

/* The element type of one SplitToSequence chunk of `size` along axis. */
static const dl_type *chunk_type(dl_op *op, const dl_shape *in, int64_t axis, int64_t size) {
    dl_shape s = *in;
    bool drop = !dl_has_operand(op, 1) && dl_op_attr_int(op, "keepdims", 1) == 0;
    if (drop) {
        memmove(s.dims + axis, s.dims + axis + 1, sizeof(int64_t) * (size_t)(s.rank - axis - 1));
        memmove(s.names + axis, s.names + axis + 1,
                sizeof(const char *) * (size_t)(s.rank - axis - 1));
        s.rank--;
    } else {
        dl_shape_set_dim(&s, (int)axis, size, size == in->dims[axis] ? in->names[axis] : NULL);
    }
    return dl_shape_tensor(op->ctx, dl_operand_elem(op, 0), &s);
}

/* ---- Following sequences -------------------------------------------------------------------- */

/* Reconstructs the element types of sequence v from the ops that built it; false when they are
 * not known at compile time. */
static bool track(const dl_value *v, seq_list *out, int depth) {
    dl_op *op = v->def;
    if (!op || depth > MAX_TRACK_DEPTH) return false;
    int64_t pos;
    switch (op->kind) {
    case DL_OP_graph_SequenceEmpty: out->n = 0; return true;
    case DL_OP_graph_SequenceConstruct:
        if (op->num_operands > MAX_TRACKED) return false;
        out->n = (int)op->num_operands;
        for (unsigned i = 0; i < op->num_operands; i++) out->elems[i] = dl_operand(op, i)->type;
        return true;
    case DL_OP_graph_SequenceInsert:
        if (!track(dl_operand(op, 0), out, depth + 1) || out->n >= MAX_TRACKED) return false;
        pos = out->n;
        if (dl_has_operand(op, 2) && dl_const_ints(dl_operand(op, 2), &pos, 1) != 1) return false;
        if (!norm_position(&pos, out->n, true)) return false;
        memmove(out->elems + pos + 1, out->elems + pos,
                sizeof(*out->elems) * (size_t)(out->n - pos));
        out->elems[pos] = dl_operand(op, 1)->type;
        out->n++;
        return true;
    case DL_OP_graph_SequenceErase:
        if (!track(dl_operand(op, 0), out, depth + 1)) return false;
        pos = out->n - 1;
        if (dl_has_operand(op, 1) && dl_const_ints(dl_operand(op, 1), &pos, 1) != 1) return false;
        if (!norm_position(&pos, out->n, false)) return false;
        memmove(out->elems + pos, out->elems + pos + 1,
                sizeof(*out->elems) * (size_t)(out->n - pos - 1));
        out->n--;
        return true;
    case DL_OP_graph_SplitToSequence: {
        dl_shape in;
        int64_t axis, sizes[MAX_TRACKED], n;
        if (!dl_shape_of(dl_operand(op, 0), &in)) return false;
        axis = dl_op_attr_int(op, "axis", 0);
        if (axis < -in.rank || axis >= in.rank) return false;
        if (axis < 0) axis += in.rank;
        if (split_chunks(op, &in, axis, sizes, MAX_TRACKED, &n, false) != DL_OK || n < 0)
            return false;
        out->n = (int)n;
        for (int64_t i = 0; i < n; i++) out->elems[i] = chunk_type(op, &in, axis, sizes[i]);
        return true;
    }
    default: return false;
    }
}

/* ---- Sequence ops --------------------------------------------------------------------------- */

/* SequenceConstruct: seq<T> where T covers every operand (one element type and rank). */
static dl_status infer_sequence_construct(dl_op *op) {
    const dl_type *t = NULL;
    for (unsigned i = 0; i < op->num_operands; i++) {
        const dl_type *e = dl_operand(op, i)->type;
        if (e->kind != DL_TY_TENSOR)
            return dl_op_error(op, "operand %u must be a tensor, got %s", i,
                               dl_type_str(op->ctx, e));
        const dl_type *m = t ? dl_type_merge(op->ctx, t, e) : e;
        if (!m)
            return dl_op_error(op,
                               "operand %u (%s) does not match the earlier elements (%s): "
                               "elements need one element type and rank",
                               i, dl_type_str(op->ctx, e), dl_type_str(op->ctx, t));
        t = m;
    }
    dl_op_set_result_type(op, 0, dl_type_seq(op->ctx, t));
    return DL_OK;
}

/* SequenceEmpty: seq<tensor<dtype>>; the element shape of an empty sequence is unknown and is
 * written as rank 0, which joins any rank (dl_type_join) when elements are inserted. */
static dl_status infer_sequence_empty(dl_op *op) {
    int64_t code = dl_op_attr_int(op, "dtype", 1);
    const dl_type *elem = dl_onnx_elem_type(op->ctx, code);
    if (!elem) return dl_op_error(op, "'dtype' %lld is not a supported type", (long long)code);
    dl_shape s = {.rank = 0};
    dl_op_set_result_type(op, 0, dl_type_seq(op->ctx, dl_shape_tensor(op->ctx, elem, &s)));
    return DL_OK;
}

/* SequenceInsert: the sequence's element type joined with the inserted tensor's (exactly the
 * tensor's when the sequence is known to be empty). */
static dl_status infer_sequence_insert(dl_op *op) {
    const dl_type *seq = seq_operand(op, 0), *t = dl_operand(op, 1)->type;
    if (!seq || check_position(op, 2) != DL_OK) return DL_FAILURE;
    if (t->kind != DL_TY_TENSOR)
        return dl_op_error(op, "the inserted value must be a tensor, got %s",
                           dl_type_str(op->ctx, t));
    if (t->elem != seq->elem->elem)
        return dl_op_error(op, "cannot insert a tensor of %s into a sequence of %s",
                           dl_type_str(op->ctx, t->elem), dl_type_str(op->ctx, seq->elem->elem));
    seq_list list_storage, *list = &list_storage;
    if (track(dl_operand(op, 0), list, 0)) {
        int64_t pos = list->n;
        if (dl_has_operand(op, 2) && dl_const_ints(dl_operand(op, 2), &pos, 1) == 1 &&
            !norm_position(&pos, list->n, true))
            return dl_op_error(op, "position %lld is out of range for a sequence of %d elements",
                               (long long)pos, list->n);
        if (list->n == 0) {
            dl_op_set_result_type(op, 0, dl_type_seq(op->ctx, t));
            return DL_OK;
        }
    }
    const dl_type *r = dl_type_join(op->ctx, seq, dl_type_seq(op->ctx, t));
    if (!r)
        return dl_op_error(op, "cannot insert %s into %s", dl_type_str(op->ctx, t),
                           dl_type_str(op->ctx, seq));
    dl_op_set_result_type(op, 0, r);
    return DL_OK;
}

/* SequenceErase: the sequence's type. */
static dl_status infer_sequence_erase(dl_op *op) {
    const dl_type *seq = seq_operand(op, 0);
    if (!seq || check_position(op, 1) != DL_OK) return DL_FAILURE;
    seq_list list_storage, *list = &list_storage;
    int64_t pos;
    if (track(dl_operand(op, 0), list, 0) && dl_has_operand(op, 1) &&
        dl_const_ints(dl_operand(op, 1), &pos, 1) == 1 && !norm_position(&pos, list->n, false))
        return dl_op_error(op, "position %lld is out of range for a sequence of %d elements",
                           (long long)pos, list->n);
    dl_op_set_result_type(op, 0, seq);
    return DL_OK;
}

/* SequenceAt: the element type; the exact element's when the sequence and position are known. */
static dl_status infer_sequence_at(dl_op *op) {
    const dl_type *seq = seq_operand(op, 0);
    if (!seq || check_position(op, 1) != DL_OK) return DL_FAILURE;
    if (!dl_has_operand(op, 1)) return dl_op_error(op, "needs a position operand");
    seq_list list_storage, *list = &list_storage;
    int64_t pos;
    if (track(dl_operand(op, 0), list, 0) && dl_const_ints(dl_operand(op, 1), &pos, 1) == 1) {
        if (!norm_position(&pos, list->n, false))
            return dl_op_error(op, "position %lld is out of range for a sequence of %d elements",
                               (long long)pos, list->n);
        dl_op_set_result_type(op, 0, list->elems[pos]);
        return DL_OK;
    }
    dl_op_set_result_type(op, 0, seq->elem);
    return DL_OK;
}

static dl_status infer_sequence_length(dl_op *op) {
    if (!seq_operand(op, 0)) return DL_FAILURE;
    dl_shape s = {.rank = 0};
    dl_set_result(op, 0, dl_type_scalar(op->ctx, DL_TY_I64), &s);
    return DL_OK;
}

/* The shape of a tensor type; false if it is not a tensor or its rank is too large. */
static bool type_shape(const dl_type *t, dl_shape *s) {
    if (t->kind != DL_TY_TENSOR || t->rank > DL_MAX_RANK) return false;
    s->rank = t->rank;
    for (int i = 0; i < t->rank; i++)
        dl_shape_set_dim(s, i, t->dims[i], t->names ? t->names[i] : NULL);
    return true;
}

/* ConcatFromSequence: concatenates (new_axis = 0) or stacks (new_axis = 1) the elements along
 * 'axis'. When the elements are known, the result covers just them and the size along the axis
 * is their sum (or count); otherwise that size is dynamic. */
static dl_status infer_concat_from_sequence(dl_op *op) {
    const dl_type *seq = seq_operand(op, 0);
    if (!seq) return DL_FAILURE;
    if (!dl_op_attr(op, "axis")) return dl_op_error(op, "needs an 'axis' attribute");
    bool stack = dl_op_attr_int(op, "new_axis", 0) != 0;
    const dl_type *elem = seq->elem;
    seq_list list_storage, *list = &list_storage;
    bool known = track(dl_operand(op, 0), list, 0) && list->n > 0;
    for (int i = 0; known && i < list->n; i++) {
        const dl_type *m = i == 0 ? list->elems[0] : dl_type_merge(op->ctx, elem, list->elems[i]);
        known = m && m->kind == DL_TY_TENSOR;
        elem = known ? m : seq->elem;
    }
    dl_shape e, out;
    if (!type_shape(elem, &e))
        return dl_op_error(op, "the element rank exceeds the supported %d", DL_MAX_RANK);
    int rank = e.rank + stack;
    if (rank > DL_MAX_RANK) return dl_op_error(op, "the result rank exceeds %d", DL_MAX_RANK);
    if (rank == 0) return dl_op_error(op, "cannot concatenate scalars; use new_axis = 1");
    int64_t axis;
    if (dl_norm_axis(op, dl_op_attr_int(op, "axis", 0), rank, &axis) != DL_OK) return DL_FAILURE;
    int64_t total = DL_DYN;
    if (known) {
        total = stack ? list->n : 0;
        for (int i = 0; i < list->n && !stack && total != DL_DYN; i++) {
            int64_t d = list->elems[i]->dims[axis];
            total = d == DL_DYN ? DL_DYN : total + d;
        }
    }
    out.rank = rank;
    for (int i = 0, from = 0; i < rank; i++) {
        if (i == axis)
            dl_shape_set_dim(&out, i, total, NULL);
        else
            dl_shape_set_dim(&out, i, e.dims[from], e.names[from]);
        if (i != axis || !stack) from++;
    }
    if (dl_check_elements(op, &out) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, elem->elem, &out);
    return DL_OK;
}

/* SplitToSequence: seq<chunk> where the chunk's size along 'axis' is the common chunk size
 * (dynamic when chunks differ or are unknown); without 'split', keepdims = 0 drops the axis. */
static dl_status infer_split_to_sequence(dl_op *op) {
    dl_shape in;
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    if (in.rank < 1) return dl_op_error(op, "the input must have rank 1 or more");
    int64_t axis, n, sizes[MAX_TRACKED];
    if (dl_norm_axis(op, dl_op_attr_int(op, "axis", 0), in.rank, &axis) != DL_OK ||
        split_chunks(op, &in, axis, sizes, MAX_TRACKED, &n, true) != DL_OK)
        return DL_FAILURE;
    int64_t size = n > 0 ? sizes[0] : DL_DYN;
    for (int64_t i = 1; i < n; i++)
        if (sizes[i] != size) size = DL_DYN;
    if (n < 0 && dl_has_operand(op, 1)) {
        /* Not tracked: a constant scalar split dividing a static dim still gives equal chunks. */
        int64_t s, d = in.dims[axis];
        if (dl_operand(op, 1)->type->rank == 0 && dl_const_ints(dl_operand(op, 1), &s, 1) == 1 &&
            d != DL_DYN && d % s == 0)
            size = s;
    } else if (n < 0) {
        size = 1;
    }
    dl_op_set_result_type(op, 0, dl_type_seq(op->ctx, chunk_type(op, &in, axis, size)));
    return DL_OK;
}

/* ---- Optional ops --------------------------------------------------------------------------- */

/* Optional: the type of its input, or of the 'type' attribute when it has none (empty). */
static dl_status infer_optional(dl_op *op) {
    if (dl_has_operand(op, 0)) {
        dl_op_set_result_type(op, 0, dl_operand(op, 0)->type);
        return DL_OK;
    }
    const dl_attr *t = dl_op_attr(op, "type");
    if (!t || t->kind != DL_ATTR_TYPE)
        return dl_op_error(op, "needs an input or a 'type' attribute");
    if (t->type->kind != DL_TY_TENSOR && t->type->kind != DL_TY_SEQ)
        return dl_op_error(op, "'type' must be a tensor or sequence type, got %s",
                           dl_type_str(op->ctx, t->type));
    dl_op_set_result_type(op, 0, t->type);
    return DL_OK;
}

static dl_status infer_optional_has_element(dl_op *op) {
    dl_shape s = {.rank = 0};
    dl_set_result(op, 0, dl_type_scalar(op->ctx, DL_TY_I1), &s);
    return DL_OK;
}

/* OptionalGetElement: the element's type; an input of type none is known to be empty. */
static dl_status infer_optional_get_element(dl_op *op) {
    const dl_type *t = dl_operand(op, 0)->type;
    if (t->kind == DL_TY_NONE) return dl_op_error(op, "the optional input is always empty");
    dl_op_set_result_type(op, 0, t);
    return DL_OK;
}

const dl_infer_entry dl_infer_sequence[] = {
    {DL_OP_graph_SequenceConstruct, infer_sequence_construct},
    {DL_OP_graph_SequenceEmpty, infer_sequence_empty},
    {DL_OP_graph_SequenceInsert, infer_sequence_insert},
    {DL_OP_graph_SequenceErase, infer_sequence_erase},
    {DL_OP_graph_SequenceAt, infer_sequence_at},
    {DL_OP_graph_SequenceLength, infer_sequence_length},
    {DL_OP_graph_ConcatFromSequence, infer_concat_from_sequence},
    {DL_OP_graph_SplitToSequence, infer_split_to_sequence},
    {DL_OP_graph_Optional, infer_optional},
    {DL_OP_graph_OptionalHasElement, infer_optional_has_element},
    {DL_OP_graph_OptionalGetElement, infer_optional_get_element},
    {DL_OP__INVALID, NULL},
};
