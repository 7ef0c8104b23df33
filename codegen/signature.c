/* signature.c: the compiled model's signature read from the loop-level main: which arguments
 * are inputs and outputs, their names, element types and shapes, and the arena. */
#include "codegen/cg.h"
#include "dlcc/runtime.h"

#include <ctype.h>
#include <string.h>

int cg_onnx_elem_type(dl_type_kind kind) {
    switch (kind) {
    case DL_TY_F32: return DLCC_FLOAT;
    case DL_TY_F64: return DLCC_DOUBLE;
    case DL_TY_F16: return DLCC_FLOAT16;
    case DL_TY_BF16: return DLCC_BFLOAT16;
    case DL_TY_I1: return DLCC_BOOL;
    case DL_TY_I8: return DLCC_INT8;
    case DL_TY_I16: return DLCC_INT16;
    case DL_TY_I32: return DLCC_INT32;
    case DL_TY_I64: return DLCC_INT64;
    case DL_TY_INDEX: return DLCC_INT64;
    case DL_TY_U8: return DLCC_UINT8;
    case DL_TY_U16: return DLCC_UINT16;
    case DL_TY_U32: return DLCC_UINT32;
    case DL_TY_U64: return DLCC_UINT64;
    default: return 0;
    }
}

const char *cg_elem_type_name(dl_type_kind kind) {
    switch (kind) {
    case DL_TY_F16: return "float16";
    case DL_TY_BF16: return "bfloat16";
    case DL_TY_F32: return "float32";
    case DL_TY_F64: return "float64";
    case DL_TY_I1: return "bool";
    case DL_TY_I8: return "int8";
    case DL_TY_I16: return "int16";
    case DL_TY_I32: return "int32";
    case DL_TY_I64:
    case DL_TY_INDEX: return "int64";
    case DL_TY_U8: return "uint8";
    case DL_TY_U16: return "uint16";
    case DL_TY_U32: return "uint32";
    case DL_TY_U64: return "uint64";
    default: return "?";
    }
}

/* The strings of an array-of-strings attribute; count -1 when absent or malformed. */
static int string_array(const dl_attr *a, const char **out, int max) {
    if (!a || a->kind != DL_ATTR_ARRAY) return -1;
    for (unsigned i = 0; i < a->u.array.n; i++) {
        if (a->u.array.elems[i]->kind != DL_ATTR_STRING) return -1;
        if ((int)i < max) out[i] = a->u.array.elems[i]->u.str.data;
    }
    return (int)a->u.array.n;
}

static bool is_c_keyword(const char *s) {
    static const char *const kw[] = {
        "auto",    "break",  "case",     "char",    "const",    "continue",  "default",
        "do",      "double", "else",     "enum",    "extern",   "float",     "for",
        "goto",    "if",     "inline",   "int",     "long",     "register",  "restrict",
        "return",  "short",  "signed",   "sizeof",  "static",   "struct",    "switch",
        "typedef", "union",  "unsigned", "void",    "volatile", "while",     "bool",
        "true",    "false",  "inputs",   "outputs", "args",     "class",     "new",
        "delete",  "this",   "template", "private", "public",   "namespace", "operator"};
    for (size_t i = 0; i < sizeof kw / sizeof *kw; i++)
        if (strcmp(s, kw[i]) == 0) return true;
    return false;
}

/* A C identifier for name, distinct from the first n entries of taken. */
static const char *c_identifier(dl_context *ctx, const char *name, cg_tensor *taken, unsigned n) {
    size_t len = strlen(name);
    char *s = dl_alloc(ctx, len + 16);
    size_t k = 0;
    if (len == 0 || isdigit((unsigned char)name[0])) s[k++] = '_';
    for (size_t i = 0; i < len; i++) s[k++] = isalnum((unsigned char)name[i]) ? name[i] : '_';
    if (is_c_keyword(s)) s[k++] = '_';
    s[k] = 0;
    const char *candidate = s;
    for (int suffix = 2;; suffix++) {
        bool clash = false;
        for (unsigned i = 0; i < n && !clash; i++) clash = strcmp(taken[i].c_name, candidate) == 0;
        if (!clash) return candidate;
        candidate = dl_sprintf(ctx, "%s_%d", s, suffix);
    }
}

