/* test_codegen_ops.c: every arith op on every scalar type, as scalars and as 8-lane vectors,
 * compiled to a model library and checked against the reference interpreter: arithmetic,
 * comparisons, select, math functions, constants, broadcast, reduce, cast to every type and
 * bitcast. Usage: test_codegen_ops WORK_DIR [-O0..-O3] [-target=T] [-v] */
#include "differential.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const types[] = {"f16", "bf16", "f32", "f64", "i1",  "i8",  "i16",
                                    "i32", "i64",  "u8",  "u16", "u32", "u64", "index"};
enum { NUM_TYPES = sizeof types / sizeof *types, N = 64 };

static bool is_float(const char *t) {
    return t[0] == 'f' || t[0] == 'b';
}

static int bits(const char *t) {
    if (strcmp(t, "index") == 0) return 64;
    if (strcmp(t, "bf16") == 0) return 16;
    return atoi(t + 1);
}

/* A program under construction: outputs are added as the body needs them. */
typedef struct prog {
    const char *elem; /* input element type */
    int lanes;        /* 0: scalar code */
    FILE *body;
    char *body_text;
    size_t body_len;
    FILE *outs; /* ", %r0: memref<64xT>" */
    char *outs_text;
    size_t outs_len;
    FILE *out_types; /* ", memref<64xT>" */
    char *out_types_text;
    size_t out_types_len;
    FILE *names; /* ", \"r0\"" */
    char *names_text;
    size_t names_len;
    int num_outputs, num_values;
} prog;

static void prog_init(prog *p, const char *elem, int lanes) {
    memset(p, 0, sizeof *p);
    p->elem = elem;
    p->lanes = lanes;
    p->body = open_memstream(&p->body_text, &p->body_len);
    p->outs = open_memstream(&p->outs_text, &p->outs_len);
    p->out_types = open_memstream(&p->out_types_text, &p->out_types_len);
    p->names = open_memstream(&p->names_text, &p->names_len);
}

/* The value type of element type t in this program ("f32" or "vector<8xf32>"). */
static const char *vt(const prog *p, const char *t) {
    static char buf[4][64];
    static int k;
    char *s = buf[k++ % 4];
    if (p->lanes)
        snprintf(s, 64, "vector<%dx%s>", p->lanes, t);
    else
        snprintf(s, 64, "%s", t);
    return s;
}

/* Adds an output memref<sizexT> and returns its index. Outputs named approx_* are compared
 * with a looser tolerance (reductions may associate differently). */
static int add_output_named(prog *p, const char *t, int size, const char *prefix) {
    int k = p->num_outputs++;
    fprintf(p->outs, ", %%r%d: memref<%dx%s>", k, size, t);
    fprintf(p->out_types, ", memref<%dx%s>", size, t);
    fprintf(p->names, "%s\"%sr%d\"", k ? ", " : "", prefix, k);
    return k;
}

static int add_output(prog *p, const char *t, int size) {
    return add_output_named(p, t, size, "");
}

/* Stores value %v (of element type t, the program's lane count) to a new output at %i. */
static void store_new(prog *p, const char *v, const char *t) {
    int k = add_output(p, t, N);
    fprintf(p->body, "      loop.store(%%%s, %%r%d, %%i) : (%s, memref<%dx%s>, index) -> ()\n", v,
            k, vt(p, t), N, t);
}

/* %vN = arith.OP(args) {attrs} : (arg types) -> (result); stored to a new output. */
static void emit_op(prog *p, const char *op, const char *args, const char *arg_types,
                    const char *attrs, const char *result_elem) {
    int v = p->num_values++;
    fprintf(p->body, "      %%v%d = arith.%s(%s)%s%s : (%s) -> (%s)\n", v, op, args,
            attrs ? " " : "", attrs ? attrs : "", arg_types, vt(p, result_elem));
    char name[16];
    snprintf(name, sizeof name, "v%d", v);
    store_new(p, name, result_elem);
}

