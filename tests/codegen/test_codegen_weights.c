/* test_codegen_weights.c: large constants (weights) through the data object of model libraries.
 *  1. The ELF writer (codegen/data_object.c) on its own: the object it writes is read back and
 *     its header, sections, symbols (hidden, global, 64-byte aligned, sized) and bytes (data
 *     blocks, splats expanded, zero padding) are checked.
 *  2. A loop-level program copying kernel.global constants of every element type to outputs,
 *     compiled to a library and compared with the reference interpreter: random data just
 *     above, at and below the size that moves constants to the data object, uniform data and
 *     splats (kept LLVM constants up to a size), and a splat above that size; the library's
 *     symbols show which constants went to the data object.
 * Usage: test_codegen_weights WORK_DIR [-O0..-O3] [-target=T] [-v] */
#include "codegen/cg.h"
#include "differential.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int failures;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* A small deterministic generator (xorshift64*). */
static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint64_t rng(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* ---- 1. The data object writer ------------------------------------------------------------ */

static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc(*size + 1);
    if (fread(data, 1, *size, f) != *size) *size = 0;
    fclose(f);
    return data;
}

static void test_data_object(const char *work_dir) {
    enum { N = 4 };
    static unsigned char bytes[3000];
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (unsigned char)rng();
    const uint16_t unit = 0xBEEF;
    cg_data_block blocks[N] = {
        {.symbol = "m.weight.a", .data = bytes, .size = 1000},
        {.symbol = "m.weight.b", .data = &unit, .size = 2 * 777, .unit = 2}, /* a splat */
        {.symbol = "m.weight.c", .data = bytes + 1000, .size = 1},
        {.symbol = "m.weight.d", .data = bytes + 1001, .size = 1999},
    };
    dl_context *ctx = dl_context_create();
    char *path = dl_sprintf(ctx, "%s/data_object.o", work_dir);
    CHECK(cg_data_object_supports("x86_64-unknown-linux-gnu"));
    CHECK(!cg_data_object_supports("nvptx64-nvidia-cuda"));
    CHECK(cg_write_data_object(ctx, path, "x86_64-unknown-linux-gnu", blocks, N) == DL_OK);
    size_t size = 0;
    unsigned char *file = read_file(path, &size);
    CHECK(file && size > sizeof(Elf64_Ehdr));
    if (!file || size <= sizeof(Elf64_Ehdr)) {
        free(file);
        dl_context_destroy(ctx);
        return;
    }
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)file;
    CHECK(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
          eh->e_ident[EI_DATA] == ELFDATA2LSB);
    CHECK(eh->e_type == ET_REL && eh->e_machine == EM_X86_64 && eh->e_version == EV_CURRENT);
    CHECK(eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) <= size);
    CHECK(eh->e_shentsize == sizeof(Elf64_Shdr) && eh->e_shstrndx < eh->e_shnum);
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(file + eh->e_shoff);
    const char *names = (const char *)file + sh[eh->e_shstrndx].sh_offset;
    const Elf64_Shdr *data = NULL, *symtab = NULL, *note = NULL;
    for (unsigned i = 1; i < eh->e_shnum; i++) {
        CHECK(sh[i].sh_offset + (sh[i].sh_type == SHT_NOBITS ? 0 : sh[i].sh_size) <= size);
        const char *name = names + sh[i].sh_name;
        if (strcmp(name, ".rodata.dlcc_weights") == 0) data = &sh[i];
        if (strcmp(name, ".note.GNU-stack") == 0) note = &sh[i];
        if (sh[i].sh_type == SHT_SYMTAB) symtab = &sh[i];
    }
    CHECK(data && symtab && note);
    if (!data || !symtab || !note) {
        free(file);
        dl_context_destroy(ctx);
        return;
    }
    CHECK(data->sh_type == SHT_PROGBITS && data->sh_flags == SHF_ALLOC);
    CHECK(data->sh_addralign == 64 && data->sh_offset % 64 == 0);
    CHECK(note->sh_size == 0 && (note->sh_flags & SHF_EXECINSTR) == 0);
    const Elf64_Sym *syms = (const Elf64_Sym *)(file + symtab->sh_offset);
    const char *strs = (const char *)file + sh[symtab->sh_link].sh_offset;
    unsigned nsyms = (unsigned)(symtab->sh_size / sizeof(Elf64_Sym));
    CHECK(symtab->sh_entsize == sizeof(Elf64_Sym) && nsyms == N + 1 && symtab->sh_info == 1);
    uint64_t end = 0;
    for (unsigned i = 1; i < nsyms && i <= N; i++) {
        const Elf64_Sym *s = &syms[i];
        const cg_data_block *b = &blocks[i - 1];
        CHECK(strcmp(strs + s->st_name, b->symbol) == 0);
        CHECK(ELF64_ST_BIND(s->st_info) == STB_GLOBAL && ELF64_ST_TYPE(s->st_info) == STT_OBJECT);
        CHECK(ELF64_ST_VISIBILITY(s->st_other) == STV_HIDDEN);
        CHECK(s->st_shndx == (unsigned)(data - sh) && s->st_size == b->size);
        CHECK(s->st_value % 64 == 0 && s->st_value >= end);
        CHECK(s->st_value + s->st_size <= data->sh_size);
        const unsigned char *at = file + data->sh_offset + s->st_value;
        for (uint64_t k = end; k < s->st_value; k++) CHECK(file[data->sh_offset + k] == 0);
        bool same = true;
        for (uint64_t k = 0; k < b->size; k++)
            same &= at[k] == ((const unsigned char *)b->data)[b->unit ? k % b->unit : k];
        CHECK(same);
        end = s->st_value + s->st_size;
    }
    CHECK(end == data->sh_size);
    free(file);
    dl_context_destroy(ctx);
}

