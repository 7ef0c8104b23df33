/* node.c: importing one ONNX node as a graph-dialect op: operands from the enclosing scopes,
 * attributes, regions for subgraphs, opset upgrade, schema defaults, shape inference and
 * constant folding; unsupported nodes are reported and leave placeholders so that later nodes
 * are still checked. */
#include "onnx_internal.h"
#include "graph/fold.h"

#include <stdlib.h>
#include <string.h>

bool onnx_finish_op(onnx_importer *im, dl_op *op, dl_value **vals) {
    if (op->kind == DL_OP_graph_Constant) {
        const dl_attr *v = dl_op_attr(op, "value");
        if (!v || v->kind != DL_ATTR_DENSE) {
            dl_op_error(op, "a Constant needs a tensor 'value'");
            return false;
        }
        dl_op_set_result_type(op, 0, v->type);
    } else {
        dl_graph_fill_defaults(op);
        /* absent optional results are typed none before inference and stay so */
        bool *absent = calloc(op->num_results + 1, sizeof *absent);
        DL_ASSERT(absent);
        for (unsigned i = 0; i < op->num_results; i++)
            absent[i] = op->results[i].type->kind == DL_TY_NONE;
        bool ok = dl_graph_infer(op) == DL_OK;
        for (unsigned i = 0; ok && i < op->num_results; i++)
            if (!absent[i] && op->results[i].type->kind == DL_TY_NONE) {
                dl_op_error(op, "shape inference gave result %u no type", i);
                ok = false;
            }
        free(absent);
        if (!ok) return false;
        dl_op *prev = op->prev;
        dl_block *block = op->block;
        bool no_fold = im->opts && im->opts->no_fold;
        if (!no_fold && dl_graph_fold_in_place(op)) {
            dl_op *c = prev ? prev->next : block->first;
            for (unsigned i = 0; vals && i < op->num_results; i++, c = c->next)
                vals[i] = dl_result(c, 0);
            return true;
        }
    }
    for (unsigned i = 0; vals && i < op->num_results; i++) vals[i] = dl_result(op, i);
    return true;
}

dl_value *onnx_build_aux(onnx_importer *im, dl_op *before, dl_loc loc, dl_op_kind kind,
                         unsigned num_operands, dl_value *const *operands, unsigned num_attrs,
                         const dl_named_attr *attrs) {
    const dl_type *t = dl_type_tensor(im->ctx, dl_type_scalar(im->ctx, DL_TY_F32), 0, NULL, NULL);
    dl_op *op = dl_op_create(im->ctx, kind, loc, num_operands, operands, 1, &t, 0);
    dl_op_insert_before(before, op);
    for (unsigned i = 0; i < num_attrs; i++) dl_op_set_attr(op, attrs[i].name, attrs[i].attr);
    dl_value *v;
    return onnx_finish_op(im, op, &v) ? v : NULL;
}

dl_value *onnx_const_i64(onnx_importer *im, dl_op *before, dl_loc loc, const int64_t *v, unsigned n,
                         bool scalar) {
    dl_context *ctx = im->ctx;
    int64_t dim = n;
    const dl_type *t =
        dl_type_tensor(ctx, dl_type_scalar(ctx, DL_TY_I64), scalar ? 0 : 1, &dim, NULL);
    dl_named_attr a = {"value", dl_attr_dense_from_i64(ctx, t, v, n)};
    return onnx_build_aux(im, before, loc, DL_OP_graph_Constant, 0, NULL, 1, &a);
}

dl_value *onnx_const_scalar(onnx_importer *im, dl_op *before, dl_loc loc, const dl_type *elem,
                            double v) {
    dl_context *ctx = im->ctx;
    const dl_type *t = dl_type_tensor(ctx, elem, 0, NULL, NULL);
    dl_named_attr a = {"value", dl_attr_dense_from_f64(ctx, t, &v, 1)};
    return onnx_build_aux(im, before, loc, DL_OP_graph_Constant, 0, NULL, 1, &a);
}

