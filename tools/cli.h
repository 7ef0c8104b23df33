/* cli.h: LLVM-style command-line option matching shared by the dlcc tools. */
#ifndef DLCC_CLI_H
#define DLCC_CLI_H

#include <stdbool.h>
#include <stddef.h>

typedef struct dl_cli {
    int argc;
    char **argv;
    int i; /* index of the argument being examined */
} dl_cli;

/* True if the current argument is -name or --name. */
bool dl_cli_flag(const dl_cli *c, const char *name);
/* If the current argument is -name=V, --name=V, or -name V / --name V (then the value is
 * consumed), returns V; NULL otherwise. Sets *missing when -name ends the command line. */
const char *dl_cli_value(dl_cli *c, const char *name, bool *missing);
/* True if the current argument starts with '-' and is not "-" alone. */
bool dl_cli_is_option(const dl_cli *c);
/* Reads a whole file into a malloc'ed buffer; NULL on error (errno set). */
char *dl_read_file(const char *path, size_t *len);

#endif
