#!/usr/bin/python3
"""e2e.py: the end-to-end conformance suite: compiles every in-scope ONNX backend conformance
model with dlcc, runs the library on each test_data_set_K with dlcc-run and compares with the
reference outputs (rtol 1e-3, atol 1e-5 by default).

The in-scope set is the one of tests/onnx/conformance.py (1021 models). Expected failures are
listed in a file ("suite/model: reason"); the run fails when a listed model passes, when an
unlisted one fails, and always when dlcc or dlcc-run crashes, hangs or exits with a status
other than 0/1 (2 for dlcc-run errors): a model must pass or fail with a clear message.
--update-xfail rewrites the list with the first error line as the reason.
--shard I/N runs every N-th model starting at I; --every K keeps every K-th model (a sample).

--specialized is a separate mode with its own list (e2e_specialized_xfail.txt): the models
whose strict compile fails because an output shape is dynamic (those entries of the strict
list given by --strict-xfail) are compiled with `dlcc -bind` for the test_data_set_0 values
of the graph inputs that feed shape parameters (conformance.shape_parameter_inputs; data
inputs are never bound), then run on every test_data_set_K whose bound inputs hold those same
values (dlcc-run skips the files of bound inputs by name). The strict numbers stay the
headline; these say what specialisation adds.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "onnx"))
from conformance import binding_args, enumerate_models, test_input_files  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

COMPILE_TIMEOUT = 300
RUN_TIMEOUT = 120


def first_error(text):
    for line in text.splitlines():
        if "error" in line.lower() or "mismatch" in line.lower():
            return line.strip()
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-1].strip() if lines else "(no message)"


def run_model(args, name, tmp, extra=(), sets=None):
    """Returns (status, message): status is pass, fail (clean failure) or crash. extra: more
    dlcc arguments; sets: the test_data_set_K folders to run (default: all)."""
    model_dir = os.path.join(args.data, name.split("/")[0], name.split("/")[1])
    lib = os.path.join(tmp, name.replace("/", "_") + ".so")
    try:
        c = subprocess.run([args.dlcc, os.path.join(model_dir, "model.onnx"), f"-O{args.opt}",
                            "-o", lib, *extra], capture_output=True, timeout=COMPILE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return "crash", f"compile: timed out after {COMPILE_TIMEOUT} s"
    err = c.stderr.decode(errors="replace")
    if c.returncode not in (0, 1) or (c.returncode == 1 and "error" not in err):
        return "crash", f"compile: status {c.returncode}: {err.strip()[-300:]}"
    if c.returncode == 1:
        return "fail", "compile: " + first_error(err)
    if sets is None:
        sets = sorted(glob.glob(os.path.join(model_dir, "test_data_set_*")))
    for d in sets:
        try:
            r = subprocess.run([args.dlcc_run, lib, "--test-data", d, "--rtol", args.rtol, "--atol", args.atol],
                               capture_output=True, timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            return "crash", f"run: timed out after {RUN_TIMEOUT} s"
        out = (r.stdout + r.stderr).decode(errors="replace")
        if r.returncode not in (0, 1, 2) or (r.returncode == 2 and not out.strip()):
            return "crash", f"run {os.path.basename(d)}: status {r.returncode}: {out.strip()[-300:]}"
        if r.returncode != 0:
            kind = "mismatch" if r.returncode == 1 else "run error"
            return "fail", f"{kind} on {os.path.basename(d)}: " + first_error(out)
    for f in glob.glob(lib[:-3] + ".*"):
        os.remove(f)
    return "pass", ""


def read_xfail(path):
    xfail = {}
    if os.path.exists(path):
        for line in open(path):
            line = line.rstrip("\n")
            if line and not line.startswith("#") and ": " in line:
                name, reason = line.split(": ", 1)
                xfail[name] = reason
    return xfail


def tensor_file(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def matching_sets(model_dir, names):
    """The test_data_set_K folders whose inputs `names` hold test_data_set_0's values."""
    model = onnx.load(os.path.join(model_dir, "model.onnx"), load_external_data=False)
    inits = {t.name for t in model.graph.initializer}
    inputs = [vi.name for vi in model.graph.input if vi.name not in inits]
    sets = sorted(glob.glob(os.path.join(model_dir, "test_data_set_*")))
    want = test_input_files(sets[0], inputs)
    keep = []
    for d in sets:
        files = test_input_files(d, inputs)
        same = True
        for n in names:
            a, b = tensor_file(want[n]), tensor_file(files[n]) if n in files else None
            same = same and b is not None and a.dtype == b.dtype and np.array_equal(a, b)
        if same:
            keep.append(d)
    return keep


