/* infer_misc.c: shape inference rules of the misc op family. */
#include "infer.h"

const dl_infer_entry dl_infer_misc[] = {
    {DL_OP__INVALID, NULL},
};
