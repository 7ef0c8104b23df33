/* graph.c: importing ONNX graphs: scopes of value names, initializers, nodes in dependency
 * order (with cycle detection), and subgraphs as regions ending in graph.Yield. */
#include "onnx_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

dl_loc onnx_model_loc(onnx_importer *im) {
    return dl_loc_node(im->ctx, im->path, NULL, NULL);
}

void onnx_warn(onnx_importer *im, dl_loc loc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (!im->holding) {
        dl_emitv(im->ctx, DL_SEV_WARNING, loc, fmt, ap);
        va_end(ap);
        return;
    }
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *msg = dl_alloc(im->ctx, (size_t)(n < 0 ? 0 : n) + 1);
    vsnprintf(msg, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap2);
    va_end(ap2);
    va_end(ap);
    if (im->num_held == im->cap_held) {
        im->cap_held = im->cap_held ? im->cap_held * 2 : 8;
        im->held = realloc(im->held, im->cap_held * sizeof *im->held);
        DL_ASSERT(im->held);
    }
    im->held[im->num_held++] = (onnx_held_warning){loc, msg};
}

void onnx_release_warnings(onnx_importer *im) {
    if (im->holding) return;
    for (size_t i = 0; i < im->num_held; i++)
        dl_emit(im->ctx, DL_SEV_WARNING, im->held[i].loc, "%s", im->held[i].msg);
    im->num_held = 0;
}

dl_value *onnx_scope_lookup(const onnx_scope *s, const char *name) {
    for (; s; s = s->parent) {
        dl_value *v = onnx_name_map_get(&s->values, name);
        if (v) return v;
    }
    return NULL;
}

dl_value *onnx_scope_none(onnx_importer *im, onnx_scope *s) {
    if (!s->none) {
        const dl_type *t = dl_type_none(im->ctx);
        dl_op *op = dl_op_create(im->ctx, DL_OP_graph_None, dl_loc_unknown(), 0, NULL, 1, &t, 0);
        dl_block_prepend(s->block, op);
        s->none = dl_result(op, 0);
    }
    return s->none;
}

bool onnx_is_placeholder(const dl_value *v) {
    return v->type->kind == DL_TY_NONE && !dl_graph_is_none(v);
}

dl_value *onnx_placeholder(onnx_importer *im) {
    const dl_type *none = dl_type_none(im->ctx);
    return dl_result(
        dl_op_create(im->ctx, DL_OP_graph_Identity, dl_loc_unknown(), 0, NULL, 1, &none, 0), 0);
}

/* Binds name to v in s; an error if this graph already defines the name. */
static bool define(onnx_importer *im, onnx_scope *s, const char *name, dl_value *v, dl_loc loc,
                   const char *what) {
    if (onnx_name_map_get(&s->values, name)) {
        dl_error(im->ctx, loc, "%s '%s' is defined twice in the same graph", what, name);
        return false;
    }
    onnx_name_map_set(&s->values, name, v);
    return true;
}

static bool add_constant(onnx_importer *im, onnx_scope *s, const char *name, const dl_attr *value,
                         dl_loc loc) {
    const dl_type *t = value->type;
    dl_op *op = dl_op_create(im->ctx, DL_OP_graph_Constant, loc, 0, NULL, 1, &t, 0);
    dl_op_set_attr(op, "value", value);
    dl_result(op, 0)->name = dl_intern(im->ctx, name);
    dl_block_append(s->block, op);
    return define(im, s, name, dl_result(op, 0), loc, "initializer");
}

