/* lower_elementwise.c: elementwise graph ops (unary math, activations, binary arithmetic and
 * comparisons with broadcasting, variadic Max/Min/Sum/Mean, Where, Clip, Cast): one generic each,
 * one table row per op giving its scalar body. */
#include "lower.h"

#include <math.h>
#include <string.h>

typedef dl_value *(*body_fn)(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op);

static const dl_type *f32_of(dl_builder *b) {
    return dl_type_scalar(b->ctx, DL_TY_F32);
}

static bool is_half(const dl_type *t) {
    return t->kind == DL_TY_F16 || t->kind == DL_TY_BF16;
}

static double fattr(dl_op *op, const char *name, double dflt) {
    return dl_op_attr_float(op, name, dflt);
}

/* ---- Unary bodies --------------------------------------------------------------------------- */

static dl_value *relu(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    dl_value *zero = kb_like(b, x[0], 0);
    return kb_select(b, kb_cmp(b, "lt", x[0], zero), zero, x[0]);
}

static dl_value *leaky_relu(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    dl_value *ax = kb_mul(b, x[0], kb_like(b, x[0], fattr(op, "alpha", 0.01)));
    return kb_select(b, kb_cmp(b, "lt", x[0], kb_like(b, x[0], 0)), ax, x[0]);
}

static dl_value *thresholded_relu(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    dl_value *gt = kb_cmp(b, "gt", x[0], kb_like(b, x[0], fattr(op, "alpha", 1.0)));
    return kb_select(b, gt, x[0], kb_like(b, x[0], 0));
}

static dl_value *expm1_scaled(dl_builder *b, dl_value *x, double alpha) {
    dl_value *e = kb_sub(b, kb_un(b, DL_OP_arith_exp, x), kb_like(b, x, 1));
    return kb_mul(b, e, kb_like(b, x, alpha));
}

static dl_value *elu(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    dl_value *neg = expm1_scaled(b, x[0], fattr(op, "alpha", 1.0));
    return kb_select(b, kb_cmp(b, "lt", x[0], kb_like(b, x[0], 0)), neg, x[0]);
}

static dl_value *selu(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    double alpha = fattr(op, "alpha", 1.67326319217681884765625);
    double gamma = fattr(op, "gamma", 1.05070102214813232421875);
    dl_value *neg = expm1_scaled(b, x[0], alpha * gamma);
    dl_value *pos = kb_mul(b, x[0], kb_like(b, x[0], gamma));
    return kb_select(b, kb_cmp(b, "le", x[0], kb_like(b, x[0], 0)), neg, pos);
}

static dl_value *celu(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    double alpha = fattr(op, "alpha", 1.0);
    dl_value *neg = expm1_scaled(b, kb_div(b, x[0], kb_like(b, x[0], alpha)), alpha);
    return kb_select(b, kb_cmp(b, "lt", x[0], kb_like(b, x[0], 0)), neg, x[0]);
}

static dl_value *hard_sigmoid_of(dl_builder *b, dl_value *x, double alpha, double beta) {
    dl_value *y = kb_add(b, kb_mul(b, x, kb_like(b, x, alpha)), kb_like(b, x, beta));
    return kb_clamp(b, y, kb_like(b, x, 0), kb_like(b, x, 1));
}

static dl_value *hard_sigmoid(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    return hard_sigmoid_of(b, x[0], fattr(op, "alpha", 0.2), fattr(op, "beta", 0.5));
}

static dl_value *hard_swish(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    return kb_mul(b, x[0], hard_sigmoid_of(b, x[0], 1.0 / 6, 0.5));
}

static dl_value *sigmoid(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    dl_value *one = kb_like(b, x[0], 1);
    dl_value *e = kb_un(b, DL_OP_arith_exp, kb_un(b, DL_OP_arith_neg, x[0]));
    return kb_div(b, one, kb_add(b, one, e));
}

static dl_value *softplus(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    dl_value *e = kb_add(b, kb_un(b, DL_OP_arith_exp, x[0]), kb_like(b, x[0], 1));
    return kb_un(b, DL_OP_arith_log, e);
}