static char *prog_finish(prog *p, size_t *len) {
    fclose(p->body);
    fclose(p->outs);
    fclose(p->out_types);
    fclose(p->names);
    const char *T = p->elem;
    int step = p->lanes ? p->lanes : 1;
    char *text;
    FILE *f = open_memstream(&text, len);
    fprintf(f, "builtin.module() ({\n");
    fprintf(f,
            "  builtin.func() {function_type = (memref<%dx%s>, memref<%dx%s>%s) -> (), sym_name = "
            "\"main\", arg_names = [\"a\", \"b\"], result_names = [%s]} ({\n",
            N, T, N, T, p->out_types_text, p->names_text);
    fprintf(f, "  ^bb0(%%a: memref<%dx%s>, %%b: memref<%dx%s>%s):\n", N, T, N, T, p->outs_text);
    fprintf(f, "    %%c0 = arith.constant() {value = 0 : index} : () -> (index)\n");
    fprintf(f, "    %%cstep = arith.constant() {value = %d : index} : () -> (index)\n", step);
    fprintf(f, "    %%cn = arith.constant() {value = %d : index} : () -> (index)\n", N);
    fprintf(f, "    loop.for(%%c0, %%cn, %%cstep) ({\n    ^bb0(%%i: index):\n");
    fprintf(f, "      %%x = loop.load(%%a, %%i) : (memref<%dx%s>, index) -> (%s)\n", N, T,
            vt(p, T));
    fprintf(f, "      %%y = loop.load(%%b, %%i) : (memref<%dx%s>, index) -> (%s)\n", N, T,
            vt(p, T));
    fputs(p->body_text, f);
    fprintf(f, "      loop.yield() : () -> ()\n    }) : (index, index, index) -> ()\n");
    fprintf(f, "    builtin.return() : () -> ()\n  })\n})\n");
    fclose(f);
    free(p->body_text);
    free(p->outs_text);
    free(p->out_types_text);
    free(p->names_text);
    return text;
}

