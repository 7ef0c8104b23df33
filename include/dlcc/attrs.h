/* attrs.h: interned IR attributes, including affine maps and dense element data. */
#ifndef DLCC_ATTRS_H
#define DLCC_ATTRS_H

#include "dlcc/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Affine expressions and maps (interned) ------------------------------ */

typedef enum dl_affine_kind {
    DL_AFF_DIM,
    DL_AFF_SYM,
    DL_AFF_CONST,
    DL_AFF_ADD,
    DL_AFF_MUL,
    DL_AFF_FLOORDIV,
    DL_AFF_CEILDIV,
    DL_AFF_MOD,
} dl_affine_kind;

typedef struct dl_affine_expr {
    dl_affine_kind kind;
    int64_t value; /* position for dim/sym, value for const */
    const struct dl_affine_expr *lhs, *rhs;
} dl_affine_expr;

typedef struct dl_affine_map {
    unsigned num_dims, num_syms, num_results;
    const dl_affine_expr *const *results;
} dl_affine_map;

const dl_affine_expr *dl_aff_dim(dl_context *ctx, unsigned pos);
const dl_affine_expr *dl_aff_sym(dl_context *ctx, unsigned pos);
const dl_affine_expr *dl_aff_const(dl_context *ctx, int64_t v);
/* Binary expressions fold constants and canonicalise operand order. */
const dl_affine_expr *dl_aff_bin(dl_context *ctx, dl_affine_kind kind, const dl_affine_expr *lhs,
                                 const dl_affine_expr *rhs);
const dl_affine_expr *dl_aff_add(dl_context *ctx, const dl_affine_expr *a, const dl_affine_expr *b);
const dl_affine_expr *dl_aff_mul(dl_context *ctx, const dl_affine_expr *a, const dl_affine_expr *b);
const dl_affine_map *dl_affine_map_get(dl_context *ctx, unsigned num_dims, unsigned num_syms,
                                       unsigned num_results, const dl_affine_expr *const *results);
/* (d0..dn-1) -> (d0..dn-1) */
const dl_affine_map *dl_affine_map_identity(dl_context *ctx, unsigned n);
/* True if the expression is a pure affine function (no mod/div by non-constants). */
bool dl_affine_expr_is_pure(const dl_affine_expr *e);
/* Evaluates the expression given dim and symbol values. */
int64_t dl_affine_expr_eval(const dl_affine_expr *e, const int64_t *dims, const int64_t *syms);
void dl_affine_expr_print(const dl_affine_expr *e, FILE *out);
void dl_affine_map_print(const dl_affine_map *m, FILE *out);

/* ---- Attributes --------------------------------------------------------- */

typedef enum dl_attr_kind {
    DL_ATTR_UNIT,   /* presence only: `unit` */
    DL_ATTR_BOOL,   /* true / false */
    DL_ATTR_INT,    /* 42 (i64) or 42 : i32 */
    DL_ATTR_FLOAT,  /* 1.5 (f32) or 1.5 : f64 */
    DL_ATTR_STRING, /* "text" (may hold any bytes) */
    DL_ATTR_TYPE,   /* a type */
    DL_ATTR_ARRAY,  /* [a, b, c] */
    DL_ATTR_DICT,   /* {name = attr, ...} sorted by name */
    DL_ATTR_DENSE,  /* dense<...> : tensor<...> element data */
    DL_ATTR_AFFINE, /* affine_map<(d0)[s0] -> (...)> */
    DL_ATTR_SYMBOL, /* @name */
} dl_attr_kind;

typedef struct dl_named_attr {
    const char *name; /* interned */
    const struct dl_attr *attr;
} dl_named_attr;

/* Attributes are interned (pointer equality is equality), except dense data,
 * which is unique per creation and compared by content with dl_attr_equal. */
typedef struct dl_attr {
    dl_attr_kind kind;
    uint32_t hash;
    const dl_type *type; /* int/float: scalar type; dense: tensor type; type attr: the type */
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            const char *data; /* NUL-terminated too */
            size_t len;
        } str;
        struct {
            unsigned n;
            const struct dl_attr *const *elems;
        } array;
        struct {
            unsigned n;
            const dl_named_attr *entries;
        } dict;
        struct {
            const void *data; /* element data, row-major, native little-endian layout */
            size_t size;      /* bytes: one element when splat */
            bool splat;       /* one element stands for all */
        } dense;
        const dl_affine_map *map;
        const char *symbol; /* interned */
    } u;
} dl_attr;

const dl_attr *dl_attr_unit(dl_context *ctx);
const dl_attr *dl_attr_bool(dl_context *ctx, bool v);
const dl_attr *dl_attr_int(dl_context *ctx, int64_t v); /* i64 */
const dl_attr *dl_attr_int_typed(dl_context *ctx, int64_t v, const dl_type *t);
const dl_attr *dl_attr_float(dl_context *ctx, double v); /* f32 */
const dl_attr *dl_attr_float_typed(dl_context *ctx, double v, const dl_type *t);
const dl_attr *dl_attr_string(dl_context *ctx, const char *s);
const dl_attr *dl_attr_string_n(dl_context *ctx, const char *s, size_t len);
const dl_attr *dl_attr_type(dl_context *ctx, const dl_type *t);
const dl_attr *dl_attr_array(dl_context *ctx, unsigned n, const dl_attr *const *elems);
/* [v0, v1, ...] as i64 integers. */
const dl_attr *dl_attr_int_array(dl_context *ctx, unsigned n, const int64_t *v);
const dl_attr *dl_attr_float_array(dl_context *ctx, unsigned n, const float *v);
/* entries need not be sorted; duplicates keep the last. */
const dl_attr *dl_attr_dict(dl_context *ctx, unsigned n, const dl_named_attr *entries);
const dl_attr *dl_attr_affine_map(dl_context *ctx, const dl_affine_map *m);
const dl_attr *dl_attr_symbol(dl_context *ctx, const char *name);

/* Dense data for a tensor type with a static shape. copy=true copies data into the
 * arena; copy=false borrows it (its owner must live as long as the context, see
 * dl_context_adopt). size must equal elements * element size, or one element
 * when splat. Returns NULL and emits nothing on a size mismatch. */
const dl_attr *dl_attr_dense(dl_context *ctx, const dl_type *tensor_type, const void *data,
                             size_t size, bool splat, bool copy);
/* Dense data from doubles or int64s converted to the tensor's element type. */
const dl_attr *dl_attr_dense_from_f64(dl_context *ctx, const dl_type *tensor_type, const double *v,
                                      size_t n);
const dl_attr *dl_attr_dense_from_i64(dl_context *ctx, const dl_type *tensor_type, const int64_t *v,
                                      size_t n);
/* Element i of dense data converted to double / int64 (splat aware). */
double dl_dense_get_f64(const dl_attr *a, int64_t i);
int64_t dl_dense_get_i64(const dl_attr *a, int64_t i);
int64_t dl_dense_num_elements(const dl_attr *a);

/* Structural equality (identity for everything but dense data). */
bool dl_attr_equal(const dl_attr *a, const dl_attr *b);
uint32_t dl_attr_hash(const dl_attr *a);

/* Looks up a name in a dictionary attribute; NULL if absent. */
const dl_attr *dl_attr_dict_get(const dl_attr *dict, const char *name);

/* Scalar conversions of float half formats. */
float dl_f16_to_f32(uint16_t h);
uint16_t dl_f32_to_f16(float f);
float dl_bf16_to_f32(uint16_t h);
uint16_t dl_f32_to_bf16(float f);

void dl_attr_print(const dl_attr *a, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
