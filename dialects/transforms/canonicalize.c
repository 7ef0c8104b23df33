/* canonicalize.c: the canonicalize pass: every dialect's canonical patterns, applied greedily. */
#include "arith/arith.h"
#include "graph/graph.h"

#include <stdlib.h>
#include <string.h>

typedef const dl_pattern *(*pattern_set_fn)(size_t *count);

static const pattern_set_fn pattern_sets[] = {dl_graph_patterns, dl_arith_patterns};

dl_status dl_pass_canonicalize(dl_op *module, const dl_pass_options *options) {
    (void)options;
    size_t total = 0;
    for (size_t i = 0; i < sizeof pattern_sets / sizeof *pattern_sets; i++) {
        size_t n;
        pattern_sets[i](&n);
        total += n;
    }
    dl_pattern *all = malloc(sizeof(dl_pattern) * (total ? total : 1));
    DL_ASSERT(all);
    size_t k = 0;
    for (size_t i = 0; i < sizeof pattern_sets / sizeof *pattern_sets; i++) {
        size_t n;
        const dl_pattern *p = pattern_sets[i](&n);
        memcpy(all + k, p, sizeof(*p) * n);
        k += n;
    }
    dl_apply_patterns(module, all, total);
    free(all);
    return DL_OK;
}
