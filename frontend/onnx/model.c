/* model.c: loading ONNX models (file or memory, size and structure limits, protobuf-c
 * unpacking with the message adopted by the context so weights are borrowed, not copied)
 * and building the module's function "main" from the top-level graph. */
#include "onnx_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void free_model(void *p) {
    onnx__model_proto__free_unpacked(p, NULL);
}

/* Unpacks a serialized ModelProto whose lifetime becomes ctx's; NULL after an error. */
static Onnx__ModelProto *unpack_model(dl_context *ctx, const void *data, size_t len, dl_loc loc) {
    if (len > ONNX_MAX_FILE_BYTES) {
        dl_error(ctx, loc, "the model is larger than the 2 GiB protobuf limit");
        return NULL;
    }
    const char *problem = onnx_wire_check(&onnx__model_proto__descriptor, data, len);
    if (problem) {
        dl_error(ctx, loc, "not a valid ONNX model: %s", problem);
        return NULL;
    }
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, data);
    if (!m) {
        dl_error(ctx, loc, "not a valid ONNX model: protobuf decoding failed");
        return NULL;
    }
    dl_context_adopt(ctx, m, free_model);
    return m;
}

/* The type of a graph input of main: declared, or fixed by a -shape override. An input
 * without a declared shape is an error when need_shape is set, else NULL (no error). */
static const dl_type *input_type(onnx_importer *im, const Onnx__ValueInfoProto *vi,
                                 const dl_shape_override *ov, dl_loc loc, bool need_shape) {
    dl_context *ctx = im->ctx;
    const char *what = dl_sprintf(ctx, "graph input '%s'", vi->name);
    bool has_shape;
    const dl_type *t = onnx_type_convert(im, vi->type, loc, what, &has_shape);
    if (!t && has_shape) return NULL;
    if (!ov) {
        if (!t && need_shape)
            dl_error(ctx, loc, "%s has no shape; give one with -shape %s=...", what, vi->name);
        return t;
    }
    if (t && t->kind != DL_TY_TENSOR) {
        dl_error(ctx, loc, "-shape %s: the input is not a tensor", vi->name);
        return NULL;
    }
    if (ov->rank < 0 || ov->rank > DL_MAX_RANK) {
        dl_error(ctx, loc, "-shape %s: rank %d is not supported", vi->name, ov->rank);
        return NULL;
    }
    if (t && t->rank != ov->rank) {
        dl_error(ctx, loc, "-shape %s: the input has rank %d, the override gives %d dims", vi->name,
                 t->rank, ov->rank);
        return NULL;
    }
    for (int i = 0; i < ov->rank; i++) {
        if (ov->dims[i] < 0) {
            dl_error(ctx, loc, "-shape %s: dimension %d is negative", vi->name, i);
            return NULL;
        }
        if (t && t->dims[i] != DL_DYN && t->dims[i] != ov->dims[i]) {
            dl_error(ctx, loc, "-shape %s: dimension %d is %lld in the model, not %lld", vi->name,
                     i, (long long)t->dims[i], (long long)ov->dims[i]);
            return NULL;
        }
    }
    const dl_type *elem = t ? t->elem : NULL;
    if (!elem && vi->type && vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
        vi->type->tensor_type)
        elem = dl_onnx_elem_type(ctx, vi->type->tensor_type->elem_type);
    if (!elem) {
        dl_error(ctx, loc, "%s has no element type", what);
        return NULL;
    }
    return dl_type_tensor(ctx, elem, ov->rank, ov->dims, NULL);
}

/* Checks that every -shape override names a graph input that is not an initializer. */
static bool check_overrides(onnx_importer *im, const Onnx__GraphProto *g,
                            const onnx_name_map *inits) {
    bool ok = true;
    for (unsigned k = 0; im->opts && k < im->opts->num_shapes; k++) {
        const char *name = im->opts->shapes[k].name;
        bool found = false;
        for (size_t i = 0; i < g->n_input && !found; i++)
            found = g->input[i]->name && strcmp(g->input[i]->name, name) == 0 &&
                    !onnx_name_map_get(inits, name);
        if (!found) {
            dl_error(im->ctx, onnx_model_loc(im), "-shape %s: the model has no input named '%s'",
                     name, name);
            ok = false;
        }
    }
    return ok;
}

static const dl_shape_override *find_override(onnx_importer *im, const char *name) {
    const dl_shape_override *found = NULL;
    for (unsigned k = 0; im->opts && k < im->opts->num_shapes; k++)
        if (strcmp(im->opts->shapes[k].name, name) == 0) found = &im->opts->shapes[k];
    return found;
}

