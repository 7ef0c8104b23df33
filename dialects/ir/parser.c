/* parser.c: recursive-descent parser of the generic IR text syntax (see printer.c).
 * Stops at the first error, reported as "file:line:col: error: ...". Never trusts its
 * input: nesting depth, literal ranges and sizes are all checked. */
#include "dlcc/text.h"
#include "internal.h"
#include "lexer.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

static void next(parser *p) {
    p->tok = dl_lex(&p->lx);
}

static dl_loc tok_loc(parser *p, const dl_token *t) {
    return dl_loc_file(p->ctx, p->file, t->line, t->col);
}

__attribute__((format(printf, 3, 4))) static bool error_at(parser *p, const dl_token *t,
                                                           const char *fmt, ...) {
    if (p->failed) return false;
    p->failed = true;
    va_list ap;
    va_start(ap, fmt);
    dl_emitv(p->ctx, DL_SEV_ERROR, tok_loc(p, t), fmt, ap);
    va_end(ap);
    return false;
}

static const char *tok_desc(parser *p, const dl_token *t) {
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

static bool expected(parser *p, const char *what) {
    if (p->tok.kind == TOK_ERROR) return error_at(p, &p->tok, "%s", tok_desc(p, &p->tok));
    return error_at(p, &p->tok, "expected %s, found %s", what, tok_desc(p, &p->tok));
}

static bool accept(parser *p, dl_tok_kind k) {
    if (p->tok.kind != k) return false;
    next(p);
    return true;
}

static bool expect(parser *p, dl_tok_kind k, const char *what) {
    if (accept(p, k)) return true;
    return expected(p, what);
}

static bool is_keyword(const dl_token *t, const char *kw) {
    return t->kind == TOK_IDENT && strlen(kw) == t->len && memcmp(t->text, kw, t->len) == 0;
}

static bool enter(parser *p) {
    if (++p->depth > MAX_DEPTH)
        return error_at(p, &p->tok, "nesting is too deep (more than %d levels)", MAX_DEPTH);
    return true;
}
static void leave(parser *p) {
    p->depth--;
}

/* ---- Literals ---- */

static bool parse_int_tok(parser *p, const dl_token *t, int64_t *out) {
    char buf[64];
    if (t->len >= sizeof buf) return error_at(p, t, "integer literal is out of range");
    memcpy(buf, t->text, t->len);
    buf[t->len] = 0;
    errno = 0;
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (errno == ERANGE && buf[0] != '-') {
        errno = 0;
        unsigned long long u = strtoull(buf, &end, 10); /* u64 values above INT64_MAX */
        if (errno == ERANGE) return error_at(p, t, "integer literal is out of range");
        v = (long long)u;
    } else if (errno == ERANGE) {
        return error_at(p, t, "integer literal is out of range");
    }
    *out = v;
    return true;
}

static double tok_float(const dl_token *t) {
    char buf[128];
    size_t n = t->len < sizeof buf - 1 ? t->len : sizeof buf - 1;
    memcpy(buf, t->text, n);
    buf[n] = 0;
    return strtod(buf, NULL);
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Unescapes a string token's contents into an arena buffer. */
static char *unescape(parser *p, const dl_token *t, size_t *len_out) {
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
        else if (i + 1 < t->len && hexval(c) >= 0 && hexval(t->text[i + 1]) >= 0) {
            out[n++] = (char)(hexval(c) * 16 + hexval(t->text[i + 1]));
            i++;
        } else {
            error_at(p, t, "invalid escape sequence in string literal");
            return NULL;
        }
    }
    out[n] = 0;
    *len_out = n;
    return out;
}

/* ---- Types ---- */

static const dl_type *parse_type(parser *p);

static const dl_type *scalar_type_named(parser *p, const dl_token *t) {
    for (int k = 0; k < DL_TY_NUM_SCALARS; k++) {
        const char *n = dl_scalar_name((dl_type_kind)k);
        if (strlen(n) == t->len && memcmp(n, t->text, t->len) == 0)
            return dl_type_scalar(p->ctx, (dl_type_kind)k);
    }
    return NULL;
}

static bool starts_type(const dl_token *t) {
    static const char *kws[] = {"tensor", "memref", "vector", "seq", "none"};
    if (t->kind == TOK_LPAREN) return true;
    if (t->kind != TOK_IDENT) return false;
    for (size_t i = 0; i < sizeof kws / sizeof *kws; i++)
        if (is_keyword(t, kws[i])) return true;
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
            if (n > 15) return error_at(p, &here, "dimension is too large");
            d = strtoll(s, NULL, 10);
        } else if (s < lx->end && *s == '?') {
            n = 1;
            if (s + n >= lx->end || s[n] != 'x')
                return error_at(p, &here, "expected 'x' after '?'");
        } else if (s < lx->end && *s == '{') {
            n = 1;
            if (s + n < lx->end && s[n] == '"') {
                size_t start = ++n;
                while (s + n < lx->end && s[n] != '"' && s[n] != '\n') n += (s[n] == '\\') ? 2 : 1;
                if (s + n >= lx->end || s[n] != '"')
                    return error_at(p, &here, "unterminated dimension name");
                dl_token st = {TOK_STRING, s + start, n - start, line, col};
                size_t len;
                char *u = unescape(p, &st, &len);
                if (!u) return false;
                name = dl_intern(p->ctx, u);
                n++;
            } else {
                size_t start = n;
                while (s + n < lx->end && (isalnum((unsigned char)s[n]) || s[n] == '_')) n++;
                if (n == start) return error_at(p, &here, "expected a dimension name after '{'");
                name = dl_intern_n(p->ctx, s + start, n - start);
            }
            if (s + n >= lx->end || s[n] != '}')
                return error_at(p, &here, "expected '}' after dimension name");
            n++;
            if (s + n >= lx->end || s[n] != 'x')
                return error_at(p, &here, "expected 'x' after dimension name");
        } else {
            break;
        }
        if (*rank >= MAX_RANK) return error_at(p, &here, "rank is larger than %d", MAX_RANK);
        dims[*rank] = d;
        names[*rank] = name;
        (*rank)++;
        dl_lexer_advance(lx, n + 1);
    }
    next(p);
    return true;
}

