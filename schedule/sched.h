/* sched.h: the scheduler's internal interfaces: the polyhedral model of a kernel-level
 * function (statements, arrays, accesses), dependences, fusion groups, the target model,
 * schedule-tree construction, AST generation and the AST -> loop dialect translation. */
#ifndef DLCC_SCHED_H
#define DLCC_SCHED_H

#include "dlcc/pass.h"

#include <isl/aff.h>
#include <isl/ast.h>
#include <isl/ast_build.h>
#include <isl/ctx.h>
#include <isl/flow.h>
#include <isl/id.h>
#include <isl/map.h>
#include <isl/options.h>
#include <isl/printer.h>
#include <isl/schedule.h>
#include <isl/schedule_node.h>
#include <isl/set.h>
#include <isl/space.h>
#include <isl/union_map.h>
#include <isl/union_set.h>
#include <isl/val.h>

enum { SCHED_MAX_DIMS = 64, SCHED_MAX_TILES = 16 };

/* ---- Target model and options (target.c, pass.c) ----------------------------------------- */

/* What the scheduler knows of the CPU it schedules for. */
typedef struct sched_target {
    int64_t l1_bytes, l2_bytes; /* data cache sizes per core */
    int vector_bytes;           /* SIMD register width: 64 AVX-512, 32 AVX2, 16 SSE */
    int vector_regs;            /* SIMD registers: 32 with AVX-512, 16 otherwise */
    int fma_ports, load_ports;  /* vector FMAs and loads issued per cycle */
    int fma_latency;            /* cycles from an FMA to a dependent one */
    int issue_width;            /* instructions issued per cycle (sustained) */
    int threads;                /* cores the parallel loops are shared among */
} sched_target;

/* The host CPU: caches from /sys/devices/system/cpu/cpu0/cache when present (defaults
 * 48 KiB / 1 MiB otherwise), vector width and registers from the CPU's features, two FMA and
 * two load ports with a 4-cycle FMA latency (Skylake and later; Zen), threads from the online
 * CPUs. */
sched_target sched_target_host(void);

typedef struct sched_options {
    int opt;                             /* 0..3 */
    bool fuse;                           /* fusion of consumers into producers */
    bool tile;                           /* tiling of shared bands */
    bool parallel;                       /* loop.parallel on the outermost parallel loop */
    int64_t parallel_min;                /* instances below a loop for it to go parallel */
    int vector;                          /* f32 lanes of the vectorize hint; 0: none */
    int unroll;                          /* largest trip count given an unroll hint */
    bool microkernel;                    /* register-blocked micro-kernels for reductions */
    bool fold_padding;                   /* padded copies written in place (pad.c) */
    int num_tile_sizes;                  /* > 0: sizes given by the user */
    int64_t tile_sizes[SCHED_MAX_TILES]; /* tile sizes (0: that member is not tiled) */
    int print;   /* 1: schedule trees, 2: also the ASTs, 3: also the dependences */
    bool verify; /* check the final schedule with ISL */
    sched_target target;
} sched_options;

/* ---- The polyhedral model (scop.c) --------------------------------------------------------- */

/* How a root buffer is modelled as an ISL array. */
typedef enum sched_array_mode {
    SCHED_ARRAY_MULTI,  /* indexed like the root memref (no views of it are accessed) */
    SCHED_ARRAY_LINEAR, /* one dimension: element offsets from the root's base */
    SCHED_ARRAY_BYTES,  /* one dimension: byte offsets (views change the element size) */
    SCHED_ARRAY_OPAQUE, /* a single cell (no static layout): every access may touch all */
} sched_array_mode;

/* One root buffer: a function argument, kernel.alloc, kernel.global or loop.alloca. */
typedef struct sched_array {
    const dl_value *root;
    sched_array_mode mode;
    char name[16]; /* "A3" */
} sched_array;

/* One access of a statement to an array. */
typedef struct sched_access {
    int array;
    int operand; /* kernel.generic operand index, or -1 (body or opaque access) */
    bool write;
    bool must;    /* an exact affine access (a must-write for writes) */
    isl_map *rel; /* statement instance -> array element, restricted to the domain */
} sched_access;