bool onnx_import_initializers(onnx_importer *im, const Onnx__GraphProto *g, onnx_scope *s) {
    bool ok = true;
    for (size_t i = 0; i < g->n_initializer; i++) {
        const Onnx__TensorProto *t = g->initializer[i];
        const char *name = t->name ? t->name : "";
        dl_loc loc = dl_loc_node(im->ctx, im->path, *name ? name : NULL, "initializer");
        if (!*name) {
            dl_error(im->ctx, loc, "initializer %zu has no name", i);
            ok = false;
            continue;
        }
        const dl_attr *a = onnx_tensor_decode(im, t, loc, "initializer");
        if (!a && !onnx_name_map_get(&s->values, name))
            onnx_name_map_set(&s->values, name, onnx_placeholder(im));
        ok = a && add_constant(im, s, name, a, loc) && ok;
    }
    for (size_t i = 0; i < g->n_sparse_initializer; i++) {
        const Onnx__SparseTensorProto *t = g->sparse_initializer[i];
        const char *name = t->values && t->values->name ? t->values->name : "";
        dl_loc loc = dl_loc_node(im->ctx, im->path, *name ? name : NULL, "sparse initializer");
        if (!*name) {
            dl_error(im->ctx, loc, "sparse initializer %zu has no name", i);
            ok = false;
            continue;
        }
        const dl_attr *a = onnx_sparse_decode(im, t, loc, "initializer");
        if (!a && !onnx_name_map_get(&s->values, name))
            onnx_name_map_set(&s->values, name, onnx_placeholder(im));
        ok = a && add_constant(im, s, name, a, loc) && ok;
    }
    return ok;
}

/* ---- Dependency order ---- */

typedef struct dep_graph {
    onnx_name_map producer; /* output name -> node index + 1 */
    size_t *deps;           /* deps[start[i] .. start[i+1]) are the producers node i uses */
    size_t *start;
    size_t count, cap;
} dep_graph;

static void add_dep(dep_graph *d, const onnx_name_map *producer, const char *name) {
    if (!name || !*name) return;
    size_t p = (size_t)(uintptr_t)onnx_name_map_get(producer, name);
    if (!p) return;
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->deps = realloc(d->deps, d->cap * sizeof *d->deps);
        DL_ASSERT(d->deps);
    }
    d->deps[d->count++] = p - 1;
}

/* Adds every name used inside a subgraph (an over-approximation of its free names). */
static void add_subgraph_deps(dep_graph *d, const Onnx__GraphProto *g, unsigned depth) {
    if (!g || depth > ONNX_MAX_GRAPH_DEPTH) return;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        for (size_t k = 0; k < n->n_input; k++) add_dep(d, &d->producer, n->input[k]);
        for (size_t k = 0; k < n->n_attribute; k++) {
            add_subgraph_deps(d, n->attribute[k]->g, depth + 1);
            for (size_t j = 0; j < n->attribute[k]->n_graphs; j++)
                add_subgraph_deps(d, n->attribute[k]->graphs[j], depth + 1);
        }
    }
    for (size_t i = 0; i < g->n_output; i++)
        if (g->output[i]->name) add_dep(d, &d->producer, g->output[i]->name);
}

/* The node's location for diagnostics before an op exists. */
static dl_loc node_loc(onnx_importer *im, const Onnx__NodeProto *n) {
    const char *name = n->name && *n->name ? n->name : NULL;
    for (size_t i = 0; !name && i < n->n_output; i++)
        if (n->output[i] && *n->output[i]) name = n->output[i];
    return dl_loc_node(
        im->ctx, im->path, name,
        dl_sprintf(im->ctx, "%s, opset %lld", n->op_type ? n->op_type : "", (long long)im->opset));
}

/* Computes an order in which every node comes after the producers of its inputs (the model
 * order when it already is one). Returns false after reporting a cycle. */
