/* dlcc.c: the dlcc compiler driver: ONNX model (or IR text at any level) in, native library +
 * header out. The whole pipeline reads top to bottom in compile(): import, graph passes,
 * lowering, scheduling, code generation; IR text input starts at the level it is at. */
#include "cli.h"
#include "dlcc/codegen.h"
#include "dlcc/onnx.h"
#include "dlcc/pass.h"
#include "dlcc/text.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* Default pipelines by optimisation level: graph level, then down to loops. */
static const char *const graph_pipeline[4] = {
    "graph-fold,canonicalize,cse,dce",
    "graph-fold,canonicalize,fold-batchnorm,cse,dce",
    "graph-fold,canonicalize,fold-batchnorm,cse,dce",
    "graph-fold,canonicalize,fold-batchnorm,cse,dce",
};
/* The pipeline from the kernel level down to loops (with lower-to-kernel first from the graph
 * level): the schedule at the optimisation level, printing its trees with -print-schedule. */
static const char *lower_pipeline(char *buf, size_t size, bool from_graph, int opt_level,
                                  int print_schedule) {
    char print[16] = "";
    if (print_schedule) snprintf(print, sizeof print, ",print=%d", print_schedule);
    snprintf(buf, size, "%sschedule{opt=%d%s},plan-memory", from_graph ? "lower-to-kernel," : "",
             opt_level, print);
    return buf;
}

/* -time-passes: the wall-clock time of every step of one compilation (import, each pass, each
 * code generation phase), printed as one report at the end. */
typedef struct step_times {
    unsigned count;
    struct {
        const char *name;
        double seconds;
    } steps[256];
} step_times;

/* The level of a module: graph ops, kernel.generic ops, or neither (loop level). */
typedef enum ir_level { LEVEL_GRAPH, LEVEL_KERNEL, LEVEL_LOOP } ir_level;

typedef struct options {
    const char *input, *output, *target, *emit, *passes;
    int opt_level;
    dl_pm_config pm;
    step_times *times; /* -time-passes, else NULL */
    dl_shape_override shapes[64];
    unsigned num_shapes;
    const char *binds[64]; /* -bind NAME=FILE.pb */
    unsigned num_binds;
    bool no_fold;
    int print_schedule; /* -print-schedule[=N]: the schedule pass's print level, 0 none */
} options;

static void usage(FILE *out) {
    fputs(
        "usage: dlcc MODEL.onnx|FILE.dl [-o OUT] [-target=T] [-O0|-O1|-O2|-O3] [-emit=KIND]\n"
        "            [-shape NAME=1x3x224x224] [-bind NAME=FILE.pb] [-no-fold]\n"
        "            [-passes=PIPELINE] [-print-ir-after-all] [-print-ir-after=PASS]\n"
        "            [-time-passes] [-print-schedule[=1|2|3]] [-j N]\n\n"
        "  FILE.dl      IR text at the graph, kernel or loop level: compiled from that level\n"
        "  -o OUT       output path (default: the model's name beside it)\n"
        "  -target=T    host (default), x86-64, x86-64-avx2, x86-64-avx512, nvptx[-sm_NN],\n"
        "               accel=FILE.xml\n"
        "  -O0..-O3     optimisation level (default -O2)\n"
        "  -emit=KIND   lib (OUT.so + OUT.h, default), obj (OUT.o + OUT.h), asm, llvm, ptx,\n"
        "               graph (graph dialect), kernel (kernel dialect), loop (loop dialect), "
        "header\n"
        "  -shape N=D   fix input N's symbolic dims, e.g. -shape input=1x3x224x224\n"
        "  -bind N=F    specialise the model for one value of input N (a TensorProto file):\n"
        "               N becomes a constant, the library has one input fewer; repeatable\n"
        "  -no-fold     keep constant subgraphs as imported (no folding during import)\n"
        "  -passes=P    run pipeline P after import instead of the default pipeline\n"
        "  -print-ir-after-all, -print-ir-after=PASS, -time-passes: pass instrumentation (stderr)\n"
        "  -print-schedule[=N]  the ISL schedule tree of every function (stderr); N=2 adds the\n"
        "               AST, N=3 the dependences\n"
        "Exit status: 0 success, 1 unsupported or invalid input, 2 usage error.\n",
        out);
}

static bool parse_shape(const char *spec, dl_shape_override *s) {
    const char *eq = strrchr(spec, '=');
    if (!eq || eq == spec) return false;
    int64_t *dims = calloc(64, sizeof(int64_t));
    int rank = 0;
    const char *p = eq + 1;
    while (*p) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0 || rank == 64) {
            free(dims);
            return false;
        }
        dims[rank++] = v;
        p = end;
        if (*p == 'x' || *p == ',')
            p++;
        else if (*p) {
            free(dims);
            return false;
        }
    }
    s->name = strndup(spec, (size_t)(eq - spec));
    s->rank = rank;
    s->dims = dims;
    return true;
}

