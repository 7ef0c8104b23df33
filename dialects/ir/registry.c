/* registry.c: the op registry generated from every dialect's ops.def table. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Prototypes of all verifiers named in the tables (repeats are harmless). */
#define DL_OP(d, n, a, b, c, e, r, t, verify) dl_status verify(dl_op *op);
#include "arith/ops.def"
#include "builtin/ops.def"
#include "graph/ops.def"
#include "kernel/ops.def"
#include "loop/ops.def"
#undef DL_OP

const dl_op_info dl_op_infos[DL_OP__COUNT] = {
#define DL_OP(d, n, min_in, max_in, min_out, max_out, regions, traits, verify)                     \
    [DL_OP_##d##_##                                                                                \
        n] = {#d "." #n, #d, #n, min_in, max_in, min_out, max_out, regions, traits, verify},
#include "arith/ops.def"
#include "builtin/ops.def"
#include "graph/ops.def"
#include "kernel/ops.def"
#include "loop/ops.def"
#undef DL_OP
};

dl_status dl_verify_none(dl_op *op) {
    (void)op;
    return DL_OK;
}

static int by_name(const void *a, const void *b) {
    return strcmp(dl_op_infos[*(const int *)a].name, dl_op_infos[*(const int *)b].name);
}

static const int *sorted_kinds(void) {
    static int sorted[DL_OP__COUNT];
    static bool ready;
    if (!ready) {
        for (int i = 0; i < DL_OP__COUNT; i++) sorted[i] = i;
        qsort(sorted, DL_OP__COUNT, sizeof(int), by_name);
        ready = true;
    }
    return sorted;
}

dl_op_kind dl_op_kind_lookup(const char *name) {
    const int *s = sorted_kinds();
    int lo = 0, hi = DL_OP__COUNT - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(dl_op_infos[s[mid]].name, name);
        if (c == 0) return (dl_op_kind)s[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return DL_OP__INVALID;
}

dl_op_kind dl_op_kind_lookup2(const char *dialect, const char *mnemonic) {
    char buf[256];
    if ((size_t)snprintf(buf, sizeof buf, "%s.%s", dialect, mnemonic) >= sizeof buf)
        return DL_OP__INVALID;
    return dl_op_kind_lookup(buf);
}
