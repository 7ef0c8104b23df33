/* internal.h: the interpreter's value representation and scalar semantics, shared by its
 * source files. */
#ifndef DLCC_INTERP_INTERNAL_H
#define DLCC_INTERP_INTERNAL_H

#include "dlcc/ir.h"

/* One scalar lane. Floats hold their value as a double (exactly representable in their own
 * type); integers as int64, sign-extended for signed types, zero-extended for unsigned
 * ones (u64 keeps its bit pattern), 0/1 for i1. */
typedef union ip_lane {
    int64_t i;
    double f;
} ip_lane;

/* Wraps an integer to the width and signedness of scalar kind k. */
int64_t ip_wrap(int64_t v, dl_type_kind k);
/* Rounds a double to the precision of float kind k. */
double ip_round_float(double v, dl_type_kind k);

/* Reads / writes one element of scalar kind k at p. */
ip_lane ip_load_scalar(const void *p, dl_type_kind k);
void ip_store_scalar(void *p, dl_type_kind k, ip_lane v);

/* arith.constant's value attribute as a lane of kind k. */
ip_lane ip_lane_from_attr(const dl_attr *a, dl_type_kind k);

/* Evaluates arith op `op` on one lane. in_kind is the element kind of the operands (for cast
 * and cmp the operand kind, otherwise the result's), out_kind the result's element kind.
 * Returns false for an op that is not a lane-wise arith op. */
bool ip_eval_lane(const dl_op *op, dl_type_kind in_kind, dl_type_kind out_kind, const ip_lane *args,
                  ip_lane *out);

#endif