static const dl_type *parse_shaped(parser *p, dl_type_kind kind) {
    /* current token is '<' (not yet consumed from raw text: the lexer stands after it) */
    if (p->tok.kind != TOK_LESS) return expected(p, "'<'"), NULL;
    int rank;
    int64_t dims[MAX_RANK];
    const char *names[MAX_RANK];
    if (!parse_dims(p, &rank, dims, names)) return NULL;
    dl_token et = p->tok;
    const dl_type *elem = et.kind == TOK_IDENT ? scalar_type_named(p, &et) : NULL;
    if (!elem) return expected(p, "an element type"), NULL;
    next(p);
    const dl_type *t = NULL;
    if (kind == DL_TY_TENSOR) {
        t = dl_type_tensor(p->ctx, elem, rank, dims, names);
    } else {
        for (int i = 0; i < rank; i++)
            if (names[i]) return error_at(p, &et, "only tensors have named dimensions"), NULL;
        if (kind == DL_TY_VECTOR) {
            if (rank == 0) return error_at(p, &et, "a vector needs at least one dimension"), NULL;
            for (int i = 0; i < rank; i++)
                if (dims[i] <= 0)
                    return error_at(p, &et, "vector dimensions must be positive"), NULL;
            t = dl_type_vector(p->ctx, elem, rank, dims);
        } else {
            int64_t strides[MAX_RANK], offset = 0;
            bool has_layout = false;
            if (accept(p, TOK_COMMA)) {
                has_layout = true;
                if (!is_keyword(&p->tok, "strided")) return expected(p, "'strided'"), NULL;
                next(p);
                if (!expect(p, TOK_LESS, "'<'") || !expect(p, TOK_LBRACKET, "'['")) return NULL;
                for (int i = 0; i < rank; i++) {
                    if (i && !expect(p, TOK_COMMA, "','")) return NULL;
                    if (accept(p, TOK_QUESTION))
                        strides[i] = DL_DYN;
                    else if (p->tok.kind == TOK_INT) {
                        if (!parse_int_tok(p, &p->tok, &strides[i])) return NULL;
                        next(p);
                    } else
                        return expected(p, "a stride"), NULL;
                }
                if (!expect(p, TOK_RBRACKET, "']'") || !expect(p, TOK_COMMA, "','")) return NULL;
                if (!is_keyword(&p->tok, "offset")) return expected(p, "'offset'"), NULL;
                next(p);
                if (!expect(p, TOK_COLON, "':'")) return NULL;
                if (accept(p, TOK_QUESTION))
                    offset = DL_DYN;
                else if (p->tok.kind == TOK_INT) {
                    if (!parse_int_tok(p, &p->tok, &offset)) return NULL;
                    next(p);
                } else
                    return expected(p, "an offset"), NULL;
                if (!expect(p, TOK_GREATER, "'>'")) return NULL;
            }
            t = dl_type_memref(p->ctx, elem, rank, dims, has_layout ? strides : NULL, offset);
        }
    }
    if (!expect(p, TOK_GREATER, "'>'")) return NULL;
    return t;
}

static bool parse_type_list(parser *p, const dl_type ***out, unsigned *n) {
    /* '(' already consumed */
    unsigned cap = 4;
    const dl_type **v = DL_NEW_ARRAY(p->ctx, const dl_type *, cap);
    *n = 0;
    if (!accept(p, TOK_RPAREN)) {
        do {
            const dl_type *t = parse_type(p);
            if (!t) return false;
            if (*n == cap) {
                const dl_type **nv = DL_NEW_ARRAY(p->ctx, const dl_type *, cap * 2);
                memcpy(nv, v, sizeof(*v) * cap);
                v = nv;
                cap *= 2;
            }
            v[(*n)++] = t;
        } while (accept(p, TOK_COMMA));
        if (!expect(p, TOK_RPAREN, "')' or ','")) return false;
    }
    *out = v;
    return true;
}

