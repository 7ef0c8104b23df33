/* arith.h: the arith dialect's internal API: canonical patterns and constant helpers. */
#ifndef DLCC_ARITH_H
#define DLCC_ARITH_H

#include "dlcc/pass.h"

const dl_pattern *dl_arith_patterns(size_t *count);

/* The scalar constant attribute defining v (arith.constant), or NULL. */
const dl_attr *dl_arith_constant_of(const dl_value *v);
/* Builds an arith.constant of scalar or vector type t holding v (converted to t's element). */
dl_value *dl_arith_const(dl_builder *b, const dl_type *t, double v);
dl_value *dl_arith_const_int(dl_builder *b, const dl_type *t, int64_t v);
dl_value *dl_arith_index(dl_builder *b, int64_t v);

#endif
