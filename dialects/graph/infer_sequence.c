/* infer_sequence.c: shape inference rules of the sequence op family. */
#include "infer.h"

const dl_infer_entry dl_infer_sequence[] = {
    {DL_OP__INVALID, NULL},
};