/* ---- 2. Constants of every element type, compared with the interpreter -------------------- */

static const char *const types[] = {"f16", "bf16", "f32", "f64", "i1",  "i8", "i16",
                                    "i32", "i64",  "u8",  "u16", "u32", "u64"};

static int type_bytes(const char *t) {
    if (strcmp(t, "i1") == 0) return 1;
    return atoi(t[0] == 'b' ? t + 2 : t + 1) / 8;
}

/* Hex bytes of n elements of type t (bools are 0 or 1): random ones, or (uniform) one random
 * element repeated. */
static void print_hex(FILE *f, const char *t, int64_t n, bool uniform) {
    fputs("\"0x", f);
    int es = type_bytes(t);
    unsigned char element[8];
    for (int64_t i = 0; i < n; i++) {
        for (int b = 0; b < es && (!uniform || i == 0); b++)
            element[b] = strcmp(t, "i1") == 0 ? (unsigned char)(rng() & 1) : (unsigned char)rng();
        for (int b = 0; b < es; b++) fprintf(f, "%02X", element[b]);
    }
    fputc('"', f);
}

/* The cases of each type: random data just above the size that moves constants to the data
 * object, exactly at it and just below it (an LLVM constant); uniform data (kept an LLVM
 * constant): a splat, the same element written out, and a splat too large to keep (the data
 * object expands it). */
enum { ABOVE, AT, BELOW, SPLAT, UNIFORM, BIG_SPLAT, NUM_CASES };
static const char *const case_names[NUM_CASES] = {"above", "at",      "below",
                                                  "splat", "uniform", "big_splat"};
/* Cases that go to the data object. */
static bool is_external(int c) {
    return c == ABOVE || c == AT || c == BIG_SPLAT;
}

static int64_t case_elements(int c, int64_t es) {
    int64_t limit = CG_EXTERNAL_DATA_MIN_BYTES;
    switch (c) {
    case ABOVE: return limit / es + 3;
    case AT: return limit / es;
    case BELOW: return limit / es - 1;
    case SPLAT: return 4096 / es + 1;
    case UNIFORM: return 2 * limit / es + 1;
    default: return CG_INLINE_UNIFORM_MAX_BYTES / es + 1;
    }
}

