/* lower_sequence.c: sequences whose length and positions are known at compile time: a sequence
 * value is a list of buffers, so SequenceConstruct / Empty / Insert / Erase only edit the list,
 * SequenceAt picks a buffer, SequenceLength is a constant, and SplitToSequence and
 * ConcatFromSequence copy like Split and Concat. */
#include "lower.h"

enum { MAX_SEQ = 4096 };

/* A constant position in [-n, n] (or [-n, n) for an existing element), normalised. */
static dl_status position(dl_op *op, unsigned i, unsigned n, bool at_end_ok, int64_t dflt,
                          unsigned *out) {
    int64_t p = dflt;
    if (lw_has(op, i) && lw_const_ints(op, i, &p, 1) != 1)
        return dl_op_error(op, "position must be a constant");
    if (p < 0) p += n;
    if (p < 0 || p > (int64_t)n || (!at_end_ok && p == (int64_t)n))
        return dl_op_error(op, "position %lld is out of range for %u elements", (long long)p, n);
    *out = (unsigned)p;
    return DL_OK;
}

static dl_status lower_seq_empty(dl_lower *lw, dl_op *op) {
    lw_seq_bind(lw, dl_result(op, 0), 0, NULL);
    return DL_OK;
}

static dl_status lower_seq_construct(dl_lower *lw, dl_op *op) {
    dl_value *items[MAX_SEQ];
    if (op->num_operands > MAX_SEQ) return dl_op_error(op, "too many elements");
    for (unsigned i = 0; i < op->num_operands; i++) items[i] = lw_in(lw, op, i);
    lw_seq_bind(lw, dl_result(op, 0), op->num_operands, items);
    return DL_OK;
}

static dl_status lower_seq_insert(dl_lower *lw, dl_op *op) {
    unsigned n, at;
    dl_value **old = lw_seq(lw, op, 0, &n), *items[MAX_SEQ];
    if (n + 1 > MAX_SEQ) return dl_op_error(op, "too many elements");
    if (position(op, 2, n, true, n, &at)) return DL_FAILURE;
    for (unsigned i = 0, k = 0; i <= n; i++) items[i] = i == at ? lw_in(lw, op, 1) : old[k++];
    lw_seq_bind(lw, dl_result(op, 0), n + 1, items);
    return DL_OK;
}

static dl_status lower_seq_erase(dl_lower *lw, dl_op *op) {
    unsigned n, at;
    dl_value **old = lw_seq(lw, op, 0, &n), *items[MAX_SEQ];
    if (n == 0) return dl_op_error(op, "erasing from an empty sequence");
    if (position(op, 1, n, false, -1, &at)) return DL_FAILURE;
    for (unsigned i = 0, k = 0; i < n; i++)
        if (i != at) items[k++] = old[i];
    lw_seq_bind(lw, dl_result(op, 0), n - 1, items);
    return DL_OK;
}

static dl_status lower_seq_at(dl_lower *lw, dl_op *op) {
    unsigned n, at;
    dl_value **items = lw_seq(lw, op, 0, &n);
    if (position(op, 1, n, false, 0, &at)) return DL_FAILURE;
    if (items[at]->type != lw_memref_of(lw, dl_result(op, 0)))
        return dl_op_error(op, "element %u does not have the result type", at);
    lw_bind(lw, dl_result(op, 0), items[at]);
    return DL_OK;
}

static dl_status lower_seq_length(dl_lower *lw, dl_op *op) {
    unsigned n;
    lw_seq(lw, op, 0, &n);
    int64_t v = n;
    lw_bind(lw, dl_result(op, 0), kb_global_i64(lw_top(lw), 0, NULL, &v));
    return DL_OK;
}

static dl_status lower_split_to_seq(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    dl_value *x = lw_in(lw, op, 0), *items[MAX_SEQ];
    const dl_type *xt = x->type;
    int r = xt->rank, axis;
    if (lw_axis(op, dl_op_attr_int(op, "axis", 0), r, &axis)) return DL_FAILURE;
    int64_t len = xt->dims[axis], sizes[MAX_SEQ], split[MAX_SEQ];
    unsigned n = 0;
    bool squeeze = false;
    if (!lw_has(op, 1)) {
        squeeze = dl_op_attr_int(op, "keepdims", 1) == 0;
        for (int64_t i = 0; i < len && n < MAX_SEQ; i++) sizes[n++] = 1;
    } else {
        int64_t ns = lw_const_ints(op, 1, split, MAX_SEQ);
        if (ns < 0 || ns > MAX_SEQ) return dl_op_error(op, "split must be a constant");
        if (dl_operand(op, 1)->type->rank == 0) {
            if (split[0] <= 0) return dl_op_error(op, "split must be positive");
            for (int64_t at = 0; at < len && n < MAX_SEQ; at += split[0])
                sizes[n++] = len - at < split[0] ? len - at : split[0];
        } else {
            for (int64_t i = 0; i < ns; i++) sizes[n++] = split[i];
        }
    }
    int64_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        int64_t dims[KB_MAX_DIMS];
        int er = 0;
        for (int k = 0; k < r; k++)
            if (k != axis || !squeeze) dims[er++] = k == axis ? sizes[i] : xt->dims[k];
        if (sizes[i] < 0 || off + sizes[i] > len) return dl_op_error(op, "split exceeds the input");
        items[i] = kb_alloc(lw_top(lw), kb_memref(ctx, xt->elem, er, dims));
        kb_copy(lw_top(lw), x, kb_map_part(ctx, r, axis, off, squeeze), items[i]);
        off += sizes[i];
    }
    lw_seq_bind(lw, dl_result(op, 0), n, items);
    return DL_OK;
}

static dl_status lower_concat_from_seq(dl_lower *lw, dl_op *op) {
    dl_context *ctx = lw_ctx(lw);
    unsigned n;
    dl_value **items = lw_seq(lw, op, 0, &n), *out = lw_out(lw, op, 0);
    const dl_type *ot = out->type;
    bool stack = dl_op_attr_int(op, "new_axis", 0) != 0;
    int r = ot->rank, axis;
    if (lw_axis(op, dl_op_attr_int(op, "axis", 0), r, &axis)) return DL_FAILURE;
    int64_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        const dl_type *et = items[i]->type;
        if (et->rank != r - stack) return dl_op_error(op, "element %u has the wrong rank", i);
        int64_t ext = stack ? 1 : et->dims[axis];
        if (off + ext > ot->dims[axis]) return dl_op_error(op, "elements exceed the result");
        if (dl_type_num_elements(et) > 0)
            kb_copy_box(lw_top(lw), et->rank, et->dims, items[i],
                        kb_map_id(ctx, (unsigned)et->rank), out,
                        kb_map_part(ctx, r, axis, off, stack));
        off += ext;
    }
    if (off != ot->dims[axis]) return dl_op_error(op, "elements do not fill the result");
    return DL_OK;
}

const dl_lower_entry dl_lower_sequence[] = {
    {DL_OP_graph_SequenceEmpty, lower_seq_empty},
    {DL_OP_graph_SequenceConstruct, lower_seq_construct},
    {DL_OP_graph_SequenceInsert, lower_seq_insert},
    {DL_OP_graph_SequenceErase, lower_seq_erase},
    {DL_OP_graph_SequenceAt, lower_seq_at},
    {DL_OP_graph_SequenceLength, lower_seq_length},
    {DL_OP_graph_SplitToSequence, lower_split_to_seq},
    {DL_OP_graph_ConcatFromSequence, lower_concat_from_seq},
    {DL_OP__INVALID, NULL},
};
