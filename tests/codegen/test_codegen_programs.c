/* test_codegen_programs.c: compiles each loop-level program given on the command line to a
 * model library and compares its outputs with the reference interpreter's.
 * Usage: test_codegen_programs WORK_DIR [-O0..-O3] [-target=T] [-v] FILE.dl... */
#include "differential.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv) {
    diff_config cfg = {.opt_level = 2};
    int failures = 0, total = 0;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "-O", 2) == 0) {
            cfg.opt_level = atoi(argv[i] + 2);
        } else if (strncmp(argv[i], "-target=", 8) == 0) {
            cfg.target = argv[i] + 8;
        } else if (strcmp(argv[i], "-v") == 0) {
            cfg.verbose = true;
        } else if (!cfg.work_dir) {
            cfg.work_dir = argv[i];
            mkdir(cfg.work_dir, 0755);
        } else {
            failures += diff_check_file(&cfg, argv[i]);
            total++;
        }
    }
    if (!cfg.work_dir) {
        fprintf(stderr, "usage: test_codegen_programs WORK_DIR [-O0..-O3] [-target=T] [-v] "
                        "FILE.dl...\n");
        return 2;
    }
    printf("%d of %d programs match the interpreter (-O%d)\n", total - failures, total,
           cfg.opt_level);
    return failures ? 1 : 0;
}