/* One constant per (type, case), each copied to its own output by a loop. */
static char *weights_program(size_t *len) {
    char *text, *sig_text, *body_text;
    size_t sig_len, body_len;
    FILE *sig = open_memstream(&sig_text, &sig_len), *body = open_memstream(&body_text, &body_len);
    FILE *names = NULL;
    char *names_text;
    size_t names_len;
    names = open_memstream(&names_text, &names_len);
    fputs("    %c0 = arith.constant() {value = 0 : index} : () -> (index)\n"
          "    %c1 = arith.constant() {value = 1 : index} : () -> (index)\n",
          body);
    int k = 0;
    for (size_t ti = 0; ti < sizeof types / sizeof *types; ti++) {
        const char *t = types[ti];
        for (int c = 0; c < NUM_CASES; c++, k++) {
            int64_t n = case_elements(c, type_bytes(t));
            fprintf(sig, "%smemref<%lldx%s>", k ? ", " : "", (long long)n, t);
            fprintf(names, "%s\"%s_%s\"", k ? ", " : "", t, case_names[c]);
            fprintf(body, "    %%g%d = kernel.global() {value = dense<", k);
            print_hex(body, t, c == SPLAT || c == BIG_SPLAT ? 1 : n, c == UNIFORM);
            fprintf(body, "> : tensor<%lldx%s>} : () -> (memref<%lldx%s>)\n", (long long)n, t,
                    (long long)n, t);
            fprintf(body, "    %%n%d = arith.constant() {value = %lld : index} : () -> (index)\n",
                    k, (long long)n);
            fprintf(body,
                    "    loop.for(%%c0, %%n%d, %%c1) ({\n    ^bb0(%%i%d: index):\n"
                    "      %%v%d = loop.load(%%g%d, %%i%d) : (memref<%lldx%s>, index) -> (%s)\n"
                    "      loop.store(%%v%d, %%out%d, %%i%d) : (%s, memref<%lldx%s>, index) -> ()\n"
                    "      loop.yield() : () -> ()\n    }) : (index, index, index) -> ()\n",
                    k, k, k, k, k, (long long)n, t, t, k, k, k, t, (long long)n, t);
        }
    }
    fclose(sig);
    fclose(body);
    fclose(names);
    /* Block arguments: %out0 ... in order, with the types of the signature. */
    char *args_text;
    size_t args_len;
    FILE *args = open_memstream(&args_text, &args_len);
    const char *p = sig_text;
    for (int i = 0; i < k; i++) {
        size_t n = strcspn(p, ",");
        fprintf(args, "%s%%out%d: %.*s", i ? ", " : "", i, (int)n, p);
        p += n;
        while (*p == ',' || *p == ' ') p++;
    }
    fclose(args);
    FILE *out = open_memstream(&text, len);
    fprintf(out,
            "builtin.module() ({\n  builtin.func() {arg_names = [], function_type = (%s) -> (), "
            "result_names = [%s], sym_name = \"main\"} ({\n  ^bb0(%s):\n%s"
            "    builtin.return() : () -> ()\n  })\n})\n",
            sig_text, names_text, args_text, body_text);
    fclose(out);
    free(sig_text);
    free(body_text);
    free(names_text);
    free(args_text);
    return text;
}

/* The constants that went to the data object are the local symbols weights.weight.*. */
static void check_symbols(const char *work_dir) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "nm %s/weights.so", work_dir);
    FILE *p = popen(cmd, "r");
    char line[512];
    int externals = 0, expected = 0;
    while (p && fgets(line, sizeof line, p))
        if (strstr(line, " r weights.weight.")) externals++;
    CHECK(p && pclose(p) == 0);
    for (int c = 0; c < NUM_CASES; c++) expected += is_external(c);
    expected *= (int)(sizeof types / sizeof *types);
    if (externals != expected)
        fprintf(stderr, "%d constants in the data object, expected %d\n", externals, expected);
    CHECK(externals == expected);
}

int main(int argc, char **argv) {
    diff_config cfg = {.opt_level = 2};
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "-O", 2) == 0)
            cfg.opt_level = atoi(argv[i] + 2);
        else if (strncmp(argv[i], "-target=", 8) == 0)
            cfg.target = argv[i] + 8;
        else if (strcmp(argv[i], "-v") == 0)
            cfg.verbose = true;
        else
            cfg.work_dir = argv[i];
    }
    if (!cfg.work_dir) {
        fprintf(stderr, "usage: test_codegen_weights WORK_DIR [-O0..-O3] [-target=T] [-v]\n");
        return 2;
    }
    mkdir(cfg.work_dir, 0755);
    test_data_object(cfg.work_dir);
    size_t len;
    char *text = weights_program(&len);
    if (cfg.verbose) fputs(text, stderr);
    if (diff_check_text(&cfg, "weights", text, len)) failures++;
    free(text);
    check_symbols(cfg.work_dir);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("weights: the data object and constants of %zu element types match (-O%d)\n",
           sizeof types / sizeof *types, cfg.opt_level);
    return 0;
}