/* Returns 0 on success, 2 on a usage error (message printed). */
static int parse_options(int argc, char **argv, options *o) {
    dl_cli c = {argc, argv, 1};
    o->opt_level = 2;
    o->emit = "lib";
    o->target = "host";
    for (; c.i < argc; c.i++) {
        bool missing = false;
        const char *v;
        if (dl_cli_flag(&c, "help") || dl_cli_flag(&c, "h")) {
            usage(stdout);
            exit(0);
        } else if ((v = dl_cli_value(&c, "o", &missing))) {
            o->output = v;
        } else if ((v = dl_cli_value(&c, "target", &missing))) {
            o->target = v;
        } else if ((v = dl_cli_value(&c, "emit", &missing))) {
            o->emit = v;
        } else if ((v = dl_cli_value(&c, "passes", &missing))) {
            o->passes = v;
        } else if ((v = dl_cli_value(&c, "print-ir-after", &missing))) {
            o->pm.print_after = v;
        } else if ((v = dl_cli_value(&c, "shape", &missing))) {
            if (o->num_shapes == 64 || !parse_shape(v, &o->shapes[o->num_shapes])) {
                fprintf(stderr, "dlcc: bad -shape '%s' (expected NAME=1x3x224x224)\n", v);
                return 2;
            }
            o->num_shapes++;
        } else if ((v = dl_cli_value(&c, "bind", &missing))) {
            const char *eq = strchr(v, '=');
            if (o->num_binds == 64 || !eq || eq == v || !eq[1]) {
                fprintf(stderr, "dlcc: bad -bind '%s' (expected NAME=FILE.pb)\n", v);
                return 2;
            }
            o->binds[o->num_binds++] = v;
        } else if (dl_cli_flag(&c, "print-schedule")) {
            o->print_schedule = 1;
        } else if ((v = dl_cli_value(&c, "print-schedule", &missing))) {
            if (strlen(v) != 1 || v[0] < '1' || v[0] > '3') {
                fprintf(stderr, "dlcc: bad -print-schedule level '%s' (1, 2 or 3)\n", v);
                return 2;
            }
            o->print_schedule = v[0] - '0';
        } else if (dl_cli_flag(&c, "no-fold")) {
            o->no_fold = true;
        } else if ((v = dl_cli_value(&c, "j", &missing))) {
            /* accepted for compatibility; compilation is single-threaded */
        } else if (strlen(argv[c.i]) == 3 && strncmp(argv[c.i], "-O", 2) == 0 &&
                   argv[c.i][2] >= '0' && argv[c.i][2] <= '3') {
            o->opt_level = argv[c.i][2] - '0';
        } else if (dl_cli_flag(&c, "print-ir-after-all")) {
            o->pm.print_after_all = true;
        } else if (dl_cli_flag(&c, "time-passes")) {
            if (!o->times) o->times = calloc(1, sizeof *o->times);
        } else if (dl_cli_flag(&c, "verify-each")) {
            o->pm.verify_each = true;
        } else if (dl_cli_is_option(&c)) {
            fprintf(stderr, "dlcc: %s '%s'\n", missing ? "missing value for" : "unknown option",
                    argv[c.i]);
            usage(stderr);
            return 2;
        } else if (!o->input) {
            o->input = argv[c.i];
        } else {
            fprintf(stderr, "dlcc: more than one input model ('%s')\n", argv[c.i]);
            return 2;
        }
    }
    if (!o->input) {
        usage(stderr);
        return 2;
    }
    static const char *kinds[] = {"lib",   "obj",    "asm",  "llvm",  "ptx",
                                  "graph", "kernel", "loop", "header"};
    bool known = false;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        known |= strcmp(o->emit, kinds[i]) == 0;
    if (!known) {
        fprintf(stderr, "dlcc: unknown -emit kind '%s'\n", o->emit);
        return 2;
    }
    return 0;
}

/* The model's C name: the output's (or input's) file name without folder and extension,
 * with non-identifier characters replaced. */
static char *model_name(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    char *s = malloc(n + 2);
    size_t k = 0;
    if (n == 0 || (base[0] >= '0' && base[0] <= '9')) s[k++] = 'm';
    for (size_t i = 0; i < n; i++) {
        char ch = base[i];
        s[k++] = ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
                     ? ch
                     : '_';
    }
    s[k] = 0;
    return s;
}

