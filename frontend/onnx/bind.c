/* bind.c: specialisation of graph inputs to known values (`dlcc -bind NAME=FILE.pb`,
 * dl_onnx_options.bindings): checking the bindings against the model's inputs and their
 * declared types, and turning a bound input into a graph.Constant of main. */
#include "onnx_internal.h"

#include <string.h>

bool onnx_check_bindings(onnx_importer *im, const Onnx__GraphProto *g, const onnx_name_map *inits) {
    bool ok = true;
    dl_loc loc = onnx_model_loc(im);
    for (unsigned k = 0; im->opts && k < im->opts->num_bindings; k++) {
        const char *name = im->opts->bindings[k].name ? im->opts->bindings[k].name : "";
        bool twice = false;
        for (unsigned j = 0; j < k && !twice; j++)
            twice = im->opts->bindings[j].name && strcmp(im->opts->bindings[j].name, name) == 0;
        if (twice) {
            dl_error(im->ctx, loc, "-bind %s: the input is bound twice", name);
            ok = false;
            continue;
        }
        bool found = false;
        for (size_t i = 0; i < g->n_input && !found; i++)
            found = g->input[i]->name && strcmp(g->input[i]->name, name) == 0;
        if (!found || onnx_name_map_get(inits, name)) {
            dl_error(im->ctx, loc,
                     found ? "-bind %s: '%s' is an initializer of the model, not an input"
                           : "-bind %s: the model has no input named '%s'",
                     name, name);
            ok = false;
        }
    }
    return ok;
}

const dl_input_binding *onnx_find_binding(onnx_importer *im, const char *name) {
    for (unsigned k = 0; im->opts && k < im->opts->num_bindings; k++)
        if (im->opts->bindings[k].name && strcmp(im->opts->bindings[k].name, name) == 0)
            return &im->opts->bindings[k];
    return NULL;
}

const dl_attr *onnx_bound_value(onnx_importer *im, const Onnx__ValueInfoProto *vi,
                                const dl_type *declared, const dl_attr *value, dl_loc loc) {
    dl_context *ctx = im->ctx;
    const Onnx__TypeProto *tp = vi->type;
    if (declared
            ? declared->kind != DL_TY_TENSOR
            : !tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) {
        dl_error(ctx, loc, "-bind %s: the input is not a tensor", vi->name);
        return NULL;
    }
    const dl_type *elem =
        declared ? declared->elem : dl_onnx_elem_type(ctx, tp->tensor_type->elem_type);
    if (!elem) {
        dl_error(ctx, loc, "-bind %s: the input has no supported element type", vi->name);
        return NULL;
    }
    if (!value || value->kind != DL_ATTR_DENSE || value->type->kind != DL_TY_TENSOR) {
        dl_error(ctx, loc, "-bind %s: the value is not a tensor", vi->name);
        return NULL;
    }
    const dl_type *vt = value->type;
    /* ONNX's test data stores bfloat16 tensors as their uint16 bits. */
    if (elem->kind == DL_TY_BF16 && vt->elem->kind == DL_TY_U16) {
        vt = dl_type_tensor(ctx, elem, vt->rank, vt->dims, NULL);
        size_t bytes = value->u.dense.splat ? 2 : (size_t)dl_type_num_elements(vt) * 2;
        value = dl_attr_dense(ctx, vt, value->u.dense.data, bytes, value->u.dense.splat, false);
        DL_ASSERT(value);
    }
    bool match = vt->elem == elem && (!declared || vt->rank == declared->rank);
    for (int i = 0; match && declared && i < vt->rank; i++)
        match = declared->dims[i] == DL_DYN || declared->dims[i] == vt->dims[i];
    if (!match) {
        const char *want = declared ? dl_type_str(ctx, declared)
                                    : dl_sprintf(ctx, "a tensor of %s", dl_type_str(ctx, elem));
        dl_error(ctx, loc, "-bind %s: the value is %s, but the input is declared %s", vi->name,
                 dl_type_str(ctx, value->type), want);
        return NULL;
    }
    return value;
}

dl_value *onnx_bind_input(onnx_importer *im, dl_block *block, const char *name,
                          const dl_attr *value) {
    dl_context *ctx = im->ctx;
    dl_loc loc = dl_loc_node(ctx, im->path, name, "bound input");
    const dl_type *t = value->type;
    dl_op *op = dl_op_create(ctx, DL_OP_graph_Constant, loc, 0, NULL, 1, &t, 0);
    dl_op_set_attr(op, "value", value);
    dl_result(op, 0)->name = dl_intern(ctx, name);
    dl_block_append(block, op);
    return dl_result(op, 0);
}
