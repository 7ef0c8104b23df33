/* memory.c: lowering of buffers and their accesses. A memref value is the address of its
 * element 0 before the layout offset (its "base"); element (i0, ..., in) lives at
 * base + (offset + sum(ik * stride_k)) * element size, with row-major strides when the type has
 * none. kernel.global becomes a constant global (large ones defined by the data object),
 * kernel.view a byte offset from its source's base, kernel.alloc a per-call heap buffer,
 * loop.alloca a stack buffer. */
#include "codegen/cg.h"

#include <stdlib.h>
#include <string.h>

/* Element strides of a memref type (row-major when the type has none). */
static void strides_of(const dl_type *t, int64_t *out) {
    if (t->strides) {
        memcpy(out, t->strides, sizeof(int64_t) * (size_t)t->rank);
        return;
    }
    int64_t s = 1;
    for (int k = t->rank - 1; k >= 0; k--) {
        out[k] = s;
        s *= t->dims[k];
    }
}

/* Elements spanned by a static memref from its base: offset + the largest linear index + 1. */
static int64_t span_elements(const dl_type *t) {
    if (dl_type_num_elements(t) == 0) return 0;
    int64_t strides[64], end = t->offset;
    strides_of(t, strides);
    for (int k = 0; k < t->rank; k++) end += (t->dims[k] - 1) * (strides[k] > 0 ? strides[k] : 0);
    return end + 1;
}

static dl_status check_layout(dl_op *op, const dl_type *t) {
    if (t->rank > 64) return dl_op_error(op, "memrefs of rank above 64 are not supported");
    if (!dl_type_has_static_shape(t) || t->offset == DL_DYN)
        return dl_op_error(op, "code generation needs static shapes, got %s",
                           dl_type_str(op->ctx, t));
    for (int k = 0; t->strides && k < t->rank; k++)
        if (t->strides[k] == DL_DYN)
            return dl_op_error(op, "code generation needs static strides, got %s",
                               dl_type_str(op->ctx, t));
    return DL_OK;
}

/* Linear element index (i64) of the access with index operands op[first...]; the last index is
 * offset by `lane` times the last stride. */
static LLVMValueRef linear_index(cg_func *f, dl_op *op, unsigned first, const dl_type *t,
                                 int64_t lane) {
    cg_module *m = f->m;
    int64_t strides[64];
    strides_of(t, strides);
    int64_t constant = t->offset + (t->rank > 0 ? lane * strides[t->rank - 1] : 0);
    LLVMValueRef sum = NULL;
    for (int k = 0; k < t->rank; k++) {
        if (strides[k] == 0) continue;
        LLVMValueRef idx = cg_operand(f, op, first + (unsigned)k);
        if (LLVMIsAConstantInt(idx)) {
            constant += LLVMConstIntGetSExtValue(idx) * strides[k];
            continue;
        }
        LLVMValueRef term =
            strides[k] == 1 ? idx : LLVMBuildNSWMul(f->b, idx, cg_i64(m, strides[k]), "");
        sum = sum ? LLVMBuildNSWAdd(f->b, sum, term, "") : term;
    }
    if (!sum) return cg_i64(m, constant);
    return constant ? LLVMBuildNSWAdd(f->b, sum, cg_i64(m, constant), "") : sum;
}

static LLVMValueRef element_address(cg_func *f, dl_op *op, unsigned memref_operand, int64_t lane) {
    const dl_type *t = dl_operand(op, memref_operand)->type;
    LLVMValueRef base = cg_operand(f, op, memref_operand);
    LLVMValueRef idx = linear_index(f, op, memref_operand + 1, t, lane);
    LLVMTypeRef et = cg_mem_type(f->m, t->elem->kind);
    return LLVMBuildInBoundsGEP2(f->b, et, base, &idx, 1, "addr");
}

