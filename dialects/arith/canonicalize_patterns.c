/* canonicalize_patterns.c: arith folding: constant operands, neutral elements. */
#include "arith.h"

/* Integer results wrap to the type's width. */
static int64_t wrap(int64_t v, const dl_type *t) {
    unsigned bits = dl_scalar_bits(t->kind);
    if (bits >= 64 || t->kind == DL_TY_INDEX) return v;
    uint64_t mask = (UINT64_C(1) << bits) - 1, u = (uint64_t)v & mask;
    if (!dl_type_is_unsigned(t) && bits > 1 && (u >> (bits - 1))) u |= ~mask;
    return (int64_t)u;
}

/* add/sub/mul/min/max of two scalar integer or float constants. */
static bool fold_binary(dl_op *op, dl_rewriter *rw) {
    const dl_attr *a = dl_arith_constant_of(dl_operand(op, 0)),
                  *b = dl_arith_constant_of(dl_operand(op, 1));
    const dl_type *t = op->results[0].type;
    if (!a || !b || !dl_type_is_scalar(t)) return false;
    dl_builder bld = dl_builder_before(op);
    dl_value *r;
    if (dl_type_is_float(t)) {
        double x = a->u.f, y = b->u.f, z;
        switch (op->kind) {
        case DL_OP_arith_add: z = x + y; break;
        case DL_OP_arith_sub: z = x - y; break;
        case DL_OP_arith_mul: z = x * y; break;
        case DL_OP_arith_min: z = x < y ? x : y; break;
        case DL_OP_arith_max: z = x > y ? x : y; break;
        default: return false;
        }
        r = dl_arith_const(&bld, t, z);
    } else {
        if (dl_type_is_unsigned(t) && (op->kind == DL_OP_arith_min || op->kind == DL_OP_arith_max))
            return false;
        int64_t x = a->u.i, y = b->u.i, z;
        switch (op->kind) {
        case DL_OP_arith_add: z = (int64_t)((uint64_t)x + (uint64_t)y); break;
        case DL_OP_arith_sub: z = (int64_t)((uint64_t)x - (uint64_t)y); break;
        case DL_OP_arith_mul: z = (int64_t)((uint64_t)x * (uint64_t)y); break;
        case DL_OP_arith_min: z = x < y ? x : y; break;
        case DL_OP_arith_max: z = x > y ? x : y; break;
        default: return false;
        }
        r = dl_arith_const_int(&bld, t, wrap(z, t));
    }
    dl_rw_notify(rw, r->def);
    dl_rw_replace1(rw, op, r);
    return true;
}

static bool is_const(const dl_value *v, double c) {
    const dl_attr *a = dl_arith_constant_of(v);
    if (!a) return false;
    return a->kind == DL_ATTR_FLOAT ? a->u.f == c : (double)a->u.i == c;
}

/* x + 0 -> x (integers only: -0.0 + 0.0 is not -0.0), x - 0 -> x, x * 1 -> x. */
static bool fold_neutral(dl_op *op, dl_rewriter *rw) {
    dl_value *x = dl_operand(op, 0), *y = dl_operand(op, 1);
    bool int_type = !dl_type_is_float(dl_type_elem(op->results[0].type));
    if (op->kind == DL_OP_arith_add && int_type && is_const(x, 0)) {
        dl_rw_replace1(rw, op, y);
        return true;
    }
    bool neutral = (op->kind == DL_OP_arith_add && int_type && is_const(y, 0)) ||
                   (op->kind == DL_OP_arith_sub && is_const(y, 0) && int_type) ||
                   (op->kind == DL_OP_arith_mul && is_const(y, 1));
    if (op->kind == DL_OP_arith_mul && is_const(x, 1)) {
        dl_rw_replace1(rw, op, y);
        return true;
    }
    if (!neutral) return false;
    dl_rw_replace1(rw, op, x);
    return true;
}

static const dl_pattern patterns[] = {
    {"fold-add", DL_OP_arith_add, fold_binary},     {"fold-sub", DL_OP_arith_sub, fold_binary},
    {"fold-mul", DL_OP_arith_mul, fold_binary},     {"fold-min", DL_OP_arith_min, fold_binary},
    {"fold-max", DL_OP_arith_max, fold_binary},     {"neutral-add", DL_OP_arith_add, fold_neutral},
    {"neutral-sub", DL_OP_arith_sub, fold_neutral}, {"neutral-mul", DL_OP_arith_mul, fold_neutral},
};

const dl_pattern *dl_arith_patterns(size_t *count) {
    *count = sizeof patterns / sizeof *patterns;
    return patterns;
}
