/* differential.c: compile a loop-level program, run the library and the reference interpreter
 * on the same inputs, compare every output (see differential.h). */
#include "differential.h"

#include "dlcc/runtime.h"
#include "dlcc/text.h"
#include "interp/interp.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A small deterministic generator (xorshift64*). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static double special_float(uint64_t r) {
    static const double s[] = {0.0,  -0.0, 1.0,   -1.0,     0.5,       -2.5, 3.5,   1e-3,
                               100., -1e4, 65504, INFINITY, -INFINITY, NAN,  1e-40, 0.75};
    return s[r % (sizeof s / sizeof *s)];
}

static int64_t special_int(uint64_t r, unsigned bits, bool is_unsigned) {
    int64_t max = bits >= 64 ? INT64_MAX : (int64_t)((UINT64_C(1) << (bits - 1)) - 1);
    int64_t min = bits >= 64 ? INT64_MIN : -max - 1;
    if (is_unsigned) max = bits >= 64 ? -1 : (int64_t)((UINT64_C(1) << bits) - 1), min = 0;
    const int64_t s[] = {0, 1, -1, 2, 3, 7, min, max, (int64_t)bits - 1, (int64_t)bits, -7, 100};
    return s[r % (sizeof s / sizeof *s)];
}

/* Fills n elements of kind k: a quarter special values, the rest small random numbers. */
static void fill(void *buf, int64_t n, dl_type_kind k) {
    for (int64_t i = 0; i < n; i++) {
        uint64_t r = rng();
        bool special = (r & 3) == 0;
        r >>= 2;
        double f = special ? special_float(r) : ((double)(r % 20001) - 10000.0) / 997.0;
        unsigned bits = k == DL_TY_INDEX ? 64 : dl_scalar_bits(k);
        bool is_unsigned = k == DL_TY_I1 || (k >= DL_TY_U8 && k <= DL_TY_U64);
        int64_t v = special ? special_int(r, bits, is_unsigned) : (int64_t)(r % 41) - 20;
        switch (k) {
        case DL_TY_F16: ((uint16_t *)buf)[i] = dl_f32_to_f16((float)f); break;
        case DL_TY_BF16: ((uint16_t *)buf)[i] = dl_f32_to_bf16((float)f); break;
        case DL_TY_F32: ((float *)buf)[i] = (float)f; break;
        case DL_TY_F64: ((double *)buf)[i] = f; break;
        case DL_TY_I1: ((uint8_t *)buf)[i] = (uint8_t)(v & 1); break;
        case DL_TY_I8:
        case DL_TY_U8: ((uint8_t *)buf)[i] = (uint8_t)v; break;
        case DL_TY_I16:
        case DL_TY_U16: ((uint16_t *)buf)[i] = (uint16_t)v; break;
        case DL_TY_I32:
        case DL_TY_U32: ((uint32_t *)buf)[i] = (uint32_t)v; break;
        default: ((int64_t *)buf)[i] = v; break;
        }
    }
}

static double as_double(const void *buf, int64_t i, dl_type_kind k) {
    switch (k) {
    case DL_TY_F16: return dl_f16_to_f32(((const uint16_t *)buf)[i]);
    case DL_TY_BF16: return dl_bf16_to_f32(((const uint16_t *)buf)[i]);
    case DL_TY_F32: return ((const float *)buf)[i];
    default: return ((const double *)buf)[i];
    }
}

static void print_element(FILE *out, const void *buf, int64_t i, dl_type_kind k) {
    if (k <= DL_TY_F64) {
        fprintf(out, "%.9g", as_double(buf, i, k));
        return;
    }
    size_t es = dl_scalar_size(k);
    uint64_t v = 0;
    memcpy(&v, (const char *)buf + (size_t)i * es, es);
    fprintf(out, "0x%llx", (unsigned long long)v);
}

/* Compares output arg (name) element by element; returns the index of the first mismatch or
 * -1. Outputs named approx_* (reductions in another order) get a 1e-2 relative tolerance. */
