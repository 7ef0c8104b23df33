/* metadata.c: the read-only descriptions a compiled model carries: the dlcc_tensor_info arrays
 * (also used by the buffer checks), Halide's halide_filter_metadata_t with NAME_metadata(), and
 * the dlcc_model_info `NAME_model` with its weak alias `dlcc_model` (include/dlcc/runtime.h). */
#include "HalideRuntime.h"
#include "codegen/cg.h"
#include "dlcc/runtime.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static LLVMValueRef const_global(cg_module *m, LLVMValueRef init, const char *name,
                                 LLVMLinkage linkage) {
    LLVMValueRef g = LLVMAddGlobal(m->mod, LLVMTypeOf(init), name);
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, true);
    LLVMSetLinkage(g, linkage);
    if (linkage == LLVMPrivateLinkage) LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
    return g;
}

static LLVMValueRef i64_array(cg_module *m, const int64_t *v, unsigned n) {
    LLVMValueRef *elems = calloc(n + 1, sizeof(LLVMValueRef));
    for (unsigned i = 0; i < n; i++) elems[i] = cg_i64(m, v[i]);
    LLVMValueRef a = LLVMConstArray2(m->t_i64, elems, n);
    free(elems);
    return const_global(m, a, cg_private_name(m, "dims"), LLVMPrivateLinkage);
}

/* Asserts that LLVM lays out `ty` like the C structure (field k at offsets[k]). */
static void check_layout(cg_module *m, LLVMTypeRef ty, const size_t *offsets, unsigned n,
                         size_t size) {
    for (unsigned k = 0; k < n; k++) DL_ASSERT(LLVMOffsetOfElement(m->td, ty, k) == offsets[k]);
    DL_ASSERT(LLVMABISizeOfType(m->td, ty) == size);
}

/* struct dlcc_tensor_info { ptr name; i32 elem_type, rank; ptr dims; i64 num_elements,
 * elem_bytes; } */
static LLVMTypeRef tensor_info_type(cg_module *m) {
    LLVMTypeRef fields[6] = {m->t_ptr, m->t_i32, m->t_i32, m->t_ptr, m->t_i64, m->t_i64};
    LLVMTypeRef ty = LLVMStructTypeInContext(m->llctx, fields, 6, false);
    static const size_t offsets[6] = {
        offsetof(dlcc_tensor_info, name),         offsetof(dlcc_tensor_info, elem_type),
        offsetof(dlcc_tensor_info, rank),         offsetof(dlcc_tensor_info, dims),
        offsetof(dlcc_tensor_info, num_elements), offsetof(dlcc_tensor_info, elem_bytes)};
    check_layout(m, ty, offsets, 6, sizeof(dlcc_tensor_info));
    return ty;
}

static LLVMValueRef tensor_infos(cg_module *m, const cg_tensor *ts, unsigned n, const char *what) {
    LLVMTypeRef ty = tensor_info_type(m);
    LLVMValueRef *elems = calloc(n + 1, sizeof(LLVMValueRef));
    for (unsigned i = 0; i < n; i++) {
        const dl_type *t = ts[i].type;
        LLVMValueRef fields[6] = {cg_cstring(m, ts[i].name),
                                  cg_i32(m, ts[i].onnx_type),
                                  cg_i32(m, t->rank),
                                  i64_array(m, t->dims, (unsigned)t->rank),
                                  cg_i64(m, ts[i].num_elements),
                                  cg_i64(m, ts[i].elem_bytes)};
        elems[i] = LLVMConstNamedStruct(ty, fields, 6);
    }
    LLVMValueRef a = LLVMConstArray2(ty, elems, n);
    free(elems);
    return const_global(m, a, dl_sprintf(m->ctx, "%s.%s", m->name, what), LLVMPrivateLinkage);
}

void cg_emit_tensor_infos(cg_module *m) {
    m->tensor_infos_in = tensor_infos(m, m->sig->inputs, m->sig->num_inputs, "inputs");
    m->tensor_infos_out = tensor_infos(m, m->sig->outputs, m->sig->num_outputs, "outputs");
}

