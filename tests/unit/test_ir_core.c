/* test_ir_core.c: unit tests of the IR core: interning, attributes, dense data, ops and
 * use-def chains, cloning, walking and the verifier. */
#include "dlcc/ir.h"
#include "test.h"

#include <math.h>

static void test_interning(dl_context *ctx) {
    const dl_type *f32 = dl_type_scalar(ctx, DL_TY_F32);
    int64_t d1[] = {1, 3, DL_DYN}, d2[] = {1, 3, DL_DYN};
    const char *names[] = {"N", NULL, NULL};
    CHECK(dl_type_tensor(ctx, f32, 3, d1, NULL) == dl_type_tensor(ctx, f32, 3, d2, NULL));
    CHECK(dl_type_tensor(ctx, f32, 3, d1, names) != dl_type_tensor(ctx, f32, 3, d1, NULL));
    CHECK(dl_type_tensor(ctx, f32, 3, d1, names) == dl_type_tensor(ctx, f32, 3, d2, names));
    int64_t s[] = {3, 1}, d[] = {2, 3};
    /* contiguous strides are the canonical identity layout */
    CHECK(dl_type_memref(ctx, f32, 2, d, s, 0) == dl_type_memref(ctx, f32, 2, d, NULL, 0));
    CHECK(dl_type_memref(ctx, f32, 2, d, s, 4) != dl_type_memref(ctx, f32, 2, d, NULL, 0));
    CHECK_STR(dl_type_str(ctx, dl_type_tensor(ctx, f32, 3, d1, names)), "tensor<{N}x3x?xf32>");
    CHECK_STR(dl_type_str(ctx, dl_type_memref(ctx, f32, 2, d, NULL, 4)),
              "memref<2x3xf32, strided<[3, 1], offset: 4>>");
    CHECK(dl_type_num_elements(dl_type_tensor(ctx, f32, 2, d, NULL)) == 6);
    CHECK(dl_type_num_elements(dl_type_tensor(ctx, f32, 3, d1, NULL)) == -1);
    CHECK(dl_intern(ctx, "abc") == dl_intern_n(ctx, "abcdef", 3));
    CHECK(dl_attr_int(ctx, 5) == dl_attr_int(ctx, 5));
    CHECK(dl_attr_int(ctx, 5) != dl_attr_int_typed(ctx, 5, dl_type_scalar(ctx, DL_TY_I32)));
    CHECK(dl_attr_float(ctx, 0.1) == dl_attr_float(ctx, (float)0.1));
    CHECK(dl_attr_float(ctx, NAN) == dl_attr_float(ctx, -NAN));
    int64_t v[] = {1, 2, 3};
    CHECK(dl_attr_int_array(ctx, 3, v) == dl_attr_int_array(ctx, 3, v));
    dl_named_attr e1[] = {{"b", dl_attr_int(ctx, 1)}, {"a", dl_attr_int(ctx, 2)}};
    dl_named_attr e2[] = {{"a", dl_attr_int(ctx, 2)}, {"b", dl_attr_int(ctx, 1)}};
    CHECK(dl_attr_dict(ctx, 2, e1) == dl_attr_dict(ctx, 2, e2));
    CHECK(dl_attr_dict_get(dl_attr_dict(ctx, 2, e1), "a") == dl_attr_int(ctx, 2));
}

static void test_affine(dl_context *ctx) {
    const dl_affine_expr *d0 = dl_aff_dim(ctx, 0), *d1 = dl_aff_dim(ctx, 1);
    const dl_affine_expr *e =
        dl_aff_add(ctx, dl_aff_add(ctx, d0, dl_aff_const(ctx, 2)), dl_aff_const(ctx, -3));
    CHECK(e == dl_aff_add(ctx, d0, dl_aff_const(ctx, -1)));
    CHECK(dl_aff_mul(ctx, dl_aff_const(ctx, 2), d1) == dl_aff_mul(ctx, d1, dl_aff_const(ctx, 2)));
    CHECK(dl_aff_bin(ctx, DL_AFF_FLOORDIV, dl_aff_const(ctx, -7), dl_aff_const(ctx, 2)) ==
          dl_aff_const(ctx, -4));
    CHECK(dl_aff_bin(ctx, DL_AFF_MOD, dl_aff_const(ctx, -7), dl_aff_const(ctx, 3)) ==
          dl_aff_const(ctx, 2));
    int64_t dims[] = {5, 7};
    const dl_affine_expr *f = dl_aff_add(ctx, dl_aff_mul(ctx, d0, dl_aff_const(ctx, 3)), d1);
    CHECK(dl_affine_expr_eval(f, dims, NULL) == 22);
    CHECK(dl_affine_expr_is_pure(f));
    CHECK(!dl_affine_expr_is_pure(dl_aff_bin(ctx, DL_AFF_MUL, d0, d1)));
    const dl_affine_expr *r[] = {d1, d0};
    CHECK(dl_affine_map_get(ctx, 2, 0, 2, r) == dl_affine_map_get(ctx, 2, 0, 2, r));
    CHECK(dl_affine_map_identity(ctx, 2) != dl_affine_map_get(ctx, 2, 0, 2, r));
}