static const dl_type *parse_func_type(parser *p) {
    const dl_type **ins, **outs;
    unsigned nin, nout;
    if (!expect(p, TOK_LPAREN, "'('") || !parse_type_list(p, &ins, &nin)) return NULL;
    if (!expect(p, TOK_ARROW, "'->'")) return NULL;
    if (accept(p, TOK_LPAREN)) {
        if (!parse_type_list(p, &outs, &nout)) return NULL;
    } else {
        const dl_type *t = parse_type(p);
        if (!t) return NULL;
        outs = DL_NEW_ARRAY(p->ctx, const dl_type *, 1);
        outs[0] = t;
        nout = 1;
    }
    return dl_type_func(p->ctx, nin, ins, nout, outs);
}

static const dl_type *parse_type(parser *p) {
    if (!enter(p)) return NULL;
    const dl_type *t = NULL;
    dl_token tk = p->tok;
    if (tk.kind == TOK_LPAREN) {
        t = parse_func_type(p);
    } else if (tk.kind == TOK_IDENT) {
        if ((t = scalar_type_named(p, &tk))) {
            next(p);
        } else if (is_keyword(&tk, "none")) {
            next(p);
            t = dl_type_none(p->ctx);
        } else if (is_keyword(&tk, "tensor") || is_keyword(&tk, "memref") ||
                   is_keyword(&tk, "vector")) {
            dl_type_kind k = is_keyword(&tk, "tensor")   ? DL_TY_TENSOR
                             : is_keyword(&tk, "memref") ? DL_TY_MEMREF
                                                         : DL_TY_VECTOR;
            /* Lex '<' by hand so that the dimension text after it stays raw. */
            const char *s = dl_lexer_skip_space(&p->lx);
            if (s < p->lx.end && *s == '<') {
                dl_lexer_advance(&p->lx, 1);
                p->tok = (dl_token){TOK_LESS, s, 1, tk.line, tk.col};
            } else {
                next(p);
            }
            t = parse_shaped(p, k);
        } else if (is_keyword(&tk, "seq")) {
            next(p);
            if (expect(p, TOK_LESS, "'<'")) {
                const dl_type *e = parse_type(p);
                if (e && expect(p, TOK_GREATER, "'>'")) t = dl_type_seq(p->ctx, e);
            }
        } else {
            expected(p, "a type");
        }
    } else {
        expected(p, "a type");
    }
    leave(p);
    return t;
}

/* ---- Affine maps ---- */

typedef struct {
    unsigned num_dims, num_syms;
} affine_scope;

static const dl_affine_expr *parse_affine_expr(parser *p, const affine_scope *as);

static const dl_affine_expr *parse_affine_atom(parser *p, const affine_scope *as) {
    dl_token t = p->tok;
    if (accept(p, TOK_LPAREN)) {
        const dl_affine_expr *e = parse_affine_expr(p, as);
        if (!e || !expect(p, TOK_RPAREN, "')'")) return NULL;
        return e;
    }
    if (accept(p, TOK_MINUS)) {
        const dl_affine_expr *e = parse_affine_atom(p, as);
        return e ? dl_aff_mul(p->ctx, e, dl_aff_const(p->ctx, -1)) : NULL;
    }
    if (t.kind == TOK_INT) {
        int64_t v;
        if (!parse_int_tok(p, &t, &v)) return NULL;
        next(p);
        return dl_aff_const(p->ctx, v);
    }
    if (t.kind == TOK_IDENT && t.len >= 2 && (t.text[0] == 'd' || t.text[0] == 's')) {
        unsigned pos = 0;
        bool ok = true;
        for (size_t i = 1; i < t.len && ok; i++) {
            ok = t.text[i] >= '0' && t.text[i] <= '9' && pos < 100000;
            pos = pos * 10 + (unsigned)(t.text[i] - '0');
        }
        if (ok) {
            bool dim = t.text[0] == 'd';
            if (pos >= (dim ? as->num_dims : as->num_syms))
                return error_at(p, &t, "%s%u is not declared by the map", dim ? "d" : "s", pos),
                       NULL;
            next(p);
            return dim ? dl_aff_dim(p->ctx, pos) : dl_aff_sym(p->ctx, pos);
        }
    }
    return expected(p, "an affine expression"), NULL;
}

static const dl_affine_expr *parse_affine_term(parser *p, const affine_scope *as) {
    const dl_affine_expr *e = parse_affine_atom(p, as);
    while (e) {
        dl_affine_kind k;
        if (p->tok.kind == TOK_STAR)
            k = DL_AFF_MUL;
        else if (is_keyword(&p->tok, "floordiv"))
            k = DL_AFF_FLOORDIV;
        else if (is_keyword(&p->tok, "ceildiv"))
            k = DL_AFF_CEILDIV;
        else if (is_keyword(&p->tok, "mod"))
            k = DL_AFF_MOD;
        else
            break;
        dl_token op = p->tok;
        next(p);
        const dl_affine_expr *r = parse_affine_atom(p, as);
        if (!r) return NULL;
        if (k == DL_AFF_MUL && e->kind != DL_AFF_CONST && r->kind != DL_AFF_CONST)
            return error_at(p, &op, "a product needs a constant factor to be affine"), NULL;
        if (k != DL_AFF_MUL && (r->kind != DL_AFF_CONST || r->value <= 0))
            return error_at(p, &op, "the divisor must be a positive constant"), NULL;
        e = dl_aff_bin(p->ctx, k, e, r);
    }
    return e;
}