/* Memory representation -> register representation (lanes = 0: scalar). */
static LLVMValueRef from_memory(cg_func *f, LLVMValueRef v, dl_type_kind kind, unsigned lanes) {
    cg_module *m = f->m;
    LLVMBuilderRef b = f->b;
    switch (kind) {
    case DL_TY_I1: return LLVMBuildICmp(b, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
    case DL_TY_F16: return LLVMBuildFPExt(b, v, cg_lanes_type(m, kind, lanes), "");
    case DL_TY_BF16: {
        LLVMTypeRef it = lanes ? LLVMVectorType(m->t_i32, lanes) : m->t_i32;
        LLVMValueRef w = LLVMBuildZExt(b, v, it, "");
        w = LLVMBuildShl(b, w, cg_splat(f, cg_i32(m, 16), lanes), "");
        return LLVMBuildBitCast(b, w, cg_lanes_type(m, kind, lanes), "");
    }
    default: return v;
    }
}

/* Register representation -> memory representation. */
static LLVMValueRef to_memory(cg_func *f, LLVMValueRef v, dl_type_kind kind, unsigned lanes) {
    cg_module *m = f->m;
    LLVMBuilderRef b = f->b;
    LLVMTypeRef mt = cg_mem_type(m, kind);
    if (lanes) mt = LLVMVectorType(mt, lanes);
    switch (kind) {
    case DL_TY_I1: return LLVMBuildZExt(b, v, mt, "");
    case DL_TY_F16: return LLVMBuildFPTrunc(b, v, mt, "");
    case DL_TY_BF16: {
        /* Values of bf16 type are kept rounded to bf16, so truncation is exact. */
        LLVMTypeRef it = lanes ? LLVMVectorType(m->t_i32, lanes) : m->t_i32;
        LLVMValueRef w = LLVMBuildBitCast(b, v, it, "");
        w = LLVMBuildLShr(b, w, cg_splat(f, cg_i32(m, 16), lanes), "");
        return LLVMBuildTrunc(b, w, mt, "");
    }
    default: return v;
    }
}

static void set_name(LLVMValueRef v, const dl_value *dv) {
    if (dv->name) LLVMSetValueName2(v, dv->name, strlen(dv->name));
}

/* `lanes` elements every `stride` elements from ptr (a strided last dim, 2..4): one wide
 * masked load of the span (the mask keeps it within the last element read, so that it never
 * touches memory the lane-by-lane loads would not) and a shuffle picking every stride-th
 * lane; x86 makes it two loads and a vpermt2ps. */
static LLVMValueRef strided_load(cg_func *f, LLVMTypeRef et, LLVMValueRef ptr, unsigned lanes,
                                 unsigned stride, unsigned align, const dl_value *mem) {
    cg_module *m = f->m;
    unsigned n = lanes * stride, span = (lanes - 1) * stride + 1;
    LLVMValueRef bits[256], picks[64];
    for (unsigned i = 0; i < n; i++) bits[i] = LLVMConstInt(m->t_i1, i < span, false);
    for (unsigned i = 0; i < lanes; i++) picks[i] = cg_i32(m, i * stride);
    LLVMTypeRef wide = LLVMVectorType(et, n);
    LLVMTypeRef overloads[2] = {wide, LLVMTypeOf(ptr)};
    LLVMValueRef args[4] = {ptr, cg_i32(m, align), LLVMConstVector(bits, n), LLVMGetPoison(wide)};
    LLVMValueRef v = cg_intrinsic(f, "llvm.masked.load", overloads, 2, args, 4);
    cg_alias_tag(f, v, mem);
    return LLVMBuildShuffleVector(f->b, v, LLVMGetPoison(wide), LLVMConstVector(picks, lanes), "");
}

static dl_status emit_load(cg_func *f, dl_op *op) {
    cg_module *m = f->m;
    const dl_type *mt = dl_operand(op, 0)->type, *rt = op->results[0].type;
    if (check_layout(op, mt)) return DL_FAILURE;
    dl_type_kind kind = mt->elem->kind;
    LLVMTypeRef et = cg_mem_type(m, kind);
    unsigned align = (unsigned)dl_scalar_size(kind), lanes = cg_lanes(rt);
    LLVMValueRef v;
    int64_t strides[64];
    strides_of(mt, strides);
    const dl_value *mem = dl_operand(op, 0);
    if (lanes == 0) {
        v = LLVMBuildLoad2(f->b, et, element_address(f, op, 0, 0), "");
        LLVMSetAlignment(v, align);
        cg_alias_tag(f, v, mem);
    } else if (mt->rank > 0 && strides[mt->rank - 1] == 1) {
        v = LLVMBuildLoad2(f->b, LLVMVectorType(et, lanes), element_address(f, op, 0, 0), "");
        LLVMSetAlignment(v, align);
        cg_alias_tag(f, v, mem);
    } else if (mt->rank > 0 && strides[mt->rank - 1] >= 2 && strides[mt->rank - 1] <= 4 &&
               lanes >= 4 && lanes * strides[mt->rank - 1] <= 64 && kind != DL_TY_I1) {
        v = strided_load(f, et, element_address(f, op, 0, 0), lanes,
                         (unsigned)strides[mt->rank - 1], align, mem);
    } else {
        /* Lanes along a strided (or broadcast) last dimension: one load per lane. */
        v = LLVMGetPoison(LLVMVectorType(et, lanes));
        for (unsigned l = 0; l < lanes; l++) {
            LLVMValueRef e = LLVMBuildLoad2(f->b, et, element_address(f, op, 0, l), "");
            LLVMSetAlignment(e, align);
            cg_alias_tag(f, e, mem);
            v = LLVMBuildInsertElement(f->b, v, e, cg_i32(m, l), "");
        }
    }
    v = from_memory(f, v, kind, lanes);
    set_name(v, &op->results[0]);
    cg_value_map_set(f->values, &op->results[0], v);
    return DL_OK;
}

static dl_status emit_store(cg_func *f, dl_op *op) {
    cg_module *m = f->m;
    const dl_type *mt = dl_operand(op, 1)->type, *vt = dl_operand(op, 0)->type;
    if (check_layout(op, mt)) return DL_FAILURE;
    dl_type_kind kind = mt->elem->kind;
    unsigned align = (unsigned)dl_scalar_size(kind), lanes = cg_lanes(vt);
    LLVMValueRef v = to_memory(f, cg_operand(f, op, 0), kind, lanes);
    int64_t strides[64];
    strides_of(mt, strides);
    const dl_value *mem = dl_operand(op, 1);
    if (lanes == 0 || (mt->rank > 0 && strides[mt->rank - 1] == 1)) {
        LLVMValueRef st = LLVMBuildStore(f->b, v, element_address(f, op, 1, 0));
        LLVMSetAlignment(st, align);
        cg_alias_tag(f, st, mem);
        return DL_OK;
    }
    for (unsigned l = 0; l < lanes; l++) {
        LLVMValueRef e = LLVMBuildExtractElement(f->b, v, cg_i32(m, l), "");
        LLVMValueRef st = LLVMBuildStore(f->b, e, element_address(f, op, 1, l));
        LLVMSetAlignment(st, align);
        cg_alias_tag(f, st, mem);
    }
    return DL_OK;
}

/* A large constant of an object or library: an external hidden constant whose bytes the data
 * object defines (written later straight from the attribute's buffer). */
static LLVMValueRef external_constant(cg_module *m, const char *name, const dl_attr *v,
                                      size_t bytes, size_t esize) {
    LLVMValueRef g = LLVMAddGlobal(m->mod, LLVMArrayType2(m->t_i8, bytes), name);
    LLVMSetGlobalConstant(g, true);
    LLVMSetLinkage(g, LLVMExternalLinkage);
    LLVMSetVisibility(g, LLVMHiddenVisibility);
    size_t len;
    const char *symbol = LLVMGetValueName2(g, &len); /* LLVM may have made the name unique */
    cg_module_add_data(m, (cg_data_block){.symbol = dl_sprintf(m->ctx, "%.*s", (int)len, symbol),
                                          .data = v->u.dense.data,
                                          .size = bytes,
                                          .unit = v->u.dense.splat ? (uint32_t)esize : 0});
    return g;
}

/* A constant as an LLVM initializer (splats expanded). */
static LLVMValueRef inline_constant(cg_module *m, dl_op *op, const char *name, const dl_attr *v,
                                    size_t bytes, size_t esize) {
    LLVMValueRef init;
    if (v->u.dense.splat && bytes > esize) {
        char *data = malloc(bytes);
        if (!data) {
            dl_op_error(op, "out of memory expanding a splat constant");
            return NULL;
        }
        for (size_t i = 0; i < bytes; i += esize) memcpy(data + i, v->u.dense.data, esize);
        init = LLVMConstStringInContext2(m->llctx, data, bytes, true);
        free(data);
    } else {
        init = LLVMConstStringInContext2(m->llctx, v->u.dense.data, bytes, true);
    }
    LLVMValueRef g = LLVMAddGlobal(m->mod, LLVMTypeOf(init), name);
    LLVMSetInitializer(g, init);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
    return g;
}

/* Whether every element has the same bytes: splats, and data such as a LayerNorm's ones and
 * zeros (the overlapping compare stops at the first difference). */
static bool is_uniform(const dl_attr *v, size_t bytes, size_t esize) {
    const char *data = v->u.dense.data;
    return v->u.dense.splat || bytes <= esize || memcmp(data, data + esize, bytes - esize) == 0;
}

/* kernel.global: a 64-byte aligned read-only global (one per op, shared by every function that
 * uses it): in the data object when large (m->external_data), else an LLVM constant. Uniform
 * constants stay LLVM constants up to a size, since LLVM folds them (x * 1 + 0 disappears). */
static dl_status emit_global(cg_func *f, dl_op *op) {
    cg_module *m = f->m;
    dl_value *r = &op->results[0];
    LLVMValueRef g = cg_value_map_get(m->globals, r);
    if (!g) {
        const dl_attr *v = dl_op_attr(op, "value");
        const dl_type *t = r->type;
        size_t esize = dl_scalar_size(t->elem->kind);
        size_t bytes = (size_t)dl_type_num_elements(t) * esize;
        bool external = m->external_data && bytes >= CG_EXTERNAL_DATA_MIN_BYTES &&
                        !(is_uniform(v, bytes, esize) && bytes <= CG_INLINE_UNIFORM_MAX_BYTES);
        const char *name = r->name ? dl_sprintf(m->ctx, "%s.%s.%s", m->name,
                                                external ? "weight" : "const", r->name)
                                   : cg_private_name(m, external ? "weight" : "const");
        g = external ? external_constant(m, name, v, bytes, esize)
                     : inline_constant(m, op, name, v, bytes, esize);
        if (!g) return DL_FAILURE;
        LLVMSetGlobalConstant(g, true);
        LLVMSetAlignment(g, 64);
        cg_value_map_set(m->globals, r, g);
    }
    cg_value_map_set(f->values, r, g);
    return DL_OK;
}

/* kernel.view: the source's base moved by `offset` bytes. */
static dl_status emit_view(cg_func *f, dl_op *op) {
    LLVMValueRef src = cg_operand(f, op, 0);
    int64_t off = dl_op_attr_int(op, "offset", 0);
    LLVMValueRef v = src;
    if (off != 0) {
        LLVMValueRef idx = cg_i64(f->m, off);
        v = LLVMBuildInBoundsGEP2(f->b, f->m->t_i8, src, &idx, 1, "view");
        set_name(v, &op->results[0]);
    }
    cg_value_map_set(f->values, &op->results[0], v);
    return DL_OK;
}

/* kernel.alloc (memory not planned): a heap buffer per call, freed when the function exits. */
static dl_status emit_alloc(cg_func *f, dl_op *op) {
    cg_module *m = f->m;
    const dl_type *t = op->results[0].type;
    if (check_layout(op, t)) return DL_FAILURE;
    if (f->fn != m->impl || dl_op_parent(op) != m->sig->func)
        return dl_op_error(op, "kernel.alloc must be at the top level of the function (run "
                               "plan-memory, or hoist it out of loops)");
    int64_t bytes = span_elements(t) * (int64_t)dl_scalar_size(t->elem->kind);
    LLVMValueRef slot = cg_func_add_free_slot(f, "alloc.slot");
    LLVMTypeRef params[2] = {m->t_ptr, m->t_i64};
    LLVMValueRef args[2] = {f->error_name, cg_i64(m, bytes)};
    LLVMValueRef p =
        cg_call(f, "dlcc_alloc", LLVMFunctionType(m->t_ptr, params, 2, false), args, 2);
    set_name(p, &op->results[0]);
    LLVMBuildStore(f->b, p, slot);
    LLVMValueRef null = LLVMBuildIsNull(f->b, p, "");
    cg_check_status(
        f, LLVMBuildSelect(f->b, null, cg_i32(m, -11 /* out of memory */), cg_i32(m, 0), ""));
    cg_value_map_set(f->values, &op->results[0], p);
    return DL_OK;
}

/* loop.alloca: a stack buffer in the entry block of the function being generated. */
static dl_status emit_alloca(cg_func *f, dl_op *op) {
    cg_module *m = f->m;
    const dl_type *t = op->results[0].type;
    if (check_layout(op, t)) return DL_FAILURE;
    int64_t n = span_elements(t);
    if (n * (int64_t)dl_scalar_size(t->elem->kind) > (1 << 20))
        return dl_op_error(op, "loop.alloca of more than 1 MiB does not fit on the stack");
    LLVMTypeRef at = LLVMArrayType2(cg_mem_type(m, t->elem->kind), (uint64_t)(n ? n : 1));
    LLVMValueRef a = cg_entry_alloca(f, at, op->results[0].name ? op->results[0].name : "");
    LLVMSetAlignment(a, 64);
    cg_value_map_set(f->values, &op->results[0], a);
    return DL_OK;
}

dl_status cg_emit_memory_op(cg_func *f, dl_op *op) {
    switch (op->kind) {
    case DL_OP_kernel_global: return emit_global(f, op);
    case DL_OP_kernel_view: return emit_view(f, op);
    case DL_OP_kernel_alloc: return emit_alloc(f, op);
    case DL_OP_loop_alloca: return emit_alloca(f, op);
    case DL_OP_loop_load: return emit_load(f, op);
    case DL_OP_loop_store: return emit_store(f, op);
    default: DL_UNREACHABLE("not a memory op");
    }
}
