/* parallel.c: lowering of loop.parallel. The body is outlined into a closure function
 * `int NAME.par_for.N(void *user_context, int i, uint8_t *closure)` that receives the values it
 * uses from outside in a struct; the loop becomes one call to the dlcc runtime's dlcc_par_for
 * (Halide's halide_do_par_for, and a per-loop profile with DLCC_PROFILE=1), given a constant
 * string naming the loop (closure name and the model node of its first operation), whose error
 * code (from a nested parallel loop) is propagated. */
#include "codegen/cg.h"

#include <stdlib.h>

/* True if v is defined by an op nested in op (or is a block argument of one of its blocks). */
static bool defined_inside(const dl_value *v, const dl_op *op) {
    for (const dl_op *p = v->def ? v->def : v->block->region->op; p; p = dl_op_parent(p))
        if (p == op) return true;
    return false;
}

/* Constants and globals are re-created inside the closure instead of being captured, so that
 * LLVM sees them (trip counts, read-only data). */
static bool rematerialize(const dl_value *v) {
    return v->def && (v->def->kind == DL_OP_arith_constant || v->def->kind == DL_OP_kernel_global);
}

typedef struct captures {
    dl_value **vals;
    unsigned n, cap;
} captures;

/* The values used in op's body and defined outside it, in first-use order. */
static void collect_captures(dl_op *op, captures *c, cg_value_map *seen) {
    size_t count;
    dl_op **ops = dl_collect_ops(op, &count);
    for (size_t k = 0; k < count; k++) {
        for (unsigned i = 0; i < ops[k]->num_operands; i++) {
            dl_value *v = dl_operand(ops[k], i);
            if (defined_inside(v, op) || cg_value_map_get(seen, v)) continue;
            cg_value_map_set(seen, v, (LLVMValueRef)1);
            if (c->n == c->cap) {
                c->cap = c->cap ? 2 * c->cap : 16;
                c->vals = realloc(c->vals, sizeof(dl_value *) * c->cap);
                if (!c->vals) DL_UNREACHABLE("out of memory");
            }
            c->vals[c->n++] = v;
        }
    }
}

/* Emits the closure function for op; field k of the struct holds captured value k. */
static dl_status emit_closure(cg_module *m, dl_op *op, LLVMValueRef fn, const captures *c,
                              LLVMTypeRef closure_ty) {
    cg_func cf;
    cg_func_begin(&cf, m, fn);
    LLVMValueRef closure = LLVMGetParam(fn, 2);
    LLVMSetValueName2(closure, "closure", 7);
    unsigned field = 0;
    dl_status st = DL_OK;
    for (unsigned k = 0; k < c->n && !st; k++) {
        dl_value *v = c->vals[k];
        if (rematerialize(v)) {
            st = cg_emit_op(&cf, v->def);
            continue;
        }
        LLVMValueRef p = LLVMBuildStructGEP2(cf.b, closure_ty, closure, field++, "");
        LLVMValueRef x = LLVMBuildLoad2(cf.b, cg_type(m, v->type), p, v->name ? v->name : "");
        cg_value_map_set(cf.values, v, x);
    }
    dl_block *body = dl_op_body(op, 0);
    LLVMValueRef i = LLVMGetParam(fn, 1);
    LLVMValueRef iv =
        LLVMBuildSExt(cf.b, i, m->t_i64, body->args[0]->name ? body->args[0]->name : "iv");
    cg_value_map_set(cf.values, body->args[0], iv);
    if (!st) st = cg_emit_block(&cf, body);
    cg_func_end(&cf);
    return st;
}

/* "NAME.par_for.N node" with the model node of the first operation in op's body that has one. */
static const char *site_name(cg_module *m, dl_op *op, const char *closure_name) {
    size_t count;
    dl_op **ops = dl_collect_ops(op, &count);
    const char *node = NULL;
    for (size_t k = 0; k < count && !node; k++) node = ops[k]->loc.name;
    return node ? dl_sprintf(m->ctx, "%s %s", closure_name, node) : closure_name;
}

dl_status cg_emit_parallel(cg_func *f, dl_op *op) {
    cg_module *m = f->m;
    captures c = {0};
    cg_value_map *seen = cg_value_map_create();
    collect_captures(op, &c, seen);
    cg_value_map_destroy(seen);

    /* The closure struct: every captured value that is not re-created. */
    LLVMTypeRef *fields = calloc(c.n + 1, sizeof(LLVMTypeRef));
    unsigned nfields = 0;
    for (unsigned k = 0; k < c.n; k++)
        if (!rematerialize(c.vals[k])) fields[nfields++] = cg_type(m, c.vals[k]->type);
    LLVMTypeRef closure_ty = LLVMStructTypeInContext(m->llctx, fields, nfields, false);
    free(fields);

    LLVMTypeRef params[3] = {m->t_ptr, m->t_i32, m->t_ptr};
    LLVMTypeRef task_ty = LLVMFunctionType(m->t_i32, params, 3, false);
    const char *name = dl_sprintf(m->ctx, "%s.par_for.%u", m->name, m->num_closures++);
    LLVMValueRef task = LLVMAddFunction(m->mod, name, task_ty);
    LLVMSetLinkage(task, LLVMInternalLinkage);
    cg_set_function_attrs(m, task);
    if (emit_closure(m, op, task, &c, closure_ty)) {
        free(c.vals);
        return DL_FAILURE;
    }

    /* In the caller: fill the closure, run the tasks [lb, ub) on Halide's thread pool. */
    LLVMValueRef closure = LLVMConstNull(m->t_ptr);
    if (nfields) {
        closure = cg_entry_alloca(f, closure_ty, "closure");
        unsigned field = 0;
        for (unsigned k = 0; k < c.n; k++) {
            if (rematerialize(c.vals[k])) continue;
            LLVMValueRef p = LLVMBuildStructGEP2(f->b, closure_ty, closure, field++, "");
            LLVMBuildStore(f->b, cg_value_map_get(f->values, c.vals[k]), p);
        }
    }
    free(c.vals);
    LLVMValueRef lb = cg_operand(f, op, 0), ub = cg_operand(f, op, 1);
    LLVMValueRef extent = LLVMBuildSub(f->b, ub, lb, "");
    LLVMValueRef positive = LLVMBuildICmp(f->b, LLVMIntSGT, extent, cg_i64(m, 0), "");
    extent = LLVMBuildSelect(f->b, positive, extent, cg_i64(m, 0), "extent");
    LLVMTypeRef pf_params[6] = {m->t_ptr, m->t_ptr, m->t_i32, m->t_i32, m->t_ptr, m->t_ptr};
    LLVMTypeRef pf_ty = LLVMFunctionType(m->t_i32, pf_params, 6, false);
    LLVMValueRef args[6] = {LLVMConstNull(m->t_ptr),
                            task,
                            LLVMBuildTrunc(f->b, lb, m->t_i32, ""),
                            LLVMBuildTrunc(f->b, extent, m->t_i32, ""),
                            closure,
                            cg_cstring(m, site_name(m, op, name))};
    LLVMValueRef r = cg_call(f, "dlcc_par_for", pf_ty, args, 6);
    cg_check_status(f, r);
    return DL_OK;
}
