/* infer_nn.c: shape inference rules of the nn op family. */
#include "infer.h"

const dl_infer_entry dl_infer_nn[] = {
    {DL_OP__INVALID, NULL},
};
