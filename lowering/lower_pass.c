/* lower_pass.c: the lower-to-kernel pass: rewrites `main` from the graph level (tensors, one op
 * per ONNX node) to the kernel level (memref arguments for inputs and outputs, buffers for
 * every value, kernel.generic computations), dispatching each op to its family's lowering. */
#include "lower.h"

#include <string.h>

/* The buffers of a sequence value: a list known at compile time. */
typedef struct seq_binding {
    dl_value *value;
    unsigned n;
    dl_value **items;
    struct seq_binding *next;
} seq_binding;

struct dl_lower {
    dl_context *ctx;
    seq_binding *seqs;
    dl_builder top;      /* function level of the new main, at its end */
    dl_value_map *bufs;  /* graph value -> buffer */
    dl_value_map *outs;  /* graph value -> its first output argument (until claimed) */
    dl_value **out_args; /* the caller's output buffers */
};

/* Marks a value whose producer failed to lower: its users are skipped silently. */
static dl_value poisoned;

static const dl_lower_entry *const families[] = {
    dl_lower_elementwise, dl_lower_shape,    dl_lower_linalg,   dl_lower_conv,   dl_lower_pool,
    dl_lower_reduce,      dl_lower_norm,     dl_lower_index,    dl_lower_select, dl_lower_resize,
    dl_lower_roi,         dl_lower_loss,     dl_lower_rnn,      dl_lower_quant,  dl_lower_control,
    dl_lower_loop,        dl_lower_sequence, dl_lower_optional, dl_lower_signal, dl_lower_misc,
};

static dl_lower_fn table[DL_OP__COUNT];
static bool table_ready;

static void build_table(void) {
    for (size_t f = 0; f < sizeof families / sizeof *families; f++)
        for (const dl_lower_entry *e = families[f]; e->kind != DL_OP__INVALID; e++) {
            DL_ASSERT(!table[e->kind] && "two lowerings for one op");
            table[e->kind] = e->fn;
        }
    table_ready = true;
}

/* ---- The lowering state's API (lower.h) ---------------------------------------------------- */

dl_builder *lw_top(dl_lower *lw) {
    return &lw->top;
}

dl_context *lw_ctx(dl_lower *lw) {
    return lw->ctx;
}

bool lw_has(dl_op *op, unsigned i) {
    return i < op->num_operands && !dl_graph_is_none(dl_operand(op, i)) &&
           dl_operand(op, i)->type->kind != DL_TY_NONE;
}

dl_value *lw_in(dl_lower *lw, dl_op *op, unsigned i) {
    if (!lw_has(op, i)) return NULL;
    dl_value *b = dl_value_map_get(lw->bufs, dl_operand(op, i));
    DL_ASSERT(b && b != &poisoned && dl_operand(op, i)->type->kind != DL_TY_SEQ);
    return b;
}

const dl_type *lw_memref_of(dl_lower *lw, const dl_value *v) {
    const dl_type *t = v->type;
    return kb_memref(lw->ctx, t->elem, t->rank, t->dims);
}

void lw_bind(dl_lower *lw, dl_value *v, dl_value *buf) {
    DL_ASSERT(!dl_value_map_get(lw->bufs, v));
    dl_value_map_set(lw->bufs, v, buf);
}

void lw_seq_bind(dl_lower *lw, dl_value *v, unsigned n, dl_value *const *items) {
    seq_binding *s = DL_NEW(lw->ctx, seq_binding);
    s->value = v;
    s->n = n;
    s->items = DL_NEW_ARRAY(lw->ctx, dl_value *, n + 1);
    for (unsigned i = 0; i < n; i++) s->items[i] = items[i];
    s->next = lw->seqs;
    lw->seqs = s;
    dl_value_map_set(lw->bufs, v, v); /* marks the value as bound */
}

dl_value **lw_seq(dl_lower *lw, dl_op *op, unsigned i, unsigned *n) {
    dl_value *v = dl_operand(op, i);
    for (seq_binding *s = lw->seqs; s; s = s->next)
        if (s->value == v) {
            *n = s->n;
            return s->items;
        }
    DL_UNREACHABLE("sequence operand without a binding");
}

