/* test_interp.c: the reference interpreter's semantics (dialects/interp/interp.h): integer
 * wrapping, division and shifts, float edge cases, casts, vectors, kernel.generic order, views,
 * loops, and its errors (out-of-bounds accesses, bad steps), plus the reverse-order mode that
 * exposes loops wrongly claimed parallel. */
#include "dlcc/text.h"
#include "interp/interp.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* Parses `module` and runs its function `main` on bufs; returns the status (diagnostics are
 * printed only when `quiet` is false). */
static dl_status run(const char *module, void **bufs, bool reverse, bool quiet) {
    dl_context *ctx = dl_context_create();
    if (!quiet) dl_diags_set_stream(ctx, stderr);
    dl_op *m = dl_parse(ctx, module, strlen(module), "test");
    dl_status st = DL_FAILURE;
    if (m && dl_verify(m) == DL_OK) {
        dl_interp_options o = {.reverse_parallel = reverse};
        st = dl_interp_run_opts(dl_module_lookup_func(m, "main"), bufs, &o);
    }
    dl_context_destroy(ctx);
    return st;
}

/* A function computing `expr` (IR lines using %a and %b of type T, defining %r of type R) and
 * storing %r into out[0]. */
static dl_status scalar_op(const char *t, const char *r, const char *body, void *a, void *b,
                           void *out) {
    char text[4096];
    snprintf(text, sizeof text,
             "builtin.module() ({\n"
             "  builtin.func() {function_type = (memref<1x%s>, memref<1x%s>, memref<1x%s>) -> (), "
             "sym_name = \"main\"} ({\n"
             "  ^bb0(%%pa: memref<1x%s>, %%pb: memref<1x%s>, %%po: memref<1x%s>):\n"
             "    %%i = arith.constant() {value = 0 : index} : () -> (index)\n"
             "    %%a = loop.load(%%pa, %%i) : (memref<1x%s>, index) -> (%s)\n"
             "    %%b = loop.load(%%pb, %%i) : (memref<1x%s>, index) -> (%s)\n"
             "%s"
             "    loop.store(%%r, %%po, %%i) : (%s, memref<1x%s>, index) -> ()\n"
             "    builtin.return() : () -> ()\n  })\n})\n",
             t, t, r, t, t, r, t, t, t, t, body, r, r);
    void *bufs[3] = {a, b, out};
    return run(text, bufs, false, false);
}

static void test_integers(void) {
    int8_t a = 127, b = 1, r = 0;
    EXPECT(!scalar_op("i8", "i8", "    %r = arith.add(%a, %b) : (i8, i8) -> (i8)\n", &a, &b, &r));
    EXPECT(r == -128);
    a = -7, b = 2;
    EXPECT(!scalar_op("i8", "i8", "    %r = arith.div(%a, %b) : (i8, i8) -> (i8)\n", &a, &b, &r));
    EXPECT(r == -3);
    EXPECT(
        !scalar_op("i8", "i8", "    %r = arith.floordiv(%a, %b) : (i8, i8) -> (i8)\n", &a, &b, &r));
    EXPECT(r == -4);
    EXPECT(
        !scalar_op("i8", "i8", "    %r = arith.ceildiv(%a, %b) : (i8, i8) -> (i8)\n", &a, &b, &r));
    EXPECT(r == -3);
    EXPECT(!scalar_op("i8", "i8", "    %r = arith.rem(%a, %b) : (i8, i8) -> (i8)\n", &a, &b, &r));
    EXPECT(r == -1);
    b = 0;
    EXPECT(!scalar_op("i8", "i8", "    %r = arith.div(%a, %b) : (i8, i8) -> (i8)\n", &a, &b, &r));
    EXPECT(r == 0);
    a = -128, b = 9;
    EXPECT(!scalar_op("i8", "i8", "    %r = arith.shr(%a, %b) : (i8, i8) -> (i8)\n", &a, &b, &r));
    EXPECT(r == -1);
    a = 3, b = 6;
    EXPECT(!scalar_op("i8", "i8", "    %r = arith.shl(%a, %b) : (i8, i8) -> (i8)\n", &a, &b, &r));
    EXPECT(r == (int8_t)0xc0);
    uint8_t ua = 200, ub = 100, ur = 0;
    EXPECT(
        !scalar_op("u8", "u8", "    %r = arith.add(%a, %b) : (u8, u8) -> (u8)\n", &ua, &ub, &ur));
    EXPECT(ur == 44);
    EXPECT(
        !scalar_op("u8", "u8", "    %r = arith.max(%a, %b) : (u8, u8) -> (u8)\n", &ua, &ub, &ur));
    EXPECT(ur == 200);
    EXPECT(
        !scalar_op("u8", "u8", "    %r = arith.shr(%a, %b) : (u8, u8) -> (u8)\n", &ua, &ub, &ur));
    EXPECT(ur == 0);
    uint8_t flag = 0;
    EXPECT(!scalar_op("u8", "i1", "    %r = arith.cmp(%a, %b) {pred = \"gt\"} : (u8, u8) -> (i1)\n",
                      &ua, &ub, &flag));
    EXPECT(flag == 1);
    int8_t s = -1;
    uint16_t wide = 0;
    EXPECT(!scalar_op("i8", "u16", "    %r = arith.cast(%a) : (i8) -> (u16)\n", &s, &s, &wide));
    EXPECT(wide == 0xffff);
}

