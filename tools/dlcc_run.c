/* dlcc_run.c: dlcc-run: loads a compiled model library, runs it on ONNX test data (TensorProto
 * files), compares the outputs, writes them, or benchmarks the model. The library describes
 * itself through its exported `dlcc_model` (include/dlcc/runtime.h). */
#include "cli.h"
#include "dlcc/onnx.h"
#include "dlcc/runtime.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum { EXIT_MATCH = 0, EXIT_MISMATCH = 1, EXIT_ERROR = 2, MAX_INPUT_FLAGS = 256 };

typedef struct options {
    const char *lib, *test_data, *output_dir;
    const char *input_specs[MAX_INPUT_FLAGS]; /* NAME=FILE.pb */
    unsigned num_input_specs;
    double rtol, atol;
    long bench, threads;
} options;

static void usage(FILE *out) {
    fputs("usage: dlcc-run LIB.so [--test-data DIR] [--input NAME=FILE.pb ...] [--output-dir D]\n"
          "                [--rtol R] [--atol A] [--bench N] [--threads N]\n"
          "  --test-data DIR  read DIR/input_K.pb, run, compare with DIR/output_K.pb; a file is\n"
          "                   the input named in it (skipped when the library has no such input,\n"
          "                   e.g. one bound with dlcc -bind), or input K when it has no name\n"
          "  --input N=F      read input N from the TensorProto file F\n"
          "  --output-dir D   write the outputs as D/output_K.pb\n"
          "  --rtol/--atol    tolerance |got - want| <= atol + rtol * |want| (1e-3, 1e-5)\n"
          "  --bench N        warm up, then time N runs (missing inputs are zero-filled)\n"
          "  --threads N      size of the library's thread pool (default: HL_NUM_THREADS or the "
          "cores)\n"
          "Without test data or an output folder the outputs are printed.\n"
          "Exit status: 0 outputs match, 1 mismatch, 2 error.\n",
          out);
}

static bool parse_number(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= 0)) return false;
    *out = v;
    return true;
}

static bool parse_count(const char *s, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < 0) return false;
    *out = v;
    return true;
}

/* 0 on success, EXIT_ERROR after printing a message. */
static int parse_options(int argc, char **argv, options *o) {
    dl_cli c = {argc, argv, 1};
    o->rtol = 1e-3;
    o->atol = 1e-5;
    o->bench = -1;
    o->threads = -1;
    for (; c.i < argc; c.i++) {
        bool missing = false, bad = false;
        const char *v;
        if (dl_cli_flag(&c, "help") || dl_cli_flag(&c, "h")) {
            usage(stdout);
            exit(0);
        } else if ((v = dl_cli_value(&c, "test-data", &missing))) {
            o->test_data = v;
        } else if ((v = dl_cli_value(&c, "input", &missing))) {
            if (o->num_input_specs == MAX_INPUT_FLAGS || !strchr(v, '='))
                bad = true;
            else
                o->input_specs[o->num_input_specs++] = v;
        } else if ((v = dl_cli_value(&c, "output-dir", &missing))) {
            o->output_dir = v;
        } else if ((v = dl_cli_value(&c, "rtol", &missing))) {
            bad = !parse_number(v, &o->rtol);
        } else if ((v = dl_cli_value(&c, "atol", &missing))) {
            bad = !parse_number(v, &o->atol);
        } else if ((v = dl_cli_value(&c, "bench", &missing))) {
            bad = !parse_count(v, &o->bench);
        } else if ((v = dl_cli_value(&c, "threads", &missing))) {
            bad = !parse_count(v, &o->threads) || o->threads == 0;
        } else if (dl_cli_is_option(&c)) {
            fprintf(stderr, "dlcc-run: %s '%s'\n", missing ? "missing value for" : "unknown option",
                    argv[c.i]);
            usage(stderr);
            return EXIT_ERROR;
        } else if (!o->lib) {
            o->lib = argv[c.i];
        } else {
            fprintf(stderr, "dlcc-run: more than one library ('%s')\n", argv[c.i]);
            return EXIT_ERROR;
        }
        if (bad) {
            fprintf(stderr, "dlcc-run: bad value in '%s'\n", argv[c.i]);
            return EXIT_ERROR;
        }
    }
    if (!o->lib) {
        usage(stderr);
        return EXIT_ERROR;
    }
    return 0;
}

