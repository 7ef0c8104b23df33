/* infer_misc.c: shape inference rules of the remaining graph ops: signal processing (DFT, STFT,
 * window functions, mel filter banks), Det, TfIdfVectorizer and random number generators. */
#include "infer.h"

#include <math.h>

/* The element type named by the ONNX type code in attribute `name` (dflt when absent). */
static dl_status attr_elem_type(dl_op *op, const char *name, int64_t dflt, const dl_type **out) {
    int64_t code = dl_op_attr_int(op, name, dflt);
    *out = dl_onnx_elem_type(op->ctx, code);
    if (!*out) return dl_op_error(op, "'%s' %lld is not a supported type", name, (long long)code);
    return DL_OK;
}

/* Checks that operand i is a scalar (or 1-element tensor) and gets its integer value: DL_DYN
 * when it is not a constant. Fails on negative values (all sizes here). */
static dl_status scalar_size(dl_op *op, unsigned i, const char *what, int64_t *v) {
    dl_shape s;
    if (dl_operand_shape(op, i, &s) != DL_OK) return DL_FAILURE;
    if (s.rank > 1 || (s.rank == 1 && s.dims[0] != 1 && s.dims[0] != DL_DYN))
        return dl_op_error(op, "%s must be a scalar", what);
    *v = DL_DYN;
    if (dl_type_is_float(dl_operand_elem(op, i))) {
        double f;
        if (dl_const_floats(dl_operand(op, i), &f, 1) != 1) return DL_OK;
        if (!(f >= 0 && f < (double)DL_MAX_ELEMENTS))
            return dl_op_error(op, "%s is out of range (%g)", what, f);
        *v = (int64_t)f;
    } else {
        int64_t x;
        if (dl_const_ints(dl_operand(op, i), &x, 1) != 1) return DL_OK;
        if (x < 0 || x >= DL_MAX_ELEMENTS)
            return dl_op_error(op, "%s is out of range (%lld)", what, (long long)x);
        *v = x;
    }
    return DL_OK;
}

/* n / 2 + 1 for a one-sided spectrum of length n (static or dynamic). */
static int64_t onesided_bins(int64_t n) {
    return n == DL_DYN ? DL_DYN : n / 2 + 1;
}

/* ---- DFT, STFT ------------------------------------------------------------------------------ */

/* DFT: input [batch, signal dims..., 1 or 2] -> the same with a last dim of 2 and the 'axis' dim
 * replaced by 'dft_length' (when given), halved plus one when 'onesided'. */
static dl_status infer_dft(dl_op *op) {
    dl_shape in, out;
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    if (in.rank < 2) return dl_op_error(op, "the input must have rank 2 or more");
    int64_t last = in.dims[in.rank - 1];
    if (last != 1 && last != 2 && last != DL_DYN)
        return dl_op_error(op,
                           "the last input dimension must be 1 (real) or 2 (complex), got "
                           "%lld",
                           (long long)last);
    int64_t axis, len;
    if (dl_norm_axis(op, dl_op_attr_int(op, "axis", 1), in.rank, &axis) != DL_OK) return DL_FAILURE;
    if (axis == in.rank - 1)
        return dl_op_error(op, "'axis' must not be the last (real/imaginary) dimension");
    out = in;
    if (dl_has_operand(op, 1)) {
        if (scalar_size(op, 1, "'dft_length'", &len) != DL_OK) return DL_FAILURE;
        dl_shape_set_dim(&out, (int)axis, len, NULL);
    }
    if (dl_op_attr_int(op, "onesided", 0) != 0)
        dl_shape_set_dim(&out, (int)axis, onesided_bins(out.dims[axis]), NULL);
    dl_shape_set_dim(&out, in.rank - 1, 2, NULL);
    dl_set_result(op, 0, dl_operand_elem(op, 0), &out);
    return DL_OK;
}

/* STFT: signal [batch, length, 1 or 2] -> [batch, frames, bins, 2] with frames =
 * (length - frame_length) / frame_step + 1 and bins = frame_length (/ 2 + 1 when 'onesided');
 * frame_length is the 'frame_length' operand or the window's length. */