/* Default output: MODEL.onnx -> MODEL.so (or .o/.s/.ll/.ptx/.h). */
static char *default_output(const char *input, const char *emit) {
    const char *ext = strcmp(emit, "obj") == 0      ? ".o"
                      : strcmp(emit, "asm") == 0    ? ".s"
                      : strcmp(emit, "llvm") == 0   ? ".ll"
                      : strcmp(emit, "ptx") == 0    ? ".ptx"
                      : strcmp(emit, "header") == 0 ? ".h"
                                                    : ".so";
    size_t n = strlen(input);
    if (n > 5 && strcmp(input + n - 5, ".onnx") == 0)
        n -= 5;
    else if (n > 3 && strcmp(input + n - 3, ".dl") == 0)
        n -= 3;
    char *s = malloc(n + strlen(ext) + 1);
    memcpy(s, input, n);
    strcpy(s + n, ext);
    return s;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Records a step of -time-passes (times may be NULL). */
static void record_step(step_times *times, const char *name, double seconds) {
    if (!times || times->count == sizeof times->steps / sizeof *times->steps) return;
    times->steps[times->count].name = name;
    times->steps[times->count++].seconds = seconds;
}

/* Length of the first pass of a pipeline string: up to the first comma outside braces. */
static size_t first_pass_length(const char *p) {
    size_t n = 0;
    for (int depth = 0; p[n] && (depth > 0 || p[n] != ','); n++)
        depth += p[n] == '{' ? 1 : p[n] == '}' ? -1 : 0;
    return n;
}

/* Runs a pass pipeline; with -time-passes pass by pass, recording each pass's time. */
static dl_status run_pipeline(dl_op *module, const char *text, const options *o) {
    if (!o->times) {
        dl_pipeline *pl = dl_pipeline_parse(module->ctx, text);
        return pl ? dl_pipeline_run(pl, module, &o->pm) : DL_FAILURE;
    }
    for (const char *p = text; *p;) {
        size_t n = first_pass_length(p);
        const char *pass = dl_sprintf(module->ctx, "%.*s", (int)n, p);
        double start = now();
        dl_pipeline *pl = dl_pipeline_parse(module->ctx, pass);
        dl_status st = pl ? dl_pipeline_run(pl, module, &o->pm) : DL_FAILURE;
        record_step(o->times, pass, now() - start);
        if (st) return st;
        p += n + (p[n] == ',');
    }
    return DL_OK;
}

/* Prints the -time-passes report: every step, the total and the peak memory. */
static void print_times(const step_times *t, FILE *out) {
    double total = 0;
    for (unsigned i = 0; i < t->count; i++) total += t->steps[i].seconds;
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    const char *rule = "===------------------------------------------------------------------"
                       "-------===\n";
    fprintf(out, "%s                       ... Compilation timing report ...\n%s", rule, rule);
    fprintf(out,
            "  Total: %.4f seconds (wall clock); peak memory of dlcc: %.0f MB\n\n"
            "   ---Wall Time---  --- Step ---\n",
            total, (double)self.ru_maxrss / 1024);
    for (unsigned i = 0; i < t->count; i++)
        fprintf(out, "   %.4f (%5.1f%%)  %s\n", t->steps[i].seconds,
                total > 0 ? 100.0 * t->steps[i].seconds / total : 0.0, t->steps[i].name);
    fprintf(out, "   %.4f (100.0%%)  Total\n", total);
}

static dl_status print_module(dl_op *module, const char *output) {
    FILE *f = output && strcmp(output, "-") != 0 ? fopen(output, "w") : stdout;
    if (!f) {
        dl_error(module->ctx, dl_loc_unknown(), "cannot write '%s'", output);
        return DL_FAILURE;
    }
    dl_print_op(module, f, DL_PRINT_DEFAULT);
    if (f != stdout) fclose(f);
    return DL_OK;
}

static bool has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static dl_walk_result find_level(dl_op *op, void *user) {
    ir_level *level = user;
    if (strcmp(dl_op_info_of(op)->dialect, "graph") == 0) {
        *level = LEVEL_GRAPH;
        return DL_WALK_INTERRUPT;
    }
    if (op->kind == DL_OP_kernel_generic) *level = LEVEL_KERNEL;
    return DL_WALK_ADVANCE;
}

static ir_level level_of(dl_op *module) {
    ir_level level = LEVEL_LOOP;
    dl_walk(module, find_level, &level);
    return level;
}

/* Reads the -bind NAME=FILE.pb values; false after an error. */
static bool read_bindings(dl_context *ctx, const options *o, dl_input_binding *b) {
    for (unsigned i = 0; i < o->num_binds; i++) {
        const char *eq = strchr(o->binds[i], '=');
        b[i].name = dl_strndup(ctx, o->binds[i], (size_t)(eq - o->binds[i]));
        b[i].value = dl_onnx_read_tensor(ctx, eq + 1, NULL);
        if (!b[i].value) return false;
    }
    return true;
}

/* An ONNX model is imported; IR text (.dl, or "-" for stdin) is parsed and verified. */
static dl_op *read_input(dl_context *ctx, const options *o) {
    if (!has_suffix(o->input, ".dl") && strcmp(o->input, "-") != 0) {
        dl_input_binding bindings[64];
        if (!read_bindings(ctx, o, bindings)) return NULL;
        dl_onnx_options io = {.shapes = o->shapes,
                              .num_shapes = o->num_shapes,
                              .bindings = bindings,
                              .num_bindings = o->num_binds,
                              .no_fold = o->no_fold};
        return dl_onnx_import(ctx, o->input, &io);
    }
    if (o->num_shapes || o->num_binds || o->no_fold) {
        dl_error(ctx, dl_loc_unknown(), "-shape, -bind and -no-fold apply to ONNX models only");
        return NULL;
    }
    dl_op *module = dl_parse_file(ctx, o->input);
    if (module && dl_verify(module)) return NULL;
    return module;
}

static dl_status compile(dl_context *ctx, const options *o) {
    double start = now();
    dl_op *module = read_input(ctx, o);
    record_step(o->times, "import", now() - start);
    if (!module) return DL_FAILURE;
    ir_level level = level_of(module);

    bool to_graph = strcmp(o->emit, "graph") == 0;
    bool to_kernel = strcmp(o->emit, "kernel") == 0, to_loop = strcmp(o->emit, "loop") == 0;
    if ((to_graph && level > LEVEL_GRAPH) || (to_kernel && level > LEVEL_KERNEL)) {
        dl_error(ctx, dl_loc_unknown(), "-emit=%s: the input is already below that level", o->emit);
        return DL_FAILURE;
    }
    if (o->passes) {
        if (run_pipeline(module, o->passes, o)) return DL_FAILURE;
        if (to_graph || to_kernel || to_loop) return print_module(module, o->output);
    } else {
        if (level == LEVEL_GRAPH) {
            if (run_pipeline(module, graph_pipeline[o->opt_level], o)) return DL_FAILURE;
            if (to_graph) return print_module(module, o->output);
        }
        if (to_kernel) {
            if (level == LEVEL_GRAPH && run_pipeline(module, "lower-to-kernel", o))
                return DL_FAILURE;
            return print_module(module, o->output);
        }
        char pipeline[96];
        if (level != LEVEL_LOOP &&
            run_pipeline(module,
                         lower_pipeline(pipeline, sizeof pipeline, level == LEVEL_GRAPH,
                                        o->opt_level, o->print_schedule),
                         o))
            return DL_FAILURE;
        if (to_loop) return print_module(module, o->output);
    }

    dl_codegen_timing phases = {0};
    dl_codegen_options cg = {
        .target = o->target, .opt_level = o->opt_level, .timing = o->times ? &phases : NULL};
    static const struct {
        const char *name;
        dl_emit_kind kind;
    } emits[] = {{"lib", DL_EMIT_LIB},   {"obj", DL_EMIT_OBJ}, {"asm", DL_EMIT_ASM},
                 {"llvm", DL_EMIT_LLVM}, {"ptx", DL_EMIT_PTX}, {"header", DL_EMIT_HEADER}};
    for (size_t i = 0; i < sizeof emits / sizeof *emits; i++)
        if (strcmp(o->emit, emits[i].name) == 0) cg.emit = emits[i].kind;
    char *out = o->output ? strdup(o->output) : default_output(o->input, o->emit);
    char *name = model_name(strcmp(out, "-") == 0 ? o->input : out); /* -o - : stdout */
    cg.output = out;
    cg.name = name;
    dl_status st = dl_codegen(module, &cg);
    for (unsigned i = 0; i < phases.count; i++)
        record_step(o->times, dl_sprintf(ctx, "codegen: %s", phases.phases[i].name),
                    phases.phases[i].seconds);
    free(out);
    free(name);
    return st;
}

int main(int argc, char **argv) {
    options o = {0};
    int st = parse_options(argc, argv, &o);
    if (st) return st;
    dl_context *ctx = dl_context_create();
    dl_diags_set_stream(ctx, stderr);
    st = compile(ctx, &o) == DL_OK && dl_error_count(ctx) == 0 ? 0 : 1;
    if (o.times) print_times(o.times, o.pm.print_stream ? o.pm.print_stream : stderr);
    dl_context_destroy(ctx);
    free(o.times);
    for (unsigned i = 0; i < o.num_shapes; i++) {
        free((char *)o.shapes[i].name);
        free((int64_t *)o.shapes[i].dims);
    }
    return st;
}
