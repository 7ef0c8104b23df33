#!/usr/bin/env python3
"""test_dlcc_run.py DLCC DLCC_RUN MODEL.dl WORK_DIR: dlcc-run against ONNX test data written by
numpy for the end-to-end model (y = relu(x * g + bias), count = positives per row):
a match (exit 0), a mismatch (exit 1), errors (exit 2: wrong shape, wrong type, missing data,
not a library), --input, --output-dir, --bench and --threads."""
import os
import shutil
import subprocess
import sys

import numpy as np
from onnx import numpy_helper

G = np.array([1.0, -1.0, 0.5, 2.0, -0.25, 0.0, 3.0, -2.0], dtype=np.float32)
failures = []


def save(path, array, name):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def run(args, expect, contains=None):
    r = subprocess.run(args, capture_output=True, text=True)
    out = r.stdout + r.stderr
    ok = r.returncode == expect and (contains is None or contains in out)
    print(("ok   " if ok else "FAIL ") + " ".join(os.path.basename(a) for a in args[:1]) + " " +
          " ".join(args[1:]) + f" -> {r.returncode}")
    if not ok:
        failures.append(f"{args}: exit {r.returncode} (expected {expect}), output:\n{out}")
    return out


def main():
    dlcc, dlcc_run, model, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    lib = os.path.join(work, "model.so")
    run([dlcc, model, "-O2", "-o", lib], 0)

    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 8)).astype(np.float32)
    bias = rng.standard_normal(8).astype(np.float32)
    y = np.maximum(x * G + bias, 0).astype(np.float32)
    count = (y > 0).sum(axis=2).astype(np.int64)

    good = os.path.join(work, "test_data_set_0")
    os.makedirs(good)
    save(f"{good}/input_0.pb", x, "x")
    save(f"{good}/input_1.pb", bias, "bias")
    save(f"{good}/output_0.pb", y, "y")
    save(f"{good}/output_1.pb", count, "count")
    out = run([dlcc_run, lib, "--test-data", good], 0, "output 0 'y' f32 [2, 3, 8]")
    if "MISMATCH" in out:
        failures.append("a matching run reported a mismatch")

    bad = os.path.join(work, "mismatch")
    shutil.copytree(good, bad)
    y_bad = y.copy()
    y_bad[1, 2, 3] += 0.5
    save(f"{bad}/output_0.pb", y_bad, "y")
    run([dlcc_run, lib, "--test-data", bad], 1, "MISMATCH (1 of 48 elements")
    run([dlcc_run, lib, "--test-data", bad, "--atol", "1"], 0)
    count_bad = count.copy()
    count_bad[0, 0] += 1
    save(f"{bad}/output_1.pb", count_bad, "count")
    run([dlcc_run, lib, "--test-data", bad, "--atol", "1"], 1, "output 1 'count'")

    shape = os.path.join(work, "wrong_shape")
    shutil.copytree(good, shape)
    save(f"{shape}/input_0.pb", x.reshape(3, 2, 8), "x")
    run([dlcc_run, lib, "--test-data", shape], 2, "the model expects f32 [2, 3, 8]")
    dtype = os.path.join(work, "wrong_type")
    shutil.copytree(good, dtype)
    save(f"{dtype}/input_1.pb", bias.astype(np.float64), "bias")
    run([dlcc_run, lib, "--test-data", dtype], 2, "holds f64 [8]")
    run([dlcc_run, lib], 2, "no data for input 0 'x'")
    run([dlcc_run, os.path.join(work, "missing.so")], 2, "cannot load")
    run([dlcc_run, model], 2, "cannot load")
    run([dlcc_run, lib, "--input", f"nope={good}/input_0.pb"], 2, "no input named 'nope'")

    out = run([dlcc_run, lib, "--input", f"x={good}/input_0.pb", "--input",
               f"bias={good}/input_1.pb"], 0, "output 1 'count' i64 [2, 3]:")
    outputs = os.path.join(work, "outputs")
    os.makedirs(outputs)
    run([dlcc_run, lib, "--test-data", good, "--output-dir", outputs], 0)
    for k, want in enumerate([y, count]):
        path = f"{outputs}/output_{k}.pb"
        from onnx import TensorProto
        t = TensorProto()
        with open(path, "rb") as f:
            t.ParseFromString(f.read())
        got = numpy_helper.to_array(t)
        if got.dtype != want.dtype or got.shape != want.shape or not np.allclose(got, want):
            failures.append(f"{path} does not hold the expected output")
    run([dlcc_run, lib, "--test-data", good, "--bench", "5", "--threads", "2"], 0, "5 runs: min")
    run([dlcc_run, lib, "--bench", "3"], 0, "zero-filled")
    run([dlcc_run, lib, "--bench", "x"], 2, "bad value")
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
