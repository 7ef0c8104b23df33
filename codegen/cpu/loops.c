/* loops.c: lowering of loop.for (a counted loop; `vectorize`/`unroll` hints become llvm.loop
 * metadata), loop.if (a conditional with optional else) and loop.while (a do-while loop). */
#include "codegen/cg.h"

static dl_status emit_for(cg_func *f, dl_op *op) {
    cg_module *m = f->m;
    LLVMValueRef lb = cg_operand(f, op, 0), ub = cg_operand(f, op, 1), step = cg_operand(f, op, 2);
    dl_block *body = dl_op_body(op, 0);
    const char *iv_name = body->args[0]->name ? body->args[0]->name : "iv";
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(f->b);
    LLVMBasicBlockRef header = LLVMAppendBasicBlockInContext(m->llctx, f->fn, "for.header");
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(m->llctx, f->fn, "for.body");
    LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(m->llctx, f->fn, "for.exit");
    LLVMBuildBr(f->b, header);

    LLVMPositionBuilderAtEnd(f->b, header);
    LLVMValueRef iv = LLVMBuildPhi(f->b, m->t_i64, iv_name);
    LLVMValueRef more = LLVMBuildICmp(f->b, LLVMIntSLT, iv, ub, "");
    LLVMBuildCondBr(f->b, more, loop, exit);

    LLVMPositionBuilderAtEnd(f->b, loop);
    cg_value_map_set(f->values, body->args[0], iv);
    if (cg_emit_block(f, body)) return DL_FAILURE;
    LLVMValueRef next = LLVMBuildNSWAdd(f->b, iv, step, "");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(f->b);
    LLVMValueRef back = LLVMBuildBr(f->b, header);
    cg_attach_loop_hints(m, back, dl_op_attr_int(op, "vectorize", 0),
                         dl_op_attr_int(op, "unroll", 0));
    LLVMValueRef in_vals[2] = {lb, next};
    LLVMBasicBlockRef in_blocks[2] = {pre, latch};
    LLVMAddIncoming(iv, in_vals, in_blocks, 2);

    LLVMPositionBuilderAtEnd(f->b, exit);
    return DL_OK;
}

static dl_status emit_if(cg_func *f, dl_op *op) {
    cg_module *m = f->m;
    dl_region *else_region = dl_op_region(op, 1);
    bool has_else = else_region->first && else_region->first->first &&
                    else_region->first->first->kind != DL_OP_loop_yield;
    LLVMBasicBlockRef then_bb = LLVMAppendBasicBlockInContext(m->llctx, f->fn, "if.then");
    LLVMBasicBlockRef else_bb =
        has_else ? LLVMAppendBasicBlockInContext(m->llctx, f->fn, "if.else") : NULL;
    LLVMBasicBlockRef end = LLVMAppendBasicBlockInContext(m->llctx, f->fn, "if.end");
    LLVMBuildCondBr(f->b, cg_operand(f, op, 0), then_bb, has_else ? else_bb : end);

    LLVMPositionBuilderAtEnd(f->b, then_bb);
    if (cg_emit_block(f, dl_op_body(op, 0))) return DL_FAILURE;
    LLVMBuildBr(f->b, end);
    if (has_else) {
        LLVMPositionBuilderAtEnd(f->b, else_bb);
        if (cg_emit_block(f, else_region->first)) return DL_FAILURE;
        LLVMBuildBr(f->b, end);
    }
    LLVMPositionBuilderAtEnd(f->b, end);
    return DL_OK;
}

/* The body, then a branch back to it while the loop.condition operand holds. */
static dl_status emit_while(cg_func *f, dl_op *op) {
    cg_module *m = f->m;
    dl_block *body = dl_op_body(op, 0);
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(m->llctx, f->fn, "while.body");
    LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(m->llctx, f->fn, "while.exit");
    LLVMBuildBr(f->b, loop);
    LLVMPositionBuilderAtEnd(f->b, loop);
    if (cg_emit_block(f, body)) return DL_FAILURE;
    LLVMBuildCondBr(f->b, cg_operand(f, body->last, 0), loop, exit);
    LLVMPositionBuilderAtEnd(f->b, exit);
    return DL_OK;
}

dl_status cg_emit_loop_op(cg_func *f, dl_op *op) {
    switch (op->kind) {
    case DL_OP_loop_for: return emit_for(f, op);
    case DL_OP_loop_if: return emit_if(f, op);
    case DL_OP_loop_while: return emit_while(f, op);
    default: DL_UNREACHABLE("not a loop op");
    }
}