static const dl_attr *string_array(dl_context *ctx, unsigned n, const char *const *names) {
    const dl_attr **a = malloc((n + 1) * sizeof *a);
    DL_ASSERT(a);
    for (unsigned i = 0; i < n; i++) a[i] = dl_attr_string(ctx, names[i]);
    const dl_attr *r = dl_attr_array(ctx, n, a);
    free(a);
    return r;
}

/* Builds module { func @main } from the top-level graph; NULL after errors. */
static dl_op *import_main(onnx_importer *im, const Onnx__GraphProto *g) {
    dl_context *ctx = im->ctx;
    dl_loc loc = onnx_model_loc(im);
    unsigned errors = dl_error_count(ctx);
    if (g->n_input > UINT32_MAX / 2 || g->n_output > UINT32_MAX / 2) {
        dl_error(ctx, loc, "the graph has too many inputs or outputs");
        return NULL;
    }
    onnx_name_map inits = {0};
    for (size_t i = 0; i < g->n_initializer; i++)
        if (g->initializer[i]->name) onnx_name_map_set(&inits, g->initializer[i]->name, (void *)1);
    for (size_t i = 0; i < g->n_sparse_initializer; i++)
        if (g->sparse_initializer[i]->values && g->sparse_initializer[i]->values->name)
            onnx_name_map_set(&inits, g->sparse_initializer[i]->values->name, (void *)1);
    check_overrides(im, g, &inits);
    onnx_check_bindings(im, g, &inits);

    /* Inputs become arguments of main, or constants when bound to a value. */
    unsigned num_args = 0, num_bound = 0;
    const dl_type **arg_types = malloc((g->n_input + 1) * sizeof *arg_types);
    const char **arg_names = malloc((g->n_input + 1) * sizeof *arg_names);
    const char **bound_names = malloc((g->n_input + 1) * sizeof *bound_names);
    const dl_attr **bound_values = malloc((g->n_input + 1) * sizeof *bound_values);
    DL_ASSERT(arg_types && arg_names && bound_names && bound_values);
    for (size_t i = 0; i < g->n_input; i++) {
        const Onnx__ValueInfoProto *vi = g->input[i];
        if (!vi->name || !*vi->name) {
            dl_error(ctx, loc, "graph input %zu has no name", i);
            continue;
        }
        if (onnx_name_map_get(&inits, vi->name)) continue; /* an initializer: a constant */
        dl_loc iloc = dl_loc_node(ctx, im->path, vi->name, "graph input");
        const dl_input_binding *b = onnx_find_binding(im, vi->name);
        unsigned before = dl_error_count(ctx);
        const dl_type *t = input_type(im, vi, find_override(im, vi->name), iloc, !b);
        if (dl_error_count(ctx) != before) continue;
        if (b) {
            const dl_attr *v = onnx_bound_value(im, vi, t, b->value, iloc);
            if (v) {
                bound_names[num_bound] = vi->name;
                bound_values[num_bound++] = v;
            }
            continue;
        }
        arg_names[num_args] = vi->name;
        arg_types[num_args++] = t;
    }
    onnx_name_map_free(&inits);
    dl_op *module = NULL;
    if (dl_error_count(ctx) == errors) {
        module = dl_module_create(ctx, loc);
        const dl_type *ft = dl_type_func(ctx, num_args, arg_types, 0, NULL);
        dl_op *func = dl_func_create(module, "main", ft, loc);
        onnx_scope s = {.block = dl_func_entry(func)};
        onnx_import_initializers(im, g, &s);
        for (unsigned i = 0; i < num_args; i++) {
            dl_value *arg = s.block->args[i];
            arg->name = dl_intern(ctx, arg_names[i]);
            if (onnx_name_map_get(&s.values, arg_names[i]))
                dl_error(ctx, loc, "graph input '%s' is defined twice", arg_names[i]);
            onnx_name_map_set(&s.values, arg_names[i], arg);
        }
        for (unsigned i = 0; i < num_bound; i++) {
            if (onnx_name_map_get(&s.values, bound_names[i]))
                dl_error(ctx, loc, "graph input '%s' is defined twice", bound_names[i]);
            onnx_name_map_set(&s.values, bound_names[i],
                              onnx_bind_input(im, s.block, bound_names[i], bound_values[i]));
        }
        if (onnx_import_nodes(im, g, &s)) onnx_check_declared(im, g, &s);

        dl_value **results = malloc((g->n_output + 1) * sizeof *results);
        const dl_type **result_types = malloc((g->n_output + 1) * sizeof *result_types);
        const char **result_names = malloc((g->n_output + 1) * sizeof *result_names);
        DL_ASSERT(results && result_types && result_names);
        for (size_t i = 0; i < g->n_output; i++) {
            const char *name = g->output[i]->name ? g->output[i]->name : "";
            result_names[i] = name;
            results[i] = onnx_scope_lookup(&s, name);
            if (!results[i]) {
                dl_error(ctx, loc,
                         "graph output '%s' is not defined by any node, input or "
                         "initializer",
                         name);
                results[i] = onnx_scope_none(im, &s);
            }
            result_types[i] = results[i]->type;
        }
        dl_op *ret = dl_op_create(ctx, DL_OP_builtin_return, loc, (unsigned)g->n_output, results, 0,
                                  NULL, 0);
        dl_block_append(s.block, ret);
        ft = dl_type_func(ctx, num_args, arg_types, (unsigned)g->n_output, result_types);
        dl_op_set_attr(func, "function_type", dl_attr_type(ctx, ft));
        dl_op_set_attr(func, "arg_names", string_array(ctx, num_args, arg_names));
        dl_op_set_attr(func, "result_names",
                       string_array(ctx, (unsigned)g->n_output, result_names));
        free(results);
        free(result_types);
        free(result_names);
        onnx_name_map_free(&s.values);
    }
    free(arg_types);
    free(arg_names);
    free(bound_names);
    free(bound_values);
    if (module && dl_error_count(ctx) == errors && dl_verify(module) != DL_OK) module = NULL;
    return dl_error_count(ctx) == errors ? module : NULL;
}

