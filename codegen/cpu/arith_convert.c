/* arith_convert.c: lowering of arith.cast and arith.bitcast.
 *
 * cast follows ONNX Cast / numpy astype: float -> int truncates toward zero and saturates to
 * the target's range (NaN -> 0; out-of-range values are undefined in ONNX, never poison here);
 * anything -> bool is `!= 0` (NaN is true); bool -> number is 0 or 1; integer widening
 * sign-extends signed sources and zero-extends unsigned ones; narrowing wraps; conversions to
 * f16/bf16 round to nearest even. bitcast reinterprets the bits of a same-width type. */
#include "codegen/cg.h"

static bool is_float(dl_type_kind k) {
    return k <= DL_TY_F64;
}

static bool is_signed_int(dl_type_kind k) {
    return (k >= DL_TY_I8 && k <= DL_TY_I64) || k == DL_TY_INDEX;
}

static unsigned bits_of(dl_type_kind k) {
    return k == DL_TY_INDEX ? 64 : dl_scalar_bits(k);
}

static LLVMTypeRef lanes_of(LLVMTypeRef scalar, unsigned lanes) {
    return lanes ? LLVMVectorType(scalar, lanes) : scalar;
}

static LLVMValueRef float_to_float(cg_func *f, LLVMValueRef v, dl_type_kind from, dl_type_kind to,
                                   unsigned lanes) {
    cg_module *m = f->m;
    if (to == DL_TY_F64)
        return from == DL_TY_F64 ? v : LLVMBuildFPExt(f->b, v, lanes_of(m->t_f64, lanes), "");
    if (from == DL_TY_F64) {
        if (to == DL_TY_F16) {
            /* one rounding, straight to half */
            LLVMValueRef h = LLVMBuildFPTrunc(f->b, v, lanes_of(m->t_f16, lanes), "");
            return LLVMBuildFPExt(f->b, h, lanes_of(m->t_f32, lanes), "");
        }
        v = LLVMBuildFPTrunc(f->b, v, lanes_of(m->t_f32, lanes), "");
    }
    return cg_round_to_storage(f, v, to);
}

static LLVMValueRef float_to_int(cg_func *f, LLVMValueRef v, dl_type_kind to, unsigned lanes) {
    cg_module *m = f->m;
    if (to == DL_TY_I1) {
        LLVMValueRef zero = LLVMConstNull(LLVMTypeOf(v));
        return LLVMBuildFCmp(f->b, LLVMRealUNE, v, zero, "");
    }
    LLVMTypeRef overloads[2] = {cg_lanes_type(m, to, lanes), LLVMTypeOf(v)};
    const char *name = is_signed_int(to) ? "llvm.fptosi.sat" : "llvm.fptoui.sat";
    return cg_intrinsic(f, name, overloads, 2, &v, 1);
}

static LLVMValueRef int_to_float(cg_func *f, LLVMValueRef v, dl_type_kind from, dl_type_kind to,
                                 unsigned lanes) {
    LLVMTypeRef rt = cg_lanes_type(f->m, to, lanes);
    LLVMValueRef r =
        is_signed_int(from) ? LLVMBuildSIToFP(f->b, v, rt, "") : LLVMBuildUIToFP(f->b, v, rt, "");
    return cg_round_to_storage(f, r, to);
}

static LLVMValueRef int_to_int(cg_func *f, LLVMValueRef v, dl_type_kind from, dl_type_kind to,
                               unsigned lanes) {
    if (to == DL_TY_I1) return LLVMBuildICmp(f->b, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
    LLVMTypeRef rt = cg_lanes_type(f->m, to, lanes);
    unsigned fb = bits_of(from), tb = bits_of(to);
    if (tb < fb) return LLVMBuildTrunc(f->b, v, rt, "");
    if (tb > fb)
        return is_signed_int(from) ? LLVMBuildSExt(f->b, v, rt, "")
                                   : LLVMBuildZExt(f->b, v, rt, "");
    return v;
}

LLVMValueRef cg_convert(cg_func *f, LLVMValueRef v, dl_type_kind from, dl_type_kind to,
                        unsigned lanes) {
    if (from == to) return v;
    if (is_float(from) && is_float(to)) return float_to_float(f, v, from, to, lanes);
    if (is_float(from)) return float_to_int(f, v, to, lanes);
    if (is_float(to)) return int_to_float(f, v, from, to, lanes);
    return int_to_int(f, v, from, to, lanes);
}

/* The raw bits of a register value as an integer of the type's width. */
static LLVMValueRef to_bits(cg_func *f, LLVMValueRef v, dl_type_kind kind, unsigned lanes) {
    cg_module *m = f->m;
    switch (kind) {
    case DL_TY_F16: {
        LLVMValueRef h = LLVMBuildFPTrunc(f->b, v, lanes_of(m->t_f16, lanes), "");
        return LLVMBuildBitCast(f->b, h, lanes_of(m->t_i16, lanes), "");
    }
    case DL_TY_BF16: {
        LLVMValueRef w = LLVMBuildBitCast(f->b, v, lanes_of(m->t_i32, lanes), "");
        w = LLVMBuildLShr(f->b, w, cg_splat(f, cg_i32(m, 16), lanes), "");
        return LLVMBuildTrunc(f->b, w, lanes_of(m->t_i16, lanes), "");
    }
    case DL_TY_F32: return LLVMBuildBitCast(f->b, v, lanes_of(m->t_i32, lanes), "");
    case DL_TY_F64: return LLVMBuildBitCast(f->b, v, lanes_of(m->t_i64, lanes), "");
    default: return v;
    }
}

static LLVMValueRef from_bits(cg_func *f, LLVMValueRef v, dl_type_kind kind, unsigned lanes) {
    cg_module *m = f->m;
    switch (kind) {
    case DL_TY_F16: {
        LLVMValueRef h = LLVMBuildBitCast(f->b, v, lanes_of(m->t_f16, lanes), "");
        return LLVMBuildFPExt(f->b, h, lanes_of(m->t_f32, lanes), "");
    }
    case DL_TY_BF16: {
        LLVMValueRef w = LLVMBuildZExt(f->b, v, lanes_of(m->t_i32, lanes), "");
        w = LLVMBuildShl(f->b, w, cg_splat(f, cg_i32(m, 16), lanes), "");
        return LLVMBuildBitCast(f->b, w, lanes_of(m->t_f32, lanes), "");
    }
    case DL_TY_F32: return LLVMBuildBitCast(f->b, v, lanes_of(m->t_f32, lanes), "");
    case DL_TY_F64: return LLVMBuildBitCast(f->b, v, lanes_of(m->t_f64, lanes), "");
    default: return v;
    }
}

dl_status cg_emit_arith_convert(cg_func *f, dl_op *op) {
    const dl_type *from = dl_type_elem(dl_operand(op, 0)->type);
    const dl_type *to = dl_type_elem(op->results[0].type);
    unsigned lanes = cg_lanes(op->results[0].type);
    LLVMValueRef v = cg_operand(f, op, 0), r;
    if (op->kind == DL_OP_arith_cast)
        r = cg_convert(f, v, from->kind, to->kind, lanes);
    else
        r = from_bits(f, to_bits(f, v, from->kind, lanes), to->kind, lanes);
    cg_value_map_set(f->values, &op->results[0], r);
    return DL_OK;
}
