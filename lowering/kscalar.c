/* kscalar.c: scalar arith helpers for kernel bodies: constants, arithmetic, comparisons,
 * NaN-aware max/min, ONNX conversions and rounding, and in-bounds data-dependent indices. */
#include "dialects/arith/arith.h"
#include "kbuild.h"

#include <math.h>

dl_value *kb_const(dl_builder *b, const dl_type *t, double v) {
    if (t->kind == DL_TY_I1) return dl_arith_const_int(b, t, v != 0);
    if (dl_type_is_int(t)) {
        /* saturate, so that e.g. -inf becomes the type's minimum */
        unsigned bits = dl_scalar_bits(t->kind);
        double lo = dl_type_is_unsigned(t) ? 0 : -ldexp(1, (int)bits - 1);
        double hi = dl_type_is_unsigned(t) ? ldexp(1, (int)bits) - 1 : ldexp(1, (int)bits - 1) - 1;
        if (isnan(v)) v = 0;
        if (v <= lo)
            return dl_arith_const_int(
                b, t, bits == 64 && !dl_type_is_unsigned(t) ? INT64_MIN : (int64_t)lo);
        if (v >= hi) {
            if (bits == 64)
                return dl_arith_const_int(b, t, dl_type_is_unsigned(t) ? -1 : INT64_MAX);
            return dl_arith_const_int(b, t, (int64_t)hi);
        }
        return dl_arith_const_int(b, t, (int64_t)v);
    }
    return dl_arith_const(b, t, v);
}

dl_value *kb_consti(dl_builder *b, const dl_type *t, int64_t v) {
    return dl_arith_const_int(b, t, t->kind == DL_TY_I1 ? v != 0 : v);
}

dl_value *kb_index(dl_builder *b, int64_t v) {
    return dl_arith_index(b, v);
}

dl_value *kb_like(dl_builder *b, dl_value *x, double v) {
    return kb_const(b, x->type, v);
}

dl_value *kb_un(dl_builder *b, dl_op_kind kind, dl_value *x) {
    return dl_build1(b, kind, 1, &x, x->type);
}

dl_value *kb_bin(dl_builder *b, dl_op_kind kind, dl_value *x, dl_value *y) {
    DL_ASSERT(x->type == y->type);
    return dl_build1(b, kind, 2, (dl_value *[]){x, y}, x->type);
}

dl_value *kb_add(dl_builder *b, dl_value *x, dl_value *y) {
    return kb_bin(b, DL_OP_arith_add, x, y);
}
dl_value *kb_sub(dl_builder *b, dl_value *x, dl_value *y) {
    return kb_bin(b, DL_OP_arith_sub, x, y);
}
dl_value *kb_mul(dl_builder *b, dl_value *x, dl_value *y) {
    return kb_bin(b, DL_OP_arith_mul, x, y);
}
dl_value *kb_div(dl_builder *b, dl_value *x, dl_value *y) {
    return kb_bin(b, DL_OP_arith_div, x, y);
}
dl_value *kb_fma(dl_builder *b, dl_value *x, dl_value *y, dl_value *z) {
    return dl_build1(b, DL_OP_arith_fma, 3, (dl_value *[]){x, y, z}, x->type);
}

dl_value *kb_mac(dl_builder *b, dl_value *acc, dl_value *x, dl_value *y) {
    const dl_type *t = acc->type;
    return kb_add(b, acc, kb_mul(b, kb_cast(b, x, t), kb_cast(b, y, t)));
}

dl_value *kb_cmp(dl_builder *b, const char *pred, dl_value *x, dl_value *y) {
    DL_ASSERT(x->type == y->type);
    dl_value *r =
        dl_build1(b, DL_OP_arith_cmp, 2, (dl_value *[]){x, y}, dl_type_scalar(b->ctx, DL_TY_I1));
    dl_op_set_attr(r->def, "pred", dl_attr_string(b->ctx, pred));
    return r;
}

dl_value *kb_select(dl_builder *b, dl_value *cond, dl_value *x, dl_value *y) {
    DL_ASSERT(x->type == y->type && cond->type->kind == DL_TY_I1);
    return dl_build1(b, DL_OP_arith_select, 3, (dl_value *[]){cond, x, y}, x->type);
}

dl_value *kb_and(dl_builder *b, dl_value *x, dl_value *y) {
    return kb_bin(b, DL_OP_arith_and, x, y);
}
dl_value *kb_or(dl_builder *b, dl_value *x, dl_value *y) {
    return kb_bin(b, DL_OP_arith_or, x, y);
}
dl_value *kb_not(dl_builder *b, dl_value *x) {
    return kb_un(b, DL_OP_arith_not, x);
}

dl_value *kb_max_nan(dl_builder *b, dl_value *x, dl_value *y) {
    return kb_bin(b, DL_OP_arith_max, x, y);
}

dl_value *kb_min_nan(dl_builder *b, dl_value *x, dl_value *y) {
    return kb_bin(b, DL_OP_arith_min, x, y);
}

dl_value *kb_clamp(dl_builder *b, dl_value *x, dl_value *lo, dl_value *hi) {
    x = kb_select(b, kb_cmp(b, "lt", x, lo), lo, x);
    return kb_select(b, kb_cmp(b, "gt", x, hi), hi, x);
}

