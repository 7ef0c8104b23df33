/* dlcc_run.c: dlcc-run: loads a compiled model library, runs it on ONNX test data, compares
 * or benchmarks. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
    fputs("usage: dlcc-run LIB.so [--test-data DIR] [--input NAME=FILE.pb ...] [--output-dir D]\n"
          "                [--rtol R] [--atol A] [--bench N] [--threads N]\n"
          "Exit status: 0 outputs match, 1 mismatch, 2 error.\n",
          out);
}

int main(int argc, char **argv) {
    const char *lib = NULL;
    dl_cli c = {argc, argv, 1};
    for (; c.i < argc; c.i++) {
        bool missing = false;
        const char *v;
        if (dl_cli_flag(&c, "help") || dl_cli_flag(&c, "h")) {
            usage(stdout);
            return 0;
        } else if ((v = dl_cli_value(&c, "test-data", &missing)) ||
                   (v = dl_cli_value(&c, "input", &missing)) ||
                   (v = dl_cli_value(&c, "output-dir", &missing)) ||
                   (v = dl_cli_value(&c, "rtol", &missing)) ||
                   (v = dl_cli_value(&c, "atol", &missing)) ||
                   (v = dl_cli_value(&c, "bench", &missing)) ||
                   (v = dl_cli_value(&c, "threads", &missing))) {
        } else if (dl_cli_is_option(&c)) {
            fprintf(stderr, "dlcc-run: %s '%s'\n", missing ? "missing value for" : "unknown option",
                    argv[c.i]);
            usage(stderr);
            return 2;
        } else if (!lib) {
            lib = argv[c.i];
        } else {
            fprintf(stderr, "dlcc-run: more than one library ('%s')\n", argv[c.i]);
            return 2;
        }
    }
    if (!lib) {
        usage(stderr);
        return 2;
    }
    fprintf(stderr,
            "dlcc-run: %s: error: running compiled models is not implemented in this build yet\n",
            lib);
    return 2;
}
