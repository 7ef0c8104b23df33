#!/usr/bin/env python3
"""lit.py: runs the `// RUN:` lines of one test file (a small subset of LLVM lit).

Substitutions: %s is the test file, %S its folder, %t a per-test scratch path, %p the
source tests/ folder. Tools given with --tool NAME=PATH are put first on PATH; `not CMD`
succeeds when CMD exits with a non-zero status that is not a crash (signal).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

NOT_SCRIPT = """#!/bin/sh
"$@"
status=$?
if [ $status -eq 0 ]; then echo "not: command succeeded: $*" >&2; exit 1; fi
if [ $status -ge 128 ]; then echo "not: command crashed (status $status): $*" >&2; exit 1; fi
exit 0
"""


def run_lines(path):
    lines, current = [], ""
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            m = re.search(r"(?://|#)\s*RUN:\s?(.*)$", raw)
            if not m:
                continue
            part = m.group(1).rstrip()
            if part.endswith("\\"):
                current += part[:-1] + " "
                continue
            lines.append(current + part)
            current = ""
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("test")
    ap.add_argument("--tool", action="append", default=[])
    args = ap.parse_args()
    test = os.path.abspath(args.test)
    runs = run_lines(test)
    if not runs:
        print(f"{test}: no RUN lines", file=sys.stderr)
        return 1
    tmp = tempfile.mkdtemp(prefix="dlcc-lit-")
    try:
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        for spec in args.tool:
            name, tool = spec.split("=", 1)
            os.symlink(tool, os.path.join(bindir, name))
        with open(os.path.join(bindir, "not"), "w") as f:
            f.write(NOT_SCRIPT)
        os.chmod(os.path.join(bindir, "not"), 0o755)
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
        subs = {"%s": test, "%S": os.path.dirname(test), "%t": os.path.join(tmp, "t"),
                "%p": os.path.dirname(os.path.abspath(__file__))}
        for i, cmd in enumerate(runs, 1):
            for k, v in subs.items():
                cmd = cmd.replace(k, v)
            print(f"RUN {i}: {cmd}")
            sys.stdout.flush()
            r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], env=env, cwd=tmp)
            if r.returncode != 0:
                print(f"FAILED (status {r.returncode}): RUN line {i} of {test}", file=sys.stderr)
                return 1
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
