#!/usr/bin/python3
"""extra_models.py: numerical checks of lowerings that the ONNX conformance data does not reach
(hostile indices, which are clamped into bounds; reverse and bidirectional recurrences, GRU linear_before_reset, grouped and dilated
ConvTranspose, Einsum equations, MaxPool indices, LpNormalization, GlobalLpPool, ...).
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
from onnx.backend.test.case.node.rnn import RNN_Helper

RNG = np.random.default_rng(1234)
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def model(node, inputs, outputs, inits=()):
    """A one-node model; inputs/outputs are (name, array) pairs, inits (name, array) too."""
    def vi(name, a):
        return helper.make_tensor_value_info(name, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype],
                                             a.shape)
    graph = helper.make_graph([node], "g", [vi(n, a) for n, a in inputs],
                              [vi(n, a) for n, a in outputs],
                              [numpy_helper.from_array(a, n) for n, a in inits])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
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
