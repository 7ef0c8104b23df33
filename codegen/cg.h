/* cg.h: internal interfaces of the code generator: the model signature, the LLVM module and
 * function state, and the per-concept lowering entry points (codegen/llvm: LLVM plumbing,
 * codegen/cpu: lowering of loop-level IR and of the library ABI). */
#ifndef DLCC_CODEGEN_CG_H
#define DLCC_CODEGEN_CG_H

#include "dlcc/codegen.h"

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

/* ---- The model signature (codegen/signature.c) ---------------------------------------------- */

/* One model input or output: an argument of the loop-level main. */
typedef struct cg_tensor {
    const char *name;     /* the ONNX name */
    const char *c_name;   /* a unique C identifier derived from it (header parameter names) */
    const dl_type *type;  /* static, contiguous memref */
    int onnx_type;        /* dlcc_elem_type */
    int64_t num_elements; /* product of the dims */
    int64_t elem_bytes;
} cg_tensor;

typedef struct cg_signature {
    dl_op *func; /* the loop-level builtin.func */
    unsigned num_inputs, num_outputs;
    cg_tensor *inputs, *outputs;
    bool has_arena;      /* the last argument is the planned arena memref<Nxi8> */
    int64_t arena_bytes; /* 0 without an arena */
} cg_signature;

/* Whether NAME.impl takes the arena as its last parameter (the model has a non-empty arena). */
static inline bool cg_impl_takes_arena(const cg_signature *sig) {
    return sig->has_arena && sig->arena_bytes > 0;
}

/* Finds main (or the module's only function) and describes its arguments: inputs, outputs,
 * then the arena when `arena_bytes` is set; names from `arg_names`/`result_names`. Emits an
 * error and returns DL_FAILURE when the function does not have this form or a shape is dynamic. */
dl_status cg_signature_build(dl_op *module, cg_signature *sig);
/* The ONNX element type code of a scalar type; 0 if it has none. */
int cg_onnx_elem_type(dl_type_kind kind);
/* "float32", "int64", "bool", ... for header comments and messages. */
const char *cg_elem_type_name(dl_type_kind kind);

/* ---- Targets (codegen/llvm/target.c) -------------------------------------------------------- */

typedef struct cg_target {
    const char *name;              /* as given: "host", "x86-64", ... */
    char *triple, *cpu, *features; /* malloc'ed */
    const char *halide_target;     /* Halide target string for the filter metadata */
    int vector_bits;               /* preferred vector register width */
    LLVMTargetMachineRef tm;
} cg_target;

/* Resolves opts->target ("host" by default) into a target machine. Emits an error for unknown
 * targets and for targets that are not supported yet (nvptx, accel). */
dl_status cg_target_create(dl_context *ctx, const dl_codegen_options *opts, cg_target *t);
void cg_target_destroy(cg_target *t);

/* ---- The LLVM module being built ------------------------------------------------------------- */

typedef struct cg_value_map cg_value_map;

/* Constants of at least this many bytes go to the weights object (data_object.c) when the
 * output is an object or a library; smaller ones stay LLVM constants, which LLVM can fold, and
 * so do uniform ones (every element the same, e.g. LayerNorm's default ones and zeros: folding
 * them made a BERT-style encoder 4% faster) up to CG_INLINE_UNIFORM_MAX_BYTES. */
#define CG_EXTERNAL_DATA_MIN_BYTES  1024
#define CG_INLINE_UNIFORM_MAX_BYTES (1 << 20)

/* One block of read-only data: `size` bytes at `data`, or (unit > 0) the `unit` bytes at `data`
 * repeated size / unit times (a splat constant). */
typedef struct cg_data_block {
    const char *symbol; /* the hidden global symbol that names it */
    const void *data;
    uint64_t size;
    uint32_t unit;
} cg_data_block;