static dl_status infer_stft(dl_op *op) {
    dl_shape sig, out = {.rank = 4};
    if (dl_operand_shape(op, 0, &sig) != DL_OK) return DL_FAILURE;
    if (sig.rank != 3)
        return dl_op_error(op, "'signal' must have shape [batch, length, 1 or 2], got rank %d",
                           sig.rank);
    int64_t step, frame = DL_DYN;
    if (scalar_size(op, 1, "'frame_step'", &step) != DL_OK) return DL_FAILURE;
    if (step == 0) return dl_op_error(op, "'frame_step' must be positive");
    if (dl_has_operand(op, 2)) {
        dl_shape w;
        if (dl_operand_shape(op, 2, &w) != DL_OK) return DL_FAILURE;
        if (w.rank != 1) return dl_op_error(op, "'window' must be 1-D, got rank %d", w.rank);
        frame = w.dims[0];
    }
    if (op->num_operands > 3 && dl_has_operand(op, 3)) {
        int64_t f;
        if (scalar_size(op, 3, "'frame_length'", &f) != DL_OK) return DL_FAILURE;
        if (f != DL_DYN && frame != DL_DYN && f != frame)
            return dl_op_error(op, "'frame_length' (%lld) differs from the window length (%lld)",
                               (long long)f, (long long)frame);
        if (f != DL_DYN) frame = f;
    } else if (!dl_has_operand(op, 2)) {
        return dl_op_error(op, "needs 'window' or 'frame_length'");
    }
    int64_t len = sig.dims[1], frames = DL_DYN;
    if (len != DL_DYN && frame != DL_DYN && step != DL_DYN) {
        if (frame > len)
            return dl_op_error(op, "the frame length %lld exceeds the signal length %lld",
                               (long long)frame, (long long)len);
        frames = (len - frame) / step + 1;
    }
    dl_shape_set_dim(&out, 0, sig.dims[0], sig.names[0]);
    dl_shape_set_dim(&out, 1, frames, NULL);
    dl_shape_set_dim(&out, 2, dl_op_attr_int(op, "onesided", 1) != 0 ? onesided_bins(frame) : frame,
                     NULL);
    dl_shape_set_dim(&out, 3, 2, NULL);
    dl_set_result(op, 0, dl_operand_elem(op, 0), &out);
    return DL_OK;
}

/* ---- Window functions, MelWeightMatrix ------------------------------------------------------ */

/* Blackman, Hamming and Hann windows: [size] of 'output_datatype'. */
static dl_status infer_window(dl_op *op) {
    dl_shape out = {.rank = 1};
    const dl_type *elem;
    if (attr_elem_type(op, "output_datatype", 1, &elem) != DL_OK ||
        scalar_size(op, 0, "'size'", &out.dims[0]) != DL_OK)
        return DL_FAILURE;
    out.names[0] = NULL;
    dl_set_result(op, 0, elem, &out);
    return DL_OK;
}

/* MelWeightMatrix: [dft_length / 2 + 1, num_mel_bins] of 'output_datatype'. */
static dl_status infer_mel_weight_matrix(dl_op *op) {
    dl_shape out = {.rank = 2};
    const dl_type *elem;
    int64_t bins, dft_len;
    if (attr_elem_type(op, "output_datatype", 1, &elem) != DL_OK ||
        scalar_size(op, 0, "'num_mel_bins'", &bins) != DL_OK ||
        scalar_size(op, 1, "'dft_length'", &dft_len) != DL_OK)
        return DL_FAILURE;
    for (unsigned i = 2; i < 5; i++) {
        dl_shape s;
        if (dl_operand_shape(op, i, &s) != DL_OK) return DL_FAILURE;
        if (s.rank > 1 || (s.rank == 1 && s.dims[0] != 1))
            return dl_op_error(op, "operand %u must be a scalar", i);
    }
    dl_shape_set_dim(&out, 0, onesided_bins(dft_len), NULL);
    dl_shape_set_dim(&out, 1, bins, NULL);
    dl_set_result(op, 0, elem, &out);
    return DL_OK;
}

/* ---- Det, TfIdfVectorizer ------------------------------------------------------------------- */

/* Det: [*, M, M] -> [*]. */
static dl_status infer_det(dl_op *op) {
    dl_shape in;
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    if (in.rank < 2) return dl_op_error(op, "the input must have rank 2 or more");
    int64_t m = in.dims[in.rank - 2], n = in.dims[in.rank - 1];
    if (m != DL_DYN && n != DL_DYN && m != n)
        return dl_op_error(op, "the matrices must be square, got %lldx%lld", (long long)m,
                           (long long)n);
    in.rank -= 2;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &in);
    return DL_OK;
}

