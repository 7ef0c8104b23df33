/* dlcc_opt.c: dlcc-opt: reads IR text of any dialect, runs a pass pipeline, prints the result. */
#include "cli.h"
#include "dlcc/pass.h"
#include "dlcc/text.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
    fputs("usage: dlcc-opt [FILE.dl] [options]\n"
          "Reads IR text ('-' or no file: stdin), runs passes, prints the IR.\n\n"
          "  -passes=P1,P2{opt=v},...  pass pipeline to run\n"
          "  -o FILE                   write the output to FILE (default stdout)\n"
          "  -verify-each              verify the IR after every pass\n"
          "  -print-ir-after-all       print the IR after every pass (to stderr)\n"
          "  -print-ir-after=PASS      print the IR after each run of PASS (to stderr)\n"
          "  -time-passes              print pass timings (to stderr)\n"
          "  -no-locs                  do not print loc(...) annotations\n"
          "  -verify-diagnostics       check diagnostics against // expected-error {{...}} lines\n"
          "  -split-input-file         treat '// -----' lines as separators of independent inputs\n"
          "  -list-passes              list the registered passes\n"
          "  -help                     this text\n"
          "Exit status: 0 success, 1 invalid input or failing pass, 2 usage error.\n",
          out);
}

/* One `// expected-error {{text}}` (or expected-warning/note) marker; @+N/@-N shift the line. */
typedef struct expectation {
    unsigned line;
    dl_severity sev;
    char *text;
    bool seen;
} expectation;

static size_t collect_expectations(const char *buf, size_t len, expectation **out) {
    static const struct {
        const char *tag;
        dl_severity sev;
    } tags[] = {{"expected-error", DL_SEV_ERROR},
                {"expected-warning", DL_SEV_WARNING},
                {"expected-note", DL_SEV_NOTE}};
    size_t n = 0, cap = 0;
    unsigned line = 1;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            line++;
            continue;
        }
        for (size_t t = 0; t < 3; t++) {
            size_t tl = strlen(tags[t].tag);
            if (i + tl > len || strncmp(buf + i, tags[t].tag, tl) != 0) continue;
            size_t j = i + tl;
            long shift = 0;
            if (j < len && buf[j] == '@') {
                char *end;
                shift = strtol(buf + j + 1, &end, 10);
                j = (size_t)(end - buf);
            }
            while (j < len && buf[j] == ' ') j++;
            if (j + 2 > len || strncmp(buf + j, "{{", 2) != 0) continue;
            const char *start = buf + j + 2;
            const char *close = strstr(start, "}}");
            if (!close || (size_t)(close - buf) > len) continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                *out = realloc(*out, sizeof(**out) * cap);
            }
            (*out)[n++] = (expectation){(unsigned)((long)line + shift), tags[t].sev,
                                        strndup(start, (size_t)(close - start)), false};
            i = (size_t)(close - buf) + 1;
            break;
        }
    }
    return n;
}

/* Matches emitted diagnostics against expectations; prints mismatches; true if all match. */
static bool check_diagnostics(dl_context *ctx, expectation *ex, size_t nex) {
    bool ok = true;
    for (const dl_diag *d = dl_diags(ctx); d; d = d->next) {
        bool matched = false;
        for (size_t i = 0; i < nex && !matched; i++) {
            if (ex[i].seen || ex[i].sev != d->sev || ex[i].line != d->loc.line) continue;
            if (strstr(d->msg, ex[i].text)) matched = ex[i].seen = true;
        }
        if (!matched) {
            fputs("unexpected diagnostic: ", stderr);
            dl_diag_format(d, stderr);
            ok = false;
        }
    }
    for (size_t i = 0; i < nex; i++)
        if (!ex[i].seen) {
            fprintf(stderr, "line %u: expected diagnostic not produced: %s\n", ex[i].line,
                    ex[i].text);
            ok = false;
        }
    return ok;
}

/* Offset of the next "// -----" line at or after start, or len. */
static size_t find_separator(const char *text, size_t len, size_t start) {
    for (size_t i = start; i < len; i++) {
        if ((i == 0 || text[i - 1] == '\n') && len - i >= 8 &&
            strncmp(text + i, "// -----", 8) == 0)
            return i;
    }
    return len;
}