typedef struct cg_module {
    dl_context *ctx;
    const dl_codegen_options *opts;
    const cg_signature *sig;
    const cg_target *target;
    const char *name; /* C name of the model (prefix of every exported symbol) */
    LLVMContextRef llctx;
    LLVMModuleRef mod;
    LLVMTargetDataRef td;
    LLVMTypeRef t_void, t_i1, t_i8, t_i16, t_i32, t_i64, t_f16, t_f32, t_f64, t_ptr;
    unsigned num_closures, num_globals;
    LLVMValueRef tensor_infos_in, tensor_infos_out; /* dlcc_tensor_info arrays (metadata.c) */
    LLVMValueRef impl;        /* the model function taking plain pointers (function.c) */
    LLVMValueRef arena_cache; /* the arena kept between calls (entry.c), or NULL */
    LLVMValueRef name_string; /* the C name as a constant string */
    cg_value_map *globals;    /* kernel.global results -> their LLVM globals */
    cg_value_map *alias_scopes, *noalias_scopes; /* memref -> !alias.scope / !noalias lists */
    /* Large constants are external hidden globals defined by a separate data object instead of
     * LLVM initializers (set for -emit=obj/lib on targets data_object.c supports). */
    bool external_data;
    cg_data_block *data_blocks; /* the constants for that object, in emission order */
    size_t num_data_blocks, cap_data_blocks;
} cg_module;

/* One LLVM function being generated from loop-level IR. */
typedef struct cg_func {
    cg_module *m;
    LLVMValueRef fn;
    LLVMBuilderRef b;
    LLVMBasicBlockRef entry;  /* allocas go at its start */
    LLVMBasicBlockRef exit;   /* returns the status slot */
    LLVMValueRef status;      /* i32 slot: 0 or an error code */
    cg_value_map *values;     /* dl_value -> LLVMValueRef */
    LLVMValueRef error_name;  /* the model's name (a C string) for runtime error messages */
    LLVMValueRef *free_slots; /* ptr slots released (dlcc_free) on exit */
    unsigned num_free_slots, cap_free_slots;
} cg_func;

/* Creates the LLVM context and module for the target. */
void cg_module_init(cg_module *m, dl_context *ctx, const dl_codegen_options *opts,
                    const cg_signature *sig, const cg_target *target);
void cg_module_dispose(cg_module *m);
/* Records a block of the model's data object (its symbol, data and size are kept as given). */
void cg_module_add_data(cg_module *m, cg_data_block block);

/* ---- Values (codegen/llvm/value_map.c) ------------------------------------------------------ */

cg_value_map *cg_value_map_create(void);
void cg_value_map_destroy(cg_value_map *map);
void cg_value_map_set(cg_value_map *map, const dl_value *v, LLVMValueRef llv);
/* The LLVM value of v, or NULL when it was not emitted (yet). */
LLVMValueRef cg_value_map_get(const cg_value_map *map, const dl_value *v);
/* The LLVM value of an operand; asserts that it was emitted. */
LLVMValueRef cg_operand(cg_func *f, dl_op *op, unsigned i);

/* ---- Types (codegen/llvm/types.c) ----------------------------------------------------------- */

/* The register type of an IR type: scalars (index = i64, uN = iN, f16/bf16 = float: computed in
 * f32), vectors of them, and memrefs (a pointer to their base). */
LLVMTypeRef cg_type(cg_module *m, const dl_type *t);
/* The in-memory type of a scalar element (f16 = half, bf16 = i16, i1 = i8). */
LLVMTypeRef cg_mem_type(cg_module *m, dl_type_kind kind);
/* A vector type of the register type of kind with n lanes (n = 0: the scalar type). */
LLVMTypeRef cg_lanes_type(cg_module *m, dl_type_kind kind, unsigned n);
/* Lane count of a vector type, 0 for a scalar. */
unsigned cg_lanes(const dl_type *t);

/* ---- LLVM helpers (codegen/llvm/intrinsics.c) ----------------------------------------------- */

/* Calls the overloaded intrinsic `name` (e.g. "llvm.maximum") specialised for the given
 * overload types. */
LLVMValueRef cg_intrinsic(cg_func *f, const char *name, LLVMTypeRef *overloads,
                          unsigned num_overloads, LLVMValueRef *args, unsigned num_args);
