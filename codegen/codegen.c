/* codegen.c: code generation entry: loop-level module -> one LLVM module (model function,
 * parallel closures, entry points, metadata) -> LLVM's optimisation pipeline -> the files
 * -emit asks for (.ll, .s, .o + .h, .so + .h, .h). Objects and libraries keep large constants
 * out of LLVM: they are written as a separate data object (data_object.c) and linked in. */
#include "codegen/cg.h"

#include <string.h>
#include <time.h>

/* Wall-clock seconds, for -time-passes. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Records the phase that ran since *start and restarts the clock. */
static void phase_done(const dl_codegen_options *opts, const char *name, double *start) {
    double t = now();
    dl_codegen_timing *timing = opts->timing;
    if (timing && timing->count < sizeof timing->phases / sizeof *timing->phases) {
        timing->phases[timing->count].name = name;
        timing->phases[timing->count++].seconds = t - *start;
    }
    *start = t;
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

/* The data object of the constants the optimised module still refers to (LLVM may have deleted
 * the declarations of unused ones). Returns NULL (no object needed) or the path written. */
static const char *write_data(cg_module *m, const char *tmp, dl_status *st) {
    size_t n = 0;
    for (size_t i = 0; i < m->num_data_blocks; i++) {
        LLVMValueRef g = LLVMGetNamedGlobal(m->mod, m->data_blocks[i].symbol);
        if (g && LLVMGetFirstUse(g)) m->data_blocks[n++] = m->data_blocks[i];
    }
    m->num_data_blocks = n;
    if (n == 0) return NULL;
    const char *path = dl_sprintf(m->ctx, "%s/%s.data.o", tmp, m->name);
    *st = cg_write_data_object(m->ctx, path, m->target->triple, m->data_blocks, n);
    return path;
}

/* .o or .so: the code object and the data object in a temporary folder, linked with the
 * runtimes, plus OUT.h. */
static dl_status write_linked(cg_module *m, const char *output, bool shared, double *clock) {
    char *tmp = cg_make_temp_dir(m->ctx);
    if (!tmp) return DL_FAILURE;
    const char *objects[2] = {dl_sprintf(m->ctx, "%s/%s.o", tmp, m->name), NULL};
    dl_status st = cg_write_machine_code(m, objects[0], false);
    phase_done(m->opts, "machine code", clock);
    if (!st) objects[1] = write_data(m, tmp, &st);
    phase_done(m->opts, "data object", clock);
    bool host = strcmp(m->target->name, "host") == 0;
    if (!st) st = cg_link(m->ctx, tmp, objects, objects[1] ? 2 : 1, output, shared, host);
    cg_remove_temp_dir(tmp);
    phase_done(m->opts, shared ? "link (shared library)" : "link (object)", clock);
    if (!st)
        st = cg_write_header(m->ctx, m->sig, m->name, m->target->name, header_path(m->ctx, output));
    phase_done(m->opts, "header", clock);
    return st;
}

static dl_status write_outputs(cg_module *m, const dl_codegen_options *opts, double *clock) {
    dl_status st;
    switch (opts->emit) {
    case DL_EMIT_LLVM: st = cg_write_llvm_ir(m, opts->output); break;
    case DL_EMIT_ASM: st = cg_write_machine_code(m, opts->output, true); break;
    case DL_EMIT_OBJ: return write_linked(m, opts->output, false, clock);
    case DL_EMIT_LIB: return write_linked(m, opts->output, true, clock);
    default: DL_UNREACHABLE("emit kind handled before code generation");
    }
    phase_done(opts, opts->emit == DL_EMIT_LLVM ? "LLVM IR output" : "assembly", clock);
    return st;
}

dl_status dl_codegen(dl_op *module, const dl_codegen_options *opts) {
    static const char *const pipelines[4] = {"LLVM default<O0>", "LLVM default<O1>",
                                             "LLVM default<O2>", "LLVM default<O3>"};
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
    m.external_data = (opts->emit == DL_EMIT_OBJ || opts->emit == DL_EMIT_LIB) &&
                      cg_data_object_supports(target.triple);
    int level = opts->opt_level < 0 ? 0 : opts->opt_level > 3 ? 3 : opts->opt_level;
    double clock = now();
    dl_status st = build_module(&m);
    phase_done(opts, "LLVM IR generation", &clock);
    if (!st) st = cg_optimize(&m, level);
    phase_done(opts, pipelines[level], &clock);
    if (!st) st = write_outputs(&m, opts, &clock);
    cg_module_dispose(&m);
    cg_target_destroy(&target);
    return st;
}