static const dl_affine_expr *parse_affine_expr(parser *p, const affine_scope *as) {
    if (!enter(p)) return NULL;
    const dl_affine_expr *e = parse_affine_term(p, as);
    while (e && (p->tok.kind == TOK_PLUS || p->tok.kind == TOK_MINUS)) {
        bool sub = p->tok.kind == TOK_MINUS;
        next(p);
        const dl_affine_expr *r = parse_affine_term(p, as);
        if (!r) {
            e = NULL;
            break;
        }
        if (sub) r = dl_aff_mul(p->ctx, r, dl_aff_const(p->ctx, -1));
        e = dl_aff_add(p->ctx, e, r);
    }
    leave(p);
    return e;
}

/* Parses "(d0, d1)[s0] -> (exprs)". */
static const dl_affine_map *parse_affine_map(parser *p) {
    affine_scope as = {0, 0};
    if (!expect(p, TOK_LPAREN, "'('")) return NULL;
    if (!accept(p, TOK_RPAREN)) {
        do {
            dl_token t = p->tok;
            char want[16];
            snprintf(want, sizeof want, "d%u", as.num_dims);
            if (!is_keyword(&t, want)) return error_at(p, &t, "expected '%s'", want), NULL;
            next(p);
            as.num_dims++;
        } while (accept(p, TOK_COMMA));
        if (!expect(p, TOK_RPAREN, "')'")) return NULL;
    }
    if (accept(p, TOK_LBRACKET)) {
        do {
            dl_token t = p->tok;
            char want[16];
            snprintf(want, sizeof want, "s%u", as.num_syms);
            if (!is_keyword(&t, want)) return error_at(p, &t, "expected '%s'", want), NULL;
            next(p);
            as.num_syms++;
        } while (accept(p, TOK_COMMA));
        if (!expect(p, TOK_RBRACKET, "']'")) return NULL;
    }
    if (!expect(p, TOK_ARROW, "'->'") || !expect(p, TOK_LPAREN, "'('")) return NULL;
    unsigned n = 0, cap = 4;
    const dl_affine_expr **res = DL_NEW_ARRAY(p->ctx, const dl_affine_expr *, cap);
    if (!accept(p, TOK_RPAREN)) {
        do {
            const dl_affine_expr *e = parse_affine_expr(p, &as);
            if (!e) return NULL;
            if (n == cap) {
                const dl_affine_expr **nr = DL_NEW_ARRAY(p->ctx, const dl_affine_expr *, cap * 2);
                memcpy(nr, res, sizeof(*res) * cap);
                res = nr;
                cap *= 2;
            }
            res[n++] = e;
        } while (accept(p, TOK_COMMA));
        if (!expect(p, TOK_RPAREN, "')'")) return NULL;
    }
    return dl_affine_map_get(p->ctx, as.num_dims, as.num_syms, n, res);
}

/* ---- Attributes ---- */

static const dl_attr *parse_attr(parser *p);

/* One dense element literal: number, true/false, nan/inf (optionally negated). */
typedef struct {
    bool is_float;
    double f;
    int64_t i;
} num_lit;

static bool parse_num_lit(parser *p, num_lit *out) {
    dl_token t = p->tok;
    bool neg = false;
    if (t.kind == TOK_MINUS) {
        next(p);
        neg = true;
        t = p->tok;
        if (!is_keyword(&t, "inf")) return expected(p, "'inf'");
    }
    if (t.kind == TOK_INT) {
        if (!parse_int_tok(p, &t, &out->i)) return false;
        out->is_float = false;
        out->f = t.text[0] == '-' ? (double)out->i : (double)(uint64_t)out->i;
    } else if (t.kind == TOK_FLOAT) {
        out->is_float = true;
        out->f = tok_float(&t);
    } else if (is_keyword(&t, "true") || is_keyword(&t, "false")) {
        out->is_float = false;
        out->i = is_keyword(&t, "true");
        out->f = (double)out->i;
    } else if (is_keyword(&t, "nan") || is_keyword(&t, "inf")) {
        out->is_float = true;
        out->f = is_keyword(&t, "nan") ? NAN : neg ? -INFINITY : INFINITY;
    } else {
        return expected(p, "a number");
    }
    next(p);
    return true;
}

typedef struct {
    num_lit *v;
    size_t n, cap;
} num_list;

static bool parse_num_list(parser *p, num_list *l) {
    if (!enter(p)) return false;
    bool ok = true;
    if (accept(p, TOK_LBRACKET)) {
        if (!accept(p, TOK_RBRACKET)) {
            do ok = parse_num_list(p, l);
            while (ok && accept(p, TOK_COMMA));
            ok = ok && expect(p, TOK_RBRACKET, "']' or ','");
        }
    } else {
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 16;
            num_lit *nv = realloc(l->v, sizeof(num_lit) * l->cap);
            DL_ASSERT(nv);
            l->v = nv;
        }
        ok = parse_num_lit(p, &l->v[l->n++]);
    }
    leave(p);
    return ok;
}