/* Parses, verifies, transforms and prints one input; returns the exit status. */
static int process(const char *text, size_t len, const char *name, const char *pipeline,
                   const dl_pm_config *cfg, bool verify_diags, bool no_locs, FILE *out) {
    dl_context *ctx = dl_context_create();
    if (!verify_diags) dl_diags_set_stream(ctx, stderr);
    int status = 0;
    dl_op *module = dl_parse(ctx, text, len, name);
    if (module && dl_verify(module) != DL_OK) module = NULL;
    if (module && pipeline) {
        dl_pipeline *pl = dl_pipeline_parse(ctx, pipeline);
        if (!pl || dl_pipeline_run(pl, module, cfg) != DL_OK)
            module = NULL;
        else if (!cfg->verify_each && dl_verify(module) != DL_OK)
            module = NULL;
    }
    if (verify_diags) {
        expectation *ex = NULL;
        size_t nex = collect_expectations(text, len, &ex);
        status = check_diagnostics(ctx, ex, nex) ? 0 : 1;
        for (size_t i = 0; i < nex; i++) free(ex[i].text);
        free(ex);
    } else if (!module || dl_error_count(ctx)) {
        status = 1;
    } else {
        dl_print_op(module, out, no_locs ? DL_PRINT_NO_LOCS : DL_PRINT_DEFAULT);
    }
    dl_context_destroy(ctx);
    return status;
}

int main(int argc, char **argv) {
    const char *input = "-", *output = NULL, *pipeline = NULL;
    dl_pm_config cfg = {0};
    bool verify_diags = false, no_locs = false, have_input = false, split = false;
    dl_cli c = {argc, argv, 1};
    for (; c.i < argc; c.i++) {
        bool missing = false;
        const char *v;
        if (dl_cli_flag(&c, "help") || dl_cli_flag(&c, "h")) {
            usage(stdout);
            return 0;
        } else if (dl_cli_flag(&c, "list-passes")) {
            dl_passes_print(stdout);
            return 0;
        } else if ((v = dl_cli_value(&c, "passes", &missing))) {
            pipeline = v;
        } else if ((v = dl_cli_value(&c, "o", &missing))) {
            output = v;
        } else if ((v = dl_cli_value(&c, "print-ir-after", &missing))) {
            cfg.print_after = v;
        } else if (dl_cli_flag(&c, "verify-each")) {
            cfg.verify_each = true;
        } else if (dl_cli_flag(&c, "print-ir-after-all")) {
            cfg.print_after_all = true;
        } else if (dl_cli_flag(&c, "time-passes")) {
            cfg.time_passes = true;
        } else if (dl_cli_flag(&c, "verify-diagnostics")) {
            verify_diags = true;
        } else if (dl_cli_flag(&c, "split-input-file")) {
            split = true;
        } else if (dl_cli_flag(&c, "no-locs")) {
            no_locs = true;
        } else if (dl_cli_is_option(&c)) {
            fprintf(stderr, "dlcc-opt: %s '%s'\n", missing ? "missing value for" : "unknown option",
                    argv[c.i]);
            usage(stderr);
            return 2;
        } else if (!have_input) {
            input = argv[c.i];
            have_input = true;
        } else {
            fprintf(stderr, "dlcc-opt: more than one input file ('%s')\n", argv[c.i]);
            return 2;
        }
    }

    size_t len = 0;
    char *text = dl_read_file(input, &len);
    if (!text) {
        fprintf(stderr, "dlcc-opt: cannot read '%s'\n", input);
        return 1;
    }
    FILE *out = output ? fopen(output, "w") : stdout;
    if (!out) {
        fprintf(stderr, "dlcc-opt: cannot write '%s'\n", output);
        free(text);
        return 1;
    }
    const char *name = strcmp(input, "-") == 0 ? "<stdin>" : input;
    int status = 0;
    /* Each chunk is parsed with the lines before it blanked, so line numbers stay true. */
    size_t start = 0;
    bool first = true;
    while (start <= len) {
        size_t end = split ? find_separator(text, len, start) : len;
        size_t lines_before = 0;
        for (size_t i = 0; i < start; i++) lines_before += text[i] == '\n';
        size_t chunk_len = lines_before + (end - start);
        char *chunk = malloc(chunk_len + 1);
        memset(chunk, '\n', lines_before);
        memcpy(chunk + lines_before, text + start, end - start);
        chunk[chunk_len] = 0;
        if (!first) fputs("// -----\n", out);
        first = false;
        status |= process(chunk, chunk_len, name, pipeline, &cfg, verify_diags, no_locs, out);
        free(chunk);
        if (end >= len) break;
        start = end;
        while (start < len && text[start] != '\n') start++; /* skip the separator line */
        start++;
    }
    if (out != stdout) fclose(out);
    free(text);
    return status;
}