static dl_value *mish(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    return kb_mul(b, x[0], kb_un(b, DL_OP_arith_tanh, softplus(b, x, t, op)));
}

static dl_value *softsign(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    dl_value *d = kb_add(b, kb_un(b, DL_OP_arith_abs, x[0]), kb_like(b, x[0], 1));
    return kb_div(b, x[0], d);
}

static dl_value *reciprocal(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    return kb_div(b, kb_like(b, x[0], 1), x[0]);
}

static dl_value *round_even(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    return kb_round_even(b, x[0]);
}

static dl_value *abs_(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    if (dl_type_is_unsigned(t) || t->kind == DL_TY_I1) return x[0];
    return kb_un(b, DL_OP_arith_abs, x[0]);
}

static dl_value *sign(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    dl_value *zero = kb_like(b, x[0], 0);
    dl_value *r =
        kb_select(b, kb_cmp(b, "lt", x[0], zero), kb_like(b, x[0], -1), kb_mul(b, x[0], zero));
    return kb_select(b, kb_cmp(b, "gt", x[0], zero), kb_like(b, x[0], 1), r);
}

static dl_value *shrink(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    double bias = fattr(op, "bias", 0), lambd = fattr(op, "lambd", 0.5);
    dl_value *v = x[0];
    dl_value *lo = kb_cmp(b, "lt", v, kb_like(b, v, -lambd));
    dl_value *hi = kb_cmp(b, "gt", v, kb_like(b, v, lambd));
    dl_value *r = kb_select(b, hi, kb_sub(b, v, kb_like(b, v, bias)), kb_like(b, v, 0));
    return kb_select(b, lo, kb_add(b, v, kb_like(b, v, bias)), r);
}

static dl_value *not_(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    return kb_not(b, x[0]);
}

static dl_value *isnan_(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    return dl_build1(b, DL_OP_arith_isnan, 1, x, t);
}

static dl_value *isinf_(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    bool pos = dl_op_attr_int(op, "detect_positive", 1),
         neg = dl_op_attr_int(op, "detect_negative", 1);
    dl_value *p = kb_cmp(b, "eq", x[0], kb_like(b, x[0], INFINITY));
    dl_value *n = kb_cmp(b, "eq", x[0], kb_like(b, x[0], -INFINITY));
    if (pos && neg) return kb_or(b, p, n);
    if (pos) return p;
    if (neg) return n;
    return kb_const(b, t, 0);
}

static dl_value *gelu(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    dl_value *v = x[0], *half = kb_like(b, v, 0.5), *one = kb_like(b, v, 1), *inner;
    if (strcmp(dl_op_attr_str(op, "approximate", "none"), "tanh") == 0) {
        dl_value *cube = kb_mul(b, kb_mul(b, v, v), v);
        inner = kb_add(b, v, kb_mul(b, cube, kb_like(b, v, 0.044715)));
        inner = kb_mul(b, inner, kb_like(b, v, sqrt(2 / M_PI)));
        inner = kb_un(b, DL_OP_arith_tanh, inner);
    } else {
        inner = kb_un(b, DL_OP_arith_erf, kb_mul(b, v, kb_like(b, v, M_SQRT1_2)));
    }
    return kb_mul(b, kb_mul(b, half, v), kb_add(b, one, inner));
}

/* ---- Binary and variadic bodies ------------------------------------------------------------- */

static dl_value *add(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    return kb_add(b, x[0], x[1]);
}
static dl_value *sub(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    return kb_sub(b, x[0], x[1]);
}
static dl_value *mul(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    return kb_mul(b, x[0], x[1]);
}

static dl_value *div_(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    return kb_div(b, x[0], x[1]);
}

static dl_value *mod(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    bool fmod = dl_op_attr_int(op, "fmod", 0) != 0;
    if (dl_type_is_int(t)) {
        dl_value *r = kb_bin(b, DL_OP_arith_rem, x[0], x[1]);
        if (fmod || dl_type_is_unsigned(t)) return r;
        dl_value *zero = kb_like(b, r, 0);
        dl_value *fix =
            kb_and(b, kb_cmp(b, "ne", r, zero),
                   kb_cmp(b, "ne", kb_cmp(b, "lt", r, zero), kb_cmp(b, "lt", x[1], zero)));
        return kb_select(b, fix, kb_add(b, r, x[1]), r);
    }
    if (fmod) return kb_bin(b, DL_OP_arith_rem, x[0], x[1]);
    return kb_mod_floor(b, x[0], x[1]);
}