static void test_dense(dl_context *ctx) {
    const dl_type *f16 = dl_type_scalar(ctx, DL_TY_F16), *i8 = dl_type_scalar(ctx, DL_TY_I8);
    int64_t d[] = {4};
    double vals[] = {1.5, -2.25, 65504.0, 0.00006103515625};
    const dl_attr *a = dl_attr_dense_from_f64(ctx, dl_type_tensor(ctx, f16, 1, d, NULL), vals, 4);
    for (int i = 0; i < 4; i++) CHECK(dl_dense_get_f64(a, i) == vals[i]);
    int64_t iv[] = {-128, 127, 5, -1};
    const dl_attr *b = dl_attr_dense_from_i64(ctx, dl_type_tensor(ctx, i8, 1, d, NULL), iv, 4);
    for (int i = 0; i < 4; i++) CHECK(dl_dense_get_i64(b, i) == iv[i]);
    const dl_attr *b2 = dl_attr_dense_from_i64(ctx, dl_type_tensor(ctx, i8, 1, d, NULL), iv, 4);
    CHECK(b != b2 && dl_attr_equal(b, b2) && dl_attr_hash(b) == dl_attr_hash(b2));
    int64_t seven = 7;
    const dl_attr *splat =
        dl_attr_dense_from_i64(ctx, dl_type_tensor(ctx, i8, 1, d, NULL), &seven, 1);
    CHECK(splat->u.dense.splat && dl_dense_get_i64(splat, 3) == 7);
    int64_t sevens[] = {7, 7, 7, 7};
    CHECK(dl_attr_equal(
        splat, dl_attr_dense_from_i64(ctx, dl_type_tensor(ctx, i8, 1, d, NULL), sevens, 4)));
    /* a size mismatch is refused, not read past */
    CHECK(dl_attr_dense(ctx, dl_type_tensor(ctx, i8, 1, d, NULL), iv, 3, false, true) == NULL);
    /* f16 / bf16 conversions round to nearest even and keep specials */
    CHECK(dl_f16_to_f32(dl_f32_to_f16(1.0f / 3.0f)) == 0.333251953125f);
    CHECK(isinf(dl_f16_to_f32(dl_f32_to_f16(1e6f))));
    CHECK(isnan(dl_f16_to_f32(dl_f32_to_f16(NAN))));
    CHECK(dl_f16_to_f32(dl_f32_to_f16(5.96046448e-8f)) == 5.96046448e-8f); /* smallest subnormal */
    CHECK(dl_bf16_to_f32(dl_f32_to_bf16(1.0f + 1.0f / 256)) == 1.0f);      /* ties to even */
    CHECK(dl_bf16_to_f32(dl_f32_to_bf16(3.0f)) == 3.0f);
}

static dl_op *build_relu_func(dl_context *ctx, dl_op **relu_out) {
    const dl_type *f32 = dl_type_scalar(ctx, DL_TY_F32);
    int64_t d[] = {2, 3};
    const dl_type *t = dl_type_tensor(ctx, f32, 2, d, NULL);
    dl_op *m = dl_module_create(ctx, dl_loc_unknown());
    dl_op *f = dl_func_create(m, "main", dl_type_func(ctx, 1, &t, 1, &t), dl_loc_unknown());
    dl_builder b = dl_builder_at_end(ctx, dl_func_entry(f));
    dl_value *x = dl_func_entry(f)->args[0];
    dl_value *r = dl_build1(&b, DL_OP_graph_Relu, 1, &x, t);
    *relu_out = r->def;
    dl_build(&b, DL_OP_builtin_return, 1, &r, 0, NULL, 0);
    return m;
}

