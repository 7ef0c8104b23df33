/* types.c: IR types as LLVM types: register types (what SSA values hold) and memory types (how
 * buffer elements are stored). */
#include "codegen/cg.h"

unsigned cg_lanes(const dl_type *t) {
    return t->kind == DL_TY_VECTOR ? (unsigned)t->dims[0] : 0;
}

LLVMTypeRef cg_lanes_type(cg_module *m, dl_type_kind kind, unsigned n) {
    LLVMTypeRef s;
    switch (kind) {
    case DL_TY_F16:
    case DL_TY_BF16:
    case DL_TY_F32: s = m->t_f32; break; /* half formats are computed in f32 */
    case DL_TY_F64: s = m->t_f64; break;
    case DL_TY_I1: s = m->t_i1; break;
    case DL_TY_I8:
    case DL_TY_U8: s = m->t_i8; break;
    case DL_TY_I16:
    case DL_TY_U16: s = m->t_i16; break;
    case DL_TY_I32:
    case DL_TY_U32: s = m->t_i32; break;
    case DL_TY_I64:
    case DL_TY_U64:
    case DL_TY_INDEX: s = m->t_i64; break;
    default: DL_UNREACHABLE("not a scalar type");
    }
    return n ? LLVMVectorType(s, n) : s;
}

LLVMTypeRef cg_type(cg_module *m, const dl_type *t) {
    if (dl_type_is_scalar(t)) return cg_lanes_type(m, t->kind, 0);
    if (t->kind == DL_TY_VECTOR) return cg_lanes_type(m, t->elem->kind, cg_lanes(t));
    if (t->kind == DL_TY_MEMREF) return m->t_ptr;
    DL_UNREACHABLE("type without an LLVM register type");
}

LLVMTypeRef cg_mem_type(cg_module *m, dl_type_kind kind) {
    switch (kind) {
    case DL_TY_F16: return m->t_f16;
    case DL_TY_BF16: return m->t_i16;
    case DL_TY_I1: return m->t_i8;
    default: return cg_lanes_type(m, kind, 0);
    }
}