static dl_value *pow_(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    const dl_type *ct = dl_type_is_float(t) && !is_half(t) ? t : dl_type_scalar(b->ctx, DL_TY_F64);
    dl_value *base = kb_cast(b, x[0], ct), *e = kb_cast(b, x[1], ct);
    return kb_cast(b, kb_bin(b, DL_OP_arith_pow, base, e), t);
}

static dl_value *logic(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    dl_op_kind k = op->kind == DL_OP_graph_And  ? DL_OP_arith_and
                   : op->kind == DL_OP_graph_Or ? DL_OP_arith_or
                                                : DL_OP_arith_xor;
    return kb_bin(b, k, x[0], x[1]);
}

static dl_value *bitshift(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    bool left = strcmp(dl_op_attr_str(op, "direction", "LEFT"), "LEFT") == 0;
    return kb_bin(b, left ? DL_OP_arith_shl : DL_OP_arith_shr, x[0], x[1]);
}

static dl_value *compare(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    const char *pred = op->kind == DL_OP_graph_Equal         ? "eq"
                       : op->kind == DL_OP_graph_Less        ? "lt"
                       : op->kind == DL_OP_graph_LessOrEqual ? "le"
                       : op->kind == DL_OP_graph_Greater     ? "gt"
                                                             : "ge";
    return kb_cmp(b, pred, x[0], x[1]);
}

static dl_value *prelu(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    dl_value *neg = kb_cmp(b, "lt", x[0], kb_like(b, x[0], 0));
    return kb_select(b, neg, kb_mul(b, x[0], x[1]), x[0]);
}

static dl_value *where(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    return kb_select(b, x[0], x[1], x[2]);
}

static dl_value *variadic(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    dl_value *acc = x[0];
    for (unsigned i = 1; i < op->num_operands; i++) {
        switch (op->kind) {
        case DL_OP_graph_Max: acc = kb_max_nan(b, acc, x[i]); break;
        case DL_OP_graph_Min: acc = kb_min_nan(b, acc, x[i]); break;
        default: acc = kb_add(b, acc, x[i]); break;
        }
    }
    if (op->kind == DL_OP_graph_Mean) acc = kb_div(b, acc, kb_like(b, acc, op->num_operands));
    return acc;
}

/* Clip's bounds are optional inputs; x[1] / x[2] are NULL when absent. */
static dl_value *clip(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    dl_value *v = x[0];
    if (x[1]) v = kb_select(b, kb_cmp(b, "lt", v, x[1]), x[1], v);
    if (x[2]) v = kb_select(b, kb_cmp(b, "gt", v, x[2]), x[2], v);
    return v;
}

/* ONNX 1.12's reference (the conformance data) converts float to bfloat16 by truncation: keep
 * the upper 16 bits of the f32 pattern. */
static dl_value *to_bf16(dl_builder *b, dl_value *x) {
    dl_context *ctx = b->ctx;
    const dl_type *u32 = dl_type_scalar(ctx, DL_TY_U32), *u16 = dl_type_scalar(ctx, DL_TY_U16);
    x = kb_cast(b, x, dl_type_scalar(ctx, DL_TY_F32));
    dl_value *bits = dl_build1(b, DL_OP_arith_bitcast, 1, &x, u32);
    bits = kb_cast(b, kb_bin(b, DL_OP_arith_shr, bits, kb_consti(b, u32, 16)), u16);
    return dl_build1(b, DL_OP_arith_bitcast, 1, &bits, dl_type_scalar(ctx, DL_TY_BF16));
}

static dl_value *cast(dl_builder *b, dl_value *const *x, const dl_type *t, dl_op *op) {
    if (t->kind == DL_TY_BF16 && dl_type_is_float(x[0]->type)) return to_bf16(b, x[0]);
    return kb_cast(b, x[0], t);
}

/* ---- The table ------------------------------------------------------------------------------ */

