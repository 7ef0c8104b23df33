/* target.c: target selection: `-target` names to an LLVM triple, CPU and feature string, the
 * target machine that optimises and emits code for them, and Halide's name for the target. */
#include "codegen/cg.h"

#include <llvm-c/Target.h>

#include <stdlib.h>
#include <string.h>

static void init_x86(void) {
    static bool done;
    if (done) return;
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    LLVMInitializeX86AsmParser();
    done = true;
}

/* True if the comma-separated LLVM feature string enables feature (e.g. "avx2"). */
static bool has_feature(const char *features, const char *feature) {
    size_t n = strlen(feature);
    for (const char *p = features; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n + 1 && p[0] == '+' && strncmp(p + 1, feature, n) == 0) return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

/* Halide's canonical target string for an x86-64 feature set (the filter metadata's target). */
static const char *halide_target_string(dl_context *ctx, const char *features) {
    static const struct {
        const char *llvm, *halide;
    } map[] = {{"avx", "avx"},
               {"avx2", "avx2"},
               {"avx512f", "avx512"},
               {"avx512bw", "avx512_skylake"},
               {"avx512vnni", "avx512_cannonlake"},
               {"f16c", "f16c"},
               {"fma", "fma"},
               {"sse4.1", "sse41"}};
    const char *s = "x86-64-linux";
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (has_feature(features, map[i].llvm)) s = dl_sprintf(ctx, "%s-%s", s, map[i].halide);
    return s;
}

dl_status cg_target_create(dl_context *ctx, const dl_codegen_options *opts, cg_target *t) {
    memset(t, 0, sizeof *t);
    const char *name = opts->target && *opts->target ? opts->target : "host";
    t->name = name;
    if (strncmp(name, "nvptx", 5) == 0 || strncmp(name, "accel", 5) == 0) {
        dl_error(ctx, dl_loc_unknown(), "target '%s' is not supported yet (only x86-64 CPUs)",
                 name);
        return DL_FAILURE;
    }
    init_x86();
    char *host_triple = LLVMGetDefaultTargetTriple();
    t->triple =
        strdup(strncmp(host_triple, "x86_64", 6) == 0 ? host_triple : "x86_64-unknown-linux-gnu");
    LLVMDisposeMessage(host_triple);
    if (strcmp(name, "host") == 0) {
        char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
        t->cpu = strdup(cpu);
        t->features = strdup(features);
        LLVMDisposeMessage(cpu);
        LLVMDisposeMessage(features);
    } else if (strcmp(name, "x86-64") == 0) {
        t->cpu = strdup("x86-64");
        t->features = strdup("");
    } else if (strcmp(name, "x86-64-avx2") == 0) {
        t->cpu = strdup("haswell");
        t->features = strdup("+avx,+avx2,+fma,+f16c,+sse4.1,+sse4.2,+popcnt,+bmi,+bmi2");
    } else if (strcmp(name, "x86-64-avx512") == 0) {
        t->cpu = strdup("skylake-avx512");
        t->features = strdup("+avx,+avx2,+fma,+f16c,+sse4.1,+sse4.2,+popcnt,+bmi,+bmi2,+avx512f,"
                             "+avx512bw,+avx512dq,+avx512vl,+avx512cd");
    } else {
        dl_error(ctx, dl_loc_unknown(),
                 "unknown target '%s' (expected host, x86-64, x86-64-avx2, x86-64-avx512)", name);
        free(t->triple);
        t->triple = NULL;
        return DL_FAILURE;
    }
    t->vector_bits = has_feature(t->features, "avx512f") ? 512
                     : has_feature(t->features, "avx")   ? 256
                                                         : 128;
    t->halide_target = halide_target_string(ctx, t->features);
    LLVMTargetRef target;
    char *err = NULL;
    if (LLVMGetTargetFromTriple(t->triple, &target, &err)) {
        dl_error(ctx, dl_loc_unknown(), "LLVM has no target for '%s': %s", t->triple, err);
        LLVMDisposeMessage(err);
        cg_target_destroy(t);
        return DL_FAILURE;
    }
    LLVMCodeGenOptLevel level = opts->opt_level <= 0   ? LLVMCodeGenLevelNone
                                : opts->opt_level == 1 ? LLVMCodeGenLevelLess
                                : opts->opt_level == 2 ? LLVMCodeGenLevelDefault
                                                       : LLVMCodeGenLevelAggressive;
    t->tm = LLVMCreateTargetMachine(target, t->triple, t->cpu, t->features, level, LLVMRelocPIC,
                                    LLVMCodeModelDefault);
    if (!t->tm) {
        dl_error(ctx, dl_loc_unknown(), "cannot create a target machine for '%s' (cpu %s)",
                 t->triple, t->cpu);
        cg_target_destroy(t);
        return DL_FAILURE;
    }
    return DL_OK;
}

void cg_target_destroy(cg_target *t) {
    if (t->tm) LLVMDisposeTargetMachine(t->tm);
    free(t->triple);
    free(t->cpu);
    free(t->features);
    memset(t, 0, sizeof *t);
}
