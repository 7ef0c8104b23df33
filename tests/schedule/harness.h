/* harness.h: runs a kernel-level program through the interpreter before and after the
 * schedule pass (at each optimisation level and with researcher options) on the same
 * pseudo-random inputs, and compares every argument buffer bit for bit. Shared by the fixed
 * program test and the random program test. */
#ifndef DLCC_TEST_SCHEDULE_HARNESS_H
#define DLCC_TEST_SCHEDULE_HARNESS_H

#include "dlcc/pass.h"
#include "dlcc/text.h"
#include "interp/interp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pipelines every program goes through. No schedule reassociates a float reduction (the
 * reduction loops keep their order), so every comparison is bit-exact. */
static const char *const harness_variants[] = {
    "schedule{opt=0}",
    "schedule{opt=1}",
    "schedule{opt=2}",
    "schedule{opt=3,verify=1}",
    "schedule{opt=3,cache=4,8,parallel=1,verify=1}", /* tiny caches: automatic tiling everywhere */
    "schedule{opt=3,tile=7,5,3,parallel=1,verify=1}",
    "schedule{opt=2,tile=1,3,2,2,parallel=1,unroll=16}",
    "schedule{opt=3,fuse=0,tile=4,4,4,4}",
    "schedule{opt=1,fuse=1,parallel=1}",
    "schedule{opt=3,tile=64,1,2,parallel=1,vector=4}",
};
enum { HARNESS_NUM_VARIANTS = sizeof harness_variants / sizeof *harness_variants };

