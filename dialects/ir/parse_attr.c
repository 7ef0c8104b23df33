/* parse_attr.c: parsing IR attributes: numbers, strings, arrays, dictionaries, symbols,
 * dense element data and affine maps. */
#include "parser.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned num_dims, num_syms;
} affine_scope;

static const dl_affine_expr *parse_affine_expr(parser *p, const affine_scope *as);

static const dl_affine_expr *parse_affine_atom(parser *p, const affine_scope *as) {
    dl_token t = p->tok;
    if (pr_accept(p, TOK_LPAREN)) {
        const dl_affine_expr *e = parse_affine_expr(p, as);
        if (!e || !pr_expect(p, TOK_RPAREN, "')'")) return NULL;
        return e;
    }
    if (pr_accept(p, TOK_MINUS)) {
        const dl_affine_expr *e = parse_affine_atom(p, as);
        return e ? dl_aff_mul(p->ctx, e, dl_aff_const(p->ctx, -1)) : NULL;
    }
    if (t.kind == TOK_INT) {
        int64_t v;
        if (!pr_parse_int_tok(p, &t, &v)) return NULL;
        pr_next(p);
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
                return pr_error_at(p, &t, "%s%u is not declared by the map", dim ? "d" : "s", pos),
                       NULL;
            pr_next(p);
            return dim ? dl_aff_dim(p->ctx, pos) : dl_aff_sym(p->ctx, pos);
        }
    }
    return pr_expected(p, "an affine expression"), NULL;
}

static const dl_affine_expr *parse_affine_term(parser *p, const affine_scope *as) {
    const dl_affine_expr *e = parse_affine_atom(p, as);
    while (e) {
        dl_affine_kind k;
        if (p->tok.kind == TOK_STAR)
            k = DL_AFF_MUL;
        else if (pr_is_keyword(&p->tok, "floordiv"))
            k = DL_AFF_FLOORDIV;
        else if (pr_is_keyword(&p->tok, "ceildiv"))
            k = DL_AFF_CEILDIV;
        else if (pr_is_keyword(&p->tok, "mod"))
            k = DL_AFF_MOD;
        else
            break;
        dl_token op = p->tok;
        pr_next(p);
        const dl_affine_expr *r = parse_affine_atom(p, as);
        if (!r) return NULL;
        if (k == DL_AFF_MUL && e->kind != DL_AFF_CONST && r->kind != DL_AFF_CONST)
            return pr_error_at(p, &op, "a product needs a constant factor to be affine"), NULL;
        if (k != DL_AFF_MUL && (r->kind != DL_AFF_CONST || r->value <= 0))
            return pr_error_at(p, &op, "the divisor must be a positive constant"), NULL;
        e = dl_aff_bin(p->ctx, k, e, r);
    }
    return e;
}

static const dl_affine_expr *parse_affine_expr(parser *p, const affine_scope *as) {
    if (!pr_enter(p)) return NULL;
    const dl_affine_expr *e = parse_affine_term(p, as);
    while (e && (p->tok.kind == TOK_PLUS || p->tok.kind == TOK_MINUS)) {
        bool sub = p->tok.kind == TOK_MINUS;
        pr_next(p);
        const dl_affine_expr *r = parse_affine_term(p, as);
        if (!r) {
            e = NULL;
            break;
        }
        if (sub) r = dl_aff_mul(p->ctx, r, dl_aff_const(p->ctx, -1));
        e = dl_aff_add(p->ctx, e, r);
    }
    pr_leave(p);
    return e;
}