/* ---- The library ------------------------------------------------------------------------- */

static const dlcc_model_info *load_model(const char *path, long threads) {
    if (threads > 0) {
        /* Halide sizes its pool from HL_NUM_THREADS when it starts; also set it directly. */
        char n[32];
        snprintf(n, sizeof n, "%ld", threads);
        setenv("HL_NUM_THREADS", n, 1);
    }
    char *p = strchr(path, '/') ? strdup(path) : NULL;
    if (!p) {
        p = malloc(strlen(path) + 3);
        sprintf(p, "./%s", path);
    }
    void *h = dlopen(p, RTLD_NOW | RTLD_LOCAL);
    free(p);
    if (!h) {
        fprintf(stderr, "dlcc-run: cannot load '%s': %s\n", path, dlerror());
        return NULL;
    }
    const dlcc_model_info *m = dlsym(h, "dlcc_model");
    if (!m) {
        fprintf(stderr, "dlcc-run: '%s' is not a dlcc model library (no 'dlcc_model' symbol)\n",
                path);
        return NULL;
    }
    if (m->magic != DLCC_MODEL_MAGIC || m->abi_version != DLCC_MODEL_ABI_VERSION) {
        fprintf(stderr, "dlcc-run: '%s' was built for another dlcc ABI (version %u, expected %u)\n",
                path, m->magic == DLCC_MODEL_MAGIC ? m->abi_version : 0, DLCC_MODEL_ABI_VERSION);
        return NULL;
    }
    if (threads > 0) {
        int (*set_threads)(int) = (int (*)(int))dlsym(h, "halide_set_num_threads");
        if (set_threads) set_threads((int)threads);
    }
    return m;
}

/* ---- Tensors -------------------------------------------------------------------------------- */

static dl_type_kind kind_of(int32_t elem_type) {
    switch (elem_type) {
    case DLCC_FLOAT: return DL_TY_F32;
    case DLCC_DOUBLE: return DL_TY_F64;
    case DLCC_FLOAT16: return DL_TY_F16;
    case DLCC_BFLOAT16: return DL_TY_BF16;
    case DLCC_BOOL: return DL_TY_I1;
    case DLCC_INT8: return DL_TY_I8;
    case DLCC_INT16: return DL_TY_I16;
    case DLCC_INT32: return DL_TY_I32;
    case DLCC_INT64: return DL_TY_I64;
    case DLCC_UINT8: return DL_TY_U8;
    case DLCC_UINT16: return DL_TY_U16;
    case DLCC_UINT32: return DL_TY_U32;
    case DLCC_UINT64: return DL_TY_U64;
    default: return DL_TY_NONE;
    }
}

static const dl_type *tensor_type(dl_context *ctx, const dlcc_tensor_info *t) {
    return dl_type_tensor(ctx, dl_type_scalar(ctx, kind_of(t->elem_type)), t->rank, t->dims, NULL);
}

static void print_shape(FILE *out, int rank, const int64_t *dims) {
    fputc('[', out);
    for (int d = 0; d < rank; d++) fprintf(out, "%s%lld", d ? ", " : "", (long long)dims[d]);
    fputc(']', out);
}

static void print_tensor_type(FILE *out, dl_type_kind kind, int rank, const int64_t *dims) {
    fprintf(out, "%s ", dl_scalar_name(kind));
    print_shape(out, rank, dims);
}

