/* fold_shape.c: constant-folding rules of the shape op family. */
#include "fold.h"

const dl_fold_entry dl_fold_shape[] = {
    {DL_OP__INVALID, NULL},
};