/* Parses "(d0, d1)[s0] -> (exprs)". */
static const dl_affine_map *parse_affine_map(parser *p) {
    affine_scope as = {0, 0};
    if (!pr_expect(p, TOK_LPAREN, "'('")) return NULL;
    if (!pr_accept(p, TOK_RPAREN)) {
        do {
            dl_token t = p->tok;
            char want[16];
            snprintf(want, sizeof want, "d%u", as.num_dims);
            if (!pr_is_keyword(&t, want)) return pr_error_at(p, &t, "expected '%s'", want), NULL;
            pr_next(p);
            as.num_dims++;
        } while (pr_accept(p, TOK_COMMA));
        if (!pr_expect(p, TOK_RPAREN, "')'")) return NULL;
    }
    if (pr_accept(p, TOK_LBRACKET)) {
        do {
            dl_token t = p->tok;
            char want[16];
            snprintf(want, sizeof want, "s%u", as.num_syms);
            if (!pr_is_keyword(&t, want)) return pr_error_at(p, &t, "expected '%s'", want), NULL;
            pr_next(p);
            as.num_syms++;
        } while (pr_accept(p, TOK_COMMA));
        if (!pr_expect(p, TOK_RBRACKET, "']'")) return NULL;
    }
    if (!pr_expect(p, TOK_ARROW, "'->'") || !pr_expect(p, TOK_LPAREN, "'('")) return NULL;
    unsigned n = 0, cap = 4;
    const dl_affine_expr **res = DL_NEW_ARRAY(p->ctx, const dl_affine_expr *, cap);
    if (!pr_accept(p, TOK_RPAREN)) {
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
        } while (pr_accept(p, TOK_COMMA));
        if (!pr_expect(p, TOK_RPAREN, "')'")) return NULL;
    }
    return dl_affine_map_get(p->ctx, as.num_dims, as.num_syms, n, res);
}

/* ---- Attributes ---- */

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
        pr_next(p);
        neg = true;
        t = p->tok;
        if (!pr_is_keyword(&t, "inf")) return pr_expected(p, "'inf'");
    }
    if (t.kind == TOK_INT) {
        if (!pr_parse_int_tok(p, &t, &out->i)) return false;
        out->is_float = false;
        out->f = t.text[0] == '-' ? (double)out->i : (double)(uint64_t)out->i;
    } else if (t.kind == TOK_FLOAT) {
        out->is_float = true;
        out->f = pr_tok_float(&t);
    } else if (pr_is_keyword(&t, "true") || pr_is_keyword(&t, "false")) {
        out->is_float = false;
        out->i = pr_is_keyword(&t, "true");
        out->f = (double)out->i;
    } else if (pr_is_keyword(&t, "nan") || pr_is_keyword(&t, "inf")) {
        out->is_float = true;
        out->f = pr_is_keyword(&t, "nan") ? NAN : neg ? -INFINITY : INFINITY;
    } else {
        return pr_expected(p, "a number");
    }
    pr_next(p);
    return true;
}

typedef struct {
    num_lit *v;
    size_t n, cap;
} num_list;

