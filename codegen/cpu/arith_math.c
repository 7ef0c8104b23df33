/* arith_math.c: lowering of the arith dialect's math functions. exp, log, tanh and erf on
 * f32 (and f16/bf16, computed in f32) are inline IR that vectorises (math_f32.c); otherwise
 * LLVM intrinsics where LLVM has them (sqrt, exp, log, sin, cos, floor, ceil, round =
 * roundeven, pow, fma) and libm where it has not (tanh, erf, tan, asin, ..., atan2: the model
 * library may depend on libm), called lane by lane on vectors. f16/bf16 results are rounded to
 * their precision. */
#include "codegen/cg.h"

#include <string.h>

static const char *intrinsic_name(dl_op_kind k) {
    switch (k) {
    case DL_OP_arith_sqrt: return "llvm.sqrt";
    case DL_OP_arith_exp: return "llvm.exp";
    case DL_OP_arith_log: return "llvm.log";
    case DL_OP_arith_sin: return "llvm.sin";
    case DL_OP_arith_cos: return "llvm.cos";
    case DL_OP_arith_floor: return "llvm.floor";
    case DL_OP_arith_ceil: return "llvm.ceil";
    case DL_OP_arith_round: return "llvm.roundeven";
    case DL_OP_arith_pow: return "llvm.pow";
    case DL_OP_arith_fma: return "llvm.fma";
    default: return NULL;
    }
}

/* The libm name for the double version (the float version appends 'f'). */
static const char *libm_name(dl_op_kind k) {
    switch (k) {
    case DL_OP_arith_tanh: return "tanh";
    case DL_OP_arith_erf: return "erf";
    case DL_OP_arith_tan: return "tan";
    case DL_OP_arith_asin: return "asin";
    case DL_OP_arith_acos: return "acos";
    case DL_OP_arith_atan: return "atan";
    case DL_OP_arith_sinh: return "sinh";
    case DL_OP_arith_cosh: return "cosh";
    case DL_OP_arith_asinh: return "asinh";
    case DL_OP_arith_acosh: return "acosh";
    case DL_OP_arith_atanh: return "atanh";
    case DL_OP_arith_atan2: return "atan2";
    default: return NULL;
    }
}

/* Declares a libm function that only reads its arguments (no errno), so LLVM may hoist it. */
static LLVMValueRef declare_libm(cg_module *m, const char *name, LLVMTypeRef scalar, unsigned nargs,
                                 LLVMTypeRef *fty) {
    LLVMTypeRef params[2] = {scalar, scalar};
    *fty = LLVMFunctionType(scalar, params, nargs, false);
    LLVMValueRef fn = LLVMGetNamedFunction(m->mod, name);
    if (fn) return fn;
    fn = LLVMAddFunction(m->mod, name, *fty);
    static const char *const attrs[] = {"nounwind", "willreturn", "nosync"};
    for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++) {
        unsigned id = LLVMGetEnumAttributeKindForName(attrs[i], strlen(attrs[i]));
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                LLVMCreateEnumAttribute(m->llctx, id, 0));
    }
    unsigned mem = LLVMGetEnumAttributeKindForName("memory", 6);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                            LLVMCreateEnumAttribute(m->llctx, mem, 0 /* memory(none) */));
    return fn;
}

/* libm call on scalars or lane by lane on vectors. */
static LLVMValueRef call_libm(cg_func *f, const char *base, LLVMValueRef *args, unsigned nargs) {
    cg_module *m = f->m;
    LLVMTypeRef t = LLVMTypeOf(args[0]);
    bool vec = LLVMGetTypeKind(t) == LLVMVectorTypeKind;
    LLVMTypeRef scalar = vec ? LLVMGetElementType(t) : t;
    const char *name = scalar == m->t_f32 ? dl_sprintf(m->ctx, "%sf", base) : base;
    LLVMTypeRef fty;
    LLVMValueRef fn = declare_libm(m, name, scalar, nargs, &fty);
    if (!vec) return LLVMBuildCall2(f->b, fty, fn, args, nargs, "");
    LLVMValueRef r = LLVMGetPoison(t);
    for (unsigned l = 0; l < LLVMGetVectorSize(t); l++) {
        LLVMValueRef lane[2];
        for (unsigned i = 0; i < nargs; i++)
            lane[i] = LLVMBuildExtractElement(f->b, args[i], cg_i32(m, l), "");
        LLVMValueRef x = LLVMBuildCall2(f->b, fty, fn, lane, nargs, "");
        r = LLVMBuildInsertElement(f->b, r, x, cg_i32(m, l), "");
    }
    return r;
}

dl_status cg_emit_arith_math(cg_func *f, dl_op *op) {
    const dl_type *t = op->results[0].type;
    dl_type_kind kind = dl_type_elem(t)->kind;
    if (!dl_type_is_float(dl_type_elem(t)))
        return dl_op_error(op, "'%s' needs a floating-point type", dl_op_info_of(op)->name);
    LLVMValueRef args[3];
    for (unsigned i = 0; i < op->num_operands && i < 3; i++) args[i] = cg_operand(f, op, i);
    LLVMValueRef r;
    const char *name;
    bool f32 = kind != DL_TY_F64;
    if (f32 && op->kind == DL_OP_arith_exp)
        r = cg_exp_f32(f, args[0]);
    else if (f32 && op->kind == DL_OP_arith_log)
        r = cg_log_f32(f, args[0]);
    else if (f32 && op->kind == DL_OP_arith_tanh)
        r = cg_tanh_f32(f, args[0]);
    else if (f32 && op->kind == DL_OP_arith_erf)
        r = cg_erf_f32(f, args[0]);
    else if ((name = intrinsic_name(op->kind)))
        r = cg_intrinsic1(f, name, args, op->num_operands);
    else if ((name = libm_name(op->kind)))
        r = call_libm(f, name, args, op->num_operands);
    else
        return dl_op_error(op, "'%s' has no code generation", dl_op_info_of(op)->name);
    r = cg_round_to_storage(f, r, kind);
    cg_value_map_set(f->values, &op->results[0], r);
    return DL_OK;
}
