/* printer.c: the one generic text syntax of every dialect (the inverse of parser.c).
 *
 *   %r0, %r1 = dialect.op(%a, %b) {name = attr, ...} ({ region }, ...)
 *       : (operand types) -> (result types) loc("node", "detail")
 *
 * Values print under their name hint when it is unique in the enclosing isolated scope,
 * otherwise as numbers; numbering restarts inside every isolated op (module, func). */
#include "dlcc/text.h"
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void dl_print_string_literal(const char *s, size_t len, FILE *out) {
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\%02X", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* Shortest decimal that reads back to the same value of the given width. */
void dl_print_float(double v, bool f64, FILE *out) {
    if (isnan(v)) {
        fputs("nan", out);
        return;
    }
    if (isinf(v)) {
        fputs(v < 0 ? "-inf" : "inf", out);
        return;
    }
    char buf[40];
    for (int p = f64 ? 15 : 6; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, v);
        if (f64 ? strtod(buf, NULL) == v : strtof(buf, NULL) == (float)v) break;
    }
    fputs(buf, out);
    if (!strpbrk(buf, ".e")) fputs(".0", out);
}

static bool is_bare_ident(const char *s) {
    if (!(isalpha((unsigned char)*s) || *s == '_')) return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.')) return false;
    return true;
}

static void print_dense_elem(const dl_attr *a, int64_t i, FILE *out) {
    dl_type_kind k = a->type->elem->kind;
    if (k <= DL_TY_F64)
        dl_print_float(dl_dense_get_f64(a, i), k == DL_TY_F64, out);
    else if (k == DL_TY_I1)
        fputs(dl_dense_get_i64(a, i) ? "true" : "false", out);
    else if (k == DL_TY_U64)
        fprintf(out, "%llu", (unsigned long long)dl_dense_get_i64(a, i));
    else
        fprintf(out, "%lld", (long long)dl_dense_get_i64(a, i));
}

enum { DENSE_LIST_MAX = 16 };

static void print_dense(const dl_attr *a, FILE *out) {
    fputs("dense<", out);
    int64_t n = a->u.dense.splat ? 1 : dl_dense_num_elements(a);
    if (a->u.dense.splat) {
        print_dense_elem(a, 0, out);
    } else if (n <= DENSE_LIST_MAX) {
        fputc('[', out);
        for (int64_t i = 0; i < n; i++) {
            if (i) fputs(", ", out);
            print_dense_elem(a, i, out);
        }
        fputc(']', out);
    } else {
        fputs("\"0x", out);
        static const char digits[] = "0123456789ABCDEF";
        const unsigned char *p = a->u.dense.data;
        char buf[4096];
        for (size_t i = 0; i < a->u.dense.size;) {
            size_t n = 0;
            for (; i < a->u.dense.size && n < sizeof buf; i++) {
                buf[n++] = digits[p[i] >> 4];
                buf[n++] = digits[p[i] & 15];
            }
            fwrite(buf, 1, n, out);
        }
        fputc('"', out);
    }
    fputs("> : ", out);
    dl_type_print(a->type, out);
}

