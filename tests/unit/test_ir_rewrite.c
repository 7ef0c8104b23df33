/* test_ir_rewrite.c: pass pipelines, pass options, the greedy rewriter, CSE and DCE. */
#include "dlcc/pass.h"
#include "dlcc/text.h"
#include "test.h"

#include <stdlib.h>

static dl_op *parse(dl_context *ctx, const char *text) {
    dl_op *m = dl_parse(ctx, text, strlen(text), "test.dl");
    if (!m) dl_diags_flush(ctx, stderr);
    return m;
}

static size_t count_kind(dl_op *m, dl_op_kind kind) {
    size_t n, k = 0;
    dl_op **ops = dl_collect_ops(m, &n);
    for (size_t i = 0; i < n; i++) k += ops[i]->kind == kind;
    return k;
}

static dl_status run(dl_context *ctx, dl_op *m, const char *pipeline) {
    dl_pipeline *pl = dl_pipeline_parse(ctx, pipeline);
    if (!pl) return DL_FAILURE;
    dl_pm_config cfg = {.verify_each = true};
    return dl_pipeline_run(pl, m, &cfg);
}

static void test_pipeline_parsing(void) {
    dl_context *ctx = dl_context_create();
    CHECK(dl_pipeline_parse(ctx, "canonicalize, cse,dce") != NULL);
    CHECK(dl_pipeline_size(dl_pipeline_parse(ctx, "cse,,dce,")) == 2);
    CHECK(dl_pipeline_parse(ctx, "cse,nope") == NULL);
    CHECK(dl_pipeline_parse(ctx, "cse{a=1") == NULL);
    CHECK(dl_error_count(ctx) == 2);
    dl_context_destroy(ctx);
    /* options with commas inside values */
    ctx = dl_context_create();
    dl_pipeline *pl = dl_pipeline_parse(ctx, "dce{sizes=64,32,8,mode=fast}");
    CHECK(pl != NULL);
    dl_context_destroy(ctx);
}

static const char *cse_text =
    "builtin.module() ({\n"
    "  builtin.func() {function_type = (tensor<4xf32>) -> (tensor<4xf32>), sym_name = \"f\"} ({\n"
    "  ^bb0(%x: tensor<4xf32>):\n"
    "    %c1 = graph.Constant() {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> "
    "(tensor<4xf32>)\n"
    "    %c2 = graph.Constant() {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> "
    "(tensor<4xf32>)\n"
    "    %a = graph.Add(%x, %c1) : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>)\n"
    "    %b = graph.Add(%x, %c2) : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>)\n"
    "    %dead = graph.Relu(%a) : (tensor<4xf32>) -> (tensor<4xf32>)\n"
    "    %m = graph.Mul(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>)\n"
    "    builtin.return(%m) : (tensor<4xf32>) -> ()\n"
    "  })\n"
    "})\n";

static void test_cse_dce(void) {
    dl_context *ctx = dl_context_create();
    dl_op *m = parse(ctx, cse_text);
    CHECK(m && run(ctx, m, "cse") == DL_OK);
    CHECK(count_kind(m, DL_OP_graph_Constant) == 1 && count_kind(m, DL_OP_graph_Add) == 1);
    CHECK(count_kind(m, DL_OP_graph_Relu) == 1);
    CHECK(run(ctx, m, "dce") == DL_OK);
    CHECK(count_kind(m, DL_OP_graph_Relu) == 0 && count_kind(m, DL_OP_graph_Mul) == 1);
    dl_op *ret = dl_func_return(dl_module_lookup_func(m, "f"));
    dl_op *mul = dl_operand(ret, 0)->def;
    CHECK(dl_operand(mul, 0) == dl_operand(mul, 1));
    dl_context_destroy(ctx);
}

