/* cli.c: LLVM-style command-line option matching shared by the dlcc tools. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *strip_dashes(const char *a) {
    if (a[0] != '-') return NULL;
    return a[1] == '-' ? a + 2 : a + 1;
}

bool dl_cli_flag(const dl_cli *c, const char *name) {
    const char *a = strip_dashes(c->argv[c->i]);
    return a && strcmp(a, name) == 0;
}

const char *dl_cli_value(dl_cli *c, const char *name, bool *missing) {
    const char *a = strip_dashes(c->argv[c->i]);
    if (!a) return NULL;
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != 0) return NULL;
    if (c->i + 1 >= c->argc) {
        if (missing) *missing = true;
        return NULL;
    }
    return c->argv[++c->i];
}

bool dl_cli_is_option(const dl_cli *c) {
    const char *a = c->argv[c->i];
    return a[0] == '-' && a[1] != 0;
}

char *dl_read_file(const char *path, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    if (f != stdin) fclose(f);
    *len = n;
    return buf;
}