/* The region a GRAPH attribute becomes, in schema order, or -1. */
static int region_index(dl_op_kind kind, const char *name) {
    if (kind == DL_OP_graph_If)
        return strcmp(name, "then_branch") == 0 ? 0 : strcmp(name, "else_branch") == 0 ? 1 : -1;
    if (kind == DL_OP_graph_Loop || kind == DL_OP_graph_Scan) return strcmp(name, "body") ? -1 : 0;
    return -1;
}

/* Most block arguments a Loop/Scan body gets types for from its op; most imports of one body
 * while its loop-carried types settle, and most re-imports of bodies in one model. */
#define MAX_REGION_ARGS    256
#define MAX_BODY_ROUNDS    16
#define MAX_BODY_REIMPORTS 4096

static const char *const region_names[][2] = {
    [0] = {"then_branch", "else_branch"},
    [1] = {"body", NULL},
};

/* Block argument types a subgraph's inputs get when they declare no shape: Loop passes the
 * iteration number, the condition and the carried values; Scan the states and one slice of
 * each scanned input. */
static unsigned region_arg_types(dl_op *op, const dl_type **out, unsigned max) {
    dl_context *ctx = op->ctx;
    unsigned n = 0;
    if (op->kind == DL_OP_graph_Loop) {
        if (max < 2) return 0;
        out[n++] = dl_type_tensor(ctx, dl_type_scalar(ctx, DL_TY_I64), 0, NULL, NULL);
        out[n++] = dl_type_tensor(ctx, dl_type_scalar(ctx, DL_TY_I1), 0, NULL, NULL);
        for (unsigned i = 2; i < op->num_operands && n < max; i++)
            out[n++] = dl_operand(op, i)->type;
    } else if (op->kind == DL_OP_graph_Scan) {
        int64_t m = dl_op_attr_int(op, "num_scan_inputs", 0), axes[DL_MAX_RANK * 4];
        int num_axes = dl_op_attr_ints(op, "scan_input_axes", axes, DL_MAX_RANK * 4);
        if (m < 0 || m > op->num_operands) return 0;
        unsigned states = op->num_operands - (unsigned)m;
        for (unsigned i = 0; i < op->num_operands && n < max; i++) {
            const dl_type *t = dl_operand(op, i)->type;
            if (i >= states && t->kind == DL_TY_TENSOR && t->rank > 0) {
                unsigned k = i - states;
                int64_t axis = (int)k < num_axes ? axes[k] : 0;
                if (axis < 0) axis += t->rank;
                if (axis < 0 || axis >= t->rank) {
                    t = NULL;
                } else {
                    int64_t dims[DL_MAX_RANK];
                    const char *names[DL_MAX_RANK];
                    int r = 0;
                    for (int d = 0; d < t->rank; d++)
                        if (d != axis) {
                            names[r] = t->names ? t->names[d] : NULL;
                            dims[r++] = t->dims[d];
                        }
                    t = dl_type_tensor(ctx, t->elem, r, dims, t->names ? names : NULL);
                }
            }
            out[n++] = t;
        }
    }
    return n;
}

/* Erases everything in region r of op, leaving it empty. */
static void clear_region(dl_op *op, unsigned r) {
    dl_region *region = dl_op_region(op, r);
    for (dl_block *b = region->first; b; b = b->next)
        while (b->last) dl_op_erase(b->last); /* users before producers */
    region->first = region->last = NULL;
}

/* The carried values of a Loop/Scan body: block arguments [first_arg, first_arg + n) and
 * yielded values [first_yield, first_yield + n). */
typedef struct carried_values {
    unsigned first_arg, first_yield, n;
} carried_values;

/* Sets carried[arg] to the join of each carried argument's type and the type the body yields
 * for it where that is wider; true if any was. */
