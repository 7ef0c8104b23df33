/* test_schedule_random.c: generates random kernel-level programs (elementwise chains with
 * broadcasting, transposes, reductions, matmuls, strided 1-d convolutions, stencils, in-place
 * updates, prefix scans, gathers through kernel.load, scatters through kernel.store,
 * two-output kernels, reshape views, permuted loop orders and odd sizes) and checks each with
 * the harness: bit-identical interpreter results before and
 * after scheduling at every optimisation level.
 * usage: test_schedule_random [COUNT [FIRST_SEED]]; a failing program is printed. */
#include "harness.h"

enum { MAX_BUFS = 48, MAX_RANK = 4 };

typedef struct buf {
    int rank;
    int dims[MAX_RANK];
    bool is_int; /* i32 rather than f32 */
    bool is_arg; /* function argument (else kernel.alloc or a view) */
    int view_of; /* root buffer of a view, or -1 */
} buf;

typedef struct gen {
    uint64_t seed;
    buf bufs[MAX_BUFS];
    int num_bufs;
    FILE *body; /* kernel text */
    char *body_text;
    size_t body_len;
    int perm[8]; /* domain position of each logical dimension of the current kernel */
    int num_values;
} gen;

static int rnd(gen *g, int n) {
    return (int)(harness_rng(&g->seed) % (uint64_t)n);
}

static const char *elem(const buf *b) {
    return b->is_int ? "i32" : "f32";
}

static void print_type(FILE *f, const buf *b) {
    fputs("memref<", f);
    for (int r = 0; r < b->rank; r++) fprintf(f, "%dx", b->dims[r]);
    fprintf(f, "%s>", elem(b));
}

static int new_buf(gen *g, int rank, const int *dims, bool is_int, bool is_arg) {
    if (g->num_bufs == MAX_BUFS) return -1;
    buf *b = &g->bufs[g->num_bufs];
    b->rank = rank;
    for (int r = 0; r < rank; r++) b->dims[r] = dims[r];
    b->is_int = is_int;
    b->is_arg = is_arg;
    b->view_of = -1;
    return g->num_bufs++;
}

static int64_t elements(const buf *b) {
    int64_t n = 1;
    for (int r = 0; r < b->rank; r++) n *= b->dims[r];
    return n;
}

/* A random existing float buffer, preferring recent ones. */
static int pick(gen *g, int min_rank) {
    for (int tries = 0; tries < 20; tries++) {
        int i = g->num_bufs - 1 - rnd(g, g->num_bufs < 4 ? g->num_bufs : 4 + rnd(g, g->num_bufs));
        if (i < 0) i = 0;
        if (!g->bufs[i].is_int && g->bufs[i].rank >= min_rank && elements(&g->bufs[i]) > 0)
            return i;
    }
    return -1;
}

static int random_dim(gen *g) {
    static const int sizes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13};
    return sizes[rnd(g, sizeof sizes / sizeof *sizes)];
}

static int fresh_input(gen *g, int rank, const int *dims) {
    return new_buf(g, rank, dims, false, true);
}

/* The output buffer of a kernel: an argument sometimes, a new allocation usually. */
static int fresh_output(gen *g, int rank, const int *dims) {
    return new_buf(g, rank, dims, false, rnd(g, 4) == 0);
}

/* "d<k>" for logical dimension l of the current kernel (after the loop-order permutation). */
static const char *D(gen *g, int l) {
    static char names[8][8];
    snprintf(names[l], sizeof names[l], "d%d", g->perm[l]);
    return names[l];
}

/* Chooses a random order for a kernel's n logical dimensions (identity most of the time). */
static void choose_order(gen *g, int n) {
    for (int l = 0; l < n; l++) g->perm[l] = l;
    if (rnd(g, 3) == 0)
        for (int l = n - 1; l > 0; l--) {
            int k = rnd(g, l + 1), t = g->perm[l];
            g->perm[l] = g->perm[k];
            g->perm[k] = t;
        }
}