enum {
    F_HALF = 1,  /* compute f16/bf16 in f32 */
    F_FLOAT = 2, /* floating-point inputs only */
    F_FIRST = 4, /* only the first operand is elementwise data (Cast, CastLike) */
};

typedef struct ew_rule {
    dl_op_kind kind;
    dl_op_kind arith; /* a unary arith op, or DL_OP__INVALID */
    body_fn fn;
    unsigned flags;
} ew_rule;

#define U(op, a)                                                                                   \
    { DL_OP_graph_##op, DL_OP_arith_##a, NULL, F_HALF | F_FLOAT }
#define R(op, f, fl)                                                                               \
    { DL_OP_graph_##op, DL_OP__INVALID, f, fl }

static const ew_rule rules[] = {
    U(Sqrt, sqrt),
    U(Exp, exp),
    U(Log, log),
    U(Sin, sin),
    U(Cos, cos),
    U(Tan, tan),
    U(Asin, asin),
    U(Acos, acos),
    U(Atan, atan),
    U(Sinh, sinh),
    U(Cosh, cosh),
    U(Asinh, asinh),
    U(Acosh, acosh),
    U(Atanh, atanh),
    U(Tanh, tanh),
    U(Erf, erf),
    U(Floor, floor),
    U(Ceil, ceil),
    R(Neg, NULL, 0),
    R(Abs, abs_, 0),
    R(Sign, sign, 0),
    R(Relu, relu, 0),
    R(Round, round_even, F_HALF | F_FLOAT),
    R(Reciprocal, reciprocal, F_HALF),
    R(Sigmoid, sigmoid, F_HALF | F_FLOAT),
    R(Softplus, softplus, F_HALF | F_FLOAT),
    R(Softsign, softsign, F_HALF | F_FLOAT),
    R(LeakyRelu, leaky_relu, F_HALF | F_FLOAT),
    R(Elu, elu, F_HALF | F_FLOAT),
    R(Selu, selu, F_HALF | F_FLOAT),
    R(Celu, celu, F_HALF | F_FLOAT),
    R(HardSigmoid, hard_sigmoid, F_HALF | F_FLOAT),
    R(HardSwish, hard_swish, F_HALF | F_FLOAT),
    R(ThresholdedRelu, thresholded_relu, F_HALF | F_FLOAT),
    R(Shrink, shrink, F_HALF),
    R(Gelu, gelu, F_HALF | F_FLOAT),
    R(Mish, mish, F_HALF | F_FLOAT),
    R(Not, not_, 0),
    R(IsNaN, isnan_, F_FIRST),
    R(IsInf, isinf_, F_FIRST),
    R(Add, add, 0),
    R(Sub, sub, 0),
    R(Mul, mul, 0),
    R(Div, div_, 0),
    R(Mod, mod, F_HALF),
    R(Pow, pow_, 0),
    R(And, logic, 0),
    R(Or, logic, 0),
    R(Xor, logic, 0),
    R(BitShift, bitshift, 0),
    R(Equal, compare, 0),
    R(Less, compare, 0),
    R(LessOrEqual, compare, 0),
    R(Greater, compare, 0),
    R(GreaterOrEqual, compare, 0),
    R(PRelu, prelu, F_HALF),
    R(Where, where, 0),
    R(Max, variadic, F_HALF),
    R(Min, variadic, F_HALF),
    R(Sum, variadic, F_HALF),
    R(Mean, variadic, F_HALF),
    R(Clip, clip, 0),
    R(Cast, cast, F_FIRST),
    R(CastLike, cast, F_FIRST),
};

static const ew_rule *rule_of(dl_op_kind kind) {
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
        if (rules[i].kind == kind) return &rules[i];
    return NULL;
}

typedef struct ew_ctx {
    dl_op *op;
    const ew_rule *rule;
    unsigned present; /* bit i: operand i has a buffer (Clip's optional bounds) */
    unsigned num_ins;
} ew_ctx;

/* Common body: promotes half floats to f32 where the rule asks, applies the rule, converts the
 * result to the output element type. Operands absent in the op (Clip) become NULL. */
static dl_value *ew_body(dl_builder *b, dl_value *const *args, const dl_type *out_elem,
                         const void *user) {
    const ew_ctx *c = user;
    dl_value *x[KB_MAX_OPERANDS] = {0};
    unsigned n = 0;
    for (unsigned i = 0; i < c->op->num_operands; i++)
        x[i] = c->present & (1u << i) ? args[n++] : NULL;
    const dl_type *ct = out_elem;
    bool data_first = c->rule->flags & F_FIRST;
    const dl_type *in0 = x[0]->type;
    if ((c->rule->flags & F_HALF) && is_half(data_first ? in0 : out_elem)) {
        ct = f32_of(b);
        for (unsigned i = 0; i < c->op->num_operands; i++)
            if (x[i] && is_half(x[i]->type)) x[i] = kb_cast(b, x[i], ct);
        if (data_first) ct = out_elem;
    }
    dl_value *r;
    if (c->rule->kind == DL_OP_graph_Neg)
        r = kb_un(b, DL_OP_arith_neg, x[0]);
    else if (c->rule->arith != DL_OP__INVALID)
        r = kb_un(b, c->rule->arith, x[0]);
    else
        r = c->rule->fn(b, x, ct, c->op);
    return kb_cast(b, r, out_elem);
}

static dl_status lower_ew(dl_lower *lw, dl_op *op) {
    const ew_rule *rule = rule_of(op->kind);
    DL_ASSERT(rule);
    ew_ctx c = {.op = op, .rule = rule};
    dl_value *ins[KB_MAX_OPERANDS];
    if (op->num_operands >= KB_MAX_OPERANDS)
        return dl_op_error(op, "more than %d inputs are not supported", KB_MAX_OPERANDS - 1);
    unsigned n_data = rule->flags & F_FIRST ? 1 : op->num_operands;
    for (unsigned i = 0; i < n_data; i++) {
        dl_value *buf = lw_in(lw, op, i);
        if (!buf) continue;
        if ((rule->flags & F_FLOAT) && !dl_type_is_float(buf->type->elem))
            return dl_op_error(op, "element type %s is not supported (floating point only)",
                               dl_scalar_name(buf->type->elem->kind));
        if (buf->type->rank > op->results[0].type->rank)
            return dl_op_error(op, "input %u has a higher rank than the result", i);
        c.present |= 1u << i;
        ins[c.num_ins++] = buf;
    }
    dl_value *out = lw_out(lw, op, 0);
    kb_elementwise(lw_top(lw), c.num_ins, ins, out, ew_body, &c);
    return DL_OK;
}

#define E(op)                                                                                      \
    { DL_OP_graph_##op, lower_ew }

const dl_lower_entry dl_lower_elementwise[] = {
    E(Sqrt),
    E(Exp),
    E(Log),
    E(Sin),
    E(Cos),
    E(Tan),
    E(Asin),
    E(Acos),
    E(Atan),
    E(Sinh),
    E(Cosh),
    E(Asinh),
    E(Acosh),
    E(Atanh),
    E(Tanh),
    E(Erf),
    E(Floor),
    E(Ceil),
    E(Neg),
    E(Abs),
    E(Sign),
    E(Relu),
    E(Round),
    E(Reciprocal),
    E(Sigmoid),
    E(Softplus),
    E(Softsign),
    E(LeakyRelu),
    E(Elu),
    E(Selu),
    E(Celu),
    E(HardSigmoid),
    E(HardSwish),
    E(ThresholdedRelu),
    E(Shrink),
    E(Gelu),
    E(Mish),
    E(Not),
    E(IsNaN),
    E(IsInf),
    E(Add),
    E(Sub),
    E(Mul),
    E(Div),
    E(Mod),
    E(Pow),
    E(And),
    E(Or),
    E(Xor),
    E(BitShift),
    E(Equal),
    E(Less),
    E(LessOrEqual),
    E(Greater),
    E(GreaterOrEqual),
    E(PRelu),
    E(Where),
    E(Max),
    E(Min),
    E(Sum),
    E(Mean),
    E(Clip),
    E(Cast),
    E(CastLike),
    {DL_OP__INVALID, NULL},
};
