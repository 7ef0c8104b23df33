/* lower_optional.c: Optional, OptionalHasElement and OptionalGetElement. At the graph level an
 * optional value has its element's type, and whether it holds one is decided by where it comes
 * from (Optional with or without an input, the taken branch of a constant If), so it is known
 * at compile time: an optional is bound to its element's buffer (or sequence), an empty one to
 * a zero constant nobody reads, and OptionalHasElement becomes a constant. */
#include "lower.h"

typedef enum opt_state { OPT_UNKNOWN, OPT_EMPTY, OPT_PRESENT } opt_state;

/* Whether optional value v holds an element, as far as the graph tells. */
static opt_state optional_state(const dl_value *v, int depth) {
    if (v->type->kind == DL_TY_NONE || dl_graph_is_none(v)) return OPT_EMPTY;
    dl_op *def = v->def;
    if (depth > 64) return OPT_UNKNOWN;
    if (!def) /* a block argument: main's inputs are values, loop bodies' are unknown */
        return v->block && v->block->region && v->block->region->op &&
                       v->block->region->op->kind == DL_OP_builtin_func
                   ? OPT_PRESENT
                   : OPT_UNKNOWN;
    switch (def->kind) {
    case DL_OP_graph_Optional: return lw_has(def, 0) ? OPT_PRESENT : OPT_EMPTY;
    case DL_OP_graph_Identity: return optional_state(dl_operand(def, 0), depth + 1);
    case DL_OP_graph_If: {
        unsigned i = v->index;
        int64_t c;
        opt_state s[2];
        for (unsigned r = 0; r < 2; r++) {
            dl_op *y = dl_op_body(def, r)->last;
            if (!y || y->kind != DL_OP_graph_Yield || i >= y->num_operands) return OPT_UNKNOWN;
            s[r] = optional_state(dl_operand(y, i), depth + 1);
        }
        if (dl_const_ints(dl_operand(def, 0), &c, 1) == 1) return s[c ? 0 : 1];
        return s[0] == s[1] ? s[0] : OPT_UNKNOWN;
    }
    case DL_OP_graph_Loop:
    case DL_OP_graph_Scan: return OPT_UNKNOWN;
    default: return OPT_PRESENT;
    }
}

/* Binds result 0 of op to the element of its operand 0 (a tensor buffer or a sequence). */
static void bind_element(dl_lower *lw, dl_op *op) {
    if (dl_operand(op, 0)->type->kind == DL_TY_SEQ) {
        unsigned n;
        dl_value **items = lw_seq(lw, op, 0, &n);
        lw_seq_bind(lw, dl_result(op, 0), n, items);
    } else {
        lw_bind(lw, dl_result(op, 0), lw_in(lw, op, 0));
    }
}

static dl_status lower_optional(dl_lower *lw, dl_op *op) {
    if (lw_has(op, 0)) {
        bind_element(lw, op);
        return DL_OK;
    }
    const dl_type *t = op->results[0].type;
    if (t->kind == DL_TY_SEQ) {
        lw_seq_bind(lw, dl_result(op, 0), 0, NULL);
        return DL_OK;
    }
    int64_t zero[2] = {0, 0}; /* one element of at most 16 bytes, splat */
    lw_bind(lw, dl_result(op, 0),
            kb_global(lw_top(lw), dl_attr_dense(lw_ctx(lw), t, zero, dl_scalar_size(t->elem->kind),
                                                true, true)));
    return DL_OK;
}

static dl_status lower_optional_has_element(dl_lower *lw, dl_op *op) {
    opt_state s = lw_has(op, 0) ? optional_state(dl_operand(op, 0), 0) : OPT_EMPTY;
    if (s == OPT_UNKNOWN)
        return dl_op_error(op, "whether the optional holds a value is only known at run time");
    int64_t v = s == OPT_PRESENT;
    const dl_type *t = op->results[0].type;
    lw_bind(lw, dl_result(op, 0),
            kb_global(lw_top(lw), dl_attr_dense_from_i64(lw_ctx(lw), t, &v, 1)));
    return DL_OK;
}

static dl_status lower_optional_get_element(dl_lower *lw, dl_op *op) {
    opt_state s = lw_has(op, 0) ? optional_state(dl_operand(op, 0), 0) : OPT_EMPTY;
    if (s == OPT_EMPTY) return dl_op_error(op, "the optional is empty");
    if (s == OPT_UNKNOWN)
        return dl_op_error(op, "whether the optional holds a value is only known at run time");
    bind_element(lw, op);
    return DL_OK;
}

const dl_lower_entry dl_lower_optional[] = {
    {DL_OP_graph_Optional, lower_optional},
    {DL_OP_graph_OptionalHasElement, lower_optional_has_element},
    {DL_OP_graph_OptionalGetElement, lower_optional_get_element},
    {DL_OP__INVALID, NULL},
};
