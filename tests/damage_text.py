#!/usr/bin/env python3
"""damage_text.py: dlcc-opt on truncated and garbled copies of real .dl files must either
succeed or exit 1 with an 'error:' message: never crash, hang or exit otherwise."""
import random
import subprocess
import sys


def main():
    opt, files = sys.argv[1], sys.argv[2:]
    rng = random.Random(20261121)
    junk = b"(){}[]<>%^@\"=:,-x?0129afz .\n\\\x00\x01\xff"
    cases = []
    for path in files:
        data = open(path, "rb").read()
        for cut in sorted(set(rng.randrange(len(data)) for _ in range(60))):
            cases.append((f"{path} truncated at {cut}", data[:cut]))
        for k in range(60):
            b = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                pos = rng.randrange(len(b))
                if rng.random() < 0.5:
                    b[pos] = rng.choice(junk)
                else:
                    b[pos] ^= 1 << rng.randrange(8)
            cases.append((f"{path} flipped #{k}", bytes(b)))
    bad = 0
    for name, data in cases:
        try:
            r = subprocess.run([opt, "-", "-passes=canonicalize,cse,dce"], input=data,
                               capture_output=True, timeout=20)
        except subprocess.TimeoutExpired:
            print(f"HANG {name}")
            bad += 1
            continue
        err = r.stderr.decode(errors="replace")
        if r.returncode == 0:
            continue
        if r.returncode != 1 or "error:" not in err:
            print(f"BAD {name}: status {r.returncode}\n{err[-2000:]}")
            bad += 1
    print(f"{len(cases)} damaged inputs, {bad} crashed, hung or failed without an error message")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
