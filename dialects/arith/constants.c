/* constants.c: creating and recognising arith.constant ops. */
#include "arith.h"

const dl_attr *dl_arith_constant_of(const dl_value *v) {
    if (!v || !v->def || v->def->kind != DL_OP_arith_constant) return NULL;
    return dl_op_attr(v->def, "value");
}

static dl_value *make(dl_builder *b, const dl_type *t, const dl_attr *value) {
    dl_op *op = dl_build(b, DL_OP_arith_constant, 0, NULL, 1, &t, 0);
    dl_op_set_attr(op, "value", value);
    return dl_result(op, 0);
}

dl_value *dl_arith_const(dl_builder *b, const dl_type *t, double v) {
    const dl_type *e = dl_type_elem(t);
    if (dl_type_is_float(e)) return make(b, t, dl_attr_float_typed(b->ctx, v, e));
    return make(b, t, dl_attr_int_typed(b->ctx, (int64_t)v, e));
}

dl_value *dl_arith_const_int(dl_builder *b, const dl_type *t, int64_t v) {
    const dl_type *e = dl_type_elem(t);
    if (dl_type_is_float(e)) return make(b, t, dl_attr_float_typed(b->ctx, (double)v, e));
    return make(b, t, dl_attr_int_typed(b->ctx, v, e));
}

dl_value *dl_arith_index(dl_builder *b, int64_t v) {
    return dl_arith_const_int(b, dl_type_scalar(b->ctx, DL_TY_INDEX), v);
}
