/* emit.c: verification of the generated module, LLVM's optimisation pipeline (new pass
 * manager, default<On>) for the target, and the output files (.ll, .s, .o). */
#include "codegen/cg.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Error.h>
#include <llvm-c/Support.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

dl_status cg_verify_module(cg_module *m) {
    char *msg = NULL;
    if (!LLVMVerifyModule(m->mod, LLVMReturnStatusAction, &msg)) {
        LLVMDisposeMessage(msg);
        return DL_OK;
    }
    dl_error(m->ctx, dl_loc_unknown(), "internal error: the generated LLVM module is invalid: %s",
             msg ? msg : "");
    LLVMDisposeMessage(msg);
    return DL_FAILURE;
}

/* LLVM options that the C API's pass builder options do not cover. They are global to the
 * process, so they are set once, before the first pipeline runs.
 *
 * -unroll-threshold-aggressive=150: default<O3> fully unrolls loops of up to 300 instructions
 * (default<O2>: 150). The scheduler has already tiled the loop nests and asked for unrolling
 * where it pays (llvm.loop.unroll.count, which any threshold honours); at 300 LLVM also
 * unrolls the inner tile loops, which makes the code ~3x larger: ResNet-18 spent 4.2 s in the
 * pipeline and the backend instead of 1.2 s, and ran 14% slower (MobileNetV2 5% slower).
 *
 * -vectorize-slp=false: the schedule vectorises explicitly (micro-kernels in vector types,
 * `vectorize` hints for the loop vectoriser), so the SLP vectoriser finds little, yet it took
 * 4-6 s of ResNet-18's 8-11 s in default<O3> on the micro-kernels' long straight-line blocks.
 * Without it ResNet-18, MobileNetV2 and the encoder run as fast (2 threads: 21.4 vs 22.3 ms,
 * 7.7 vs 7.8 ms, 6.38 vs 6.38 ms, best medians). Clearing the pass builder's SLPVectorization
 * option alone does not remove the pass from default<O3> through the C API in LLVM 19. */
static void set_llvm_options(void) {
    static const char *const argv[] = {"dlcc", "-unroll-threshold-aggressive=150",
                                       "-vectorize-slp=false"};
    LLVMParseCommandLineOptions(sizeof argv / sizeof *argv, argv, NULL);
}

dl_status cg_optimize(cg_module *m, int opt_level) {
    static pthread_once_t options_once = PTHREAD_ONCE_INIT;
    pthread_once(&options_once, set_llvm_options);
    if (opt_level < 0) opt_level = 0;
    if (opt_level > 3) opt_level = 3;
    char pipeline[32];
    snprintf(pipeline, sizeof pipeline, "default<O%d>", opt_level);
    LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
    bool vectorize = opt_level >= 2;
    LLVMPassBuilderOptionsSetLoopVectorization(pbo, vectorize);
    LLVMPassBuilderOptionsSetSLPVectorization(pbo, false); /* see set_llvm_options */
    LLVMPassBuilderOptionsSetLoopInterleaving(pbo, vectorize);
    LLVMPassBuilderOptionsSetLoopUnrolling(pbo, opt_level >= 1);
    LLVMErrorRef err = LLVMRunPasses(m->mod, pipeline, m->target->tm, pbo);
    LLVMDisposePassBuilderOptions(pbo);
    if (err) {
        char *msg = LLVMGetErrorMessage(err);
        dl_error(m->ctx, dl_loc_unknown(), "LLVM pipeline '%s' failed: %s", pipeline, msg);
        LLVMDisposeErrorMessage(msg);
        return DL_FAILURE;
    }
    return DL_OK;
}

dl_status cg_write_llvm_ir(cg_module *m, const char *path) {
    if (strcmp(path, "-") == 0) {
        char *text = LLVMPrintModuleToString(m->mod);
        fputs(text, stdout);
        LLVMDisposeMessage(text);
        return DL_OK;
    }
    char *msg = NULL;
    if (LLVMPrintModuleToFile(m->mod, path, &msg)) {
        dl_error(m->ctx, dl_loc_unknown(), "cannot write '%s': %s", path, msg ? msg : "");
        LLVMDisposeMessage(msg);
        return DL_FAILURE;
    }
    return DL_OK;
}

dl_status cg_write_machine_code(cg_module *m, const char *path, bool assembly) {
    LLVMMemoryBufferRef buf = NULL;
    char *msg = NULL;
    if (LLVMTargetMachineEmitToMemoryBuffer(
            m->target->tm, m->mod, assembly ? LLVMAssemblyFile : LLVMObjectFile, &msg, &buf)) {
        dl_error(m->ctx, dl_loc_unknown(), "LLVM could not emit %s: %s",
                 assembly ? "assembly" : "an object file", msg ? msg : "");
        LLVMDisposeMessage(msg);
        return DL_FAILURE;
    }
    bool to_stdout = strcmp(path, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(path, "wb");
    size_t size = LLVMGetBufferSize(buf);
    bool ok = f && fwrite(LLVMGetBufferStart(buf), 1, size, f) == size;
    if (f && !to_stdout && fclose(f) != 0) ok = false;
    LLVMDisposeMemoryBuffer(buf);
    if (!ok) {
        dl_error(m->ctx, dl_loc_unknown(), "cannot write '%s'", path);
        return DL_FAILURE;
    }
    return DL_OK;
}
