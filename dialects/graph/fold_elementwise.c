/* fold_elementwise.c: constant-folding rules of elementwise ops. One evaluator with numpy
 * broadcasting serves every unary, binary and variadic math op, comparisons, logic, Where,
 * Clip and Cast; a per-op scalar function gives the semantics.
 *
 * Precision: float elements are computed in double and rounded to the element type after each
 * step (f16 and bf16 through float, as numpy does). For + - * / and sqrt this equals evaluation
 * in the element type itself (double has more than twice float's precision); transcendental
 * functions give the correctly rounded result that compiled code approximates. Integer results
 * wrap; integer division truncates toward zero (ONNX), and a zero divisor does not fold. */
#include "fold.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One elementwise evaluation: the op, its element kinds and attributes. */
typedef struct ew {
    dl_op_kind kind;
    dl_type_kind out;                      /* result element kind */
    dl_type_kind in[DL_FOLD_MAX_OPERANDS]; /* operand element kinds */
    bool present[DL_FOLD_MAX_OPERANDS];    /* false for absent optional operands (Clip) */
    unsigned n;                            /* operands evaluated */
    double alpha, beta, gamma;             /* float attributes, defaults applied */
    int64_t flag;                          /* fmod, detect_negative, BitShift left */
    int64_t flag2;                         /* detect_positive, Gelu tanh approximation */
} ew;

static bool is_float_kind(dl_type_kind k) {
    return k <= DL_TY_F64;
}
static bool is_unsigned_kind(dl_type_kind k) {
    return k >= DL_TY_U8 && k <= DL_TY_U64;
}

/* ---- Scalar semantics ---- */

/* numpy's maximum/minimum: NaN propagates, a tie gives the second operand. */
static double max_f(double x, double y) {
    return isnan(x) ? x : isnan(y) ? y : x > y ? x : y;
}
static double min_f(double x, double y) {
    return isnan(x) ? x : isnan(y) ? y : x < y ? x : y;
}