/* One operand of a kernel: a buffer and its map's results (over logical dims, as text). */
typedef struct operand {
    int buf;
    char map[256];
} operand;

/* Writes the kernel.generic with logical extents ext[n], reduction flags, operands (inputs
 * first), and a body whose block arguments are %a0.. (then %o0.. for outputs). */
static void emit_generic(gen *g, int n, const int *ext, const bool *reduction, operand *ops,
                         int num_in, int num_out, const char *body) {
    FILE *f = g->body;
    int total = num_in + num_out;
    fputs("    kernel.generic(", f);
    for (int i = 0; i < total; i++) fprintf(f, "%s%%b%d", i ? ", " : "", ops[i].buf);
    int dom[8];
    bool red[8];
    for (int l = 0; l < n; l++) dom[g->perm[l]] = ext[l], red[g->perm[l]] = reduction[l];
    fputs(") {domain = [", f);
    for (int p = 0; p < n; p++) fprintf(f, "%s%d", p ? ", " : "", dom[p]);
    fputs("], iterators = [", f);
    for (int p = 0; p < n; p++)
        fprintf(f, "%s\"%s\"", p ? ", " : "", red[p] ? "reduction" : "parallel");
    fputs("], maps = [", f);
    for (int i = 0; i < total; i++) {
        fprintf(f, "%saffine_map<(", i ? ", " : "");
        for (int p = 0; p < n; p++) fprintf(f, "%sd%d", p ? ", " : "", p);
        fprintf(f, ") -> (%s)>", ops[i].map);
    }
    fprintf(f, "], num_inputs = %d} ({\n    ^bb0(", num_in);
    for (int i = 0; i < total; i++)
        fprintf(f, "%s%%%c%d: %s", i ? ", " : "", i < num_in ? 'a' : 'o',
                i < num_in ? i : i - num_in, elem(&g->bufs[ops[i].buf]));
    fprintf(f, "):\n%s", body);
    fputs("    }) : (", f);
    for (int i = 0; i < total; i++) {
        if (i) fputs(", ", f);
        print_type(f, &g->bufs[ops[i].buf]);
    }
    fputs(") -> ()\n", f);
}

/* Identity-like map text of buffer b indexed by logical dims first..first+rank-1, with size-1
 * dimensions broadcast (constant 0) when the kernel's extent differs. */
static void map_of(gen *g, operand *op, const int *ext, int first) {
    const buf *b = &g->bufs[op->buf];
    int len = 0;
    op->map[0] = '\0';
    for (int r = 0; r < b->rank; r++) {
        int l = first + r;
        bool bcast = b->dims[r] != ext[l];
        len += snprintf(op->map + len, sizeof op->map - (size_t)len, "%s%s", r ? ", " : "",
                        bcast ? "0" : D(g, l));
    }
}

static const char *unary_body(gen *g, const char *x, char *buf, size_t size) {
    static const char *ops[] = {"arith.neg", "arith.abs", "arith.tanh"};
    snprintf(buf, size, "      %%u = %s(%s) : (f32) -> (f32)\n", ops[rnd(g, 3)], x);
    return buf;
}

/* Elementwise kernel over a buffer's shape, with an optional broadcast second operand, writing
 * a new buffer or (sometimes) updating the first operand in place. */
