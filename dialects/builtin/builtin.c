/* builtin.c: the builtin dialect: modules, functions and returns, and their helpers. */
#include "dlcc/ir.h"

#include <string.h>

dl_op *dl_module_create(dl_context *ctx, dl_loc loc) {
    dl_op *m = dl_op_create(ctx, DL_OP_builtin_module, loc, 0, NULL, 0, NULL, 1);
    dl_op_body(m, 0);
    return m;
}

dl_block *dl_module_body(dl_op *module) {
    return dl_op_body(module, 0);
}

dl_op *dl_func_create(dl_op *module, const char *name, const dl_type *type, dl_loc loc) {
    dl_context *ctx = module->ctx;
    dl_op *f = dl_op_create(ctx, DL_OP_builtin_func, loc, 0, NULL, 0, NULL, 1);
    dl_op_set_attr(f, "sym_name", dl_attr_string(ctx, name));
    dl_op_set_attr(f, "function_type", dl_attr_type(ctx, type));
    dl_block *entry = dl_op_body(f, 0);
    for (unsigned i = 0; i < type->num_inputs; i++) dl_block_add_arg(ctx, entry, type->inputs[i]);
    dl_block_append(dl_module_body(module), f);
    return f;
}

dl_block *dl_func_entry(dl_op *func) {
    return dl_op_body(func, 0);
}

const dl_type *dl_func_type(const dl_op *func) {
    const dl_attr *a = dl_op_attr(func, "function_type");
    return a && a->kind == DL_ATTR_TYPE && a->type->kind == DL_TY_FUNC ? a->type : NULL;
}

const char *dl_func_name(const dl_op *func) {
    return dl_op_attr_str(func, "sym_name", NULL);
}

dl_op *dl_module_lookup_func(dl_op *module, const char *name) {
    for (dl_op *o = dl_module_body(module)->first; o; o = o->next) {
        const char *n = o->kind == DL_OP_builtin_func ? dl_func_name(o) : NULL;
        if (n && strcmp(n, name) == 0) return o;
    }
    return NULL;
}

dl_op *dl_func_return(dl_op *func) {
    dl_op *last = dl_func_entry(func)->last;
    return last && last->kind == DL_OP_builtin_return ? last : NULL;
}

dl_status dl_verify_builtin_module(dl_op *op) {
    dl_region *r = dl_op_region(op, 0);
    if (r->first && r->first->next) return dl_op_error(op, "a module has a single block");
    if (r->first && r->first->num_args) return dl_op_error(op, "a module block takes no arguments");
    return DL_OK;
}

dl_status dl_verify_builtin_func(dl_op *op) {
    if (!dl_func_name(op)) return dl_op_error(op, "function needs a string 'sym_name' attribute");
    const dl_type *t = dl_func_type(op);
    if (!t) return dl_op_error(op, "function needs a function type 'function_type' attribute");
    dl_block *entry = dl_op_region(op, 0)->first;
    if (!entry) return dl_op_error(op, "function has no body");
    if (entry->num_args != t->num_inputs)
        return dl_op_error(op, "function takes %u inputs but its entry block has %u arguments",
                           t->num_inputs, entry->num_args);
    for (unsigned i = 0; i < t->num_inputs; i++)
        if (entry->args[i]->type != t->inputs[i])
            return dl_op_error(op, "entry block argument %u has type %s, signature says %s", i,
                               dl_type_str(op->ctx, entry->args[i]->type),
                               dl_type_str(op->ctx, t->inputs[i]));
    return DL_OK;
}

dl_status dl_verify_builtin_return(dl_op *op) {
    dl_op *parent = dl_op_parent(op);
    if (!parent || parent->kind != DL_OP_builtin_func)
        return dl_op_error(op, "'builtin.return' must be in a function");
    const dl_type *t = dl_func_type(parent);
    if (!t) return DL_OK;
    if (op->num_operands != t->num_results)
        return dl_op_error(op, "returns %u values but the function type has %u results",
                           op->num_operands, t->num_results);
    for (unsigned i = 0; i < op->num_operands; i++)
        if (dl_operand(op, i)->type != t->results[i])
            return dl_op_error(op, "returned value %u has type %s, function type says %s", i,
                               dl_type_str(op->ctx, dl_operand(op, i)->type),
                               dl_type_str(op->ctx, t->results[i]));
    return DL_OK;
}
