/* affine.c: interned affine expressions and maps (access functions of kernel ops). */
#include "internal.h"

static bool expr_eq(const void *pa, const void *pb) {
    const dl_affine_expr *a = pa, *b = pb;
    return a->kind == b->kind && a->value == b->value && a->lhs == b->lhs && a->rhs == b->rhs;
}

static const dl_affine_expr *intern_expr(dl_context *ctx, dl_affine_expr key) {
    uint32_t h = dl_hash_combine((uint32_t)key.kind, (uint32_t)key.value);
    h = dl_hash_combine(h, (uint32_t)((uint64_t)key.value >> 32));
    h = dl_hash_combine(h, dl_hash_ptr(key.lhs));
    h = dl_hash_combine(h, dl_hash_ptr(key.rhs));
    dl_hashset *set = &dl_context_tables(ctx)->affine_exprs;
    dl_affine_expr *found = dl_hashset_find(set, h, &key, expr_eq);
    if (found) return found;
    dl_affine_expr *e = DL_NEW(ctx, dl_affine_expr);
    *e = key;
    dl_hashset_insert(set, h, e);
    return e;
}

const dl_affine_expr *dl_aff_dim(dl_context *ctx, unsigned pos) {
    return intern_expr(ctx, (dl_affine_expr){.kind = DL_AFF_DIM, .value = pos});
}
const dl_affine_expr *dl_aff_sym(dl_context *ctx, unsigned pos) {
    return intern_expr(ctx, (dl_affine_expr){.kind = DL_AFF_SYM, .value = pos});
}
const dl_affine_expr *dl_aff_const(dl_context *ctx, int64_t v) {
    return intern_expr(ctx, (dl_affine_expr){.kind = DL_AFF_CONST, .value = v});
}

static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
static int64_t ceildiv(int64_t a, int64_t b) {
    return -floordiv(-a, b);
}
static int64_t mod(int64_t a, int64_t b) {
    int64_t r = a % b;
    return r < 0 ? r + (b < 0 ? -b : b) : r;
}

const dl_affine_expr *dl_aff_bin(dl_context *ctx, dl_affine_kind kind, const dl_affine_expr *l,
                                 const dl_affine_expr *r) {
    bool lc = l->kind == DL_AFF_CONST, rc = r->kind == DL_AFF_CONST;
    if (lc && rc) {
        int64_t a = l->value, b = r->value;
        switch (kind) {
        case DL_AFF_ADD: return dl_aff_const(ctx, a + b);
        case DL_AFF_MUL: return dl_aff_const(ctx, a * b);
        case DL_AFF_FLOORDIV:
            if (b) return dl_aff_const(ctx, floordiv(a, b));
            break;
        case DL_AFF_CEILDIV:
            if (b) return dl_aff_const(ctx, ceildiv(a, b));
            break;
        case DL_AFF_MOD:
            if (b) return dl_aff_const(ctx, mod(a, b));
            break;
        default: break;
        }
    }
    if ((kind == DL_AFF_ADD || kind == DL_AFF_MUL) && lc && !rc) {
        const dl_affine_expr *t = l;
        l = r;
        r = t;
        lc = false;
        rc = true;
    }
    if (rc) {
        if (kind == DL_AFF_ADD && r->value == 0) return l;
        if (kind == DL_AFF_MUL && r->value == 1) return l;
        if (kind == DL_AFF_MUL && r->value == 0) return r;
        if ((kind == DL_AFF_FLOORDIV || kind == DL_AFF_CEILDIV) && r->value == 1) return l;
        /* (x + c1) + c2 -> x + (c1 + c2);  (x * c1) * c2 -> x * (c1 * c2) */
        if ((kind == DL_AFF_ADD || kind == DL_AFF_MUL) && l->kind == kind &&
            l->rhs->kind == DL_AFF_CONST)
            return dl_aff_bin(ctx, kind, l->lhs, dl_aff_bin(ctx, kind, l->rhs, r));
    }
    /* x + (y + c) -> (x + y) + c keeps constants outermost on the right. */
    if (kind == DL_AFF_ADD && r->kind == DL_AFF_ADD && r->rhs->kind == DL_AFF_CONST)
        return dl_aff_bin(ctx, DL_AFF_ADD, dl_aff_bin(ctx, DL_AFF_ADD, l, r->lhs), r->rhs);
    return intern_expr(ctx, (dl_affine_expr){.kind = kind, .lhs = l, .rhs = r});
}

const dl_affine_expr *dl_aff_add(dl_context *ctx, const dl_affine_expr *a,
                                 const dl_affine_expr *b) {
    return dl_aff_bin(ctx, DL_AFF_ADD, a, b);
}
const dl_affine_expr *dl_aff_mul(dl_context *ctx, const dl_affine_expr *a,
                                 const dl_affine_expr *b) {
    return dl_aff_bin(ctx, DL_AFF_MUL, a, b);
}

static bool map_eq(const void *pa, const void *pb) {
    const dl_affine_map *a = pa, *b = pb;
    if (a->num_dims != b->num_dims || a->num_syms != b->num_syms ||
        a->num_results != b->num_results)
        return false;
    for (unsigned i = 0; i < a->num_results; i++)
        if (a->results[i] != b->results[i]) return false;
    return true;
}

