/* pass.c: the `schedule` pass: for each function, the polyhedral model, dependences, a
 * schedule tree (identity at opt=0/1, fused and tiled groups at opt=2/3), the ISL AST, and
 * loop-dialect code in place of the kernel.generic ops.
 *
 * Levels: opt=0 the identity schedule as plain loops; opt=1 the identity schedule with
 * loop.parallel on the outermost dependence-free loop (when at least `parallel` instances run
 * under it) and vectorize hints; opt=2 fusion groups, tiles from the target model (or rows),
 * micro-kernels for reductions, padded copies folded, unroll hints up to 4 iterations; opt=3
 * the same with unroll hints up to 8.
 * Options:
 *   fuse=0|1, tile=S1,S2,...|0   fusion; sizes of each group's shared band, outermost first
 *   parallel=N|0, vector=F32_LANES|0, unroll=N, cache=L1,L2 (KiB)
 *   microkernel=0|1   register-blocked micro-kernels for reductions and their fused members,
 *                     constants packed into panels for them (default at opt=2/3 with fusion
 *                     and automatic tiles)
 *   padding=0|1       intermediate buffers written straight into the padded copies that
 *                     convolutions read (default at opt=2/3)
 *   regs=N, threads=N vector registers the micro-kernels may fill, cores the parallel loop is
 *                     balanced for (the target's by default)
 *   print=1|2|3       schedule trees (and micro-kernel choices) to stderr, and ASTs, and
 *                     dependences
 *   verify=1          check the final schedule against every dependence with ISL */
#include "sched.h"

#include <stdlib.h>
#include <string.h>

static const char *const known_options[] = {
    "opt",   "fuse",   "tile",        "parallel", "vector",  "unroll", "cache",
    "print", "verify", "microkernel", "regs",     "threads", "padding"};

/* Reads the pass options over the defaults of the optimisation level. */
static dl_status parse_options(dl_context *ctx, const dl_pass_options *po, sched_options *o) {
    for (unsigned i = 0; po && i < po->count; i++) {
        bool known = false;
        for (size_t k = 0; k < sizeof known_options / sizeof *known_options; k++)
            known |= strcmp(po->keys[i], known_options[k]) == 0;
        if (!known) {
            dl_error(ctx, dl_loc_unknown(), "pass 'schedule': unknown option '%s'", po->keys[i]);
            return DL_FAILURE;
        }
    }
    memset(o, 0, sizeof *o);
    o->opt = (int)dl_pass_option_int(po, "opt", 2);
    if (o->opt < 0 || o->opt > 3) {
        dl_error(ctx, dl_loc_unknown(), "pass 'schedule': opt must be 0..3");
        return DL_FAILURE;
    }
    o->target = sched_target_host();
    int64_t cache[2];
    int nc = dl_pass_option_ints(po, "cache", cache, 2);
    if (nc == 2 && cache[0] > 0 && cache[1] > 0) {
        o->target.l1_bytes = cache[0] * 1024;
        o->target.l2_bytes = cache[1] * 1024;
    } else if (nc != -1 || dl_pass_option(po, "cache")) {
        dl_error(ctx, dl_loc_unknown(), "pass 'schedule': cache=L1KiB,L2KiB expected");
        return DL_FAILURE;
    }
    o->fuse = dl_pass_option_int(po, "fuse", o->opt >= 2) != 0;
    o->tile = o->opt >= 2;
    int nt = dl_pass_option_ints(po, "tile", o->tile_sizes, SCHED_MAX_TILES);
    if (nt == 1 && o->tile_sizes[0] == 0) {
        o->tile = false;
    } else if (nt > 0 && nt <= SCHED_MAX_TILES) {
        o->tile = true;
        o->num_tile_sizes = nt;
    } else if (nt != -1 || dl_pass_option(po, "tile")) {
        dl_error(ctx, dl_loc_unknown(), "pass 'schedule': tile=S1,S2,... (at most %d) expected",
                 SCHED_MAX_TILES);
        return DL_FAILURE;
    }
    o->parallel_min = dl_pass_option_int(po, "parallel", o->opt >= 1 ? 16384 : 0);
    o->vector = (int)dl_pass_option_int(po, "vector", o->opt >= 1 ? o->target.vector_bytes / 4 : 0);
    o->unroll = (int)dl_pass_option_int(po, "unroll", o->opt == 3 ? 8 : o->opt == 2 ? 4 : 0);
    o->target.vector_regs = (int)dl_pass_option_int(po, "regs", o->target.vector_regs);
    o->target.threads = (int)dl_pass_option_int(po, "threads", o->target.threads);
    bool mk = o->opt >= 2 && o->fuse && o->tile && !o->num_tile_sizes; /* sizes: as given */
    o->microkernel = dl_pass_option_int(po, "microkernel", mk) != 0;
    o->fold_padding = dl_pass_option_int(po, "padding", o->opt >= 2) != 0;
    o->print = (int)dl_pass_option_int(po, "print", 0);
    o->verify = dl_pass_option_int(po, "verify", 0) != 0;
    if (o->parallel_min < 0 || o->vector < 0 || o->unroll < 0 || o->target.vector_regs < 4 ||
        o->target.threads < 1) {
        dl_error(ctx, dl_loc_unknown(),
                 "pass 'schedule': negative option value (or regs < 4, threads < 1)");
        return DL_FAILURE;
    }
    return DL_OK;
}

