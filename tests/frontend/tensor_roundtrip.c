/* tensor_roundtrip.c: reads TensorProto files with dl_onnx_read_tensor and writes them back
 * with dl_onnx_write_tensor: `tensor_roundtrip IN.pb OUT.pb ...`. Prints one line per file,
 * "TYPE NAME", for check_tensor_files.py to compare with python3-onnx. Exit 1 on any error. */
#include "dlcc/onnx.h"

#include <stdio.h>

int main(int argc, char **argv) {
    int status = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        dl_context *ctx = dl_context_create();
        const char *name = NULL;
        const dl_attr *t = dl_onnx_read_tensor(ctx, argv[i], &name);
        if (!t || dl_onnx_write_tensor(ctx, argv[i + 1], name, t->type, t->u.dense.data) != DL_OK) {
            dl_diags_flush(ctx, stderr);
            status = 1;
        } else {
            printf("%s %s\n", dl_type_str(ctx, t->type), name);
        }
        dl_context_destroy(ctx);
    }
    return status;
}