/* Reads a TensorProto file into buf, which holds tensor t. Returns false after a message. */
static bool read_tensor(dl_context *ctx, const char *path, const char *what,
                        const dlcc_tensor_info *t, void *buf, const char **file_name) {
    const dl_attr *a = dl_onnx_read_tensor(ctx, path, file_name);
    if (!a) {
        dl_diags_flush(ctx, stderr);
        fprintf(stderr, "dlcc-run: cannot read %s '%s' from '%s'\n", what, t->name, path);
        return false;
    }
    const dl_type *ty = a->type;
    dl_type_kind want = kind_of(t->elem_type);
    /* ONNX's test data stores bfloat16 tensors as their uint16 bits. */
    bool bits_of_bf16 = want == DL_TY_BF16 && ty->elem->kind == DL_TY_U16;
    bool same = (ty->elem->kind == want || bits_of_bf16) && ty->rank == t->rank;
    for (int d = 0; same && d < t->rank; d++) same = ty->dims[d] == t->dims[d];
    if (!same) {
        fprintf(stderr, "dlcc-run: %s '%s': '%s' holds ", what, t->name, path);
        print_tensor_type(stderr, ty->elem->kind, ty->rank, ty->dims);
        fputs(", the model expects ", stderr);
        print_tensor_type(stderr, kind_of(t->elem_type), t->rank, t->dims);
        fputc('\n', stderr);
        return false;
    }
    size_t esize = (size_t)t->elem_bytes, bytes = (size_t)t->num_elements * esize;
    if (a->u.dense.splat)
        for (size_t i = 0; i < bytes; i += esize) memcpy((char *)buf + i, a->u.dense.data, esize);
    else
        memcpy(buf, a->u.dense.data, bytes);
    return true;
}

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Element i as a double (floats and integers). */
static double element(const void *data, int64_t i, int32_t elem_type) {
    switch (elem_type) {
    case DLCC_FLOAT: return ((const float *)data)[i];
    case DLCC_DOUBLE: return ((const double *)data)[i];
    case DLCC_FLOAT16: return dl_f16_to_f32(((const uint16_t *)data)[i]);
    case DLCC_BFLOAT16: return dl_bf16_to_f32(((const uint16_t *)data)[i]);
    case DLCC_BOOL: return ((const uint8_t *)data)[i] != 0;
    case DLCC_INT8: return ((const int8_t *)data)[i];
    case DLCC_INT16: return ((const int16_t *)data)[i];
    case DLCC_INT32: return ((const int32_t *)data)[i];
    case DLCC_INT64: return (double)((const int64_t *)data)[i];
    case DLCC_UINT8: return ((const uint8_t *)data)[i];
    case DLCC_UINT16: return ((const uint16_t *)data)[i];
    case DLCC_UINT32: return ((const uint32_t *)data)[i];
    case DLCC_UINT64: return (double)((const uint64_t *)data)[i];
    default: return NAN;
    }
}

static bool is_float_type(int32_t elem_type) {
    return elem_type == DLCC_FLOAT || elem_type == DLCC_DOUBLE || elem_type == DLCC_FLOAT16 ||
           elem_type == DLCC_BFLOAT16;
}

/* Compares output k with the expected values; prints one line; true when they match. */
static bool compare(unsigned k, const dlcc_tensor_info *t, const void *got, const void *want,
                    double rtol, double atol) {
    bool fl = is_float_type(t->elem_type);
    double max_abs = 0, max_rel = 0;
    int64_t bad = 0, first_bad = -1;
    for (int64_t i = 0; i < t->num_elements; i++) {
        bool ok;
        double a = element(got, i, t->elem_type), b = element(want, i, t->elem_type);
        if (!fl) {
            ok = t->elem_type == DLCC_BOOL
                     ? (a != 0) == (b != 0)
                     : memcmp((const char *)got + i * t->elem_bytes,
                              (const char *)want + i * t->elem_bytes, (size_t)t->elem_bytes) == 0;
        } else if (isnan(a) || isnan(b)) {
            ok = isnan(a) && isnan(b);
        } else if (a == b) {
            ok = true;
        } else {
            double err = fabs(a - b);
            ok = err <= atol + rtol * fabs(b);
            if (err > max_abs) max_abs = err;
            if (b != 0 && err / fabs(b) > max_rel) max_rel = err / fabs(b);
            if (isinf(a) || isinf(b)) ok = false;
        }
        if (!fl && !ok) {
            double err = fabs(a - b);
            if (err > max_abs) max_abs = err;
            if (b != 0 && err / fabs(b) > max_rel) max_rel = err / fabs(b);
        }
        if (!ok && bad++ == 0) first_bad = i;
    }
    printf("output %u '%s' ", k, t->name);
    print_tensor_type(stdout, kind_of(t->elem_type), t->rank, t->dims);
    printf(": max abs error %.3g, max rel error %.3g: ", max_abs, max_rel);
    if (!bad) {
        printf("ok\n");
        return true;
    }
    printf("MISMATCH (%lld of %lld elements; first at flat index %lld: got %.9g, expected %.9g)\n",
           (long long)bad, (long long)t->num_elements, (long long)first_bad,
           element(got, first_bad, t->elem_type), element(want, first_bad, t->elem_type));
    return false;
}

