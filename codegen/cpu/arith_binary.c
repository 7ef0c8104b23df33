/* arith_binary.c: lowering of the arith dialect's integer and float arithmetic: add, sub, mul,
 * div, rem, floordiv, ceildiv, max, min, bitwise ops, shifts, neg, abs, not.
 *
 * Semantics (scalars and, lane by lane, vectors):
 *   integers wrap; iN are signed, uN (and i1) unsigned, index is a signed i64;
 *   div truncates toward zero, rem is the truncated remainder (sign of the dividend, like C's %
 *   and fmod), floordiv / ceildiv round toward -inf / +inf; an integer division or remainder by
 *   zero gives 0, and INT_MIN / -1 wraps to INT_MIN (nothing traps);
 *   shifts by the bit width or more give 0 (shr of a negative signed value: -1);
 *   float max/min propagate NaN (numpy's maximum/minimum); f16/bf16 results are rounded to
 *   their precision after each op (computed in f32); at -O2 and above f32/f64 mul + add may
 *   be contracted into a fused multiply-add. */
#include "codegen/cg.h"

typedef struct operands {
    LLVMValueRef a, b;
    dl_type_kind kind;
    unsigned lanes;
    bool is_float, is_unsigned;
} operands;

static LLVMValueRef splat_int(cg_func *f, const operands *o, int64_t v) {
    LLVMTypeRef t = cg_lanes_type(f->m, o->kind, 0);
    return cg_splat(f, LLVMConstInt(t, (unsigned long long)v, true), o->lanes);
}

static unsigned bits_of(dl_type_kind kind) {
    return kind == DL_TY_INDEX ? 64 : dl_scalar_bits(kind);
}

/* Integer division family with the zero-divisor and overflow rules above. */
static LLVMValueRef int_divide(cg_func *f, dl_op_kind k, const operands *o) {
    LLVMBuilderRef b = f->b;
    LLVMValueRef zero = splat_int(f, o, 0), one = splat_int(f, o, 1);
    LLVMValueRef by_zero = LLVMBuildICmp(b, LLVMIntEQ, o->b, zero, "");
    LLVMValueRef safe, overflow = NULL;
    if (o->is_unsigned) {
        safe = LLVMBuildSelect(b, by_zero, one, o->b, "");
    } else {
        overflow = LLVMBuildICmp(b, LLVMIntEQ, o->b, splat_int(f, o, -1), "");
        safe = LLVMBuildSelect(b, LLVMBuildOr(b, by_zero, overflow, ""), one, o->b, "");
    }
    LLVMValueRef q =
        o->is_unsigned ? LLVMBuildUDiv(b, o->a, safe, "") : LLVMBuildSDiv(b, o->a, safe, "");
    LLVMValueRef r =
        o->is_unsigned ? LLVMBuildURem(b, o->a, safe, "") : LLVMBuildSRem(b, o->a, safe, "");
    if (overflow) {
        /* x / -1 = -x (wrapping), x % -1 = 0 */
        q = LLVMBuildSelect(b, overflow, LLVMBuildNeg(b, o->a, ""), q, "");
        r = LLVMBuildSelect(b, overflow, zero, r, "");
    }
    LLVMValueRef inexact = LLVMBuildICmp(b, LLVMIntNE, r, zero, "");
    LLVMValueRef result;
    switch (k) {
    case DL_OP_arith_div: result = q; break;
    case DL_OP_arith_rem: result = r; break;
    case DL_OP_arith_floordiv:
        if (o->is_unsigned) {
            result = q;
        } else {
            /* q - 1 when the remainder is non-zero and its sign differs from the divisor's */
            LLVMValueRef signs =
                LLVMBuildICmp(b, LLVMIntSLT, LLVMBuildXor(b, r, safe, ""), zero, "");
            LLVMValueRef adjust = LLVMBuildAnd(b, inexact, signs, "");
            result = LLVMBuildSub(b, q, LLVMBuildZExt(b, adjust, LLVMTypeOf(q), ""), "");
        }
        break;
    case DL_OP_arith_ceildiv: {
        /* q + 1 when the remainder is non-zero and has the divisor's sign */
        LLVMValueRef adjust = inexact;
        if (!o->is_unsigned) {
            LLVMValueRef same =
                LLVMBuildICmp(b, LLVMIntSGE, LLVMBuildXor(b, r, safe, ""), zero, "");
            adjust = LLVMBuildAnd(b, inexact, same, "");
        }
        result = LLVMBuildAdd(b, q, LLVMBuildZExt(b, adjust, LLVMTypeOf(q), ""), "");
        break;
    }
    default: DL_UNREACHABLE("not a division");
    }
    return LLVMBuildSelect(b, by_zero, zero, result, "");
}

/* Shifts with counts >= the bit width (or negative) defined as shifting everything out. */
static LLVMValueRef int_shift(cg_func *f, dl_op_kind k, const operands *o) {
    LLVMBuilderRef b = f->b;
    LLVMValueRef width = splat_int(f, o, bits_of(o->kind));
    LLVMValueRef in_range = LLVMBuildICmp(b, LLVMIntULT, o->b, width, "");
    LLVMValueRef count = LLVMBuildSelect(b, in_range, o->b, splat_int(f, o, 0), "");
    if (k == DL_OP_arith_shl)
        return LLVMBuildSelect(b, in_range, LLVMBuildShl(b, o->a, count, ""), splat_int(f, o, 0),
                               "");
    if (o->is_unsigned)
        return LLVMBuildSelect(b, in_range, LLVMBuildLShr(b, o->a, count, ""), splat_int(f, o, 0),
                               "");
    LLVMValueRef fill = LLVMBuildAShr(b, o->a, splat_int(f, o, bits_of(o->kind) - 1), "");
    return LLVMBuildSelect(b, in_range, LLVMBuildAShr(b, o->a, count, ""), fill, "");
}

