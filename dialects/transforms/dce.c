/* dce.c: dead-code elimination: erases pure ops whose results are unused, innermost first and
 * in reverse order so that chains of dead ops disappear in one sweep. */
#include "dlcc/pass.h"

static bool is_dead(const dl_op *op) {
    return dl_op_has_trait(op, DL_TRAIT_PURE) && op->num_results && dl_op_results_unused(op);
}

static void dce_block(dl_block *b) {
    for (dl_op *o = b->last, *prev; o; o = prev) {
        prev = o->prev;
        for (unsigned r = 0; r < o->num_regions; r++)
            for (dl_block *ib = o->regions[r].first; ib; ib = ib->next) dce_block(ib);
        if (is_dead(o)) dl_op_erase(o);
    }
}

dl_status dl_pass_dce(dl_op *module, const dl_pass_options *options) {
    (void)options;
    for (unsigned r = 0; r < module->num_regions; r++)
        for (dl_block *b = module->regions[r].first; b; b = b->next) dce_block(b);
    return DL_OK;
}
