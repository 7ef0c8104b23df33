/* parser.c: recursive-descent parser of the generic IR text syntax (see printer.c): operations,
 * blocks, regions and value scopes, and the entry points. Stops at the first error, reported as
 * "file:line:col: error: ...". Never trusts its input: nesting depth, literal ranges and sizes are
 * all checked. Types and attributes are in parse_type.c and parse_attr.c. */
#include "dlcc/text.h"
#include "parser.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Operations, blocks, regions ---- */

static void define(parser *p, const dl_token *t, dl_value *v) {
    const char *name = dl_intern_n(p->ctx, t->text, t->len);
    scope *s = p->scope;
    if (dl_ptrmap_has(&s->names, name)) {
        pr_error_at(p, t, "redefinition of value '%%%s'", name);
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
    if (!pr_expect(p, TOK_LBRACE, "'{'")) return false;
    size_t mark = p->scope->num_defined;
    dl_block *b = NULL;
    while (!p->failed && p->tok.kind != TOK_RBRACE) {
        if (p->tok.kind == TOK_EOF) return pr_expected(p, "'}'");
        if (p->tok.kind == TOK_BLOCK || !b) {
            b = dl_block_create(p->ctx);
            dl_region_append(r, b);
            if (pr_accept(p, TOK_BLOCK)) {
                if (pr_accept(p, TOK_LPAREN) && !pr_accept(p, TOK_RPAREN)) {
                    do {
                        dl_token vt = p->tok;
                        if (!pr_expect(p, TOK_VALUE, "a block argument") ||
                            !pr_expect(p, TOK_COLON, "':'"))
                            return false;
                        const dl_type *t = pr_parse_type(p);
                        if (!t) return false;
                        define(p, &vt, dl_block_add_arg(p->ctx, b, t));
                    } while (pr_accept(p, TOK_COMMA));
                    if (!pr_expect(p, TOK_RPAREN, "')'")) return false;
                }
                if (!pr_expect(p, TOK_COLON, "':' after the block label")) return false;
                continue;
            }
        }
        dl_op *op = parse_op(p);
        if (!op) return false;
        dl_block_append(b, op);
    }
    pop_scope_to(p->scope, mark);
    return pr_expect(p, TOK_RBRACE, "'}'");
}

static dl_op *parse_op(parser *p) {
    if (!pr_enter(p)) return NULL;
    dl_op *result = NULL;
    dl_token res_toks[64];
    unsigned num_res = 0;
    dl_token first = p->tok;
    if (p->tok.kind == TOK_VALUE) {
        do {
            if (num_res == 64) {
                pr_error_at(p, &p->tok, "too many results");
                goto out;
            }
            res_toks[num_res++] = p->tok;
            if (!pr_expect(p, TOK_VALUE, "a result name")) goto out;
        } while (pr_accept(p, TOK_COMMA));
        if (!pr_expect(p, TOK_EQUAL, "'='")) goto out;
    }
    dl_token name = p->tok;
    if (name.kind != TOK_IDENT) {
        pr_expected(p, "an operation name");
        goto out;
    }
    char nbuf[128];
    snprintf(nbuf, sizeof nbuf, "%.*s", (int)(name.len < 127 ? name.len : 127), name.text);
    dl_op_kind kind = dl_op_kind_lookup(nbuf);
    if (kind == DL_OP__INVALID) {
        pr_error_at(p, &name, "unknown operation '%s'", nbuf);
        goto out;
    }
    pr_next(p);
    const dl_op_info *info = &dl_op_infos[kind];

    /* operands */
    if (!pr_expect(p, TOK_LPAREN, "'('")) goto out;
    unsigned nops = 0, cap = 8;
    dl_value **ops = DL_NEW_ARRAY(p->ctx, dl_value *, cap);
    dl_token *op_toks = DL_NEW_ARRAY(p->ctx, dl_token, cap);
    if (!pr_accept(p, TOK_RPAREN)) {
        do {
            dl_token vt = p->tok;
            if (!pr_expect(p, TOK_VALUE, "an operand")) goto out;
            const char *vn = dl_intern_n(p->ctx, vt.text, vt.len);
            dl_value *v = dl_ptrmap_get(&p->scope->names, vn);
            if (!v) {
                pr_error_at(p, &vt, "use of undefined value '%%%s'", vn);
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
        } while (pr_accept(p, TOK_COMMA));
        if (!pr_expect(p, TOK_RPAREN, "')' or ','")) goto out;
    }

    /* attributes */
    dl_named_attr *attrs = NULL;
    unsigned nattrs = 0;
    if (pr_accept(p, TOK_LBRACE) && !pr_parse_attr_entries(p, &attrs, &nattrs)) goto out;

    /* regions: parsed before the op exists, in the scope the op dictates */
    unsigned nregions = 0;
    dl_region regions[8];
    memset(regions, 0, sizeof regions);
    if (pr_accept(p, TOK_LPAREN)) {
        bool isolated = (info->traits & DL_TRAIT_ISOLATED) != 0;
        scope inner = {0}, *outer = p->scope;
        if (isolated) p->scope = &inner;
        bool ok = true;
        do {
            if (nregions == 8) {
                pr_error_at(p, &p->tok, "too many regions");
                ok = false;
                break;
            }
            ok = parse_region(p, &regions[nregions++]);
        } while (ok && pr_accept(p, TOK_COMMA));
        if (isolated) {
            dl_ptrmap_free(&inner.names);
            free(inner.defined);
            p->scope = outer;
        }
        if (!ok || !pr_expect(p, TOK_RPAREN, "')' after regions")) goto out;
    }

    /* signature */
    const dl_type *sig = NULL;
    dl_token sig_tok = p->tok;
    if (pr_accept(p, TOK_COLON)) {
        sig_tok = p->tok;
        if (!(sig = pr_parse_type(p))) goto out;
        if (sig->kind != DL_TY_FUNC) {
            pr_error_at(p, &sig_tok, "expected a function type '(operands) -> (results)'");
            goto out;
        }
    }
    unsigned sig_in = sig ? sig->num_inputs : 0, sig_out = sig ? sig->num_results : 0;
    if (sig_in != nops) {
        pr_error_at(p, &sig_tok, "'%s' has %u operands but its signature lists %u types",
                    info->name, nops, sig_in);
        goto out;
    }
    for (unsigned i = 0; i < nops; i++)
        if (ops[i]->type != sig->inputs[i]) {
            pr_error_at(p, &op_toks[i], "operand %u has type %s but the signature says %s", i,
                        dl_type_str(p->ctx, ops[i]->type), dl_type_str(p->ctx, sig->inputs[i]));
            goto out;
        }
    if (sig_out != num_res) {
        pr_error_at(p, &first, "'%s' defines %u result names but its signature has %u results",
                    info->name, num_res, sig_out);
        goto out;
    }

    /* location */
    dl_loc loc = pr_tok_loc(p, &name);
    if (pr_is_keyword(&p->tok, "loc")) {
        pr_next(p);
        if (!pr_expect(p, TOK_LPAREN, "'('")) goto out;
        dl_token lt = p->tok;
        size_t len;
        char *s;
        if (!pr_expect(p, TOK_STRING, "a location name") || !(s = pr_unescape(p, &lt, &len)))
            goto out;
        loc.name = dl_intern(p->ctx, s);
        if (pr_accept(p, TOK_COMMA)) {
            dl_token dt = p->tok;
            if (!pr_expect(p, TOK_STRING, "a location detail") || !(s = pr_unescape(p, &dt, &len)))
                goto out;
            loc.detail = dl_intern(p->ctx, s);
        }
        if (!pr_expect(p, TOK_RPAREN, "')'")) goto out;
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
    pr_leave(p);
    return result;
}

static void init_parser(parser *p, dl_context *ctx, const char *text, size_t len, const char *file,
                        scope *s) {
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    p->file = file ? dl_intern(ctx, file) : "<input>";
    p->scope = s;
    dl_lexer_init(&p->lx, text, len);
    pr_next(p);
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
        pr_error_at(&p, &p.tok, "expected an operation, the file is empty");
    } else {
        op = parse_op(&p);
        if (op && p.tok.kind != TOK_EOF) {
            pr_expected(&p, "end of input after the top-level operation");
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
    const dl_type *t = pr_parse_type(&p);
    if (t && p.tok.kind != TOK_EOF) t = (pr_expected(&p, "end of type"), NULL);
    free_scope(&s);
    return p.failed ? NULL : t;
}

const dl_attr *dl_parse_attr(dl_context *ctx, const char *text) {
    scope s = {0};
    parser p;
    init_parser(&p, ctx, text, strlen(text), "<attr>", &s);
    const dl_attr *a = pr_parse_attr(&p);
    if (a && p.tok.kind != TOK_EOF) a = (pr_expected(&p, "end of attribute"), NULL);
    free_scope(&s);
    return p.failed ? NULL : a;
}
