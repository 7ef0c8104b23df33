/* parse_type.c: parsing IR types: scalars, none, tensor/memref/vector shapes (with raw
 * dimension lexing), seq<T> and function types. */
#include "parser.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const dl_type *scalar_type_named(parser *p, const dl_token *t) {
    for (int k = 0; k < DL_TY_NUM_SCALARS; k++) {
        const char *n = dl_scalar_name((dl_type_kind)k);
        if (strlen(n) == t->len && memcmp(n, t->text, t->len) == 0)
            return dl_type_scalar(p->ctx, (dl_type_kind)k);
    }
    return NULL;
}

bool pr_starts_type(const dl_token *t) {
    static const char *kws[] = {"tensor", "memref", "vector", "seq", "none"};
    if (t->kind == TOK_LPAREN) return true;
    if (t->kind != TOK_IDENT) return false;
    for (size_t i = 0; i < sizeof kws / sizeof *kws; i++)
        if (pr_is_keyword(t, kws[i])) return true;
    for (int k = 0; k < DL_TY_NUM_SCALARS; k++) {
        const char *n = dl_scalar_name((dl_type_kind)k);
        if (strlen(n) == t->len && memcmp(n, t->text, t->len) == 0) return true;
    }
    return false;
}

/* Parses "2x?x{N}x" dimension prefixes directly from the raw text after '<'. */
static bool parse_dims(parser *p, int *rank, int64_t *dims, const char **names) {
    dl_lexer *lx = &p->lx;
    *rank = 0;
    for (;;) {
        const char *s = dl_lexer_skip_space(lx);
        uint32_t line = lx->line, col = lx->col;
        dl_token here = {TOK_ERROR, s, 1, line, col};
        int64_t d = DL_DYN;
        const char *name = NULL;
        size_t n = 0;
        if (s < lx->end && *s >= '0' && *s <= '9') {
            while (s + n < lx->end && s[n] >= '0' && s[n] <= '9') n++;
            if (s + n >= lx->end || s[n] != 'x') break; /* not a dimension (e.g. a scalar type) */
            if (n > 15) return pr_error_at(p, &here, "dimension is too large");
            d = strtoll(s, NULL, 10);
        } else if (s < lx->end && *s == '?') {
            n = 1;
            if (s + n >= lx->end || s[n] != 'x')
                return pr_error_at(p, &here, "expected 'x' after '?'");
        } else if (s < lx->end && *s == '{') {
            n = 1;
            if (s + n < lx->end && s[n] == '"') {
                size_t start = ++n;
                while (s + n < lx->end && s[n] != '"' && s[n] != '\n') n += (s[n] == '\\') ? 2 : 1;
                if (s + n >= lx->end || s[n] != '"')
                    return pr_error_at(p, &here, "unterminated dimension name");
                dl_token st = {TOK_STRING, s + start, n - start, line, col};
                size_t len;
                char *u = pr_unescape(p, &st, &len);
                if (!u) return false;
                name = dl_intern(p->ctx, u);
                n++;
            } else {
                size_t start = n;
                while (s + n < lx->end && (isalnum((unsigned char)s[n]) || s[n] == '_')) n++;
                if (n == start) return pr_error_at(p, &here, "expected a dimension name after '{'");
                name = dl_intern_n(p->ctx, s + start, n - start);
            }
            if (s + n >= lx->end || s[n] != '}')
                return pr_error_at(p, &here, "expected '}' after dimension name");
            n++;
            if (s + n >= lx->end || s[n] != 'x')
                return pr_error_at(p, &here, "expected 'x' after dimension name");
        } else {
            break;
        }
        if (*rank >= MAX_RANK) return pr_error_at(p, &here, "rank is larger than %d", MAX_RANK);
        dims[*rank] = d;
        names[*rank] = name;
        (*rank)++;
        dl_lexer_advance(lx, n + 1);
    }
    pr_next(p);
    return true;
}

