#!/usr/bin/env python3
"""roundtrip.py: every .dl file in the repository reaches a print-parse-print fixpoint.

For each file (each `// -----` chunk of it), dlcc-opt prints it, dlcc-opt reads that output
and prints it again: both runs must succeed and the two texts must be identical. Chunks that
are meant to fail (expected-error markers) are skipped.
"""
import os
import subprocess
import sys


def chunks(text):
    parts, cur = [], []
    for line in text.splitlines(keepends=True):
        if line.startswith("// -----"):
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(line)
    parts.append("".join(cur))
    return parts


def main():
    opt, root = sys.argv[1], sys.argv[2]
    files, failures, checked = [], 0, 0
    for d, subdirs, names in os.walk(root):
        subdirs[:] = [s for s in subdirs if not s.startswith(("build", ".git"))]
        files += [os.path.join(d, n) for n in names if n.endswith(".dl")]
    for path in sorted(files):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for i, chunk in enumerate(chunks(text)):
            if "expected-error" in chunk or "builtin.module" not in chunk:
                continue
            checked += 1
            a = subprocess.run([opt, "-"], input=chunk.encode(), capture_output=True)
            if a.returncode != 0:
                print(f"FAIL {path} chunk {i}: dlcc-opt rejected it:\n{a.stderr.decode()}")
                failures += 1
                continue
            b = subprocess.run([opt, "-"], input=a.stdout, capture_output=True)
            if b.returncode != 0 or b.stdout != a.stdout:
                print(f"FAIL {path} chunk {i}: printed text does not reach a fixpoint")
                print(b.stderr.decode())
                failures += 1
    print(f"{checked} inputs from {len(files)} .dl files checked, {failures} failures")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