/* Calls the one-overload intrinsic `name` on args of type args[0]'s type. */
LLVMValueRef cg_intrinsic1(cg_func *f, const char *name, LLVMValueRef *args, unsigned num_args);
/* Declares (once) an external function of the module. */
LLVMValueRef cg_declare(cg_module *m, const char *name, LLVMTypeRef fn_type);
/* Calls a declared function by name (declaring it with fn_type when missing). */
LLVMValueRef cg_call(cg_func *f, const char *name, LLVMTypeRef fn_type, LLVMValueRef *args,
                     unsigned num_args);
/* An i32 / i64 constant. */
LLVMValueRef cg_i32(cg_module *m, int64_t v);
LLVMValueRef cg_i64(cg_module *m, int64_t v);
/* A private constant NUL-terminated string; returns its address. */
LLVMValueRef cg_cstring(cg_module *m, const char *s);
/* A fresh private symbol name "NAME.prefix.N" in the arena. */
const char *cg_private_name(cg_module *m, const char *prefix);
/* Sets the attributes every generated function carries (target CPU and features, nounwind). */
void cg_set_function_attrs(cg_module *m, LLVMValueRef fn);
/* Splats a scalar LLVM value to n lanes (n = 0 returns it unchanged). */
LLVMValueRef cg_splat(cg_func *f, LLVMValueRef scalar, unsigned n);
/* Rounds f32 register values of an f16/bf16 IR type to that precision (identity otherwise). */
LLVMValueRef cg_round_to_storage(cg_func *f, LLVMValueRef v, dl_type_kind kind);
/* An alloca placed at the start of f's entry block. */
LLVMValueRef cg_entry_alloca(cg_func *f, LLVMTypeRef t, const char *name);

/* ---- Loop metadata (codegen/llvm/loop_metadata.c) ------------------------------------------- */

/* Attaches llvm.loop metadata to a loop's latch branch: vectorize width (0: none) and unroll
 * count (0: none). */
void cg_attach_loop_hints(cg_module *m, LLVMValueRef latch_branch, int64_t vectorize,
                          int64_t unroll);

/* ---- Lowering of loop-level IR (codegen/cpu) ------------------------------------------------- */

/* Prepares f to emit into fn: builder, entry and exit blocks, status slot, value map. The
 * builder is left at the end of a fresh body block. */
void cg_func_begin(cg_func *f, cg_module *m, LLVMValueRef fn);
/* Branches to the exit block, which frees the registered slots and returns the status, and
 * releases f's builder and value map. */
void cg_func_end(cg_func *f);
/* A ptr slot (initially NULL) whose value the exit block passes to dlcc_free. */
LLVMValueRef cg_func_add_free_slot(cg_func *f, const char *name);
/* Sets the status to code when code != 0 and leaves through the exit block; continues in a
 * fresh block otherwise. */
void cg_check_status(cg_func *f, LLVMValueRef code);

/* Emits every op of block b (stopping at its terminator). */
dl_status cg_emit_block(cg_func *f, dl_block *b);
/* Emits one op (dispatch to the groups below). */
dl_status cg_emit_op(cg_func *f, dl_op *op);

/* Builds the internal model function `NAME.impl(ptr inputs..., ptr outputs..., ptr arena)`
 * from main (the arena parameter only when cg_impl_takes_arena): per-call buffers, the body,
 * their release. (function.c) */
dl_status cg_emit_model_function(cg_module *m);

/* Alias scopes (alias.c): which memrefs of main cannot overlap (computed before emission),
 * and the tagging of one load or store of memref with them. */
void cg_alias_analyze(cg_module *m);
void cg_alias_tag(cg_func *f, LLVMValueRef access, const dl_value *memref);

/* Memory (memory.c): kernel.global, kernel.view, kernel.alloc, loop.alloca, loop.load,
 * loop.store. */
dl_status cg_emit_memory_op(cg_func *f, dl_op *op);
/* Loops and conditionals (loops.c): loop.for, loop.if. */
dl_status cg_emit_loop_op(cg_func *f, dl_op *op);
/* loop.parallel: the body outlined into a closure run by halide_do_par_for (parallel.c). */
dl_status cg_emit_parallel(cg_func *f, dl_op *op);
/* Arithmetic by group: binary integer/float arithmetic (arith_binary.c), math functions
 * (arith_math.c), conversions (arith_convert.c), constants, comparisons, selects and vector
 * ops (arith_misc.c). Each sets the LLVM value of op's result. */