static void print_values(unsigned k, const dlcc_tensor_info *t, const void *data) {
    printf("output %u '%s' ", k, t->name);
    print_tensor_type(stdout, kind_of(t->elem_type), t->rank, t->dims);
    printf(":");
    int64_t n = t->num_elements < 16 ? t->num_elements : 16;
    for (int64_t i = 0; i < n; i++) {
        if (is_float_type(t->elem_type))
            printf(" %.6g", element(data, i, t->elem_type));
        else if (t->elem_type == DLCC_UINT64)
            printf(" %llu", (unsigned long long)((const uint64_t *)data)[i]);
        else if (t->elem_type == DLCC_INT64)
            printf(" %lld", (long long)((const int64_t *)data)[i]);
        else
            printf(" %.0f", element(data, i, t->elem_type));
    }
    printf("%s\n", t->num_elements > n ? " ..." : "");
}

/* ---- Running ----------------------------------------------------------------------------------
 */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int run_model(const dlcc_model_info *m, void **in, void **out) {
    int r = m->run((const void *const *)in, out);
    if (r != 0) fprintf(stderr, "dlcc-run: the model returned error %d\n", r);
    return r;
}

static int bench(const dlcc_model_info *m, void **in, void **out, long n) {
    long warmup = n < 3 ? 1 : 3;
    for (long i = 0; i < warmup; i++)
        if (run_model(m, in, out)) return EXIT_ERROR;
    double *t = malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (long i = 0; i < n; i++) {
        double start = now_ms();
        if (run_model(m, in, out)) {
            free(t);
            return EXIT_ERROR;
        }
        t[i] = now_ms() - start;
    }
    if (n > 0) {
        qsort(t, (size_t)n, sizeof(double), cmp_double);
        double median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
        printf("%s: %ld runs: min %.4g ms, median %.4g ms\n", m->name, n, t[0], median);
    }
    free(t);
    return 0;
}

/* Fills the inputs from --input flags and the test-data folder; false after a message. */
static bool read_inputs(dl_context *ctx, const options *o, const dlcc_model_info *m, void **in,
                        bool *given) {
    for (unsigned s = 0; s < o->num_input_specs; s++) {
        const char *spec = o->input_specs[s], *eq = strchr(spec, '=');
        int k = -1;
        for (int i = 0; i < m->num_inputs && k < 0; i++)
            if (strlen(m->inputs[i].name) == (size_t)(eq - spec) &&
                strncmp(m->inputs[i].name, spec, (size_t)(eq - spec)) == 0)
                k = i;
        if (k < 0) {
            fprintf(stderr,
                    "dlcc-run: the model has no input named '%.*s' (inputs:", (int)(eq - spec),
                    spec);
            for (int i = 0; i < m->num_inputs; i++) fprintf(stderr, " '%s'", m->inputs[i].name);
            fputs(")\n", stderr);
            return false;
        }
        if (!read_tensor(ctx, eq + 1, "input", &m->inputs[k], in[k], NULL)) return false;
        given[k] = true;
    }
    if (!o->test_data) return true;
    /* input_K.pb: a file that stores a name is the input of that name, and is skipped when
     * the library has no such input (one bound at compile time with dlcc -bind); a file
     * without a name is input K, skipped when K is past the library's inputs. */
    for (int f = 0;; f++) {
        char *path = dl_sprintf(ctx, "%s/input_%d.pb", o->test_data, f);
        if (!file_exists(path)) break;
        const char *name = NULL;
        const dl_attr *a = dl_onnx_read_tensor(ctx, path, &name);
        if (!a) {
            dl_diags_flush(ctx, stderr);
            return false;
        }
        int k = -1;
        for (int i = 0; i < m->num_inputs && k < 0 && *name; i++)
            if (strcmp(m->inputs[i].name, name) == 0) k = i;
        if (*name && k < 0) {
            fprintf(stderr,
                    "dlcc-run: note: skipping '%s': the library has no input '%s' (bound "
                    "at compile time?)\n",
                    path, name);
            continue;
        }
        if (k < 0) k = f;
        if (k >= m->num_inputs) {
            fprintf(stderr,
                    "dlcc-run: note: skipping '%s': it has no name and the library has "
                    "%d inputs\n",
                    path, m->num_inputs);
            continue;
        }
        if (given[k]) continue;
        if (!read_tensor(ctx, path, "input", &m->inputs[k], in[k], NULL)) return false;
        given[k] = true;
    }
    return true;
}

