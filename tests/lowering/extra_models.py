#!/usr/bin/python3
"""extra_models.py: numerical checks of lowerings that the ONNX conformance data does not reach
(hostile indices, which are clamped into bounds; reverse and bidirectional recurrences, with
sequence_lens too; GRU linear_before_reset; grouped and dilated ConvTranspose; Einsum equations;
MaxPool indices; LpNormalization; GlobalLpPool; MaxRoiPool; MelWeightMatrix with run-time
parameters; optionals; Loops unrolled, with run-time conditions, nested, with run-time trip
counts, while loops and long loops run sequentially).
Each case builds a small model with python3-onnx, computes the reference with numpy (or the
reference helpers of onnx's backend test generators), writes it in the ONNX test layout into a
scratch folder and runs lower_run on it. Fails when any case fails.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.backend.test.case.node.gru import GRU_Helper
from onnx.backend.test.case.node.lstm import LSTM_Helper
from onnx.backend.test.case.node.resize import interpolate_nd, linear_coeffs, nearest_coeffs
from onnx.backend.test.case.node.rnn import RNN_Helper

RNG = np.random.default_rng(1234)
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def model(node, inputs, outputs, inits=(), opset=17):
    """A model of one node (or a list of nodes); inputs/outputs are (name, array) pairs, inits
    (name, array) too."""
    def vi(name, a):
        return helper.make_tensor_value_info(name, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype],
                                             a.shape)
    nodes = node if isinstance(node, list) else [node]
    graph = helper.make_graph(nodes, "g", [vi(n, a) for n, a in inputs],
                              [vi(n, a) for n, a in outputs],
                              [numpy_helper.from_array(a, n) for n, a in inits])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return m, list(inputs), list(outputs)


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# ---- recurrences ----------------------------------------------------------------------------

def run_reverse(helper_cls, x, w, r, b, **kw):
    """A reverse-direction reference from the forward helper: run on the time-reversed input."""
    y, yh = helper_cls(X=x[::-1].copy(), W=w, R=r, B=b, **kw).step()[:2]
    return y[::-1].copy(), yh


@case
def gru_linear_before_reset():
    T, B, I, H = 4, 2, 3, 5
    x, w, r, b = f32(T, B, I), f32(1, 3 * H, I), f32(1, 3 * H, H), f32(1, 6 * H)
    y, yh = GRU_Helper(X=x, W=w, R=r, B=b, linear_before_reset=1).step()
    node = helper.make_node("GRU", ["X", "W", "R", "B"], ["Y", "Y_h"], hidden_size=H,
                            linear_before_reset=1)
    return model(node, [("X", x)], [("Y", y.astype(np.float32)), ("Y_h", yh.astype(np.float32))],
                 [("W", w), ("R", r), ("B", b)])


@case
def rnn_reverse():
    T, B, I, H = 5, 2, 3, 4
    x, w, r, b = f32(T, B, I), f32(1, H, I), f32(1, H, H), f32(1, 2 * H)
    y, yh = run_reverse(RNN_Helper, x, w, r, b)
    node = helper.make_node("RNN", ["X", "W", "R", "B"], ["Y", "Y_h"], hidden_size=H,
                            direction="reverse")
    return model(node, [("X", x)], [("Y", y.astype(np.float32)), ("Y_h", yh.astype(np.float32))],
                 [("W", w), ("R", r), ("B", b)])


@case
def lstm_bidirectional():
    T, B, I, H = 3, 2, 4, 3
    x = f32(T, B, I)
    w, r, b = f32(2, 4 * H, I), f32(2, 4 * H, H), f32(2, 8 * H)
    yf, hf = LSTM_Helper(X=x, W=w[:1], R=r[:1], B=b[:1]).step()
    yr, hr = run_reverse(LSTM_Helper, x, w[1:], r[1:], b[1:])
    y = np.concatenate([yf, yr], axis=1).astype(np.float32)
    yh = np.concatenate([hf, hr], axis=0).astype(np.float32)
    node = helper.make_node("LSTM", ["X", "W", "R", "B"], ["Y", "Y_h"], hidden_size=H,
                            direction="bidirectional")
    return model(node, [("X", x)], [("Y", y), ("Y_h", yh)], [("W", w), ("R", r), ("B", b)])


def run_with_lens(helper_cls, x, w, r, b, lens, reverse):
    """Per batch element: the helper on the first lens[i] steps (time-reversed within that length
    for the reverse direction); Y is 0 past the length, Y_h the state after the last step."""
    T, B, H = x.shape[0], x.shape[1], r.shape[-1]
    y = np.zeros((T, 1, B, H), np.float64)
    yh = np.zeros((1, B, H), np.float64)
    for i in range(B):
        n = int(lens[i])
        xi = x[:n, i:i + 1]
        if reverse:
            yi, hi = helper_cls(X=xi[::-1].copy(), W=w, R=r, B=b).step()[:2]
            yi = yi[::-1]
        else:
            yi, hi = helper_cls(X=xi.copy(), W=w, R=r, B=b).step()[:2]
        y[:n, :, i, :] = yi[:, :, 0, :]
        yh[:, i, :] = np.reshape(hi, (1, -1))
    return y.astype(np.float32), yh.astype(np.float32)


def seq_lens_case(op, helper_cls, gates, direction):
    def build():
        T, B, I, H = 5, 3, 3, 4
        lens = np.array([5, 2, 3], np.int32)
        x = f32(T, B, I)
        d = 2 if direction == "bidirectional" else 1
        w, r, b = f32(d, gates * H, I), f32(d, gates * H, H), f32(d, 2 * gates * H)
        outs = []
        for k in range(d):
            rev = direction == "reverse" or k == 1
            outs.append(run_with_lens(helper_cls, x, w[k:k + 1], r[k:k + 1], b[k:k + 1], lens,
                                      rev))
        y = np.concatenate([o[0] for o in outs], axis=1)
        yh = np.concatenate([o[1] for o in outs], axis=0)
        node = helper.make_node(op, ["X", "W", "R", "B", "L"], ["Y", "Y_h"], hidden_size=H,
                                direction=direction)
        return model(node, [("X", x)], [("Y", y), ("Y_h", yh)],
                     [("W", w), ("R", r), ("B", b), ("L", lens)])
    build.__name__ = f"{op.lower()}_{direction}_sequence_lens"
    CASES.append(build)


seq_lens_case("RNN", RNN_Helper, 1, "reverse")
seq_lens_case("GRU", GRU_Helper, 3, "reverse")
seq_lens_case("LSTM", LSTM_Helper, 4, "bidirectional")
seq_lens_case("GRU", GRU_Helper, 3, "forward")


# ---- convolutions and pooling -----------------------------------------------------------------

def conv_transpose_ref(x, w, bias, stride, dil, pads, group, out_pad):
    n, c, ih, iw = x.shape
    _, mg, kh, kw = w.shape
    m = mg * group
    full_h = (ih - 1) * stride[0] + (kh - 1) * dil[0] + 1 + out_pad[0]
    full_w = (iw - 1) * stride[1] + (kw - 1) * dil[1] + 1 + out_pad[1]
    y = np.zeros((n, m, full_h, full_w), np.float64)
    cg = c // group
    for b_ in range(n):
        for ci in range(c):
            g = ci // cg
            for mi in range(mg):
                for i in range(ih):
                    for j in range(iw):
                        for a in range(kh):
                            for d in range(kw):
                                y[b_, g * mg + mi, i * stride[0] + a * dil[0],
                                  j * stride[1] + d * dil[1]] += x[b_, ci, i, j] * w[ci, mi, a, d]
    y = y[:, :, pads[0]:full_h - pads[2], pads[1]:full_w - pads[3]]
    return (y + bias.reshape(1, m, 1, 1)).astype(np.float32)


@case
def conv_transpose_groups_dilations():
    x, w, bias = f32(1, 4, 3, 4), f32(4, 3, 3, 2), f32(6)
    y = conv_transpose_ref(x, w, bias, (2, 3), (2, 1), (1, 0, 2, 1), 2, (1, 2))
    node = helper.make_node("ConvTranspose", ["X", "W", "B"], ["Y"], group=2, strides=[2, 3],
                            dilations=[2, 1], pads=[1, 0, 2, 1], output_padding=[1, 2])
    return model(node, [("X", x)], [("Y", y)], [("W", w), ("B", bias)])


@case
def maxpool_indices_column_major():
    x = f32(2, 3, 5, 4)
    y = np.full((2, 3, 3, 2), -np.inf, np.float32)
    idx = np.zeros((2, 3, 3, 2), np.int64)
    for n in range(2):
        for c in range(3):
            for i in range(3):
                for j in range(2):
                    for a in range(2):
                        for b in range(2):
                            h, w_ = i * 2 + a - 1, j * 2 + b
                            if 0 <= h < 5 and 0 <= w_ < 4 and x[n, c, h, w_] > y[n, c, i, j]:
                                y[n, c, i, j] = x[n, c, h, w_]
                                idx[n, c, i, j] = ((n * 3 + c) * 4 + w_) * 5 + h
    node = helper.make_node("MaxPool", ["X"], ["Y", "I"], kernel_shape=[2, 2], strides=[2, 2],
                            pads=[1, 0, 0, 0], storage_order=1)
    return model(node, [("X", x)], [("Y", y), ("I", idx)])


def round_away(v):
    return float(np.sign(v) * np.floor(np.abs(v) + 0.5))


@case
def max_roi_pool():
    """Caffe's RoI pooling (onnxruntime's MaxRoiPool); a box partly outside the image, one
    degenerate box, and a batch index out of range (clamped, dlcc's rule for data indices)."""
    x = f32(2, 3, 6, 7)
    rois = np.array([[0, 0.4, 1.2, 5.6, 4.4], [1, 2.5, -1.0, 9.0, 3.0], [1, 3, 3, 3, 3],
                     [5, 1, 1, 4, 5]], np.float32)
    ph, pw, scale = 2, 3, 0.75
    y = np.zeros((4, 3, ph, pw), np.float32)
    for r, (bi, x1, y1, x2, y2) in enumerate(rois):
        n = clamp_index(int(bi), 2)
        sw, sh = round_away(x1 * scale), round_away(y1 * scale)
        ew, eh = round_away(x2 * scale), round_away(y2 * scale)
        bh = np.float32(max(eh - sh + 1, 1)) / np.float32(ph)
        bw = np.float32(max(ew - sw + 1, 1)) / np.float32(pw)
        for i in range(ph):
            for j in range(pw):
                hs = min(max(int(np.floor(np.float32(i) * bh)) + sh, 0), 6)
                he = min(max(int(np.ceil(np.float32(i + 1) * bh)) + sh, 0), 6)
                ws = min(max(int(np.floor(np.float32(j) * bw)) + sw, 0), 7)
                we = min(max(int(np.ceil(np.float32(j + 1) * bw)) + sw, 0), 7)
                if he > hs and we > ws:
                    y[r, :, i, j] = x[n, :, int(hs):int(he), int(ws):int(we)].max(axis=(1, 2))
    node = helper.make_node("MaxRoiPool", ["X", "R"], ["Y"], pooled_shape=[ph, pw],
                            spatial_scale=scale)
    return model(node, [("X", x), ("R", rois)], [("Y", y)])


@case
def global_lp_pool():
    x = f32(2, 3, 4, 5)
    y = (np.abs(x.astype(np.float64)) ** 3).sum(axis=(2, 3), keepdims=True) ** (1 / 3)
    node = helper.make_node("GlobalLpPool", ["X"], ["Y"], p=3)
    return model(node, [("X", x)], [("Y", y.astype(np.float32))])


# ---- elementwise, normalisation, contractions ------------------------------------------------

@case
def lp_normalization():
    x = f32(3, 4, 5)
    y = x / np.abs(x).sum(axis=1, keepdims=True)
    node = helper.make_node("LpNormalization", ["X"], ["Y"], axis=1, p=1)
    return model(node, [("X", x)], [("Y", y.astype(np.float32))])


def crop_and_resize_case(mode, nearest_mode):
    def build():
        x = f32(1, 2, 5, 6)
        roi = np.array([0, 0, 0.2, -0.1, 1, 1, 0.9, 0.75], np.float32)
        sizes = np.array([1, 2, 4, 5], np.int64)
        if mode == "linear":
            coeffs = linear_coeffs
        else:
            def coeffs(r):
                return nearest_coeffs(r, mode=nearest_mode)
        y = interpolate_nd(x, coeffs, output_size=sizes, roi=roi,
                           coordinate_transformation_mode="tf_crop_and_resize",
                           extrapolation_value=10.0).astype(np.float32)
        node = helper.make_node("Resize", ["X", "roi", "", "sizes"], ["Y"], mode=mode,
                                coordinate_transformation_mode="tf_crop_and_resize",
                                nearest_mode=nearest_mode, extrapolation_value=10.0)
        return model(node, [("X", x), ("roi", roi)], [("Y", y)], [("sizes", sizes)])
    build.__name__ = f"resize_crop_runtime_roi_{mode}_{nearest_mode}"
    CASES.append(build)


# tf_crop_and_resize with a roi that is an input: coordinates computed at run time
crop_and_resize_case("linear", "round_prefer_floor")
crop_and_resize_case("nearest", "round_prefer_floor")
crop_and_resize_case("nearest", "round_prefer_ceil")
crop_and_resize_case("nearest", "floor")
crop_and_resize_case("nearest", "ceil")


# ---- signal processing -----------------------------------------------------------------------

def mel_weight_matrix_ref(num_mel_bins, dft_length, sample_rate, lower_edge_hertz,
                          upper_edge_hertz):
    """The ONNX reference (onnx/backend/test/case/node/melweightmatrix.py)."""
    num_spectrogram_bins = dft_length // 2 + 1
    frequency_bins = np.arange(0, num_mel_bins + 2)
    low_frequency_mel = 2595 * np.log10(1 + lower_edge_hertz / 700)
    high_frequency_mel = 2595 * np.log10(1 + upper_edge_hertz / 700)
    mel_step = (high_frequency_mel - low_frequency_mel) / frequency_bins.shape[0]
    frequency_bins = frequency_bins * mel_step + low_frequency_mel
    frequency_bins = 700 * (np.power(10, (frequency_bins / 2595)) - 1)
    frequency_bins = ((dft_length + 1) * frequency_bins) // sample_rate
    frequency_bins = frequency_bins.astype(int)
    output = np.zeros((num_spectrogram_bins, num_mel_bins))
    for i in range(num_mel_bins):
        lower, center, higher = frequency_bins[i], frequency_bins[i + 1], frequency_bins[i + 2]
        if center == lower:
            output[center, i] = 1
        else:
            for j in range(lower, center + 1):
                output[j, i] = float(j - lower) / float(center - lower)
        if higher > center:
            for j in range(center, higher):
                output[j, i] = float(higher - j) / float(higher - center)
    return output.astype(np.float32)


@case
def mel_weight_matrix_runtime_edges():
    """The sample rate and edge frequencies are inputs (only the shape parameters are
    constants): the matrix is computed at run time."""
    rate, lo, hi = np.array(16000, np.int64), np.array(300, np.float32), np.array(7000, np.float32)
    y = mel_weight_matrix_ref(10, 64, 16000, np.float32(300), np.float32(7000))
    node = helper.make_node("MelWeightMatrix", ["n", "dft", "rate", "lo", "hi"], ["Y"])
    return model(node, [("rate", rate), ("lo", lo), ("hi", hi)], [("Y", y)],
                 [("n", np.array(10, np.int64)), ("dft", np.array(64, np.int64))])


# ---- optionals and loops ---------------------------------------------------------------------

@case
def optional_present_and_empty():
    """Optional(x) holds x; Optional() with a type is empty; both known at compile time."""
    x = f32(2, 3)
    nodes = [
        helper.make_node("Optional", ["X"], ["o"]),
        helper.make_node("OptionalHasElement", ["o"], ["has"]),
        helper.make_node("OptionalGetElement", ["o"], ["e"]),
        helper.make_node("Relu", ["e"], ["Y"]),
        helper.make_node("Optional", [], ["none"],
                         type=helper.make_tensor_type_proto(onnx.TensorProto.FLOAT, [2, 3])),
        helper.make_node("OptionalHasElement", ["none"], ["has_none"]),
    ]
    return model(nodes, [("X", x)], [("Y", np.maximum(x, 0)), ("has", np.array(True)),
                                     ("has_none", np.array(False))])


def scalar_vi(name, elem):
    return helper.make_tensor_value_info(name, elem, [])


@case
def loop_runtime_condition():
    """Loop(M = 6, cond) whose body's condition depends on an input: every iteration runs and
    the loop-carried value is kept once the condition failed."""
    F, B = onnx.TensorProto.FLOAT, onnx.TensorProto.BOOL
    body = helper.make_graph(
        [helper.make_node("Add", ["v_in", "X"], ["v_out"]),
         helper.make_node("ReduceSum", ["v_out"], ["s"], keepdims=0),
         helper.make_node("Less", ["s", "limit"], ["cond_out"])],
        "body", [scalar_vi("i", onnx.TensorProto.INT64), scalar_vi("cond_in", B),
                 helper.make_tensor_value_info("v_in", F, [3])],
        [scalar_vi("cond_out", B), helper.make_tensor_value_info("v_out", F, [3])])
    x = np.array([1.0, 0.5, 1.5], np.float32)
    v = np.zeros(3, np.float32)
    for _ in range(6):
        v = v + x
        if not v.sum() < 10:
            break
    node = helper.make_node("Loop", ["M", "cond", "v0"], ["V"], body=body)
    return model(node, [("X", x)], [("V", v)],
                 [("M", np.array(6, np.int64)), ("cond", np.array(True)),
                  ("v0", np.zeros(3, np.float32)), ("limit", np.array(10, np.float32))])


@case
def loop_condition_on_iteration():
    """Loop without a trip count whose condition (i < 3) folds per iteration: 4 iterations,
    with a scan output."""
    F, B, I = onnx.TensorProto.FLOAT, onnx.TensorProto.BOOL, onnx.TensorProto.INT64
    body = helper.make_graph(
        [helper.make_node("Less", ["i", "three"], ["cond_out"]),
         helper.make_node("Mul", ["v_in", "two"], ["v_out"]),
         helper.make_node("Identity", ["v_out"], ["scan"])],
        "body", [scalar_vi("i", I), scalar_vi("cond_in", B),
                 helper.make_tensor_value_info("v_in", F, [2, 2])],
        [scalar_vi("cond_out", B), helper.make_tensor_value_info("v_out", F, [2, 2]),
         helper.make_tensor_value_info("scan", F, [2, 2])])
    x = f32(2, 2)
    scan = np.stack([x * 2 ** (k + 1) for k in range(4)])
    node = helper.make_node("Loop", ["", "cond", "X"], ["V", "S"], body=body)
    return model(node, [("X", x)], [("V", x * 16), ("S", scan.astype(np.float32))],
                 [("cond", np.array(True)), ("three", np.array(3, np.int64)),
                  ("two", np.array(2, np.float32))])


@case
def loop_nested():
    """An inner Loop whose trip count is the outer iteration number plus one."""
    F, B, I = onnx.TensorProto.FLOAT, onnx.TensorProto.BOOL, onnx.TensorProto.INT64
    inner = helper.make_graph(
        [helper.make_node("Add", ["a_in", "X"], ["a_out"]),
         helper.make_node("Identity", ["c_in"], ["c_out"])],
        "inner", [scalar_vi("j", I), scalar_vi("c_in", B),
                  helper.make_tensor_value_info("a_in", F, [2])],
        [scalar_vi("c_out", B), helper.make_tensor_value_info("a_out", F, [2])])
    outer = helper.make_graph(
        [helper.make_node("Add", ["i", "one"], ["n"]),
         helper.make_node("Loop", ["n", "", "acc_in"], ["acc_out"], body=inner),
         helper.make_node("Identity", ["acc_out"], ["scan"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "outer", [scalar_vi("i", I), scalar_vi("cond_in", B),
                  helper.make_tensor_value_info("acc_in", F, [2])],
        [scalar_vi("cond_out", B), helper.make_tensor_value_info("acc_out", F, [2]),
         helper.make_tensor_value_info("scan", F, [2])])
    x = f32(2)
    scan = np.stack([x * s for s in (1, 3, 6)]).astype(np.float32)
    node = helper.make_node("Loop", ["M", "", "zero"], ["A", "S"], body=outer)
    return model(node, [("X", x)], [("A", scan[-1]), ("S", scan)],
                 [("M", np.array(3, np.int64)), ("one", np.array(1, np.int64)),
                  ("zero", np.zeros(2, np.float32))])


def recurrence_body(with_scan):
    """h = tanh(h W + b) while sum(h) < limit; the trip count comes from the loop."""
    F, B = onnx.TensorProto.FLOAT, onnx.TensorProto.BOOL
    nodes = [helper.make_node("MatMul", ["h_in", "W"], ["hw"]),
             helper.make_node("Add", ["hw", "b"], ["pre"]),
             helper.make_node("Tanh", ["pre"], ["h_out"]),
             helper.make_node("ReduceSum", ["h_out"], ["s"], keepdims=0),
             helper.make_node("Less", ["s", "limit"], ["cond_out"])]
    outs = [scalar_vi("cond_out", B), helper.make_tensor_value_info("h_out", F, [2, 3])]
    if with_scan:
        nodes.append(helper.make_node("ReduceMax", ["h_out"], ["m"], axes=[1], keepdims=0))
        outs.append(helper.make_tensor_value_info("m", F, [2]))
    return helper.make_graph(nodes, "body", [scalar_vi("i", onnx.TensorProto.INT64),
                                             scalar_vi("cond_in", B),
                                             helper.make_tensor_value_info("h_in", F, [2, 3])],
                             outs)


def recurrence_ref(h, w, b, trips, limit):
    hs = []
    for _ in range(trips):
        h = np.tanh(h @ w + b)
        hs.append(h.max(axis=1))
        if not h.sum() < limit:
            break
    return h.astype(np.float32), np.array(hs, np.float32)


@case
def loop_runtime_trip_count():
    """A trip count that is an input: the Loop runs sequentially inside one kernel (with an
    early exit through the condition)."""
    h0, w, b = f32(2, 3), f32(3, 3) * 0.5, f32(3) * 0.1
    h, _ = recurrence_ref(h0, w, b, 7, 0.5)
    node = helper.make_node("Loop", ["M", "", "H0"], ["H"], body=recurrence_body(False))
    return model(node, [("M", np.array(7, np.int64)), ("H0", h0)], [("H", h)],
                 [("W", w), ("b", b), ("limit", np.array(0.5, np.float32))])


def accumulate_body():
    """v = v + X while sum(v) < limit."""
    F, B = onnx.TensorProto.FLOAT, onnx.TensorProto.BOOL
    return helper.make_graph(
        [helper.make_node("Add", ["v_in", "X"], ["v_out"]),
         helper.make_node("ReduceSum", ["v_out"], ["s"], keepdims=0),
         helper.make_node("Less", ["s", "limit"], ["cond_out"])],
        "body", [scalar_vi("i", onnx.TensorProto.INT64), scalar_vi("cond_in", B),
                 helper.make_tensor_value_info("v_in", F, [3])],
        [scalar_vi("cond_out", B), helper.make_tensor_value_info("v_out", F, [3])])


def while_case(name, trip_count):
    def build():
        x = np.abs(f32(3)) + np.float32(0.25)
        v = np.zeros(3, np.float32)
        while True:
            v = v + x
            if not v.sum() < 1000:
                break
        inits = [("cond", np.array(True)), ("v0", np.zeros(3, np.float32)),
                 ("limit", np.array(1000, np.float32))]
        if trip_count is not None:
            inits.append(("M", np.array(trip_count, np.int64)))
        node = helper.make_node("Loop", ["M" if trip_count is not None else "", "cond", "v0"],
                                ["V"], body=accumulate_body())
        return model(node, [("X", x)], [("V", v)], inits)
    build.__name__ = name
    CASES.append(build)


# a while loop (no trip count; the condition depends on an input), and PyTorch's export of
# `while` (M = INT64_MAX): both run sequentially
while_case("loop_while", None)
while_case("loop_int64_max_trip_count", 2 ** 63 - 1)


@case
def loop_many_iterations():
    """A constant trip count too large to unroll, with a scan output: sequential."""
    F, B = onnx.TensorProto.FLOAT, onnx.TensorProto.BOOL
    h0, w, b = f32(2, 3), f32(3, 3) * 0.5, f32(3) * 0.1
    h, hs = recurrence_ref(h0, w, b, 300, np.inf)
    body = recurrence_body(True)
    del body.node[3:5]
    body.node.append(helper.make_node("Identity", ["cond_in"], ["cond_out"]))
    node = helper.make_node("Loop", ["M", "", "H0"], ["H", "S"], body=body)
    return model(node, [("H0", h0)], [("H", h), ("S", hs)],
                 [("M", np.array(300, np.int64)), ("W", w), ("b", b)])


# ---- hostile data -----------------------------------------------------------------------------

def clamp_index(i, n):
    """dlcc's rule for indices read from data: negative counts from the end, then clamped."""
    i = i + n if i < 0 else i
    return min(max(i, 0), n - 1)


@case
def gather_hostile_indices():
    x = f32(5, 3)
    idx = np.array([[4, -1, 7, -9, 2 ** 40, -(2 ** 62)]], np.int64)
    y = x[[clamp_index(int(i), 5) for i in idx[0]]][None]
    node = helper.make_node("Gather", ["X", "I"], ["Y"], axis=0)
    return model(node, [("X", x), ("I", idx)], [("Y", y.astype(np.float32))])


@case
def scatter_elements_hostile_indices():
    x = f32(4, 3)
    idx = np.array([[9, -7, 1], [-1, 100, -100]], np.int64)
    upd = f32(2, 3)
    y = x.copy()
    for i in range(2):
        for j in range(3):
            y[clamp_index(int(idx[i, j]), 4), j] = upd[i, j]
    node = helper.make_node("ScatterElements", ["X", "I", "U"], ["Y"], axis=0)
    return model(node, [("X", x), ("I", idx), ("U", upd)], [("Y", y)])


def einsum_case(eq, *shapes):
    def build():
        xs = [f32(*s) for s in shapes]
        names = [f"x{i}" for i in range(len(xs))]
        y = np.einsum(eq, *[a.astype(np.float64) for a in xs]).astype(np.float32)
        node = helper.make_node("Einsum", names, ["Y"], equation=eq)
        return model(node, list(zip(names, xs)), [("Y", np.asarray(y, np.float32))])
    build.__name__ = "einsum_" + "".join(ch if ch.isalnum() else "_" for ch in eq)
    CASES.append(build)


einsum_case("bij,bjk->bik", (2, 3, 4), (2, 4, 5))
einsum_case("ii->i", (4, 4))
einsum_case("ij->", (3, 5))
einsum_case("...ij,...jk->...ik", (2, 1, 3, 4), (3, 4, 2))
einsum_case("ij,kj", (3, 4), (5, 4))
einsum_case("bhqd,bhkd->bhqk", (1, 2, 3, 4), (1, 2, 5, 4))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    bad = 0
    with tempfile.TemporaryDirectory(prefix="dlcc-extra-") as tmp:
        for build in CASES:
            name = build.__name__
            d = os.path.join(tmp, name)
            os.makedirs(os.path.join(d, "test_data_set_0"))
            m, inputs, outputs = build()
            onnx.checker.check_model(m)
            onnx.save(m, os.path.join(d, "model.onnx"))
            for k, (nm, arr) in enumerate(inputs):
                with open(os.path.join(d, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
                    f.write(numpy_helper.from_array(arr, nm).SerializeToString())
            for k, (nm, arr) in enumerate(outputs):
                with open(os.path.join(d, "test_data_set_0", f"output_{k}.pb"), "wb") as f:
                    f.write(numpy_helper.from_array(arr, nm).SerializeToString())
            r = subprocess.run([args.runner, d], capture_output=True, text=True, timeout=300)
            line = (r.stdout.strip().splitlines() or ["no output"])[-1]
            ok = r.returncode == 0 and line == "PASS"
            bad += not ok
            if not ok or args.verbose:
                print(f"{'PASS' if ok else 'FAIL'}: {name}" + ("" if ok else f": {line}"))
    print(f"{len(CASES) - bad}/{len(CASES)} extra models lower and match")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