static void gen_elementwise(gen *g) {
    int p = pick(g, 0);
    if (p < 0) return;
    buf pb = g->bufs[p];
    int n = pb.rank, ext[MAX_RANK] = {0};
    for (int r = 0; r < n; r++) ext[r] = pb.dims[r];
    choose_order(g, n);
    operand ops[3];
    int num_in = 1;
    ops[0].buf = p;
    map_of(g, &ops[0], ext, 0);
    if (rnd(g, 3)) { /* a broadcast partner: lower rank and/or size-1 dims */
        int rank = n ? n - rnd(g, n + 1) : 0, dims[MAX_RANK];
        for (int r = 0; r < rank; r++) dims[r] = rnd(g, 3) ? ext[n - rank + r] : 1;
        int q = fresh_input(g, rank, dims);
        if (q < 0) return;
        ops[1].buf = q;
        map_of(g, &ops[1], ext, n - rank);
        num_in = 2;
    }
    bool in_place = !g->bufs[p].is_arg && g->bufs[p].view_of < 0 && rnd(g, 5) == 0;
    int out = in_place ? p : fresh_output(g, n, ext);
    if (out < 0) return;
    ops[num_in].buf = out;
    map_of(g, &ops[num_in], ext, 0);
    char body[512], u[128];
    const char *bin[] = {"arith.add", "arith.mul", "arith.sub", "arith.max", "arith.min"};
    if (num_in == 2)
        snprintf(body, sizeof body,
                 "%s      %%r = %s(%%u, %%a1) : (f32, f32) -> (f32)\n"
                 "      kernel.yield(%%r) : (f32) -> ()\n",
                 unary_body(g, "%a0", u, sizeof u), bin[rnd(g, 5)]);
    else
        snprintf(body, sizeof body,
                 "%s      %%h = arith.constant() {value = 0.5} : () -> (f32)\n"
                 "      %%r = %s(%%u, %s) : (f32, f32) -> (f32)\n"
                 "      kernel.yield(%%r) : (f32) -> ()\n",
                 unary_body(g, "%a0", u, sizeof u), bin[rnd(g, 5)], in_place ? "%o0" : "%h");
    emit_generic(g, n, ext, (bool[MAX_RANK]){false}, ops, num_in, 1, body);
}

/* A permutation of a buffer into a new one. */
static void gen_transpose(gen *g) {
    int p = pick(g, 2);
    if (p < 0) return;
    buf pb = g->bufs[p];
    int n = pb.rank, perm[MAX_RANK], dims[MAX_RANK];
    for (int r = 0; r < n; r++) perm[r] = r;
    for (int r = n - 1; r > 0; r--) {
        int k = rnd(g, r + 1), t = perm[r];
        perm[r] = perm[k];
        perm[k] = t;
    }
    for (int r = 0; r < n; r++) dims[r] = pb.dims[perm[r]];
    choose_order(g, n);
    int out = fresh_output(g, n, dims);
    if (out < 0) return;
    operand ops[2] = {{.buf = p}, {.buf = out}};
    map_of(g, &ops[0], pb.dims, 0);
    int len = 0;
    for (int r = 0; r < n; r++)
        len += snprintf(ops[1].map + len, sizeof ops[1].map - (size_t)len, "%s%s", r ? ", " : "",
                        D(g, perm[r]));
    emit_generic(g, n, pb.dims, (bool[MAX_RANK]){false}, ops, 1, 1,
                 "      kernel.yield(%a0) : (f32) -> ()\n");
}

/* A zero (or -1e30) initialisation of buffer b. */
static void gen_init(gen *g, int b, const char *value) {
    buf bb = g->bufs[b];
    choose_order(g, bb.rank);
    operand op = {.buf = b};
    map_of(g, &op, bb.dims, 0);
    char body[256];
    snprintf(body, sizeof body,
             "      %%z = arith.constant() {value = %s} : () -> (f32)\n"
             "      kernel.yield(%%z) : (f32) -> ()\n",
             value);
    emit_generic(g, bb.rank, bb.dims, (bool[MAX_RANK]){false}, &op, 0, 1, body);
}

