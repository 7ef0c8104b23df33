/* fma_peak.c: measures the single-core FMA peak of the machine (AVX-512: 24 independent chains
 * of vfmadd on zmm registers, enough to cover the latency of two FMA units) and prints it in
 * GFLOP/s (2 flops per lane and FMA). A measuring tool for benchmarks/layers.sh, not part of
 * the compiler.
 *
 * Build: cc -O2 -mavx512f -mfma benchmarks/fma_peak.c -o fma_peak */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

enum { CHAINS = 24 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void) {
    __m512 acc[CHAINS];
    const __m512 b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    const long iters = 10000000;
    double best = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        for (long k = 0; k < iters; k++) {
#pragma GCC unroll 24
            for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
        }
        double t = now() - t0;
        if (t < best) best = t;
    }
    float sum = 0;
    for (int i = 0; i < CHAINS; i++) sum += _mm512_reduce_add_ps(acc[i]);
    printf("%.1f GFLOP/s per core (checksum %g)\n", (double)iters * CHAINS * 32 / best / 1e9,
           (double)sum);
    return 0;
}
