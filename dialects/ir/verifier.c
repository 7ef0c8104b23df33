/* verifier.c: structural IR verification: arity, regions, terminators, SSA dominance and
 * isolation, then each op's own verifier from its dialect table. */
#include "internal.h"

#include <stdlib.h>

dl_status dl_op_error(dl_op *op, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&msg, &len);
    DL_ASSERT(f);
    fprintf(f, "'%s': ", dl_op_infos[op->kind].name);
    vfprintf(f, fmt, ap);
    fclose(f);
    va_end(ap);
    dl_error(op->ctx, op->loc, "%s", msg);
    free(msg);
    return DL_FAILURE;
}

static dl_status verify_op(dl_op *op, dl_ptrmap *visible);

static dl_status verify_region(dl_region *r, dl_ptrmap *visible) {
    dl_status st = DL_OK;
    for (dl_block *b = r->first; b; b = b->next) {
        for (unsigned i = 0; i < b->num_args; i++) dl_ptrmap_set(visible, b->args[i], NULL);
        for (dl_op *o = b->first; o; o = o->next) {
            if (dl_op_has_trait(o, DL_TRAIT_TERMINATOR) && o->next)
                st |= dl_op_error(o, "a terminator must be the last op of its block");
            if (o->block != b) st |= dl_op_error(o, "op is linked into the wrong block");
            st |= verify_op(o, visible);
            for (unsigned i = 0; i < o->num_results; i++)
                dl_ptrmap_set(visible, &o->results[i], NULL);
        }
        for (dl_op *o = b->first; o; o = o->next)
            for (unsigned i = 0; i < o->num_results; i++) dl_ptrmap_del(visible, &o->results[i]);
        for (unsigned i = 0; i < b->num_args; i++) dl_ptrmap_del(visible, b->args[i]);
    }
    return st;
}

static dl_status verify_op(dl_op *op, dl_ptrmap *visible) {
    const dl_op_info *info = dl_op_info_of(op);
    dl_status st = DL_OK;
    if ((int)op->num_operands < info->min_operands ||
        (info->max_operands >= 0 && (int)op->num_operands > info->max_operands)) {
        if (info->min_operands == info->max_operands)
            return dl_op_error(op, "expects %d operands, got %u", info->min_operands,
                               op->num_operands);
        return dl_op_error(op, "expects %d to %d operands, got %u", info->min_operands,
                           info->max_operands, op->num_operands);
    }
    if ((int)op->num_results < info->min_results ||
        (info->max_results >= 0 && (int)op->num_results > info->max_results))
        return dl_op_error(op, "does not take %u results", op->num_results);
    if ((int)op->num_regions != info->num_regions)
        return dl_op_error(op, "expects %d regions, got %u", info->num_regions, op->num_regions);
    for (unsigned i = 0; i < op->num_operands; i++) {
        dl_value *v = dl_operand(op, i);
        if (!v) {
            st |= dl_op_error(op, "operand %u is missing", i);
        } else if (!dl_ptrmap_has(visible, v)) {
            st |= dl_op_error(op,
                              "operand %u does not dominate its use (or is defined outside "
                              "an isolated region)",
                              i);
        }
    }
    if (st) return st;
    for (unsigned i = 0; i < op->num_regions; i++) {
        if (dl_op_has_trait(op, DL_TRAIT_ISOLATED)) {
            dl_ptrmap inner = {0};
            st |= verify_region(&op->regions[i], &inner);
            dl_ptrmap_free(&inner);
        } else {
            st |= verify_region(&op->regions[i], visible);
        }
    }
    if (st) return st;
    return info->verify ? info->verify(op) : DL_OK;
}

dl_status dl_verify(dl_op *op) {
    dl_ptrmap visible = {0};
    dl_status st = verify_op(op, &visible);
    dl_ptrmap_free(&visible);
    return st;
}
