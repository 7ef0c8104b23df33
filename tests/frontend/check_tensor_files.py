#!/usr/bin/python3
"""check_tensor_files.py: round-trips ONNX test-data tensor files (input_K.pb/output_K.pb) of
every numeric element type, stored as raw_data and in the typed fields, through
dl_onnx_read_tensor/dl_onnx_write_tensor (the tensor_roundtrip tool), and checks with
python3-onnx that the type dlcc reports and the data it writes equal the originals."""
import glob
import os
import subprocess
import sys
import tempfile

import onnx
from onnx import numpy_helper

ELEM = {1: "f32", 2: "u8", 3: "i8", 4: "u16", 5: "i16", 6: "i32", 7: "i64", 9: "i1",
        10: "f16", 11: "f64", 12: "u32", 13: "u64", 16: "bf16"}


def load(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


def pick_files(data_dir, per_kind=3):
    chosen, seen = [], {}
    for path in sorted(glob.glob(os.path.join(data_dir, "node", "*", "test_data_set_0", "*.pb"))):
        t = load(path)
        if t.data_type not in ELEM or t.data_location == onnx.TensorProto.EXTERNAL:
            continue
        try:  # sequence and optional test data parse as garbage TensorProtos: skip them
            if t.HasField("segment") or numpy_helper.to_array(t).shape != tuple(t.dims):
                continue
        except Exception:
            continue
        kind = (t.data_type, t.HasField("raw_data"), min(len(t.dims), 2), 0 in t.dims)
        if seen.get(kind, 0) < per_kind:
            seen[kind] = seen.get(kind, 0) + 1
            chosen.append(path)
    return chosen


def main():
    tool, data_dir = sys.argv[1], sys.argv[2]
    files = pick_files(data_dir)
    codes = {load(p).data_type for p in files}
    missing = set(ELEM) - codes - {16}  # no bf16 test data in libonnx-testdata 1.12
    if missing:
        print(f"error: no test data of element types {sorted(missing)}")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        args = []
        for i, p in enumerate(files):
            args += [p, os.path.join(tmp, f"{i}.pb")]
        r = subprocess.run([tool] + args, capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout + r.stderr)
            return 1
        lines = r.stdout.splitlines()
        bad = 0
        for i, p in enumerate(files):
            orig = load(p)
            want = "tensor<" + "".join(f"{d}x" for d in orig.dims) + ELEM[orig.data_type] + ">"
            got_type, _, got_name = lines[i].partition(" ")
            back = load(os.path.join(tmp, f"{i}.pb"))
            a, b = numpy_helper.to_array(orig), numpy_helper.to_array(back)
            same = a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
            if got_type != want or got_name != orig.name or back.name != orig.name or not same:
                print(f"MISMATCH {p}: dlcc says {got_type} '{got_name}', expected {want} "
                      f"'{orig.name}'; data equal: {same}")
                bad += 1
        print(f"{len(files)} tensor files ({len(codes)} element types) round-tripped; "
              f"{bad} mismatches")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
