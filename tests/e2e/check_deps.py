#!/usr/bin/env python3
"""check_deps.py LIB.so NAME: a compiled model library depends only on libc, libm, libpthread
and libdl (readelf -d), loads (ldd resolves everything), and exports its documented entry points
while the dlcc runtime's support functions stay hidden."""
import re
import subprocess
import sys

ALLOWED = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2"}


def main():
    lib, name = sys.argv[1], sys.argv[2]
    failures = []
    dyn = subprocess.run(["readelf", "-d", lib], capture_output=True, text=True, check=True).stdout
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]", dyn))
    print(f"{lib}: NEEDED {sorted(needed)}")
    if not needed <= ALLOWED:
        failures.append(f"unexpected dependencies: {sorted(needed - ALLOWED)}")
    ldd = subprocess.run(["ldd", lib], capture_output=True, text=True).stdout
    if "not found" in ldd:
        failures.append("ldd cannot resolve:\n" + ldd)
    syms = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True,
                          check=True).stdout
    exported = {line.split()[-1] for line in syms.splitlines() if line.strip()}
    for sym in [name, name + "_argv", name + "_run", name + "_metadata", name + "_model",
                "dlcc_model", "halide_set_num_threads", "halide_set_error_handler"]:
        if sym not in exported:
            failures.append(f"'{sym}' is not exported")
    for sym in ["dlcc_check_buffer", "dlcc_alloc", "dlcc_free", "dlcc_check_pointer"]:
        if sym in exported:
            failures.append(f"the runtime's '{sym}' is exported")
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
