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
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "onnx"))
from conformance import enumerate_models  # noqa: E402

COMPILE_TIMEOUT = 300
RUN_TIMEOUT = 120


def first_error(text):
    for line in text.splitlines():
        if "error" in line.lower() or "mismatch" in line.lower():
            return line.strip()
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-1].strip() if lines else "(no message)"


def run_model(args, name, tmp):
    """Returns (status, message): status is pass, fail (clean failure) or crash."""
    model_dir = os.path.join(args.data, name.split("/")[0], name.split("/")[1])
    lib = os.path.join(tmp, name.replace("/", "_") + ".so")
    try:
        c = subprocess.run([args.dlcc, os.path.join(model_dir, "model.onnx"), f"-O{args.opt}", "-o", lib],
                           capture_output=True, timeout=COMPILE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return "crash", f"compile: timed out after {COMPILE_TIMEOUT} s"
    err = c.stderr.decode(errors="replace")
    if c.returncode not in (0, 1) or (c.returncode == 1 and "error" not in err):
        return "crash", f"compile: status {c.returncode}: {err.strip()[-300:]}"
    if c.returncode == 1:
        return "fail", "compile: " + first_error(err)
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
    args = ap.parse_args()

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