static int64_t compare(const char *prog, const char *name, const void *got, const void *want,
                       const dl_type *t) {
    dl_type_kind k = t->elem->kind;
    int64_t n = dl_type_num_elements(t), bad = 0, first = -1;
    size_t es = dl_scalar_size(k);
    double rtol = k == DL_TY_F64 ? 1e-12 : k == DL_TY_F32 ? 2e-6 : k == DL_TY_F16 ? 1e-3 : 8e-3;
    if (strncmp(name, "approx_", 7) == 0) rtol = 1e-2;
    for (int64_t i = 0; i < n; i++) {
        bool ok;
        if (k <= DL_TY_F64) {
            double a = as_double(got, i, k), b = as_double(want, i, k);
            ok = (isnan(a) && isnan(b)) || a == b || fabs(a - b) <= rtol * fabs(b) + 1e-300;
            if (!ok && bad < 5)
                fprintf(stderr, "%s: output '%s'[%lld]: got %.9g, interpreter %.9g\n", prog, name,
                        (long long)i, a, b);
        } else {
            ok = memcmp((const char *)got + (size_t)i * es, (const char *)want + (size_t)i * es,
                        es) == 0;
            if (!ok && bad < 5) {
                int64_t a = 0, b = 0;
                memcpy(&a, (const char *)got + (size_t)i * es, es);
                memcpy(&b, (const char *)want + (size_t)i * es, es);
                fprintf(stderr, "%s: output '%s'[%lld]: got 0x%llx, interpreter 0x%llx\n", prog,
                        name, (long long)i, (unsigned long long)a, (unsigned long long)b);
            }
        }
        if (!ok && first < 0) first = i;
        bad += !ok;
    }
    return first;
}

static size_t bytes_of(const dl_type *t) {
    return (size_t)dl_type_num_elements(t) * dl_scalar_size(t->elem->kind);
}

/* Checks that the library's description matches the function's arguments. */
static int check_info(const char *prog, const dlcc_model_info *info, dl_block *entry, unsigned nin,
                      unsigned nout) {
    if (info->num_inputs != (int)nin || info->num_outputs != (int)nout) {
        fprintf(stderr, "%s: dlcc_model lists %d inputs and %d outputs, expected %u and %u\n", prog,
                info->num_inputs, info->num_outputs, nin, nout);
        return 1;
    }
    for (unsigned i = 0; i < nin + nout; i++) {
        const dlcc_tensor_info *t = i < nin ? &info->inputs[i] : &info->outputs[i - nin];
        const dl_type *ty = entry->args[i]->type;
        bool ok = t->rank == ty->rank && t->num_elements == dl_type_num_elements(ty) &&
                  t->elem_bytes == (int64_t)dl_scalar_size(ty->elem->kind);
        for (int d = 0; ok && d < ty->rank; d++) ok = t->dims[d] == ty->dims[d];
        if (!ok) {
            fprintf(stderr, "%s: dlcc_model describes argument %u ('%s') wrongly\n", prog, i,
                    t->name);
            return 1;
        }
    }
    return 0;
}