const dl_affine_map *dl_affine_map_get(dl_context *ctx, unsigned num_dims, unsigned num_syms,
                                       unsigned num_results, const dl_affine_expr *const *results) {
    dl_affine_map key = {num_dims, num_syms, num_results, results};
    uint32_t h = dl_hash_combine(num_dims, num_syms * 31 + num_results);
    for (unsigned i = 0; i < num_results; i++) h = dl_hash_combine(h, dl_hash_ptr(results[i]));
    dl_hashset *set = &dl_context_tables(ctx)->affine_maps;
    dl_affine_map *found = dl_hashset_find(set, h, &key, map_eq);
    if (found) return found;
    dl_affine_map *m = DL_NEW(ctx, dl_affine_map);
    *m = key;
    m->results = num_results ? dl_memdup(ctx, results, sizeof(*results) * num_results) : NULL;
    dl_hashset_insert(set, h, m);
    return m;
}

const dl_affine_map *dl_affine_map_identity(dl_context *ctx, unsigned n) {
    const dl_affine_expr **r = DL_NEW_ARRAY(ctx, const dl_affine_expr *, n ? n : 1);
    for (unsigned i = 0; i < n; i++) r[i] = dl_aff_dim(ctx, i);
    return dl_affine_map_get(ctx, n, 0, n, r);
}

bool dl_affine_expr_is_pure(const dl_affine_expr *e) {
    switch (e->kind) {
    case DL_AFF_DIM:
    case DL_AFF_SYM:
    case DL_AFF_CONST: return true;
    case DL_AFF_ADD: return dl_affine_expr_is_pure(e->lhs) && dl_affine_expr_is_pure(e->rhs);
    case DL_AFF_MUL:
        return dl_affine_expr_is_pure(e->lhs) && dl_affine_expr_is_pure(e->rhs) &&
               (e->lhs->kind == DL_AFF_CONST || e->rhs->kind == DL_AFF_CONST);
    default:
        return dl_affine_expr_is_pure(e->lhs) && e->rhs->kind == DL_AFF_CONST && e->rhs->value > 0;
    }
}

int64_t dl_affine_expr_eval(const dl_affine_expr *e, const int64_t *dims, const int64_t *syms) {
    switch (e->kind) {
    case DL_AFF_DIM: return dims[e->value];
    case DL_AFF_SYM: return syms[e->value];
    case DL_AFF_CONST: return e->value;
    default: break;
    }
    int64_t a = dl_affine_expr_eval(e->lhs, dims, syms),
            b = dl_affine_expr_eval(e->rhs, dims, syms);
    switch (e->kind) {
    case DL_AFF_ADD: return a + b;
    case DL_AFF_MUL: return a * b;
    case DL_AFF_FLOORDIV: return b ? floordiv(a, b) : 0;
    case DL_AFF_CEILDIV: return b ? ceildiv(a, b) : 0;
    case DL_AFF_MOD: return b ? mod(a, b) : 0;
    default: DL_UNREACHABLE("bad affine kind");
    }
}

/* Precedence: add 1, mul/div/mod 2, atoms 3. */
static int prec(const dl_affine_expr *e) {
    return e->kind == DL_AFF_ADD ? 1 : e->kind >= DL_AFF_MUL ? 2 : 3;
}

static void print_expr(const dl_affine_expr *e, int min_prec, FILE *out) {
    bool paren = prec(e) < min_prec;
    if (paren) fputc('(', out);
    switch (e->kind) {
    case DL_AFF_DIM: fprintf(out, "d%lld", (long long)e->value); break;
    case DL_AFF_SYM: fprintf(out, "s%lld", (long long)e->value); break;
    case DL_AFF_CONST: fprintf(out, "%lld", (long long)e->value); break;
    case DL_AFF_ADD:
        print_expr(e->lhs, 1, out);
        if (e->rhs->kind == DL_AFF_CONST && e->rhs->value < 0 && e->rhs->value != INT64_MIN) {
            fprintf(out, " - %lld", -(long long)e->rhs->value);
        } else if (e->rhs->kind == DL_AFF_MUL && e->rhs->rhs->kind == DL_AFF_CONST &&
                   e->rhs->rhs->value == -1) {
            fputs(" - ", out);
            print_expr(e->rhs->lhs, 2, out);
        } else {
            fputs(" + ", out);
            print_expr(e->rhs, 2, out);
        }
        break;
    default: {
        static const char *ops[] = {[DL_AFF_MUL] = " * ",
                                    [DL_AFF_FLOORDIV] = " floordiv ",
                                    [DL_AFF_CEILDIV] = " ceildiv ",
                                    [DL_AFF_MOD] = " mod "};
        print_expr(e->lhs, 2, out);
        fputs(ops[e->kind], out);
        print_expr(e->rhs, 3, out);
    }
    }
    if (paren) fputc(')', out);
}

void dl_affine_expr_print(const dl_affine_expr *e, FILE *out) {
    print_expr(e, 0, out);
}

void dl_affine_map_print(const dl_affine_map *m, FILE *out) {
    fputc('(', out);
    for (unsigned i = 0; i < m->num_dims; i++) fprintf(out, "%sd%u", i ? ", " : "", i);
    fputc(')', out);
    if (m->num_syms) {
        fputc('[', out);
        for (unsigned i = 0; i < m->num_syms; i++) fprintf(out, "%ss%u", i ? ", " : "", i);
        fputc(']', out);
    }
    fputs(" -> (", out);
    for (unsigned i = 0; i < m->num_results; i++) {
        if (i) fputs(", ", out);
        print_expr(m->results[i], 0, out);
    }
    fputc(')', out);
}