/* The folder holding path ("." for a bare file name). */
static const char *folder_of(dl_context *ctx, const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return ".";
    if (slash == path) return "/";
    return dl_strndup(ctx, path, (size_t)(slash - path));
}

static dl_op *import_model(dl_context *ctx, const Onnx__ModelProto *m, const char *path,
                           const dl_onnx_options *opts) {
    onnx_importer im = {.ctx = ctx,
                        .path = path ? dl_intern(ctx, path) : NULL,
                        .opts = opts,
                        .model = m,
                        .opset = 1};
    im.dir = path ? folder_of(ctx, path) : NULL;
    dl_loc loc = onnx_model_loc(&im);
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        if (!o->domain || !*o->domain || strcmp(o->domain, "ai.onnx") == 0)
            im.opset = o->has_version ? o->version : 1;
    }
    if (im.opset < 1 || im.opset > ONNX_LATEST_OPSET) {
        dl_error(ctx, loc, "unsupported opset %lld of domain 'ai.onnx' (supported: 1 to %d)",
                 (long long)im.opset, ONNX_LATEST_OPSET);
        return NULL;
    }
    if (!m->graph) {
        dl_error(ctx, loc, "the model has no graph");
        return NULL;
    }
    dl_op *module = import_main(&im, m->graph);
    free(im.held);
    return module;
}

dl_op *dl_onnx_import_buffer(dl_context *ctx, const void *data, size_t len, const char *path,
                             const dl_onnx_options *opts) {
    dl_loc loc = dl_loc_node(ctx, path ? path : "<memory>", NULL, NULL);
    Onnx__ModelProto *m = unpack_model(ctx, data, len, loc);
    return m ? import_model(ctx, m, path, opts) : NULL;
}

dl_op *dl_onnx_import(dl_context *ctx, const char *path, const dl_onnx_options *opts) {
    dl_loc loc = dl_loc_node(ctx, path, NULL, NULL);
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        dl_error(ctx, loc, "cannot read the model: %s", f ? "not a regular file" : strerror(errno));
        if (f) fclose(f);
        return NULL;
    }
    if ((uint64_t)st.st_size > ONNX_MAX_FILE_BYTES) {
        dl_error(ctx, loc, "the model is larger than the 2 GiB protobuf limit");
        fclose(f);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    size_t got = buf ? fread(buf, 1, len, f) : 0;
    fclose(f);
    if (got != len) {
        dl_error(ctx, loc, "cannot read the model: %s", buf ? "short read" : "out of memory");
        free(buf);
        return NULL;
    }
    /* The unpacked message owns copies of everything; the file buffer goes right away. */
    Onnx__ModelProto *m = unpack_model(ctx, buf, len, loc);
    free(buf);
    return m ? import_model(ctx, m, path, opts) : NULL;
}
