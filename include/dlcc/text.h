/* text.h: printing and parsing the generic IR text syntax (.dl files). */
#ifndef DLCC_TEXT_H
#define DLCC_TEXT_H

#include "dlcc/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dl_print_flags {
    DL_PRINT_DEFAULT = 0,
    DL_PRINT_NO_LOCS = 1 << 0, /* omit loc(...) annotations */
} dl_print_flags;

/* Prints op (usually a module) and everything nested in it. */
void dl_print_op(dl_op *op, FILE *out, dl_print_flags flags);
/* Prints a float so that it reads back exactly (f64 or f32 precision). */
void dl_print_float(double v, bool f64, FILE *out);
void dl_print_string_literal(const char *s, size_t len, FILE *out);

/* Parses text holding one top-level op (a builtin.module). Errors are emitted to
 * ctx as "file:line:col: error: ..." and NULL is returned. The text need not be
 * NUL-terminated. filename is used in locations. */
__dl_give dl_op *dl_parse(dl_context *ctx, const char *text, size_t len, const char *filename);
/* Reads and parses a file ("-" is stdin). */
__dl_give dl_op *dl_parse_file(dl_context *ctx, const char *path);

/* Parses a type or an attribute from a string (for tools and tests). */
const dl_type *dl_parse_type(dl_context *ctx, const char *text);
const dl_attr *dl_parse_attr(dl_context *ctx, const char *text);

#ifdef __cplusplus
}
#endif
#endif
