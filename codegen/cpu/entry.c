/* entry.c: the exported entry points of a compiled model around `NAME.impl`:
 *   int NAME(halide_buffer_t *in..., halide_buffer_t *out...)   checks every buffer first
 *   int NAME_argv(void **args)                                  Halide's argv form
 *   int NAME_run(const void *const *inputs, void *const *outputs)  plain arrays
 * and the model's arena cache: a call takes the cached arena (or allocates one when another
 * call holds it) and puts it back afterwards; a destructor frees it at unload
 * (include/dlcc/runtime.h documents the contract). */
#include "HalideRuntime.h"
#include "codegen/cg.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static LLVMValueRef add_exported(cg_module *m, const char *name, LLVMTypeRef fty) {
    LLVMValueRef fn = LLVMAddFunction(m->mod, name, fty);
    LLVMSetLinkage(fn, LLVMExternalLinkage);
    LLVMSetVisibility(fn, LLVMDefaultVisibility);
    cg_set_function_attrs(m, fn);
    return fn;
}

/* The model's arena cache: a private pointer (NULL when empty), and a destructor that frees
 * the cached arena when the library is unloaded or the program exits. */
static void emit_arena_cache(cg_module *m) {
    LLVMValueRef cache = LLVMAddGlobal(m->mod, m->t_ptr, dl_sprintf(m->ctx, "%s.arena", m->name));
    LLVMSetInitializer(cache, LLVMConstNull(m->t_ptr));
    LLVMSetLinkage(cache, LLVMInternalLinkage);
    LLVMSetAlignment(cache, 8);
    m->arena_cache = cache;

    LLVMTypeRef void_fn = LLVMFunctionType(m->t_void, NULL, 0, false);
    LLVMValueRef dtor =
        LLVMAddFunction(m->mod, dl_sprintf(m->ctx, "%s.arena_drop", m->name), void_fn);
    LLVMSetLinkage(dtor, LLVMInternalLinkage);
    cg_set_function_attrs(m, dtor);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(m->llctx);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(m->llctx, dtor, "entry"));
    LLVMTypeRef drop_ty = LLVMFunctionType(m->t_void, &m->t_ptr, 1, false);
    LLVMBuildCall2(b, drop_ty, cg_declare(m, "dlcc_arena_drop", drop_ty), &cache, 1, "");
    LLVMBuildRetVoid(b);
    LLVMDisposeBuilder(b);

    /* @llvm.global_dtors = appending global [1 x {i32, ptr, ptr}] [{65535, dtor, null}] */
    LLVMTypeRef fields[3] = {m->t_i32, m->t_ptr, m->t_ptr};
    LLVMTypeRef entry_ty = LLVMStructTypeInContext(m->llctx, fields, 3, false);
    LLVMValueRef values[3] = {cg_i32(m, 65535), dtor, LLVMConstNull(m->t_ptr)};
    LLVMValueRef entry = LLVMConstNamedStruct(entry_ty, values, 3);
    LLVMValueRef dtors = LLVMAddGlobal(m->mod, LLVMArrayType2(entry_ty, 1), "llvm.global_dtors");
    LLVMSetInitializer(dtors, LLVMConstArray2(entry_ty, &entry, 1));
    LLVMSetLinkage(dtors, LLVMAppendingLinkage);
}

/* Calls NAME.impl on ptrs[0..n) (ptrs has room for one more), with the cached arena (or a new
 * one) when the model has one; returns the status. */
static LLVMValueRef call_impl(cg_func *f, LLVMValueRef *ptrs, unsigned n) {
    cg_module *m = f->m;
    LLVMTypeRef fty = LLVMGlobalGetValueType(m->impl);
    if (!m->arena_cache) return LLVMBuildCall2(f->b, fty, m->impl, ptrs, n, "");
    LLVMTypeRef acquire_params[3] = {m->t_ptr, m->t_ptr, m->t_i64};
    LLVMTypeRef acquire_ty = LLVMFunctionType(m->t_ptr, acquire_params, 3, false);
    LLVMValueRef acquire_args[3] = {f->error_name, m->arena_cache, cg_i64(m, m->sig->arena_bytes)};
    LLVMValueRef arena = cg_call(f, "dlcc_arena_acquire", acquire_ty, acquire_args, 3);
    LLVMSetValueName2(arena, "arena", 5);
    LLVMValueRef null = LLVMBuildIsNull(f->b, arena, "");
    cg_check_status(
        f, LLVMBuildSelect(f->b, null, cg_i32(m, -11 /* out of memory */), cg_i32(m, 0), ""));
    ptrs[n] = arena;
    LLVMValueRef status = LLVMBuildCall2(f->b, fty, m->impl, ptrs, n + 1, "");
    LLVMTypeRef release_params[2] = {m->t_ptr, m->t_ptr};
    LLVMTypeRef release_ty = LLVMFunctionType(m->t_void, release_params, 2, false);
    LLVMValueRef release_args[2] = {m->arena_cache, arena};
    cg_call(f, "dlcc_arena_release", release_ty, release_args, 2);
    return status;
}

