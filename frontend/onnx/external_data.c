/* external_data.c: tensor data stored outside the model file (data_location = EXTERNAL):
 * `location` is a path relative to the model's folder that must stay inside it (no absolute
 * paths, no `..`, no symbolic links leading out), `offset`/`length` must lie within the file. */
#include "onnx_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Parses a non-negative decimal integer that fits int64. */
static bool parse_size(const char *s, int64_t *out) {
    if (!*s) return false;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *s - '0', &v))
            return false;
    }
    *out = v;
    return true;
}

/* True if location is a relative path without `..` components. */
static bool plain_relative(const char *location) {
    if (!*location || location[0] == '/') return false;
    for (const char *p = location; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') return false;
        p += n;
        while (*p == '/') p++;
    }
    return true;
}

static void free_buffer(void *p) {
    free(p);
}

/* Opens dir/location after checking that its real path lies inside dir's real path. */
static int open_inside(onnx_importer *im, const char *location, dl_loc loc, const char *what) {
    dl_context *ctx = im->ctx;
    char *full = dl_sprintf(ctx, "%s/%s", im->dir, location);
    char *real_dir = realpath(im->dir, NULL), *real_file = realpath(full, NULL);
    int fd = -1;
    if (!real_dir || !real_file) {
        dl_error(ctx, loc, "cannot open the external data of %s ('%s'): %s", what, full,
                 strerror(errno));
    } else {
        size_t n = strlen(real_dir);
        bool inside = strncmp(real_file, real_dir, n) == 0 &&
                      (real_file[n] == '/' || (n == 1 && real_dir[0] == '/'));
        if (!inside)
            dl_error(ctx, loc, "external data of %s ('%s') resolves outside the model's folder",
                     what, location);
        else if ((fd = open(real_file, O_RDONLY | O_CLOEXEC)) < 0)
            dl_error(ctx, loc, "cannot open the external data of %s ('%s'): %s", what, full,
                     strerror(errno));
    }
    free(real_dir);
    free(real_file);
    return fd;
}

const void *onnx_external_data(onnx_importer *im, const Onnx__TensorProto *t, size_t bytes,
                               dl_loc loc, const char *what) {
    dl_context *ctx = im->ctx;
    const char *location = NULL;
    int64_t offset = 0, length = -1;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const char *k = t->external_data[i]->key, *v = t->external_data[i]->value;
        if (!k || !v) continue;
        bool ok = true;
        if (strcmp(k, "location") == 0)
            location = v;
        else if (strcmp(k, "offset") == 0)
            ok = parse_size(v, &offset);
        else if (strcmp(k, "length") == 0)
            ok = parse_size(v, &length);
        if (!ok) {
            dl_error(ctx, loc, "external data of %s has an invalid %s '%s'", what, k, v);
            return NULL;
        }
    }
    if (!location) {
        dl_error(ctx, loc, "external data of %s has no location", what);
        return NULL;
    }
    if (!im->dir) {
        dl_error(ctx, loc, "external data of %s cannot be read: the model's folder is unknown",
                 what);
        return NULL;
    }
    if (!plain_relative(location)) {
        dl_error(ctx, loc,
                 "external data location '%s' of %s must be a relative path inside the model's "
                 "folder",
                 location, what);
        return NULL;
    }
    int fd = open_inside(im, location, loc, what);
    if (fd < 0) return NULL;
    struct stat st;
    void *buf = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        dl_error(ctx, loc, "external data of %s ('%s') is not a regular file", what, location);
    } else if (offset > st.st_size) {
        dl_error(ctx, loc,
                 "external data of %s: offset %lld lies past the end of '%s' (%lld bytes)", what,
                 (long long)offset, location, (long long)st.st_size);
    } else if (length >= 0 && length > st.st_size - offset) {
        dl_error(ctx, loc,
                 "external data of %s: offset %lld + length %lld lies past the end of '%s' (%lld "
                 "bytes)",
                 what, (long long)offset, (long long)length, location, (long long)st.st_size);
    } else if ((length >= 0 ? (uint64_t)length : (uint64_t)(st.st_size - offset)) != bytes) {
        dl_error(ctx, loc, "external data of %s has %lld bytes, but its shape needs %zu", what,
                 (long long)(length >= 0 ? length : st.st_size - offset), bytes);
    } else {
        buf = malloc(bytes ? bytes : 1);
        if (!buf) {
            dl_error(ctx, loc, "external data of %s (%zu bytes) does not fit in memory", what,
                     bytes);
            close(fd);
            return NULL;
        }
        size_t done = 0;
        while (done < bytes) {
            ssize_t r = pread(fd, (char *)buf + done, bytes - done, offset + (off_t)done);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            done += (size_t)r;
        }
        if (done < bytes) {
            dl_error(ctx, loc, "cannot read the external data of %s from '%s'", what, location);
            free(buf);
            buf = NULL;
        } else {
            dl_context_adopt(ctx, buf, free_buffer);
        }
    }
    close(fd);
    return buf;
}
