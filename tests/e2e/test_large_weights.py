#!/usr/bin/env python3
"""test_large_weights.py DLCC DLCC_RUN WORK_DIR: a model whose weights (6 MiB of f32, plus f16,
int64 and uint8 tables) go through the data object of a compiled library. It is written with
onnx and numpy, compiled as a shared library (-emit=lib) and as an object (-emit=obj, then
linked into a shared library with cc), and both are run by dlcc-run on numpy's outputs. The
weights must be local symbols of the library (not exported), and -time-passes reports the data
object."""
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

failures = []


def check(ok, what, detail=""):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(f"{what}\n{detail}")


def run(args):
    r = subprocess.run(args, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def save(path, array, name):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def make_model(path, rng):
    w = rng.standard_normal((1024, 1536)).astype(np.float32)  # 6 MiB
    b = rng.standard_normal(1536).astype(np.float32)
    c = rng.standard_normal(2048).astype(np.float16)
    table = rng.integers(-(2**62), 2**62, size=4096, dtype=np.int64)
    bytes_table = rng.integers(0, 256, size=8192, dtype=np.uint8)
    inits = [numpy_helper.from_array(a, n) for a, n in
             [(w, "w"), (b, "b"), (c, "c"), (table, "table"), (bytes_table, "bytes_table")]]
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["y"]),
        helper.make_node("Add", ["h", "c"], ["z"]),
        helper.make_node("Gather", ["table", "idx"], ["t"]),
        helper.make_node("Gather", ["bytes_table", "idx"], ["u"]),
    ]
    graph = helper.make_graph(
        nodes, "large_weights",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 1024]),
         helper.make_tensor_value_info("h", TensorProto.FLOAT16, [2048]),
         helper.make_tensor_value_info("idx", TensorProto.INT64, [16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 1536]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT16, [2048]),
         helper.make_tensor_value_info("t", TensorProto.INT64, [16]),
         helper.make_tensor_value_info("u", TensorProto.UINT8, [16])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, path)
    return w, b, c, table, bytes_table


def main():
    dlcc, dlcc_run, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rng = np.random.default_rng(11)
    model = os.path.join(work, "large.onnx")
    w, b, c, table, bytes_table = make_model(model, rng)

    x = rng.standard_normal((4, 1024)).astype(np.float32)
    h = rng.standard_normal(2048).astype(np.float16)
    idx = rng.integers(0, 4096, size=16, dtype=np.int64)
    data = os.path.join(work, "test_data_set_0")
    os.makedirs(data)
    for k, (a, n) in enumerate([(x, "x"), (h, "h"), (idx, "idx")]):
        save(f"{data}/input_{k}.pb", a, n)
    outs = [(x.astype(np.float64) @ w + b).astype(np.float32), h + c, table[idx], bytes_table[idx]]
    for k, (a, n) in enumerate(zip(outs, ["y", "z", "t", "u"])):
        save(f"{data}/output_{k}.pb", a, n)

    lib = os.path.join(work, "large.so")
    code, out = run([dlcc, model, "-O2", "-o", lib, "-time-passes"])
    check(code == 0, "dlcc -emit=lib", out)
    check("codegen: data object" in out, "-time-passes reports the data object", out)
    code, out = run([dlcc_run, lib, "--test-data", data, "--rtol", "1e-3", "--atol", "1e-4"])
    check(code == 0, "dlcc-run on the library", out)
    code, out = run(["nm", lib])
    weights = [line for line in out.splitlines() if ".weight." in line]
    check(len(weights) == 5 and all(line.split()[1] == "r" for line in weights),
          "the five weights are local read-only symbols of the library", "\n".join(weights))
    code, out = run(["nm", "-D", "--defined-only", lib])
    check(code == 0 and ".weight." not in out, "no weight is exported", out)

    obj = os.path.join(work, "large_obj.o")
    code, out = run([dlcc, model, "-O2", "-emit=obj", "-o", obj])
    check(code == 0, "dlcc -emit=obj", out)
    obj_lib = os.path.join(work, "large_obj.so")
    code, out = run(["cc", "-shared", "-o", obj_lib, obj, "-lm", "-lpthread", "-ldl"])
    check(code == 0, "cc -shared on the object", out)
    code, out = run([dlcc_run, obj_lib, "--test-data", data, "--rtol", "1e-3", "--atol", "1e-4"])
    check(code == 0, "dlcc-run on the object linked by cc", out)

    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
