/* fold_reduce.c: constant-folding rules of the Reduce* ops. Axes come from the `axes` operand
 * (ReduceSum since opset 13) or attribute; keepdims and noop_with_empty_axes as in ONNX.
 * Sum, Prod, Mean, Min, Max, L1 and SumSquare accumulate in the element type, in row-major
 * order (float results rounded after each step, integers wrapping); L2, LogSum and LogSumExp
 * accumulate floats in double and round once. */
#include "fold.h"

#include <math.h>
#include <stdlib.h>

static bool reduces_in_double(dl_op_kind k) {
    return k == DL_OP_graph_ReduceL2 || k == DL_OP_graph_ReduceLogSum ||
           k == DL_OP_graph_ReduceLogSumExp;
}

/* The reduced-dimension mask from the axes operand or attribute; false if invalid. */
static bool reduce_mask(dl_op *op, int rank, bool *mask) {
    int64_t axes[DL_MAX_RANK];
    int64_t n;
    if (dl_has_operand(op, 1)) {
        const dl_attr *a = dl_fold_const(op, 1);
        if (!a || dl_type_is_float(a->type->elem)) return false;
        n = dl_dense_num_elements(a);
        if (n > DL_MAX_RANK) return false;
        for (int64_t k = 0; k < n; k++) axes[k] = dl_dense_get_i64(a, k);
    } else {
        n = dl_op_attr_ints(op, "axes", axes, DL_MAX_RANK);
        if (n > DL_MAX_RANK) return false;
    }
    for (int d = 0; d < rank; d++) mask[d] = false;
    if (n <= 0) {
        if (dl_op_attr_int(op, "noop_with_empty_axes", 0)) return true;
        for (int d = 0; d < rank; d++) mask[d] = true;
        return true;
    }
    for (int64_t k = 0; k < n; k++) {
        int64_t ax = axes[k] < 0 ? axes[k] + rank : axes[k];
        if (ax < 0 || ax >= rank || mask[ax]) return false;
        mask[ax] = true;
    }
    return true;
}

/* acc combined with x for reduction kind k, in element kind ek. */
static dl_fold_scalar combine(dl_op_kind k, dl_type_kind ek, dl_fold_scalar acc, dl_fold_scalar x) {
    if (ek <= DL_TY_F64) {
        double a = acc.f, v = x.f;
        switch (k) {
        case DL_OP_graph_ReduceProd: a *= v; break;
        case DL_OP_graph_ReduceMin: a = isnan(a) ? a : isnan(v) || v < a ? v : a; break;
        case DL_OP_graph_ReduceMax: a = isnan(a) ? a : isnan(v) || v > a ? v : a; break;
        case DL_OP_graph_ReduceL1: a += fabs(v); break;
        case DL_OP_graph_ReduceL2: a += v * v; break;
        case DL_OP_graph_ReduceSumSquare: a += dl_fold_round(ek, v * v); break;
        case DL_OP_graph_ReduceLogSumExp: a += exp(v); break;
        default: a += v; break;
        }
        acc.f = reduces_in_double(k) ? a : dl_fold_round(ek, a);
        return acc;
    }
    uint64_t a = (uint64_t)acc.i, v = (uint64_t)x.i;
    bool u64 = ek == DL_TY_U64;
    switch (k) {
    case DL_OP_graph_ReduceProd: a *= v; break;
    case DL_OP_graph_ReduceMin: a = (u64 ? v < a : x.i < acc.i) ? v : a; break;
    case DL_OP_graph_ReduceMax: a = (u64 ? v > a : x.i > acc.i) ? v : a; break;
    case DL_OP_graph_ReduceL1: a += x.i < 0 && !u64 ? 0 - v : v; break;
    case DL_OP_graph_ReduceSumSquare: a += v * v; break;
    default: a += v; break;
    }
    acc.i = dl_fold_wrap(ek, (int64_t)a);
    return acc;
}

static dl_fold_scalar initial(dl_op_kind k, dl_type_kind ek) {
    dl_fold_scalar s;
    bool flt = ek <= DL_TY_F64;
    switch (k) {
    case DL_OP_graph_ReduceProd:
        if (flt)
            s.f = 1;
        else
            s.i = 1;
        break;
    case DL_OP_graph_ReduceMin:
        if (flt)
            s.f = INFINITY;
        else
            s.i = ek == DL_TY_U64 ? -1 : INT64_MAX;
        break;
    case DL_OP_graph_ReduceMax:
        if (flt)
            s.f = -INFINITY;
        else
            s.i = ek == DL_TY_U64 ? 0 : INT64_MIN;
        break;
    default:
        if (flt)
            s.f = 0;
        else
            s.i = 0;
        break;
    }
    return s;
}