/* Sum or max over a random non-empty subset of a buffer's dimensions. */
static void gen_reduce(gen *g) {
    int p = pick(g, 1);
    if (p < 0) return;
    buf pb = g->bufs[p];
    int n = pb.rank, dims[MAX_RANK], k = 0;
    bool red[MAX_RANK];
    int mask = 1 + rnd(g, (1 << n) - 1);
    for (int r = 0; r < n; r++) {
        red[r] = mask >> r & 1;
        if (!red[r]) dims[k++] = pb.dims[r];
    }
    int out = fresh_output(g, k, dims);
    if (out < 0) return;
    bool is_max = rnd(g, 3) == 0;
    gen_init(g, out, is_max ? "-1.0e30" : "0.0");
    choose_order(g, n);
    operand ops[2] = {{.buf = p}, {.buf = out}};
    map_of(g, &ops[0], pb.dims, 0);
    int len = 0, j = 0;
    for (int r = 0; r < n; r++)
        if (!red[r])
            len += snprintf(ops[1].map + len, sizeof ops[1].map - (size_t)len, "%s%s",
                            j++ ? ", " : "", D(g, r));
    char body[256];
    snprintf(body, sizeof body,
             "      %%r = %s(%%o0, %%a0) : (f32, f32) -> (f32)\n"
             "      kernel.yield(%%r) : (f32) -> ()\n",
             is_max ? "arith.max" : "arith.add");
    emit_generic(g, n, pb.dims, red, ops, 1, 1, body);
}

/* C[m, n] = sum_k A[m, k] * B[k, n] with a zero initialisation. */
static void gen_matmul(gen *g) {
    int a = pick(g, 2);
    int m, kk;
    if (a >= 0 && g->bufs[a].rank == 2) {
        m = g->bufs[a].dims[0], kk = g->bufs[a].dims[1];
    } else {
        m = random_dim(g), kk = random_dim(g);
        a = fresh_input(g, 2, (int[]){m, kk});
    }
    int nn = random_dim(g) + 2;
    int b = fresh_input(g, 2, (int[]){kk, nn});
    int c = fresh_output(g, 2, (int[]){m, nn});
    if (a < 0 || b < 0 || c < 0) return;
    gen_init(g, c, "0.0");
    int ext[3] = {m, nn, kk};
    choose_order(g, 3);
    operand ops[3] = {{.buf = a}, {.buf = b}, {.buf = c}};
    snprintf(ops[0].map, sizeof ops[0].map, "%s, %s", D(g, 0), D(g, 2));
    snprintf(ops[1].map, sizeof ops[1].map, "%s, %s", D(g, 2), D(g, 1));
    snprintf(ops[2].map, sizeof ops[2].map, "%s, %s", D(g, 0), D(g, 1));
    emit_generic(g, 3, ext, (bool[]){false, false, true}, ops, 2, 1,
                 "      %p = arith.mul(%a0, %a1) : (f32, f32) -> (f32)\n"
                 "      %s = arith.add(%o0, %p) : (f32, f32) -> (f32)\n"
                 "      kernel.yield(%s) : (f32) -> ()\n");
}

/* out[n, co, o] = sum_{ci, k} x[n, ci, o * s + k] * w[co, ci, k]. */
static void gen_conv(gen *g) {
    int x = pick(g, 3);
    int nb, ci, len;
    if (x >= 0 && g->bufs[x].rank == 3 && g->bufs[x].dims[2] >= 3) {
        nb = g->bufs[x].dims[0], ci = g->bufs[x].dims[1], len = g->bufs[x].dims[2];
    } else {
        nb = 1 + rnd(g, 2), ci = 1 + rnd(g, 3), len = 5 + rnd(g, 9);
        x = fresh_input(g, 3, (int[]){nb, ci, len});
    }
    int k = 1 + rnd(g, 3), s = 1 + rnd(g, 2), co = 1 + rnd(g, 4);
    if (k > len) k = len;
    int o = (len - k) / s + 1;
    int w = fresh_input(g, 3, (int[]){co, ci, k});
    int out = fresh_output(g, 3, (int[]){nb, co, o});
    if (x < 0 || w < 0 || out < 0) return;
    gen_init(g, out, "0.0");
    int ext[5] = {nb, co, o, ci, k};
    choose_order(g, 5);
    operand ops[3] = {{.buf = x}, {.buf = w}, {.buf = out}};
    snprintf(ops[0].map, sizeof ops[0].map, "%s, %s, %s * %d + %s", D(g, 0), D(g, 3), D(g, 2), s,
             D(g, 4));
    snprintf(ops[1].map, sizeof ops[1].map, "%s, %s, %s", D(g, 1), D(g, 3), D(g, 4));
    snprintf(ops[2].map, sizeof ops[2].map, "%s, %s, %s", D(g, 0), D(g, 1), D(g, 2));
    emit_generic(g, 5, ext, (bool[]){false, false, false, true, true}, ops, 2, 1,
                 "      %p = arith.mul(%a0, %a1) : (f32, f32) -> (f32)\n"
                 "      %s = arith.add(%o0, %p) : (f32, f32) -> (f32)\n"
                 "      kernel.yield(%s) : (f32) -> ()\n");
}