dl_value *lw_temp(dl_lower *lw, const dl_type *elem, int rank, const int64_t *dims) {
    return kb_alloc(&lw->top, kb_memref(lw->ctx, elem, rank, dims));
}

dl_value *lw_out(dl_lower *lw, dl_op *op, unsigned i) {
    dl_value *v = dl_result(op, i);
    if (v->type->kind != DL_TY_TENSOR) return NULL;
    dl_value *buf = dl_value_map_get(lw->outs, v);
    if (buf) {
        dl_value_map_set(lw->outs, v, NULL);
    } else {
        buf = kb_alloc(&lw->top, lw_memref_of(lw, v));
        buf->name = v->name;
    }
    lw_bind(lw, v, buf);
    return buf;
}

int64_t lw_const_ints(dl_op *op, unsigned i, int64_t *out, int64_t max) {
    if (!lw_has(op, i)) return -1;
    return dl_const_ints(dl_operand(op, i), out, max);
}

int64_t lw_const_floats(dl_op *op, unsigned i, double *out, int64_t max) {
    if (!lw_has(op, i)) return -1;
    return dl_const_floats(dl_operand(op, i), out, max);
}

dl_status lw_axis(dl_op *op, int64_t axis, int rank, int *out) {
    if (axis < -rank || axis >= (rank ? rank : 1))
        return dl_op_error(op, "axis %lld is out of range for rank %d", (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return DL_OK;
}

/* ---- The pass ------------------------------------------------------------------------------ */

static bool is_static_tensor(const dl_type *t) {
    return t->kind == DL_TY_TENSOR && dl_type_has_static_shape(t);
}

/* Checks the results of op before lowering it: static tensor shapes only. (A Loop left after
 * unrolling checks its own results, to say why it can neither be unrolled nor run
 * sequentially.) */
static dl_status check_results(dl_op *op) {
    if (op->kind == DL_OP_graph_Loop) return DL_OK;
    for (unsigned i = 0; i < op->num_results; i++) {
        const dl_type *t = op->results[i].type;
        if (t->kind == DL_TY_NONE) continue;
        if (t->kind == DL_TY_SEQ) continue; /* lists of buffers, checked per element */
        if (t->kind != DL_TY_TENSOR)
            return dl_op_error(op, "result %u has type %s; the kernel lowering needs tensors", i,
                               dl_type_str(op->ctx, t));
        if (!dl_type_has_static_shape(t))
            return dl_op_error(op, "result %u has type %s: dynamic shape not supported; use -shape",
                               i, dl_type_str(op->ctx, t));
    }
    return DL_OK;
}

static bool has_poisoned_operand(dl_lower *lw, dl_op *op) {
    for (unsigned i = 0; i < op->num_operands; i++)
        if (dl_value_map_get(lw->bufs, dl_operand(op, i)) == &poisoned) return true;
    return false;
}

static void poison_results(dl_lower *lw, dl_op *op) {
    for (unsigned i = 0; i < op->num_results; i++)
        if (!dl_value_map_get(lw->bufs, dl_result(op, i)))
            dl_value_map_set(lw->bufs, dl_result(op, i), &poisoned);
}

static dl_status lower_op(dl_lower *lw, dl_op *op) {
    if (op->kind == DL_OP_graph_None) return DL_OK;
    if (has_poisoned_operand(lw, op)) {
        poison_results(lw, op);
        return DL_OK;
    }
    dl_status st = DL_OK;
    if (strcmp(dl_op_info_of(op)->dialect, "graph") != 0) {
        st = dl_op_error(op, "lower-to-kernel expects graph-dialect ops in 'main'");
    } else if (!(st = check_results(op)) && !table[op->kind]) {
        st = dl_op_error(op, "lowering of %s to the kernel dialect is not supported",
                         dl_op_info_of(op)->name);
    } else if (!st) {
        lw->top.loc = op->loc;
        st = table[op->kind](lw, op);
        for (unsigned i = 0; !st && i < op->num_results; i++)
            DL_ASSERT(op->results[i].type->kind == DL_TY_NONE ||
                      dl_value_map_get(lw->bufs, dl_result(op, i)));
    }
    if (st) poison_results(lw, op);
    return st;
}

dl_status lw_lower_region(dl_lower *lw, dl_block *blk, dl_value *const *args, dl_value ***yields) {
    dl_status st = DL_OK;
    dl_loc loc = lw->top.loc;
    for (unsigned i = 0; i < blk->num_args; i++) lw_bind(lw, blk->args[i], args[i]);
    dl_op *term = blk->last;
    if (!term || term->kind != DL_OP_graph_Yield)
        return dl_op_error(blk->region->op, "a region must end with graph.Yield");
    for (dl_op *op = blk->first; op && op != term; op = op->next)
        if (lower_op(lw, op)) st = DL_FAILURE;
    lw->top.loc = loc;
    if (st) return DL_FAILURE;
    dl_value **ys = DL_NEW_ARRAY(lw->ctx, dl_value *, term->num_operands + 1);
    for (unsigned i = 0; i < term->num_operands; i++) {
        ys[i] = dl_value_map_get(lw->bufs, dl_operand(term, i));
        if (!ys[i] || ys[i] == &poisoned)
            return dl_op_error(term, "yielded value %u has no buffer", i);
    }
    *yields = ys;
    return DL_OK;
}

static void forget_op(dl_op *op, void *user) {
    dl_lower *lw = user;
    for (unsigned i = 0; i < op->num_results; i++)
        dl_value_map_set(lw->bufs, dl_result(op, i), NULL);
    for (unsigned r = 0; r < op->num_regions; r++)
        for (dl_block *b = op->regions[r].first; b; b = b->next)
            for (unsigned i = 0; i < b->num_args; i++) dl_value_map_set(lw->bufs, b->args[i], NULL);
}

void lw_forget_region(dl_lower *lw, dl_block *blk) {
    for (unsigned i = 0; i < blk->num_args; i++) dl_value_map_set(lw->bufs, blk->args[i], NULL);
    for (dl_op *op = blk->first; op; op = op->next) dl_walk_post(op, forget_op, lw);
}

/* The new main's signature: input memrefs, then one memref per output. */
static const dl_type *kernel_signature(dl_context *ctx, dl_op *func, dl_op *ret) {
    dl_block *entry = dl_func_entry(func);
    unsigned n = entry->num_args + ret->num_operands;
    const dl_type **ins = DL_NEW_ARRAY(ctx, const dl_type *, n ? n : 1);
    for (unsigned i = 0; i < entry->num_args; i++) {
        const dl_type *t = entry->args[i]->type;
        ins[i] = kb_memref(ctx, t->elem, t->rank, t->dims);
    }
    for (unsigned i = 0; i < ret->num_operands; i++) {
        const dl_type *t = dl_operand(ret, i)->type;
        ins[entry->num_args + i] = kb_memref(ctx, t->elem, t->rank, t->dims);
    }
    return dl_type_func(ctx, n, ins, 0, NULL);
}

static const char *name_at(dl_op *func, const char *attr, unsigned i) {
    const dl_attr *a = dl_op_attr(func, attr);
    if (a && a->kind == DL_ATTR_ARRAY && i < a->u.array.n &&
        a->u.array.elems[i]->kind == DL_ATTR_STRING)
        return a->u.array.elems[i]->u.str.data;
    return "?";
}

/* Inputs and outputs of main must be tensors of static shape. */
static dl_status check_signature(dl_op *func, dl_op *ret) {
    dl_status st = DL_OK;
    dl_block *entry = dl_func_entry(func);
    for (unsigned i = 0; i < entry->num_args; i++) {
        const dl_type *t = entry->args[i]->type;
        if (!is_static_tensor(t))
            st = dl_op_error(func,
                             "input %u ('%s') has type %s: dynamic shape not supported; use "
                             "-shape",
                             i, name_at(func, "arg_names", i), dl_type_str(func->ctx, t));
    }
    for (unsigned i = 0; i < ret->num_operands; i++) {
        const dl_type *t = dl_operand(ret, i)->type;
        if (t->kind != DL_TY_TENSOR)
            st =
                dl_op_error(func, "output %u ('%s') has type %s; the kernel lowering needs tensors",
                            i, name_at(func, "result_names", i), dl_type_str(func->ctx, t));
        else if (!is_static_tensor(t))
            st = dl_op_error(func,
                             "output %u ('%s') has type %s: dynamic shape not supported; use "
                             "-shape",
                             i, name_at(func, "result_names", i), dl_type_str(func->ctx, t));
    }
    return st;
}

/* Erases globals and views nobody reads (e.g. shape constants consumed by a Reshape). */
static void erase_dead_buffers(dl_block *entry) {
    for (dl_op *op = entry->last, *prev; op; op = prev) {
        prev = op->prev;
        if ((op->kind == DL_OP_kernel_global || op->kind == DL_OP_kernel_view) &&
            !dl_value_has_uses(dl_result(op, 0)))
            dl_op_erase(op);
    }
}

/* Lowers the graph-level function src into a new kernel-level main that replaces func (src
 * itself or a copy of it) on success. */
static dl_status lower_func(dl_op *module, dl_op *src, dl_op *func) {
    dl_context *ctx = module->ctx;
    dl_op *ret = dl_func_return(src);
    if (!ret) return dl_op_error(src, "'main' has no 'builtin.return'");
    if (check_signature(src, ret)) return DL_FAILURE;

    dl_op *nf = dl_func_create(module, "main", kernel_signature(ctx, src, ret), src->loc);
    for (unsigned i = 0; i < src->num_attrs; i++) {
        const char *n = src->attrs[i].name;
        if (strcmp(n, "function_type") != 0 && strcmp(n, "sym_name") != 0)
            dl_op_set_attr(nf, n, src->attrs[i].attr);
    }
    dl_block *old_entry = dl_func_entry(src), *entry = dl_func_entry(nf);
    dl_lower lw = {
        .ctx = ctx,
        .top = dl_builder_at_end(ctx, entry),
        .bufs = dl_value_map_create(ctx),
        .outs = dl_value_map_create(ctx),
        .out_args = entry->args + old_entry->num_args,
    };
    for (unsigned i = 0; i < old_entry->num_args; i++) {
        entry->args[i]->name = old_entry->args[i]->name;
        dl_value_map_set(lw.bufs, old_entry->args[i], entry->args[i]);
    }
    for (unsigned i = ret->num_operands; i-- > 0;) {
        dl_value_map_set(lw.outs, dl_operand(ret, i), lw.out_args[i]);
        lw.out_args[i]->name = dl_operand(ret, i)->name;
    }

    dl_status st = DL_OK;
    for (dl_op *op = old_entry->first; op && op != ret; op = op->next)
        if (lower_op(&lw, op)) st = DL_FAILURE;

    if (!st) {
        lw.top.loc = ret->loc;
        for (unsigned i = 0; i < ret->num_operands; i++) {
            dl_value *buf = dl_value_map_get(lw.bufs, dl_operand(ret, i)), *out = lw.out_args[i];
            if (buf == out) continue;
            kb_copy(&lw.top, buf, kb_map_id(ctx, (unsigned)out->type->rank), out);
        }
        dl_build(&lw.top, DL_OP_builtin_return, 0, NULL, 0, NULL, 0);
        erase_dead_buffers(entry);
    }
    dl_value_map_destroy(lw.bufs);
    dl_value_map_destroy(lw.outs);
    if (st) {
        dl_op_erase(nf);
        return DL_FAILURE;
    }
    dl_op_move_before(nf, func);
    dl_op_erase(func);
    return DL_OK;
}

/* Lowers `main`; on failure the module is left unchanged. Loops are unrolled first, in a
 * scratch copy of main (src) that is lowered instead. */
static dl_status lower_main(dl_op *module, dl_op *func) {
    dl_op *src = func;
    if (lw_has_loops(func)) {
        src = dl_op_clone(func, NULL);
        dl_op_insert_before(func, src);
        if (lw_unroll_loops(src)) {
            dl_op_erase(src);
            return DL_FAILURE;
        }
    }
    dl_status st = lower_func(module, src, func);
    if (src != func) dl_op_erase(src);
    return st;
}

dl_status dl_pass_lower_to_kernel(dl_op *module, const dl_pass_options *options) {
    (void)options;
    if (!table_ready) build_table();
    dl_op *func = dl_module_lookup_func(module, "main");
    if (!func) return dl_op_error(module, "lower-to-kernel needs a function named 'main'");
    return lower_main(module, func);
}
