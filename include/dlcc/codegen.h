/* codegen.h: turning a loop-level module into LLVM IR, objects and self-contained model libraries.
 */
#ifndef DLCC_CODEGEN_H
#define DLCC_CODEGEN_H

#include "dlcc/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dl_emit_kind {
    DL_EMIT_LIB,    /* OUT.so + OUT.h */
    DL_EMIT_OBJ,    /* OUT.o + OUT.h */
    DL_EMIT_ASM,    /* OUT.s */
    DL_EMIT_LLVM,   /* OUT.ll */
    DL_EMIT_PTX,    /* OUT.ptx */
    DL_EMIT_HEADER, /* OUT.h */
} dl_emit_kind;

/* Wall-clock seconds of the phases of one dl_codegen call, in order (for -time-passes). */
typedef struct dl_codegen_timing {
    unsigned count;
    struct {
        const char *name; /* static string, e.g. "LLVM default<O3>" */
        double seconds;
    } phases[8];
} dl_codegen_timing;

typedef struct dl_codegen_options {
    const char *target; /* "host" (default), "x86-64", "x86-64-avx2", "x86-64-avx512", "nvptx..." */
    int opt_level;      /* 0..3: LLVM's default<ON> pipeline */
    dl_emit_kind emit;
    const char *output;        /* output path (for LIB: the .so; the header goes beside it) */
    const char *name;          /* C symbol prefix of the model's entry points */
    dl_codegen_timing *timing; /* when set, receives the time of each phase */
} dl_codegen_options;

/* Generates code for module (loop level: builtin.func "main" whose body holds loop/arith ops,
 * kernel.global constants and kernel.view arena slices) and writes what opts->emit asks for.
 * Errors are emitted to the module's context. */
dl_status dl_codegen(dl_op *module, const dl_codegen_options *opts);

#ifdef __cplusplus
}
#endif
#endif