static bool order_nodes(onnx_importer *im, const Onnx__GraphProto *g, onnx_scope *s,
                        size_t *order) {
    size_t n = g->n_node;
    dep_graph d = {0};
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const Onnx__NodeProto *node = g->node[i];
        for (size_t k = 0; k < node->n_output; k++) {
            const char *o = node->output[k];
            if (!o || !*o) continue;
            /* a duplicate is reported when the node's outputs are bound */
            if (onnx_name_map_get(&d.producer, o) || onnx_name_map_get(&s->values, o)) continue;
            onnx_name_map_set(&d.producer, o, (void *)(uintptr_t)(i + 1));
        }
    }
    d.start = malloc((n + 1) * sizeof *d.start);
    DL_ASSERT(d.start);
    bool sorted = true;
    for (size_t i = 0; i < n; i++) {
        const Onnx__NodeProto *node = g->node[i];
        d.start[i] = d.count;
        for (size_t k = 0; k < node->n_input; k++) add_dep(&d, &d.producer, node->input[k]);
        for (size_t k = 0; k < node->n_attribute; k++) {
            add_subgraph_deps(&d, node->attribute[k]->g, 0);
            for (size_t j = 0; j < node->attribute[k]->n_graphs; j++)
                add_subgraph_deps(&d, node->attribute[k]->graphs[j], 0);
        }
        for (size_t k = d.start[i]; k < d.count; k++) sorted &= d.deps[k] < i;
    }
    d.start[n] = d.count;
    if (sorted) {
        for (size_t i = 0; i < n; i++) order[i] = i;
    } else {
        /* Kahn's algorithm: users lists from the dependency lists. */
        size_t *pending = calloc(n ? n : 1, sizeof *pending);
        size_t *ustart = calloc(n + 1, sizeof *ustart),
               *users = malloc((d.count + 1) * sizeof *users);
        DL_ASSERT(pending && ustart && users);
        for (size_t k = 0; k < d.count; k++) ustart[d.deps[k] + 1]++;
        for (size_t i = 0; i < n; i++) ustart[i + 1] += ustart[i];
        size_t *fill = malloc((n + 1) * sizeof *fill);
        DL_ASSERT(fill);
        memcpy(fill, ustart, (n + 1) * sizeof *fill);
        for (size_t i = 0; i < n; i++) {
            pending[i] = d.start[i + 1] - d.start[i];
            for (size_t k = d.start[i]; k < d.start[i + 1]; k++) users[fill[d.deps[k]]++] = i;
        }
        size_t head = 0, tail = 0;
        for (size_t i = 0; i < n; i++)
            if (!pending[i]) order[tail++] = i;
        while (head < tail) {
            size_t p = order[head++];
            for (size_t k = ustart[p]; k < ustart[p + 1]; k++)
                if (--pending[users[k]] == 0) order[tail++] = users[k];
        }
        if (tail < n) {
            for (size_t i = 0; i < n; i++)
                if (pending[i]) {
                    dl_error(im->ctx, node_loc(im, g->node[i]),
                             "the graph has a cycle: this node depends on its own outputs");
                    break;
                }
            ok = false;
        }
        free(pending);
        free(ustart);
        free(users);
        free(fill);
    }
    onnx_name_map_free(&d.producer);
    free(d.deps);
    free(d.start);
    return ok;
}

bool onnx_import_nodes(onnx_importer *im, const Onnx__GraphProto *g, onnx_scope *s) {
    size_t *order = malloc((g->n_node ? g->n_node : 1) * sizeof *order);
    DL_ASSERT(order);
    bool ordered = order_nodes(im, g, s, order), ok = ordered;
    /* keep going past failing nodes so that every unsupported one is reported */
    for (size_t i = 0; ordered && i < g->n_node; i++)
        ok = onnx_import_node(im, g->node[order[i]], s) && ok;
    for (size_t i = 0; !ordered && i < g->n_node; i++)
        for (size_t k = 0; k < g->node[i]->n_output; k++) {
            const char *o = g->node[i]->output[k];
            if (o && *o && !onnx_name_map_get(&s->values, o))
                onnx_name_map_set(&s->values, o, onnx_placeholder(im));
        }
    free(order);
    return ok;
}