static int run(const diff_config *cfg, dl_context *ctx, dl_op *module, const char *name) {
    dl_op *func = dl_module_lookup_func(module, "main");
    if (!func) {
        fprintf(stderr, "%s: no function 'main'\n", name);
        return 1;
    }
    dl_block *entry = dl_func_entry(func);
    const dl_attr *in_names = dl_op_attr(func, "arg_names");
    const dl_attr *out_names = dl_op_attr(func, "result_names");
    unsigned nargs = entry->num_args, nin = in_names ? in_names->u.array.n : 0;
    unsigned nout = out_names ? out_names->u.array.n : nargs - nin;
    bool arena = dl_op_attr(func, "arena_bytes") != NULL;
    if (nin + nout + arena != nargs) {
        fprintf(stderr, "%s: argument names do not match the arguments\n", name);
        return 1;
    }

    char *lib = dl_sprintf(ctx, "%s/%s.so", cfg->work_dir, name);
    dl_codegen_options opts = {.target = cfg->target ? cfg->target : "host",
                               .opt_level = cfg->opt_level,
                               .emit = DL_EMIT_LIB,
                               .output = lib,
                               .name = name};
    if (dl_codegen(module, &opts)) {
        dl_diags_flush(ctx, stderr);
        fprintf(stderr, "%s: code generation failed\n", name);
        return 1;
    }
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    const dlcc_model_info *info = h ? dlsym(h, "dlcc_model") : NULL;
    if (!info) {
        fprintf(stderr, "%s: cannot load %s: %s\n", name, lib, dlerror());
        return 1;
    }
    if (check_info(name, info, entry, nin, nout)) return 1;

    /* Reference buffers (interp) and library buffers get the same inputs. */
    void **ref = calloc(nargs + 1, sizeof(void *)), **got = calloc(nargs + 1, sizeof(void *));
    for (unsigned i = 0; i < nargs; i++) {
        const dl_type *t = entry->args[i]->type;
        size_t n = bytes_of(t) + 64;
        ref[i] = calloc(1, n);
        got[i] = calloc(1, n);
        if (i < nin) {
            fill(ref[i], dl_type_num_elements(t), t->elem->kind);
            memcpy(got[i], ref[i], n);
        }
    }
    int failed = 0;
    if (dl_interp_run(func, ref)) {
        dl_diags_flush(ctx, stderr);
        fprintf(stderr, "%s: the interpreter failed\n", name);
        failed = 1;
    }
    int r = info->run((const void *const *)got, got + nin);
    if (r != 0) {
        fprintf(stderr, "%s: the library returned %d\n", name, r);
        failed = 1;
    }
    for (unsigned k = 0; k < nout && !failed; k++) {
        const dl_type *t = entry->args[nin + k]->type;
        int64_t first = compare(name, info->outputs[k].name, got[nin + k], ref[nin + k], t);
        if (first < 0) continue;
        failed = 1;
        /* The inputs at the first mismatch, when they are shaped like the output. */
        for (unsigned i = 0; i < nin; i++) {
            const dl_type *it = entry->args[i]->type;
            if (dl_type_num_elements(it) != dl_type_num_elements(t)) continue;
            fprintf(stderr, "%s:   input '%s'[%lld] = ", name, info->inputs[i].name,
                    (long long)first);
            print_element(stderr, got[i], first, it->elem->kind);
            fputc('\n', stderr);
        }
    }
    for (unsigned i = 0; i < nargs; i++) {
        free(ref[i]);
        free(got[i]);
    }
    free(ref);
    free(got);
    if (cfg->verbose || failed) fprintf(stderr, "%s: %s\n", name, failed ? "FAILED" : "ok");
    return failed;
}

int diff_check_text(const diff_config *cfg, const char *name, const char *text, size_t len) {
    dl_context *ctx = dl_context_create();
    dl_op *module = dl_parse(ctx, text, len, name);
    int failed = 1;
    if (!module || dl_verify(module)) {
        dl_diags_flush(ctx, stderr);
        fprintf(stderr, "%s: the program does not parse or verify\n", name);
    } else {
        failed = run(cfg, ctx, module, name);
    }
    dl_context_destroy(ctx);
    return failed;
}

int diff_check_file(const diff_config *cfg, const char *path) {
    dl_context *ctx = dl_context_create();
    dl_op *module = dl_parse_file(ctx, path);
    int failed = 1;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *name = dl_strndup(ctx, base, strcspn(base, "."));
    for (char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            *p = '_';
    if (!module || dl_verify(module)) {
        dl_diags_flush(ctx, stderr);
        fprintf(stderr, "%s: the program does not parse or verify\n", path);
    } else {
        failed = run(cfg, ctx, module, name);
    }
    dl_context_destroy(ctx);
    return failed;
}