/* TfIdfVectorizer: [C] -> [max(ngram_indexes) + 1], [N, C] -> [N, max(ngram_indexes) + 1]; f32. */
static dl_status infer_tfidf_vectorizer(dl_op *op) {
    dl_shape in, out;
    if (dl_operand_shape(op, 0, &in) != DL_OK) return DL_FAILURE;
    if (in.rank != 1 && in.rank != 2)
        return dl_op_error(op, "the input must be 1-D or 2-D, got rank %d", in.rank);
    const dl_attr *idx = dl_op_attr(op, "ngram_indexes");
    if (!idx || idx->kind != DL_ATTR_ARRAY || idx->u.array.n == 0)
        return dl_op_error(op, "needs a non-empty 'ngram_indexes' attribute");
    int64_t max = -1;
    for (unsigned i = 0; i < idx->u.array.n; i++) {
        const dl_attr *e = idx->u.array.elems[i];
        if (e->kind != DL_ATTR_INT || e->u.i < 0 || e->u.i >= DL_MAX_ELEMENTS)
            return dl_op_error(op, "'ngram_indexes'[%u] is not a valid index", i);
        max = e->u.i > max ? e->u.i : max;
    }
    out = in;
    dl_shape_set_dim(&out, in.rank - 1, max + 1, NULL);
    dl_set_result(op, 0, dl_type_scalar(op->ctx, DL_TY_F32), &out);
    return DL_OK;
}

/* ---- Random number generators --------------------------------------------------------------- */

/* RandomNormal, RandomUniform: the 'shape' attribute, of 'dtype' (f32 by default). */
static dl_status infer_random(dl_op *op) {
    int64_t dims[DL_MAX_RANK + 1];
    int n = dl_op_attr_ints(op, "shape", dims, DL_MAX_RANK + 1);
    if (n < 0) return dl_op_error(op, "needs a 'shape' attribute");
    const dl_type *elem;
    dl_shape out;
    if (attr_elem_type(op, "dtype", 1, &elem) != DL_OK || dl_shape_from(op, &out, n, dims) != DL_OK)
        return DL_FAILURE;
    for (int i = 0; i < n; i++)
        if (dims[i] == DL_DYN) return dl_op_error(op, "'shape'[%d] is negative", i);
    if (!dl_type_is_float(elem))
        return dl_op_error(op, "'dtype' must be a floating-point type, got %s",
                           dl_type_str(op->ctx, elem));
    if (dl_check_elements(op, &out) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, elem, &out);
    return DL_OK;
}

/* Multinomial: [batch, classes] -> [batch, sample_size] of 'dtype' (i32 or i64). */
static dl_status infer_multinomial(dl_op *op) {
    dl_shape in, out = {.rank = 2};
    const dl_type *elem;
    if (dl_operand_shape(op, 0, &in) != DL_OK || attr_elem_type(op, "dtype", 6, &elem) != DL_OK)
        return DL_FAILURE;
    if (in.rank != 2) return dl_op_error(op, "the input must be 2-D [batch, classes]");
    if (elem->kind != DL_TY_I32 && elem->kind != DL_TY_I64)
        return dl_op_error(op, "'dtype' must be i32 or i64, got %s", dl_type_str(op->ctx, elem));
    int64_t samples = dl_op_attr_int(op, "sample_size", 1);
    if (samples < 0 || samples >= DL_MAX_ELEMENTS)
        return dl_op_error(op, "'sample_size' %lld is out of range", (long long)samples);
    dl_shape_set_dim(&out, 0, in.dims[0], in.names[0]);
    dl_shape_set_dim(&out, 1, samples, NULL);
    if (dl_check_elements(op, &out) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, elem, &out);
    return DL_OK;
}

const dl_infer_entry dl_infer_misc[] = {
    {DL_OP_graph_DFT, infer_dft},
    {DL_OP_graph_STFT, infer_stft},
    {DL_OP_graph_BlackmanWindow, infer_window},
    {DL_OP_graph_HammingWindow, infer_window},
    {DL_OP_graph_HannWindow, infer_window},
    {DL_OP_graph_MelWeightMatrix, infer_mel_weight_matrix},
    {DL_OP_graph_Det, infer_det},
    {DL_OP_graph_TfIdfVectorizer, infer_tfidf_vectorizer},
    {DL_OP_graph_RandomNormal, infer_random},
    {DL_OP_graph_RandomUniform, infer_random},
    {DL_OP_graph_Multinomial, infer_multinomial},
    {DL_OP__INVALID, NULL},
};