def main_specialized(args):
    """--specialized: the strict run's dynamic-output failures, shape parameters bound."""
    strict = read_xfail(args.strict_xfail)
    dynamic = re.compile(r"error: .*output \d+ .*dynamic shape not supported")
    models = sorted(k for k, r in strict.items() if dynamic.search(r))
    if args.only:
        models = [args.only]
    xfail = read_xfail(args.xfail)
    results, bound, skipped, t0 = {}, {}, 0, time.time()
    with tempfile.TemporaryDirectory(prefix="dlcc-e2e-") as tmp:
        for name in models:
            model_dir = os.path.join(args.data, name)
            names, extra = binding_args(model_dir)
            bound[name] = names
            if not names:
                results[name] = ("fail", "nothing to bind: no graph input feeds a shape "
                                 "parameter (the output shape depends on data)")
                continue
            sets = matching_sets(model_dir, names)
            skipped += len(glob.glob(os.path.join(model_dir, "test_data_set_*"))) - len(sets)
            results[name] = run_model(args, name, tmp, extra, sets)
            if args.only:
                print(names, results[name])
    crashes = [(n, m) for n, (s, m) in results.items() if s == "crash"]
    unexpected = [(n, m) for n, (s, m) in results.items() if s == "fail" and n not in xfail]
    fixed = [n for n, (s, _) in results.items() if s == "pass" and n in xfail]
    stale = [n for n in xfail if n not in results] if not args.only else []
    passed = sum(1 for s, _ in results.values() if s == "pass")
    needed = sum(1 for n in bound.values() if n)
    if args.update_xfail:
        with open(args.xfail, "w") as f:
            f.write(f"# Expected failures of the specialized end-to-end run at -O{args.opt} "
                    "(tests/conformance/e2e.py --specialized\n# --update-xfail): models whose "
                    "strict compile fails with a dynamic output shape, compiled\n# with their "
                    "shape-parameter inputs bound (dlcc -bind).\n")
            for n in sorted(results):
                s, m = results[n]
                if s != "pass":
                    f.write(f"{n}: {m}\n")
    for n, m in crashes:
        print(f"CRASH {n}: {m}")
    for n, m in unexpected:
        print(f"FAIL {n}: {m}")
    for n in fixed:
        print(f"FIXED {n} (listed as expected failure: {xfail[n]})")
    for n in stale:
        print(f"stale entry in {os.path.basename(args.xfail)}: {n} does not fail strictly with a "
              "dynamic output shape")
    print(f"specialized -O{args.opt}: {passed}/{len(models)} models that fail strictly with a "
          f"dynamic output shape compile and match once specialised; {needed} of them needed "
          f"binding ({sum(len(n) for n in bound.values())} inputs bound from test_data_set_0), "
          f"{len(models) - needed} have no shape-parameter input; {skipped} test sets skipped "
          f"(other values for the bound inputs); {len(crashes)} crashes, {len(unexpected)} "
          f"unexpected failures, {len(fixed)} unexpected passes ({time.time() - t0:.0f} s)")
    if args.update_xfail:
        return 1 if crashes else 0
    return 1 if crashes or unexpected or fixed or stale else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlcc", required=True)
    ap.add_argument("--dlcc-run", dest="dlcc_run", required=True)
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
    ap.add_argument("--xfail", required=True)
    ap.add_argument("--opt", default="3")
    ap.add_argument("--rtol", default="1e-3")
    ap.add_argument("--atol", default="1e-5")
    ap.add_argument("--shard", default="0/1")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--only", default=None, help="run one model (suite/name) and print details")
    ap.add_argument("--update-xfail", action="store_true")
    ap.add_argument("--specialized", action="store_true",
                    help="compile the strict run's dynamic-output failures with their "
                         "shape-parameter inputs bound (a separate mode with its own --xfail)")
    ap.add_argument("--strict-xfail", help="with --specialized: the strict list naming the models")
    args = ap.parse_args()
    if args.specialized:
        if not args.strict_xfail:
            ap.error("--specialized needs --strict-xfail")
        return main_specialized(args)

    models = sorted(enumerate_models(args.data))
    models = models[::args.every]
    if args.only:
        models = [args.only]
    shard, nshards = map(int, args.shard.split("/"))
    mine = models[shard::nshards] if not args.update_xfail else models
    xfail = read_xfail(args.xfail)
    results = {}
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="dlcc-e2e-") as tmp:
        for name in mine:
            results[name] = run_model(args, name, tmp)
            if args.only:
                print(results[name])
    crashes = [(n, m) for n, (s, m) in results.items() if s == "crash"]
    unexpected = [(n, m) for n, (s, m) in results.items() if s == "fail" and n not in xfail]
    fixed = [n for n, (s, _) in results.items() if s == "pass" and n in xfail]
    passed = sum(1 for s, _ in results.values() if s == "pass")
    if args.update_xfail:
        with open(args.xfail, "w") as f:
            f.write(f"# Expected failures of the end-to-end conformance suite at -O{args.opt} "
                    "(tests/conformance/e2e.py --update-xfail).\n")
            for n in sorted(results):
                s, m = results[n]
                if s != "pass":
                    f.write(f"{n}: {m}\n")
    for n, m in crashes:
        print(f"CRASH {n}: {m}")
    for n, m in unexpected:
        print(f"FAIL {n}: {m}")
    for n in fixed:
        print(f"FIXED {n} (listed as expected failure: {xfail[n]})")
    print(f"-O{args.opt} shard {args.shard}: {passed}/{len(mine)} models pass, {len(crashes)} crashes, "
          f"{len(unexpected)} unexpected failures, {len(fixed)} unexpected passes "
          f"({time.time() - t0:.0f} s)")
    if args.update_xfail:
        return 1 if crashes else 0
    return 1 if crashes or unexpected or fixed else 0


if __name__ == "__main__":
    sys.exit(main())