static const dl_attr *parse_dense(parser *p, dl_token start) {
    /* 'dense' (start) consumed */
    if (!expect(p, TOK_LESS, "'<'")) return NULL;
    num_list list = {0};
    dl_token hex = {0};
    bool is_hex = false, is_list = p->tok.kind == TOK_LBRACKET;
    if (p->tok.kind == TOK_STRING) {
        hex = p->tok;
        is_hex = true;
        next(p);
    } else if (!parse_num_list(p, &list)) {
        free(list.v);
        return NULL;
    }
    const dl_attr *a = NULL;
    const dl_type *t = NULL;
    if (!expect(p, TOK_GREATER, "'>'") || !expect(p, TOK_COLON, "':'") || !(t = parse_type(p)))
        goto done;
    if (t->kind != DL_TY_TENSOR || !dl_type_has_static_shape(t)) {
        error_at(p, &start, "dense data needs a tensor type with a static shape");
        goto done;
    }
    int64_t count = dl_type_num_elements(t);
    size_t es = dl_scalar_size(t->elem->kind);
    if (count < 0 || (uint64_t)count > ((uint64_t)1 << 40) / es) {
        error_at(p, &start, "dense data is too large");
        goto done;
    }
    if (is_hex) {
        if (hex.len < 2 || hex.text[0] != '0' || (hex.text[1] != 'x' && hex.text[1] != 'X') ||
            (hex.len - 2) % 2) {
            error_at(p, &hex, "expected a hex string \"0x...\"");
            goto done;
        }
        size_t nbytes = (hex.len - 2) / 2;
        bool splat = nbytes == es && count != 1;
        if (nbytes != es * (size_t)count && !splat) {
            error_at(p, &hex, "hex data has %zu bytes but %s needs %zu", nbytes,
                     dl_type_str(p->ctx, t), es * (size_t)count);
            goto done;
        }
        unsigned char *buf = dl_alloc(p->ctx, nbytes + 1);
        for (size_t i = 0; i < nbytes; i++) {
            int hi = hexval(hex.text[2 + 2 * i]), lo = hexval(hex.text[3 + 2 * i]);
            if (hi < 0 || lo < 0) {
                error_at(p, &hex, "invalid hex digit in dense data");
                goto done;
            }
            buf[i] = (unsigned char)(hi * 16 + lo);
        }
        a = dl_attr_dense(p->ctx, t, buf, nbytes, splat, false);
        goto done;
    }
    if (list.n != (size_t)count && !(list.n == 1 && !is_list)) {
        error_at(p, &start, "dense data has %zu elements but %s needs %lld", list.n,
                 dl_type_str(p->ctx, t), (long long)count);
        goto done;
    }
    bool flt = dl_type_is_float(t->elem);
    if (flt) {
        double *v = malloc(sizeof(double) * (list.n ? list.n : 1));
        DL_ASSERT(v);
        for (size_t i = 0; i < list.n; i++) v[i] = list.v[i].f;
        a = dl_attr_dense_from_f64(p->ctx, t, v, list.n);
        free(v);
    } else {
        int64_t *v = malloc(sizeof(int64_t) * (list.n ? list.n : 1));
        DL_ASSERT(v);
        for (size_t i = 0; i < list.n; i++) {
            if (list.v[i].is_float) {
                error_at(p, &start, "float literal in integer dense data");
                free(v);
                goto done;
            }
            v[i] = list.v[i].i;
        }
        a = dl_attr_dense_from_i64(p->ctx, t, v, list.n);
        free(v);
    }
done:
    free(list.v);
    return a;
}

static const char *parse_attr_name(parser *p) {
    dl_token t = p->tok;
    if (t.kind == TOK_IDENT) {
        next(p);
        return dl_intern_n(p->ctx, t.text, t.len);
    }
    if (t.kind == TOK_STRING) {
        size_t len;
        char *s = unescape(p, &t, &len);
        if (!s) return NULL;
        next(p);
        return dl_intern(p->ctx, s);
    }
    return expected(p, "an attribute name"), NULL;
}

/* '{' consumed: parses "name = attr, ..." up to '}' into entries. */
static bool parse_attr_entries(parser *p, dl_named_attr **out, unsigned *n) {
    unsigned cap = 4;
    dl_named_attr *e = DL_NEW_ARRAY(p->ctx, dl_named_attr, cap);
    *n = 0;
    if (!accept(p, TOK_RBRACE)) {
        do {
            dl_token nt = p->tok;
            const char *name = parse_attr_name(p);
            if (!name || !expect(p, TOK_EQUAL, "'='")) return false;
            const dl_attr *a = parse_attr(p);
            if (!a) return false;
            for (unsigned i = 0; i < *n; i++)
                if (e[i].name == name) return error_at(p, &nt, "duplicate attribute '%s'", name);
            if (*n == cap) {
                dl_named_attr *ne = DL_NEW_ARRAY(p->ctx, dl_named_attr, cap * 2);
                memcpy(ne, e, sizeof(*e) * cap);
                e = ne;
                cap *= 2;
            }
            e[(*n)++] = (dl_named_attr){name, a};
        } while (accept(p, TOK_COMMA));
        if (!expect(p, TOK_RBRACE, "'}' or ','")) return false;
    }
    *out = e;
    return true;
}

