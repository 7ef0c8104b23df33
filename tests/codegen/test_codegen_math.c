/* test_codegen_math.c: accuracy of the generated f32 exp, log, tanh and erf (inline, vectorised
 * IR) over the whole f32 range: every 4096th bit pattern (both signs, denormals, infinities,
 * NaNs) plus a dense grid where the functions bend, compiled at -O3 and compared with the
 * double-precision libm results in ulps of the f32 result.
 * Usage: test_codegen_math WORK_DIR */
#include "dlcc/codegen.h"
#include "dlcc/runtime.h"
#include "dlcc/text.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { N = (1 << 20) + 65536 };

static const char *const ops[] = {"exp", "log", "tanh", "erf"};
static double (*const ref[])(double) = {exp, log, tanh, erf};
/* Allowed error in ulps of the f32 result. */
static const double max_ulps[] = {2, 2, 4, 8};

static char *program(void) {
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    fprintf(f,
            "builtin.module() ({\n  builtin.func() {arg_names = [\"x\"], function_type = "
            "(memref<%dxf32>, memref<%dxf32>, memref<%dxf32>, memref<%dxf32>, memref<%dxf32>) "
            "-> (), result_names = [\"exp\", \"log\", \"tanh\", \"erf\"], sym_name = \"main\"} "
            "({\n  ^bb0(%%x: memref<%dxf32>, %%r0: memref<%dxf32>, %%r1: memref<%dxf32>, %%r2: "
            "memref<%dxf32>, %%r3: memref<%dxf32>):\n",
            N, N, N, N, N, N, N, N, N, N);
    fprintf(f,
            "    %%c0 = arith.constant() {value = 0 : index} : () -> (index)\n"
            "    %%c1 = arith.constant() {value = 1 : index} : () -> (index)\n"
            "    %%n = arith.constant() {value = %d : index} : () -> (index)\n"
            "    loop.for(%%c0, %%n, %%c1) {vectorize = 16} ({\n    ^bb0(%%i: index):\n"
            "      %%v = loop.load(%%x, %%i) : (memref<%dxf32>, index) -> (f32)\n",
            N, N);
    for (int k = 0; k < 4; k++)
        fprintf(f,
                "      %%y%d = arith.%s(%%v) : (f32) -> (f32)\n"
                "      loop.store(%%y%d, %%r%d, %%i) : (f32, memref<%dxf32>, index) -> ()\n",
                k, ops[k], k, k, N);
    fprintf(f, "      loop.yield() : () -> ()\n    }) : (index, index, index) -> ()\n"
               "    builtin.return() : () -> ()\n  })\n})\n");
    fclose(f);
    return text;
}

/* Error of got against the exact value in ulps of the f32 result (denormal ulps below). */
static double ulps(float got, double exact) {
    if (isnan(exact)) return isnan(got) ? 0 : INFINITY;
    float rounded = (float)exact;
    if (isinf(rounded))
        return got == rounded ? 0 : (isinf(got) ? INFINITY : fabs(got - exact) / ldexp(1, 104));
    if (isnan(got) || isinf(got)) return INFINITY;
    int e;
    frexpf(rounded == 0 ? 1e-45f : rounded, &e);
    double ulp = ldexp(1.0, (e - 24 < -149 ? -149 : e - 24));
    return fabs((double)got - exact) / ulp;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_codegen_math WORK_DIR\n");
        return 2;
    }
    mkdir(argv[1], 0755);
    char lib[4096];
    snprintf(lib, sizeof lib, "%s/math.so", argv[1]);
    char *text = program();
    dl_context *ctx = dl_context_create();
    dl_op *module = dl_parse(ctx, text, strlen(text), "math");
    dl_codegen_options opts = {
        .target = "host", .opt_level = 3, .emit = DL_EMIT_LIB, .output = lib, .name = "math"};
    if (!module || dl_codegen(module, &opts)) {
        dl_diags_flush(ctx, stderr);
        return 1;
    }
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    const dlcc_model_info *m = h ? dlsym(h, "dlcc_model") : NULL;
    if (!m) {
        fprintf(stderr, "cannot load %s\n", lib);
        return 1;
    }
    float *x = malloc(sizeof(float) * N), *y[4];
    for (int k = 0; k < 4; k++) y[k] = malloc(sizeof(float) * N);
    for (uint32_t i = 0; i < (1u << 20); i++) {
        uint32_t bits = i << 12 | (i * 2654435761u >> 20);
        memcpy(&x[i], &bits, 4);
    }
    for (int i = 0; i < 65536; i++) x[(1 << 20) + i] = -12.0f + 24.0f * (float)i / 65536.0f;
    const void *in[1] = {x};
    void *out[4] = {y[0], y[1], y[2], y[3]};
    if (m->run(in, out) != 0) return 1;
    int failed = 0;
    for (int k = 0; k < 4; k++) {
        double worst = 0;
        int at = 0;
        for (int i = 0; i < N; i++) {
            double u = ulps(y[k][i], ref[k]((double)x[i]));
            if (u > worst) worst = u, at = i;
        }
        bool ok = worst <= max_ulps[k];
        printf("%-5s max error %.2f ulp (at x = %.9g: got %.9g, exact %.9g) %s\n", ops[k], worst,
               x[at], y[k][at], ref[k]((double)x[at]), ok ? "ok" : "FAIL");
        failed |= !ok;
    }
    dl_context_destroy(ctx);
    free(text);
    return failed;
}
