/* test_ir_text.c: the text syntax: types, attributes and modules round-trip exactly; errors are
 * located; damaged text never crashes the parser. */
#include "dlcc/text.h"
#include "test.h"

#include <stdlib.h>

static char *print_to_string(dl_op *op) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    dl_print_op(op, f, DL_PRINT_DEFAULT);
    fclose(f);
    return buf;
}

static char *attr_to_string(const dl_attr *a) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    dl_attr_print(a, f);
    fclose(f);
    return buf;
}

static void check_type_roundtrip(dl_context *ctx, const char *text) {
    const dl_type *t = dl_parse_type(ctx, text);
    CHECK(t != NULL);
    if (t) CHECK_STR(dl_type_str(ctx, t), text);
}

static void check_attr_roundtrip(dl_context *ctx, const char *text) {
    const dl_attr *a = dl_parse_attr(ctx, text);
    CHECK(a != NULL);
    if (!a) {
        fprintf(stderr, "  while parsing %s\n", text);
        return;
    }
    char *s = attr_to_string(a);
    CHECK_STR(s, text);
    free(s);
}

static const char *module_text =
    "builtin.module() ({\n"
    "  builtin.func() {function_type = (tensor<{N}x4xf32>, tensor<4xf32>) -> (tensor<{N}x4xf32>), "
    "sym_name = \"main\"} ({\n"
    "  ^bb0(%x: tensor<{N}x4xf32>, %bias: tensor<4xf32>):\n"
    "    %0 = graph.Add(%x, %bias) : (tensor<{N}x4xf32>, tensor<4xf32>) -> (tensor<{N}x4xf32>) "
    "loc(\"add1\", \"Add, opset 13\")\n"
    "    %act = graph.LeakyRelu(%0) {alpha = 0.1} : (tensor<{N}x4xf32>) -> (tensor<{N}x4xf32>)\n"
    "    builtin.return(%act) : (tensor<{N}x4xf32>) -> ()\n"
    "  })\n"
    "})\n";

static void test_roundtrip(dl_context *ctx) {
    check_type_roundtrip(ctx, "f32");
    check_type_roundtrip(ctx, "tensor<bf16>");
    check_type_roundtrip(ctx, "tensor<?x3x{batch}x{\"seq len\"}xi8>");
    check_type_roundtrip(ctx, "memref<4x?xf64, strided<[?, 1], offset: ?>>");
    check_type_roundtrip(ctx, "vector<16xf32>");
    check_type_roundtrip(ctx, "seq<tensor<2xi64>>");
    check_type_roundtrip(ctx, "(tensor<2xf32>, index) -> (i1, none)");
    check_attr_roundtrip(ctx, "[1, -2, 3 : i32, 0.5, -1e-20 : f64, inf, -inf, nan, true, unit]");
    check_attr_roundtrip(ctx, "{a = \"x\\\"y\\n\", \"b c\" = @sym, d = tensor<2xu8>}");
    check_attr_roundtrip(ctx, "dense<[1.5, -2.0, 3.0, 0.1]> : tensor<2x2xf32>");
    check_attr_roundtrip(ctx, "dense<[true, false]> : tensor<2xi1>");
    check_attr_roundtrip(ctx, "dense<18446744073709551615> : tensor<3xu64>");
    check_attr_roundtrip(ctx, "dense<\"0x000102030405060708090A0B0C0D0E0F1011\"> : tensor<18xu8>");
    check_attr_roundtrip(
        ctx, "affine_map<(d0, d1)[s0] -> (d0 * 2 + d1 - 1, d1 floordiv 4, (d0 + s0) mod 3)>");
    check_attr_roundtrip(ctx, "affine_map<() -> ()>");
    check_attr_roundtrip(ctx, "0.1");
    check_attr_roundtrip(ctx, "0.1 : f64");
    check_attr_roundtrip(ctx, "3e+38");

    dl_op *m = dl_parse(ctx, module_text, strlen(module_text), "module.dl");
    CHECK(m != NULL);
    if (!m) return;
    CHECK(dl_verify(m) == DL_OK);
    char *once = print_to_string(m);
    CHECK_STR(once, module_text);
    dl_op *m2 = dl_parse(ctx, once, strlen(once), "once.dl");
    CHECK(m2 != NULL);
    if (m2) {
        char *twice = print_to_string(m2);
        CHECK_STR(twice, once);
        free(twice);
    }
    free(once);
    /* the location from loc(...) keeps the node name and the text position */
    dl_op *add = dl_func_entry(dl_module_lookup_func(m, "main"))->first;
    CHECK(add->loc.line == 4 && add->loc.name && strcmp(add->loc.name, "add1") == 0);
}

