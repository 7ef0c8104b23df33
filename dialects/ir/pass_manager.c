/* pass_manager.c: pass registry, pipeline strings and the pass manager (verification,
 * IR printing and timing between passes). */
#include "dlcc/pass.h"
#include "dlcc/text.h"
#include "internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DL_PASS(name, fn, summary, help)                                                           \
    dl_status fn(dl_op *module, const dl_pass_options *options);
#include "passes.def"
#undef DL_PASS

static const dl_pass_info pass_table[] = {
#define DL_PASS(name, fn, summary, help) {name, summary, fn, help},
#include "passes.def"
#undef DL_PASS
};

const dl_pass_info *dl_passes(size_t *count) {
    *count = sizeof pass_table / sizeof *pass_table;
    return pass_table;
}

const dl_pass_info *dl_pass_lookup(const char *name) {
    for (size_t i = 0; i < sizeof pass_table / sizeof *pass_table; i++)
        if (strcmp(pass_table[i].name, name) == 0) return &pass_table[i];
    return NULL;
}

void dl_passes_print(FILE *out) {
    for (size_t i = 0; i < sizeof pass_table / sizeof *pass_table; i++) {
        const dl_pass_info *p = &pass_table[i];
        fprintf(out, "  %-22s %s", p->name, p->summary);
        if (p->option_help[0]) fprintf(out, " {%s}", p->option_help);
        fputc('\n', out);
    }
}

const char *dl_pass_option(const dl_pass_options *o, const char *key) {
    for (unsigned i = 0; o && i < o->count; i++)
        if (strcmp(o->keys[i], key) == 0) return o->values[i];
    return NULL;
}

int64_t dl_pass_option_int(const dl_pass_options *o, const char *key, int64_t dflt) {
    const char *v = dl_pass_option(o, key);
    if (!v) return dflt;
    char *end;
    long long x = strtoll(v, &end, 10);
    return *end ? dflt : x;
}

int dl_pass_option_ints(const dl_pass_options *o, const char *key, int64_t *out, int max) {
    const char *v = dl_pass_option(o, key);
    if (!v) return -1;
    int n = 0;
    while (*v) {
        char *end;
        long long x = strtoll(v, &end, 10);
        if (end == v) return -1;
        if (n < max) out[n] = x;
        n++;
        v = end;
        if (*v == ',')
            v++;
        else if (*v)
            return -1;
    }
    return n;
}

typedef struct pass_instance {
    const dl_pass_info *pass;
    dl_pass_options options;
} pass_instance;

struct dl_pipeline {
    dl_context *ctx;
    pass_instance *items;
    size_t count, cap;
};

dl_pipeline *dl_pipeline_create(dl_context *ctx) {
    dl_pipeline *pl = DL_NEW(ctx, dl_pipeline);
    pl->ctx = ctx;
    return pl;
}

size_t dl_pipeline_size(const dl_pipeline *pl) {
    return pl->count;
}

void dl_pipeline_add(dl_pipeline *pl, const dl_pass_info *pass, const dl_pass_options *options) {
    if (pl->count == pl->cap) {
        size_t cap = pl->cap ? pl->cap * 2 : 8;
        pass_instance *n = DL_NEW_ARRAY(pl->ctx, pass_instance, cap);
        if (pl->count) memcpy(n, pl->items, sizeof(*n) * pl->count);
        pl->items = n;
        pl->cap = cap;
    }
    pl->items[pl->count++] = (pass_instance){pass, options ? *options : (dl_pass_options){0}};
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
    return s;
}

/* Splits "k=v,k2=a,b" into options; a piece without '=' continues the previous value. */
static bool parse_options(dl_context *ctx, char *body, dl_pass_options *o, const char *pass) {
    unsigned cap = 0;
    o->count = 0;
    char *save = NULL;
    for (char *piece = strtok_r(body, ",", &save); piece; piece = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(piece, '=');
        if (!eq) {
            if (!o->count) {
                dl_error(ctx, dl_loc_unknown(), "pass '%s': option '%s' has no '=value'", pass,
                         trim(piece));
                return false;
            }
            o->values[o->count - 1] =
                dl_sprintf(ctx, "%s,%s", o->values[o->count - 1], trim(piece));
            continue;
        }
        *eq = 0;
        if (o->count == cap) {
            cap = cap ? cap * 2 : 4;
            const char **k = DL_NEW_ARRAY(ctx, const char *, cap),
                       **v = DL_NEW_ARRAY(ctx, const char *, cap);
            if (o->count) {
                memcpy(k, o->keys, sizeof(*k) * o->count);
                memcpy(v, o->values, sizeof(*v) * o->count);
            }
            o->keys = k;
            o->values = v;
        }
        o->keys[o->count] = dl_strdup(ctx, trim(piece));
        o->values[o->count] = dl_strdup(ctx, trim(eq + 1));
        o->count++;
    }
    return true;
}

