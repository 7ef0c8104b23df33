/* infer_elementwise.c: shape inference rules of the elementwise op family. */
#include "infer.h"

const dl_infer_entry dl_infer_elementwise[] = {
    {DL_OP__INVALID, NULL},
};