/* int NAME(halide_buffer_t *...): check all, copy dirty inputs to the host, run, mark outputs. */
static LLVMValueRef emit_buffer_entry(cg_module *m) {
    const cg_signature *sig = m->sig;
    unsigned n = sig->num_inputs + sig->num_outputs;
    LLVMTypeRef *params = calloc(n + 1, sizeof(LLVMTypeRef));
    for (unsigned i = 0; i < n; i++) params[i] = m->t_ptr;
    LLVMValueRef fn = add_exported(m, m->name, LLVMFunctionType(m->t_i32, params, n, false));
    free(params);
    cg_func f;
    cg_func_begin(&f, m, fn);
    LLVMTypeRef check_params[5] = {m->t_ptr, m->t_ptr, m->t_i32, m->t_i32, m->t_ptr};
    LLVMTypeRef check_ty = LLVMFunctionType(m->t_i32, check_params, 5, false);
    for (unsigned i = 0; i < n; i++) {
        bool out = i >= sig->num_inputs;
        unsigned k = out ? i - sig->num_inputs : i;
        const cg_tensor *t = out ? &sig->outputs[k] : &sig->inputs[k];
        LLVMValueRef buf = LLVMGetParam(fn, i);
        LLVMSetValueName2(buf, t->c_name, strlen(t->c_name));
        LLVMValueRef idx[2] = {cg_i64(m, 0), cg_i64(m, k)};
        LLVMValueRef infos = out ? m->tensor_infos_out : m->tensor_infos_in;
        LLVMValueRef info = LLVMConstInBoundsGEP2(LLVMGlobalGetValueType(infos), infos, idx, 2);
        LLVMValueRef args[5] = {f.error_name, info, cg_i32(m, k), cg_i32(m, out), buf};
        cg_check_status(&f, cg_call(&f, "dlcc_check_buffer", check_ty, args, 5));
    }
    LLVMTypeRef one_ptr_i32 = LLVMFunctionType(m->t_i32, &m->t_ptr, 1, false);
    LLVMTypeRef one_ptr_void = LLVMFunctionType(m->t_void, &m->t_ptr, 1, false);
    for (unsigned i = 0; i < sig->num_inputs; i++) {
        LLVMValueRef buf = LLVMGetParam(fn, i);
        cg_check_status(&f, cg_call(&f, "dlcc_input_to_host", one_ptr_i32, &buf, 1));
    }
    LLVMValueRef *hosts = calloc(n + 1, sizeof(LLVMValueRef));
    LLVMValueRef host_offset = cg_i64(m, (int64_t)offsetof(struct halide_buffer_t, host));
    for (unsigned i = 0; i < n; i++) {
        LLVMValueRef field =
            LLVMBuildInBoundsGEP2(f.b, m->t_i8, LLVMGetParam(fn, i), &host_offset, 1, "");
        hosts[i] = LLVMBuildLoad2(f.b, m->t_ptr, field, "host");
    }
    cg_check_status(&f, call_impl(&f, hosts, n));
    free(hosts);
    for (unsigned i = sig->num_inputs; i < n; i++) {
        LLVMValueRef buf = LLVMGetParam(fn, i);
        cg_call(&f, "dlcc_output_written", one_ptr_void, &buf, 1);
    }
    cg_func_end(&f);
    return fn;
}

