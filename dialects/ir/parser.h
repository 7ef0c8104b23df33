/* parser.h: the IR text parser's state and the helpers its files share (private to
 * dialects/ir: parser.c, parse_support.c, parse_type.c, parse_attr.c). */
#ifndef DLCC_IR_PARSER_H
#define DLCC_IR_PARSER_H

#include "internal.h"
#include "lexer.h"

enum { MAX_DEPTH = 200, MAX_RANK = 64 };

/* Names visible in the current isolated scope; nested regions pop what they define. */
typedef struct scope {
    dl_ptrmap names; /* interned name -> dl_value */
    const char **defined;
    size_t num_defined, cap_defined;
} scope;

typedef struct parser {
    dl_context *ctx;
    const char *file;
    dl_lexer lx;
    dl_token tok;
    bool failed;
    int depth;
    scope *scope;
} parser;

/* ---- Tokens and errors (parse_support.c) ---- */

/* Lexes the next token into p->tok. */
void pr_next(parser *p);
dl_loc pr_tok_loc(parser *p, const dl_token *t);
/* Reports the first error at token t (later ones are dropped); returns false. */
__attribute__((format(printf, 3, 4))) bool pr_error_at(parser *p, const dl_token *t,
                                                       const char *fmt, ...);
/* A short description of a token for messages. */
const char *pr_tok_desc(parser *p, const dl_token *t);
/* Reports "expected WHAT, found TOKEN"; returns false. */
bool pr_expected(parser *p, const char *what);
/* Consumes the current token if it is of kind k. */
bool pr_accept(parser *p, dl_tok_kind k);
/* Consumes a token of kind k or reports "expected WHAT". */
bool pr_expect(parser *p, dl_tok_kind k, const char *what);
bool pr_is_keyword(const dl_token *t, const char *kw);
/* Nesting guard around recursive productions: false (with an error) past MAX_DEPTH. */
bool pr_enter(parser *p);
void pr_leave(parser *p);
/* Literal values: a decimal integer token (u64 values above INT64_MAX wrap), a float token,
 * a hex digit (-1 if none), a string token's unescaped contents (arena; NULL on error). */
bool pr_parse_int_tok(parser *p, const dl_token *t, int64_t *out);
double pr_tok_float(const dl_token *t);
int pr_hexval(int c);
char *pr_unescape(parser *p, const dl_token *t, size_t *len_out);

/* ---- Types (parse_type.c) and attributes (parse_attr.c) ---- */

bool pr_starts_type(const dl_token *t);
const dl_type *pr_parse_type(parser *p);
const dl_attr *pr_parse_attr(parser *p);
/* After '{': parses "name = attr, ..." up to '}'. */
bool pr_parse_attr_entries(parser *p, dl_named_attr **out, unsigned *n);

#endif