void dl_attr_print(const dl_attr *a, FILE *out) {
    switch (a->kind) {
    case DL_ATTR_UNIT: fputs("unit", out); break;
    case DL_ATTR_BOOL: fputs(a->u.b ? "true" : "false", out); break;
    case DL_ATTR_INT:
        if (a->type->kind == DL_TY_U64)
            fprintf(out, "%llu", (unsigned long long)a->u.i);
        else
            fprintf(out, "%lld", (long long)a->u.i);
        if (a->type->kind != DL_TY_I64) fprintf(out, " : %s", dl_scalar_name(a->type->kind));
        break;
    case DL_ATTR_FLOAT:
        dl_print_float(a->u.f, a->type->kind == DL_TY_F64, out);
        if (a->type->kind != DL_TY_F32) fprintf(out, " : %s", dl_scalar_name(a->type->kind));
        break;
    case DL_ATTR_STRING: dl_print_string_literal(a->u.str.data, a->u.str.len, out); break;
    case DL_ATTR_TYPE: dl_type_print(a->type, out); break;
    case DL_ATTR_ARRAY:
        fputc('[', out);
        for (unsigned i = 0; i < a->u.array.n; i++) {
            if (i) fputs(", ", out);
            dl_attr_print(a->u.array.elems[i], out);
        }
        fputc(']', out);
        break;
    case DL_ATTR_DICT:
        fputc('{', out);
        for (unsigned i = 0; i < a->u.dict.n; i++) {
            const dl_named_attr *e = &a->u.dict.entries[i];
            if (i) fputs(", ", out);
            if (is_bare_ident(e->name))
                fputs(e->name, out);
            else
                dl_print_string_literal(e->name, strlen(e->name), out);
            fputs(" = ", out);
            dl_attr_print(e->attr, out);
        }
        fputc('}', out);
        break;
    case DL_ATTR_DENSE: print_dense(a, out); break;
    case DL_ATTR_AFFINE:
        fputs("affine_map<", out);
        dl_affine_map_print(a->u.map, out);
        fputc('>', out);
        break;
    case DL_ATTR_SYMBOL:
        fputc('@', out);
        if (is_bare_ident(a->u.symbol))
            fputs(a->u.symbol, out);
        else
            dl_print_string_literal(a->u.symbol, strlen(a->u.symbol), out);
        break;
    }
}

/* ---- Value naming ---- */

typedef struct {
    dl_context *ctx;
    dl_ptrmap names; /* value -> name string */
    dl_hashset used; /* interned names in use in the current scope */
    unsigned next_number;
    unsigned next_block;
} namer;

static bool str_ptr_eq(const void *a, const void *b) {
    return a == b;
}

static bool name_used(namer *n, const char *s) {
    return dl_hashset_find(&n->used, dl_hash_ptr(s), s, str_ptr_eq) != NULL;
}

static void use_name(namer *n, const char *s) {
    dl_hashset_insert(&n->used, dl_hash_ptr(s), (void *)s);
}

static bool all_digits(const char *s) {
    if (!*s) return true;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return false;
    return true;
}

static void assign_name(namer *n, const dl_value *v) {
    const char *s = NULL;
    if (v->name && !all_digits(v->name)) {
        size_t len = strlen(v->name);
        char *buf = malloc(len + 16);
        DL_ASSERT(buf);
        for (size_t i = 0; i < len; i++) {
            char c = v->name[i];
            buf[i] = (isalnum((unsigned char)c) || c == '_' || c == '.') ? c : '_';
        }
        buf[len] = 0;
        s = dl_intern(n->ctx, buf);
        for (unsigned k = 1; name_used(n, s); k++) {
            snprintf(buf + len, 16, "_%u", k);
            s = dl_intern(n->ctx, buf);
        }
        free(buf);
    } else {
        char buf[24];
        do snprintf(buf, sizeof buf, "%u", n->next_number++);
        while (name_used(n, s = dl_intern(n->ctx, buf)));
    }
    use_name(n, s);
    dl_ptrmap_set(&n->names, v, (void *)s);
}

static void name_region_values(namer *n, dl_region *r);

static void name_op_values(namer *n, dl_op *op) {
    for (unsigned i = 0; i < op->num_results; i++) assign_name(n, &op->results[i]);
    if (dl_op_has_trait(op, DL_TRAIT_ISOLATED)) return; /* named when printed, in a new scope */
    for (unsigned i = 0; i < op->num_regions; i++) name_region_values(n, &op->regions[i]);
}

static void name_region_values(namer *n, dl_region *r) {
    for (dl_block *b = r->first; b; b = b->next) {
        for (unsigned i = 0; i < b->num_args; i++) assign_name(n, b->args[i]);
        for (dl_op *o = b->first; o; o = o->next) name_op_values(n, o);
    }
}

typedef struct printer {
    FILE *out;
    namer *scope;
    dl_print_flags flags;
} printer;

static void print_value(printer *p, const dl_value *v) {
    const char *s = v ? dl_ptrmap_get(&p->scope->names, v) : NULL;
    if (s)
        fprintf(p->out, "%%%s", s);
    else
        fputs("%<<unknown>>", p->out);
}