/* Map text of buffer b at logical dims 0.., with `delta` added to the last one (or, when
 * reverse, the last one read back to front). */
static void shifted_map(gen *g, operand *op, int n, int delta, bool reverse, int last_dim) {
    int len = 0;
    for (int r = 0; r < n; r++) {
        if (r + 1 < n)
            len += snprintf(op->map + len, sizeof op->map - (size_t)len, "%s, ", D(g, r));
        else if (reverse)
            len += snprintf(op->map + len, sizeof op->map - (size_t)len, "%d - %s", last_dim - 1,
                            D(g, r));
        else if (delta)
            len += snprintf(op->map + len, sizeof op->map - (size_t)len, "%s + %d", D(g, r), delta);
        else
            len += snprintf(op->map + len, sizeof op->map - (size_t)len, "%s", D(g, r));
    }
}

/* out[.., i] = x[.., i] * x[.., i + 1] - x[.., i + 2] over the last dimension. */
static void gen_stencil(gen *g) {
    int p = pick(g, 1);
    if (p < 0 || g->bufs[p].dims[g->bufs[p].rank - 1] < 3) return;
    buf pb = g->bufs[p];
    int n = pb.rank, ext[MAX_RANK] = {0};
    for (int r = 0; r < n; r++) ext[r] = pb.dims[r];
    ext[n - 1] -= 2;
    int out = fresh_output(g, n, ext);
    if (out < 0) return;
    choose_order(g, n);
    operand ops[4] = {{.buf = p}, {.buf = p}, {.buf = p}, {.buf = out}};
    for (int i = 0; i < 3; i++) shifted_map(g, &ops[i], n, i, false, 0);
    shifted_map(g, &ops[3], n, 0, false, 0);
    emit_generic(g, n, ext, (bool[MAX_RANK]){false}, ops, 3, 1,
                 "      %m = arith.mul(%a0, %a1) : (f32, f32) -> (f32)\n"
                 "      %s = arith.sub(%m, %a2) : (f32, f32) -> (f32)\n"
                 "      kernel.yield(%s) : (f32) -> ()\n");
}

/* In place along the last dimension: a prefix scan x[i + 1] += x[i] / 2, or a reversal that
 * reads what earlier iterations overwrote (both labelled parallel: only the dependences
 * tell). */
static void gen_carried(gen *g) {
    int p = pick(g, 1);
    if (p < 0 || g->bufs[p].is_arg || g->bufs[p].dims[g->bufs[p].rank - 1] < 2) return;
    buf pb = g->bufs[p];
    int n = pb.rank, ext[MAX_RANK] = {0}, last = pb.dims[n - 1];
    for (int r = 0; r < n; r++) ext[r] = pb.dims[r];
    bool scan = rnd(g, 2);
    if (scan) ext[n - 1] -= 1;
    choose_order(g, n);
    operand ops[2] = {{.buf = p}, {.buf = p}};
    shifted_map(g, &ops[0], n, 0, !scan, last);
    shifted_map(g, &ops[1], n, scan ? 1 : 0, false, 0);
    emit_generic(g, n, ext, (bool[MAX_RANK]){false}, ops, 1, 1,
                 "      %h = arith.constant() {value = 0.5} : () -> (f32)\n"
                 "      %m = arith.mul(%a0, %h) : (f32, f32) -> (f32)\n"
                 "      %s = arith.add(%o0, %m) : (f32, f32) -> (f32)\n"
                 "      kernel.yield(%s) : (f32) -> ()\n");
}

