/* ir.h: operations, values, blocks and regions; the op registry built from the
 * dialects' X-macro tables. */
#ifndef DLCC_IR_H
#define DLCC_IR_H

#include "dlcc/attrs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dl_op dl_op;
typedef struct dl_value dl_value;
typedef struct dl_block dl_block;
typedef struct dl_region dl_region;
typedef struct dl_use dl_use;

/* ---- Op registry --------------------------------------------------------- */

/* Op traits (bit flags in the op tables). */
enum {
    DL_TRAIT_PURE = 1u << 0,        /* no side effects: CSE/DCE may touch it */
    DL_TRAIT_COMMUTATIVE = 1u << 1, /* operands 0 and 1 may be swapped */
    DL_TRAIT_TERMINATOR = 1u << 2,  /* ends a block */
    DL_TRAIT_ISOLATED = 1u << 3,    /* regions see no values from outside */
    DL_TRAIT_CONSTANT = 1u << 4,    /* result is given by the `value` attribute */
    DL_TRAIT_ELEMENTWISE = 1u << 5, /* per-element (with broadcasting) tensor op */
    DL_TRAIT_SYMBOL = 1u << 6,      /* defines `sym_name` */
};

/* Every dialect lists its ops in dialects/<name>/ops.def with rows
 *   DL_OP(dialect, Name, min_operands, max_operands, min_results, max_results,
 *         num_regions, traits, verify)
 * where a max of -1 means variadic and verify is NULL or a dl_verify_fn. */
typedef enum dl_op_kind {
#define DL_OP(dialect, name, ...) DL_OP_##dialect##_##name,
#include "builtin/ops.def"
#include "graph/ops.def"
#include "kernel/ops.def"
#include "arith/ops.def"
#include "loop/ops.def"
#undef DL_OP
    DL_OP__COUNT,
    DL_OP__INVALID = DL_OP__COUNT
} dl_op_kind;

typedef dl_status (*dl_verify_fn)(dl_op *op);

typedef struct dl_op_info {
    const char *name;     /* "graph.Conv" */
    const char *dialect;  /* "graph" */
    const char *mnemonic; /* "Conv" */
    int min_operands, max_operands, min_results, max_results, num_regions;
    unsigned traits;
    dl_verify_fn verify;
} dl_op_info;

extern const dl_op_info dl_op_infos[DL_OP__COUNT];

/* The op kind with the given full name ("graph.Conv"), or DL_OP__INVALID. */
dl_op_kind dl_op_kind_lookup(const char *name);
/* The op kind by dialect and mnemonic ("graph", "Conv"), or DL_OP__INVALID. */
dl_op_kind dl_op_kind_lookup2(const char *dialect, const char *mnemonic);

/* ---- Core structures ----------------------------------------------------- */

/* One use of a value as an operand of an op. */
struct dl_use {
    dl_value *value;
    dl_op *owner;
    unsigned index;
    dl_use *next, **pprev;
};

/* An SSA value: an op result or a block argument. */
struct dl_value {
    const dl_type *type;
    dl_op *def;       /* defining op, NULL for a block argument */
    dl_block *block;  /* owning block of a block argument */
    unsigned index;   /* result or argument index */
    dl_use *uses;     /* list of uses */
    const char *name; /* name hint (interned) or NULL; printed when unique */
};

struct dl_op {
    dl_op_kind kind;
    dl_context *ctx;
    dl_loc loc;
    unsigned num_operands, num_results, num_regions, num_attrs, cap_attrs;
    dl_use *operands;
    dl_value *results;
    dl_region *regions;
    dl_named_attr *attrs; /* sorted by name */
    dl_block *block;      /* parent block, NULL when detached */
    dl_op *prev, *next;
};

struct dl_block {
    dl_region *region; /* parent region */
    unsigned num_args, cap_args;
    dl_value **args;
    dl_op *first, *last;
    dl_block *prev, *next;
};

struct dl_region {
    dl_op *op; /* parent op */
    dl_block *first, *last;
};

static inline const dl_op_info *dl_op_info_of(const dl_op *op) {
    return &dl_op_infos[op->kind];
}
static inline bool dl_op_has_trait(const dl_op *op, unsigned t) {
    return (dl_op_infos[op->kind].traits & t) != 0;
}
static inline dl_value *dl_operand(const dl_op *op, unsigned i) {
    return op->operands[i].value;
}
static inline dl_value *dl_result(dl_op *op, unsigned i) {
    return &op->results[i];
}
static inline dl_region *dl_op_region(dl_op *op, unsigned i) {
    return &op->regions[i];
}
/* The op containing op, or NULL at top level. */
dl_op *dl_op_parent(const dl_op *op);
/* The only block of region i (created if the region is empty). */
dl_block *dl_op_body(dl_op *op, unsigned region);

/* ---- Creating and editing ops --------------------------------------------- */

/* Creates a detached op with the given operands, result types and empty regions.
 * Arity is not checked here (the verifier does). */
dl_op *dl_op_create(dl_context *ctx, dl_op_kind kind, dl_loc loc, unsigned num_operands,
                    dl_value *const *operands, unsigned num_results,
                    const dl_type *const *result_types, unsigned num_regions);
/* Copies op (attributes, results' types and, recursively, regions). Operands are
 * mapped through map (old value -> new value) when present in it. */
typedef struct dl_value_map dl_value_map;
dl_op *dl_op_clone(dl_op *op, dl_value_map *map);

