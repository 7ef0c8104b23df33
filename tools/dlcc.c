/* dlcc.c: the dlcc compiler driver: ONNX model in, native library + header out. */
#include "cli.h"
#include "dlcc/pass.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
    fputs("usage: dlcc MODEL.onnx [-o OUT] [-target=T] [-O0|-O1|-O2|-O3] [-emit=KIND]\n"
          "            [-shape NAME=1x3x224x224] [-passes=PIPELINE] [-print-ir-after-all]\n"
          "            [-print-ir-after=PASS] [-time-passes] [-j N]\n\n"
          "  -target=T   host (default), x86-64, x86-64-avx2, x86-64-avx512, nvptx[-sm_NN],\n"
          "              accel=FILE.xml\n"
          "  -emit=KIND  lib (OUT.so + OUT.h, default), obj, asm, llvm, ptx, graph, loop, header\n"
          "Exit status: 0 success, 1 unsupported or invalid input, 2 usage error.\n",
          out);
}

int main(int argc, char **argv) {
    const char *input = NULL;
    dl_cli c = {argc, argv, 1};
    for (; c.i < argc; c.i++) {
        bool missing = false;
        const char *v;
        if (dl_cli_flag(&c, "help") || dl_cli_flag(&c, "h")) {
            usage(stdout);
            return 0;
        } else if ((v = dl_cli_value(&c, "o", &missing)) ||
                   (v = dl_cli_value(&c, "target", &missing)) ||
                   (v = dl_cli_value(&c, "emit", &missing)) ||
                   (v = dl_cli_value(&c, "shape", &missing)) ||
                   (v = dl_cli_value(&c, "passes", &missing)) ||
                   (v = dl_cli_value(&c, "print-ir-after", &missing)) ||
                   (v = dl_cli_value(&c, "j", &missing))) {
        } else if (dl_cli_flag(&c, "O0") || dl_cli_flag(&c, "O1") || dl_cli_flag(&c, "O2") ||
                   dl_cli_flag(&c, "O3") || dl_cli_flag(&c, "print-ir-after-all") ||
                   dl_cli_flag(&c, "time-passes")) {
        } else if (dl_cli_is_option(&c)) {
            fprintf(stderr, "dlcc: %s '%s'\n", missing ? "missing value for" : "unknown option",
                    argv[c.i]);
            usage(stderr);
            return 2;
        } else if (!input) {
            input = argv[c.i];
        } else {
            fprintf(stderr, "dlcc: more than one input model ('%s')\n", argv[c.i]);
            return 2;
        }
    }
    if (!input) {
        usage(stderr);
        return 2;
    }
    fprintf(stderr, "dlcc: %s: error: ONNX import is not implemented in this build yet\n", input);
    return 1;
}
