/* test_two_models.c: two models compiled with -emit=obj link into one program (their copies
 * of the Halide and dlcc runtimes are weak, `dlcc_model` is a weak alias) and both run. */
#include "e2e_model.h"
#include "parallel_add.h"

#include <stdio.h>

int main(void) {
    static float x[48], bias[8], y[48], a[64], b[16], c[64];
    static int64_t count[6];
    for (int i = 0; i < 48; i++) x[i] = 1.0f;
    for (int i = 0; i < 64; i++) a[i] = (float)i;
    for (int i = 0; i < 16; i++) b[i] = 0.5f;
    const void *in1[] = {x, bias}, *in2[] = {a, b};
    void *out1[] = {y, count}, *out2[] = {c};
    int failures = 0;
    failures += e2e_model_run(in1, out1) != 0 || y[3] != 2.0f || count[0] != 4;
    failures += parallel_add_run(in2, out2) != 0 || c[63] != 63.5f;
    printf("two models: %s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