/* Attributes. name is any string (interned internally). */
const dl_attr *dl_op_attr(const dl_op *op, const char *name);
void dl_op_set_attr(dl_op *op, const char *name, const dl_attr *attr);
void dl_op_remove_attr(dl_op *op, const char *name);
/* Typed attribute getters with defaults. */
int64_t dl_op_attr_int(const dl_op *op, const char *name, int64_t dflt);
double dl_op_attr_float(const dl_op *op, const char *name, double dflt);
const char *dl_op_attr_str(const dl_op *op, const char *name, const char *dflt);
/* Integer array attribute: returns element count (or -1 if absent) and stores up to
 * max values in out. */
int dl_op_attr_ints(const dl_op *op, const char *name, int64_t *out, int max);

void dl_op_set_operand(dl_op *op, unsigned i, dl_value *v);
void dl_op_set_operands(dl_op *op, unsigned n, dl_value *const *vals);
void dl_op_set_result_type(dl_op *op, unsigned i, const dl_type *t);
/* Replaces every use of from with to. */
void dl_value_replace_all_uses(dl_value *from, dl_value *to);
/* Replaces every use of op's results by vals (num_results of them). */
void dl_op_replace_uses(dl_op *op, dl_value *const *vals);
static inline bool dl_value_has_uses(const dl_value *v) {
    return v->uses != NULL;
}
unsigned dl_value_num_uses(const dl_value *v);
bool dl_op_results_unused(const dl_op *op);

/* Insertion. op must be detached. */
void dl_block_append(dl_block *b, dl_op *op);
void dl_block_prepend(dl_block *b, dl_op *op);
void dl_op_insert_before(dl_op *pos, dl_op *op);
void dl_op_insert_after(dl_op *pos, dl_op *op);
/* Detaches op from its block (operands still reference their values). */
void dl_op_unlink(dl_op *op);
/* Unlinks op and drops its (and its nested ops') operand uses. Its results must
 * have no uses left. The memory stays in the arena. */
void dl_op_erase(dl_op *op);
/* Moves op before pos (both may be in different blocks). */
void dl_op_move_before(dl_op *op, dl_op *pos);

dl_block *dl_block_create(dl_context *ctx);
dl_value *dl_block_add_arg(dl_context *ctx, dl_block *b, const dl_type *t);
void dl_region_append(dl_region *r, dl_block *b);
/* Op index within its block order (O(n)); use sparingly. */
bool dl_op_is_before_in_block(const dl_op *a, const dl_op *b);

/* ---- Builders ------------------------------------------------------------ */

/* Inserts new ops at a point: before `before` in `block`, or at the block's end
 * when before is NULL. New ops take loc. */
typedef struct dl_builder {
    dl_context *ctx;
    dl_block *block;
    dl_op *before;
    dl_loc loc;
} dl_builder;

dl_builder dl_builder_at_end(dl_context *ctx, dl_block *b);
dl_builder dl_builder_before(dl_op *op);
dl_builder dl_builder_after(dl_op *op);
/* Creates and inserts an op. */
dl_op *dl_build(dl_builder *b, dl_op_kind kind, unsigned num_operands, dl_value *const *operands,
                unsigned num_results, const dl_type *const *result_types, unsigned num_regions);
/* One-result convenience: returns the result value. */
dl_value *dl_build1(dl_builder *b, dl_op_kind kind, unsigned num_operands,
                    dl_value *const *operands, const dl_type *result_type);

/* ---- Modules and functions (builtin dialect) ------------------------------ */

/* A new builtin.module with an empty body block. */
dl_op *dl_module_create(dl_context *ctx, dl_loc loc);
dl_block *dl_module_body(dl_op *module);
/* A new builtin.func named name with the given signature, appended to the module;
 * its entry block has one argument per input. */
dl_op *dl_func_create(dl_op *module, const char *name, const dl_type *func_type, dl_loc loc);
dl_block *dl_func_entry(dl_op *func);
const dl_type *dl_func_type(const dl_op *func);
const char *dl_func_name(const dl_op *func);
/* The function with the given symbol name in module, or NULL. */
dl_op *dl_module_lookup_func(dl_op *module, const char *name);
/* The func's builtin.return op (the entry block's terminator), or NULL. */
dl_op *dl_func_return(dl_op *func);

/* ---- Walking ------------------------------------------------------------- */

typedef enum dl_walk_result { DL_WALK_ADVANCE, DL_WALK_SKIP, DL_WALK_INTERRUPT } dl_walk_result;
typedef dl_walk_result (*dl_walk_fn)(dl_op *op, void *user);
/* Pre-order walk over op and every op nested in its regions. fn may erase the op
 * it is given only when it returns DL_WALK_SKIP. Returns DL_WALK_INTERRUPT if the
 * walk was interrupted. */
dl_walk_result dl_walk(dl_op *op, dl_walk_fn fn, void *user);
/* Post-order walk (nested ops first); fn may erase the op it is given. */
void dl_walk_post(dl_op *op, void (*fn)(dl_op *op, void *user), void *user);

/* Collects every op nested in root (pre-order, excluding root) into an arena array. */
dl_op **dl_collect_ops(dl_op *root, size_t *count);

/* ---- Value maps (old -> new, used by cloning and rewrites) ---------------- */

dl_value_map *dl_value_map_create(dl_context *ctx);
void dl_value_map_set(dl_value_map *m, const dl_value *from, dl_value *to);
dl_value *dl_value_map_get(const dl_value_map *m, const dl_value *from);
void dl_value_map_destroy(dl_value_map *m);

/* ---- Verification -------------------------------------------------------- */

/* Checks structural invariants (arity, regions, terminators, dominance within
 * blocks, isolation) and each op's own verifier. Emits located errors. */
dl_status dl_verify(dl_op *op);
/* Emits an error located at op and returns DL_FAILURE. */
__attribute__((format(printf, 2, 3))) dl_status dl_op_error(dl_op *op, const char *fmt, ...);

#ifdef __cplusplus
}
#endif
#endif
