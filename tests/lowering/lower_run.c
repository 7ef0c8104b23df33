/* lower_run.c: checks the graph -> kernel lowering of one ONNX conformance model numerically:
 * imports MODEL_DIR/model.onnx, runs the graph passes, lower-to-kernel and plan-memory (verifying
 * after each pass), executes the kernel-level main with the reference interpreter on every
 * test_data_set_N/input_K.pb and compares with output_K.pb (|got - want| <= atol + rtol*|want|).
 *
 *   lower_run [-passes=P] [-rtol=R] [-atol=A] [-print] MODEL_DIR
 *
 * Prints one line, "PASS" or "FAIL: stage: reason", and exits 0 (pass), 1 (fail) or 2 (usage). */
#include "dialects/interp/interp.h"
#include "dlcc/onnx.h"
#include "dlcc/pass.h"
#include "dlcc/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *default_passes = "canonicalize,cse,dce,lower-to-kernel,plan-memory";

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    return 1;
}

/* The first error recorded in ctx, on one line. */
static const char *first_error(dl_context *ctx) {
    static char buf[512];
    for (const dl_diag *d = dl_diags(ctx); d; d = d->next) {
        if (d->sev != DL_SEV_ERROR) continue;
        snprintf(buf, sizeof buf, "%s%s%s", d->loc.name ? d->loc.name : "", d->loc.name ? ": " : "",
                 d->msg);
        for (char *p = buf; *p; p++)
            if (*p == '\n') *p = ' ';
        return buf;
    }
    return "failed without a message";
}

static bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Element i of a buffer of scalar kind k as double (and as int64 for exact comparisons). */
static double get_f64(const void *p, dl_type_kind k, int64_t i) {
    switch (k) {
    case DL_TY_F16: return dl_f16_to_f32(((const uint16_t *)p)[i]);
    case DL_TY_BF16: return dl_bf16_to_f32(((const uint16_t *)p)[i]);
    case DL_TY_F32: return ((const float *)p)[i];
    case DL_TY_F64: return ((const double *)p)[i];
    case DL_TY_I1: return ((const uint8_t *)p)[i] != 0;
    case DL_TY_I8: return ((const int8_t *)p)[i];
    case DL_TY_I16: return ((const int16_t *)p)[i];
    case DL_TY_I32: return ((const int32_t *)p)[i];
    case DL_TY_I64: return (double)((const int64_t *)p)[i];
    case DL_TY_U8: return ((const uint8_t *)p)[i];
    case DL_TY_U16: return ((const uint16_t *)p)[i];
    case DL_TY_U32: return ((const uint32_t *)p)[i];
    case DL_TY_U64: return (double)((const uint64_t *)p)[i];
    default: return NAN;
    }
}

/* Compares one output; returns false after printing the first mismatch. */
static bool compare(dl_context *ctx, unsigned k, const dl_type *t, const void *got,
                    const dl_attr *want, double rtol, double atol) {
    int64_t n = dl_type_num_elements(t);
    const dl_type *wt = want->type;
    dl_type_kind wk = wt->elem->kind;
    /* numpy has no bfloat16: references store its bit patterns as uint16 */
    if (t->elem->kind == DL_TY_BF16 && wk == DL_TY_U16) wk = DL_TY_BF16;
    if (dl_type_num_elements(wt) != n || wt->rank != t->rank) {
        fail("compare: output %u has %lld elements of rank %d, reference %lld of rank %d", k,
             (long long)n, t->rank, (long long)dl_type_num_elements(wt), wt->rank);
        return false;
    }
    for (int r = 0; r < t->rank; r++)
        if (t->dims[r] != wt->dims[r]) {
            fail("compare: output %u has type %s, reference %s", k, dl_type_str(ctx, t),
                 dl_type_str(ctx, wt));
            return false;
        }
    bool is_float = dl_type_is_float(t->elem);
    for (int64_t i = 0; i < n; i++) {
        const void *wp = want->u.dense.data;
        int64_t wi = want->u.dense.splat ? 0 : i;
        double g = get_f64(got, t->elem->kind, i), w = get_f64(wp, wk, wi);
        bool ok;
        if (is_float)
            ok = (isnan(g) && isnan(w)) || g == w || fabs(g - w) <= atol + rtol * fabs(w);
        else if (t->elem->kind == DL_TY_I64 || t->elem->kind == DL_TY_U64)
            ok = memcmp((const char *)got + 8 * i, (const char *)wp + 8 * wi, 8) == 0;
        else
            ok = g == w;
        if (!ok) {
            fail("compare: output %u differs at element %lld: got %.9g, expected %.9g", k,
                 (long long)i, g, w);
            return false;
        }
    }
    return true;
}

static bool same_dims(const dl_type *a, const dl_type *b) {
    if (a->rank != b->rank) return false;
    for (int r = 0; r < a->rank; r++)
        if (a->dims[r] != b->dims[r]) return false;
    return true;
}