static bool widen_carried(dl_op *op, carried_values cv, const dl_type **carried) {
    dl_block *body = dl_op_body(op, 0);
    dl_op *y = body->last;
    bool changed = false;
    for (unsigned i = 0; i < cv.n; i++) {
        unsigned a = cv.first_arg + i, r = cv.first_yield + i;
        if (a >= MAX_REGION_ARGS || a >= body->num_args || r >= y->num_operands) break;
        const dl_type *t = body->args[a]->type;
        const dl_type *joined = dl_type_join(op->ctx, t, dl_operand(y, r)->type);
        if (joined && joined != t) {
            carried[a] = joined;
            changed = true;
        }
    }
    return changed;
}

/* Imports the body of a Loop or Scan. The block arguments of loop-carried values (Loop: v...
 * after the iteration number and the condition; Scan: the states) get the join of the
 * declared type, the initial value's type and the type the body yields for them, so that the
 * body is typed for every iteration, not only for the first: the body is imported again with
 * the joined types until they are stable (joins only make dims dynamic, so this ends; the
 * rounds per body and the re-imports per model are bounded anyway, against hostile nesting).
 * Warnings of discarded rounds are dropped. */
static bool import_loop_body(onnx_importer *im, const Onnx__GraphProto *g, onnx_scope *s, dl_op *op,
                             unsigned na, const dl_type *const *arg_types) {
    bool loop = op->kind == DL_OP_graph_Loop;
    carried_values cv = {.first_arg = loop ? 2 : 0, .first_yield = loop ? 1 : 0};
    if (loop && op->num_operands >= 2) {
        cv.n = op->num_operands - 2;
    } else if (!loop) {
        int64_t m = dl_op_attr_int(op, "num_scan_inputs", 0);
        cv.n = m >= 0 && m <= op->num_operands ? op->num_operands - (unsigned)m : 0;
    }
    const dl_type *carried[MAX_REGION_ARGS] = {0};
    for (unsigned i = 0; i < cv.n && cv.first_arg + i < na; i++)
        carried[cv.first_arg + i] = dl_operand(op, cv.first_arg + i)->type;
    size_t mark = im->num_held;
    im->holding++;
    bool ok = false;
    for (unsigned round = 1;; round++) {
        im->num_held = mark;
        ok = onnx_import_subgraph(im, g, s, op, 0, na, arg_types, carried);
        if (!ok || !widen_carried(op, cv, carried)) break;
        if (round == MAX_BODY_ROUNDS || ++im->body_reimports > MAX_BODY_REIMPORTS) {
            dl_op_error(op,
                        "the types of the loop-carried values do not settle (the body was "
                        "imported %u times)",
                        round);
            ok = false;
            break;
        }
        clear_region(op, 0);
    }
    im->holding--;
    onnx_release_warnings(im);
    return ok;
}

/* True if the model defines a local function with the node's op type and domain. */
static bool is_local_function(onnx_importer *im, const Onnx__NodeProto *n) {
    for (size_t i = 0; im->model && i < im->model->n_functions; i++) {
        const Onnx__FunctionProto *f = im->model->functions[i];
        if (f->name && n->op_type && strcmp(f->name, n->op_type) == 0 &&
            strcmp(f->domain ? f->domain : "", n->domain ? n->domain : "") == 0)
            return true;
    }
    return false;
}

static const char *domain_name(const char *d) {
    return d && *d ? d : "ai.onnx";
}

static bool default_domain(const char *d) {
    return !d || !*d || strcmp(d, "ai.onnx") == 0;
}

