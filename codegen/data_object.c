/* data_object.c: a minimal ELF64 relocatable object holding read-only data (a model's weights),
 * written straight from the constants' buffers, so that large weights never pass through
 * LLVM's constants, its object writer or an in-memory copy. The object has one read-only
 * section with every block at a 64-byte aligned offset, one hidden global STT_OBJECT symbol per
 * block, and an empty .note.GNU-stack (no executable stack). It holds no code and no
 * relocations; the model object refers to the symbols as external hidden constants. */
#include "codegen/cg.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_ALIGN 64

/* Section indices of the object (0 is the null section). */
enum { SEC_NULL, SEC_DATA, SEC_NOTE, SEC_SYMTAB, SEC_STRTAB, SEC_SHSTRTAB, NUM_SECTIONS };

static const char shstrtab[] = "\0.rodata.dlcc_weights\0.note.GNU-stack\0.symtab\0.strtab\0"
                               ".shstrtab";
/* Offsets of the section names in shstrtab. */
enum {
    NAME_DATA = 1,
    NAME_NOTE = NAME_DATA + sizeof ".rodata.dlcc_weights",
    NAME_SYMTAB = NAME_NOTE + sizeof ".note.GNU-stack",
    NAME_STRTAB = NAME_SYMTAB + sizeof ".symtab",
    NAME_SHSTRTAB = NAME_STRTAB + sizeof ".strtab",
};

/* The ELF machine of a target triple; EM_NONE when it is not a 64-bit little-endian target
 * this writer knows. */
static int elf_machine(const char *triple) {
    if (!triple) return EM_NONE;
    if (strncmp(triple, "x86_64-", 7) == 0) return EM_X86_64;
    if (strncmp(triple, "aarch64-", 8) == 0) return EM_AARCH64;
    return EM_NONE;
}

bool cg_data_object_supports(const char *triple) {
    return elf_machine(triple) != EM_NONE && strstr(triple, "-linux") != NULL;
}

static uint64_t align_up(uint64_t v, uint64_t a) {
    return (v + a - 1) / a * a;
}

/* Writes n zero bytes. */
static bool write_zeros(FILE *f, uint64_t n) {
    static const char zeros[BLOCK_ALIGN];
    while (n > 0) {
        size_t k = n < sizeof zeros ? (size_t)n : sizeof zeros;
        if (fwrite(zeros, 1, k, f) != k) return false;
        n -= k;
    }
    return true;
}

/* Writes one block's bytes: its data, or its unit repeated (through a small buffer). */
static bool write_block(FILE *f, const cg_data_block *b) {
    if (b->unit == 0) return fwrite(b->data, 1, (size_t)b->size, f) == b->size;
    char chunk[4096];
    size_t per = sizeof chunk / b->unit * b->unit;
    for (size_t i = 0; i < per; i += b->unit) memcpy(chunk + i, b->data, b->unit);
    for (uint64_t left = b->size; left > 0;) {
        size_t k = left < per ? (size_t)left : per;
        if (fwrite(chunk, 1, k, f) != k) return false;
        left -= k;
    }
    return true;
}

static Elf64_Shdr section(uint32_t name, uint32_t type, uint64_t flags, uint64_t offset,
                          uint64_t size, uint32_t link, uint32_t info, uint64_t align,
                          uint64_t entsize) {
    return (Elf64_Shdr){.sh_name = name,
                        .sh_type = type,
                        .sh_flags = flags,
                        .sh_offset = offset,
                        .sh_size = size,
                        .sh_link = link,
                        .sh_info = info,
                        .sh_addralign = align,
                        .sh_entsize = entsize};
}