static const dl_type *parse_shaped(parser *p, dl_type_kind kind) {
    /* current token is '<' (not yet consumed from raw text: the lexer stands after it) */
    if (p->tok.kind != TOK_LESS) return pr_expected(p, "'<'"), NULL;
    int rank;
    int64_t dims[MAX_RANK];
    const char *names[MAX_RANK];
    if (!parse_dims(p, &rank, dims, names)) return NULL;
    dl_token et = p->tok;
    const dl_type *elem = et.kind == TOK_IDENT ? scalar_type_named(p, &et) : NULL;
    if (!elem) return pr_expected(p, "an element type"), NULL;
    pr_next(p);
    const dl_type *t = NULL;
    if (kind == DL_TY_TENSOR) {
        t = dl_type_tensor(p->ctx, elem, rank, dims, names);
    } else {
        for (int i = 0; i < rank; i++)
            if (names[i]) return pr_error_at(p, &et, "only tensors have named dimensions"), NULL;
        if (kind == DL_TY_VECTOR) {
            if (rank == 0)
                return pr_error_at(p, &et, "a vector needs at least one dimension"), NULL;
            for (int i = 0; i < rank; i++)
                if (dims[i] <= 0)
                    return pr_error_at(p, &et, "vector dimensions must be positive"), NULL;
            t = dl_type_vector(p->ctx, elem, rank, dims);
        } else {
            int64_t strides[MAX_RANK], offset = 0;
            bool has_layout = false;
            if (pr_accept(p, TOK_COMMA)) {
                has_layout = true;
                if (!pr_is_keyword(&p->tok, "strided")) return pr_expected(p, "'strided'"), NULL;
                pr_next(p);
                if (!pr_expect(p, TOK_LESS, "'<'") || !pr_expect(p, TOK_LBRACKET, "'['"))
                    return NULL;
                for (int i = 0; i < rank; i++) {
                    if (i && !pr_expect(p, TOK_COMMA, "','")) return NULL;
                    if (pr_accept(p, TOK_QUESTION))
                        strides[i] = DL_DYN;
                    else if (p->tok.kind == TOK_INT) {
                        if (!pr_parse_int_tok(p, &p->tok, &strides[i])) return NULL;
                        pr_next(p);
                    } else
                        return pr_expected(p, "a stride"), NULL;
                }
                if (!pr_expect(p, TOK_RBRACKET, "']'") || !pr_expect(p, TOK_COMMA, "','"))
                    return NULL;
                if (!pr_is_keyword(&p->tok, "offset")) return pr_expected(p, "'offset'"), NULL;
                pr_next(p);
                if (!pr_expect(p, TOK_COLON, "':'")) return NULL;
                if (pr_accept(p, TOK_QUESTION))
                    offset = DL_DYN;
                else if (p->tok.kind == TOK_INT) {
                    if (!pr_parse_int_tok(p, &p->tok, &offset)) return NULL;
                    pr_next(p);
                } else
                    return pr_expected(p, "an offset"), NULL;
                if (!pr_expect(p, TOK_GREATER, "'>'")) return NULL;
            }
            t = dl_type_memref(p->ctx, elem, rank, dims, has_layout ? strides : NULL, offset);
        }
    }
    if (!pr_expect(p, TOK_GREATER, "'>'")) return NULL;
    return t;
}

static bool parse_type_list(parser *p, const dl_type ***out, unsigned *n) {
    /* '(' already consumed */
    unsigned cap = 4;
    const dl_type **v = DL_NEW_ARRAY(p->ctx, const dl_type *, cap);
    *n = 0;
    if (!pr_accept(p, TOK_RPAREN)) {
        do {
            const dl_type *t = pr_parse_type(p);
            if (!t) return false;
            if (*n == cap) {
                const dl_type **nv = DL_NEW_ARRAY(p->ctx, const dl_type *, cap * 2);
                memcpy(nv, v, sizeof(*v) * cap);
                v = nv;
                cap *= 2;
            }
            v[(*n)++] = t;
        } while (pr_accept(p, TOK_COMMA));
        if (!pr_expect(p, TOK_RPAREN, "')' or ','")) return false;
    }
    *out = v;
    return true;
}

static const dl_type *parse_func_type(parser *p) {
    const dl_type **ins, **outs;
    unsigned nin, nout;
    if (!pr_expect(p, TOK_LPAREN, "'('") || !parse_type_list(p, &ins, &nin)) return NULL;
    if (!pr_expect(p, TOK_ARROW, "'->'")) return NULL;
    if (pr_accept(p, TOK_LPAREN)) {
        if (!parse_type_list(p, &outs, &nout)) return NULL;
    } else {
        const dl_type *t = pr_parse_type(p);
        if (!t) return NULL;
        outs = DL_NEW_ARRAY(p->ctx, const dl_type *, 1);
        outs[0] = t;
        nout = 1;
    }
    return dl_type_func(p->ctx, nin, ins, nout, outs);
}

const dl_type *pr_parse_type(parser *p) {
    if (!pr_enter(p)) return NULL;
    const dl_type *t = NULL;
    dl_token tk = p->tok;
    if (tk.kind == TOK_LPAREN) {
        t = parse_func_type(p);
    } else if (tk.kind == TOK_IDENT) {
        if ((t = scalar_type_named(p, &tk))) {
            pr_next(p);
        } else if (pr_is_keyword(&tk, "none")) {
            pr_next(p);
            t = dl_type_none(p->ctx);
        } else if (pr_is_keyword(&tk, "tensor") || pr_is_keyword(&tk, "memref") ||
                   pr_is_keyword(&tk, "vector")) {
            dl_type_kind k = pr_is_keyword(&tk, "tensor")   ? DL_TY_TENSOR
                             : pr_is_keyword(&tk, "memref") ? DL_TY_MEMREF
                                                            : DL_TY_VECTOR;
            /* Lex '<' by hand so that the dimension text after it stays raw. */
            const char *s = dl_lexer_skip_space(&p->lx);
            if (s < p->lx.end && *s == '<') {
                dl_lexer_advance(&p->lx, 1);
                p->tok = (dl_token){TOK_LESS, s, 1, tk.line, tk.col};
            } else {
                pr_next(p);
            }
            t = parse_shaped(p, k);
        } else if (pr_is_keyword(&tk, "seq")) {
            pr_next(p);
            if (pr_expect(p, TOK_LESS, "'<'")) {
                const dl_type *e = pr_parse_type(p);
                if (e && pr_expect(p, TOK_GREATER, "'>'")) t = dl_type_seq(p->ctx, e);
            }
        } else {
            pr_expected(p, "a type");
        }
    } else {
        pr_expected(p, "a type");
    }
    pr_leave(p);
    return t;
}