static void print_schedule(const sched_scop *scop, isl_schedule *sched, const sched_options *o) {
    fprintf(stderr, "// ISL schedule of @%s (opt=%d)\n", dl_func_name(scop->func), o->opt);
    isl_printer *p = isl_printer_to_file(scop->ctx, stderr);
    p = isl_printer_set_yaml_style(p, ISL_YAML_STYLE_BLOCK);
    p = isl_printer_print_schedule(p, sched);
    p = isl_printer_end_line(p);
    isl_printer_free(p);
}

/* The ASTs of the parts of the schedule, in order. */
static void print_ast(const sched_scop *scop, isl_ast_node *const *asts, int n) {
    fprintf(stderr, "// ISL AST of @%s\n", dl_func_name(scop->func));
    isl_printer *p = isl_printer_to_file(scop->ctx, stderr);
    p = isl_printer_set_output_format(p, ISL_FORMAT_C);
    for (int k = 0; k < n; k++) p = isl_printer_print_ast_node(p, asts[k]);
    isl_printer_free(p);
}

static bool has_generic(const sched_scop *scop) {
    for (int i = 0; i < scop->num_stmts; i++)
        if (scop->stmts[i].generic) return true;
    return false;
}

static dl_status isl_failure(sched_scop *scop, const char *what) {
    const char *msg = isl_ctx_last_error_msg(scop->ctx);
    return dl_op_error(scop->func, "schedule: %s failed%s%s", what, msg ? ": " : "",
                       msg ? msg : "");
}

/* Frees parts[0..n). */
static void free_parts(isl_schedule **parts, int n) {
    for (int k = 0; k < n; k++) isl_schedule_free(parts[k]);
}

/* Schedules one function with a fresh ISL context. */
static dl_status schedule_func(dl_op *func, const sched_options *o) {
    isl_ctx *ctx = isl_ctx_alloc();
    isl_options_set_on_error(ctx, ISL_ON_ERROR_CONTINUE);
    isl_options_set_tile_scale_tile_loops(ctx, 0);
    isl_options_set_tile_shift_point_loops(ctx, 0);
    isl_options_set_ast_build_atomic_upper_bound(ctx, 1);
    isl_options_set_ast_build_detect_min_max(ctx, 1);
    isl_options_set_ast_build_group_coscheduled(ctx, 1); /* one mark per micro-kernel tile */
    sched_scop scop;
    isl_schedule **parts = NULL; /* the schedule: one part per group, or the identity */
    isl_ast_node **asts = NULL;
    int num_parts = 0;
    if (o->fold_padding) sched_fold_padding(func);
    dl_status st = sched_scop_build(&scop, ctx, func);
    if (!st && has_generic(&scop)) {
        st = sched_compute_deps(&scop);
        if (!st && (o->opt >= 2 || o->fuse)) st = sched_form_groups(&scop, o);
        parts = calloc((size_t)(scop.num_groups + 1), sizeof *parts);
        asts = calloc((size_t)(scop.num_groups + 1), sizeof *asts);
        DL_ASSERT(parts && asts);
        if (!st) {
            /* Groups are legal one by one; their sequence must follow the dependences too.
             * verify=1 checks the whole schedule with ISL as well. */
            if (scop.num_groups) {
                num_parts = sched_optimized_parts(&scop, o, parts);
            } else {
                parts[0] = sched_identity(&scop);
                num_parts = 1;
            }
            isl_bool ok = isl_bool_true;
            for (int k = 0; k < num_parts && ok == isl_bool_true; k++)
                if (!parts[k]) ok = isl_bool_error;
            if (ok == isl_bool_true && scop.num_groups && !sched_groups_ordered(&scop))
                ok = isl_bool_false;
            if (ok == isl_bool_true && o->verify) {
                isl_schedule *whole = sched_sequence(parts, num_parts);
                ok = whole ? sched_respects_deps(&scop, whole, NULL) : isl_bool_error;
                isl_schedule_free(whole);
            }
            if (ok == isl_bool_false) {
                dl_emit(func->ctx, DL_SEV_WARNING, func->loc,
                        "schedule: optimised schedule of @%s violates a dependence; using the "
                        "program order",
                        dl_func_name(func));
                free_parts(parts, num_parts);
                parts[0] = sched_identity(&scop);
                num_parts = 1;
            } else if (ok < 0) {
                st = isl_failure(&scop, "schedule construction");
            }
        }
        if (!st && o->print >= 3) {
            fprintf(stderr, "// dependences of @%s\n", dl_func_name(func));
            isl_union_map_dump(scop.deps);
        }
        if (!st && o->print) {
            isl_schedule *whole = sched_sequence(parts, num_parts);
            print_schedule(&scop, whole, o);
            isl_schedule_free(whole);
        }
        for (int k = 0; k < num_parts && !st; k++)
            if (!(asts[k] = sched_build_ast(&scop, parts[k])))
                st = isl_failure(&scop, "AST generation");
        if (!st && o->print >= 2) print_ast(&scop, asts, num_parts);
        if (!st) st = sched_emit_loops(&scop, asts, num_parts, o);
    }
    for (int k = 0; k < num_parts; k++) isl_ast_node_free(asts[k]);
    free(asts);
    free_parts(parts, num_parts);
    free(parts);
    sched_scop_free(&scop);
    isl_ctx_free(ctx);
    return st;
}

/* The `schedule` pass (dialects/ir/passes.def). */
dl_status dl_pass_schedule(dl_op *module, const dl_pass_options *options) {
    sched_options o;
    if (parse_options(module->ctx, options, &o)) return DL_FAILURE;
    dl_block *body = dl_module_body(module);
    for (dl_op *f = body->first; f; f = f->next)
        if (f->kind == DL_OP_builtin_func && schedule_func(f, &o)) return DL_FAILURE;
    return DL_OK;
}
