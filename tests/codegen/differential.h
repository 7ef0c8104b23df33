/* differential.h: differential testing of code generation: a loop-level program is compiled
 * to a model library and run on pseudo-random inputs (with special values: NaN, infinities,
 * signed zeros, integer extremes); its outputs are compared with the reference interpreter's
 * (dialects/interp) on the same inputs. */
#ifndef DLCC_TEST_DIFFERENTIAL_H
#define DLCC_TEST_DIFFERENTIAL_H

#include "dlcc/codegen.h"

typedef struct diff_config {
    const char *work_dir; /* where libraries are written */
    int opt_level;
    const char *target; /* NULL: host */
    bool verbose;
} diff_config;

/* Compiles and checks the program in text (a builtin.module with a loop-level "main"; names in
 * arg_names/result_names). name is the library's C name. Returns 0 when every output matches,
 * 1 otherwise (with a message on stderr). */
int diff_check_text(const diff_config *cfg, const char *name, const char *text, size_t len);
/* The same for a .dl file. */
int diff_check_file(const diff_config *cfg, const char *path);

#endif