static LLVMValueRef emit_int(cg_func *f, dl_op_kind k, const operands *o) {
    LLVMBuilderRef b = f->b;
    LLVMValueRef args[2] = {o->a, o->b};
    switch (k) {
    case DL_OP_arith_add: return LLVMBuildAdd(b, o->a, o->b, "");
    case DL_OP_arith_sub: return LLVMBuildSub(b, o->a, o->b, "");
    case DL_OP_arith_mul: return LLVMBuildMul(b, o->a, o->b, "");
    case DL_OP_arith_div:
    case DL_OP_arith_rem:
    case DL_OP_arith_floordiv:
    case DL_OP_arith_ceildiv: return int_divide(f, k, o);
    case DL_OP_arith_max:
        return cg_intrinsic1(f, o->is_unsigned ? "llvm.umax" : "llvm.smax", args, 2);
    case DL_OP_arith_min:
        return cg_intrinsic1(f, o->is_unsigned ? "llvm.umin" : "llvm.smin", args, 2);
    case DL_OP_arith_and: return LLVMBuildAnd(b, o->a, o->b, "");
    case DL_OP_arith_or: return LLVMBuildOr(b, o->a, o->b, "");
    case DL_OP_arith_xor: return LLVMBuildXor(b, o->a, o->b, "");
    case DL_OP_arith_shl:
    case DL_OP_arith_shr: return int_shift(f, k, o);
    case DL_OP_arith_neg: return LLVMBuildNeg(b, o->a, "");
    case DL_OP_arith_not: return LLVMBuildNot(b, o->a, "");
    case DL_OP_arith_abs: {
        if (o->is_unsigned) return o->a;
        LLVMValueRef abs_args[2] = {o->a, LLVMConstInt(f->m->t_i1, 0, false)};
        return cg_intrinsic1(f, "llvm.abs", abs_args, 2);
    }
    default: return NULL;
    }
}

static LLVMValueRef emit_float(cg_func *f, dl_op_kind k, const operands *o) {
    LLVMBuilderRef b = f->b;
    LLVMValueRef args[2] = {o->a, o->b};
    LLVMValueRef r;
    switch (k) {
    case DL_OP_arith_add: r = LLVMBuildFAdd(b, o->a, o->b, ""); break;
    case DL_OP_arith_sub: r = LLVMBuildFSub(b, o->a, o->b, ""); break;
    case DL_OP_arith_mul: r = LLVMBuildFMul(b, o->a, o->b, ""); break;
    case DL_OP_arith_div: r = LLVMBuildFDiv(b, o->a, o->b, ""); break;
    case DL_OP_arith_rem: r = LLVMBuildFRem(b, o->a, o->b, ""); break;
    case DL_OP_arith_floordiv:
    case DL_OP_arith_ceildiv: {
        /* the quotient in the type's precision, then rounded to an integer */
        LLVMValueRef q = cg_round_to_storage(f, LLVMBuildFDiv(b, o->a, o->b, ""), o->kind);
        r = cg_intrinsic1(f, k == DL_OP_arith_floordiv ? "llvm.floor" : "llvm.ceil", &q, 1);
        break;
    }
    case DL_OP_arith_max: return cg_intrinsic1(f, "llvm.maximum", args, 2);
    case DL_OP_arith_min: return cg_intrinsic1(f, "llvm.minimum", args, 2);
    case DL_OP_arith_neg: return LLVMBuildFNeg(b, o->a, "");
    case DL_OP_arith_abs: return cg_intrinsic1(f, "llvm.fabs", args, 1);
    default: return NULL;
    }
    /* At -O2 and above a multiply feeding an add may become one fused multiply-add (rounded
     * once: as accurate or more). f16/bf16 results are rounded in between, so never fused. */
    bool contract = k == DL_OP_arith_add || k == DL_OP_arith_sub || k == DL_OP_arith_mul;
    if (contract && f->m->opts->opt_level >= 2 && o->kind != DL_TY_F16 && o->kind != DL_TY_BF16)
        LLVMSetFastMathFlags(r, LLVMFastMathAllowContract);
    return cg_round_to_storage(f, r, o->kind);
}

dl_status cg_emit_arith_binary(cg_func *f, dl_op *op) {
    const dl_type *t = op->results[0].type;
    const dl_type *e = dl_type_elem(t);
    operands o = {.a = cg_operand(f, op, 0),
                  .b = op->num_operands > 1 ? cg_operand(f, op, 1) : NULL,
                  .kind = e->kind,
                  .lanes = cg_lanes(t),
                  .is_float = dl_type_is_float(e),
                  .is_unsigned = dl_type_is_unsigned(e) || e->kind == DL_TY_I1};
    LLVMValueRef r = o.is_float ? emit_float(f, op->kind, &o) : emit_int(f, op->kind, &o);
    if (!r)
        return dl_op_error(op, "'%s' is not defined on %s", dl_op_info_of(op)->name,
                           dl_type_str(op->ctx, t));
    cg_value_map_set(f->values, &op->results[0], r);
    return DL_OK;
}