static void indent(printer *p, int depth) {
    for (int i = 0; i < depth; i++) fputs("  ", p->out);
}

static void print_op(printer *p, dl_op *op, int depth);

static void print_region(printer *p, dl_region *r, int depth) {
    fputs("{\n", p->out);
    for (dl_block *b = r->first; b; b = b->next) {
        if (b->num_args || b != r->first) {
            indent(p, depth);
            fprintf(p->out, "^bb%u", p->scope->next_block++);
            if (b->num_args) {
                fputc('(', p->out);
                for (unsigned i = 0; i < b->num_args; i++) {
                    if (i) fputs(", ", p->out);
                    print_value(p, b->args[i]);
                    fputs(": ", p->out);
                    dl_type_print(b->args[i]->type, p->out);
                }
                fputc(')', p->out);
            }
            fputs(":\n", p->out);
        }
        for (dl_op *o = b->first; o; o = o->next) print_op(p, o, depth + 1);
    }
    indent(p, depth);
    fputc('}', p->out);
}

static void print_op(printer *p, dl_op *op, int depth) {
    FILE *out = p->out;
    indent(p, depth);
    for (unsigned i = 0; i < op->num_results; i++) {
        if (i) fputs(", ", out);
        print_value(p, &op->results[i]);
    }
    if (op->num_results) fputs(" = ", out);
    fputs(dl_op_infos[op->kind].name, out);
    fputc('(', out);
    for (unsigned i = 0; i < op->num_operands; i++) {
        if (i) fputs(", ", out);
        print_value(p, dl_operand(op, i));
    }
    fputc(')', out);
    if (op->num_attrs) {
        fputs(" {", out);
        for (unsigned i = 0; i < op->num_attrs; i++) {
            if (i) fputs(", ", out);
            if (is_bare_ident(op->attrs[i].name))
                fputs(op->attrs[i].name, out);
            else
                dl_print_string_literal(op->attrs[i].name, strlen(op->attrs[i].name), out);
            fputs(" = ", out);
            dl_attr_print(op->attrs[i].attr, out);
        }
        fputc('}', out);
    }
    if (op->num_regions) {
        namer *outer = p->scope, inner = {.ctx = op->ctx};
        bool isolated = dl_op_has_trait(op, DL_TRAIT_ISOLATED);
        if (isolated) {
            for (unsigned i = 0; i < op->num_regions; i++)
                name_region_values(&inner, &op->regions[i]);
            p->scope = &inner;
        }
        fputs(" (", out);
        for (unsigned i = 0; i < op->num_regions; i++) {
            if (i) fputs(", ", out);
            print_region(p, &op->regions[i], depth);
        }
        fputc(')', out);
        if (isolated) {
            dl_ptrmap_free(&inner.names);
            dl_hashset_free(&inner.used);
            p->scope = outer;
        }
    }
    if (op->num_operands || op->num_results) {
        fputs(" : (", out);
        for (unsigned i = 0; i < op->num_operands; i++) {
            if (i) fputs(", ", out);
            const dl_value *v = dl_operand(op, i);
            if (v) dl_type_print(v->type, out);
        }
        fputs(") -> (", out);
        for (unsigned i = 0; i < op->num_results; i++) {
            if (i) fputs(", ", out);
            dl_type_print(op->results[i].type, out);
        }
        fputc(')', out);
    }
    if (op->loc.name && !(p->flags & DL_PRINT_NO_LOCS)) {
        fputs(" loc(", out);
        dl_print_string_literal(op->loc.name, strlen(op->loc.name), out);
        if (op->loc.detail) {
            fputs(", ", out);
            dl_print_string_literal(op->loc.detail, strlen(op->loc.detail), out);
        }
        fputc(')', out);
    }
    fputc('\n', out);
}

void dl_print_op(dl_op *op, FILE *out, dl_print_flags flags) {
    namer top = {.ctx = op->ctx};
    name_op_values(&top, op);
    printer p = {.out = out, .scope = &top, .flags = flags};
    print_op(&p, op, 0);
    dl_ptrmap_free(&top.names);
    dl_hashset_free(&top.used);
}