/* out[i, rest] = x[(i * 3 + j0) mod rows, rest] read with kernel.load. */
static void gen_gather(gen *g) {
    int p = pick(g, 1);
    if (p < 0) return;
    buf pb = g->bufs[p];
    int n = pb.rank, ext[MAX_RANK] = {0};
    for (int r = 0; r < n; r++) ext[r] = pb.dims[r];
    ext[0] = random_dim(g);
    int out = fresh_output(g, n, ext);
    if (out < 0) return;
    choose_order(g, n);
    operand ops[2] = {{.buf = p}, {.buf = out}};
    int len = 0;
    for (int r = 0; r < n; r++)
        len += snprintf(ops[0].map + len, sizeof ops[0].map - (size_t)len, "%s0", r ? ", " : "");
    map_of(g, &ops[1], ext, 0);
    FILE *f;
    char *body = NULL;
    size_t size = 0;
    f = open_memstream(&body, &size);
    fprintf(f,
            "      %%i = kernel.index() {dim = %d} : () -> (index)\n"
            "      %%three = arith.constant() {value = 3 : index} : () -> (index)\n"
            "      %%rows = arith.constant() {value = %d : index} : () -> (index)\n"
            "      %%t = arith.mul(%%i, %%three) : (index, index) -> (index)\n"
            "      %%k = arith.constant() {value = %d : index} : () -> (index)\n"
            "      %%t2 = arith.add(%%t, %%k) : (index, index) -> (index)\n"
            "      %%row = arith.rem(%%t2, %%rows) : (index, index) -> (index)\n",
            g->perm[0], pb.dims[0], rnd(g, 5));
    for (int r = 1; r < n; r++)
        fprintf(f, "      %%j%d = kernel.index() {dim = %d} : () -> (index)\n", r, g->perm[r]);
    fprintf(f, "      %%v = kernel.load(%%b%d, %%row", p);
    for (int r = 1; r < n; r++) fprintf(f, ", %%j%d", r);
    fputs(") : (", f);
    print_type(f, &pb);
    for (int r = 0; r < n; r++) fputs(", index", f);
    fputs(") -> (f32)\n      kernel.yield(%v) : (f32) -> ()\n", f);
    fclose(f);
    /* kernel.load reads an operand of the kernel: the buffer's block argument stays unused. */
    emit_generic(g, n, ext, (bool[MAX_RANK]){false}, ops, 1, 1, body);
    free(body);
}

/* One kernel with two outputs: tanh(x) and x * x. */
static void gen_two_outputs(gen *g) {
    int p = pick(g, 0);
    if (p < 0) return;
    buf pb = g->bufs[p];
    int n = pb.rank;
    int o1 = fresh_output(g, n, pb.dims), o2 = fresh_output(g, n, pb.dims);
    if (o1 < 0 || o2 < 0) return;
    choose_order(g, n);
    operand ops[3] = {{.buf = p}, {.buf = o1}, {.buf = o2}};
    for (int i = 0; i < 3; i++) map_of(g, &ops[i], pb.dims, 0);
    emit_generic(g, n, pb.dims, (bool[MAX_RANK]){false}, ops, 1, 2,
                 "      %t = arith.tanh(%a0) : (f32) -> (f32)\n"
                 "      %s = arith.mul(%a0, %a0) : (f32, f32) -> (f32)\n"
                 "      kernel.yield(%t, %s) : (f32, f32) -> ()\n");
}

/* Scatter-add into an allocation with kernel.load/kernel.store at rows (i * 5 + j0) mod rows,
 * duplicates included (only the program order makes the result well defined). */