/* Converts the node's attributes; GRAPH attributes are collected into graphs[region]. */
static bool convert_attrs(onnx_importer *im, onnx_node *nc, const Onnx__GraphProto **graphs) {
    const Onnx__NodeProto *n = nc->proto;
    dl_op *op = nc->op;
    bool ok = true;
    for (size_t i = 0; i < n->n_attribute; i++) {
        const Onnx__AttributeProto *a = n->attribute[i];
        const char *name = a->name ? a->name : "";
        if (!*name) {
            dl_error(im->ctx, nc->loc, "attribute %zu has no name", i);
            ok = false;
            continue;
        }
        if (dl_op_attr(op, name)) {
            dl_error(im->ctx, nc->loc, "attribute '%s' is given twice", name);
            ok = false;
            continue;
        }
        if (onnx_attr_kind(a) == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH) {
            int r = region_index(op->kind, name);
            if (r < 0 || !a->g) {
                dl_error(im->ctx, nc->loc, "unsupported graph attribute '%s' of %s", name,
                         n->op_type);
                ok = false;
            } else {
                graphs[r] = a->g;
            }
            /* mark the attribute as seen for the duplicate check; removed again below */
            dl_op_set_attr(op, name, dl_attr_unit(im->ctx));
            continue;
        }
        const dl_attr *v = onnx_attr_convert(im, a, nc->loc);
        if (!v) {
            ok = false;
            continue;
        }
        dl_op_set_attr(op, name, v);
    }
    for (unsigned r = 0; r < op->num_regions; r++) {
        const char *rn = region_names[op->kind == DL_OP_graph_If ? 0 : 1][r];
        if (rn) dl_op_remove_attr(op, rn);
    }
    return ok;
}

/* Checks operand and result counts against the op table. */
static bool check_arity(onnx_importer *im, onnx_node *nc) {
    const dl_op_info *info = dl_op_info_of(nc->op);
    unsigned n = nc->op->num_operands, r = nc->op->num_results;
    bool ok_in =
        (int)n >= info->min_operands && (info->max_operands < 0 || (int)n <= info->max_operands);
    bool ok_out =
        (int)r >= info->min_results && (info->max_results < 0 || (int)r <= info->max_results);
    if (!ok_in)
        dl_error(im->ctx, nc->loc, "%s takes %d to %d inputs, but the node has %u",
                 nc->proto->op_type, info->min_operands, info->max_operands, n);
    if (!ok_out)
        dl_error(im->ctx, nc->loc, "%s produces %d to %d outputs, but the node has %u",
                 nc->proto->op_type, info->min_results, info->max_results, r);
    return ok_in && ok_out;
}

/* The opset version of a domain, or -1 when the model does not import it. */
static int64_t domain_opset(onnx_importer *im, const char *domain);

/* Binds the node's output names to vals (placeholders when vals is NULL). */
static bool bind_outputs(onnx_importer *im, onnx_node *nc, dl_value **vals) {
    const Onnx__NodeProto *n = nc->proto;
    bool ok = true;
    for (size_t i = 0; i < n->n_output; i++) {
        const char *name = n->output[i];
        if (!name || !*name) continue;
        dl_value *v = vals && vals[i] ? vals[i] : onnx_placeholder(im);
        if (onnx_name_map_get(&nc->scope->values, name)) {
            dl_error(im->ctx, nc->loc, "output '%s' is already defined (names must be unique)",
                     name);
            ok = false;
            continue;
        }
        if (!v->name) v->name = dl_intern(im->ctx, name);
        onnx_name_map_set(&nc->scope->values, name, v);
    }
    return ok;
}

