/* test_schedule_programs.c: every kernel-level program in tests/schedule/programs/ gives
 * bit-identical results in the interpreter before scheduling and after scheduling at every
 * optimisation level (harness.h lists the variants). */
#include "harness.h"

#include <dirent.h>

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = calloc(1, (size_t)n + 1);
    if (fread(text, 1, (size_t)n, f) != (size_t)n) {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_schedule_programs DIR [NAME.dl...]\n");
        return 2;
    }
    DIR *dir = opendir(argv[1]);
    if (!dir) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 2;
    }
    char *names[256];
    int count = 0;
    for (struct dirent *e; (e = readdir(dir)) && count < 256;) {
        size_t len = strlen(e->d_name);
        if (len > 3 && strcmp(e->d_name + len - 3, ".dl") == 0) names[count++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, (size_t)count, sizeof *names, compare_names);
    int failures = 0, checked = 0;
    for (int i = 0; i < count; i++) {
        bool wanted = argc == 2;
        for (int a = 2; a < argc; a++) wanted |= strcmp(argv[a], names[i]) == 0;
        if (wanted) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
            char *text = read_text(path);
            int f = text ? harness_check(text, names[i], 0x9e3779b97f4a7c15ULL + (uint64_t)i) : 1;
            printf("%-40s %s\n", names[i], f ? "FAILED" : "ok");
            failures += f;
            checked++;
            free(text);
        }
        free(names[i]);
    }
    printf("%d programs x %d schedules, %d failures\n", checked, HARNESS_NUM_VARIANTS, failures);
    return failures || !checked ? 1 : 0;
}