static void test_floats(void) {
    float a = 2.5f, b = 0, r = 0;
    EXPECT(!scalar_op("f32", "f32", "    %r = arith.round(%a) : (f32) -> (f32)\n", &a, &b, &r));
    EXPECT(r == 2.0f); /* half to even */
    a = NAN, b = 1;
    EXPECT(
        !scalar_op("f32", "f32", "    %r = arith.max(%a, %b) : (f32, f32) -> (f32)\n", &b, &a, &r));
    EXPECT(isnan(r));
    a = -0.0f, b = 0.0f;
    EXPECT(
        !scalar_op("f32", "f32", "    %r = arith.min(%a, %b) : (f32, f32) -> (f32)\n", &b, &a, &r));
    EXPECT(r == 0 && signbit(r));
    a = -7.5f, b = 2;
    EXPECT(
        !scalar_op("f32", "f32", "    %r = arith.rem(%a, %b) : (f32, f32) -> (f32)\n", &a, &b, &r));
    EXPECT(r == -1.5f);
    EXPECT(!scalar_op("f32", "f32", "    %r = arith.floordiv(%a, %b) : (f32, f32) -> (f32)\n", &a,
                      &b, &r));
    EXPECT(r == -4.0f);
    uint8_t flag = 1;
    a = NAN;
    EXPECT(!scalar_op("f32", "i1",
                      "    %r = arith.cmp(%a, %a) {pred = \"eq\"} : (f32, f32) -> (i1)\n", &a, &a,
                      &flag));
    EXPECT(flag == 0);
    EXPECT(!scalar_op("f32", "i1",
                      "    %r = arith.cmp(%a, %a) {pred = \"ne\"} : (f32, f32) -> (i1)\n", &a, &a,
                      &flag));
    EXPECT(flag == 1);
    int32_t i = 0;
    a = 1e10f;
    EXPECT(!scalar_op("f32", "i32", "    %r = arith.cast(%a) : (f32) -> (i32)\n", &a, &a, &i));
    EXPECT(i == INT32_MAX);
    a = NAN;
    EXPECT(!scalar_op("f32", "i32", "    %r = arith.cast(%a) : (f32) -> (i32)\n", &a, &a, &i));
    EXPECT(i == 0);
    a = -3.9f;
    EXPECT(!scalar_op("f32", "i32", "    %r = arith.cast(%a) : (f32) -> (i32)\n", &a, &a, &i));
    EXPECT(i == -3);
    a = 1.0f;
    EXPECT(!scalar_op("f32", "i32", "    %r = arith.bitcast(%a) : (f32) -> (i32)\n", &a, &a, &i));
    EXPECT(i == 0x3f800000);
    uint16_t h = dl_f32_to_f16(1.0f), hr = 0;
    uint16_t tiny = dl_f32_to_f16(0.0004f);
    EXPECT(!scalar_op("f16", "f16", "    %r = arith.add(%a, %b) : (f16, f16) -> (f16)\n", &h, &tiny,
                      &hr));
    EXPECT(hr == h); /* 1 + 0.0004 rounds back to 1 in f16 */
}