dl_value *kb_cast(dl_builder *b, dl_value *x, const dl_type *t) {
    const dl_type *s = x->type;
    if (s == t) return x;
    if (t->kind == DL_TY_I1) return kb_cmp(b, "ne", x, kb_like(b, x, 0));
    if (s->kind == DL_TY_I1) return kb_select(b, x, kb_const(b, t, 1), kb_const(b, t, 0));
    return dl_build1(b, DL_OP_arith_cast, 1, &x, t);
}

dl_value *kb_round_even(dl_builder *b, dl_value *x) {
    return kb_un(b, DL_OP_arith_round, x);
}

dl_value *kb_mod_floor(dl_builder *b, dl_value *x, dl_value *y) {
    dl_value *r = kb_bin(b, DL_OP_arith_rem, x, y);
    dl_value *zero = kb_like(b, x, 0);
    if (dl_type_is_unsigned(x->type)) return r;
    /* r != 0 and sign(r) != sign(y): r + y */
    dl_value *fix = kb_and(b, kb_cmp(b, "ne", r, zero),
                           kb_cmp(b, "ne", kb_cmp(b, "lt", r, zero), kb_cmp(b, "lt", y, zero)));
    return kb_select(b, fix, kb_add(b, r, y), r);
}

/* ---- Data-dependent accesses ------------------------------------------------------------- */

dl_value *kb_clamp_index(dl_builder *b, dl_value *i, int64_t n) {
    return kb_clamp(b, i, kb_index(b, 0), kb_index(b, n > 0 ? n - 1 : 0));
}

dl_value *kb_index_in(dl_builder *b, dl_value *i, int64_t n) {
    const dl_type *idx = dl_type_scalar(b->ctx, DL_TY_INDEX);
    if (i->type != idx) {
        if (dl_type_is_unsigned(i->type) && dl_scalar_bits(i->type->kind) == 64) {
            /* above INT64_MAX reads as negative: clamp to the top first */
            dl_value *big = kb_cmp(b, "gt", i, kb_consti(b, i->type, INT64_MAX));
            i = kb_select(b, big, kb_consti(b, i->type, INT64_MAX), i);
        }
        i = dl_build1(b, DL_OP_arith_cast, 1, &i, idx);
    }
    dl_value *neg = kb_cmp(b, "lt", i, kb_index(b, 0));
    i = kb_select(b, neg, kb_add(b, i, kb_index(b, n)), i);
    return kb_clamp_index(b, i, n);
}

dl_value *kb_load(dl_builder *b, dl_value *buf, unsigned n, dl_value *const *idx) {
    dl_value *ops[KB_MAX_DIMS + 1];
    DL_ASSERT(n == (unsigned)buf->type->rank && n <= KB_MAX_DIMS);
    ops[0] = buf;
    for (unsigned k = 0; k < n; k++) ops[k + 1] = idx[k];
    return dl_build1(b, DL_OP_kernel_load, n + 1, ops, buf->type->elem);
}

void kb_store(dl_builder *b, dl_value *v, dl_value *buf, unsigned n, dl_value *const *idx) {
    dl_value *ops[KB_MAX_DIMS + 2];
    DL_ASSERT(n == (unsigned)buf->type->rank && n <= KB_MAX_DIMS);
    ops[0] = v;
    ops[1] = buf;
    for (unsigned k = 0; k < n; k++) ops[k + 2] = idx[k];
    dl_build(b, DL_OP_kernel_store, n + 2, ops, 0, NULL, 0);
}

/* ---- Sequential work in bodies ------------------------------------------------------------- */

/* A region's only block, ending with loop.yield; *in inserts before the yield. */
static dl_block *yielding_block(dl_builder *b, dl_op *op, unsigned region, dl_builder *in) {
    dl_block *blk = dl_op_body(op, region);
    dl_builder end = dl_builder_at_end(b->ctx, blk);
    dl_op *y = dl_build(&end, DL_OP_loop_yield, 0, NULL, 0, NULL, 0);
    *in = dl_builder_before(y);
    in->loc = b->loc;
    return blk;
}

dl_value *kb_for(dl_builder *b, dl_value *lb, dl_value *ub, dl_value *step, dl_builder *body) {
    dl_op *op = dl_build(b, DL_OP_loop_for, 3, (dl_value *[]){lb, ub, step}, 0, NULL, 1);
    dl_block *blk = dl_op_body(op, 0);
    dl_value *iv = dl_block_add_arg(b->ctx, blk, dl_type_scalar(b->ctx, DL_TY_INDEX));
    yielding_block(b, op, 0, body);
    return iv;
}

void kb_if(dl_builder *b, dl_value *cond, dl_builder *then) {
    dl_op *op = dl_build(b, DL_OP_loop_if, 1, &cond, 0, NULL, 2);
    yielding_block(b, op, 0, then);
}

void kb_while(dl_builder *b, dl_builder *body) {
    dl_op *op = dl_build(b, DL_OP_loop_while, 0, NULL, 0, NULL, 1);
    *body = dl_builder_at_end(b->ctx, dl_op_body(op, 0));
    body->loc = b->loc;
}

void kb_while_end(dl_builder *body, dl_value *again) {
    dl_build(body, DL_OP_loop_condition, 1, &again, 0, NULL, 0);
}