dl_status cg_write_data_object(dl_context *ctx, const char *path, const char *triple,
                               const cg_data_block *blocks, size_t n) {
    int machine = elf_machine(triple);
    DL_ASSERT(machine != EM_NONE);

    /* Layout: header, data section, string table, symbol table, section names, headers. */
    uint64_t *offsets = calloc(n + 1, sizeof(uint64_t));
    Elf64_Sym *syms = calloc(n + 1, sizeof(Elf64_Sym));
    size_t strtab_size = 1;
    for (size_t i = 0; i < n; i++) strtab_size += strlen(blocks[i].symbol) + 1;
    char *strtab = malloc(strtab_size);
    if (!offsets || !syms || !strtab) {
        free(offsets);
        free(syms);
        free(strtab);
        dl_error(ctx, dl_loc_unknown(), "out of memory writing '%s'", path);
        return DL_FAILURE;
    }
    uint64_t data_size = 0;
    size_t str = 1;
    strtab[0] = 0;
    for (size_t i = 0; i < n; i++) {
        offsets[i] = data_size = align_up(data_size, BLOCK_ALIGN);
        data_size += blocks[i].size;
        size_t len = strlen(blocks[i].symbol) + 1;
        memcpy(strtab + str, blocks[i].symbol, len);
        syms[i + 1] = (Elf64_Sym){.st_name = (uint32_t)str,
                                  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
                                  .st_other = STV_HIDDEN,
                                  .st_shndx = SEC_DATA,
                                  .st_value = offsets[i],
                                  .st_size = blocks[i].size};
        str += len;
    }
    uint64_t data_off = align_up(sizeof(Elf64_Ehdr), BLOCK_ALIGN);
    uint64_t strtab_off = data_off + data_size;
    uint64_t symtab_off = align_up(strtab_off + strtab_size, 8);
    uint64_t symtab_size = (n + 1) * sizeof(Elf64_Sym);
    uint64_t shstrtab_off = symtab_off + symtab_size;
    uint64_t shdr_off = align_up(shstrtab_off + sizeof shstrtab, 8);

    Elf64_Ehdr eh = {.e_type = ET_REL,
                     .e_machine = (Elf64_Half)machine,
                     .e_version = EV_CURRENT,
                     .e_shoff = shdr_off,
                     .e_ehsize = sizeof(Elf64_Ehdr),
                     .e_shentsize = sizeof(Elf64_Shdr),
                     .e_shnum = NUM_SECTIONS,
                     .e_shstrndx = SEC_SHSTRTAB};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_ident[EI_OSABI] = ELFOSABI_NONE;

    Elf64_Shdr sh[NUM_SECTIONS] = {
        [SEC_DATA] =
            section(NAME_DATA, SHT_PROGBITS, SHF_ALLOC, data_off, data_size, 0, 0, BLOCK_ALIGN, 0),
        [SEC_NOTE] = section(NAME_NOTE, SHT_PROGBITS, 0, data_off, 0, 0, 0, 1, 0),
        /* sh_info: index of the first global symbol (only the null symbol is local). */
        [SEC_SYMTAB] = section(NAME_SYMTAB, SHT_SYMTAB, 0, symtab_off, symtab_size, SEC_STRTAB, 1,
                               8, sizeof(Elf64_Sym)),
        [SEC_STRTAB] = section(NAME_STRTAB, SHT_STRTAB, 0, strtab_off, strtab_size, 0, 0, 1, 0),
        [SEC_SHSTRTAB] =
            section(NAME_SHSTRTAB, SHT_STRTAB, 0, shstrtab_off, sizeof shstrtab, 0, 0, 1, 0),
    };

    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(&eh, sizeof eh, 1, f) == 1 && write_zeros(f, data_off - sizeof eh);
    for (size_t i = 0; ok && i < n; i++) {
        uint64_t at = data_off + offsets[i], pos = (uint64_t)ftello(f);
        ok = write_zeros(f, at - pos) && write_block(f, &blocks[i]);
    }
    ok = ok && fwrite(strtab, 1, strtab_size, f) == strtab_size &&
         write_zeros(f, symtab_off - (strtab_off + strtab_size)) &&
         fwrite(syms, sizeof(Elf64_Sym), n + 1, f) == n + 1 &&
         fwrite(shstrtab, 1, sizeof shstrtab, f) == sizeof shstrtab &&
         write_zeros(f, shdr_off - (shstrtab_off + sizeof shstrtab)) &&
         fwrite(sh, sizeof sh, 1, f) == 1;
    int saved = errno;
    if (f && fclose(f) != 0) ok = false;
    free(offsets);
    free(syms);
    free(strtab);
    if (!ok) {
        dl_error(ctx, dl_loc_unknown(), "cannot write '%s': %s", path, strerror(saved));
        return DL_FAILURE;
    }
    return DL_OK;
}
