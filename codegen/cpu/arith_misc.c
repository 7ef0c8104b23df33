/* arith_misc.c: lowering of arith constants, comparisons (ordered float predicates except `ne`,
 * which is true for NaN as in numpy), select, isnan/isinf, and the vector ops broadcast and
 * reduce (add, mul, max, min; float max/min propagate NaN). */
#include "codegen/cg.h"

#include <math.h>
#include <string.h>

static LLVMValueRef emit_constant(cg_func *f, dl_op *op) {
    cg_module *m = f->m;
    const dl_type *t = op->results[0].type;
    dl_type_kind kind = dl_type_elem(t)->kind;
    const dl_attr *v = dl_op_attr(op, "value");
    LLVMTypeRef st = cg_lanes_type(m, kind, 0);
    LLVMValueRef c;
    if (dl_type_is_float(dl_type_elem(t))) {
        double x = v->kind == DL_ATTR_FLOAT ? v->u.f : (double)v->u.i;
        if (kind == DL_TY_F16) x = dl_f16_to_f32(dl_f32_to_f16((float)x));
        if (kind == DL_TY_BF16) x = dl_bf16_to_f32(dl_f32_to_bf16((float)x));
        if (kind == DL_TY_F32) x = (float)x;
        c = LLVMConstReal(st, x);
    } else {
        int64_t x = v->kind == DL_ATTR_INT ? v->u.i : (int64_t)v->u.f;
        c = LLVMConstInt(st, (unsigned long long)x, true);
    }
    unsigned lanes = cg_lanes(t);
    if (!lanes) return c;
    LLVMValueRef elems[1024];
    if (lanes > 1024) return cg_splat(f, c, lanes);
    for (unsigned i = 0; i < lanes; i++) elems[i] = c;
    return LLVMConstVector(elems, lanes);
}

static LLVMValueRef emit_cmp(cg_func *f, dl_op *op) {
    static const char *const preds[] = {"eq", "ne", "lt", "le", "gt", "ge"};
    static const LLVMRealPredicate fp[] = {LLVMRealOEQ, LLVMRealUNE, LLVMRealOLT,
                                           LLVMRealOLE, LLVMRealOGT, LLVMRealOGE};
    static const LLVMIntPredicate sp[] = {LLVMIntEQ,  LLVMIntNE,  LLVMIntSLT,
                                          LLVMIntSLE, LLVMIntSGT, LLVMIntSGE};
    static const LLVMIntPredicate up[] = {LLVMIntEQ,  LLVMIntNE,  LLVMIntULT,
                                          LLVMIntULE, LLVMIntUGT, LLVMIntUGE};
    const char *pred = dl_op_attr_str(op, "pred", "eq");
    unsigned p = 0;
    while (p < 5 && strcmp(pred, preds[p]) != 0) p++;
    const dl_type *e = dl_type_elem(dl_operand(op, 0)->type);
    LLVMValueRef a = cg_operand(f, op, 0), b = cg_operand(f, op, 1);
    if (dl_type_is_float(e)) return LLVMBuildFCmp(f->b, fp[p], a, b, "");
    bool is_unsigned = dl_type_is_unsigned(e) || e->kind == DL_TY_I1;
    return LLVMBuildICmp(f->b, is_unsigned ? up[p] : sp[p], a, b, "");
}

static LLVMValueRef emit_reduce(cg_func *f, dl_op *op) {
    cg_module *m = f->m;
    const dl_type *e = op->results[0].type;
    const char *kind = dl_op_attr_str(op, "kind", "add");
    LLVMValueRef v = cg_operand(f, op, 0);
    if (dl_type_is_float(e)) {
        LLVMTypeRef st = cg_lanes_type(m, e->kind, 0);
        LLVMValueRef r;
        if (strcmp(kind, "add") == 0 || strcmp(kind, "mul") == 0) {
            bool add = kind[0] == 'a';
            LLVMValueRef args[2] = {LLVMConstReal(st, add ? -0.0 : 1.0), v};
            LLVMTypeRef vt = LLVMTypeOf(v); /* overloaded on the vector type only */
            r = cg_intrinsic(f, add ? "llvm.vector.reduce.fadd" : "llvm.vector.reduce.fmul", &vt, 1,
                             args, 2);
            LLVMSetFastMathFlags(r, LLVMFastMathAllowReassoc);
        } else {
            bool max = strcmp(kind, "max") == 0;
            r = cg_intrinsic1(
                f, max ? "llvm.vector.reduce.fmaximum" : "llvm.vector.reduce.fminimum", &v, 1);
        }
        return cg_round_to_storage(f, r, e->kind);
    }
    bool is_unsigned = dl_type_is_unsigned(e) || e->kind == DL_TY_I1;
    const char *name = strcmp(kind, "add") == 0   ? "llvm.vector.reduce.add"
                       : strcmp(kind, "mul") == 0 ? "llvm.vector.reduce.mul"
                       : strcmp(kind, "max") == 0
                           ? (is_unsigned ? "llvm.vector.reduce.umax" : "llvm.vector.reduce.smax")
                           : (is_unsigned ? "llvm.vector.reduce.umin" : "llvm.vector.reduce.smin");
    return cg_intrinsic1(f, name, &v, 1);
}

dl_status cg_emit_arith_misc(cg_func *f, dl_op *op) {
    LLVMValueRef r;
    switch (op->kind) {
    case DL_OP_arith_constant: r = emit_constant(f, op); break;
    case DL_OP_arith_cmp: r = emit_cmp(f, op); break;
    case DL_OP_arith_select:
        r = LLVMBuildSelect(f->b, cg_operand(f, op, 0), cg_operand(f, op, 1), cg_operand(f, op, 2),
                            "");
        break;
    case DL_OP_arith_isnan: {
        LLVMValueRef v = cg_operand(f, op, 0);
        r = LLVMBuildFCmp(f->b, LLVMRealUNO, v, v, "");
        break;
    }
    case DL_OP_arith_isinf: {
        LLVMValueRef v = cg_operand(f, op, 0);
        LLVMValueRef a = cg_intrinsic1(f, "llvm.fabs", &v, 1);
        LLVMTypeRef t = LLVMTypeOf(v);
        bool vec = LLVMGetTypeKind(t) == LLVMVectorTypeKind;
        LLVMValueRef inf = LLVMConstReal(vec ? LLVMGetElementType(t) : t, INFINITY);
        r = LLVMBuildFCmp(f->b, LLVMRealOEQ, a, cg_splat(f, inf, vec ? LLVMGetVectorSize(t) : 0),
                          "");
        break;
    }
    case DL_OP_arith_broadcast:
        r = cg_splat(f, cg_operand(f, op, 0), cg_lanes(op->results[0].type));
        break;
    case DL_OP_arith_reduce: r = emit_reduce(f, op); break;
    default: DL_UNREACHABLE("not a misc arith op");
    }
    cg_value_map_set(f->values, &op->results[0], r);
    return DL_OK;
}
