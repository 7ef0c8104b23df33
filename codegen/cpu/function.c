/* function.c: the model function `NAME.impl(inputs..., outputs..., arena)` generated from the
 * loop-level main (per-call buffers, body, release on every exit), the per-function emission
 * state and the dispatch of ops to their lowering group. */
#include "codegen/cg.h"

#include <stdlib.h>
#include <string.h>

void cg_func_begin(cg_func *f, cg_module *m, LLVMValueRef fn) {
    *f = (cg_func){.m = m, .fn = fn, .error_name = m->name_string};
    f->b = LLVMCreateBuilderInContext(m->llctx);
    f->values = cg_value_map_create();
    f->entry = LLVMAppendBasicBlockInContext(m->llctx, fn, "entry");
    LLVMPositionBuilderAtEnd(f->b, f->entry);
    f->status = LLVMBuildAlloca(f->b, m->t_i32, "status");
    LLVMBuildStore(f->b, cg_i32(m, 0), f->status);
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(m->llctx, fn, "body");
    f->exit = LLVMAppendBasicBlockInContext(m->llctx, fn, "exit");
    LLVMPositionBuilderAtEnd(f->b, body);
}

LLVMValueRef cg_func_add_free_slot(cg_func *f, const char *name) {
    LLVMValueRef slot = cg_entry_alloca(f, f->m->t_ptr, name);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(f->m->llctx);
    LLVMPositionBuilderAtEnd(b, f->entry);
    LLVMBuildStore(b, LLVMConstNull(f->m->t_ptr), slot);
    LLVMDisposeBuilder(b);
    if (f->num_free_slots == f->cap_free_slots) {
        f->cap_free_slots = f->cap_free_slots ? 2 * f->cap_free_slots : 8;
        f->free_slots = realloc(f->free_slots, sizeof(LLVMValueRef) * f->cap_free_slots);
        if (!f->free_slots) DL_UNREACHABLE("out of memory");
    }
    f->free_slots[f->num_free_slots++] = slot;
    return slot;
}

void cg_func_end(cg_func *f) {
    cg_module *m = f->m;
    LLVMBuildBr(f->b, f->exit);
    /* The entry block holds the allocas and slot initialisations; then the body runs. */
    LLVMPositionBuilderAtEnd(f->b, f->entry);
    LLVMBuildBr(f->b, LLVMGetNextBasicBlock(f->entry));
    LLVMMoveBasicBlockAfter(f->exit, LLVMGetLastBasicBlock(f->fn));
    LLVMPositionBuilderAtEnd(f->b, f->exit);
    LLVMTypeRef free_ty = LLVMFunctionType(m->t_void, &m->t_ptr, 1, false);
    for (unsigned i = f->num_free_slots; i-- > 0;) {
        LLVMValueRef p = LLVMBuildLoad2(f->b, m->t_ptr, f->free_slots[i], "");
        cg_call(f, "dlcc_free", free_ty, &p, 1);
    }
    LLVMBuildRet(f->b, LLVMBuildLoad2(f->b, m->t_i32, f->status, "result"));
    LLVMDisposeBuilder(f->b);
    cg_value_map_destroy(f->values);
    free(f->free_slots);
    f->b = NULL;
    f->values = NULL;
    f->free_slots = NULL;
}

void cg_check_status(cg_func *f, LLVMValueRef code) {
    cg_module *m = f->m;
    LLVMValueRef failed = LLVMBuildICmp(f->b, LLVMIntNE, code, cg_i32(m, 0), "failed");
    LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(m->llctx, f->fn, "fail");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(m->llctx, f->fn, "ok");
    LLVMBuildCondBr(f->b, failed, fail, ok);
    LLVMPositionBuilderAtEnd(f->b, fail);
    LLVMBuildStore(f->b, code, f->status);
    LLVMBuildBr(f->b, f->exit);
    LLVMPositionBuilderAtEnd(f->b, ok);
}

