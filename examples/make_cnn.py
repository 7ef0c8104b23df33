#!/usr/bin/env python3
"""make_cnn.py: writes the bundled example model, a small image classifier (Conv-BN-Relu,
MaxPool, Conv-Relu, GlobalAveragePool, Gemm, Softmax) with fixed pseudo-random weights, one
input image and the expected output, computed with numpy (independently of dlcc).

Usage: /usr/bin/python3 examples/make_cnn.py OUT_DIR
       -> OUT_DIR/cnn.onnx, OUT_DIR/image.raw (the input as raw float32),
          OUT_DIR/test_data_set_0/{input_0.pb, output_0.pb}
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(2026)


def weights(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def conv2d(x, w, b, pad):
    n, c, h, wd = x.shape
    k, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    out = np.zeros((n, k, oh, ow), np.float64)
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nchw,kc->nkhw", xp[:, :, i:i + oh, j:j + ow], w[:, :, i, j])
    return out + b.reshape(1, -1, 1, 1)


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
    w1, b1 = weights(8, 3, 3, 3), weights(8, scale=0.1)
    gamma, beta = 1 + weights(8, scale=0.1), weights(8, scale=0.1)
    mean, var = weights(8, scale=0.1), 1 + np.abs(weights(8, scale=0.2))
    w2, b2 = weights(16, 8, 3, 3, scale=0.2), weights(16, scale=0.1)
    wf, bf = weights(10, 16, scale=0.3), weights(10, scale=0.1)
    inits = [numpy_helper.from_array(a, n) for a, n in [
        (w1, "w1"), (b1, "b1"), (gamma, "gamma"), (beta, "beta"), (mean, "mean"), (var, "var"),
        (w2, "w2"), (b2, "b2"), (wf, "wf"), (bf, "bf")]]
    nodes = [
        helper.make_node("Conv", ["image", "w1", "b1"], ["c1"], "conv1", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "gamma", "beta", "mean", "var"], ["bn1"], "bn1"),
        helper.make_node("Relu", ["bn1"], ["r1"], "relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], "pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], "conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], "relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["g"], "gap"),
        helper.make_node("Flatten", ["g"], ["f"], "flatten"),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["logits"], "fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], "softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "cnn", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "cnn.onnx"))

    x = rng.random((1, 3, 16, 16), dtype=np.float32)
    y = conv2d(x.astype(np.float64), w1, b1, 1)
    y = (y - mean.reshape(1, -1, 1, 1)) / np.sqrt(var.reshape(1, -1, 1, 1) + 1e-5)
    y = y * gamma.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1)
    y = np.maximum(y, 0).reshape(1, 8, 8, 2, 8, 2).max(axis=(3, 5))
    y = np.maximum(conv2d(y, w2, b2, 1), 0).mean(axis=(2, 3))
    logits = y @ wf.T.astype(np.float64) + bf
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    for name, arr in (("input_0", x), ("output_0", probs)):
        with open(os.path.join(out, "test_data_set_0", name + ".pb"), "wb") as f:
            f.write(numpy_helper.from_array(arr, "image" if name == "input_0" else "probs").SerializeToString())
    x.tofile(os.path.join(out, "image.raw"))
    print(os.path.join(out, "cnn.onnx"))


if __name__ == "__main__":
    main()