static const char *vectors =
    "builtin.module() ({\n"
    "  builtin.func() {function_type = (memref<2x8xf32>, memref<8xf32>, memref<f32>) -> (), "
    "sym_name = \"main\"} ({\n"
    "  ^bb0(%x: memref<2x8xf32>, %y: memref<8xf32>, %s: memref<f32>):\n"
    "    %c0 = arith.constant() {value = 0 : index} : () -> (index)\n"
    "    %c1 = arith.constant() {value = 1 : index} : () -> (index)\n"
    "    %c4 = arith.constant() {value = 4 : index} : () -> (index)\n"
    "    %a = loop.load(%x, %c0, %c4) : (memref<2x8xf32>, index, index) -> (vector<4xf32>)\n"
    "    %b = loop.load(%x, %c1, %c4) : (memref<2x8xf32>, index, index) -> (vector<4xf32>)\n"
    "    %two = arith.constant() {value = 2.0} : () -> (f32)\n"
    "    %t = arith.broadcast(%two) : (f32) -> (vector<4xf32>)\n"
    "    %m = arith.fma(%a, %t, %b) : (vector<4xf32>, vector<4xf32>, vector<4xf32>) -> "
    "(vector<4xf32>)\n"
    "    %lt = arith.cmp(%a, %b) {pred = \"lt\"} : (vector<4xf32>, vector<4xf32>) -> "
    "(vector<4xi1>)\n"
    "    %sel = arith.select(%lt, %m, %a) : (vector<4xi1>, vector<4xf32>, vector<4xf32>) -> "
    "(vector<4xf32>)\n"
    "    loop.store(%sel, %y, %c0) : (vector<4xf32>, memref<8xf32>, index) -> ()\n"
    "    %sum = arith.reduce(%sel) {kind = \"add\"} : (vector<4xf32>) -> (f32)\n"
    "    loop.store(%sum, %s) : (f32, memref<f32>) -> ()\n"
    "    builtin.return() : () -> ()\n  })\n})\n";

static void test_vectors(void) {
    float x[16], y[8] = {0}, s = 0;
    for (int i = 0; i < 16; i++) x[i] = (float)(i % 3);
    void *bufs[3] = {x, y, &s};
    EXPECT(!run(vectors, bufs, false, false));
    float want = 0;
    for (int l = 0; l < 4; l++) {
        float a = x[4 + l], b = x[12 + l], e = a < b ? 2 * a + b : a;
        EXPECT(y[l] == e);
        want += e;
    }
    EXPECT(s == want);
}

/* A generic reading an element an earlier iteration wrote (lexicographic order), a view of an
 * allocation at a byte offset, and an alloca in a loop body. */
static const char *generic_order =
    "builtin.module() ({\n"
    "  builtin.func() {function_type = (memref<6xf32>, memref<2xf32>) -> (), sym_name = "
    "\"main\"} ({\n"
    "  ^bb0(%x: memref<6xf32>, %out: memref<2xf32>):\n"
    "    kernel.generic(%x, %x) {domain = [5], iterators = [\"parallel\"], maps = "
    "[affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0 + 1)>], num_inputs = 1} ({\n"
    "    ^bb0(%p: f32, %o: f32):\n"
    "      %s = arith.add(%p, %o) : (f32, f32) -> (f32)\n"
    "      kernel.yield(%s) : (f32) -> ()\n"
    "    }) : (memref<6xf32>, memref<6xf32>) -> ()\n"
    "    %buf = kernel.alloc() : () -> (memref<4xf32>)\n"
    "    %tail = kernel.view(%buf) {offset = 8} : (memref<4xf32>) -> (memref<2xf32>)\n"
    "    kernel.generic(%x, %tail) {domain = [2], iterators = [\"parallel\"], maps = "
    "[affine_map<(d0) -> (d0 + 4)>, affine_map<(d0) -> (d0)>], num_inputs = 1} ({\n"
    "    ^bb0(%p: f32, %o: f32):\n"
    "      kernel.yield(%p) : (f32) -> ()\n"
    "    }) : (memref<6xf32>, memref<2xf32>) -> ()\n"
    "    kernel.generic(%buf, %out) {domain = [2], iterators = [\"parallel\"], maps = "
    "[affine_map<(d0) -> (d0 + 2)>, affine_map<(d0) -> (d0)>], num_inputs = 1} ({\n"
    "    ^bb0(%p: f32, %o: f32):\n"
    "      %c0 = arith.constant() {value = 0 : index} : () -> (index)\n"
    "      %tmp = loop.alloca() : () -> (memref<1xf32>)\n"
    "      loop.store(%p, %tmp, %c0) : (f32, memref<1xf32>, index) -> ()\n"
    "      %q = loop.load(%tmp, %c0) : (memref<1xf32>, index) -> (f32)\n"
    "      %r = arith.mul(%q, %q) : (f32, f32) -> (f32)\n"
    "      kernel.yield(%r) : (f32) -> ()\n"
    "    }) : (memref<4xf32>, memref<2xf32>) -> ()\n"
    "    builtin.return() : () -> ()\n  })\n})\n";