/* Runs main on one test data set; returns 0 on a match. */
static int run_set(dl_context *ctx, dl_op *func, unsigned num_in, unsigned num_out, const char *set,
                   double rtol, double atol) {
    dl_block *entry = dl_func_entry(func);
    unsigned nargs = entry->num_args;
    void **bufs = calloc(nargs ? nargs : 1, sizeof(void *));
    const dl_attr **want = calloc(num_out ? num_out : 1, sizeof(dl_attr *));
    char path[8192];
    int rc = 0;
    for (unsigned i = 0; i < nargs && !rc; i++) {
        const dl_type *t = entry->args[i]->type;
        size_t bytes = (size_t)dl_type_num_elements(t) * dl_scalar_size(t->elem->kind);
        bufs[i] = calloc(1, bytes ? bytes : 1);
        if (i >= num_in + num_out) continue; /* e.g. an arena argument */
        bool is_in = i < num_in;
        snprintf(path, sizeof path, "%s/%s_%u.pb", set, is_in ? "input" : "output",
                 is_in ? i : i - num_in);
        const char *name;
        const dl_attr *a = dl_onnx_read_tensor(ctx, path, &name);
        if (!a) {
            rc = fail("data: cannot read %s: %s", path, first_error(ctx));
            break;
        }
        if (!is_in) {
            want[i - num_in] = a;
            continue;
        }
        if (!same_dims(a->type, t) ||
            (a->type->elem != t->elem &&
             !(t->elem->kind == DL_TY_BF16 && a->type->elem->kind == DL_TY_U16))) {
            rc = fail("data: input %u is %s, main takes %s", i, dl_type_str(ctx, a->type),
                      dl_type_str(ctx, t));
            break;
        }
        if (a->u.dense.splat) {
            size_t es = dl_scalar_size(t->elem->kind);
            for (size_t off = 0; off < bytes; off += es)
                memcpy((char *)bufs[i] + off, a->u.dense.data, es);
        } else {
            memcpy(bufs[i], a->u.dense.data, bytes);
        }
    }
    if (!rc && dl_interp_run(func, bufs) != DL_OK) rc = fail("interp: %s", first_error(ctx));
    for (unsigned k = 0; k < num_out && !rc; k++)
        if (!compare(ctx, k, entry->args[num_in + k]->type, bufs[num_in + k], want[k], rtol, atol))
            rc = 1;
    for (unsigned i = 0; i < nargs; i++) free(bufs[i]);
    free(bufs);
    free(want);
    return rc;
}

/* Imports, lowers and runs the model in dir; returns 0 on a match. */
static int check_model(dl_context *ctx, const char *dir, const char *passes, double rtol,
                       double atol, bool print) {
    char path[4096];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    dl_op *module = dl_onnx_import(ctx, path, NULL);
    if (!module) return fail("import: %s", first_error(ctx));
    dl_op *func = dl_module_lookup_func(module, "main");
    if (!func) return fail("import: no main");
    unsigned num_in = dl_func_entry(func)->num_args, num_out = dl_func_type(func)->num_results;
    dl_pipeline *pl = dl_pipeline_parse(ctx, passes);
    if (!pl) return fail("passes: %s", first_error(ctx));
    dl_pm_config cfg = {.verify_each = true};
    if (dl_pipeline_run(pl, module, &cfg) != DL_OK) return fail("lower: %s", first_error(ctx));
    if (print) dl_print_op(module, stderr, DL_PRINT_NO_LOCS);
    func = dl_module_lookup_func(module, "main");
    int sets = 0, rc = 0;
    for (int s = 0; !rc; s++) {
        snprintf(path, sizeof path, "%s/test_data_set_%d", dir, s);
        if (!exists(path)) break;
        rc = run_set(ctx, func, num_in, num_out, path, rtol, atol);
        sets++;
    }
    if (!rc && !sets) rc = fail("data: no test_data_set_0");
    if (!rc) printf("PASS\n");
    return rc;
}

int main(int argc, char **argv) {
    const char *passes = default_passes, *dir = NULL;
    double rtol = 1e-3, atol = 1e-5;
    bool print = false;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "-passes=", 8) == 0)
            passes = argv[i] + 8;
        else if (strncmp(argv[i], "-rtol=", 6) == 0)
            rtol = atof(argv[i] + 6);
        else if (strncmp(argv[i], "-atol=", 6) == 0)
            atol = atof(argv[i] + 6);
        else if (strcmp(argv[i], "-print") == 0)
            print = true;
        else if (!dir && argv[i][0] != '-')
            dir = argv[i];
        else {
            fprintf(stderr, "usage: lower_run [-passes=P] [-rtol=R] [-atol=A] [-print] DIR\n");
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "usage: lower_run [-passes=P] [-rtol=R] [-atol=A] [-print] DIR\n");
        return 2;
    }
    dl_context *ctx = dl_context_create();
    int rc = check_model(ctx, dir, passes, rtol, atol, print);
    dl_context_destroy(ctx);
    return rc;
}