static bool parse_num_list(parser *p, num_list *l) {
    if (!pr_enter(p)) return false;
    bool ok = true;
    if (pr_accept(p, TOK_LBRACKET)) {
        if (!pr_accept(p, TOK_RBRACKET)) {
            do ok = parse_num_list(p, l);
            while (ok && pr_accept(p, TOK_COMMA));
            ok = ok && pr_expect(p, TOK_RBRACKET, "']' or ','");
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
    pr_leave(p);
    return ok;
}

static const dl_attr *parse_dense(parser *p, dl_token start) {
    /* 'dense' (start) consumed */
    if (!pr_expect(p, TOK_LESS, "'<'")) return NULL;
    num_list list = {0};
    dl_token hex = {0};
    bool is_hex = false, is_list = p->tok.kind == TOK_LBRACKET;
    if (p->tok.kind == TOK_STRING) {
        hex = p->tok;
        is_hex = true;
        pr_next(p);
    } else if (!parse_num_list(p, &list)) {
        free(list.v);
        return NULL;
    }
    const dl_attr *a = NULL;
    const dl_type *t = NULL;
    if (!pr_expect(p, TOK_GREATER, "'>'") || !pr_expect(p, TOK_COLON, "':'") ||
        !(t = pr_parse_type(p)))
        goto done;
    if (t->kind != DL_TY_TENSOR || !dl_type_has_static_shape(t)) {
        pr_error_at(p, &start, "dense data needs a tensor type with a static shape");
        goto done;
    }
    int64_t count = dl_type_num_elements(t);
    size_t es = dl_scalar_size(t->elem->kind);
    if (count < 0 || (uint64_t)count > ((uint64_t)1 << 40) / es) {
        pr_error_at(p, &start, "dense data is too large");
        goto done;
    }
    if (is_hex) {
        if (hex.len < 2 || hex.text[0] != '0' || (hex.text[1] != 'x' && hex.text[1] != 'X') ||
            (hex.len - 2) % 2) {
            pr_error_at(p, &hex, "expected a hex string \"0x...\"");
            goto done;
        }
        size_t nbytes = (hex.len - 2) / 2;
        bool splat = nbytes == es && count != 1;
        if (nbytes != es * (size_t)count && !splat) {
            pr_error_at(p, &hex, "hex data has %zu bytes but %s needs %zu", nbytes,
                        dl_type_str(p->ctx, t), es * (size_t)count);
            goto done;
        }
        unsigned char *buf = dl_alloc(p->ctx, nbytes + 1);
        for (size_t i = 0; i < nbytes; i++) {
            int hi = pr_hexval(hex.text[2 + 2 * i]), lo = pr_hexval(hex.text[3 + 2 * i]);
            if (hi < 0 || lo < 0) {
                pr_error_at(p, &hex, "invalid hex digit in dense data");
                goto done;
            }
            buf[i] = (unsigned char)(hi * 16 + lo);
        }
        a = dl_attr_dense(p->ctx, t, buf, nbytes, splat, false);
        goto done;
    }
    if (list.n != (size_t)count && !(list.n == 1 && !is_list)) {
        pr_error_at(p, &start, "dense data has %zu elements but %s needs %lld", list.n,
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
                pr_error_at(p, &start, "float literal in integer dense data");
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
        pr_next(p);
        return dl_intern_n(p->ctx, t.text, t.len);
    }
    if (t.kind == TOK_STRING) {
        size_t len;
        char *s = pr_unescape(p, &t, &len);
        if (!s) return NULL;
        pr_next(p);
        return dl_intern(p->ctx, s);
    }
    return pr_expected(p, "an attribute name"), NULL;
}

/* '{' consumed: parses "name = attr, ..." up to '}' into entries. */
bool pr_parse_attr_entries(parser *p, dl_named_attr **out, unsigned *n) {
    unsigned cap = 4;
    dl_named_attr *e = DL_NEW_ARRAY(p->ctx, dl_named_attr, cap);
    *n = 0;
    if (!pr_accept(p, TOK_RBRACE)) {
        do {
            dl_token nt = p->tok;
            const char *name = parse_attr_name(p);
            if (!name || !pr_expect(p, TOK_EQUAL, "'='")) return false;
            const dl_attr *a = pr_parse_attr(p);
            if (!a) return false;
            for (unsigned i = 0; i < *n; i++)
                if (e[i].name == name) return pr_error_at(p, &nt, "duplicate attribute '%s'", name);
            if (*n == cap) {
                dl_named_attr *ne = DL_NEW_ARRAY(p->ctx, dl_named_attr, cap * 2);
                memcpy(ne, e, sizeof(*e) * cap);
                e = ne;
                cap *= 2;
            }
            e[(*n)++] = (dl_named_attr){name, a};
        } while (pr_accept(p, TOK_COMMA));
        if (!pr_expect(p, TOK_RBRACE, "'}' or ','")) return false;
    }
    *out = e;
    return true;
}

static const dl_attr *parse_number_attr(parser *p) {
    dl_token t = p->tok;
    num_lit lit;
    if (!parse_num_lit(p, &lit)) return NULL;
    const dl_type *ty = NULL;
    if (pr_accept(p, TOK_COLON)) {
        dl_token tt = p->tok;
        ty = pr_parse_type(p);
        if (!ty) return NULL;
        if (!dl_type_is_scalar(ty)) return pr_error_at(p, &tt, "expected a scalar type"), NULL;
    }
    if (!ty) ty = dl_type_scalar(p->ctx, lit.is_float ? DL_TY_F32 : DL_TY_I64);
    if (dl_type_is_float(ty)) return dl_attr_float_typed(p->ctx, lit.f, ty);
    if (lit.is_float) return pr_error_at(p, &t, "float literal with an integer type"), NULL;
    return dl_attr_int_typed(p->ctx, lit.i, ty);
}

const dl_attr *pr_parse_attr(parser *p) {
    if (!pr_enter(p)) return NULL;
    const dl_attr *a = NULL;
    dl_token t = p->tok;
    if (t.kind == TOK_INT || t.kind == TOK_FLOAT || t.kind == TOK_MINUS ||
        pr_is_keyword(&t, "nan") || pr_is_keyword(&t, "inf")) {
        a = parse_number_attr(p);
    } else if (pr_is_keyword(&t, "true") || pr_is_keyword(&t, "false")) {
        pr_next(p);
        a = dl_attr_bool(p->ctx, pr_is_keyword(&t, "true"));
    } else if (pr_is_keyword(&t, "unit")) {
        pr_next(p);
        a = dl_attr_unit(p->ctx);
    } else if (t.kind == TOK_STRING) {
        size_t len;
        char *s = pr_unescape(p, &t, &len);
        if (s) {
            pr_next(p);
            a = dl_attr_string_n(p->ctx, s, len);
        }
    } else if (t.kind == TOK_SYMBOL) {
        pr_next(p);
        if (t.text[0] == '"') {
            dl_token inner = {TOK_STRING, t.text + 1, t.len - 2, t.line, t.col};
            size_t len;
            char *s = pr_unescape(p, &inner, &len);
            if (s) a = dl_attr_symbol(p->ctx, s);
        } else {
            a = dl_attr_symbol(p->ctx, dl_strndup(p->ctx, t.text, t.len));
        }
    } else if (pr_accept(p, TOK_LBRACKET)) {
        unsigned n = 0, cap = 8;
        const dl_attr **v = DL_NEW_ARRAY(p->ctx, const dl_attr *, cap);
        bool ok = true;
        if (!pr_accept(p, TOK_RBRACKET)) {
            do {
                const dl_attr *e = pr_parse_attr(p);
                if (!(ok = e != NULL)) break;
                if (n == cap) {
                    const dl_attr **nv = DL_NEW_ARRAY(p->ctx, const dl_attr *, cap * 2);
                    memcpy(nv, v, sizeof(*v) * cap);
                    v = nv;
                    cap *= 2;
                }
                v[n++] = e;
            } while (pr_accept(p, TOK_COMMA));
            ok = ok && pr_expect(p, TOK_RBRACKET, "']' or ','");
        }
        if (ok) a = dl_attr_array(p->ctx, n, v);
    } else if (pr_accept(p, TOK_LBRACE)) {
        dl_named_attr *e;
        unsigned n;
        if (pr_parse_attr_entries(p, &e, &n)) a = dl_attr_dict(p->ctx, n, e);
    } else if (pr_is_keyword(&t, "dense")) {
        pr_next(p);
        a = parse_dense(p, t);
    } else if (pr_is_keyword(&t, "affine_map")) {
        pr_next(p);
        if (pr_expect(p, TOK_LESS, "'<'")) {
            const dl_affine_map *m = parse_affine_map(p);
            if (m && pr_expect(p, TOK_GREATER, "'>'")) a = dl_attr_affine_map(p->ctx, m);
        }
    } else if (pr_starts_type(&t)) {
        const dl_type *ty = pr_parse_type(p);
        if (ty) a = dl_attr_type(p->ctx, ty);
    } else {
        pr_expected(p, "an attribute");
    }
    pr_leave(p);
    return a;
}