/* One ISL statement: a top-level kernel.generic, or an opaque top-level op executed once. */
typedef struct sched_stmt {
    dl_op *op;
    bool generic;
    char name[16]; /* "S3" */
    int rank;      /* domain dimensions (0 for opaque statements) */
    int64_t extents[SCHED_MAX_DIMS];
    bool reduction[SCHED_MAX_DIMS]; /* iterator type */
    int64_t instances;              /* number of points in the domain (saturating) */
    isl_set *domain;
    sched_access *accesses;
    int num_accesses;
    /* Fusion (fusion.c): group index, map to the group's shared dimensions, inner dims. */
    int group;
    isl_pw_multi_aff *shared; /* S -> [shared], NULL when the group has no shared band */
    int num_inner;
    int inner[SCHED_MAX_DIMS];
    bool contraction; /* qualifies for a micro-kernel: never fused below its output dims */
} sched_stmt;

struct sched_microkernel;

/* A set of statements scheduled together (fusion.c). */
typedef struct sched_group {
    int *members; /* statement indices in program order */
    int num_members;
    int rank; /* shared dimensions; 0: no shared band */
    int64_t extents[SCHED_MAX_DIMS];
    struct sched_microkernel *mk; /* register-tiled by a micro-kernel (microkernel.c), or NULL */
} sched_group;

/* A constant packed for micro-kernels (pack.c). */
typedef struct sched_packed {
    dl_value *from; /* the kernel.global */
    int result;     /* the index split */
    int64_t tile;
    dl_value *to; /* the packed copy */
} sched_packed;

typedef struct sched_scop {
    isl_ctx *ctx;
    dl_op *func;
    dl_op **defs; /* top-level definitions, hoisted before the loop nests */
    int num_defs;
    sched_stmt *stmts;
    int num_stmts;
    sched_array *arrays;
    int num_arrays;
    isl_schedule *original;    /* program order */
    isl_union_map *ssa_deps;   /* statement results used by later statements */
    isl_union_map *deps;       /* flow, anti, output and ssa dependences */
    bool *dep_pairs;           /* [from * num_stmts + to]: some dependence links them */
    isl_union_map **deps_from; /* [s]: the dependences from statement s (NULL: none) */
    sched_group *groups;
    int num_groups;
    sched_packed *packed; /* constants packed for micro-kernels */
    int num_packed;
} sched_scop;

/* Builds the model of func's entry block. Returns DL_FAILURE after an error. */
dl_status sched_scop_build(sched_scop *scop, isl_ctx *ctx, dl_op *func);
void sched_scop_free(sched_scop *scop);
/* The statement named by an ISL tuple name ("S3"), or -1. */
int sched_stmt_index(const sched_scop *scop, const char *name);
/* `[{ S[i0, ..] -> [(i_d)] }, ...]`: the band of statement s over the given dims. */
__isl_give isl_multi_union_pw_aff *sched_stmt_band(const sched_scop *scop, int s, const int *dims,
                                                   int n);

/* ---- Dependences (deps.c) -------------------------------------------------------------- */

/* Computes scop->deps (memory-based: instance pairs touching a common element, at least one
 * writing, in program order), scop->dep_pairs and the index by source, scop->deps_from. */
dl_status sched_compute_deps(sched_scop *scop);
/* The dependences whose source and sink are instances of dom, gathered from deps_from: the
 * cost follows dom's statements, not the function's (checks per group or loop would otherwise
 * grow quadratically with the function). */
__isl_give isl_union_map *sched_deps_among(const sched_scop *scop, __isl_keep isl_union_set *dom);
/* True if every dependence between instances scheduled by `schedule` goes forward in it;
 * with sinks, only the dependences into those instances are checked. */
isl_bool sched_respects_deps(const sched_scop *scop, __isl_keep isl_schedule *schedule,
                             __isl_keep isl_union_set *sinks);
/* True if every dependence between statements of different groups goes from an earlier group
 * to a later one (the sequence of groups respects them). */
bool sched_groups_ordered(const sched_scop *scop);
/* For each member of band `mupa`: does it carry no dependence among the instances it
 * schedules, given that outer members are equal? Stores the answers in coincident. */
isl_stat sched_band_coincidence(const sched_scop *scop, __isl_keep isl_multi_union_pw_aff *mupa,
                                bool *coincident);
/* True if dependences among the instances of `mupa` never go backward along any member
 * (the band may be tiled). */
isl_bool sched_band_permutable(const sched_scop *scop, __isl_keep isl_multi_union_pw_aff *mupa);
/* True if some dependence links statement `from` to statement `to`. */
bool sched_depends(const sched_scop *scop, int from, int to);

/* ---- Fusion (fusion.c) ----------------------------------------------------------------- */

