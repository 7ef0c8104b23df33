/* infer_reduce.c: shape inference rules of the reduce op family. */
#include "infer.h"

const dl_infer_entry dl_infer_reduce[] = {
    {DL_OP__INVALID, NULL},
};