dl_pipeline *dl_pipeline_parse(dl_context *ctx, const char *text) {
    dl_pipeline *pl = dl_pipeline_create(ctx);
    char *s = dl_strdup(ctx, text);
    while (*s) {
        /* one element: name or name{...}; braces may hold commas */
        char *start = s;
        int depth = 0;
        while (*s && (depth || *s != ',')) {
            if (*s == '{')
                depth++;
            else if (*s == '}' && --depth < 0)
                break;
            s++;
        }
        if (depth != 0 || *s == '}') {
            dl_error(ctx, dl_loc_unknown(), "pass pipeline '%s': unbalanced braces", text);
            return NULL;
        }
        char saved = *s;
        *s = 0;
        char *elem = trim(start);
        if (*elem) {
            dl_pass_options opts = {0};
            char *brace = strchr(elem, '{');
            if (brace) {
                char *close = strrchr(brace, '}');
                if (!close || close[1]) {
                    dl_error(ctx, dl_loc_unknown(), "pass pipeline: malformed options in '%s'",
                             elem);
                    return NULL;
                }
                *close = 0;
                *brace = 0;
                if (!parse_options(ctx, brace + 1, &opts, elem)) return NULL;
            }
            elem = trim(elem);
            const dl_pass_info *pass = dl_pass_lookup(elem);
            if (!pass) {
                dl_error(ctx, dl_loc_unknown(),
                         "unknown pass '%s' (dlcc-opt -list-passes shows them all)", elem);
                return NULL;
            }
            dl_pipeline_add(pl, pass, &opts);
        }
        if (!saved) break;
        s++;
    }
    return pl;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

dl_status dl_pipeline_run(dl_pipeline *pl, dl_op *module, const dl_pm_config *cfg) {
    dl_pm_config none = {0};
    if (!cfg) cfg = &none;
    FILE *out = cfg->print_stream ? cfg->print_stream : stderr;
    double *times = calloc(pl->count ? pl->count : 1, sizeof(double));
    DL_ASSERT(times);
    dl_status st = DL_OK;
    double total = 0;
    size_t done = 0;
    for (size_t i = 0; i < pl->count && st == DL_OK; i++, done++) {
        const pass_instance *pi = &pl->items[i];
        double t0 = now_seconds();
        st = pi->pass->run(module, &pi->options);
        times[i] = now_seconds() - t0;
        total += times[i];
        if (st == DL_OK && dl_error_count(module->ctx)) st = DL_FAILURE;
        if (st != DL_OK) {
            dl_error(module->ctx, dl_loc_unknown(), "pass '%s' failed", pi->pass->name);
            break;
        }
        if (cfg->verify_each && dl_verify(module) != DL_OK) {
            dl_error(module->ctx, dl_loc_unknown(), "the IR does not verify after pass '%s'",
                     pi->pass->name);
            st = DL_FAILURE;
            break;
        }
        if (cfg->print_after_all ||
            (cfg->print_after && strcmp(cfg->print_after, pi->pass->name) == 0)) {
            fprintf(out, "// -----// IR Dump After %s //----- //\n", pi->pass->name);
            dl_print_op(module, out, DL_PRINT_DEFAULT);
        }
    }
    if (cfg->time_passes) {
        fprintf(
            out,
            "===-------------------------------------------------------------------------===\n");
        fprintf(out, "                         ... Pass execution timing report ...\n");
        fprintf(
            out,
            "===-------------------------------------------------------------------------===\n");
        fprintf(out, "  Total Execution Time: %.4f seconds\n\n   ---Wall Time---  --- Name ---\n",
                total);
        for (size_t i = 0; i < done + (st != DL_OK && done < pl->count); i++)
            fprintf(out, "   %.4f (%5.1f%%)  %s\n", times[i],
                    total > 0 ? 100.0 * times[i] / total : 0.0, pl->items[i].pass->name);
        fprintf(out, "   %.4f (100.0%%)  Total\n", total);
    }
    free(times);
    return st;
}
