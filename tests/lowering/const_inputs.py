#!/usr/bin/python3
"""const_inputs.py: checks the lowering of ops whose conformance tests feed shape parameters as
graph inputs (Reshape's shape, Slice's starts, Resize's scales, TopK's K, ...). Such models have
dynamic shapes, so the plain conformance check cannot compile them; here each is rewritten with
those inputs turned into initializers holding the test's own values (every input but the first;
all inputs when the model has one, or when every input holds at most one element: then they are
all parameters, as in Range, MelWeightMatrix or a Loop's trip count, condition and initial
value), then lower_run executes it against the reference outputs.

Every in-scope model whose plain conformance entry says "dynamic shape" is a candidate.
Expected failures are listed in const_inputs_xfail.txt ("suite/model: reason").
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import onnx
from onnx import numpy_helper

from conformance import load_import_suite, xfail_or_pass  # tests/lowering/conformance.py

HERE = os.path.dirname(os.path.abspath(__file__))


def freeze(src, dst):
    """Writes dst/model.onnx and dst/test_data_set_0 with the parameter inputs frozen."""
    model = onnx.load(os.path.join(src, "model.onnx"))
    graph = model.graph
    inits = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in inits]
    data = os.path.join(src, "test_data_set_0")
    tensors = []
    for k in range(len(inputs)):
        t = onnx.TensorProto()
        with open(os.path.join(data, f"input_{k}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        tensors.append(t)
    all_parameters = all(numpy_helper.to_array(t).size <= 1 for t in tensors)
    keep = inputs[:1] if len(inputs) > 1 and not all_parameters else []
    os.makedirs(os.path.join(dst, "test_data_set_0"), exist_ok=True)
    for vi, t in zip(inputs, tensors):
        if vi in keep:
            with open(os.path.join(dst, "test_data_set_0", f"input_{keep.index(vi)}.pb"), "wb") as f:
                f.write(t.SerializeToString())
            continue
        t.name = vi.name
        graph.initializer.append(t)
    del graph.input[:]
    graph.input.extend(keep)
    for p in glob.glob(os.path.join(data, "output_*.pb")):
        with open(p, "rb") as f, open(os.path.join(dst, "test_data_set_0", os.path.basename(p)),
                                      "wb") as g:
            g.write(f.read())
    onnx.save(model, os.path.join(dst, "model.onnx"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
    ap.add_argument("--plain-xfail", default=os.path.join(HERE, "lower_xfail.txt"))
    ap.add_argument("--xfail", default=os.path.join(HERE, "const_inputs_xfail.txt"))
    ap.add_argument("--update-xfail", action="store_true")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    suite = load_import_suite()
    plain = suite.read_xfail(args.plain_xfail)
    keys = sorted(k for k, r in plain.items() if "dynamic shape" in r)
    xfail = suite.read_xfail(args.xfail)
    with tempfile.TemporaryDirectory(prefix="dlcc-const-") as tmp:
        def run(key):
            dst = os.path.join(tmp, key)
            try:
                freeze(os.path.join(args.data, key), dst)
            except Exception as e:  # noqa: BLE001 (any malformed test is a failure to report)
                return f"cannot freeze the inputs: {e}"
            try:
                r = subprocess.run([args.runner, dst], capture_output=True, text=True, timeout=300)
            except subprocess.TimeoutExpired:
                return "timed out"
            line = (r.stdout.strip().splitlines() or [""])[-1]
            if r.returncode == 0 and line == "PASS":
                return None
            if r.returncode < 0 or not line.startswith("FAIL"):
                return f"crashed (status {r.returncode})"
            return line[len("FAIL: "):][:220]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = dict(zip(keys, pool.map(run, keys)))
    failures = {k: r for k, r in results.items() if r is not None}
    if args.update_xfail:
        with open(args.xfail, "w") as f:
            f.write("# Expected failures of tests/lowering/const_inputs.py (conformance models with\n")
            f.write("# their parameter inputs frozen). One line per model: suite/model: reason.\n")
            for k in sorted(failures):
                f.write(f"{k}: {failures[k]}\n")
        print(f"{len(keys) - len(failures)}/{len(keys)} pass; wrote {len(failures)} entries")
        return 0
    bad = suite.report_unexpected(keys, failures, xfail, args.xfail,
                                  args.verbose and (lambda k: xfail_or_pass(k, failures)))
    print(f"{len(keys) - len(failures)}/{len(keys)} frozen models lower and match; {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