static void test_generic_order(void) {
    float x[6] = {1, 1, 1, 1, 1, 1}, out[2] = {0};
    void *bufs[2] = {x, out};
    EXPECT(!run(generic_order, bufs, false, false));
    for (int i = 0; i < 6; i++) EXPECT(x[i] == (float)(i + 1)); /* a prefix sum */
    EXPECT(out[0] == 25 && out[1] == 36);
}

/* A scan written as loop.parallel (wrongly): in order it gives the prefix sum, in reverse
 * order something else. */
static const char *wrong_parallel =
    "builtin.module() ({\n"
    "  builtin.func() {function_type = (memref<5xf32>) -> (), sym_name = \"main\"} ({\n"
    "  ^bb0(%x: memref<5xf32>):\n"
    "    %c1 = arith.constant() {value = 1 : index} : () -> (index)\n"
    "    %c5 = arith.constant() {value = 5 : index} : () -> (index)\n"
    "    loop.parallel(%c1, %c5) ({\n"
    "    ^bb0(%i: index):\n"
    "      %j = arith.sub(%i, %c1) : (index, index) -> (index)\n"
    "      %p = loop.load(%x, %j) : (memref<5xf32>, index) -> (f32)\n"
    "      %q = loop.load(%x, %i) : (memref<5xf32>, index) -> (f32)\n"
    "      %s = arith.add(%p, %q) : (f32, f32) -> (f32)\n"
    "      loop.store(%s, %x, %i) : (f32, memref<5xf32>, index) -> ()\n"
    "      loop.yield() : () -> ()\n"
    "    }) : (index, index) -> ()\n"
    "    builtin.return() : () -> ()\n  })\n})\n";

static void test_reverse(void) {
    float x[5] = {1, 1, 1, 1, 1}, y[5] = {1, 1, 1, 1, 1};
    void *bx[1] = {x}, *by[1] = {y};
    EXPECT(!run(wrong_parallel, bx, false, false));
    EXPECT(!run(wrong_parallel, by, true, false));
    EXPECT(x[4] == 5 && y[4] == 2);
}

static const char *out_of_bounds =
    "builtin.module() ({\n"
    "  builtin.func() {function_type = (memref<4xf32>) -> (), sym_name = \"main\"} ({\n"
    "  ^bb0(%x: memref<4xf32>):\n"
    "    %c0 = arith.constant() {value = 0 : index} : () -> (index)\n"
    "    %c1 = arith.constant() {value = 1 : index} : () -> (index)\n"
    "    %c5 = arith.constant() {value = 5 : index} : () -> (index)\n"
    "    loop.for(%c0, %c5, %c1) ({\n"
    "    ^bb0(%i: index):\n"
    "      %v = loop.load(%x, %i) : (memref<4xf32>, index) -> (f32)\n"
    "      loop.yield() : () -> ()\n"
    "    }) : (index, index, index) -> ()\n"
    "    builtin.return() : () -> ()\n  })\n})\n";

static const char *bad_step =
    "builtin.module() ({\n"
    "  builtin.func() {function_type = (memref<4xf32>) -> (), sym_name = \"main\"} ({\n"
    "  ^bb0(%x: memref<4xf32>):\n"
    "    %c0 = arith.constant() {value = 0 : index} : () -> (index)\n"
    "    %c4 = arith.constant() {value = 4 : index} : () -> (index)\n"
    "    loop.for(%c0, %c4, %c0) ({\n"
    "    ^bb0(%i: index):\n"
    "      loop.yield() : () -> ()\n"
    "    }) : (index, index, index) -> ()\n"
    "    builtin.return() : () -> ()\n  })\n})\n";

static void test_errors(void) {
    float x[4] = {0};
    void *bufs[1] = {x};
    EXPECT(run(out_of_bounds, bufs, false, true) == DL_FAILURE);
    EXPECT(run(bad_step, bufs, false, true) == DL_FAILURE);
}

int main(void) {
    test_integers();
    test_floats();
    test_vectors();
    test_generic_order();
    test_reverse();
    test_errors();
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
