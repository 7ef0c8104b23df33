/* test_onnx_damage.c: robustness of the ONNX importer: real conformance models, damaged in
 * memory in every way (truncations, bit flips, random byte runs, overwritten length varints)
 * plus hostile synthetic messages (deep nesting), are imported with dl_onnx_import_buffer;
 * each import must either succeed (and print) or fail with at least one error diagnostic.
 * A crash, hang or silent failure fails the test (run it under ASan: label "sanitize"). */
#include "dlcc/onnx.h"
#include "dlcc/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static FILE *devnull;
static unsigned imports, successes, failures_ok, silent_failures;

/* Imports one buffer; counts a failure without an error diagnostic. */
static void try_import(const uint8_t *data, size_t len, const char *path, const char *what,
                       size_t where) {
    dl_context *ctx = dl_context_create();
    dl_op *m = dl_onnx_import_buffer(ctx, data, len, path, NULL);
    imports++;
    if (m) {
        successes++;
        dl_print_op(m, devnull, DL_PRINT_DEFAULT);
    } else if (dl_error_count(ctx) > 0) {
        failures_ok++;
    } else {
        silent_failures++;
        fprintf(stderr, "FAIL: %s: %s at %zu failed without an error diagnostic\n", path, what,
                where);
    }
    dl_context_destroy(ctx);
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

static void damage_model(const char *path) {
    size_t len;
    uint8_t *orig = read_file(path, &len);
    if (!orig || len == 0) {
        fprintf(stderr, "FAIL: cannot read %s\n", path);
        silent_failures++;
        free(orig);
        return;
    }
    uint8_t *buf = malloc(len + 16);
    try_import(orig, len, path, "the undamaged model", 0);

    /* Truncations: every point in the first 64 bytes, then 64 spread over the rest. */
    for (size_t cut = 0; cut < len; cut += cut < 64 ? 1 : (len / 64 + 1)) {
        memcpy(buf, orig, cut);
        try_import(buf, cut, path, "truncation", cut);
    }
    /* Single and triple bit flips. */
    for (int i = 0; i < 200; i++) {
        memcpy(buf, orig, len);
        int flips = i < 150 ? 1 : 3;
        size_t pos = 0;
        for (int k = 0; k < flips; k++) {
            pos = rng() % len;
            buf[pos] ^= (uint8_t)(1u << (rng() % 8));
        }
        try_import(buf, len, path, "bit flip", pos);
    }
    /* Runs of random bytes. */
    for (int i = 0; i < 60; i++) {
        memcpy(buf, orig, len);
        size_t pos = rng() % len, run = 1 + rng() % 16;
        for (size_t k = pos; k < len && k < pos + run; k++) buf[k] = (uint8_t)rng();
        try_import(buf, len, path, "random bytes", pos);
    }
    /* Length varints after length-delimited field tags, overwritten with small, large and
     * overlong values. */
    static const uint8_t lengths[][6] = {
        {1, 0x00},
        {1, 0x7f},
        {2, 0xff, 0x01},
        {5, 0xff, 0xff, 0xff, 0xff, 0x0f},
    };
    unsigned done = 0;
    for (size_t p = 0; p + 2 < len && done < 60; p++) {
        if ((orig[p] & 7) != 2 || (orig[p] >> 3) == 0 || (orig[p] >> 3) > 20) continue;
        done++;
        for (size_t v = 0; v < sizeof lengths / sizeof *lengths; v++) {
            memcpy(buf, orig, len);
            size_t n = lengths[v][0];
            for (size_t k = 0; k < n && p + 1 + k < len; k++) buf[p + 1 + k] = lengths[v][1 + k];
            try_import(buf, len, path, "overwritten length", p + 1);
        }
    }
    free(buf);
    free(orig);
}

/* Appends a varint. */
static size_t put_varint(uint8_t *p, uint64_t v) {
    size_t n = 0;
    do {
        p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

/* A model whose graph nests node -> attribute -> graph -> node ... `levels` times, built from
 * the inside out; protobuf-c would recurse once per level. */
static void deep_nesting(unsigned levels) {
    size_t cap = (size_t)levels * 48 + 64;
    uint8_t *a = calloc(cap, 1), *b = calloc(cap, 1);
    size_t len = 0;
    /* innermost: an empty GraphProto, wrapped as AttributeProto.g, NodeProto.attribute,
     * GraphProto.node, again and again (levels is a multiple of 3) */
    static const unsigned fields[3] = {6, 5, 1};
    for (unsigned i = 0; i < levels; i++) {
        unsigned f = fields[i % 3];
        size_t n = 0;
        b[n++] = (uint8_t)(f << 3 | 2);
        n += put_varint(b + n, len);
        memcpy(b + n, a, len);
        len += n;
        uint8_t *t = a;
        a = b;
        b = t;
    }
    /* ModelProto.graph (7) around it, with opset_import {version: 17} (8) */
    size_t n = 0;
    b[n++] = 8 << 3 | 2;
    b[n++] = 2;
    b[n++] = 2 << 3 | 0;
    b[n++] = 17;
    b[n++] = 7 << 3 | 2;
    n += put_varint(b + n, len);
    memcpy(b + n, a, len);
    try_import(b, n + len, "deep.onnx", "deep nesting", levels);
    free(a);
    free(b);
}

int main(int argc, char **argv) {
    devnull = fopen("/dev/null", "w");
    for (int i = 1; i < argc; i++) damage_model(argv[i]);
    deep_nesting(30);
    deep_nesting(3000);
    deep_nesting(300000);
    printf("%u imports: %u succeeded, %u failed with an error, %u failed silently\n", imports,
           successes, failures_ok, silent_failures);
    fclose(devnull);
    if (argc < 2 || imports < 500) {
        fprintf(stderr, "FAIL: too few damaged models were tried\n");
        return 1;
    }
    return silent_failures ? 1 : 0;
}