static dl_status describe(dl_op *func, dl_value *arg, const char *name, cg_tensor *t) {
    const dl_type *ty = arg->type;
    if (ty->kind != DL_TY_MEMREF)
        return dl_op_error(func, "argument '%s' must be a memref, got %s", name,
                           dl_type_str(func->ctx, ty));
    if (!dl_type_has_static_shape(ty))
        return dl_op_error(func,
                           "argument '%s' has the dynamic shape %s: code generation needs static "
                           "shapes (fix symbolic dims with -shape NAME=DIMS)",
                           name, dl_type_str(func->ctx, ty));
    if (ty->strides || ty->offset != 0)
        return dl_op_error(func, "argument '%s' must be a contiguous row-major memref, got %s",
                           name, dl_type_str(func->ctx, ty));
    for (int d = 0; d < ty->rank; d++)
        if (ty->dims[d] > INT32_MAX)
            return dl_op_error(func, "argument '%s': dimension %d is too large for the Halide ABI",
                               name, d);
    t->name = name;
    t->type = ty;
    t->onnx_type = cg_onnx_elem_type(ty->elem->kind);
    t->num_elements = dl_type_num_elements(ty);
    t->elem_bytes = (int64_t)dl_scalar_size(ty->elem->kind);
    return DL_OK;
}

static dl_op *find_main(dl_op *module) {
    dl_op *main = dl_module_lookup_func(module, "main");
    if (main) return main;
    dl_op *only = NULL;
    for (dl_op *op = dl_module_body(module)->first; op; op = op->next) {
        if (op->kind != DL_OP_builtin_func) continue;
        if (only) return NULL;
        only = op;
    }
    return only;
}

dl_status cg_signature_build(dl_op *module, cg_signature *sig) {
    dl_context *ctx = module->ctx;
    memset(sig, 0, sizeof *sig);
    dl_op *func = find_main(module);
    if (!func) {
        dl_error(ctx, module->loc, "the module has no function 'main' to compile");
        return DL_FAILURE;
    }
    sig->func = func;
    dl_block *entry = dl_func_entry(func);
    const dl_type *fty = dl_func_type(func);
    if (fty->num_results != 0)
        return dl_op_error(func, "a loop-level function returns nothing (outputs are arguments); "
                                 "is the module lowered to the loop level?");
    const dl_attr *arena = dl_op_attr(func, "arena_bytes");
    unsigned nargs = entry->num_args;
    if (arena) {
        if (arena->kind != DL_ATTR_INT || arena->u.i < 0 || nargs == 0)
            return dl_op_error(func, "'arena_bytes' must be a non-negative integer with the arena "
                                     "as the last argument");
        const dl_type *at = entry->args[nargs - 1]->type;
        if (at->kind != DL_TY_MEMREF || at->rank != 1 || at->elem->kind != DL_TY_I8 ||
            at->dims[0] == DL_DYN || at->dims[0] < arena->u.i)
            return dl_op_error(func, "the last argument must be the arena memref<%lldxi8>",
                               (long long)arena->u.i);
        sig->has_arena = true;
        sig->arena_bytes = at->dims[0];
        nargs--;
    }
    enum { MAX_ARGS = 4096 };
    const char **in_names = dl_alloc(ctx, sizeof(char *) * MAX_ARGS);
    const char **out_names = dl_alloc(ctx, sizeof(char *) * MAX_ARGS);
    int nin = string_array(dl_op_attr(func, "arg_names"), in_names, MAX_ARGS);
    int nout = string_array(dl_op_attr(func, "result_names"), out_names, MAX_ARGS);
    if (nin > MAX_ARGS || nout > MAX_ARGS || nargs > MAX_ARGS)
        return dl_op_error(func, "too many inputs and outputs");
    if (nin < 0 && nout < 0)
        return dl_op_error(func, "cannot tell inputs from outputs: the function needs "
                                 "'arg_names' or 'result_names'");
    if (nin < 0) nin = (int)nargs - nout;
    if (nout < 0) nout = (int)nargs - nin;
    if (nin < 0 || nout < 0 || (unsigned)(nin + nout) != nargs)
        return dl_op_error(func, "%u memref arguments do not match %d input and %d output names",
                           nargs, nin, nout);
    sig->num_inputs = (unsigned)nin;
    sig->num_outputs = (unsigned)nout;
    sig->inputs = DL_NEW_ARRAY(ctx, cg_tensor, nin + 1);
    sig->outputs = DL_NEW_ARRAY(ctx, cg_tensor, nout + 1);
    cg_tensor *all = DL_NEW_ARRAY(ctx, cg_tensor, nargs + 1);
    for (unsigned i = 0; i < nargs; i++) {
        bool is_in = i < (unsigned)nin;
        const char *given = is_in ? in_names[i] : out_names[i - nin];
        const char *name = given && *given ? given
                           : is_in         ? dl_sprintf(ctx, "input%u", i)
                                           : dl_sprintf(ctx, "output%u", i - nin);
        if (describe(func, entry->args[i], name, &all[i])) return DL_FAILURE;
        all[i].c_name = c_identifier(ctx, name, all, i);
    }
    memcpy(sig->inputs, all, sizeof(cg_tensor) * (size_t)nin);
    memcpy(sig->outputs, all + nin, sizeof(cg_tensor) * (size_t)nout);
    return DL_OK;
}
