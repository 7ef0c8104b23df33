#!/usr/bin/env python3
"""layers.py: exports single-layer benchmark models (MatMul, and Conv + bias + Relu layers with
the shapes of ResNet-18 and MobileNetV2, depthwise included) in the ONNX backend-test layout,
DIR/NAME/model.onnx and DIR/NAME/test_data_set_0/{input_0.pb, output_0.pb}, with the output
computed by numpy (float64, rounded to float32), and prints one line per model:
NAME FLOPS (2 per multiply-add).

Usage: python3 benchmarks/layers.py OUT_DIR   (needs numpy and onnx)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(out_dir, name, graph, inputs, outputs, flops):
    d = os.path.join(out_dir, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, os.path.join(d, "model.onnx"))
    for kind, arrays, names in (("input", inputs, graph.input), ("output", outputs, graph.output)):
        for i, a in enumerate(arrays):
            t = numpy_helper.from_array(np.ascontiguousarray(a, dtype=np.float32), names[i].name)
            with open(os.path.join(d, "test_data_set_0", f"{kind}_{i}.pb"), "wb") as f:
                f.write(t.SerializeToString())
    print(name, flops)


def matmul(out_dir, m, n, k, rng):
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["y"])], "matmul",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(b, "b")])
    y = a.astype(np.float64) @ b.astype(np.float64)
    save(out_dir, f"matmul_{m}x{n}x{k}", g, [a], [y], 2 * m * n * k)


def conv_ref(x, w, b, stride, pad, groups):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, m, oh, ow))
    mg = m // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = w[g * mg:(g + 1) * mg].astype(np.float64)
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, ws[:, :, i, j])
    return np.maximum(y + b.astype(np.float64)[None, :, None, None], 0)


def conv(out_dir, name, c, m, hw, k, stride, groups, rng):
    pad = k // 2
    x = rng.standard_normal((1, c, hw, hw)).astype(np.float32)
    w = (rng.standard_normal((m, c // groups, k, k)) / np.sqrt(c // groups * k * k)).astype(
        np.float32)
    b = rng.standard_normal(m).astype(np.float32)
    y = conv_ref(x, w, b, stride, pad, groups)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[pad] * 4,
                              strides=[stride] * 2, group=groups),
             helper.make_node("Relu", ["c"], ["y"])]
    g = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(y.shape))],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    save(out_dir, name, g, [x], [y], 2 * y.size * (c // groups) * k * k)


def main():
    out_dir = sys.argv[1]
    rng = np.random.default_rng(0)
    for s in (512, 1024):
        matmul(out_dir, s, s, s, rng)
    matmul(out_dir, 128, 1000, 512, rng)
    # name, C, M, spatial, kernel, stride, groups
    for args in (("resnet_conv1", 3, 64, 224, 7, 2, 1),
                 ("resnet_l1_3x3", 64, 64, 56, 3, 1, 1),
                 ("resnet_l2_3x3_s2", 64, 128, 56, 3, 2, 1),
                 ("resnet_l2_3x3", 128, 128, 28, 3, 1, 1),
                 ("resnet_l3_3x3", 256, 256, 14, 3, 1, 1),
                 ("resnet_l4_3x3", 512, 512, 7, 3, 1, 1),
                 ("mbv2_pw_112", 32, 16, 112, 1, 1, 1),
                 ("mbv2_pw_56", 24, 144, 56, 1, 1, 1),
                 ("mbv2_dw_112_s2", 96, 96, 112, 3, 2, 96),
                 ("mbv2_dw_56", 144, 144, 56, 3, 1, 144),
                 ("mbv2_dw_14", 384, 384, 14, 3, 1, 384)):
        conv(out_dir, *args, rng)


if __name__ == "__main__":
    main()
