/* target.c: the CPU target model: data cache sizes from sysfs, SIMD width and registers from
 * the CPU's features, the number of cores, and the issue model of the micro-kernels' cost
 * model (FMA and load ports, FMA latency). */
#include "sched.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads a sysfs cache attribute of index entry i into buf; false if absent. */
static bool read_attr(int i, const char *attr, char *buf, size_t size) {
    char path[128];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/%s", i, attr);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    bool ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    if (ok) buf[strcspn(buf, "\n")] = '\0';
    return ok;
}

/* "48K", "1024K", "2M" -> bytes; 0 if malformed. */
static int64_t parse_size(const char *s) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || v <= 0) return 0;
    if (*end == 'K')
        v *= 1024;
    else if (*end == 'M')
        v *= 1024 * 1024;
    return v;
}

sched_target sched_target_host(void) {
    sched_target t = {.l1_bytes = 48 * 1024,
                      .l2_bytes = 1024 * 1024,
                      .vector_bytes = 16,
                      .vector_regs = 16,
                      .fma_ports = 2,
                      .load_ports = 2,
                      .fma_latency = 4,
                      .issue_width = 4,
                      .threads = 1};
    for (int i = 0; i < 16; i++) {
        char level[16], type[32], size[32];
        if (!read_attr(i, "level", level, sizeof level)) break;
        if (!read_attr(i, "type", type, sizeof type) || !read_attr(i, "size", size, sizeof size))
            continue;
        int64_t bytes = parse_size(size);
        if (!bytes || strcmp(type, "Instruction") == 0) continue;
        if (strcmp(level, "1") == 0) t.l1_bytes = bytes;
        if (strcmp(level, "2") == 0) t.l2_bytes = bytes;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        t.vector_bytes = 64;
        t.vector_regs = 32;
    } else if (__builtin_cpu_supports("avx2")) {
        t.vector_bytes = 32;
    }
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    t.threads = n > 0 ? (int)n : 1;
    return t;
}