static uint64_t harness_rng(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Bytes of a memref argument (static, contiguous or strided from its base). */
static size_t harness_bytes(const dl_type *t) {
    if (t->kind != DL_TY_MEMREF) return dl_scalar_size(t->kind);
    int64_t last = t->offset, stride = 1;
    for (int r = t->rank - 1; r >= 0; r--) {
        int64_t s = t->strides ? t->strides[r] : stride;
        if (t->dims[r] <= 0) return 8;
        last += (t->dims[r] - 1) * s;
        stride *= t->dims[r];
    }
    return (size_t)(last + 1) * dl_scalar_size(t->elem->kind) + 8;
}

/* Fills a buffer with values of the element type: floats in [-2, 2], small integers. */
static void harness_fill(void *buf, size_t bytes, const dl_type *t, uint64_t *seed) {
    dl_type_kind k = dl_type_elem(t)->kind;
    size_t es = dl_scalar_size(k);
    for (size_t i = 0; i + es <= bytes; i += es) {
        uint64_t r = harness_rng(seed);
        double f = (double)(r % 4001) / 1000.0 - 2.0;
        int64_t v = (int64_t)(r % 41) - 20;
        char *p = (char *)buf + i;
        switch (k) {
        case DL_TY_F32: {
            float x = (float)f;
            memcpy(p, &x, 4);
            break;
        }
        case DL_TY_F64: memcpy(p, &f, 8); break;
        case DL_TY_F16: {
            uint16_t h = dl_f32_to_f16((float)f);
            memcpy(p, &h, 2);
            break;
        }
        case DL_TY_BF16: {
            uint16_t h = dl_f32_to_bf16((float)f);
            memcpy(p, &h, 2);
            break;
        }
        case DL_TY_I1: *p = (char)(r & 1); break;
        default:
            if (dl_type_is_unsigned(dl_type_elem(t)) || k == DL_TY_INDEX) v = (int64_t)(r % 41);
            memcpy(p, &v, es); /* little-endian truncation */
            break;
        }
    }
}

static bool harness_has_generic(dl_op *op) {
    size_t n;
    dl_op **ops = dl_collect_ops(op, &n);
    for (size_t i = 0; i < n; i++)
        if (ops[i]->kind == DL_OP_kernel_generic) return true;
    return false;
}

static bool harness_has_warning(dl_context *ctx) {
    for (const dl_diag *d = dl_diags(ctx); d; d = d->next)
        if (d->sev != DL_SEV_NOTE) return true;
    return false;
}

/* Runs `main` of the program in text through the interpreter on buffers (one per argument).
 * With pipeline, the program is scheduled first. Returns false on any failure. */
static bool harness_execute(const char *text, const char *name, const char *pipeline, void **bufs,
                            bool reverse) {
    dl_context *ctx = dl_context_create();
    dl_op *module = dl_parse(ctx, text, strlen(text), name);
    bool ok = module && dl_verify(module) == DL_OK;
    if (ok && pipeline) {
        dl_pipeline *pl = dl_pipeline_parse(ctx, pipeline);
        dl_pm_config cfg = {.verify_each = true};
        ok = pl && dl_pipeline_run(pl, module, &cfg) == DL_OK;
        if (ok && harness_has_generic(module)) {
            fprintf(stderr, "%s [%s]: kernel.generic left after scheduling\n", name, pipeline);
            ok = false;
        }
        if (ok && harness_has_warning(ctx)) {
            fprintf(stderr, "%s [%s]: the scheduler warned\n", name, pipeline);
            ok = false;
        }
    }
    dl_op *func = ok ? dl_module_lookup_func(module, "main") : NULL;
    dl_interp_options io = {.reverse_parallel = reverse};
    if (func && dl_interp_run_opts(func, bufs, &io) != DL_OK) ok = false;
    if (!ok) {
        fprintf(stderr, "%s [%s]: failed\n", name, pipeline ? pipeline : "reference");
        dl_diags_flush(ctx, stderr);
        if (module && pipeline && getenv("HARNESS_DUMP"))
            dl_print_op(module, stderr, DL_PRINT_NO_LOCS);
    }
    dl_context_destroy(ctx);
    return ok;
}

/* Reports the first differing element of argument a. */
static void harness_report(const char *name, const char *pipeline, unsigned a, const dl_type *t,
                           const char *got, const char *want, size_t bytes) {
    size_t es = dl_scalar_size(dl_type_elem(t)->kind), i = 0;
    while (i + es <= bytes && memcmp(got + i, want + i, es) == 0) i += es;
    fprintf(stderr, "%s [%s]: argument %u differs at element %zu", name, pipeline, a, i / es);
    if (dl_type_elem(t)->kind == DL_TY_F32) {
        float g, w;
        memcpy(&g, got + i, 4);
        memcpy(&w, want + i, 4);
        fprintf(stderr, ": got %.9g, want %.9g", g, w);
    }
    fputc('\n', stderr);
}

/* Checks one program under every variant; returns the number of failures. */
static int harness_check(const char *text, const char *name, uint64_t seed) {
    dl_context *ctx = dl_context_create();
    dl_diags_set_stream(ctx, stderr);
    dl_op *module = dl_parse(ctx, text, strlen(text), name);
    dl_op *func =
        module && dl_verify(module) == DL_OK ? dl_module_lookup_func(module, "main") : NULL;
    if (!func) {
        fprintf(stderr, "%s: no valid function 'main'\n", name);
        dl_context_destroy(ctx);
        return 1;
    }
    dl_block *entry = dl_func_entry(func);
    unsigned n = entry->num_args;
    const dl_type **types = calloc(n + 1, sizeof *types);
    size_t *sizes = calloc(n + 1, sizeof *sizes);
    void **init = calloc(n + 1, sizeof *init), **ref = calloc(n + 1, sizeof *ref),
         **run = calloc(n + 1, sizeof *run);
    for (unsigned a = 0; a < n; a++) {
        types[a] = entry->args[a]->type;
        sizes[a] = harness_bytes(types[a]);
        init[a] = calloc(1, sizes[a]);
        ref[a] = calloc(1, sizes[a]);
        run[a] = calloc(1, sizes[a]);
        harness_fill(init[a], sizes[a], types[a], &seed);
        memcpy(ref[a], init[a], sizes[a]);
    }
    dl_context_destroy(ctx);
    int failures = 0;
    if (!harness_execute(text, name, NULL, ref, false)) failures++;
    for (int v = 0; !failures && v < HARNESS_NUM_VARIANTS; v++) {
        for (unsigned a = 0; a < n; a++) memcpy(run[a], init[a], sizes[a]);
        if (!harness_execute(text, name, harness_variants[v], run, true)) {
            failures++;
            continue;
        }
        for (unsigned a = 0; a < n; a++)
            if (memcmp(run[a], ref[a], sizes[a]) != 0) {
                harness_report(name, harness_variants[v], a, types[a], run[a], ref[a], sizes[a]);
                failures++;
                break;
            }
    }
    for (unsigned a = 0; a < n; a++) {
        free(init[a]);
        free(ref[a]);
        free(run[a]);
    }
    free(init);
    free(ref);
    free(run);
    free(types);
    free(sizes);
    return failures;
}

#endif
