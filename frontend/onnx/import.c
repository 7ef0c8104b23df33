/* import.c: ONNX model import (placeholder until the importer lands). */
#include "dlcc/onnx.h"

dl_op *dl_onnx_import(dl_context *ctx, const char *path, const dl_onnx_options *opts) {
    (void)opts;
    dl_error(ctx, dl_loc_file(ctx, path, 0, 0), "ONNX import is not implemented yet");
    return NULL;
}
