/* tensor_file.c: reading and writing serialized TensorProto files (the ONNX test-data layout:
 * test_data_set_0/input_0.pb, output_0.pb), used by dlcc-run and the tests. */
#include "onnx_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void free_tensor(void *p) {
    onnx__tensor_proto__free_unpacked(p, NULL);
}

const dl_attr *dl_onnx_read_tensor(dl_context *ctx, const char *path, const char **name) {
    dl_loc loc = dl_loc_node(ctx, path, NULL, NULL);
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > ONNX_MAX_FILE_BYTES) {
        dl_error(ctx, loc, "cannot read the tensor file: %s",
                 !f ? strerror(errno) : "not a regular file below 2 GiB");
        if (f) fclose(f);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    size_t got = buf ? fread(buf, 1, len, f) : 0;
    fclose(f);
    const char *problem = got != len ? (buf ? "short read" : "out of memory")
                                     : onnx_wire_check(&onnx__tensor_proto__descriptor, buf, len);
    Onnx__TensorProto *t = problem ? NULL : onnx__tensor_proto__unpack(NULL, len, buf);
    free(buf);
    if (!t) {
        dl_error(ctx, loc, "not a valid tensor file: %s", problem ? problem : "decoding failed");
        return NULL;
    }
    dl_context_adopt(ctx, t, free_tensor);
    onnx_importer im = {.ctx = ctx, .path = dl_intern(ctx, path)};
    const dl_attr *a = onnx_tensor_decode(&im, t, loc, "tensor");
    if (a && name) *name = dl_strdup(ctx, t->name ? t->name : "");
    return a;
}

dl_status dl_onnx_write_tensor(dl_context *ctx, const char *path, const char *name,
                               const dl_type *t, const void *data) {
    dl_loc loc = dl_loc_node(ctx, path, NULL, NULL);
    int code = t->kind == DL_TY_TENSOR ? dl_onnx_type_code(t->elem->kind) : 0;
    int64_t n = dl_type_num_elements(t);
    if (!code || n < 0) {
        dl_error(ctx, loc, "cannot write a tensor of type %s", dl_type_str(ctx, t));
        return DL_FAILURE;
    }
    Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
    tp.n_dims = (size_t)t->rank;
    tp.dims = (int64_t *)t->dims;
    tp.has_data_type = true;
    tp.data_type = code;
    tp.name = (char *)(name ? name : "");
    tp.has_raw_data = true;
    tp.raw_data.len = (size_t)n * dl_scalar_size(t->elem->kind);
    tp.raw_data.data = (uint8_t *)data;
    size_t len = onnx__tensor_proto__get_packed_size(&tp);
    uint8_t *buf = malloc(len ? len : 1);
    DL_ASSERT(buf);
    onnx__tensor_proto__pack(&tp, buf);
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(buf, 1, len, f) == len;
    if (f) ok = fclose(f) == 0 && ok;
    free(buf);
    if (!ok) {
        dl_error(ctx, loc, "cannot write the tensor file: %s", strerror(errno));
        return DL_FAILURE;
    }
    return DL_OK;
}