static void gen_scatter(gen *g) {
    int p = pick(g, 1);
    if (p < 0 || g->bufs[p].is_arg || g->bufs[p].view_of >= 0) return;
    buf pb = g->bufs[p];
    int n = pb.rank, ext[MAX_RANK] = {0};
    for (int r = 0; r < n; r++) ext[r] = pb.dims[r];
    ext[0] = random_dim(g);
    int src = fresh_input(g, n, ext);
    if (src < 0) return;
    choose_order(g, n);
    operand ops[2] = {{.buf = src}, {.buf = p}};
    map_of(g, &ops[0], ext, 0);
    int len = 0;
    for (int r = 0; r < n; r++)
        len += snprintf(ops[1].map + len, sizeof ops[1].map - (size_t)len, "%s0", r ? ", " : "");
    char *body = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&body, &size);
    fprintf(f,
            "      %%i = kernel.index() {dim = %d} : () -> (index)\n"
            "      %%five = arith.constant() {value = 5 : index} : () -> (index)\n"
            "      %%rows = arith.constant() {value = %d : index} : () -> (index)\n"
            "      %%k = arith.constant() {value = %d : index} : () -> (index)\n"
            "      %%t = arith.mul(%%i, %%five) : (index, index) -> (index)\n"
            "      %%t2 = arith.add(%%t, %%k) : (index, index) -> (index)\n"
            "      %%row = arith.rem(%%t2, %%rows) : (index, index) -> (index)\n",
            g->perm[0], pb.dims[0], rnd(g, 4));
    for (int r = 1; r < n; r++)
        fprintf(f, "      %%j%d = kernel.index() {dim = %d} : () -> (index)\n", r, g->perm[r]);
    fprintf(f, "      %%old = kernel.load(%%b%d, %%row", p);
    for (int r = 1; r < n; r++) fprintf(f, ", %%j%d", r);
    fputs(") : (", f);
    print_type(f, &pb);
    for (int r = 0; r < n; r++) fputs(", index", f);
    fputs(") -> (f32)\n      %h = arith.constant() {value = 0.5} : () -> (f32)\n"
          "      %m = arith.mul(%old, %h) : (f32, f32) -> (f32)\n"
          "      %new = arith.add(%m, %a0) : (f32, f32) -> (f32)\n",
          f);
    fprintf(f, "      kernel.store(%%new, %%b%d, %%row", p);
    for (int r = 1; r < n; r++) fprintf(f, ", %%j%d", r);
    fputs(") : (f32, ", f);
    print_type(f, &pb);
    for (int r = 0; r < n; r++) fputs(", index", f);
    fputs(") -> ()\n      kernel.yield() : () -> ()\n", f);
    fclose(f);
    emit_generic(g, n, ext, (bool[MAX_RANK]){false}, ops, 1, 1, body);
    free(body);
}

/* A reshape of an allocation: flattened or split in two, usable for reads and writes. */
static void gen_view(gen *g) {
    int p = pick(g, 1);
    if (p < 0 || g->bufs[p].is_arg || g->bufs[p].view_of >= 0) return;
    int64_t total = elements(&g->bufs[p]);
    int dims[2], rank = 1;
    dims[0] = (int)total;
    for (int d = 2; d < 8 && rnd(g, 2); d++)
        if (total % d == 0) {
            dims[0] = d, dims[1] = (int)(total / d), rank = 2;
            break;
        }
    int v = new_buf(g, rank, dims, false, false);
    if (v >= 0) g->bufs[v].view_of = p;
}