/* The final value of one output element from its accumulator over count inputs. */
static dl_fold_scalar finish(dl_op_kind k, dl_type_kind ek, dl_fold_scalar acc, int64_t count) {
    bool flt = ek <= DL_TY_F64;
    switch (k) {
    case DL_OP_graph_ReduceMean:
        if (flt)
            acc.f = dl_fold_round(ek, acc.f / (double)count);
        else if (ek == DL_TY_U64)
            acc.i = (int64_t)((uint64_t)acc.i / (uint64_t)count);
        else
            acc.i /= count;
        break;
    case DL_OP_graph_ReduceL2: acc.f = sqrt(acc.f); break;
    case DL_OP_graph_ReduceLogSum:
    case DL_OP_graph_ReduceLogSumExp: acc.f = log(acc.f); break;
    default: break;
    }
    return acc;
}

static bool fold_reduce_op(dl_op *op, const dl_attr **results) {
    const dl_attr *a = dl_fold_const(op, 0);
    const dl_type *rt = op->results[0].type;
    if (!a || a->type->elem != rt->elem || dl_dense_num_elements(a) > DL_FOLD_MAX_ELEMENTS)
        return false;
    const dl_type *in = a->type;
    dl_type_kind ek = in->elem->kind;
    bool flt = dl_type_is_float(in->elem);
    if (ek == DL_TY_INDEX || ek == DL_TY_I1 || (!flt && reduces_in_double(op->kind))) return false;
    bool mask[DL_MAX_RANK];
    if (!reduce_mask(op, in->rank, mask)) return false;
    bool keep = dl_op_attr_int(op, "keepdims", 1) != 0, any = false;
    int64_t kept[DL_MAX_RANK], count = 1;
    int out_rank = 0;
    for (int d = 0; d < in->rank; d++) {
        any |= mask[d];
        if (mask[d]) count *= in->dims[d];
        kept[d] = mask[d] ? 1 : in->dims[d];
        if (!mask[d] || keep) {
            if (out_rank >= rt->rank || rt->dims[out_rank] != kept[d]) return false;
            out_rank++;
        }
    }
    if (out_rank != rt->rank) return false;
    if (!any) { /* noop_with_empty_axes */
        results[0] = dl_fold_reinterpret(op, 0, a);
        return results[0] != NULL;
    }
    if (count == 0 && (op->kind == DL_OP_graph_ReduceMin || op->kind == DL_OP_graph_ReduceMax ||
                       op->kind == DL_OP_graph_ReduceMean))
        return false;
    int64_t m = dl_type_num_elements(rt), out_strides[DL_MAX_RANK];
    dl_fold_iter it;
    if (!dl_fold_iter_init(&it, in, 1)) return false;
    int64_t s = 1;
    for (int d = in->rank - 1; d >= 0; d--) {
        out_strides[d] = s;
        s *= kept[d];
        it.strides[0][d] = mask[d] ? 0 : out_strides[d];
    }
    dl_fold_scalar *acc = malloc(sizeof *acc * (size_t)(m ? m : 1));
    DL_ASSERT(acc);
    for (int64_t j = 0; j < m; j++) acc[j] = initial(op->kind, ek);
    int64_t n = dl_dense_num_elements(a);
    for (int64_t i = 0; i < n; i++, dl_fold_iter_next(&it))
        acc[it.off[0]] = combine(op->kind, ek, acc[it.off[0]], dl_fold_load(a, i));
    size_t bytes;
    void *buf = dl_fold_buffer(op, 0, &bytes);
    for (int64_t j = 0; j < m; j++) dl_fold_store(buf, ek, j, finish(op->kind, ek, acc[j], count));
    free(acc);
    results[0] = dl_fold_finish(op, 0, buf);
    return true;
}

const dl_fold_entry dl_fold_reduce[] = {
    {DL_OP_graph_ReduceSum, fold_reduce_op},
    {DL_OP_graph_ReduceProd, fold_reduce_op},
    {DL_OP_graph_ReduceMin, fold_reduce_op},
    {DL_OP_graph_ReduceMax, fold_reduce_op},
    {DL_OP_graph_ReduceMean, fold_reduce_op},
    {DL_OP_graph_ReduceL1, fold_reduce_op},
    {DL_OP_graph_ReduceL2, fold_reduce_op},
    {DL_OP_graph_ReduceSumSquare, fold_reduce_op},
    {DL_OP_graph_ReduceLogSum, fold_reduce_op},
    {DL_OP_graph_ReduceLogSumExp, fold_reduce_op},
    {DL_OP__INVALID, NULL},
};
