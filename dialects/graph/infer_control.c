/* infer_control.c: shape inference rules of the control op family. */
#include "infer.h"

const dl_infer_entry dl_infer_control[] = {
    {DL_OP__INVALID, NULL},
};
