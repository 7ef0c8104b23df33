/* runtime.h: the ABI of libraries compiled by dlcc (OUT.so / OUT.o), and the model description
 * (`dlcc_model_info`) that programs such as dlcc-run read from them.
 *
 * A model compiled with `dlcc model.onnx -o NAME.so` exports, for the C name NAME (the output's
 * file name without folder and extension):
 *
 *   int NAME(struct halide_buffer_t *in0, ..., struct halide_buffer_t *out0, ...);
 *       The Halide AOT pipeline convention. Buffer dims are innermost first, so the ONNX shape
 *       [N, C, H, W] is dim[0] = W, ..., dim[3] = N. Before touching any memory, every buffer is
 *       checked: non-NULL, host non-NULL, type (code, bits, lanes = 1), number of dimensions,
 *       extents (min is free), dense strides (dim[0].stride = 1, dim[k].stride =
 *       dim[k-1].stride * dim[k-1].extent; dims of extent 1 may have any stride). On a mismatch
 *       halide_error() is called with a message naming the function, the argument and the
 *       mismatch, and a negative halide_error_code_t is returned:
 *         halide_error_code_buffer_argument_is_null (-12), halide_error_code_host_is_null (-34),
 *         halide_error_code_bad_type (-3), halide_error_code_bad_dimensions (-43),
 *         halide_error_code_constraint_violated (-8, extents and strides),
 *         halide_error_code_out_of_memory (-11, the arena could not be allocated).
 *       Inputs whose device copy is dirty are copied to the host first (halide_copy_to_host);
 *       outputs are marked host-dirty. Returns 0 on success.
 *   int NAME_argv(void **args);
 *       The same with the buffers in an array (Halide's argv convention).
 *   const struct halide_filter_metadata_t *NAME_metadata(void);
 *       Halide's filter metadata: one argument per input then output, named as in the model.
 *   int NAME_run(const void *const *inputs, void *const *outputs);
 *       Plain contiguous row-major arrays of the model's shapes and element types, in model
 *       order. Checks only that the pointers are non-NULL (-12 otherwise).
 *   const dlcc_model_info NAME_model;   and the weak alias   dlcc_model
 *       The description below (dlcc-run loads `dlcc_model` with dlsym).
 *
 * Element types: f32 <-> Halide float(32), f16 float(16), bf16 bfloat(16), f64 float(64),
 * iN int(N), uN uint(N), bool uint(1) (one byte per element in memory).
 *
 * Intermediate values live in one arena of `arena_bytes` bytes. The library keeps one arena
 * between calls: a call takes the kept arena, or allocates one with halide_malloc when another
 * call holds it, and gives it back when it returns (an arena that finds another one kept is
 * freed with halide_free). So calls are reentrant and may run concurrently, and calls in a row
 * reuse memory whose pages are already mapped. The kept arena (arena_bytes of memory) is freed
 * with halide_free when the library is unloaded (dlclose; program exit for -emit=obj objects);
 * a program that replaces Halide's allocator (halide_set_custom_malloc/free) does so before
 * the first call.
 * Parallel loops run through halide_do_par_for on the dlcc runtime's thread pool (workers spin
 * 1 ms between loops, then sleep): its size follows HL_NUM_THREADS or halide_set_num_threads(),
 * which the library exports; DLCC_THREAD_POOL=halide selects Halide's own pool.
 * The library depends only on libc, libm, libpthread and libdl. */
#ifndef DLCC_RUNTIME_H
#define DLCC_RUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct halide_buffer_t;
struct halide_filter_metadata_t;

/* dlcc_model_info.magic: "DLCC" read as a little-endian 32-bit word. */
#define DLCC_MODEL_MAGIC 0x43434c44u
/* dlcc_model_info.abi_version: bumped whenever the structures below change. */
#define DLCC_MODEL_ABI_VERSION 1u

/* ONNX TensorProto.DataType codes used in dlcc_tensor_info.elem_type. */
typedef enum dlcc_elem_type {
    DLCC_FLOAT = 1,
    DLCC_UINT8 = 2,
    DLCC_INT8 = 3,
    DLCC_UINT16 = 4,
    DLCC_INT16 = 5,
    DLCC_INT32 = 6,
    DLCC_INT64 = 7,
    DLCC_BOOL = 9,
    DLCC_FLOAT16 = 10,
    DLCC_DOUBLE = 11,
    DLCC_UINT32 = 12,
    DLCC_UINT64 = 13,
    DLCC_BFLOAT16 = 16,
} dlcc_elem_type;

/* One model input or output. */
typedef struct dlcc_tensor_info {
    const char *name;     /* the ONNX graph input/output name */
    int32_t elem_type;    /* dlcc_elem_type */
    int32_t rank;         /* number of dimensions (0 for a scalar) */
    const int64_t *dims;  /* rank sizes in ONNX order (outermost first) */
    int64_t num_elements; /* product of dims */
    int64_t elem_bytes;   /* bytes per element in memory (bool: 1) */
} dlcc_tensor_info;

/* The compiled model. All pointers refer to read-only data inside the library. */
typedef struct dlcc_model_info {
    uint32_t magic;       /* DLCC_MODEL_MAGIC */
    uint32_t abi_version; /* DLCC_MODEL_ABI_VERSION */
    const char *name;     /* the C name NAME */
    const char *target;   /* the target the code was compiled for, e.g. "x86-64-avx2" */
    int32_t num_inputs, num_outputs;
    const dlcc_tensor_info *inputs, *outputs;
    int64_t arena_bytes; /* size of the arena of intermediate values (kept between calls) */
    int (*argv)(void **args);
    int (*run)(const void *const *inputs, void *const *outputs);
    const struct halide_filter_metadata_t *(*metadata)(void);
} dlcc_model_info;

#ifdef __cplusplus
}
#endif
#endif
