/* scalar.c: the interpreter's scalar semantics: memory encodings of every scalar type,
 * integer wrapping, float rounding, casts and lane-wise arith evaluation. */
#include "internal.h"

#include <math.h>
#include <string.h>

int64_t ip_wrap(int64_t v, dl_type_kind k) {
    if (k == DL_TY_I1) return v & 1;
    unsigned bits = dl_scalar_bits(k);
    if (bits >= 64) return v;
    uint64_t mask = (UINT64_C(1) << bits) - 1, u = (uint64_t)v & mask;
    if (k < DL_TY_U8 && (u >> (bits - 1))) u |= ~mask; /* signed: sign-extend */
    return (int64_t)u;
}

double ip_round_float(double v, dl_type_kind k) {
    switch (k) {
    case DL_TY_F32: return (double)(float)v;
    case DL_TY_F16: return (double)dl_f16_to_f32(dl_f32_to_f16((float)v));
    case DL_TY_BF16: return (double)dl_bf16_to_f32(dl_f32_to_bf16((float)v));
    default: return v;
    }
}

ip_lane ip_load_scalar(const void *p, dl_type_kind k) {
    ip_lane r = {0};
    switch (k) {
    case DL_TY_F16: {
        uint16_t h;
        memcpy(&h, p, 2);
        r.f = dl_f16_to_f32(h);
        break;
    }
    case DL_TY_BF16: {
        uint16_t h;
        memcpy(&h, p, 2);
        r.f = dl_bf16_to_f32(h);
        break;
    }
    case DL_TY_F32: {
        float f;
        memcpy(&f, p, 4);
        r.f = f;
        break;
    }
    case DL_TY_F64: memcpy(&r.f, p, 8); break;
    case DL_TY_I1: r.i = *(const uint8_t *)p != 0; break;
    case DL_TY_I8: r.i = *(const int8_t *)p; break;
    case DL_TY_U8: r.i = *(const uint8_t *)p; break;
    case DL_TY_I16: {
        int16_t v;
        memcpy(&v, p, 2);
        r.i = v;
        break;
    }
    case DL_TY_U16: {
        uint16_t v;
        memcpy(&v, p, 2);
        r.i = v;
        break;
    }
    case DL_TY_I32: {
        int32_t v;
        memcpy(&v, p, 4);
        r.i = v;
        break;
    }
    case DL_TY_U32: {
        uint32_t v;
        memcpy(&v, p, 4);
        r.i = v;
        break;
    }
    case DL_TY_I64:
    case DL_TY_U64:
    case DL_TY_INDEX: memcpy(&r.i, p, 8); break;
    default: DL_UNREACHABLE("not a scalar kind");
    }
    return r;
}

void ip_store_scalar(void *p, dl_type_kind k, ip_lane v) {
    switch (k) {
    case DL_TY_F16: {
        uint16_t h = dl_f32_to_f16((float)v.f);
        memcpy(p, &h, 2);
        break;
    }
    case DL_TY_BF16: {
        uint16_t h = dl_f32_to_bf16((float)v.f);
        memcpy(p, &h, 2);
        break;
    }
    case DL_TY_F32: {
        float f = (float)v.f;
        memcpy(p, &f, 4);
        break;
    }
    case DL_TY_F64: memcpy(p, &v.f, 8); break;
    case DL_TY_I1: *(uint8_t *)p = v.i != 0; break;
    case DL_TY_I8:
    case DL_TY_U8: *(uint8_t *)p = (uint8_t)v.i; break;
    case DL_TY_I16:
    case DL_TY_U16: {
        uint16_t x = (uint16_t)v.i;
        memcpy(p, &x, 2);
        break;
    }
    case DL_TY_I32:
    case DL_TY_U32: {
        uint32_t x = (uint32_t)v.i;
        memcpy(p, &x, 4);
        break;
    }
    case DL_TY_I64:
    case DL_TY_U64:
    case DL_TY_INDEX: memcpy(p, &v.i, 8); break;
    default: DL_UNREACHABLE("not a scalar kind");
    }
}