static const dl_attr *parse_number_attr(parser *p) {
    dl_token t = p->tok;
    num_lit lit;
    if (!parse_num_lit(p, &lit)) return NULL;
    const dl_type *ty = NULL;
    if (accept(p, TOK_COLON)) {
        dl_token tt = p->tok;
        ty = parse_type(p);
        if (!ty) return NULL;
        if (!dl_type_is_scalar(ty)) return error_at(p, &tt, "expected a scalar type"), NULL;
    }
    if (!ty) ty = dl_type_scalar(p->ctx, lit.is_float ? DL_TY_F32 : DL_TY_I64);
    if (dl_type_is_float(ty)) return dl_attr_float_typed(p->ctx, lit.f, ty);
    if (lit.is_float) return error_at(p, &t, "float literal with an integer type"), NULL;
    return dl_attr_int_typed(p->ctx, lit.i, ty);
}

static const dl_attr *parse_attr(parser *p) {
    if (!enter(p)) return NULL;
    const dl_attr *a = NULL;
    dl_token t = p->tok;
    if (t.kind == TOK_INT || t.kind == TOK_FLOAT || t.kind == TOK_MINUS || is_keyword(&t, "nan") ||
        is_keyword(&t, "inf")) {
        a = parse_number_attr(p);
    } else if (is_keyword(&t, "true") || is_keyword(&t, "false")) {
        next(p);
        a = dl_attr_bool(p->ctx, is_keyword(&t, "true"));
    } else if (is_keyword(&t, "unit")) {
        next(p);
        a = dl_attr_unit(p->ctx);
    } else if (t.kind == TOK_STRING) {
        size_t len;
        char *s = unescape(p, &t, &len);
        if (s) {
            next(p);
            a = dl_attr_string_n(p->ctx, s, len);
        }
    } else if (t.kind == TOK_SYMBOL) {
        next(p);
        if (t.text[0] == '"') {
            dl_token inner = {TOK_STRING, t.text + 1, t.len - 2, t.line, t.col};
            size_t len;
            char *s = unescape(p, &inner, &len);
            if (s) a = dl_attr_symbol(p->ctx, s);
        } else {
            a = dl_attr_symbol(p->ctx, dl_strndup(p->ctx, t.text, t.len));
        }
    } else if (accept(p, TOK_LBRACKET)) {
        unsigned n = 0, cap = 8;
        const dl_attr **v = DL_NEW_ARRAY(p->ctx, const dl_attr *, cap);
        bool ok = true;
        if (!accept(p, TOK_RBRACKET)) {
            do {
                const dl_attr *e = parse_attr(p);
                if (!(ok = e != NULL)) break;
                if (n == cap) {
                    const dl_attr **nv = DL_NEW_ARRAY(p->ctx, const dl_attr *, cap * 2);
                    memcpy(nv, v, sizeof(*v) * cap);
                    v = nv;
                    cap *= 2;
                }
                v[n++] = e;
            } while (accept(p, TOK_COMMA));
            ok = ok && expect(p, TOK_RBRACKET, "']' or ','");
        }
        if (ok) a = dl_attr_array(p->ctx, n, v);
    } else if (accept(p, TOK_LBRACE)) {
        dl_named_attr *e;
        unsigned n;
        if (parse_attr_entries(p, &e, &n)) a = dl_attr_dict(p->ctx, n, e);
    } else if (is_keyword(&t, "dense")) {
        next(p);
        a = parse_dense(p, t);
    } else if (is_keyword(&t, "affine_map")) {
        next(p);
        if (expect(p, TOK_LESS, "'<'")) {
            const dl_affine_map *m = parse_affine_map(p);
            if (m && expect(p, TOK_GREATER, "'>'")) a = dl_attr_affine_map(p->ctx, m);
        }
    } else if (starts_type(&t)) {
        const dl_type *ty = parse_type(p);
        if (ty) a = dl_attr_type(p->ctx, ty);
    } else {
        expected(p, "an attribute");
    }
    leave(p);
    return a;
}

/* ---- Operations, blocks, regions ---- */

static void define(parser *p, const dl_token *t, dl_value *v) {
    const char *name = dl_intern_n(p->ctx, t->text, t->len);
    scope *s = p->scope;
    if (dl_ptrmap_has(&s->names, name)) {
        error_at(p, t, "redefinition of value '%%%s'", name);
        return;
    }
    dl_ptrmap_set(&s->names, name, v);
    if (s->num_defined == s->cap_defined) {
        s->cap_defined = s->cap_defined ? s->cap_defined * 2 : 64;
        const char **nd = realloc(s->defined, sizeof(char *) * s->cap_defined);
        DL_ASSERT(nd);
        s->defined = nd;
    }
    s->defined[s->num_defined++] = name;
    bool numeric = true;
    for (size_t i = 0; i < t->len && numeric; i++) numeric = t->text[i] >= '0' && t->text[i] <= '9';
    if (!numeric) v->name = name;
}

static void pop_scope_to(scope *s, size_t mark) {
    while (s->num_defined > mark) dl_ptrmap_del(&s->names, s->defined[--s->num_defined]);
}

static dl_op *parse_op(parser *p);

