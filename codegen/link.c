/* link.c: turning the model object into OUT.so or a self-contained OUT.o with the system
 * toolchain. The Halide runtime object and the dlcc runtime object are embedded in the
 * compiler at build time (runtime/CMakeLists.txt), so dlcc links wherever it is run from. */
#include "codegen/cg.h"

#include <dirent.h>
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Defined by the generated runtime/embedded_objects.c. */
extern const unsigned char dlcc_embedded_halide_runtime[], dlcc_embedded_halide_runtime_end[];
extern const unsigned char dlcc_embedded_halide_runtime_baseline[],
    dlcc_embedded_halide_runtime_baseline_end[];
extern const unsigned char dlcc_embedded_dlcc_runtime[], dlcc_embedded_dlcc_runtime_end[];

char *cg_make_temp_dir(dl_context *ctx) {
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    char *dir = dl_sprintf(ctx, "%s/dlcc-XXXXXX", base);
    if (!mkdtemp(dir)) {
        dl_error(ctx, dl_loc_unknown(), "cannot create a temporary folder in '%s': %s", base,
                 strerror(errno));
        return NULL;
    }
    return dir;
}

void cg_remove_temp_dir(const char *dir) {
    if (!dir) return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            size_t n = strlen(dir) + strlen(e->d_name) + 2;
            char *p = malloc(n);
            snprintf(p, n, "%s/%s", dir, e->d_name);
            unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static dl_status write_blob(dl_context *ctx, const char *path, const unsigned char *begin,
                            const unsigned char *end) {
    FILE *f = fopen(path, "wb");
    size_t n = (size_t)(end - begin);
    bool ok = f && fwrite(begin, 1, n, f) == n;
    if (f && fclose(f) != 0) ok = false;
    if (!ok) dl_error(ctx, dl_loc_unknown(), "cannot write '%s': %s", path, strerror(errno));
    return ok ? DL_OK : DL_FAILURE;
}

/* Runs argv (argv[0] looked up in PATH) and waits; DL_OK when it exits with status 0. */
static dl_status run_tool(dl_context *ctx, char *const *argv, const char *what) {
    pid_t pid;
    int err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (err) {
        dl_error(ctx, dl_loc_unknown(), "cannot run '%s' to %s: %s (set DLCC_CC to a C compiler)",
                 argv[0], what, strerror(err));
        return DL_FAILURE;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            dl_error(ctx, dl_loc_unknown(), "waiting for '%s' failed: %s", argv[0],
                     strerror(errno));
            return DL_FAILURE;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return DL_OK;
    dl_error(ctx, dl_loc_unknown(), "'%s' failed to %s (%s %d)", argv[0], what,
             WIFEXITED(status) ? "exit status" : "signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return DL_FAILURE;
}

dl_status cg_link(dl_context *ctx, const char *tmp_dir, const char *const *model_objects,
                  unsigned num_model_objects, const char *output, bool shared, bool host_runtime) {
    char *halide = dl_sprintf(ctx, "%s/halide_runtime.o", tmp_dir);
    char *dlcc = dl_sprintf(ctx, "%s/dlcc_runtime.o", tmp_dir);
    const unsigned char *begin =
        host_runtime ? dlcc_embedded_halide_runtime : dlcc_embedded_halide_runtime_baseline;
    const unsigned char *end =
        host_runtime ? dlcc_embedded_halide_runtime_end : dlcc_embedded_halide_runtime_baseline_end;
    if (write_blob(ctx, halide, begin, end) ||
        write_blob(ctx, dlcc, dlcc_embedded_dlcc_runtime, dlcc_embedded_dlcc_runtime_end))
        return DL_FAILURE;
    const char *cc = getenv("DLCC_CC");
    if (!cc || !*cc) cc = "cc";
    const char *base = strrchr(output, '/');
    char *soname = dl_sprintf(ctx, "-Wl,-soname,%s", base ? base + 1 : output);
    static const char *const shared_flags[] = {"-static-libgcc",  "-Wl,-z,noexecstack",
                                               "-Wl,-z,now",      "-Wl,--no-undefined",
                                               "-Wl,--as-needed", "-lm",
                                               "-lpthread",       "-ldl"};
    static const char *const object_flags[] = {"-r", "-nostdlib"};
    /* cc [-shared] -o OUT objects... halide dlcc [soname flags...] */
    const char *argv[32];
    unsigned n = 0;
    argv[n++] = cc;
    if (shared) argv[n++] = "-shared";
    argv[n++] = "-o";
    argv[n++] = output;
    DL_ASSERT(num_model_objects <= 8);
    for (unsigned i = 0; i < num_model_objects; i++) argv[n++] = model_objects[i];
    argv[n++] = halide;
    argv[n++] = dlcc;
    if (shared) {
        argv[n++] = soname;
        for (size_t i = 0; i < sizeof shared_flags / sizeof *shared_flags; i++)
            argv[n++] = shared_flags[i];
    } else {
        for (size_t i = 0; i < sizeof object_flags / sizeof *object_flags; i++)
            argv[n++] = object_flags[i];
    }
    argv[n] = NULL;
    return run_tool(ctx, (char *const *)argv,
                    shared ? "link the model library" : "combine the model objects");
}
