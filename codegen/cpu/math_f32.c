/* math_f32.c: exp, log, tanh and erf on f32 (scalars or vectors) as straight-line LLVM IR
 * (polynomials, bit manipulation and selects, no calls), so the loop vectorizer turns a loop of
 * them into SIMD code; libm calls would stay scalar. Accuracy against the exact result over the
 * whole f32 range: exp and log about 1 ulp (Cephes' expf/logf reductions and polynomials),
 * tanh about 2 ulp (Cephes' tanhf), erf a relative error below 5e-7 (the rational
 * approximation of Eigen/XLA on [-4, 4]). NaN, infinities, zeros and denormals are handled;
 * tests/codegen/test_codegen_math.c measures all of it. */
#include "codegen/cg.h"

#include <math.h>

/* The shape of x: 0 for a scalar, else the lane count. */
static unsigned lanes_of(LLVMValueRef x) {
    LLVMTypeRef t = LLVMTypeOf(x);
    return LLVMGetTypeKind(t) == LLVMVectorTypeKind ? LLVMGetVectorSize(t) : 0;
}

static LLVMValueRef fconst(cg_func *f, double v, unsigned lanes) {
    return cg_splat(f, LLVMConstReal(f->m->t_f32, v), lanes);
}

static LLVMValueRef iconst(cg_func *f, int64_t v, unsigned lanes) {
    return cg_splat(f, cg_i32(f->m, v), lanes);
}

static LLVMValueRef call1(cg_func *f, const char *name, LLVMValueRef x) {
    return cg_intrinsic1(f, name, &x, 1);
}

static LLVMValueRef call2(cg_func *f, const char *name, LLVMValueRef x, LLVMValueRef y) {
    LLVMValueRef args[2] = {x, y};
    return cg_intrinsic1(f, name, args, 2);
}

/* c[0] + x * (c[1] + x * (... + x * c[n-1])) evaluated by Horner's rule, c highest first. */
static LLVMValueRef horner(cg_func *f, LLVMValueRef x, const double *c, unsigned n) {
    unsigned lanes = lanes_of(x);
    LLVMValueRef p = fconst(f, c[0], lanes);
    for (unsigned i = 1; i < n; i++)
        p = LLVMBuildFAdd(f->b, LLVMBuildFMul(f->b, p, x, ""), fconst(f, c[i], lanes), "");
    return p;
}

static LLVMValueRef keep_nan(cg_func *f, LLVMValueRef x, LLVMValueRef r) {
    return LLVMBuildSelect(f->b, LLVMBuildFCmp(f->b, LLVMRealUNO, x, x, ""), x, r, "");
}

/* 2^n for i32 lanes n in [-126, 127]. */
static LLVMValueRef pow2(cg_func *f, LLVMValueRef n) {
    unsigned lanes = lanes_of(n);
    LLVMValueRef bits = LLVMBuildShl(f->b, LLVMBuildAdd(f->b, n, iconst(f, 127, lanes), ""),
                                     iconst(f, 23, lanes), "");
    return LLVMBuildBitCast(f->b, bits, cg_lanes_type(f->m, DL_TY_F32, lanes), "");
}

