/* buffer_check.c: validation of the halide_buffer_t arguments of a compiled model's entry point
 * against the model's input and output descriptions, with Halide error codes and messages. */
#include "support.h"

#include <stdarg.h>
#include <stdio.h>

/* Formats the message, passes it to halide_error and returns code. */
__attribute__((format(printf, 2, 3))) static int report(int code, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    halide_error(NULL, msg);
    return code;
}

/* The Halide type of an ONNX element type; false for types without one. */
static int halide_type_of(int32_t elem_type, struct halide_type_t *t) {
    static const struct {
        int32_t onnx;
        uint8_t code, bits;
    } table[] = {
        {DLCC_FLOAT, halide_type_float, 32},   {DLCC_DOUBLE, halide_type_float, 64},
        {DLCC_FLOAT16, halide_type_float, 16}, {DLCC_BFLOAT16, halide_type_bfloat, 16},
        {DLCC_INT8, halide_type_int, 8},       {DLCC_INT16, halide_type_int, 16},
        {DLCC_INT32, halide_type_int, 32},     {DLCC_INT64, halide_type_int, 64},
        {DLCC_UINT8, halide_type_uint, 8},     {DLCC_UINT16, halide_type_uint, 16},
        {DLCC_UINT32, halide_type_uint, 32},   {DLCC_UINT64, halide_type_uint, 64},
        {DLCC_BOOL, halide_type_uint, 1},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        if (table[i].onnx == elem_type) {
            t->code = table[i].code;
            t->bits = table[i].bits;
            t->lanes = 1;
            return 1;
        }
    }
    return 0;
}

static const char *type_code_name(uint8_t code) {
    switch (code) {
    case halide_type_int: return "int";
    case halide_type_uint: return "uint";
    case halide_type_float: return "float";
    case halide_type_handle: return "handle";
    case halide_type_bfloat: return "bfloat";
    default: return "unknown";
    }
}

int dlcc_check_buffer(const char *fn, const dlcc_tensor_info *t, int32_t index, int32_t is_output,
                      const struct halide_buffer_t *buf) {
    const char *kind = is_output ? "output" : "input";
    if (!buf)
        return report(halide_error_code_buffer_argument_is_null,
                      "%s: %s %d '%s': the halide_buffer_t pointer is NULL", fn, kind, index,
                      t->name);
    struct halide_type_t want;
    if (!halide_type_of(t->elem_type, &want))
        return report(halide_error_code_internal_error,
                      "%s: %s %d '%s': element type %d has no Halide type", fn, kind, index,
                      t->name, t->elem_type);
    if (buf->type.code != want.code || buf->type.bits != want.bits || buf->type.lanes != 1)
        return report(halide_error_code_bad_type,
                      "%s: %s %d '%s' has type %s%u x %u, expected %s%u", fn, kind, index, t->name,
                      type_code_name(buf->type.code), buf->type.bits, buf->type.lanes,
                      type_code_name(want.code), want.bits);
    if (buf->dimensions != t->rank)
        return report(halide_error_code_bad_dimensions,
                      "%s: %s %d '%s' has %d dimensions, expected %d", fn, kind, index, t->name,
                      buf->dimensions, t->rank);
    if (t->rank > 0 && !buf->dim)
        return report(halide_error_code_bad_dimensions, "%s: %s %d '%s' has a NULL dim array", fn,
                      kind, index, t->name);
    int64_t stride = 1;
    for (int32_t d = 0; d < t->rank; d++) {
        /* Halide dimension d is ONNX axis rank-1-d. */
        int64_t want_extent = t->dims[t->rank - 1 - d];
        const halide_dimension_t *dim = &buf->dim[d];
        if (dim->extent != want_extent)
            return report(halide_error_code_constraint_violated,
                          "%s: %s %d '%s': dimension %d (ONNX axis %d) has extent %d, expected "
                          "%lld",
                          fn, kind, index, t->name, d, t->rank - 1 - d, dim->extent,
                          (long long)want_extent);
        /* strides of extent-1 dims and of empty buffers never matter */
        if (want_extent != 1 && t->num_elements > 0 && dim->stride != stride)
            return report(halide_error_code_constraint_violated,
                          "%s: %s %d '%s': dimension %d has stride %d, expected %lld (dense "
                          "row-major layout)",
                          fn, kind, index, t->name, d, dim->stride, (long long)stride);
        stride *= want_extent;
    }
    if (!buf->host && t->num_elements > 0)
        return report(halide_error_code_host_is_null, "%s: %s %d '%s' has no host memory", fn, kind,
                      index, t->name);
    return 0;
}

int dlcc_input_to_host(struct halide_buffer_t *buf) {
    if (!(buf->flags & halide_buffer_flag_device_dirty)) return 0;
    return halide_copy_to_host(NULL, buf);
}

void dlcc_output_written(struct halide_buffer_t *buf) {
    buf->flags =
        (buf->flags | halide_buffer_flag_host_dirty) & ~(uint64_t)halide_buffer_flag_device_dirty;
}

int dlcc_check_pointer(const char *fn, const char *what, const void *p) {
    if (p) return 0;
    return report(halide_error_code_buffer_argument_is_null, "%s: %s is NULL", fn, what);
}