static int run(const options *o) {
    const dlcc_model_info *m = load_model(o->lib, o->threads);
    if (!m) return EXIT_ERROR;
    dl_context *ctx = dl_context_create();
    int n_in = m->num_inputs, n_out = m->num_outputs;
    void **in = calloc((size_t)n_in + 1, sizeof(void *)),
         **out = calloc((size_t)n_out + 1, sizeof(void *));
    bool *given = calloc((size_t)n_in + 1, sizeof(bool));
    for (int i = 0; i < n_in; i++)
        in[i] = calloc((size_t)(m->inputs[i].num_elements ? m->inputs[i].num_elements : 1),
                       (size_t)m->inputs[i].elem_bytes);
    for (int i = 0; i < n_out; i++)
        out[i] = calloc((size_t)(m->outputs[i].num_elements ? m->outputs[i].num_elements : 1),
                        (size_t)m->outputs[i].elem_bytes);
    int status = read_inputs(ctx, o, m, in, given) ? EXIT_MATCH : EXIT_ERROR;
    for (int i = 0; i < n_in && status == EXIT_MATCH; i++) {
        if (given[i]) continue;
        if (o->bench >= 0) {
            fprintf(stderr, "dlcc-run: note: input '%s' is zero-filled\n", m->inputs[i].name);
            continue;
        }
        fprintf(stderr, "dlcc-run: no data for input %d '%s' ", i, m->inputs[i].name);
        print_tensor_type(stderr, kind_of(m->inputs[i].elem_type), m->inputs[i].rank,
                          m->inputs[i].dims);
        if (o->test_data)
            fprintf(stderr, ": no input_K.pb file in '%s' names it or stands at its position\n",
                    o->test_data);
        else
            fputs(" (use --input NAME=FILE.pb or --test-data DIR)\n", stderr);
        status = EXIT_ERROR;
    }
    if (status == EXIT_MATCH && run_model(m, in, out)) status = EXIT_ERROR;
    bool compared = false;
    for (int k = 0; k < n_out && status != EXIT_ERROR && o->test_data; k++) {
        char *path = dl_sprintf(ctx, "%s/output_%d.pb", o->test_data, k);
        if (!file_exists(path)) continue;
        void *want = calloc((size_t)(m->outputs[k].num_elements ? m->outputs[k].num_elements : 1),
                            (size_t)m->outputs[k].elem_bytes);
        if (!read_tensor(ctx, path, "expected output", &m->outputs[k], want, NULL))
            status = EXIT_ERROR;
        else if (!compare((unsigned)k, &m->outputs[k], out[k], want, o->rtol, o->atol))
            status = EXIT_MISMATCH;
        compared = true;
        free(want);
    }
    for (int k = 0; k < n_out && status != EXIT_ERROR && o->output_dir; k++) {
        char *path = dl_sprintf(ctx, "%s/output_%d.pb", o->output_dir, k);
        if (dl_onnx_write_tensor(ctx, path, m->outputs[k].name, tensor_type(ctx, &m->outputs[k]),
                                 out[k])) {
            dl_diags_flush(ctx, stderr);
            status = EXIT_ERROR;
        }
    }
    if (status == EXIT_MATCH && !compared && !o->output_dir && o->bench < 0)
        for (int k = 0; k < n_out; k++) print_values((unsigned)k, &m->outputs[k], out[k]);
    if (status != EXIT_ERROR && o->bench >= 0 && bench(m, in, out, o->bench)) status = EXIT_ERROR;
    for (int i = 0; i < n_in; i++) free(in[i]);
    for (int i = 0; i < n_out; i++) free(out[i]);
    free(in);
    free(out);
    free(given);
    dl_context_destroy(ctx);
    return status;
}

int main(int argc, char **argv) {
    options o = {0};
    int st = parse_options(argc, argv, &o);
    if (st) return st;
    return run(&o);
}
