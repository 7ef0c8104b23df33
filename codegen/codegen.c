/* codegen.c: code generation entry: loop-level module -> one LLVM module (model function,
 * parallel closures, entry points, metadata) -> LLVM's optimisation pipeline -> the files
 * -emit asks for (.ll, .s, .o + .h, .so + .h, .h). */
#include "codegen/cg.h"

#include <string.h>
#include <time.h>

/* Wall-clock seconds, for -time-passes. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* OUT.so -> OUT.h (the extension of the file name replaced, or ".h" appended). */
static char *header_path(dl_context *ctx, const char *output) {
    const char *slash = strrchr(output, '/');
    const char *dot = strrchr(slash ? slash + 1 : output, '.');
    size_t n = dot && dot != (slash ? slash + 1 : output) ? (size_t)(dot - output) : strlen(output);
    return dl_sprintf(ctx, "%.*s.h", (int)n, output);
}

static dl_status build_module(cg_module *m) {
    cg_alias_analyze(m);
    if (cg_emit_model_function(m)) return DL_FAILURE;
    cg_emit_tensor_infos(m);
    cg_emit_entry_points(m);
    cg_emit_metadata(m);
    return cg_verify_module(m);
}

/* .o or .so: the model object in a temporary folder, linked with the runtimes, plus OUT.h. */
static dl_status write_linked(cg_module *m, const char *output, bool shared) {
    char *tmp = cg_make_temp_dir(m->ctx);
    if (!tmp) return DL_FAILURE;
    char *object = dl_sprintf(m->ctx, "%s/%s.o", tmp, m->name);
    dl_status st = cg_write_machine_code(m, object, false);
    bool host = strcmp(m->target->name, "host") == 0;
    if (!st) st = cg_link(m->ctx, tmp, object, output, shared, host);
    cg_remove_temp_dir(tmp);
    if (!st)
        st = cg_write_header(m->ctx, m->sig, m->name, m->target->name, header_path(m->ctx, output));
    return st;
}

static dl_status write_outputs(cg_module *m, const dl_codegen_options *opts) {
    switch (opts->emit) {
    case DL_EMIT_LLVM: return cg_write_llvm_ir(m, opts->output);
    case DL_EMIT_ASM: return cg_write_machine_code(m, opts->output, true);
    case DL_EMIT_OBJ: return write_linked(m, opts->output, false);
    case DL_EMIT_LIB: return write_linked(m, opts->output, true);
    default: DL_UNREACHABLE("emit kind handled before code generation");
    }
}

dl_status dl_codegen(dl_op *module, const dl_codegen_options *opts) {
    dl_context *ctx = module->ctx;
    if (opts->emit == DL_EMIT_PTX) {
        dl_error(ctx, dl_loc_unknown(), "-emit=ptx is not supported yet (CPU targets only)");
        return DL_FAILURE;
    }
    if (!opts->output || !*opts->output) {
        dl_error(ctx, dl_loc_unknown(), "code generation needs an output path");
        return DL_FAILURE;
    }
    if (dl_verify(module)) return DL_FAILURE;
    cg_signature sig;
    if (cg_signature_build(module, &sig)) return DL_FAILURE;
    const char *name = opts->name && *opts->name ? opts->name : "model";
    if (opts->emit == DL_EMIT_HEADER)
        return cg_write_header(ctx, &sig, name, opts->target ? opts->target : "host", opts->output);

    cg_target target;
    if (cg_target_create(ctx, opts, &target)) return DL_FAILURE;
    cg_module m;
    cg_module_init(&m, ctx, opts, &sig, &target);
    double t0 = now();
    dl_status st = build_module(&m);
    double t1 = now();
    if (!st) st = cg_optimize(&m, opts->opt_level);
    double t2 = now();
    if (!st) st = write_outputs(&m, opts);
    double t3 = now();
    if (opts->time_phases)
        fprintf(stderr,
                "code generation: %.4f s LLVM IR, %.4f s LLVM default<O%d>, %.4f s emission and "
                "linking\n",
                t1 - t0, t2 - t1, opts->opt_level, t3 - t2);
    cg_module_dispose(&m);
    cg_target_destroy(&target);
    return st;
}