/* Partitions the statements into groups: with fusion, elementwise consumers join the group
 * of their producer when the dependences allow it; without, one group per statement. */
dl_status sched_form_groups(sched_scop *scop, const sched_options *o);

/* ---- Schedule trees (tree.c, tile.c) --------------------------------------------------- */

/* The identity schedule: statements in program order, each in its own loop order. */
__isl_give isl_schedule *sched_identity(const sched_scop *scop);
/* The optimised schedule in parts, one per group in program order (their sequence is the
 * function's schedule): each group's shared band (tiled when the target model or the options
 * ask for it) and its members' inner bands. Sets parts[0..n) (room for scop->num_groups) and
 * returns n; a part is NULL when ISL failed. Parts get their ASTs one by one: AST generation
 * over the whole sequence grew quadratically with the number of groups. */
int sched_optimized_parts(sched_scop *scop, const sched_options *o, isl_schedule **parts);
/* The sequence of parts[0..n) (copies), NULL if one is NULL. */
__isl_give isl_schedule *sched_sequence(isl_schedule *const *parts, int n);
/* The untiled schedule of one group (also used to check fusion legality). */
__isl_give isl_schedule *sched_group_schedule(const sched_scop *scop, const sched_group *g);
/* Tile sizes for group g's shared band; returns false when it should not be tiled. */
bool sched_tile_sizes(const sched_scop *scop, const sched_group *g, const sched_options *o,
                      int64_t *sizes);
/* The statement dimension that shared dimension j of statement s follows one to one, or -1. */
int sched_shared_dim(const sched_stmt *s, int j);

/* ---- Micro-kernels (microkernel.c, mk_emit.c, pack.c) ----------------------------------- */

/* How an input of a reduction is read along a candidate vector dimension. */
typedef enum sched_mk_access {
    SCHED_MK_INVARIANT,  /* independent of it: one scalar per row, broadcast */
    SCHED_MK_CONTIGUOUS, /* consecutive elements along the operand's last index */
    SCHED_MK_PACK,       /* a constant whose copy with one index moved last is contiguous */
    SCHED_MK_STRIDED,    /* every S-th element along the last index (S = 2..4: strided convs) */
    SCHED_MK_GATHER,     /* anything else: lane by lane */
} sched_mk_access;

enum { SCHED_MK_MAX_ROWS = 16, SCHED_MK_MAX_VECS = 4 };

/* The register tile of a reduction kernel.generic (sched_mk_choose). */
typedef struct sched_mk_choice {
    int vdim, udim; /* dims of the generic: vectorised, unrolled into rows (-1: none) */
    int rows, vecs; /* the tile: `rows` along udim by `vecs` vectors of `lanes` along vdim */
    int lanes;
    int num_operands;
    sched_mk_access access[SCHED_MAX_DIMS]; /* per operand (inputs; the output last) */
    int pack_result[SCHED_MAX_DIMS];        /* SCHED_MK_PACK: the map result to move last */
    double cycles;                          /* the cost model's estimate */
} sched_mk_choice;

/* The micro-kernel of a fusion group (sched_mk_plan): one register tile of the group's shared
 * band at a time, the leader's output accumulated in registers through its whole reduction,
 * the other members (elementwise, before and after it) computed on the same registers. */
typedef struct sched_microkernel {
    int leader;                   /* the reduction statement */
    int jv, ju;                   /* shared dims vectorised / unrolled into rows (-1: none) */
    sched_mk_choice choice;       /* of the leader */
    int64_t tile[SCHED_MAX_DIMS]; /* register tile along each shared dim */
    int out_array;                /* the array of the leader's output */
    bool out_dead;                /* a kernel.alloc only the group uses: never stored */
    /* dims[i][d]: the shared dim that dim d of member i equals, -1 for a dim of extent 1
     * (always 0), -2 for a reduction dim of the leader. */
    int (*dims)[SCHED_MAX_DIMS];
} sched_microkernel;

/* Chooses the register tile of a reduction generic whose output does not depend on its
 * reduction dims and whose body is arithmetic, with the target's cost model; false when the
 * generic does not qualify or no tile avoids reading an input lane by lane. */
bool sched_mk_choose(dl_op *generic, const sched_options *o, sched_mk_choice *c);
/* Gives group g a micro-kernel when it qualifies (one reduction member, every other member
 * elementwise and aligned one to one with the shared band, every access to the reduction's
 * output exact); returns whether it did. */