static const char *first_error(dl_context *ctx) {
    const dl_diag *d = dl_diags(ctx);
    while (d && d->sev != DL_SEV_ERROR) d = d->next;
    return d ? d->msg : "";
}

static void check_error(const char *text, unsigned line, unsigned col, const char *msg) {
    dl_context *ctx = dl_context_create();
    dl_op *m = dl_parse(ctx, text, strlen(text), "bad.dl");
    CHECK(m == NULL);
    const dl_diag *d = dl_diags(ctx);
    CHECK(d != NULL);
    if (d) {
        if (d->loc.line != line || d->loc.col != col || !strstr(d->msg, msg))
            fprintf(stderr, "  got %u:%u: %s\n", d->loc.line, d->loc.col, d->msg);
        CHECK(d->loc.line == line && d->loc.col == col);
        CHECK(strstr(first_error(ctx), msg) != NULL);
    }
    dl_context_destroy(ctx);
}

static void test_errors(void) {
    check_error("builtin.module() ({\n  graph.Nope()\n})", 2, 3, "unknown operation 'graph.Nope'");
    check_error("builtin.module() ({\n  %0 = graph.Relu(%x) : (f32) -> (f32)\n})", 2, 19,
                "undefined value '%x'");
    check_error("builtin.module() ({\n  %0 = graph.None() : () -> (tensor<2xq32>)\n})", 2, 39,
                "expected an element type");
    check_error("", 1, 1, "file is empty");
    check_error("builtin.module() ({", 1, 20, "expected '}'");
    check_error("builtin.module() {a = dense<[1, 2]> : tensor<3xi32>}", 1, 23, "has 2 elements");
    check_error("builtin.module() {a = 99999999999999999999}", 1, 23, "out of range");
    check_error("builtin.module() {a = \"abc}", 1, 23, "unterminated string");
    check_error("builtin.module() {a = affine_map<(d0) -> (d1)>}", 1, 43, "d1 is not declared");
    check_error("builtin.module() {a = affine_map<(d0, d1) -> (d0 * d1)>}", 1, 50,
                "constant factor");
}

/* Damaged copies of valid text: every truncation and many byte flips parse or fail cleanly. */
static void test_damage(void) {
    size_t len = strlen(module_text);
    char *buf = malloc(len + 1);
    unsigned ok = 0, failed = 0;
    for (size_t cut = 0; cut < len; cut++) {
        dl_context *ctx = dl_context_create();
        dl_op *m = dl_parse(ctx, module_text, cut, "cut.dl");
        if (m) {
            ok++;
        } else {
            failed++;
            CHECK(dl_error_count(ctx) > 0);
        }
        dl_context_destroy(ctx);
    }
    srand(12345);
    static const char junk[] = "(){}[]<>%^@\"=:,-x?0129afz .\n\\\x01\xff";
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, module_text, len + 1);
        int flips = 1 + rand() % 3;
        for (int k = 0; k < flips; k++) buf[rand() % len] = junk[rand() % (sizeof junk - 1)];
        dl_context *ctx = dl_context_create();
        dl_op *m = dl_parse(ctx, buf, len, "flip.dl");
        if (m) {
            ok++;
            dl_verify(m); /* may fail, must not crash */
        } else {
            failed++;
            CHECK(dl_error_count(ctx) > 0);
        }
        dl_context_destroy(ctx);
    }
    /* deep nesting is refused, not a stack overflow */
    size_t deep = 100000;
    char *nest = malloc(deep + 32);
    strcpy(nest, "builtin.module() {a = ");
    size_t p = strlen(nest);
    for (size_t i = 0; i < deep; i++) nest[p++] = '[';
    nest[p] = 0;
    dl_context *ctx = dl_context_create();
    CHECK(dl_parse(ctx, nest, p, "deep.dl") == NULL);
    CHECK(strstr(first_error(ctx), "nesting is too deep") != NULL);
    dl_context_destroy(ctx);
    free(nest);
    free(buf);
    printf("damaged inputs: %u parsed, %u rejected with an error\n", ok, failed);
}

int main(void) {
    dl_context *ctx = dl_context_create();
    test_roundtrip(ctx);
    dl_context_destroy(ctx);
    test_errors();
    test_damage();
    TEST_MAIN_END();
}