/* halide_type_t of an element type: {u8 code, u8 bits, u16 lanes}. */
static LLVMValueRef halide_type(cg_module *m, LLVMTypeRef ty, dl_type_kind kind) {
    uint8_t code = kind == DL_TY_BF16  ? halide_type_bfloat
                   : kind <= DL_TY_F64 ? halide_type_float
                   : dl_type_is_unsigned(dl_type_scalar(m->ctx, kind)) || kind == DL_TY_I1
                       ? halide_type_uint
                       : halide_type_int;
    unsigned bits = kind == DL_TY_INDEX ? 64 : dl_scalar_bits(kind);
    LLVMValueRef f[3] = {LLVMConstInt(m->t_i8, code, false), LLVMConstInt(m->t_i8, bits, false),
                         LLVMConstInt(m->t_i16, 1, false)};
    return LLVMConstNamedStruct(ty, f, 3);
}

/* Per-dimension (min, extent) estimates in Halide order: 2 * rank pointers to i64 values. */
static LLVMValueRef buffer_estimates(cg_module *m, const dl_type *t) {
    unsigned n = 2 * (unsigned)t->rank;
    if (n == 0) return LLVMConstNull(m->t_ptr);
    int64_t *v = calloc(n, sizeof(int64_t));
    for (int d = 0; d < t->rank; d++) v[2 * d + 1] = t->dims[t->rank - 1 - d];
    LLVMValueRef values = i64_array(m, v, n);
    free(v);
    LLVMValueRef *ptrs = calloc(n, sizeof(LLVMValueRef));
    for (unsigned i = 0; i < n; i++) {
        LLVMValueRef idx[2] = {cg_i64(m, 0), cg_i64(m, i)};
        ptrs[i] = LLVMConstInBoundsGEP2(LLVMGlobalGetValueType(values), values, idx, 2);
    }
    LLVMValueRef a = LLVMConstArray2(m->t_ptr, ptrs, n);
    free(ptrs);
    return const_global(m, a, cg_private_name(m, "estimates"), LLVMPrivateLinkage);
}

/* The halide_filter_metadata_t global and `const halide_filter_metadata_t *NAME_metadata()`. */
static LLVMValueRef emit_halide_metadata(cg_module *m) {
    const cg_signature *sig = m->sig;
    LLVMTypeRef type_ty =
        LLVMStructTypeInContext(m->llctx, (LLVMTypeRef[]){m->t_i8, m->t_i8, m->t_i16}, 3, false);
    LLVMTypeRef arg_fields[9] = {m->t_ptr, m->t_i32, m->t_i32, type_ty, m->t_ptr,
                                 m->t_ptr, m->t_ptr, m->t_ptr, m->t_ptr};
    LLVMTypeRef arg_ty = LLVMStructTypeInContext(m->llctx, arg_fields, 9, false);
    static const size_t arg_offsets[9] = {
        offsetof(struct halide_filter_argument_t, name),
        offsetof(struct halide_filter_argument_t, kind),
        offsetof(struct halide_filter_argument_t, dimensions),
        offsetof(struct halide_filter_argument_t, type),
        offsetof(struct halide_filter_argument_t, scalar_def),
        offsetof(struct halide_filter_argument_t, scalar_min),
        offsetof(struct halide_filter_argument_t, scalar_max),
        offsetof(struct halide_filter_argument_t, scalar_estimate),
        offsetof(struct halide_filter_argument_t, buffer_estimates)};
    check_layout(m, arg_ty, arg_offsets, 9, sizeof(struct halide_filter_argument_t));
    unsigned n = sig->num_inputs + sig->num_outputs;
    LLVMValueRef *args = calloc(n + 1, sizeof(LLVMValueRef));
    for (unsigned i = 0; i < n; i++) {
        bool out = i >= sig->num_inputs;
        const cg_tensor *t = out ? &sig->outputs[i - sig->num_inputs] : &sig->inputs[i];
        LLVMValueRef null = LLVMConstNull(m->t_ptr);
        LLVMValueRef f[9] = {
            cg_cstring(m, t->name),
            cg_i32(m, out ? halide_argument_kind_output_buffer : halide_argument_kind_input_buffer),
            cg_i32(m, t->type->rank),
            halide_type(m, type_ty, t->type->elem->kind),
            null,
            null,
            null,
            null,
            buffer_estimates(m, t->type)};
        args[i] = LLVMConstNamedStruct(arg_ty, f, 9);
    }
    LLVMValueRef arg_array = const_global(m, LLVMConstArray2(arg_ty, args, n),
                                          cg_private_name(m, "arguments"), LLVMPrivateLinkage);
    free(args);
    LLVMTypeRef md_fields[5] = {m->t_i32, m->t_i32, m->t_ptr, m->t_ptr, m->t_ptr};
    LLVMTypeRef md_ty = LLVMStructTypeInContext(m->llctx, md_fields, 5, false);
    LLVMValueRef md_vals[5] = {cg_i32(m, 1), cg_i32(m, n), arg_array,
                               cg_cstring(m, m->target->halide_target), m->name_string};
    LLVMValueRef md = const_global(m, LLVMConstNamedStruct(md_ty, md_vals, 5),
                                   cg_private_name(m, "metadata"), LLVMPrivateLinkage);

    LLVMValueRef fn = LLVMAddFunction(m->mod, dl_sprintf(m->ctx, "%s_metadata", m->name),
                                      LLVMFunctionType(m->t_ptr, NULL, 0, false));
    cg_set_function_attrs(m, fn);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(m->llctx);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(m->llctx, fn, "entry"));
    LLVMBuildRet(b, md);
    LLVMDisposeBuilder(b);
    return fn;
}