/* The whole program text for seed. */
static char *generate(uint64_t seed) {
    gen g = {.seed = seed * 0x9e3779b97f4a7c15ULL + 1};
    for (int i = 0; i < 5; i++) harness_rng(&g.seed);
    g.body = open_memstream(&g.body_text, &g.body_len);
    int first_rank = 1 + rnd(&g, 3), dims[MAX_RANK];
    for (int r = 0; r < first_rank; r++) dims[r] = random_dim(&g);
    fresh_input(&g, first_rank, dims);
    int kernels = 3 + rnd(&g, 6);
    for (int k = 0; k < kernels; k++) {
        switch (rnd(&g, 14)) {
        case 0:
        case 1:
        case 2: gen_elementwise(&g); break;
        case 3: gen_transpose(&g); break;
        case 4: gen_reduce(&g); break;
        case 5: gen_matmul(&g); break;
        case 6: gen_conv(&g); break;
        case 7: gen_stencil(&g); break;
        case 8: gen_carried(&g); break;
        case 9: gen_gather(&g); break;
        case 10: gen_view(&g); break;
        case 11: gen_two_outputs(&g); break;
        case 12: gen_scatter(&g); break;
        default: gen_elementwise(&g); break;
        }
    }
    /* Every allocation is copied to an argument, so that the comparison sees it. */
    int roots = g.num_bufs;
    for (int b = 0; b < roots; b++) {
        if (g.bufs[b].is_arg || g.bufs[b].view_of >= 0) continue;
        buf bb = g.bufs[b];
        int out = new_buf(&g, bb.rank, bb.dims, false, true);
        if (out < 0) break;
        choose_order(&g, bb.rank);
        operand ops[2] = {{.buf = b}, {.buf = out}};
        map_of(&g, &ops[0], bb.dims, 0);
        map_of(&g, &ops[1], bb.dims, 0);
        emit_generic(&g, bb.rank, bb.dims, (bool[MAX_RANK]){false}, ops, 1, 1,
                     "      kernel.yield(%a0) : (f32) -> ()\n");
    }
    fclose(g.body);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fprintf(f, "// random program %llu\nbuiltin.module() ({\n  builtin.func() {function_type = (",
            (unsigned long long)seed);
    int num_args = 0;
    for (int b = 0; b < g.num_bufs; b++)
        if (g.bufs[b].is_arg) {
            if (num_args++) fputs(", ", f);
            print_type(f, &g.bufs[b]);
        }
    fputs(") -> (), sym_name = \"main\"} ({\n  ^bb0(", f);
    num_args = 0;
    for (int b = 0; b < g.num_bufs; b++)
        if (g.bufs[b].is_arg) {
            fprintf(f, "%s%%b%d: ", num_args++ ? ", " : "", b);
            print_type(f, &g.bufs[b]);
        }
    fputs("):\n", f);
    for (int b = 0; b < g.num_bufs; b++) {
        if (g.bufs[b].is_arg) continue;
        if (g.bufs[b].view_of < 0) {
            fprintf(f, "    %%b%d = kernel.alloc() : () -> (", b);
        } else {
            fprintf(f, "    %%b%d = kernel.view(%%b%d) {offset = 0} : (", b, g.bufs[b].view_of);
            print_type(f, &g.bufs[g.bufs[b].view_of]);
            fputs(") -> (", f);
        }
        print_type(f, &g.bufs[b]);
        fputs(")\n", f);
    }
    fputs(g.body_text, f);
    fputs("    builtin.return() : () -> ()\n  })\n})\n", f);
    fclose(f);
    free(g.body_text);
    return text;
}

int main(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 60;
    uint64_t first = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    int failures = 0;
    for (int i = 0; i < count; i++) {
        uint64_t seed = first + (uint64_t)i;
        char *text = generate(seed);
        if (getenv("RANDOM_PRINT")) { /* print the programs instead of checking them */
            fputs(text, stdout);
            free(text);
            continue;
        }
        char name[64];
        snprintf(name, sizeof name, "random-%llu", (unsigned long long)seed);
        int f = harness_check(text, name, seed);
        if (f) {
            fprintf(stderr, "---- %s ----\n%s\n", name, text);
            failures++;
        }
        free(text);
    }
    printf("%d random programs x %d schedules, %d failures\n", count, HARNESS_NUM_VARIANTS,
           failures);
    return failures ? 1 : 0;
}