dl_status cg_emit_op(cg_func *f, dl_op *op) {
    switch (op->kind) {
    case DL_OP_kernel_global:
    case DL_OP_kernel_view:
    case DL_OP_kernel_alloc:
    case DL_OP_loop_alloca:
    case DL_OP_loop_load:
    case DL_OP_loop_store: return cg_emit_memory_op(f, op);
    case DL_OP_loop_for:
    case DL_OP_loop_if:
    case DL_OP_loop_while: return cg_emit_loop_op(f, op);
    case DL_OP_loop_parallel: return cg_emit_parallel(f, op);
    case DL_OP_loop_yield:
    case DL_OP_loop_condition:
    case DL_OP_builtin_return: return DL_OK;
    case DL_OP_arith_constant:
    case DL_OP_arith_cmp:
    case DL_OP_arith_select:
    case DL_OP_arith_broadcast:
    case DL_OP_arith_reduce:
    case DL_OP_arith_isnan:
    case DL_OP_arith_isinf: return cg_emit_arith_misc(f, op);
    case DL_OP_arith_cast:
    case DL_OP_arith_bitcast: return cg_emit_arith_convert(f, op);
    case DL_OP_arith_add:
    case DL_OP_arith_sub:
    case DL_OP_arith_mul:
    case DL_OP_arith_div:
    case DL_OP_arith_rem:
    case DL_OP_arith_floordiv:
    case DL_OP_arith_ceildiv:
    case DL_OP_arith_max:
    case DL_OP_arith_min:
    case DL_OP_arith_and:
    case DL_OP_arith_or:
    case DL_OP_arith_xor:
    case DL_OP_arith_shl:
    case DL_OP_arith_shr:
    case DL_OP_arith_neg:
    case DL_OP_arith_abs:
    case DL_OP_arith_not: return cg_emit_arith_binary(f, op);
    default:
        /* The remaining arith ops are the math functions (pow, fma, sqrt, exp, ...). */
        if (op->kind >= DL_OP_arith_constant && op->kind <= DL_OP_arith_reduce)
            return cg_emit_arith_math(f, op);
        return dl_op_error(op, "cannot be compiled: code generation takes loop-level IR (loop, "
                               "arith, kernel.global/view/alloc); run the lowering and scheduling "
                               "passes first");
    }
}

/* Gives the LLVM values of op's results the IR's name hints (readable -emit=llvm output). */
static void name_results(cg_func *f, dl_op *op) {
    for (unsigned i = 0; i < op->num_results; i++) {
        const dl_value *v = &op->results[i];
        LLVMValueRef llv = v->name ? cg_value_map_get(f->values, v) : NULL;
        if (llv && LLVMIsAInstruction(llv)) {
            size_t len;
            if (*LLVMGetValueName2(llv, &len) == 0)
                LLVMSetValueName2(llv, v->name, strlen(v->name));
        }
    }
}

dl_status cg_emit_block(cg_func *f, dl_block *b) {
    for (dl_op *op = b->first; op; op = op->next) {
        if (cg_emit_op(f, op)) return DL_FAILURE;
        name_results(f, op);
    }
    return DL_OK;
}

dl_status cg_emit_model_function(cg_module *m) {
    const cg_signature *sig = m->sig;
    unsigned nbuffers = sig->num_inputs + sig->num_outputs;
    unsigned nparams = nbuffers + cg_impl_takes_arena(sig);
    LLVMTypeRef *params = calloc(nparams + 1, sizeof(LLVMTypeRef));
    for (unsigned i = 0; i < nparams; i++) params[i] = m->t_ptr;
    LLVMTypeRef fty = LLVMFunctionType(m->t_i32, params, nparams, false);
    free(params);
    LLVMValueRef fn = LLVMAddFunction(m->mod, dl_sprintf(m->ctx, "%s.impl", m->name), fty);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    cg_set_function_attrs(m, fn);
    m->impl = fn;

    cg_func f;
    cg_func_begin(&f, m, fn);
    dl_block *entry = dl_func_entry(sig->func);
    for (unsigned i = 0; i < nbuffers; i++) {
        LLVMValueRef p = LLVMGetParam(fn, i);
        const char *name =
            (i < sig->num_inputs ? sig->inputs[i] : sig->outputs[i - sig->num_inputs]).c_name;
        LLVMSetValueName2(p, name, strlen(name));
        cg_value_map_set(f.values, entry->args[i], p);
    }
    if (cg_impl_takes_arena(sig)) {
        /* The entry points own the arena (entry.c); it overlaps no input or output. */
        LLVMValueRef arena = LLVMGetParam(fn, nbuffers);
        LLVMSetValueName2(arena, "arena", 5);
        unsigned noalias = LLVMGetEnumAttributeKindForName("noalias", 7);
        LLVMAddAttributeAtIndex(fn, nbuffers + 1, LLVMCreateEnumAttribute(m->llctx, noalias, 0));
        cg_value_map_set(f.values, entry->args[nbuffers], arena);
    } else if (sig->has_arena) {
        cg_value_map_set(f.values, entry->args[nbuffers], LLVMConstNull(m->t_ptr));
    }
    dl_status st = cg_emit_block(&f, entry);
    cg_func_end(&f);
    return st;
}