/* Arithmetic, comparisons, select, math, constants, broadcast and reduce on type T. */
static char *arith_program(const char *T, int lanes, size_t *len) {
    prog p;
    prog_init(&p, T, lanes);
    char two[64], one[64];
    snprintf(two, sizeof two, "%s, %s", vt(&p, T), vt(&p, T));
    snprintf(one, sizeof one, "%s", vt(&p, T));
    static const char *const common[] = {"add",      "sub",     "mul", "div", "rem",
                                         "floordiv", "ceildiv", "max", "min"};
    for (size_t i = 0; i < sizeof common / sizeof *common; i++)
        emit_op(&p, common[i], "%x, %y", two, NULL, T);
    static const char *const int_only[] = {"and", "or", "xor", "shl", "shr"};
    static const char *const float_only[] = {"pow", "atan2"};
    for (size_t i = 0; !is_float(T) && i < sizeof int_only / sizeof *int_only; i++)
        emit_op(&p, int_only[i], "%x, %y", two, NULL, T);
    for (size_t i = 0; is_float(T) && i < sizeof float_only / sizeof *float_only; i++)
        emit_op(&p, float_only[i], "%x, %y", two, NULL, T);
    emit_op(&p, "neg", "%x", one, NULL, T);
    emit_op(&p, "abs", "%x", one, NULL, T);
    if (!is_float(T)) emit_op(&p, "not", "%x", one, NULL, T);
    if (is_float(T)) {
        static const char *const math[] = {
            "sqrt", "exp",  "log",  "tanh",  "erf",   "sin",   "cos",   "tan",  "asin", "acos",
            "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "floor", "ceil", "round"};
        for (size_t i = 0; i < sizeof math / sizeof *math; i++)
            emit_op(&p, math[i], "%x", one, NULL, T);
        char three[200];
        snprintf(three, sizeof three, "%s, %s, %s", one, one, one);
        emit_op(&p, "fma", "%x, %y, %x", three, NULL, T);
        emit_op(&p, "isnan", "%x", one, NULL, "i1");
        emit_op(&p, "isinf", "%x", one, NULL, "i1");
    }
    static const char *const preds[] = {"eq", "ne", "lt", "le", "gt", "ge"};
    for (int i = 0; i < 6; i++) {
        char attr[32];
        snprintf(attr, sizeof attr, "{pred = \"%s\"}", preds[i]);
        emit_op(&p, "cmp", "%x, %y", two, attr, "i1");
    }
    /* select on a comparison, and arithmetic with a constant */
    int c = p.num_values++;
    fprintf(p.body, "      %%v%d = arith.cmp(%%x, %%y) {pred = \"lt\"} : (%s) -> (%s)\n", c, two,
            vt(&p, "i1"));
    char args[64], types3[256];
    snprintf(args, sizeof args, "%%v%d, %%y, %%x", c);
    snprintf(types3, sizeof types3, "%s, %s, %s", vt(&p, "i1"), one, one);
    emit_op(&p, "select", args, types3, NULL, T);
    int k = p.num_values++;
    if (is_float(T))
        fprintf(p.body, "      %%v%d = arith.constant() {value = 2.5 : %s} : () -> (%s)\n", k, T,
                one);
    else
        fprintf(p.body, "      %%v%d = arith.constant() {value = %d : %s} : () -> (%s)\n", k,
                strcmp(T, "i1") == 0 ? 1 : 3, T, one);
    snprintf(args, sizeof args, "%%x, %%v%d", k);
    emit_op(&p, "mul", args, two, NULL, T);
    if (lanes) {
        /* broadcast of a scalar load, and every reduction into memref<8xT> at i / lanes */
        int e = p.num_values++;
        fprintf(p.body, "      %%v%d = loop.load(%%b, %%i) : (memref<%dx%s>, index) -> (%s)\n", e,
                N, T, T);
        snprintf(args, sizeof args, "%%v%d", e);
        emit_op(&p, "broadcast", args, T, NULL, T);
        fprintf(p.body, "      %%q = arith.div(%%i, %%cstep) : (index, index) -> (index)\n");
        static const char *const kinds[] = {"add", "mul", "max", "min"};
        for (int r = 0; r < 4; r++) {
            int v = p.num_values++;
            fprintf(p.body, "      %%v%d = arith.reduce(%%x) {kind = \"%s\"} : (%s) -> (%s)\n", v,
                    kinds[r], one, T);
            int o = add_output_named(&p, T, N / lanes, r == 0 || r == 1 ? "approx_" : "");
            fprintf(p.body,
                    "      loop.store(%%v%d, %%r%d, %%q) : (%s, memref<%dx%s>, index) -> ()\n", v,
                    o, T, N / lanes, T);
        }
    }
    return prog_finish(&p, len);
}

/* cast to every type, bitcast to every type of the same width. */
static char *cast_program(const char *T, int lanes, size_t *len) {
    prog p;
    prog_init(&p, T, lanes);
    char one[64];
    snprintf(one, sizeof one, "%s", vt(&p, T));
    for (int i = 0; i < NUM_TYPES; i++) {
        if (strcmp(types[i], T) != 0) emit_op(&p, "cast", "%x", one, NULL, types[i]);
        if (strcmp(types[i], T) != 0 && bits(types[i]) == bits(T) && strcmp(T, "i1") != 0)
            emit_op(&p, "bitcast", "%x", one, NULL, types[i]);
    }
    return prog_finish(&p, len);
}

int main(int argc, char **argv) {
    diff_config cfg = {.opt_level = 2};
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "-O", 2) == 0)
            cfg.opt_level = atoi(argv[i] + 2);
        else if (strncmp(argv[i], "-target=", 8) == 0)
            cfg.target = argv[i] + 8;
        else if (strcmp(argv[i], "-v") == 0)
            cfg.verbose = true;
        else
            cfg.work_dir = argv[i];
    }
    if (!cfg.work_dir) {
        fprintf(stderr, "usage: test_codegen_ops WORK_DIR [-O0..-O3] [-target=T] [-v]\n");
        return 2;
    }
    mkdir(cfg.work_dir, 0755);
    int failures = 0, total = 0;
    for (int t = 0; t < NUM_TYPES; t++) {
        for (int lanes = 0; lanes <= 8; lanes += 8) {
            for (int kind = 0; kind < 2; kind++) {
                size_t len;
                char *text = kind == 0 ? arith_program(types[t], lanes, &len)
                                       : cast_program(types[t], lanes, &len);
                char name[64];
                snprintf(name, sizeof name, "%s_%s_%s%d", kind ? "cast" : "arith", types[t],
                         lanes ? "v" : "s", lanes);
                int failed = diff_check_text(&cfg, name, text, len);
                if (failed && cfg.verbose) fputs(text, stderr);
                failures += failed;
                total++;
                free(text);
            }
        }
    }
    printf("%d of %d programs match the interpreter (-O%d)\n", total - failures, total,
           cfg.opt_level);
    return failures ? 1 : 0;
}
