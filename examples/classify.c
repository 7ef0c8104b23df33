/* classify.c: how a C program uses a model compiled by dlcc: include the generated header,
 * call the plain-array entry point, print the result. Build (scripts/demo.sh does this):
 *   dlcc cnn.onnx -O3 -o cnn.so && cc -I. classify.c cnn.so -o classify
 * Usage: classify IMAGE.raw   (768 little-endian float32 values, 1x3x16x16) */
#include "cnn.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    static float image[cnn_INPUT0_ELEMENTS], probs[cnn_OUTPUT0_ELEMENTS];
    if (argc != 2) {
        fprintf(stderr, "usage: %s IMAGE.raw\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f || fread(image, sizeof(float), cnn_INPUT0_ELEMENTS, f) != cnn_INPUT0_ELEMENTS) {
        fprintf(stderr, "%s: cannot read %d floats\n", argv[1], cnn_INPUT0_ELEMENTS);
        return 1;
    }
    fclose(f);
    const void *inputs[] = {image};
    void *outputs[] = {probs};
    int status = cnn_run(inputs, outputs);
    if (status != 0) {
        fprintf(stderr, "cnn_run failed: %d\n", status);
        return 1;
    }
    int best = 0;
    for (int i = 0; i < cnn_OUTPUT0_ELEMENTS; i++) {
        printf("class %d: %.6f\n", i, probs[i]);
        if (probs[i] > probs[best]) best = i;
    }
    printf("predicted class: %d (p = %.4f)\n", best, probs[best]);
    return 0;
}