/* int NAME_argv(void **args) */
static LLVMValueRef emit_argv_entry(cg_module *m, LLVMValueRef buffer_entry) {
    unsigned n = m->sig->num_inputs + m->sig->num_outputs;
    const char *name = dl_sprintf(m->ctx, "%s_argv", m->name);
    LLVMValueRef fn = add_exported(m, name, LLVMFunctionType(m->t_i32, &m->t_ptr, 1, false));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(m->llctx);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(m->llctx, fn, "entry"));
    LLVMValueRef *bufs = calloc(n + 1, sizeof(LLVMValueRef));
    for (unsigned i = 0; i < n; i++) {
        LLVMValueRef idx = cg_i64(m, i);
        LLVMValueRef p = LLVMBuildInBoundsGEP2(b, m->t_ptr, LLVMGetParam(fn, 0), &idx, 1, "");
        bufs[i] = LLVMBuildLoad2(b, m->t_ptr, p, "");
    }
    LLVMValueRef r =
        LLVMBuildCall2(b, LLVMGlobalGetValueType(buffer_entry), buffer_entry, bufs, n, "");
    LLVMBuildRet(b, r);
    free(bufs);
    LLVMDisposeBuilder(b);
    return fn;
}

/* Loads pointer k of an array argument after checking the array and the pointer. */
static LLVMValueRef checked_pointer(cg_func *f, LLVMValueRef array, unsigned k, const char *what) {
    cg_module *m = f->m;
    LLVMTypeRef params[3] = {m->t_ptr, m->t_ptr, m->t_ptr};
    LLVMTypeRef check_ty = LLVMFunctionType(m->t_i32, params, 3, false);
    LLVMValueRef idx = cg_i64(m, k);
    LLVMValueRef p = LLVMBuildInBoundsGEP2(f->b, m->t_ptr, array, &idx, 1, "");
    LLVMValueRef v = LLVMBuildLoad2(f->b, m->t_ptr, p, "");
    LLVMValueRef args[3] = {f->error_name, cg_cstring(m, what), v};
    cg_check_status(f, cg_call(f, "dlcc_check_pointer", check_ty, args, 3));
    return v;
}

/* int NAME_run(const void *const *inputs, void *const *outputs) */
static LLVMValueRef emit_run_entry(cg_module *m) {
    const cg_signature *sig = m->sig;
    unsigned n = sig->num_inputs + sig->num_outputs;
    LLVMTypeRef params[2] = {m->t_ptr, m->t_ptr};
    const char *name = dl_sprintf(m->ctx, "%s_run", m->name);
    LLVMValueRef fn = add_exported(m, name, LLVMFunctionType(m->t_i32, params, 2, false));
    cg_func f;
    cg_func_begin(&f, m, fn);
    LLVMValueRef arrays[2] = {LLVMGetParam(fn, 0), LLVMGetParam(fn, 1)};
    LLVMSetValueName2(arrays[0], "inputs", 6);
    LLVMSetValueName2(arrays[1], "outputs", 7);
    LLVMTypeRef check_params[3] = {m->t_ptr, m->t_ptr, m->t_ptr};
    LLVMTypeRef check_ty = LLVMFunctionType(m->t_i32, check_params, 3, false);
    for (int a = 0; a < 2; a++) {
        if ((a == 0 ? sig->num_inputs : sig->num_outputs) == 0) continue;
        LLVMValueRef args[3] = {f.error_name, cg_cstring(m, a == 0 ? "inputs" : "outputs"),
                                arrays[a]};
        cg_check_status(&f, cg_call(&f, "dlcc_check_pointer", check_ty, args, 3));
    }
    LLVMValueRef *ptrs = calloc(n + 1, sizeof(LLVMValueRef));
    for (unsigned i = 0; i < n; i++) {
        bool out = i >= sig->num_inputs;
        unsigned k = out ? i - sig->num_inputs : i;
        const cg_tensor *t = out ? &sig->outputs[k] : &sig->inputs[k];
        const char *what = dl_sprintf(m->ctx, "%s %u '%s'", out ? "output" : "input", k, t->name);
        ptrs[i] = checked_pointer(&f, arrays[out], k, what);
    }
    cg_check_status(&f, call_impl(&f, ptrs, n));
    free(ptrs);
    cg_func_end(&f);
    return fn;
}

void cg_emit_entry_points(cg_module *m) {
    if (cg_impl_takes_arena(m->sig)) emit_arena_cache(m);
    LLVMValueRef entry = emit_buffer_entry(m);
    emit_argv_entry(m, entry);
    emit_run_entry(m);
}
