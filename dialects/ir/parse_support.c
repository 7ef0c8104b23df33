/* parse_support.c: token handling, error reporting and literal decoding for the IR parser. */
#include "parser.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void pr_next(parser *p) {
    p->tok = dl_lex(&p->lx);
}

dl_loc pr_tok_loc(parser *p, const dl_token *t) {
    return dl_loc_file(p->ctx, p->file, t->line, t->col);
}

__attribute__((format(printf, 3, 4))) bool pr_error_at(parser *p, const dl_token *t,
                                                       const char *fmt, ...) {
    if (p->failed) return false;
    p->failed = true;
    va_list ap;
    va_start(ap, fmt);
    dl_emitv(p->ctx, DL_SEV_ERROR, pr_tok_loc(p, t), fmt, ap);
    va_end(ap);
    return false;
}

const char *pr_tok_desc(parser *p, const dl_token *t) {
    switch (t->kind) {
    case TOK_EOF: return "end of input";
    case TOK_ERROR: return dl_strndup(p->ctx, t->text, t->len);
    case TOK_STRING: return "string literal";
    default: {
        size_t n = t->len > 40 ? 40 : t->len;
        const char *pre = t->kind == TOK_VALUE    ? "%"
                          : t->kind == TOK_BLOCK  ? "^"
                          : t->kind == TOK_SYMBOL ? "@"
                                                  : "";
        return dl_sprintf(p->ctx, "'%s%.*s'", pre, (int)n, t->text);
    }
    }
}

bool pr_expected(parser *p, const char *what) {
    if (p->tok.kind == TOK_ERROR) return pr_error_at(p, &p->tok, "%s", pr_tok_desc(p, &p->tok));
    return pr_error_at(p, &p->tok, "expected %s, found %s", what, pr_tok_desc(p, &p->tok));
}

bool pr_accept(parser *p, dl_tok_kind k) {
    if (p->tok.kind != k) return false;
    pr_next(p);
    return true;
}

bool pr_expect(parser *p, dl_tok_kind k, const char *what) {
    if (pr_accept(p, k)) return true;
    return pr_expected(p, what);
}

bool pr_is_keyword(const dl_token *t, const char *kw) {
    return t->kind == TOK_IDENT && strlen(kw) == t->len && memcmp(t->text, kw, t->len) == 0;
}

bool pr_enter(parser *p) {
    if (++p->depth > MAX_DEPTH)
        return pr_error_at(p, &p->tok, "nesting is too deep (more than %d levels)", MAX_DEPTH);
    return true;
}
void pr_leave(parser *p) {
    p->depth--;
}

/* ---- Literals ---- */

bool pr_parse_int_tok(parser *p, const dl_token *t, int64_t *out) {
    char buf[64];
    if (t->len >= sizeof buf) return pr_error_at(p, t, "integer literal is out of range");
    memcpy(buf, t->text, t->len);
    buf[t->len] = 0;
    errno = 0;
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (errno == ERANGE && buf[0] != '-') {
        errno = 0;
        unsigned long long u = strtoull(buf, &end, 10); /* u64 values above INT64_MAX */
        if (errno == ERANGE) return pr_error_at(p, t, "integer literal is out of range");
        v = (long long)u;
    } else if (errno == ERANGE) {
        return pr_error_at(p, t, "integer literal is out of range");
    }
    *out = v;
    return true;
}

double pr_tok_float(const dl_token *t) {
    char buf[128];
    size_t n = t->len < sizeof buf - 1 ? t->len : sizeof buf - 1;
    memcpy(buf, t->text, n);
    buf[n] = 0;
    return strtod(buf, NULL);
}

int pr_hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Unescapes a string token's contents into an arena buffer. */
char *pr_unescape(parser *p, const dl_token *t, size_t *len_out) {
    char *out = dl_alloc(p->ctx, t->len + 1);
    size_t n = 0;
    for (size_t i = 0; i < t->len; i++) {
        char c = t->text[i];
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        if (++i >= t->len) break;
        c = t->text[i];
        if (c == 'n')
            out[n++] = '\n';
        else if (c == 't')
            out[n++] = '\t';
        else if (c == '"' || c == '\\')
            out[n++] = c;
        else if (i + 1 < t->len && pr_hexval(c) >= 0 && pr_hexval(t->text[i + 1]) >= 0) {
            out[n++] = (char)(pr_hexval(c) * 16 + pr_hexval(t->text[i + 1]));
            i++;
        } else {
            pr_error_at(p, t, "invalid escape sequence in string literal");
            return NULL;
        }
    }
    out[n] = 0;
    *len_out = n;
    return out;
}