LLVMValueRef cg_exp_f32(cg_func *f, LLVMValueRef x) {
    static const double poly[] = {1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                                  4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1};
    unsigned lanes = lanes_of(x);
    LLVMBuilderRef b = f->b;
    /* Beyond [-104, 89] the result is 0 or infinity anyway. */
    LLVMValueRef xc = call2(f, "llvm.maxnum", call2(f, "llvm.minnum", x, fconst(f, 89, lanes)),
                            fconst(f, -104, lanes));
    LLVMValueRef z =
        call1(f, "llvm.roundeven", LLVMBuildFMul(b, xc, fconst(f, 1.44269504088896341, lanes), ""));
    /* r = x - z * ln 2 in two steps (Cody and Waite) */
    LLVMValueRef r =
        LLVMBuildFSub(b, xc, LLVMBuildFMul(b, z, fconst(f, 0.693359375, lanes), ""), "");
    r = LLVMBuildFSub(b, r, LLVMBuildFMul(b, z, fconst(f, -2.12194440e-4, lanes), ""), "");
    LLVMValueRef p = horner(f, r, poly, 6);
    p = LLVMBuildFMul(b, p, LLVMBuildFMul(b, r, r, ""), "");
    p = LLVMBuildFAdd(b, LLVMBuildFAdd(b, p, r, ""), fconst(f, 1, lanes), "");
    /* p * 2^z as p * 2^(z/2) * 2^(z - z/2): both factors stay normal for z in [-150, 128] */
    LLVMValueRef n = LLVMBuildFPToSI(b, z, cg_lanes_type(f->m, DL_TY_I32, lanes), "");
    LLVMValueRef h = LLVMBuildAShr(b, n, iconst(f, 1, lanes), "");
    LLVMValueRef res = LLVMBuildFMul(b, LLVMBuildFMul(b, p, pow2(f, h), ""),
                                     pow2(f, LLVMBuildSub(b, n, h, "")), "");
    return keep_nan(f, x, res);
}

LLVMValueRef cg_log_f32(cg_func *f, LLVMValueRef x) {
    static const double poly[] = {7.0376836292e-2,  -1.1514610310e-1, 1.1676998740e-1,
                                  -1.2420140846e-1, 1.4249322787e-1,  -1.6668057665e-1,
                                  2.0000714765e-1,  -2.4999993993e-1, 3.3333331174e-1};
    unsigned lanes = lanes_of(x);
    LLVMBuilderRef b = f->b;
    LLVMTypeRef it = cg_lanes_type(f->m, DL_TY_I32, lanes);
    /* x = m * 2^e with m in [0.5, 1); denormals are scaled by 2^23 first. */
    LLVMValueRef denormal = LLVMBuildFCmp(b, LLVMRealOLT, x, fconst(f, 1.17549435e-38, lanes), "");
    LLVMValueRef xs =
        LLVMBuildSelect(b, denormal, LLVMBuildFMul(b, x, fconst(f, 8388608.0, lanes), ""), x, "");
    LLVMValueRef bits = LLVMBuildBitCast(b, xs, it, "");
    LLVMValueRef e = LLVMBuildSub(b,
                                  LLVMBuildAnd(b, LLVMBuildLShr(b, bits, iconst(f, 23, lanes), ""),
                                               iconst(f, 0xff, lanes), ""),
                                  iconst(f, 126, lanes), "");
    e = LLVMBuildSub(
        b, e, LLVMBuildSelect(b, denormal, iconst(f, 23, lanes), iconst(f, 0, lanes), ""), "");
    LLVMValueRef mbits =
        LLVMBuildOr(b, LLVMBuildAnd(b, bits, iconst(f, (int32_t)0x807fffff, lanes), ""),
                    iconst(f, 0x3f000000, lanes), "");
    LLVMValueRef m = LLVMBuildBitCast(b, mbits, LLVMTypeOf(x), "");
    /* m < sqrt(1/2): use 2m - 1 and e - 1, so that the argument lies in [sqrt(1/2) - 1, sqrt(2) -
     * 1] */
    LLVMValueRef small =
        LLVMBuildFCmp(b, LLVMRealOLT, m, fconst(f, 0.707106781186547524, lanes), "");
    e = LLVMBuildSub(b, e, LLVMBuildZExt(b, small, it, ""), "");
    LLVMValueRef one = fconst(f, 1, lanes);
    LLVMValueRef xm =
        LLVMBuildSelect(b, small, LLVMBuildFSub(b, LLVMBuildFAdd(b, m, m, ""), one, ""),
                        LLVMBuildFSub(b, m, one, ""), "");
    LLVMValueRef z = LLVMBuildFMul(b, xm, xm, "");
    LLVMValueRef y = LLVMBuildFMul(b, LLVMBuildFMul(b, horner(f, xm, poly, 9), xm, ""), z, "");
    LLVMValueRef ef = LLVMBuildSIToFP(b, e, LLVMTypeOf(x), "");
    y = LLVMBuildFAdd(b, y, LLVMBuildFMul(b, ef, fconst(f, -2.12194440e-4, lanes), ""), "");
    y = LLVMBuildFAdd(b, y, LLVMBuildFMul(b, z, fconst(f, -0.5, lanes), ""), "");
    LLVMValueRef r = LLVMBuildFAdd(b, xm, y, "");
    r = LLVMBuildFAdd(b, r, LLVMBuildFMul(b, ef, fconst(f, 0.693359375, lanes), ""), "");
    /* log(0) = -inf, log(x < 0) = NaN, log(inf) = inf, log(NaN) = NaN */
    LLVMValueRef zero = fconst(f, 0, lanes);
    r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOEQ, x, zero, ""), fconst(f, -INFINITY, lanes),
                        r, "");
    r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, x, zero, ""), fconst(f, NAN, lanes), r,
                        "");
    r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOEQ, x, fconst(f, INFINITY, lanes), ""), x, r,
                        "");
    return keep_nan(f, x, r);
}