/* Parses '{' blocks '}' into r (r->op is set by the caller later). */
static bool parse_region(parser *p, dl_region *r) {
    if (!expect(p, TOK_LBRACE, "'{'")) return false;
    size_t mark = p->scope->num_defined;
    dl_block *b = NULL;
    while (!p->failed && p->tok.kind != TOK_RBRACE) {
        if (p->tok.kind == TOK_EOF) return expected(p, "'}'");
        if (p->tok.kind == TOK_BLOCK || !b) {
            b = dl_block_create(p->ctx);
            dl_region_append(r, b);
            if (accept(p, TOK_BLOCK)) {
                if (accept(p, TOK_LPAREN) && !accept(p, TOK_RPAREN)) {
                    do {
                        dl_token vt = p->tok;
                        if (!expect(p, TOK_VALUE, "a block argument") ||
                            !expect(p, TOK_COLON, "':'"))
                            return false;
                        const dl_type *t = parse_type(p);
                        if (!t) return false;
                        define(p, &vt, dl_block_add_arg(p->ctx, b, t));
                    } while (accept(p, TOK_COMMA));
                    if (!expect(p, TOK_RPAREN, "')'")) return false;
                }
                if (!expect(p, TOK_COLON, "':' after the block label")) return false;
                continue;
            }
        }
        dl_op *op = parse_op(p);
        if (!op) return false;
        dl_block_append(b, op);
    }
    pop_scope_to(p->scope, mark);
    return expect(p, TOK_RBRACE, "'}'");
}

static dl_op *parse_op(parser *p) {
    if (!enter(p)) return NULL;
    dl_op *result = NULL;
    dl_token res_toks[64];
    unsigned num_res = 0;
    dl_token first = p->tok;
    if (p->tok.kind == TOK_VALUE) {
        do {
            if (num_res == 64) {
                error_at(p, &p->tok, "too many results");
                goto out;
            }
            res_toks[num_res++] = p->tok;
            if (!expect(p, TOK_VALUE, "a result name")) goto out;
        } while (accept(p, TOK_COMMA));
        if (!expect(p, TOK_EQUAL, "'='")) goto out;
    }
    dl_token name = p->tok;
    if (name.kind != TOK_IDENT) {
        expected(p, "an operation name");
        goto out;
    }
    char nbuf[128];
    snprintf(nbuf, sizeof nbuf, "%.*s", (int)(name.len < 127 ? name.len : 127), name.text);
    dl_op_kind kind = dl_op_kind_lookup(nbuf);
    if (kind == DL_OP__INVALID) {
        error_at(p, &name, "unknown operation '%s'", nbuf);
        goto out;
    }
    next(p);
    const dl_op_info *info = &dl_op_infos[kind];

    /* operands */
    if (!expect(p, TOK_LPAREN, "'('")) goto out;
    unsigned nops = 0, cap = 8;
    dl_value **ops = DL_NEW_ARRAY(p->ctx, dl_value *, cap);
    dl_token *op_toks = DL_NEW_ARRAY(p->ctx, dl_token, cap);
    if (!accept(p, TOK_RPAREN)) {
        do {
            dl_token vt = p->tok;
            if (!expect(p, TOK_VALUE, "an operand")) goto out;
            const char *vn = dl_intern_n(p->ctx, vt.text, vt.len);
            dl_value *v = dl_ptrmap_get(&p->scope->names, vn);
            if (!v) {
                error_at(p, &vt, "use of undefined value '%%%s'", vn);
                goto out;
            }
            if (nops == cap) {
                dl_value **nv = DL_NEW_ARRAY(p->ctx, dl_value *, cap * 2);
                dl_token *nt = DL_NEW_ARRAY(p->ctx, dl_token, cap * 2);
                memcpy(nv, ops, sizeof(*ops) * cap);
                memcpy(nt, op_toks, sizeof(*op_toks) * cap);
                ops = nv;
                op_toks = nt;
                cap *= 2;
            }
            op_toks[nops] = vt;
            ops[nops++] = v;
        } while (accept(p, TOK_COMMA));
        if (!expect(p, TOK_RPAREN, "')' or ','")) goto out;
    }

    /* attributes */
    dl_named_attr *attrs = NULL;
    unsigned nattrs = 0;
    if (accept(p, TOK_LBRACE) && !parse_attr_entries(p, &attrs, &nattrs)) goto out;

    /* regions: parsed before the op exists, in the scope the op dictates */
    unsigned nregions = 0;
    dl_region regions[8];
    memset(regions, 0, sizeof regions);
    if (accept(p, TOK_LPAREN)) {
        bool isolated = (info->traits & DL_TRAIT_ISOLATED) != 0;
        scope inner = {0}, *outer = p->scope;
        if (isolated) p->scope = &inner;
        bool ok = true;
        do {
            if (nregions == 8) {
                error_at(p, &p->tok, "too many regions");
                ok = false;
                break;
            }
            ok = parse_region(p, &regions[nregions++]);
        } while (ok && accept(p, TOK_COMMA));
        if (isolated) {
            dl_ptrmap_free(&inner.names);
            free(inner.defined);
            p->scope = outer;
        }
        if (!ok || !expect(p, TOK_RPAREN, "')' after regions")) goto out;
    }

    /* signature */
    const dl_type *sig = NULL;
    dl_token sig_tok = p->tok;
    if (accept(p, TOK_COLON)) {
        sig_tok = p->tok;
        if (!(sig = parse_type(p))) goto out;
        if (sig->kind != DL_TY_FUNC) {
            error_at(p, &sig_tok, "expected a function type '(operands) -> (results)'");
            goto out;
        }
    }
    unsigned sig_in = sig ? sig->num_inputs : 0, sig_out = sig ? sig->num_results : 0;
    if (sig_in != nops) {
        error_at(p, &sig_tok, "'%s' has %u operands but its signature lists %u types", info->name,
                 nops, sig_in);
        goto out;
    }
    for (unsigned i = 0; i < nops; i++)
        if (ops[i]->type != sig->inputs[i]) {
            error_at(p, &op_toks[i], "operand %u has type %s but the signature says %s", i,
                     dl_type_str(p->ctx, ops[i]->type), dl_type_str(p->ctx, sig->inputs[i]));
            goto out;
        }
    if (sig_out != num_res) {
        error_at(p, &first, "'%s' defines %u result names but its signature has %u results",
                 info->name, num_res, sig_out);
        goto out;
    }

    /* location */
    dl_loc loc = tok_loc(p, &name);
    if (is_keyword(&p->tok, "loc")) {
        next(p);
        if (!expect(p, TOK_LPAREN, "'('")) goto out;
        dl_token lt = p->tok;
        size_t len;
        char *s;
        if (!expect(p, TOK_STRING, "a location name") || !(s = unescape(p, &lt, &len))) goto out;
        loc.name = dl_intern(p->ctx, s);
        if (accept(p, TOK_COMMA)) {
            dl_token dt = p->tok;
            if (!expect(p, TOK_STRING, "a location detail") || !(s = unescape(p, &dt, &len)))
                goto out;
            loc.detail = dl_intern(p->ctx, s);
        }
        if (!expect(p, TOK_RPAREN, "')'")) goto out;
    }

    dl_op *op =
        dl_op_create(p->ctx, kind, loc, nops, ops, num_res, sig ? sig->results : NULL, nregions);
    for (unsigned i = 0; i < nattrs; i++) dl_op_set_attr(op, attrs[i].name, attrs[i].attr);
    for (unsigned i = 0; i < nregions; i++) {
        op->regions[i].first = regions[i].first;
        op->regions[i].last = regions[i].last;
        for (dl_block *b = regions[i].first; b; b = b->next) b->region = &op->regions[i];
    }
    for (unsigned i = 0; i < num_res; i++) define(p, &res_toks[i], &op->results[i]);
    if (!p->failed) result = op;
out:
    leave(p);
    return result;
}

