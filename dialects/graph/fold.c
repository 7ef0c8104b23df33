/* fold.c: dispatch of graph-op constant folding over the per-family rule tables. */
#include "fold.h"

#include <stdlib.h>

static const dl_fold_entry *const families[] = {dl_fold_elementwise, dl_fold_shape};

static dl_fold_fn table[DL_OP__COUNT];
static bool table_ready;

bool dl_graph_fold(dl_op *op, const dl_attr **results) {
    if (!table_ready) {
        for (size_t f = 0; f < sizeof families / sizeof *families; f++)
            for (const dl_fold_entry *e = families[f]; e->kind != DL_OP__INVALID; e++)
                table[e->kind] = e->fn;
        table_ready = true;
    }
    if (!table[op->kind] || op->num_regions) return false;
    for (unsigned i = 0; i < op->num_results; i++) {
        const dl_type *t = op->results[i].type;
        if (t->kind != DL_TY_TENSOR || !dl_type_has_static_shape(t) ||
            dl_type_num_elements(t) > DL_FOLD_MAX_ELEMENTS)
            return false;
    }
    return table[op->kind](op, results);
}

bool dl_graph_fold_in_place(dl_op *op) {
    if (!op->num_results || !dl_op_has_trait(op, DL_TRAIT_PURE) || op->kind == DL_OP_graph_Constant)
        return false;
    const dl_attr **results = calloc(op->num_results, sizeof *results);
    DL_ASSERT(results);
    bool ok = dl_graph_fold(op, results);
    for (unsigned i = 0; ok && i < op->num_results; i++)
        ok = results[i] && results[i]->type == op->results[i].type;
    if (ok) {
        dl_builder b = dl_builder_before(op);
        for (unsigned i = 0; i < op->num_results; i++) {
            const dl_type *t = op->results[i].type;
            dl_op *c = dl_build(&b, DL_OP_graph_Constant, 0, NULL, 1, &t, 0);
            dl_op_set_attr(c, "value", results[i]);
            c->results[0].name = op->results[i].name;
            dl_value_replace_all_uses(&op->results[i], &c->results[0]);
        }
        dl_op_erase(op);
    }
    free(results);
    return ok;
}