static void test_ops(dl_context *ctx) {
    dl_op *relu;
    dl_op *m = build_relu_func(ctx, &relu);
    CHECK(dl_verify(m) == DL_OK);
    dl_value *x = dl_operand(relu, 0);
    CHECK(dl_value_num_uses(x) == 1 && x->uses->owner == relu);
    /* insert a second Relu and reroute the return through it */
    dl_builder b = dl_builder_after(relu);
    dl_value *r0 = dl_result(relu, 0);
    dl_value *r2 = dl_build1(&b, DL_OP_graph_Relu, 1, &r0, r0->type);
    dl_op *ret = dl_func_return(dl_module_lookup_func(m, "main"));
    CHECK(ret && dl_operand(ret, 0) == r0);
    dl_value_replace_all_uses(r0, r2);
    CHECK(dl_operand(ret, 0) == r2 &&
          dl_operand(r2->def, 0) == r2); /* RAUW also rewired r2's own use */
    dl_op_set_operand(r2->def, 0, r0);
    CHECK(dl_verify(m) == DL_OK);
    CHECK(dl_value_num_uses(r0) == 1);
    /* attributes stay sorted and replaceable */
    dl_op_set_attr(relu, "zeta", dl_attr_int(ctx, 1));
    dl_op_set_attr(relu, "alpha", dl_attr_float(ctx, 0.5));
    dl_op_set_attr(relu, "zeta", dl_attr_int(ctx, 2));
    CHECK(relu->num_attrs == 2 && relu->attrs[0].name == dl_intern(ctx, "alpha"));
    CHECK(dl_op_attr_int(relu, "zeta", 0) == 2 && dl_op_attr_float(relu, "alpha", 0) == 0.5);
    dl_op_remove_attr(relu, "zeta");
    CHECK(relu->num_attrs == 1 && dl_op_attr(relu, "zeta") == NULL);
    /* cloning the module gives an independent, verifying copy */
    dl_op *copy = dl_op_clone(m, NULL);
    CHECK(dl_verify(copy) == DL_OK);
    size_t n1, n2;
    dl_collect_ops(m, &n1);
    dl_collect_ops(copy, &n2);
    CHECK(n1 == n2 && n1 == 4);
    /* erasing: an op with uses cannot go; after rerouting it can */
    dl_value_replace_all_uses(r2, r0);
    dl_op_erase(r2->def);
    CHECK(dl_verify(m) == DL_OK && dl_value_num_uses(r0) == 1);
}

static void test_verifier(dl_context *ctx) {
    dl_op *relu;
    dl_op *m = build_relu_func(ctx, &relu);
    unsigned before = dl_error_count(ctx);
    /* use before definition: move relu after the return's operand use */
    dl_op *ret = dl_func_return(dl_module_lookup_func(m, "main"));
    dl_op_unlink(relu);
    dl_op_insert_after(ret, relu);
    CHECK(dl_verify(m) == DL_FAILURE);
    CHECK(dl_error_count(ctx) > before);
    bool terminator = false, dominance = false;
    for (const dl_diag *d = dl_diags(ctx); d; d = d->next) {
        terminator |= strstr(d->msg, "terminator must be the last op") != NULL;
        dominance |= strstr(d->msg, "does not dominate") != NULL;
    }
    CHECK(terminator && dominance);
    /* arity: Relu with two operands */
    dl_op *relu2;
    dl_op *m2 = build_relu_func(ctx, &relu2);
    dl_value *x = dl_operand(relu2, 0);
    dl_value *two[] = {x, x};
    dl_op_set_operands(relu2, 2, two);
    CHECK(dl_verify(m2) == DL_FAILURE);
    bool found = false;
    for (const dl_diag *d = dl_diags(ctx); d; d = d->next)
        found |= strstr(d->msg, "expects 1 operands, got 2") != NULL;
    CHECK(found);
}

static unsigned walk_count;
static dl_walk_result count_ops(dl_op *op, void *user) {
    (void)user;
    walk_count++;
    return op->kind == DL_OP_builtin_func ? DL_WALK_SKIP : DL_WALK_ADVANCE;
}

static void test_walk(dl_context *ctx) {
    dl_op *relu;
    dl_op *m = build_relu_func(ctx, &relu);
    walk_count = 0;
    dl_walk(m, count_ops, NULL);
    CHECK(walk_count == 2); /* module, func (skipped below) */
    CHECK(dl_op_kind_lookup("graph.Conv") == DL_OP_graph_Conv);
    CHECK(dl_op_kind_lookup2("loop", "for") == DL_OP_loop_for);
    CHECK(dl_op_kind_lookup("graph.NoSuchOp") == DL_OP__INVALID);
    CHECK(strcmp(dl_op_infos[DL_OP_kernel_generic].name, "kernel.generic") == 0);
}

int main(void) {
    dl_context *ctx = dl_context_create();
    test_interning(ctx);
    test_affine(ctx);
    test_dense(ctx);
    test_ops(ctx);
    test_verifier(ctx);
    test_walk(ctx);
    dl_context_destroy(ctx);
    TEST_MAIN_END();
}
