/* codegen.c: code generation entry (placeholder until the LLVM backend lands). */
#include "dlcc/codegen.h"

dl_status dl_codegen(dl_op *module, const dl_codegen_options *opts) {
    (void)opts;
    dl_error(module->ctx, dl_loc_unknown(), "code generation is not implemented yet");
    return DL_FAILURE;
}
