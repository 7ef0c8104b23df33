/* defaults.c: fills in the schema defaults of graph-op attributes (table: defaults.def). */
#include "graph.h"

#include <math.h>

typedef enum { D_INT, D_FLOAT, D_STRING, D_INTS, D_FLOATS } default_kind;

typedef struct attr_default {
    dl_op_kind op;
    const char *name;
    default_kind kind;
    int64_t i;
    double f;
    const char *s;
    const int64_t *ints;
    const float *floats;
    unsigned count;
} attr_default;

#define COUNT_OF(...)   (sizeof((int64_t[])__VA_ARGS__) / sizeof(int64_t))
#define COUNT_OF_F(...) (sizeof((float[])__VA_ARGS__) / sizeof(float))

static const attr_default defaults[] = {
#define DL_DEFAULT_INT(op, name, v)    {DL_OP_graph_##op, name, D_INT, .i = v},
#define DL_DEFAULT_FLOAT(op, name, v)  {DL_OP_graph_##op, name, D_FLOAT, .f = v},
#define DL_DEFAULT_STRING(op, name, v) {DL_OP_graph_##op, name, D_STRING, .s = v},
#define DL_DEFAULT_INTS(op, name, ...)                                                             \
    {DL_OP_graph_##op, name, D_INTS, .ints = (const int64_t[])__VA_ARGS__,                         \
     .count = COUNT_OF(__VA_ARGS__)},
#define DL_DEFAULT_FLOATS(op, name, ...)                                                           \
    {DL_OP_graph_##op, name, D_FLOATS, .floats = (const float[])__VA_ARGS__,                       \
     .count = COUNT_OF_F(__VA_ARGS__)},
#include "defaults.def"
};

void dl_graph_fill_defaults(dl_op *op) {
    dl_context *ctx = op->ctx;
    for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++) {
        const attr_default *d = &defaults[i];
        if (d->op != op->kind || dl_op_attr(op, d->name)) continue;
        const dl_attr *a = NULL;
        switch (d->kind) {
        case D_INT: a = dl_attr_int(ctx, d->i); break;
        case D_FLOAT: a = dl_attr_float(ctx, d->f); break;
        case D_STRING: a = dl_attr_string(ctx, d->s); break;
        case D_INTS: a = dl_attr_int_array(ctx, d->count, d->ints); break;
        case D_FLOATS: a = dl_attr_float_array(ctx, d->count, d->floats); break;
        }
        dl_op_set_attr(op, d->name, a);
    }
}
