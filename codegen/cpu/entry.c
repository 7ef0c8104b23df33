/* entry.c: the exported entry points of a compiled model around `NAME.impl`:
 *   int NAME(halide_buffer_t *in..., halide_buffer_t *out...)   checks every buffer first
 *   int NAME_argv(void **args)                                  Halide's argv form
 *   int NAME_run(const void *const *inputs, void *const *outputs)  plain arrays
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

static LLVMValueRef call_impl(cg_func *f, LLVMValueRef *ptrs, unsigned n) {
    LLVMTypeRef fty = LLVMGlobalGetValueType(f->m->impl);
    return LLVMBuildCall2(f->b, fty, f->m->impl, ptrs, n, "");
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
    LLVMValueRef entry = emit_buffer_entry(m);
    emit_argv_entry(m, entry);
    emit_run_entry(m);
}
