#!/usr/bin/python3
"""conformance.py: numerical check of the graph -> kernel lowering on the in-scope ONNX backend
conformance models (the same selection as tests/onnx/conformance.py): for each model, lower_run
imports it, runs the graph passes and lower-to-kernel, executes the kernel-level main with the
reference interpreter on every test data set and compares with the reference outputs
(rtol 1e-3, atol 1e-5).

Expected failures are listed in lower_xfail.txt ("suite/model: reason"); the run fails when a
listed model passes or an unlisted one fails. --update-xfail rewrites the list (reason: the
runner's message). --shard I/N checks every N-th model starting at I; --only PATTERN restricts
the run to models whose key contains PATTERN (for development).
"""
import argparse
import importlib.util
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))


def load_import_suite():
    """tests/onnx/conformance.py: its in-scope model enumeration is the definition we share."""
    path = os.path.join(HERE, "..", "onnx", "conformance.py")
    spec = importlib.util.spec_from_file_location("onnx_conformance", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def xfail_or_pass(key, failures):
    """The --verbose line of a model that behaved as its expected-failure list says."""
    return f"{'XFAIL' if key in failures else 'PASS'}: {key}" + (
        f": {failures[key]}" if key in failures else "")


def run_model(runner, data, key, timeout, passes):
    """None when the model passes, else a one-line reason."""
    cmd = [runner, os.path.join(data, key)] + ([f"-passes={passes}"] if passes else [])
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout} s"
    line = (r.stdout.strip().splitlines() or [""])[-1]
    if r.returncode == 0 and line == "PASS":
        return None
    if r.returncode < 0 or r.returncode >= 128 or not line.startswith("FAIL"):
        err = (r.stderr.strip().splitlines() or ["no message"])[-1]
        return f"crashed (status {r.returncode}): {err[:160]}"
    return line[len("FAIL: "):][:220]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True, help="the lower_run executable")
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
    ap.add_argument("--xfail", default=os.path.join(HERE, "lower_xfail.txt"))
    ap.add_argument("--shard", default="0/1")
    ap.add_argument("--only", default=None)
    ap.add_argument("--passes", default=None, help="pipeline for lower_run (default: its own)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--update-xfail", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    suite = load_import_suite()
    models = suite.enumerate_models(args.data)
    if len(models) != suite.EXPECTED_COUNT:
        print(f"error: {len(models)} in-scope models, expected {suite.EXPECTED_COUNT}")
        return 1
    index, count = (int(x) for x in args.shard.split("/"))
    if args.update_xfail:
        index, count = 0, 1
    mine = sorted(models)[index::count]
    if args.only:
        mine = [k for k in mine if args.only in k]
    xfail = suite.read_xfail(args.xfail)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda k: run_model(args.runner, args.data, k, args.timeout, args.passes),
                                mine))
    failures = {k: r for k, r in zip(mine, results) if r is not None}
    passed = len(mine) - len(failures)
    if args.update_xfail:
        with open(args.xfail, "w") as f:
            f.write("# Expected failures of the lowering conformance check "
                    "(tests/lowering/conformance.py)\n")
            f.write("# One line per model: suite/model: reason. Regenerate with --update-xfail.\n")
            for key in sorted(failures):
                f.write(f"{key}: {failures[key]}\n")
        print(f"{passed}/{len(mine)} models match; wrote {len(failures)} entries to {args.xfail}")
        return 0
    bad = suite.report_unexpected(mine, failures, xfail, args.xfail,
                                  args.verbose and (lambda k: xfail_or_pass(k, failures)))
    if index == 0 and not args.only:
        for k in xfail:
            if k not in models:
                print(f"stale entry in {os.path.basename(args.xfail)}: {k} is not in scope")
                bad += 1
    print(f"shard {index}/{count}: {passed}/{len(mine)} models lower and match the reference "
          f"outputs; {len(failures)} failures ({len(failures) - bad if bad <= len(failures) else 0}"
          f" expected); {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