LLVMValueRef cg_tanh_f32(cg_func *f, LLVMValueRef x) {
    static const double poly[] = {-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2,
                                  1.33314422036e-1, -3.33332819422e-1};
    unsigned lanes = lanes_of(x);
    LLVMBuilderRef b = f->b;
    LLVMValueRef ax = call1(f, "llvm.fabs", x);
    /* |x| > 0.625: 1 - 2 / (e^(2|x|) + 1) with x's sign */
    LLVMValueRef s = cg_exp_f32(f, LLVMBuildFAdd(b, ax, ax, ""));
    LLVMValueRef big = LLVMBuildFSub(
        b, fconst(f, 1, lanes),
        LLVMBuildFDiv(b, fconst(f, 2, lanes), LLVMBuildFAdd(b, s, fconst(f, 1, lanes), ""), ""),
        "");
    big = call2(f, "llvm.copysign", big, x);
    /* otherwise x + x^3 P(x^2) */
    LLVMValueRef z = LLVMBuildFMul(b, x, x, "");
    LLVMValueRef small = LLVMBuildFMul(b, LLVMBuildFMul(b, horner(f, z, poly, 5), z, ""), x, "");
    small = LLVMBuildFAdd(b, small, x, "");
    LLVMValueRef use_big = LLVMBuildFCmp(b, LLVMRealOGT, ax, fconst(f, 0.625, lanes), "");
    return LLVMBuildSelect(b, use_big, big, small, "");
}

LLVMValueRef cg_erf_f32(cg_func *f, LLVMValueRef x) {
    static const double num[] = {
        -2.72614225801306e-10, 2.77068142495902e-08,  -2.10102402082508e-06, -5.69250639462346e-05,
        -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02};
    static const double den[] = {-1.45660718464996e-05, -2.13374055278905e-04,
                                 -1.68282697438203e-03, -7.37332916720468e-03,
                                 -1.42647390514189e-02};
    unsigned lanes = lanes_of(x);
    LLVMBuilderRef b = f->b;
    /* erf is +-1 in f32 beyond |x| = 4 */
    LLVMValueRef xc = call2(f, "llvm.maxnum", call2(f, "llvm.minnum", x, fconst(f, 4, lanes)),
                            fconst(f, -4, lanes));
    LLVMValueRef z = LLVMBuildFMul(b, xc, xc, "");
    /* x * (P(x^2) / Q(x^2)): the ratio first, so tiny x keep their precision */
    LLVMValueRef ratio = LLVMBuildFDiv(b, horner(f, z, num, 7), horner(f, z, den, 5), "");
    return keep_nan(f, x, LLVMBuildFMul(b, ratio, xc, ""));
}