bool onnx_import_subgraph(onnx_importer *im, const Onnx__GraphProto *g, onnx_scope *outer,
                          dl_op *op, unsigned index, unsigned num_arg_types,
                          const dl_type *const *arg_types, const dl_type *const *carried) {
    dl_context *ctx = im->ctx;
    if (im->graph_depth >= ONNX_MAX_GRAPH_DEPTH) {
        dl_op_error(op, "subgraphs are nested more than %d levels deep", ONNX_MAX_GRAPH_DEPTH);
        return false;
    }
    onnx_scope s = {.parent = outer, .block = dl_op_body(op, index)};
    bool ok = true;
    for (size_t i = 0; i < g->n_input; i++) {
        const Onnx__ValueInfoProto *vi = g->input[i];
        const char *name = vi->name ? vi->name : "";
        const char *what = dl_sprintf(ctx, "subgraph input '%s'", name);
        bool has_shape;
        const dl_type *t = onnx_type_convert(im, vi->type, op->loc, what, &has_shape);
        if (!t && !has_shape && i < num_arg_types && arg_types[i]) t = arg_types[i];
        if (t && carried && i < num_arg_types && carried[i]) {
            const dl_type *joined = dl_type_join(ctx, t, carried[i]);
            if (joined) t = joined;
        }
        if (!t) {
            if (!has_shape) dl_op_error(op, "%s has no shape and none can be derived", what);
            ok = false;
            t = dl_type_none(ctx);
        }
        dl_value *arg = dl_block_add_arg(ctx, s.block, t);
        if (*name) {
            arg->name = dl_intern(ctx, name);
            ok = define(im, &s, name, arg, op->loc, "subgraph input") && ok;
        }
    }
    im->graph_depth++;
    ok = onnx_import_initializers(im, g, &s) && ok;
    ok = onnx_import_nodes(im, g, &s) && ok;
    im->graph_depth--;
    if (ok) onnx_check_declared(im, g, &s);
    dl_value **outs = calloc(g->n_output + 1, sizeof *outs);
    DL_ASSERT(outs);
    for (size_t i = 0; ok && i < g->n_output; i++) {
        const char *name = g->output[i]->name ? g->output[i]->name : "";
        outs[i] = onnx_scope_lookup(&s, name);
        if (!outs[i]) {
            dl_op_error(op, "subgraph output '%s' is not defined in the subgraph or around it",
                        name);
            ok = false;
        }
    }
    if (ok) {
        dl_op *y =
            dl_op_create(ctx, DL_OP_graph_Yield, op->loc, (unsigned)g->n_output, outs, 0, NULL, 0);
        dl_block_append(s.block, y);
    }
    free(outs);
    onnx_name_map_free(&s.values);
    return ok;
}

/* The type a TypeProto declares, when it is a fully shaped tensor of a known element type. */
static const dl_type *declared_tensor(onnx_importer *im, const Onnx__TypeProto *tp) {
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type ||
        !tp->tensor_type->shape || tp->tensor_type->shape->n_dim > DL_MAX_RANK)
        return NULL;
    const dl_type *elem = dl_onnx_elem_type(im->ctx, tp->tensor_type->elem_type);
    const Onnx__TensorShapeProto *sh = tp->tensor_type->shape;
    int64_t dims[DL_MAX_RANK];
    for (size_t i = 0; elem && i < sh->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = sh->dim[i];
        bool known = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        if (known && d->dim_value < 0) return NULL;
        dims[i] = known ? d->dim_value : DL_DYN;
    }
    return elem ? dl_type_tensor(im->ctx, elem, (int)sh->n_dim, dims, NULL) : NULL;
}

/* True if two tensor types contradict: element types, ranks or sizes known in both differ. */
static bool contradict(const dl_type *a, const dl_type *b) {
    if (a->elem != b->elem || a->rank != b->rank) return true;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != DL_DYN && b->dims[i] != DL_DYN && a->dims[i] != b->dims[i]) return true;
    return false;
}

static void check_one(onnx_importer *im, const Onnx__ValueInfoProto *vi, const onnx_scope *s) {
    if (!vi->name) return;
    dl_value *v = onnx_name_map_get(&s->values, vi->name);
    const dl_type *d = declared_tensor(im, vi->type);
    if (!v || !d || v->type->kind != DL_TY_TENSOR || !contradict(v->type, d)) return;
    onnx_warn(im, dl_loc_node(im->ctx, im->path, vi->name, "declared type"),
              "the model declares %s, inference gives %s", dl_type_str(im->ctx, d),
              dl_type_str(im->ctx, v->type));
}

void onnx_check_declared(onnx_importer *im, const Onnx__GraphProto *g, const onnx_scope *s) {
    for (size_t i = 0; i < g->n_value_info; i++) check_one(im, g->value_info[i], s);
    for (size_t i = 0; i < g->n_output; i++) check_one(im, g->output[i], s);
}
