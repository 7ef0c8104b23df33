/* intrinsics.c: small LLVM building helpers shared by the lowering: intrinsic and library
 * calls, constants, strings, splats, allocas and the rounding of half-precision values. */
#include "codegen/cg.h"

#include <string.h>

LLVMValueRef cg_intrinsic(cg_func *f, const char *name, LLVMTypeRef *overloads,
                          unsigned num_overloads, LLVMValueRef *args, unsigned num_args) {
    cg_module *m = f->m;
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    DL_ASSERT(id != 0 && "unknown LLVM intrinsic");
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(m->mod, id, overloads, num_overloads);
    LLVMTypeRef fty = LLVMIntrinsicGetType(m->llctx, id, overloads, num_overloads);
    return LLVMBuildCall2(f->b, fty, fn, args, num_args, "");
}

LLVMValueRef cg_intrinsic1(cg_func *f, const char *name, LLVMValueRef *args, unsigned num_args) {
    LLVMTypeRef t = LLVMTypeOf(args[0]);
    return cg_intrinsic(f, name, &t, 1, args, num_args);
}

LLVMValueRef cg_declare(cg_module *m, const char *name, LLVMTypeRef fn_type) {
    LLVMValueRef fn = LLVMGetNamedFunction(m->mod, name);
    if (!fn) fn = LLVMAddFunction(m->mod, name, fn_type);
    return fn;
}

LLVMValueRef cg_call(cg_func *f, const char *name, LLVMTypeRef fn_type, LLVMValueRef *args,
                     unsigned num_args) {
    LLVMValueRef fn = cg_declare(f->m, name, fn_type);
    return LLVMBuildCall2(f->b, fn_type, fn, args, num_args, "");
}

LLVMValueRef cg_i32(cg_module *m, int64_t v) {
    return LLVMConstInt(m->t_i32, (unsigned long long)v, true);
}

LLVMValueRef cg_i64(cg_module *m, int64_t v) {
    return LLVMConstInt(m->t_i64, (unsigned long long)v, true);
}

LLVMValueRef cg_cstring(cg_module *m, const char *s) {
    LLVMValueRef init = LLVMConstStringInContext2(m->llctx, s, strlen(s), false);
    LLVMValueRef g = LLVMAddGlobal(m->mod, LLVMTypeOf(init), cg_private_name(m, "str"));
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, true);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
    LLVMSetAlignment(g, 1);
    return g;
}

const char *cg_private_name(cg_module *m, const char *prefix) {
    return dl_sprintf(m->ctx, "%s.%s.%u", m->name, prefix, m->num_globals++);
}

LLVMValueRef cg_splat(cg_func *f, LLVMValueRef scalar, unsigned n) {
    if (n == 0) return scalar;
    cg_module *m = f->m;
    LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(scalar), n);
    LLVMValueRef v = LLVMBuildInsertElement(f->b, LLVMGetPoison(vt), scalar, cg_i32(m, 0), "");
    LLVMValueRef mask = LLVMConstNull(LLVMVectorType(m->t_i32, n));
    return LLVMBuildShuffleVector(f->b, v, LLVMGetPoison(vt), mask, "splat");
}

/* Rounds f32 lanes to bfloat16 precision, ties to even, keeping NaNs NaN (integer ops only, so
 * no library call is needed on any target). */
static LLVMValueRef round_bf16(cg_func *f, LLVMValueRef v) {
    cg_module *m = f->m;
    LLVMTypeRef ft = LLVMTypeOf(v);
    unsigned n = LLVMGetTypeKind(ft) == LLVMVectorTypeKind ? LLVMGetVectorSize(ft) : 0;
    LLVMTypeRef it = n ? LLVMVectorType(m->t_i32, n) : m->t_i32;
    LLVMBuilderRef b = f->b;
    LLVMValueRef bits = LLVMBuildBitCast(b, v, it, "");
    LLVMValueRef lsb = LLVMBuildAnd(b, LLVMBuildLShr(b, bits, cg_splat(f, cg_i32(m, 16), n), ""),
                                    cg_splat(f, cg_i32(m, 1), n), "");
    LLVMValueRef bias = LLVMBuildAdd(b, lsb, cg_splat(f, cg_i32(m, 0x7fff), n), "");
    LLVMValueRef rounded = LLVMBuildAnd(b, LLVMBuildAdd(b, bits, bias, ""),
                                        cg_splat(f, cg_i32(m, (int32_t)0xffff0000), n), "");
    LLVMValueRef quiet =
        LLVMBuildAnd(b, LLVMBuildOr(b, bits, cg_splat(f, cg_i32(m, 0x400000), n), ""),
                     cg_splat(f, cg_i32(m, (int32_t)0xffff0000), n), "");
    LLVMValueRef is_nan = LLVMBuildFCmp(b, LLVMRealUNO, v, v, "");
    LLVMValueRef r = LLVMBuildSelect(b, is_nan, quiet, rounded, "");
    return LLVMBuildBitCast(b, r, ft, "bf16");
}

LLVMValueRef cg_round_to_storage(cg_func *f, LLVMValueRef v, dl_type_kind kind) {
    if (kind == DL_TY_BF16) return round_bf16(f, v);
    if (kind != DL_TY_F16) return v;
    cg_module *m = f->m;
    LLVMTypeRef ft = LLVMTypeOf(v);
    unsigned n = LLVMGetTypeKind(ft) == LLVMVectorTypeKind ? LLVMGetVectorSize(ft) : 0;
    LLVMTypeRef ht = n ? LLVMVectorType(m->t_f16, n) : m->t_f16;
    LLVMValueRef h = LLVMBuildFPTrunc(f->b, v, ht, "");
    return LLVMBuildFPExt(f->b, h, ft, "f16");
}

LLVMValueRef cg_entry_alloca(cg_func *f, LLVMTypeRef t, const char *name) {
    LLVMBuilderRef b = LLVMCreateBuilderInContext(f->m->llctx);
    LLVMValueRef term = LLVMGetBasicBlockTerminator(f->entry);
    if (term)
        LLVMPositionBuilderBefore(b, term);
    else
        LLVMPositionBuilderAtEnd(b, f->entry);
    LLVMValueRef a = LLVMBuildAlloca(b, t, name);
    LLVMDisposeBuilder(b);
    return a;
}