/* The target named in dlcc_model_info: the -target name, with the CPU for "host". */
static const char *target_description(cg_module *m) {
    const cg_target *t = m->target;
    if (strcmp(t->name, "host") == 0) return dl_sprintf(m->ctx, "host (%s)", t->cpu);
    return t->name;
}

void cg_emit_metadata(cg_module *m) {
    LLVMValueRef metadata_fn = emit_halide_metadata(m);
    LLVMTypeRef fields[12] = {m->t_i32, m->t_i32, m->t_ptr, m->t_ptr, m->t_i32, m->t_i32,
                              m->t_ptr, m->t_ptr, m->t_i64, m->t_ptr, m->t_ptr, m->t_ptr};
    LLVMTypeRef ty = LLVMStructTypeInContext(m->llctx, fields, 12, false);
    static const size_t offsets[12] = {
        offsetof(dlcc_model_info, magic),       offsetof(dlcc_model_info, abi_version),
        offsetof(dlcc_model_info, name),        offsetof(dlcc_model_info, target),
        offsetof(dlcc_model_info, num_inputs),  offsetof(dlcc_model_info, num_outputs),
        offsetof(dlcc_model_info, inputs),      offsetof(dlcc_model_info, outputs),
        offsetof(dlcc_model_info, arena_bytes), offsetof(dlcc_model_info, argv),
        offsetof(dlcc_model_info, run),         offsetof(dlcc_model_info, metadata)};
    check_layout(m, ty, offsets, 12, sizeof(dlcc_model_info));
    LLVMValueRef vals[12] = {cg_i32(m, DLCC_MODEL_MAGIC),
                             cg_i32(m, DLCC_MODEL_ABI_VERSION),
                             m->name_string,
                             cg_cstring(m, target_description(m)),
                             cg_i32(m, m->sig->num_inputs),
                             cg_i32(m, m->sig->num_outputs),
                             m->tensor_infos_in,
                             m->tensor_infos_out,
                             cg_i64(m, m->sig->arena_bytes),
                             LLVMGetNamedFunction(m->mod, dl_sprintf(m->ctx, "%s_argv", m->name)),
                             LLVMGetNamedFunction(m->mod, dl_sprintf(m->ctx, "%s_run", m->name)),
                             metadata_fn};
    LLVMValueRef info = const_global(m, LLVMConstNamedStruct(ty, vals, 12),
                                     dl_sprintf(m->ctx, "%s_model", m->name), LLVMExternalLinkage);
    LLVMSetAlignment(info, 8);
    /* dlcc-run finds any model through this name; weak, so several models link together. */
    LLVMValueRef alias = LLVMAddAlias2(m->mod, ty, 0, info, "dlcc_model");
    LLVMSetLinkage(alias, LLVMWeakAnyLinkage);
}
