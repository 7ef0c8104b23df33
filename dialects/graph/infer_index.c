/* infer_index.c: shape inference rules of the index op family. */
#include "infer.h"

const dl_infer_entry dl_infer_index[] = {
    {DL_OP__INVALID, NULL},
};
