/* parallel.c: the entry of compiled models' parallel loops. dlcc_par_for runs a loop's tasks on
 * halide_do_par_for (served by the thread pool of pool.c). With DLCC_PROFILE=1 in the environment
 * it also times every parallel loop (wall time, time in tasks per thread, the sequential time
 * before it) and prints one table per process to stderr at exit: a tool to see where multi-threaded
 * time goes. When the variable is unset the cost is one predictable branch per parallel loop. */
#include "support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { PROF_MAX_THREADS = 64, PROF_MAX_SITES = 4096 };

/* Totals of one parallel loop (a call site in the generated code), over all its runs. */
typedef struct prof_site {
    const char *site;
    uint64_t calls, tasks;
    int threads;     /* most threads that ran tasks of one call */
    double wall;     /* seconds from the call to its return */
    double busy;     /* seconds in tasks, all threads */
    double critical; /* per call, the busiest thread's seconds in tasks */
    double before;   /* seconds since the calling thread's previous parallel loop returned */
} prof_site;

static prof_site prof_sites[PROF_MAX_SITES];
static int prof_num_sites;
static pthread_mutex_t prof_lock = PTHREAD_MUTEX_INITIALIZER;
static int prof_state = -1; /* -1 unknown, 0 off, 1 on */
static int prof_next_thread;
/* initial-exec: model libraries must not depend on the dynamic loader's __tls_get_addr, and two
 * words fit the static TLS space glibc keeps for dlopen'ed libraries. */
#define PROF_TLS __thread __attribute__((tls_model("initial-exec")))
static PROF_TLS int prof_thread = -1;
static PROF_TLS double prof_last_end;

static double prof_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int prof_enabled(void) {
    int s = __atomic_load_n(&prof_state, __ATOMIC_RELAXED);
    if (s < 0) {
        const char *v = getenv("DLCC_PROFILE");
        s = v && *v && strcmp(v, "0") != 0;
        __atomic_store_n(&prof_state, s, __ATOMIC_RELAXED);
    }
    return s;
}

/* One call being profiled: the real task and closure, and time in tasks per thread. */
typedef struct prof_call {
    halide_task_t f;
    uint8_t *closure;
    struct {
        double busy;
        char pad[56]; /* one cache line per thread */
    } per_thread[PROF_MAX_THREADS];
} prof_call;

static int prof_thread_index(void) {
    if (prof_thread < 0) {
        int t = __atomic_fetch_add(&prof_next_thread, 1, __ATOMIC_RELAXED);
        prof_thread = t < PROF_MAX_THREADS ? t : PROF_MAX_THREADS - 1;
    }
    return prof_thread;
}

static int prof_task(void *user_context, int i, uint8_t *closure) {
    prof_call *c = (prof_call *)closure;
    double t0 = prof_now();
    int r = c->f(user_context, i, c->closure);
    double t1 = prof_now();
    c->per_thread[prof_thread_index()].busy += t1 - t0;
    prof_last_end = t1; /* nested loops in the task do not count as sequential time */
    return r;
}

static void prof_record(const char *site, int extent, double start, double end, double before,
                        const prof_call *c) {
    double busy = 0, critical = 0;
    int threads = 0;
    for (int t = 0; t < PROF_MAX_THREADS; t++) {
        double b = c->per_thread[t].busy;
        busy += b;
        if (b > critical) critical = b;
        threads += b > 0;
    }
    pthread_mutex_lock(&prof_lock);
    prof_site *s = NULL;
    for (int i = 0; i < prof_num_sites && !s; i++)
        if (prof_sites[i].site == site) s = &prof_sites[i];
    if (!s && prof_num_sites < PROF_MAX_SITES) {
        s = &prof_sites[prof_num_sites++];
        s->site = site;
    }
    if (s) {
        s->calls++;
        s->tasks += (uint64_t)(extent > 0 ? extent : 0);
        if (threads > s->threads) s->threads = threads;
        s->wall += end - start;
        s->busy += busy;
        s->critical += critical;
        s->before += before;
    }
    pthread_mutex_unlock(&prof_lock);
}

static int prof_by_wall(const void *a, const void *b) {
    double x = ((const prof_site *)a)->wall + ((const prof_site *)a)->before;
    double y = ((const prof_site *)b)->wall + ((const prof_site *)b)->before;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Prints the table: per parallel loop, its share of the time, how evenly the threads shared
 * it (busy / (wall x threads)), the pool's overhead (wall - busiest thread) and the sequential
 * time before it (everything the calling thread did since the previous parallel loop: nests
 * left sequential, and between inferences the caller's own work). */
__attribute__((destructor)) static void prof_report(void) {
    if (prof_state != 1 || !prof_num_sites) return;
    qsort(prof_sites, (size_t)prof_num_sites, sizeof *prof_sites, prof_by_wall);
    double wall = 0, before = 0, busy = 0, critical = 0;
    uint64_t calls = 0;
    for (int i = 0; i < prof_num_sites; i++) {
        wall += prof_sites[i].wall;
        before += prof_sites[i].before;
        busy += prof_sites[i].busy;
        critical += prof_sites[i].critical;
        calls += prof_sites[i].calls;
    }
    fprintf(stderr,
            "dlcc profile: %d parallel loops, %llu calls; %.3f ms in them (busiest threads "
            "%.3f ms, all threads %.3f ms), %.3f ms sequential before them\n",
            prof_num_sites, (unsigned long long)calls, 1e3 * wall, 1e3 * critical, 1e3 * busy,
            1e3 * before);
    fprintf(stderr, "%8s %7s %7s %4s %10s %7s %10s %10s  %s\n", "calls", "tasks", "%time", "thr",
            "wall ms", "even", "overhd ms", "seq ms", "site");
    for (int i = 0; i < prof_num_sites; i++) {
        const prof_site *s = &prof_sites[i];
        int thr = s->threads ? s->threads : 1;
        fprintf(stderr, "%8llu %7.1f %6.2f%% %4d %10.3f %6.0f%% %10.3f %10.3f  %s\n",
                (unsigned long long)s->calls, (double)s->tasks / (double)s->calls,
                100 * (s->wall + s->before) / (wall + before), thr, 1e3 * s->wall,
                s->wall > 0 ? 100 * s->busy / (s->wall * thr) : 0, 1e3 * (s->wall - s->critical),
                1e3 * s->before, s->site);
    }
}

int dlcc_par_for(void *user_context, halide_task_t f, int min, int extent, uint8_t *closure,
                 const char *site) {
    if (__builtin_expect(prof_state == 0, 1))
        return halide_do_par_for(user_context, f, min, extent, closure);
    if (!prof_enabled()) return halide_do_par_for(user_context, f, min, extent, closure);
    prof_call *c = calloc(1, sizeof *c);
    if (!c) return halide_do_par_for(user_context, f, min, extent, closure);
    c->f = f;
    c->closure = closure;
    double start = prof_now();
    double before = prof_last_end > 0 ? start - prof_last_end : 0;
    int r = halide_do_par_for(user_context, prof_task, min, extent, (uint8_t *)c);
    double end = prof_now();
    prof_last_end = end;
    prof_record(site ? site : "?", extent, start, end, before, c);
    free(c);
    return r;
}