static bool is_float(dl_type_kind k) {
    return k <= DL_TY_F64;
}
static bool is_unsigned(dl_type_kind k) {
    return k == DL_TY_I1 || (k >= DL_TY_U8 && k <= DL_TY_U64);
}

ip_lane ip_lane_from_attr(const dl_attr *a, dl_type_kind k) {
    ip_lane r = {0};
    if (is_float(k))
        r.f = ip_round_float(a->kind == DL_ATTR_FLOAT ? a->u.f : (double)a->u.i, k);
    else
        r.i = ip_wrap(a->kind == DL_ATTR_INT ? a->u.i : (int64_t)a->u.f, k);
    return r;
}

/* Float -> integer: truncation toward zero, saturating at the type's range, NaN -> 0. */
static int64_t float_to_int(double f, dl_type_kind k) {
    if (isnan(f)) return 0;
    if (k == DL_TY_I1) return f != 0;
    f = trunc(f);
    unsigned bits = dl_scalar_bits(k);
    if (is_unsigned(k)) {
        if (f <= 0) return 0;
        if (bits == 64) return f >= 18446744073709551616.0 ? -1 : (int64_t)(uint64_t)f;
        double hi = ldexp(1.0, (int)bits) - 1;
        return (int64_t)(f >= hi ? hi : f);
    }
    double lo = -ldexp(1.0, (int)bits - 1);
    if (f <= lo) return bits == 64 ? INT64_MIN : (int64_t)lo;
    if (f >= -lo) return bits == 64 ? INT64_MAX : (int64_t)(-lo) - 1;
    return (int64_t)f;
}

static double int_to_float(int64_t v, dl_type_kind from, dl_type_kind to) {
    double d = from == DL_TY_U64 ? (double)(uint64_t)v : (double)v;
    return ip_round_float(d, to);
}

/* arith.cast of one lane. */
static ip_lane cast(ip_lane a, dl_type_kind from, dl_type_kind to) {
    ip_lane r = {0};
    if (to == DL_TY_I1) {
        r.i = is_float(from) ? a.f != 0 : a.i != 0;
    } else if (is_float(from) && is_float(to)) {
        r.f = ip_round_float(a.f, to);
    } else if (is_float(from)) {
        r.i = float_to_int(a.f, to);
    } else if (is_float(to)) {
        r.f = int_to_float(a.i, from, to);
    } else {
        r.i = ip_wrap(a.i, to);
    }
    return r;
}

/* arith.bitcast of one lane: the same bits read as another type of the same width. */
static ip_lane bitcast(ip_lane a, dl_type_kind from, dl_type_kind to) {
    uint8_t bytes[8] = {0};
    ip_store_scalar(bytes, from, a);
    return ip_load_scalar(bytes, to);
}

static int64_t int_div(int64_t a, int64_t b, dl_type_kind k) {
    if (b == 0) return 0;
    if (k == DL_TY_U64) return (int64_t)((uint64_t)a / (uint64_t)b);
    if (a == INT64_MIN && b == -1) return INT64_MIN;
    return a / b;
}

static int64_t int_rem(int64_t a, int64_t b, dl_type_kind k) {
    if (b == 0) return 0;
    if (k == DL_TY_U64) return (int64_t)((uint64_t)a % (uint64_t)b);
    if (b == -1) return 0;
    return a % b;
}

static int64_t int_floordiv(int64_t a, int64_t b, dl_type_kind k) {
    if (b == 0) return 0;
    if (is_unsigned(k)) return int_div(a, b, k);
    int64_t q = int_div(a, b, k);
    if (b != -1 && a % b != 0 && ((a < 0) != (b < 0))) q--;
    return q;
}

static int64_t int_ceildiv(int64_t a, int64_t b, dl_type_kind k) {
    if (b == 0) return 0;
    int64_t q = int_div(a, b, k);
    if (is_unsigned(k)) return (uint64_t)a % (uint64_t)b ? q + 1 : q;
    if (b != -1 && a % b != 0 && ((a < 0) == (b < 0))) q++;
    return q;
}