static double softplus(double x) {
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

static bool unary_float(const ew *c, double x, double *r) {
    switch (c->kind) {
    case DL_OP_graph_Abs: *r = fabs(x); break;
    case DL_OP_graph_Neg: *r = -x; break;
    case DL_OP_graph_Exp: *r = exp(x); break;
    case DL_OP_graph_Log: *r = log(x); break;
    case DL_OP_graph_Sqrt: *r = sqrt(x); break;
    case DL_OP_graph_Relu: *r = max_f(x, 0.0); break;
    case DL_OP_graph_Sigmoid: *r = 1.0 / (1.0 + exp(-x)); break;
    case DL_OP_graph_Tanh: *r = tanh(x); break;
    case DL_OP_graph_Reciprocal: *r = 1.0 / x; break;
    case DL_OP_graph_Floor: *r = floor(x); break;
    case DL_OP_graph_Ceil: *r = ceil(x); break;
    case DL_OP_graph_Round: *r = nearbyint(x); break;
    case DL_OP_graph_Sign: *r = x > 0 ? 1.0 : x < 0 ? -1.0 : isnan(x) ? x : 0.0; break;
    case DL_OP_graph_Sin: *r = sin(x); break;
    case DL_OP_graph_Cos: *r = cos(x); break;
    case DL_OP_graph_Tan: *r = tan(x); break;
    case DL_OP_graph_Asin: *r = asin(x); break;
    case DL_OP_graph_Acos: *r = acos(x); break;
    case DL_OP_graph_Atan: *r = atan(x); break;
    case DL_OP_graph_Sinh: *r = sinh(x); break;
    case DL_OP_graph_Cosh: *r = cosh(x); break;
    case DL_OP_graph_Asinh: *r = asinh(x); break;
    case DL_OP_graph_Acosh: *r = acosh(x); break;
    case DL_OP_graph_Atanh: *r = atanh(x); break;
    case DL_OP_graph_Erf: *r = erf(x); break;
    case DL_OP_graph_Softplus: *r = softplus(x); break;
    case DL_OP_graph_Softsign: *r = x / (1.0 + fabs(x)); break;
    case DL_OP_graph_Elu: *r = x < 0 ? c->alpha * expm1(x) : x; break;
    case DL_OP_graph_Selu: *r = x <= 0 ? c->gamma * (c->alpha * expm1(x)) : c->gamma * x; break;
    case DL_OP_graph_Celu: *r = max_f(0.0, x) + min_f(0.0, c->alpha * expm1(x / c->alpha)); break;
    case DL_OP_graph_LeakyRelu: *r = x < 0 ? c->alpha * x : x; break;
    case DL_OP_graph_HardSigmoid: *r = max_f(0.0, min_f(1.0, c->alpha * x + c->beta)); break;
    case DL_OP_graph_HardSwish: *r = x * max_f(0.0, min_f(1.0, x / 6.0 + 0.5)); break;
    case DL_OP_graph_ThresholdedRelu: *r = x > c->alpha ? x : 0.0; break;
    case DL_OP_graph_Mish: *r = x * tanh(softplus(x)); break;
    case DL_OP_graph_Shrink:
        *r = x < -c->beta ? x + c->alpha : x > c->beta ? x - c->alpha : 0.0;
        break;
    case DL_OP_graph_Gelu:
        if (c->flag2)
            *r = 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
        else
            *r = 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
        break;
    default: return false;
    }
    return true;
}

static bool unary_int(const ew *c, int64_t x, int64_t *r) {
    bool u = is_unsigned_kind(c->out);
    switch (c->kind) {
    case DL_OP_graph_Abs: *r = u || x >= 0 ? x : (int64_t)(0 - (uint64_t)x); break;
    case DL_OP_graph_Neg: *r = (int64_t)(0 - (uint64_t)x); break;
    case DL_OP_graph_Sign: *r = x == 0 ? 0 : u || x > 0 ? 1 : -1; break;
    case DL_OP_graph_Relu: *r = !u && x < 0 ? 0 : x; break;
    default: return false;
    }
    return true;
}

/* Integer power by squaring, wrapping like the element type; negative exponents do not fold. */
static bool int_pow(int64_t x, int64_t y, int64_t *r) {
    if (y < 0) return false;
    uint64_t base = (uint64_t)x, acc = 1;
    for (uint64_t e = (uint64_t)y; e; e >>= 1) {
        if (e & 1) acc *= base;
        base *= base;
    }
    *r = (int64_t)acc;
    return true;
}

static bool binary_float(const ew *c, double x, double y, double *r) {
    switch (c->kind) {
    case DL_OP_graph_Add:
    case DL_OP_graph_Sum:
    case DL_OP_graph_Mean: *r = x + y; break;
    case DL_OP_graph_Sub: *r = x - y; break;
    case DL_OP_graph_Mul: *r = x * y; break;
    case DL_OP_graph_Div: *r = x / y; break;
    case DL_OP_graph_Pow: *r = pow(x, y); break;
    case DL_OP_graph_Max: *r = max_f(x, y); break;
    case DL_OP_graph_Min: *r = min_f(x, y); break;
    case DL_OP_graph_PRelu: *r = x < 0 ? y * x : x; break;
    case DL_OP_graph_Mod:
        if (!c->flag) return false; /* floats need fmod=1 */
        *r = fmod(x, y);
        break;
    default: return false;
    }
    return true;
}

static bool binary_int(const ew *c, int64_t x, int64_t y, int64_t *r) {
    bool u64 = c->out == DL_TY_U64;
    switch (c->kind) {
    case DL_OP_graph_Add:
    case DL_OP_graph_Sum:
    case DL_OP_graph_Mean: *r = (int64_t)((uint64_t)x + (uint64_t)y); break;
    case DL_OP_graph_Sub: *r = (int64_t)((uint64_t)x - (uint64_t)y); break;
    case DL_OP_graph_Mul: *r = (int64_t)((uint64_t)x * (uint64_t)y); break;
    case DL_OP_graph_Max: *r = (u64 ? (uint64_t)x > (uint64_t)y : x > y) ? x : y; break;
    case DL_OP_graph_Min: *r = (u64 ? (uint64_t)x < (uint64_t)y : x < y) ? x : y; break;
    case DL_OP_graph_PRelu: *r = x < 0 ? (int64_t)((uint64_t)x * (uint64_t)y) : x; break;
    case DL_OP_graph_Pow: return int_pow(x, y, r);
    case DL_OP_graph_Div:
        if (y == 0) return false;
        if (u64)
            *r = (int64_t)((uint64_t)x / (uint64_t)y);
        else
            *r = y == -1 ? (int64_t)(0 - (uint64_t)x) : x / y;
        break;
    case DL_OP_graph_Mod:
        if (y == 0) return false;
        if (u64) {
            *r = (int64_t)((uint64_t)x % (uint64_t)y);
        } else {
            *r = y == -1 ? 0 : x % y;
            if (!c->flag && *r != 0 && (*r < 0) != (y < 0)) *r += y; /* sign of the divisor */
        }
        break;
    default: return false;
    }
    return true;
}

static bool compare(const ew *c, dl_fold_scalar a, dl_fold_scalar b) {
    if (is_float_kind(c->in[0])) {
        switch (c->kind) {
        case DL_OP_graph_Equal: return a.f == b.f;
        case DL_OP_graph_Less: return a.f < b.f;
        case DL_OP_graph_LessOrEqual: return a.f <= b.f;
        case DL_OP_graph_Greater: return a.f > b.f;
        default: return a.f >= b.f;
        }
    }
    if (c->in[0] == DL_TY_U64) {
        uint64_t x = (uint64_t)a.i, y = (uint64_t)b.i;
        switch (c->kind) {
        case DL_OP_graph_Equal: return x == y;
        case DL_OP_graph_Less: return x < y;
        case DL_OP_graph_LessOrEqual: return x <= y;
        case DL_OP_graph_Greater: return x > y;
        default: return x >= y;
        }
    }
    switch (c->kind) {
    case DL_OP_graph_Equal: return a.i == b.i;
    case DL_OP_graph_Less: return a.i < b.i;
    case DL_OP_graph_LessOrEqual: return a.i <= b.i;
    case DL_OP_graph_Greater: return a.i > b.i;
    default: return a.i >= b.i;
    }
}

/* d rounded to float with round-to-odd, so that a second rounding to f16 or bf16 gives the
 * correctly rounded result of d (float has more than twice their precision plus two bits). */
static double to_odd_float(double d) {
    float f = (float)d;
    if (isnan(d) || isinf(f) || (double)f == d) return f;
    if (fabs((double)f) > fabs(d)) f = nextafterf(f, 0.0f);
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    bits |= 1;
    memcpy(&f, &bits, sizeof bits);
    return f;
}

/* Float to integer as numpy's astype does on x86-64: truncation toward zero; NaN and values
 * out of range (undefined in ONNX) give the conversion's "integer indefinite" value: INT32_MIN
 * through a 32-bit conversion for targets of up to 32 signed bits, INT64_MIN otherwise. The
 * store then wraps to the target width. */
static int64_t float_to_int(double x, dl_type_kind to) {
    if (to == DL_TY_U64 && x >= 0x1p63 && x < 0x1p64) return (int64_t)(uint64_t)x;
    if (dl_scalar_bits(to) <= 32 && to != DL_TY_U32) {
        if (!(x > -2147483649.0 && x < 2147483648.0)) return INT32_MIN;
        return (int64_t)x;
    }
    if (!(x >= -0x1p63 && x < 0x1p63)) return INT64_MIN;
    return (int64_t)x;
}

/* ONNX Cast with numpy astype semantics (round to nearest even between floats, truncation from
 * float to integer, wrapping between integers, x != 0 to bool). */
static dl_fold_scalar cast_scalar(dl_type_kind from, dl_type_kind to, dl_fold_scalar v) {
    dl_fold_scalar r;
    bool from_float = is_float_kind(from);
    if (is_float_kind(to)) {
        if (from_float)
            r.f = v.f;
        else if (to == DL_TY_F32)
            r.f = from == DL_TY_U64 ? (float)(uint64_t)v.i : (float)v.i;
        else
            r.f = from == DL_TY_U64 ? (double)(uint64_t)v.i : (double)v.i;
        if ((to == DL_TY_F16 || to == DL_TY_BF16) && from != DL_TY_F32) r.f = to_odd_float(r.f);
    } else if (to == DL_TY_I1) {
        r.i = from_float ? v.f != 0 : v.i != 0;
    } else {
        r.i = from_float ? float_to_int(v.f, to) : v.i;
    }
    return r;
}

/* Rounds or wraps an intermediate result to the result element type. */
static dl_fold_scalar settle(const ew *c, dl_fold_scalar v) {
    if (is_float_kind(c->out))
        v.f = dl_fold_round(c->out, v.f);
    else
        v.i = dl_fold_wrap(c->out, v.i);
    return v;
}

/* Left fold of the arithmetic ops (binary or variadic) over the operands, rounding after each
 * step as the element type does; Mean divides at the end. */
static bool arith(const ew *c, const dl_fold_scalar *v, dl_fold_scalar *r) {
    bool flt = is_float_kind(c->out);
    dl_fold_scalar acc = v[0];
    for (unsigned k = 1; k < c->n; k++) {
        dl_fold_scalar y = v[k];
        if (c->kind == DL_OP_graph_Pow && flt != is_float_kind(c->in[k])) {
            /* mixed exponent type: an integer exponent of a float base, or the reverse */
            if (flt) {
                y.f = c->in[k] == DL_TY_U64 ? (double)(uint64_t)y.i : (double)y.i;
            } else {
                acc.i = float_to_int(pow((double)acc.i, y.f), c->out);
                continue;
            }
        }
        bool ok = flt ? binary_float(c, acc.f, y.f, &acc.f) : binary_int(c, acc.i, y.i, &acc.i);
        if (!ok) return false;
        acc = settle(c, acc);
    }
    if (c->kind == DL_OP_graph_Mean) {
        if (flt) {
            acc.f /= c->n;
        } else if (c->out == DL_TY_U64) {
            acc.i = (int64_t)((uint64_t)acc.i / c->n);
        } else {
            acc.i /= (int64_t)c->n;
        }
    }
    *r = settle(c, acc);
    return true;
}

static bool clip(const ew *c, const dl_fold_scalar *v, dl_fold_scalar *r) {
    dl_fold_scalar x = v[0];
    if (is_float_kind(c->out)) {
        if (c->present[1] && x.f < v[1].f) x = v[1];
        if (c->present[2] && x.f > v[2].f) x = v[2];
    } else if (c->out == DL_TY_U64) {
        if (c->present[1] && (uint64_t)x.i < (uint64_t)v[1].i) x = v[1];
        if (c->present[2] && (uint64_t)x.i > (uint64_t)v[2].i) x = v[2];
    } else {
        if (c->present[1] && x.i < v[1].i) x = v[1];
        if (c->present[2] && x.i > v[2].i) x = v[2];
    }
    *r = x;
    return true;
}

/* The result element for operand elements v; false when it does not fold. */
static bool apply(const ew *c, const dl_fold_scalar *v, dl_fold_scalar *r) {
    switch (c->kind) {
    case DL_OP_graph_Cast:
    case DL_OP_graph_CastLike: *r = cast_scalar(c->in[0], c->out, v[0]); return true;
    case DL_OP_graph_Where: *r = v[0].i ? v[1] : v[2]; return true;
    case DL_OP_graph_Clip: return clip(c, v, r);
    case DL_OP_graph_Equal:
    case DL_OP_graph_Less:
    case DL_OP_graph_LessOrEqual:
    case DL_OP_graph_Greater:
    case DL_OP_graph_GreaterOrEqual: r->i = compare(c, v[0], v[1]); return true;
    case DL_OP_graph_And: r->i = v[0].i && v[1].i; return true;
    case DL_OP_graph_Or: r->i = v[0].i || v[1].i; return true;
    case DL_OP_graph_Xor: r->i = !v[0].i != !v[1].i; return true;
    case DL_OP_graph_Not: r->i = !v[0].i; return true;
    case DL_OP_graph_IsNaN: r->i = isnan(v[0].f); return true;
    case DL_OP_graph_IsInf:
        r->i = (c->flag && v[0].f == -INFINITY) || (c->flag2 && v[0].f == INFINITY);
        return true;
    case DL_OP_graph_BitShift: {
        uint64_t x = (uint64_t)v[0].i, s = (uint64_t)v[1].i;
        r->i = s >= dl_scalar_bits(c->out) ? 0 : (int64_t)(c->flag ? x << s : x >> s);
        return true;
    }
    case DL_OP_graph_Add:
    case DL_OP_graph_Sub:
    case DL_OP_graph_Mul:
    case DL_OP_graph_Div:
    case DL_OP_graph_Mod:
    case DL_OP_graph_Pow:
    case DL_OP_graph_PRelu:
    case DL_OP_graph_Max:
    case DL_OP_graph_Min:
    case DL_OP_graph_Sum:
    case DL_OP_graph_Mean: return arith(c, v, r);
    default:
        if (is_float_kind(c->out)) return unary_float(c, v[0].f, &r->f);
        return unary_int(c, v[0].i, &r->i);
    }
}

/* Operand and result element types the op accepts. */
static bool types_ok(const ew *c) {
    switch (c->kind) {
    case DL_OP_graph_Cast:
    case DL_OP_graph_CastLike: return c->in[0] != DL_TY_INDEX && c->out != DL_TY_INDEX;
    case DL_OP_graph_Equal:
    case DL_OP_graph_Less:
    case DL_OP_graph_LessOrEqual:
    case DL_OP_graph_Greater:
    case DL_OP_graph_GreaterOrEqual: return c->in[0] == c->in[1] && c->out == DL_TY_I1;
    case DL_OP_graph_And:
    case DL_OP_graph_Or:
    case DL_OP_graph_Xor:
    case DL_OP_graph_Not:
        for (unsigned k = 0; k < c->n; k++)
            if (c->in[k] != DL_TY_I1) return false;
        return c->out == DL_TY_I1;
    case DL_OP_graph_IsNaN:
    case DL_OP_graph_IsInf: return is_float_kind(c->in[0]) && c->out == DL_TY_I1;
    case DL_OP_graph_Where: return c->in[0] == DL_TY_I1 && c->in[1] == c->out && c->in[2] == c->out;
    case DL_OP_graph_Pow: return c->in[0] == c->out && c->in[1] < DL_TY_INDEX;
    case DL_OP_graph_BitShift:
        return is_unsigned_kind(c->out) && c->in[0] == c->out && c->in[1] == c->out;
    default:
        if (c->out == DL_TY_INDEX) return false;
        for (unsigned k = 0; k < c->n; k++)
            if (c->present[k] && c->in[k] != c->out) return false;
        return true;
    }
}

/* Reads the op's attributes with their ONNX defaults (float attributes are f32 values). */
static void read_attrs(dl_op *op, ew *c) {
    double alpha = 0, beta = 0;
    switch (c->kind) {
    case DL_OP_graph_Elu:
    case DL_OP_graph_Celu:
    case DL_OP_graph_ThresholdedRelu: alpha = 1.0; break;
    case DL_OP_graph_LeakyRelu: alpha = (double)0.01f; break;
    case DL_OP_graph_HardSigmoid:
        alpha = (double)0.2f;
        beta = 0.5;
        break;
    case DL_OP_graph_Selu:
        alpha = (double)1.67326319217681884765625f;
        c->gamma = dl_op_attr_float(op, "gamma", (double)1.05070102214813232421875f);
        break;
    case DL_OP_graph_Shrink:
        c->alpha = dl_op_attr_float(op, "bias", 0.0);
        c->beta = dl_op_attr_float(op, "lambd", 0.5);
        return;
    case DL_OP_graph_Mod: c->flag = dl_op_attr_int(op, "fmod", 0); return;
    case DL_OP_graph_IsInf:
        c->flag = dl_op_attr_int(op, "detect_negative", 1);
        c->flag2 = dl_op_attr_int(op, "detect_positive", 1);
        return;
    case DL_OP_graph_BitShift:
        c->flag = strcmp(dl_op_attr_str(op, "direction", ""), "LEFT") == 0;
        return;
    case DL_OP_graph_Gelu:
        c->flag2 = strcmp(dl_op_attr_str(op, "approximate", "none"), "tanh") == 0;
        return;
    default: return;
    }
    c->alpha = dl_op_attr_float(op, "alpha", alpha);
    c->beta = dl_op_attr_float(op, "beta", beta);
}

/* The evaluator: every result element from the broadcast operand elements. */
static bool fold_ew(dl_op *op, const dl_attr **results) {
    ew c = {.kind = op->kind, .n = op->num_operands};
    if (op->kind == DL_OP_graph_CastLike) c.n = 1; /* the second operand gives only a type */
    if (c.n == 0 || c.n > DL_FOLD_MAX_OPERANDS || op->num_results != 1) return false;
    const dl_type *rt = op->results[0].type;
    c.out = rt->elem->kind;
    dl_fold_iter it;
    if (!dl_fold_iter_init(&it, rt, c.n)) return false;
    const dl_attr *a[DL_FOLD_MAX_OPERANDS];
    for (unsigned k = 0; k < c.n; k++) {
        a[k] = NULL;
        if (op->kind == DL_OP_graph_Clip && k > 0 && !dl_has_operand(op, k)) continue;
        a[k] = dl_fold_const(op, k);
        if (!a[k] || dl_type_num_elements(a[k]->type) > DL_FOLD_MAX_ELEMENTS ||
            !dl_fold_iter_broadcast(&it, k, a[k]->type))
            return false;
        c.present[k] = true;
        c.in[k] = a[k]->type->elem->kind;
    }
    if (op->kind == DL_OP_graph_Clip) {
        for (unsigned k = 1; k < c.n; k++) /* min and max are scalars */
            if (a[k] && dl_type_num_elements(a[k]->type) != 1) return false;
    }
    if (!types_ok(&c)) return false;
    read_attrs(op, &c);
    size_t bytes;
    void *buf = dl_fold_buffer(op, 0, &bytes);
    int64_t count = dl_type_num_elements(rt);
    dl_fold_scalar v[DL_FOLD_MAX_OPERANDS], r;
    for (int64_t i = 0; i < count; i++, dl_fold_iter_next(&it)) {
        for (unsigned k = 0; k < c.n; k++)
            if (a[k]) v[k] = dl_fold_load(a[k], it.off[k]);
        if (!apply(&c, v, &r)) {
            free(buf);
            return false;
        }
        dl_fold_store(buf, c.out, i, r);
    }
    results[0] = dl_fold_finish(op, 0, buf);
    return true;
}

#define EW(name)                                                                                   \
    { DL_OP_graph_##name, fold_ew }

const dl_fold_entry dl_fold_elementwise[] = {
    EW(Abs),
    EW(Acos),
    EW(Acosh),
    EW(Add),
    EW(And),
    EW(Asin),
    EW(Asinh),
    EW(Atan),
    EW(Atanh),
    EW(BitShift),
    EW(Cast),
    EW(CastLike),
    EW(Ceil),
    EW(Celu),
    EW(Clip),
    EW(Cos),
    EW(Cosh),
    EW(Div),
    EW(Elu),
    EW(Equal),
    EW(Erf),
    EW(Exp),
    EW(Floor),
    EW(Gelu),
    EW(Greater),
    EW(GreaterOrEqual),
    EW(HardSigmoid),
    EW(HardSwish),
    EW(IsInf),
    EW(IsNaN),
    EW(LeakyRelu),
    EW(Less),
    EW(LessOrEqual),
    EW(Log),
    EW(Max),
    EW(Mean),
    EW(Min),
    EW(Mish),
    EW(Mod),
    EW(Mul),
    EW(Neg),
    EW(Not),
    EW(Or),
    EW(PRelu),
    EW(Pow),
    EW(Reciprocal),
    EW(Relu),
    EW(Round),
    EW(Selu),
    EW(Shrink),
    EW(Sigmoid),
    EW(Sign),
    EW(Sin),
    EW(Sinh),
    EW(Softplus),
    EW(Softsign),
    EW(Sqrt),
    EW(Sub),
    EW(Sum),
    EW(Tan),
    EW(Tanh),
    EW(ThresholdedRelu),
    EW(Where),
    EW(Xor),
    {DL_OP__INVALID, NULL},
};