static void init_parser(parser *p, dl_context *ctx, const char *text, size_t len, const char *file,
                        scope *s) {
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    p->file = file ? dl_intern(ctx, file) : "<input>";
    p->scope = s;
    dl_lexer_init(&p->lx, text, len);
    next(p);
}

static void free_scope(scope *s) {
    dl_ptrmap_free(&s->names);
    free(s->defined);
}

dl_op *dl_parse(dl_context *ctx, const char *text, size_t len, const char *filename) {
    scope top = {0};
    parser p;
    init_parser(&p, ctx, text, len, filename, &top);
    dl_op *op = NULL;
    if (p.tok.kind == TOK_EOF) {
        error_at(&p, &p.tok, "expected an operation, the file is empty");
    } else {
        op = parse_op(&p);
        if (op && p.tok.kind != TOK_EOF) {
            expected(&p, "end of input after the top-level operation");
            op = NULL;
        }
    }
    free_scope(&top);
    return p.failed ? NULL : op;
}

dl_op *dl_parse_file(dl_context *ctx, const char *path) {
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        dl_error(ctx, dl_loc_file(ctx, path, 0, 0), "cannot open file: %s", strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            DL_ASSERT(nb);
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
    }
    bool read_error = ferror(f);
    if (!is_stdin) fclose(f);
    dl_op *op = NULL;
    if (read_error)
        dl_error(ctx, dl_loc_file(ctx, path, 0, 0), "error reading file");
    else
        op = dl_parse(ctx, buf, len, is_stdin ? "<stdin>" : path);
    free(buf);
    return op;
}

const dl_type *dl_parse_type(dl_context *ctx, const char *text) {
    scope s = {0};
    parser p;
    init_parser(&p, ctx, text, strlen(text), "<type>", &s);
    const dl_type *t = parse_type(&p);
    if (t && p.tok.kind != TOK_EOF) t = (expected(&p, "end of type"), NULL);
    free_scope(&s);
    return p.failed ? NULL : t;
}

const dl_attr *dl_parse_attr(dl_context *ctx, const char *text) {
    scope s = {0};
    parser p;
    init_parser(&p, ctx, text, strlen(text), "<attr>", &s);
    const dl_attr *a = parse_attr(&p);
    if (a && p.tok.kind != TOK_EOF) a = (expected(&p, "end of attribute"), NULL);
    free_scope(&s);
    return p.failed ? NULL : a;
}