static const char *canon_text =
    "builtin.module() ({\n"
    "  builtin.func() {function_type = (tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, "
    "tensor<4x2x3xf32>, tensor<24xf32>), sym_name = \"f\"} ({\n"
    "  ^bb0(%x: tensor<2x3x4xf32>):\n"
    "    %i = graph.Identity(%x) : (tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>)\n"
    "    %t1 = graph.Transpose(%i) {perm = [1, 2, 0]} : (tensor<2x3x4xf32>) -> "
    "(tensor<3x4x2xf32>)\n"
    "    %t2 = graph.Transpose(%t1) {perm = [2, 0, 1]} : (tensor<3x4x2xf32>) -> "
    "(tensor<2x3x4xf32>)\n"
    "    %t3 = graph.Transpose(%t1) {perm = [1, 2, 0]} : (tensor<3x4x2xf32>) -> "
    "(tensor<4x2x3xf32>)\n"
    "    %s1 = graph.Constant() {value = dense<[6, 4]> : tensor<2xi64>} : () -> (tensor<2xi64>)\n"
    "    %s2 = graph.Constant() {value = dense<[24]> : tensor<1xi64>} : () -> (tensor<1xi64>)\n"
    "    %r1 = graph.Reshape(%x, %s1) : (tensor<2x3x4xf32>, tensor<2xi64>) -> (tensor<6x4xf32>)\n"
    "    %r2 = graph.Reshape(%r1, %s2) : (tensor<6x4xf32>, tensor<1xi64>) -> (tensor<24xf32>)\n"
    "    builtin.return(%t2, %t3, %r2) : (tensor<2x3x4xf32>, tensor<4x2x3xf32>, tensor<24xf32>) -> "
    "()\n"
    "  })\n"
    "})\n";

static void test_canonicalize(void) {
    dl_context *ctx = dl_context_create();
    dl_op *m = parse(ctx, canon_text);
    CHECK(m && run(ctx, m, "canonicalize") == DL_OK);
    dl_op *f = dl_module_lookup_func(m, "f");
    dl_op *ret = dl_func_return(f);
    dl_value *x = dl_func_entry(f)->args[0];
    CHECK(dl_operand(ret, 0) == x); /* Identity and transpose pair vanish */
    dl_op *t3 = dl_operand(ret, 1)->def;
    int64_t perm[3];
    CHECK(t3->kind == DL_OP_graph_Transpose && dl_operand(t3, 0) == x);
    CHECK(dl_op_attr_ints(t3, "perm", perm, 3) == 3 && perm[0] == 2 && perm[1] == 0 &&
          perm[2] == 1);
    dl_op *r2 = dl_operand(ret, 2)->def;
    CHECK(r2->kind == DL_OP_graph_Reshape && dl_operand(r2, 0) == x);
    CHECK(count_kind(m, DL_OP_graph_Transpose) == 1 && count_kind(m, DL_OP_graph_Reshape) == 1);
    CHECK(count_kind(m, DL_OP_graph_Identity) == 0);
    dl_context_destroy(ctx);
}

static const char *arith_text =
    "builtin.module() ({\n"
    "  builtin.func() {function_type = (index) -> (index, f32), sym_name = \"f\"} ({\n"
    "  ^bb0(%i: index):\n"
    "    %c2 = arith.constant() {value = 2 : index} : () -> (index)\n"
    "    %c3 = arith.constant() {value = 3 : index} : () -> (index)\n"
    "    %c0 = arith.constant() {value = 0 : index} : () -> (index)\n"
    "    %m = arith.mul(%c2, %c3) : (index, index) -> (index)\n"
    "    %a = arith.add(%i, %m) : (index, index) -> (index)\n"
    "    %z = arith.add(%a, %c0) : (index, index) -> (index)\n"
    "    %f1 = arith.constant() {value = 1.5} : () -> (f32)\n"
    "    %f2 = arith.constant() {value = 2.0} : () -> (f32)\n"
    "    %f = arith.max(%f1, %f2) : (f32, f32) -> (f32)\n"
    "    builtin.return(%z, %f) : (index, f32) -> ()\n"
    "  })\n"
    "})\n";

static void test_arith_folding(void) {
    dl_context *ctx = dl_context_create();
    dl_op *m = parse(ctx, arith_text);
    CHECK(m && run(ctx, m, "canonicalize") == DL_OK);
    dl_op *ret = dl_func_return(dl_module_lookup_func(m, "f"));
    dl_op *add = dl_operand(ret, 0)->def;
    CHECK(add && add->kind == DL_OP_arith_add);
    const dl_attr *six = add ? dl_op_attr(dl_operand(add, 1)->def, "value") : NULL;
    CHECK(six && six->u.i == 6);
    const dl_attr *two = dl_op_attr(dl_operand(ret, 1)->def, "value");
    CHECK(two && two->kind == DL_ATTR_FLOAT && two->u.f == 2.0);
    CHECK(count_kind(m, DL_OP_arith_constant) == 2); /* 2, 3, 0, 1.5 are dead and gone */
    dl_context_destroy(ctx);
}

int main(void) {
    test_pipeline_parsing();
    test_cse_dce();
    test_canonicalize();
    test_arith_folding();
    TEST_MAIN_END();
}