static bool int_less(int64_t a, int64_t b, dl_type_kind k) {
    return k == DL_TY_U64 ? (uint64_t)a < (uint64_t)b : a < b;
}

/* IEEE maximum / minimum: NaN propagates, -0 < +0. */
static double fmax_nan(double a, double b) {
    if (isnan(a) || isnan(b)) return NAN;
    if (a == b) return signbit(a) ? b : a;
    return a > b ? a : b;
}
static double fmin_nan(double a, double b) {
    if (isnan(a) || isnan(b)) return NAN;
    if (a == b) return signbit(a) ? a : b;
    return a < b ? a : b;
}

/* Shifts with amounts >= the width (or negative) saturating. */
static int64_t shift(int64_t a, int64_t amount, dl_type_kind k, bool left) {
    unsigned bits = k == DL_TY_INDEX ? 64 : dl_scalar_bits(k);
    uint64_t n = (uint64_t)amount;
    bool neg = !is_unsigned(k) && a < 0;
    if (amount < 0 || n >= bits) return left ? 0 : (neg ? -1 : 0);
    if (left) return ip_wrap((int64_t)((uint64_t)a << n), k);
    if (is_unsigned(k)) return (int64_t)((uint64_t)a >> n);
    return a >> n; /* arithmetic on every supported compiler */
}

static double float_unary(dl_op_kind op, double x, dl_type_kind k) {
    bool f64 = k == DL_TY_F64;
    float xf = (float)x;
    switch (op) {
#define F(kind, fn)                                                                                \
    case DL_OP_arith_##kind: return f64 ? fn(x) : (double)fn##f(xf);
        F(sqrt, sqrt)
        F(exp, exp)
        F(log, log)
        F(tanh, tanh)
        F(erf, erf)
        F(sin, sin)
        F(cos, cos)
        F(tan, tan)
        F(asin, asin)
        F(acos, acos)
        F(atan, atan)
        F(sinh, sinh)
        F(cosh, cosh)
        F(asinh, asinh)
        F(acosh, acosh)
        F(atanh, atanh)
        F(floor, floor)
        F(ceil, ceil)
        F(round, rint)
        F(abs, fabs)
#undef F
    case DL_OP_arith_neg: return -x;
    default: DL_UNREACHABLE("not a float unary op");
    }
}

static bool eval_float(const dl_op *op, dl_type_kind k, const ip_lane *a, ip_lane *out) {
    double x = a[0].f, y = op->num_operands > 1 ? a[1].f : 0, r;
    bool f64 = k == DL_TY_F64;
    switch (op->kind) {
    case DL_OP_arith_add: r = x + y; break;
    case DL_OP_arith_sub: r = x - y; break;
    case DL_OP_arith_mul: r = x * y; break;
    case DL_OP_arith_div: r = x / y; break;
    case DL_OP_arith_rem: r = f64 ? fmod(x, y) : fmodf((float)x, (float)y); break;
    case DL_OP_arith_floordiv: r = floor(ip_round_float(x / y, k)); break;
    case DL_OP_arith_ceildiv: r = ceil(ip_round_float(x / y, k)); break;
    case DL_OP_arith_max: r = fmax_nan(x, y); break;
    case DL_OP_arith_min: r = fmin_nan(x, y); break;
    case DL_OP_arith_pow: r = f64 ? pow(x, y) : powf((float)x, (float)y); break;
    case DL_OP_arith_atan2: r = f64 ? atan2(x, y) : atan2f((float)x, (float)y); break;
    case DL_OP_arith_fma:
        r = f64 ? fma(x, y, a[2].f) : fmaf((float)x, (float)y, (float)a[2].f);
        break;
    case DL_OP_arith_isnan: out->i = isnan(x) != 0; return true;
    case DL_OP_arith_isinf: out->i = isinf(x) != 0; return true;
    case DL_OP_arith_neg:
    case DL_OP_arith_abs:
    case DL_OP_arith_sqrt:
    case DL_OP_arith_exp:
    case DL_OP_arith_log:
    case DL_OP_arith_tanh:
    case DL_OP_arith_erf:
    case DL_OP_arith_sin:
    case DL_OP_arith_cos:
    case DL_OP_arith_tan:
    case DL_OP_arith_asin:
    case DL_OP_arith_acos:
    case DL_OP_arith_atan:
    case DL_OP_arith_sinh:
    case DL_OP_arith_cosh:
    case DL_OP_arith_asinh:
    case DL_OP_arith_acosh:
    case DL_OP_arith_atanh:
    case DL_OP_arith_floor:
    case DL_OP_arith_ceil:
    case DL_OP_arith_round: r = float_unary(op->kind, x, k); break;
    default: return false;
    }
    out->f = ip_round_float(r, k);
    return true;
}

