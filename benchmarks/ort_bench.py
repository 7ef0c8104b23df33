#!/usr/bin/env python3
"""ort_bench.py: times ONNX Runtime on one model (CPU, a fixed thread count) with the input of
its test_data_set_0, and prints "min_ms median_ms" after warm-up.

Usage: python ort_bench.py MODEL_DIR RUNS THREADS   (needs onnxruntime, numpy, onnx)
"""
import os
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, numpy_helper


def main():
    model_dir, runs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    t = TensorProto()
    with open(os.path.join(model_dir, "test_data_set_0", "input_0.pb"), "rb") as f:
        t.ParseFromString(f.read())
    x = numpy_helper.to_array(t)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(os.path.join(model_dir, "model.onnx"), opts,
                                providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    for _ in range(5):
        sess.run(None, {name: x})
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, {name: x})
        times.append((time.perf_counter() - t0) * 1e3)
    print(f"{min(times):.3f} {statistics.median(times):.3f}")


if __name__ == "__main__":
    main()