bool sched_mk_plan(sched_scop *scop, int g, const sched_options *o);
void sched_mk_free(struct sched_microkernel *mk);
/* How operand k of a generic is accessed along its dim `dim` within a register tile `tile`
 * lanes wide along it, starting at a multiple of `tile` (index i / tile is then fixed and
 * i mod tile walks the lanes; SCHED_MK_PACK is reported as SCHED_MK_GATHER: what the code must
 * do as it is), and whether its map depends on `dim`. */
sched_mk_access sched_mk_operand_access(dl_op *generic, unsigned k, int dim, int64_t tile);
bool sched_mk_operand_depends(dl_op *generic, unsigned k, int dim);
/* True if reduction dim d must be expanded (straight-line copies, one per value) so that the
 * strided reads along vdim have a constant phase; the phase (first element's index mod the
 * stride) of operand k at coords (constants where it matters), with the stride, or -1. */
bool sched_mk_expands(dl_op *generic, int vdim, int d);
int64_t sched_mk_phase(dl_op *generic, unsigned k, int vdim, dl_value *const *coords,
                       int64_t *stride);
/* Makes operand k of generic (a kernel.global whose map result r walks the vectorised dim)
 * read a packed copy: index r split into r / tile first and r mod tile last (pack.c). */
void sched_pack_operand(sched_scop *scop, dl_op *generic, unsigned k, int r, int64_t tile);
/* Folds the padded copies of intermediate buffers (pad.c): a buffer x copied into the interior
 * of a filled buffer P (a convolution's padded input) becomes a view of P's interior, the copy
 * is erased and the fill only writes P's border. */
void sched_fold_padding(dl_op *func);
/* The AST for the mark of a micro-kernel group ("MK<g>"): a call MK<g>(origin...) giving
 * the first point of the register tile along each shared dim (called by ast.c). */
__isl_give isl_ast_node *sched_mk_ast_call(const sched_scop *scop, __isl_take isl_ast_node *mark,
                                           __isl_keep isl_ast_build *build);

/* ---- AST and loop code (ast.c, to_loop.c, mk_emit.c) ------------------------------------ */

/* What AST generation learnt about a for loop (the annotation of each for node). */
typedef struct sched_loop_info {
    bool parallel;     /* carries no dependence */
    bool innermost;    /* contains no other for loop */
    int64_t instances; /* statement instances under the loop (all its iterations) */
} sched_loop_info;

/* Builds the AST of schedule; each for node is annotated with a sched_loop_info. */
__isl_give isl_ast_node *sched_build_ast(sched_scop *scop, __isl_keep isl_schedule *schedule);
/* Replaces the statements of scop->func by loop-dialect code for the ASTs asts[0..n) in
 * order: definitions first, then the code, then the return. */
dl_status sched_emit_loops(sched_scop *scop, isl_ast_node *const *asts, int n,
                           const sched_options *o);

/* The state of loop-dialect generation (to_loop.c), shared with the micro-kernel emitter. */
typedef struct sched_emitter {
    sched_scop *scop;
    const sched_options *o;
    dl_context *ctx;
    const dl_type *index, *i1;
    dl_builder b;        /* where code goes */
    dl_op *const_anchor; /* index constants go before it */
    struct sched_konst {
        int64_t v;
        dl_value *val;
        bool created; /* by the scheduler (erased again if unused) */
    } * consts;
    int num_consts, cap_consts;
    struct sched_iter {
        isl_id *id; /* borrowed from the AST */
        dl_value *val;
    } iters[4 * SCHED_MAX_DIMS];
    int num_iters;
    bool in_parallel;
    bool *placed; /* statements already emitted */
    struct sched_view {
        dl_value *src;
        int64_t phase, stride;
        dl_value *view; /* every stride-th element of src from phase, along its last dim */
    } * views;
    int num_views;
} sched_emitter;

/* The index constant v (defined once before the generated code). */
dl_value *sched_cst(sched_emitter *e, int64_t v);
/* A binary index op at e->b, folded when both operands are constants. */
dl_value *sched_bin(sched_emitter *e, dl_op_kind kind, dl_value *a, dl_value *b);
/* An affine expression of a statement's domain coordinates, as index ops at e->b. */
dl_value *sched_affine(sched_emitter *e, const dl_affine_expr *x, dl_value *const *coords);
/* Emits group g's micro-kernel for the register tile whose first point along each shared
 * dim is origin[j] (mk_emit.c). */
dl_status sched_mk_emit(sched_emitter *e, int g, dl_value *const *origin);

#endif