static bool eval_int(const dl_op *op, dl_type_kind k, const ip_lane *a, ip_lane *out) {
    int64_t x = a[0].i, y = op->num_operands > 1 ? a[1].i : 0, r;
    uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
    switch (op->kind) {
    case DL_OP_arith_add: r = (int64_t)(ux + uy); break;
    case DL_OP_arith_sub: r = (int64_t)(ux - uy); break;
    case DL_OP_arith_mul: r = (int64_t)(ux * uy); break;
    case DL_OP_arith_div: r = int_div(x, y, k); break;
    case DL_OP_arith_rem: r = int_rem(x, y, k); break;
    case DL_OP_arith_floordiv: r = int_floordiv(x, y, k); break;
    case DL_OP_arith_ceildiv: r = int_ceildiv(x, y, k); break;
    case DL_OP_arith_max: r = int_less(x, y, k) ? y : x; break;
    case DL_OP_arith_min: r = int_less(y, x, k) ? y : x; break;
    case DL_OP_arith_and: r = x & y; break;
    case DL_OP_arith_or: r = x | y; break;
    case DL_OP_arith_xor: r = x ^ y; break;
    case DL_OP_arith_shl: r = shift(x, y, k, true); break;
    case DL_OP_arith_shr: r = shift(x, y, k, false); break;
    case DL_OP_arith_neg: r = (int64_t)(0 - ux); break;
    case DL_OP_arith_abs: r = x < 0 && !is_unsigned(k) ? (int64_t)(0 - ux) : x; break;
    case DL_OP_arith_not: r = k == DL_TY_I1 ? !x : ~x; break;
    default: return false;
    }
    out->i = ip_wrap(r, k);
    return true;
}

static bool compare(const char *pred, ip_lane a, ip_lane b, dl_type_kind k) {
    int c; /* -1, 0, 1; 2 when unordered */
    if (is_float(k))
        c = isnan(a.f) || isnan(b.f) ? 2 : a.f < b.f ? -1 : a.f > b.f ? 1 : 0;
    else
        c = int_less(a.i, b.i, k) ? -1 : int_less(b.i, a.i, k) ? 1 : 0;
    if (strcmp(pred, "eq") == 0) return c == 0;
    if (strcmp(pred, "ne") == 0) return c != 0;
    if (strcmp(pred, "lt") == 0) return c == -1;
    if (strcmp(pred, "le") == 0) return c == -1 || c == 0;
    if (strcmp(pred, "gt") == 0) return c == 1;
    if (strcmp(pred, "ge") == 0) return c == 1 || c == 0;
    return false;
}

bool ip_eval_lane(const dl_op *op, dl_type_kind in_kind, dl_type_kind out_kind, const ip_lane *args,
                  ip_lane *out) {
    switch (op->kind) {
    case DL_OP_arith_cast: *out = cast(args[0], in_kind, out_kind); return true;
    case DL_OP_arith_bitcast: *out = bitcast(args[0], in_kind, out_kind); return true;
    case DL_OP_arith_cmp:
        out->i = compare(dl_op_attr_str(op, "pred", ""), args[0], args[1], in_kind);
        return true;
    case DL_OP_arith_select: *out = args[0].i ? args[1] : args[2]; return true;
    case DL_OP_arith_isnan:
    case DL_OP_arith_isinf: return eval_float(op, in_kind, args, out);
    default: break;
    }
    return is_float(out_kind) ? eval_float(op, out_kind, args, out)
                              : eval_int(op, out_kind, args, out);
}
