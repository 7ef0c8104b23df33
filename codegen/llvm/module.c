/* module.c: the LLVM context and module of one model, the blocks of its data object, and the
 * attributes every generated function carries. */
#include "codegen/cg.h"

#include <stdlib.h>
#include <string.h>

/* LLVM reports remarks (e.g. "loop not vectorized") and warnings through the context; the
 * scheduler's hints are best effort, so those are not the user's concern. Errors are kept. */
static void on_diagnostic(LLVMDiagnosticInfoRef info, void *user) {
    if (LLVMGetDiagInfoSeverity(info) != LLVMDSError) return;
    char *msg = LLVMGetDiagInfoDescription(info);
    dl_error((dl_context *)user, dl_loc_unknown(), "LLVM: %s", msg);
    LLVMDisposeMessage(msg);
}

void cg_module_init(cg_module *m, dl_context *ctx, const dl_codegen_options *opts,
                    const cg_signature *sig, const cg_target *target) {
    memset(m, 0, sizeof *m);
    m->ctx = ctx;
    m->opts = opts;
    m->sig = sig;
    m->target = target;
    m->name = opts->name && *opts->name ? opts->name : "model";
    m->llctx = LLVMContextCreate();
    LLVMContextSetDiagnosticHandler(m->llctx, on_diagnostic, ctx);
    m->mod = LLVMModuleCreateWithNameInContext(m->name, m->llctx);
    LLVMSetTarget(m->mod, target->triple);
    m->td = LLVMCreateTargetDataLayout(target->tm);
    LLVMSetModuleDataLayout(m->mod, m->td);
    m->t_void = LLVMVoidTypeInContext(m->llctx);
    m->t_i1 = LLVMInt1TypeInContext(m->llctx);
    m->t_i8 = LLVMInt8TypeInContext(m->llctx);
    m->t_i16 = LLVMInt16TypeInContext(m->llctx);
    m->t_i32 = LLVMInt32TypeInContext(m->llctx);
    m->t_i64 = LLVMInt64TypeInContext(m->llctx);
    m->t_f16 = LLVMHalfTypeInContext(m->llctx);
    m->t_f32 = LLVMFloatTypeInContext(m->llctx);
    m->t_f64 = LLVMDoubleTypeInContext(m->llctx);
    m->t_ptr = LLVMPointerTypeInContext(m->llctx, 0);
    m->name_string = cg_cstring(m, m->name);
    m->globals = cg_value_map_create();
    m->alias_scopes = cg_value_map_create();
    m->noalias_scopes = cg_value_map_create();
}

void cg_module_add_data(cg_module *m, cg_data_block block) {
    if (m->num_data_blocks == m->cap_data_blocks) {
        m->cap_data_blocks = m->cap_data_blocks ? 2 * m->cap_data_blocks : 64;
        m->data_blocks = realloc(m->data_blocks, sizeof(cg_data_block) * m->cap_data_blocks);
        if (!m->data_blocks) DL_UNREACHABLE("out of memory");
    }
    m->data_blocks[m->num_data_blocks++] = block;
}

void cg_module_dispose(cg_module *m) {
    free(m->data_blocks);
    cg_value_map_destroy(m->globals);
    cg_value_map_destroy(m->alias_scopes);
    cg_value_map_destroy(m->noalias_scopes);
    if (m->mod) LLVMDisposeModule(m->mod);
    if (m->td) LLVMDisposeTargetData(m->td);
    if (m->llctx) LLVMContextDispose(m->llctx);
    memset(m, 0, sizeof *m);
}

static void add_string_attr(cg_module *m, LLVMValueRef fn, const char *k, const char *v) {
    LLVMAttributeRef a =
        LLVMCreateStringAttribute(m->llctx, k, (unsigned)strlen(k), v, (unsigned)strlen(v));
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, a);
}

static void add_enum_attr(cg_module *m, LLVMValueRef fn, const char *k) {
    unsigned id = LLVMGetEnumAttributeKindForName(k, strlen(k));
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                            LLVMCreateEnumAttribute(m->llctx, id, 0));
}

void cg_set_function_attrs(cg_module *m, LLVMValueRef fn) {
    add_string_attr(m, fn, "target-cpu", m->target->cpu);
    add_string_attr(m, fn, "target-features", m->target->features);
    if (m->target->vector_bits >= 512) {
        /* LLVM prefers 256-bit vectors on AVX-512 CPUs by default; models want 16 x f32. */
        add_string_attr(m, fn, "prefer-vector-width", "512");
        add_string_attr(m, fn, "min-legal-vector-width", "512");
    }
    add_enum_attr(m, fn, "nounwind");
}
