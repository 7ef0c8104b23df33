/* loop_metadata.c: llvm.loop metadata carrying the scheduler's vectorisation and unrolling
 * hints (`vectorize = W`, `unroll = F` on loop.for) to LLVM's loop passes. */
#include "codegen/cg.h"

#include <llvm-c/DebugInfo.h>

#include <string.h>

/* !{!"name", i32 value} (or i1 for enable flags). */
static LLVMMetadataRef hint(cg_module *m, const char *name, LLVMValueRef value) {
    LLVMMetadataRef ops[2] = {LLVMMDStringInContext2(m->llctx, name, strlen(name)),
                              LLVMValueAsMetadata(value)};
    return LLVMMDNodeInContext2(m->llctx, ops, 2);
}

void cg_attach_loop_hints(cg_module *m, LLVMValueRef latch_branch, int64_t vectorize,
                          int64_t unroll) {
    LLVMMetadataRef ops[5];
    unsigned n = 0;
    /* The loop ID refers to itself: built with a temporary first operand, then replaced. */
    LLVMMetadataRef self = LLVMTemporaryMDNode(m->llctx, NULL, 0);
    ops[n++] = self;
    if (vectorize > 1) {
        ops[n++] = hint(m, "llvm.loop.vectorize.enable", LLVMConstInt(m->t_i1, 1, false));
        ops[n++] = hint(m, "llvm.loop.vectorize.width", cg_i32(m, vectorize));
    } else if (vectorize == 1) {
        ops[n++] = hint(m, "llvm.loop.vectorize.width", cg_i32(m, 1));
    }
    if (unroll > 1) {
        ops[n++] = hint(m, "llvm.loop.unroll.count", cg_i32(m, unroll));
    } else if (unroll == 1) {
        LLVMMetadataRef name = LLVMMDStringInContext2(m->llctx, "llvm.loop.unroll.disable", 24);
        ops[n++] = LLVMMDNodeInContext2(m->llctx, &name, 1);
    }
    if (n == 1) {
        LLVMDisposeTemporaryMDNode(self);
        return;
    }
    LLVMMetadataRef loop = LLVMMDNodeInContext2(m->llctx, ops, n);
    LLVMMetadataReplaceAllUsesWith(self, loop);
    unsigned kind = LLVMGetMDKindIDInContext(m->llctx, "llvm.loop", 9);
    LLVMSetMetadata(latch_branch, kind, LLVMMetadataAsValue(m->llctx, loop));
}
