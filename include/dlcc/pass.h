/* pass.h: the pass registry, pass pipelines given as strings, and the pass manager. */
#ifndef DLCC_PASS_H
#define DLCC_PASS_H

#include "dlcc/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Options of one pass instance: `tile{sizes=64,64,32,mode=fast}`. */
typedef struct dl_pass_options {
    unsigned count;
    const char **keys, **values; /* arena strings */
} dl_pass_options;

/* The option's raw string, or NULL. */
const char *dl_pass_option(const dl_pass_options *o, const char *key);
int64_t dl_pass_option_int(const dl_pass_options *o, const char *key, int64_t dflt);
/* Parses a comma-separated integer list option into out (at most max); returns count or -1. */
int dl_pass_option_ints(const dl_pass_options *o, const char *key, int64_t *out, int max);

/* A pass transforms a module in place. It reports user-visible problems as
 * diagnostics and returns DL_FAILURE after emitting at least one error. */
typedef dl_status (*dl_pass_fn)(dl_op *module, const dl_pass_options *options);

typedef struct dl_pass_info {
    const char *name;
    const char *summary;
    dl_pass_fn run;
    const char *option_help; /* "" or e.g. "sizes=N,N,..." */
} dl_pass_info;

/* Every pass of the compiler, from the table in dialects/ir/passes.def. */
const dl_pass_info *dl_passes(size_t *count);
const dl_pass_info *dl_pass_lookup(const char *name);
/* Prints "name  summary" lines for every registered pass. */
void dl_passes_print(FILE *out);

typedef struct dl_pipeline dl_pipeline;

/* Parses "canonicalize,cse,tile{sizes=64,64}" (names must be registered).
 * Errors are emitted to ctx; returns NULL on error. Arena-owned. */
dl_pipeline *dl_pipeline_parse(dl_context *ctx, const char *text);
/* Appends one pass instance. */
void dl_pipeline_add(dl_pipeline *pl, const dl_pass_info *pass, const dl_pass_options *options);
dl_pipeline *dl_pipeline_create(dl_context *ctx);
size_t dl_pipeline_size(const dl_pipeline *pl);

typedef struct dl_pm_config {
    bool verify_each;        /* verify after every pass */
    bool print_after_all;    /* print the IR after every pass */
    const char *print_after; /* print the IR after passes with this name */
    bool time_passes;        /* print a timing report at the end */
    FILE *print_stream;      /* where IR dumps and timings go (default stderr) */
} dl_pm_config;

/* Runs the passes in order; stops at the first failing pass or verification. */
dl_status dl_pipeline_run(dl_pipeline *pl, dl_op *module, const dl_pm_config *config);

/* ---- Greedy pattern rewriting ------------------------------------------- */

typedef struct dl_rewriter dl_rewriter;

/* A pattern matches one op (of `kind`, or any op with DL_OP__INVALID) and rewrites it
 * through the rewriter's functions, returning true if it changed the IR. */
typedef struct dl_pattern {
    const char *name;
    dl_op_kind kind;
    bool (*apply)(dl_op *op, dl_rewriter *rw);
} dl_pattern;

/* Replaces op's results with vals (one per result) and erases op. */
void dl_rw_replace(dl_rewriter *rw, dl_op *op, dl_value *const *vals);
/* Replaces a single-result op by a value. */
void dl_rw_replace1(dl_rewriter *rw, dl_op *op, dl_value *val);
/* Erases an op whose results are unused. */
void dl_rw_erase(dl_rewriter *rw, dl_op *op);
/* Tells the driver that op was created or changed in place (it is revisited). */
void dl_rw_notify(dl_rewriter *rw, dl_op *op);
dl_context *dl_rw_context(dl_rewriter *rw);

/* Applies patterns to every op under root until nothing changes (or a bound on the
 * number of rewrites is reached). Dead pure ops are erased along the way. Returns
 * true if anything changed. */
bool dl_apply_patterns(dl_op *root, const dl_pattern *patterns, size_t num_patterns);

#ifdef __cplusplus
}
#endif
#endif