dl_status cg_emit_arith_binary(cg_func *f, dl_op *op);
dl_status cg_emit_arith_math(cg_func *f, dl_op *op);
dl_status cg_emit_arith_convert(cg_func *f, dl_op *op);
dl_status cg_emit_arith_misc(cg_func *f, dl_op *op);
/* exp, log, tanh, erf of f32 scalars or vectors as inline, vectorisable IR (math_f32.c). */
LLVMValueRef cg_exp_f32(cg_func *f, LLVMValueRef x);
LLVMValueRef cg_log_f32(cg_func *f, LLVMValueRef x);
LLVMValueRef cg_tanh_f32(cg_func *f, LLVMValueRef x);
LLVMValueRef cg_erf_f32(cg_func *f, LLVMValueRef x);
/* Converts an LLVM register value of IR scalar kind `from` to kind `to` with ONNX/numpy
 * semantics (lanes: 0 for scalars). Used by arith.cast. */
LLVMValueRef cg_convert(cg_func *f, LLVMValueRef v, dl_type_kind from, dl_type_kind to,
                        unsigned lanes);

/* ---- The library ABI (codegen/cpu/entry.c, codegen/cpu/metadata.c) -------------------------- */

/* The dlcc_tensor_info arrays, Halide filter metadata, NAME_metadata and NAME_model with its
 * weak alias dlcc_model. Needs the entry points (emitted first). */
void cg_emit_metadata(cg_module *m);
/* The tensor info arrays used by the buffer checks (emitted before the entry points). */
void cg_emit_tensor_infos(cg_module *m);
/* NAME (halide_buffer_t), NAME_argv and NAME_run around m->impl, which get the arena from
 * the model's cache (and a destructor that frees the cached arena at unload). */
void cg_emit_entry_points(cg_module *m);

/* ---- Optimisation and output (codegen/llvm/emit.c, codegen/header.c, codegen/link.c) ------- */

/* Verifies the module (an internal error names LLVM's complaint). */
dl_status cg_verify_module(cg_module *m);
/* Runs LLVM's default<O0..O3> pipeline for the target. */
dl_status cg_optimize(cg_module *m, int opt_level);
/* Writes textual IR, assembly or an object file. */
dl_status cg_write_llvm_ir(cg_module *m, const char *path);
dl_status cg_write_machine_code(cg_module *m, const char *path, bool assembly);
/* Writes an ELF64 relocatable object holding the blocks in one read-only section, each at a
 * 64-byte aligned offset and named by a hidden global STT_OBJECT symbol of its size. The bytes
 * go from the blocks to the file without an intermediate copy. */
dl_status cg_write_data_object(dl_context *ctx, const char *path, const char *triple,
                               const cg_data_block *blocks, size_t n);
/* Whether cg_write_data_object can write objects for this target triple (64-bit
 * little-endian ELF: x86-64 and AArch64 Linux). */
bool cg_data_object_supports(const char *triple);
/* Writes OUT.h for the model. */
dl_status cg_write_header(dl_context *ctx, const cg_signature *sig, const char *name,
                          const char *target, const char *path);
/* Links the model's objects (code, and data when there is a data object) with the Halide and
 * dlcc runtime objects (embedded in the compiler, written to tmp_dir first) using the system
 * toolchain ($DLCC_CC, default cc): a shared library (shared = true) or one relocatable
 * object. host_runtime picks the Halide runtime built for the build machine's CPU, otherwise
 * the one for any x86-64 CPU. */
dl_status cg_link(dl_context *ctx, const char *tmp_dir, const char *const *model_objects,
                  unsigned num_model_objects, const char *output, bool shared, bool host_runtime);
/* A temporary folder (mkdtemp) and its removal with everything in it (one level). */
char *cg_make_temp_dir(dl_context *ctx);
void cg_remove_temp_dir(const char *dir);

#endif