bool onnx_import_node(onnx_importer *im, const Onnx__NodeProto *n, onnx_scope *s) {
    dl_context *ctx = im->ctx;
    const char *op_type = n->op_type ? n->op_type : "";
    const char *name = n->name && *n->name ? n->name : NULL;
    for (size_t i = 0; !name && i < n->n_output; i++)
        if (n->output[i] && *n->output[i]) name = n->output[i];
    bool dflt = default_domain(n->domain);
    int64_t opset = dflt ? im->opset : domain_opset(im, n->domain);
    onnx_node nc = {.proto = n, .scope = s, .opset = opset, .num_outputs = (unsigned)n->n_output};
    nc.loc = dl_loc_node(ctx, im->path, name,
                         dl_sprintf(ctx, "%s, opset %lld", op_type, (long long)opset));

    dl_op_kind kind = dflt ? dl_op_kind_lookup2("graph", op_type) : DL_OP__INVALID;
    if (kind == DL_OP_graph_None || kind == DL_OP_graph_Yield) kind = DL_OP__INVALID;
    if (kind == DL_OP__INVALID) {
        dl_error(ctx, nc.loc, "unsupported operator '%s' of domain '%s', opset %lld%s", op_type,
                 domain_name(n->domain), (long long)opset,
                 is_local_function(im, n) ? " (model-local functions are not supported)" : "");
        bind_outputs(im, &nc, NULL);
        return false;
    }

    /* Operands: trailing absent inputs are dropped, others become graph.None. */
    size_t num_in = n->n_input;
    while (num_in && (!n->input[num_in - 1] || !*n->input[num_in - 1])) num_in--;
    dl_value **operands = calloc(num_in + 1, sizeof *operands);
    DL_ASSERT(operands);
    bool ok = true, placeholder = false;
    for (size_t i = 0; i < num_in; i++) {
        const char *in = n->input[i];
        operands[i] = in && *in ? onnx_scope_lookup(s, in) : onnx_scope_none(im, s);
        if (!operands[i]) {
            dl_error(ctx, nc.loc,
                     "input '%s' is not defined (by a graph input, initializer or "
                     "earlier node)",
                     in);
            ok = false;
        } else if (onnx_is_placeholder(operands[i])) {
            placeholder = true;
        }
    }
    if (!ok || num_in > UINT32_MAX || n->n_output > UINT32_MAX) {
        free(operands);
        bind_outputs(im, &nc, NULL);
        return false;
    }
    /* Absent optional outputs (empty names) have type none, which inference keeps; the others
     * get a provisional type that inference replaces. */
    const dl_type **types = malloc((n->n_output + 1) * sizeof *types);
    DL_ASSERT(types);
    const dl_type *provisional = dl_type_tensor(ctx, dl_type_scalar(ctx, DL_TY_F32), 0, NULL, NULL);
    for (size_t i = 0; i < n->n_output; i++)
        types[i] = n->output[i] && *n->output[i] ? provisional : dl_type_none(ctx);
    nc.op = dl_op_create(ctx, kind, nc.loc, (unsigned)num_in, operands, (unsigned)n->n_output,
                         types, (unsigned)dl_op_infos[kind].num_regions);
    free(types);
    free(operands);
    dl_block_append(s->block, nc.op);
    for (size_t i = 0; i < n->n_output; i++)
        if (n->output[i] && *n->output[i])
            dl_result(nc.op, (unsigned)i)->name = dl_intern(ctx, n->output[i]);
    nc.outputs = calloc(n->n_output + 1, sizeof *nc.outputs);
    DL_ASSERT(nc.outputs);

    nc.placeholder = placeholder;
    const Onnx__GraphProto *graphs[2] = {NULL, NULL};
    ok = convert_attrs(im, &nc, graphs);
    ok = ok && onnx_upgrade_before(im, &nc);
    ok = ok && check_arity(im, &nc);
    for (unsigned r = 0; ok && r < nc.op->num_regions; r++) {
        if (!graphs[r]) {
            dl_error(ctx, nc.loc, "%s needs the graph attribute '%s'", op_type,
                     region_names[nc.op->kind == DL_OP_graph_If ? 0 : 1][r]);
            ok = false;
            break;
        }
        const dl_type *arg_types[MAX_REGION_ARGS] = {0};
        unsigned na = region_arg_types(nc.op, arg_types, MAX_REGION_ARGS);
        if (nc.op->kind == DL_OP_graph_If)
            ok = onnx_import_subgraph(im, graphs[r], s, nc.op, r, na, arg_types, NULL) && ok;
        else
            ok = import_loop_body(im, graphs[r], s, nc.op, na, arg_types) && ok;
    }
    if (ok && !placeholder) {
        ok = onnx_finish_op(im, nc.op, nc.outputs);
        ok = ok && onnx_upgrade_after(im, &nc);
    }
    bool bound = bind_outputs(im, &nc, ok && !placeholder ? nc.outputs : NULL);
    free(nc.outputs);
    return ok && bound;
}

static int64_t domain_opset(onnx_importer *im, const char *domain) {
    for (size_t i = 0; im->model && i < im->model->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = im->model->opset_import[i];
        if (o->domain && strcmp(o->domain, domain) == 0) return o->has_version ? o->version : 1;
    }
    return -1;
}
