#!/usr/bin/python3
"""conformance.py: imports the in-scope ONNX backend conformance models with `dlcc -emit=graph`
and checks every graph output's inferred shape and element type against the reference
test_data_set_0/output_K.pb (read with python3-onnx), and that the printed IR re-parses with
dlcc-opt to the same text (print/parse fixpoint).

In scope (1021 models in libonnx-testdata 1.12): data/{node,pytorch-converted,pytorch-operator,
simple}/*/model.onnx whose graph inputs and outputs are numeric or bool tensors and that use no
training op (Adagrad, Adam, Momentum, Gradient) and no ai.onnx.ml / ai.onnx.preview.training
node.

Expected failures are listed in import_xfail.txt ("suite/model: reason"); the run fails when a
listed model passes or an unlisted one fails. --update-xfail rewrites the list (reason: the
first error line). --shard I/N checks every N-th model starting at I.

--specialized is a separate mode with its own list (import_specialized_xfail.txt): it checks
again, with `dlcc -bind`, the models that fail strictly because an output shape is dynamic
(the "dynamic:" entries of import_xfail.txt). Each is specialised for the values its test
data gives the graph inputs that feed shape parameters (shape_parameter_inputs: Reshape's
shape, Slice's starts..., by operand position; data inputs are never bound), taken from
test_data_set_0. The strict numbers stay the headline; these say what specialisation adds.
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
from onnx import numpy_helper  # noqa: F401  (keeps onnx's tensor helpers importable)

SUITES = ["node", "pytorch-converted", "pytorch-operator", "simple"]
TRAINING_OPS = {"Adagrad", "Adam", "Momentum", "Gradient"}
EXCLUDED_DOMAINS = {"ai.onnx.ml", "ai.onnx.preview.training"}
NON_NUMERIC = {0, 8, 14, 15}  # UNDEFINED, STRING, COMPLEX64, COMPLEX128
EXPECTED_COUNT = 1021
ELEM = {1: "f32", 2: "u8", 3: "i8", 4: "u16", 5: "i16", 6: "i32", 7: "i64", 9: "i1",
        10: "f16", 11: "f64", 12: "u32", 13: "u64", 16: "bf16"}


# Operand positions that are shape parameters: operands whose values decide the shape of a
# result (ONNX operator schemas up to opset 17, plus later opsets' extra operands of the same
# ops). Compress's condition decides the length of its result; Loop's trip count and initial
# condition decide the length of its scan outputs.
SHAPE_PARAMS = {
    "Reshape": (1,), "Expand": (1,), "Tile": (1,), "ConstantOfShape": (0,),
    "Slice": (1, 2, 3, 4), "Pad": (1, 3), "Split": (1,), "SplitToSequence": (1,),
    "Squeeze": (1,), "Unsqueeze": (1,), "TopK": (1,), "OneHot": (1,), "Range": (0, 1, 2),
    "Resize": (2, 3), "Upsample": (1,), "MaxUnpool": (2,), "CenterCropPad": (1, 2),
    "Compress": (1,), "Loop": (0, 1), "HannWindow": (0,), "HammingWindow": (0,),
    "BlackmanWindow": (0,), "DFT": (1,), "STFT": (1, 3), "MelWeightMatrix": (0, 1),
    **{op: (1,) for op in ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                           "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
                           "ReduceSumSquare"]},
}
# Ops whose results depend on the shapes of their operands only, never on their values.
SHAPE_ONLY_OPS = {"Shape", "Size"}


def all_nodes(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from all_nodes(attr.g)
            for g in attr.graphs:
                yield from all_nodes(g)


def in_scope(model_path):
    """The declared output element types when the model is in scope, else None."""
    model = onnx.load(model_path, load_external_data=False)
    graph = model.graph
    for vi in list(graph.input) + list(graph.output):
        if vi.type.WhichOneof("value") != "tensor_type":
            return None
        if vi.type.tensor_type.elem_type in NON_NUMERIC:
            return None
    for node in all_nodes(graph):
        if node.op_type in TRAINING_OPS or node.domain in EXCLUDED_DOMAINS:
            return None
    return [vi.type.tensor_type.elem_type for vi in graph.output]


def shape_parameter_inputs(model):
    """Names of the graph inputs (not initializers) whose values reach a shape-parameter
    operand (SHAPE_PARAMS), directly or through the nodes computing it, in model order."""
    graph = model.graph
    inits = {t.name for t in graph.initializer}
    inits |= {t.values.name for t in graph.sparse_initializer}
    inputs = [vi.name for vi in graph.input if vi.name not in inits]
    nodes = [n for n in all_nodes(graph) if n.domain in ("", "ai.onnx")]
    producer = {o: n for n in nodes for o in n.output if o}
    todo = [n.input[p] for n in nodes for p in SHAPE_PARAMS.get(n.op_type, ())
            if p < len(n.input) and n.input[p]]
    seen, found = set(), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in inputs:
            found.add(name)
        node = producer.get(name)
        if node is None or node.op_type in SHAPE_ONLY_OPS:
            continue
        todo += [i for i in node.input if i]
        for attr in node.attribute:  # values a subgraph uses from outside feed the results too
            for g in ([attr.g] if attr.type == onnx.AttributeProto.GRAPH else []) + list(attr.graphs):
                todo += [i for n in all_nodes(g) for i in n.input if i]
                todo += [o.name for o in g.output]
    return [i for i in inputs if i in found]


def test_input_files(set_dir, inputs):
    """{input name: input_K.pb path} of one test data folder: by the name stored in the file,
    else by position among the graph inputs (the non-initializer ones, `inputs`)."""
    files = {}
    for path in glob.glob(os.path.join(set_dir, "input_*.pb")):
        t = onnx.TensorProto()
        with open(path, "rb") as f:
            t.ParseFromString(f.read())
        k = int(re.search(r"input_(\d+)\.pb$", path).group(1))
        name = t.name or (inputs[k] if k < len(inputs) else None)
        if name:
            files[name] = path
    return files


def binding_args(model_dir):
    """(bound input names, dlcc arguments binding them to test_data_set_0's values)."""
    model = onnx.load(os.path.join(model_dir, "model.onnx"), load_external_data=False)
    names = shape_parameter_inputs(model)
    inits = {t.name for t in model.graph.initializer}
    inputs = [vi.name for vi in model.graph.input if vi.name not in inits]
    files = test_input_files(os.path.join(model_dir, "test_data_set_0"), inputs)
    names = [n for n in names if n in files]
    return names, [a for n in names for a in ("-bind", f"{n}={files[n]}")]


def enumerate_models(data_dir):
    """In-scope models as {"suite/name": [declared element type code of each graph output]}."""
    models = {}
    for suite in SUITES:
        for path in sorted(glob.glob(os.path.join(data_dir, suite, "*", "model.onnx"))):
            declared = in_scope(path)
            if declared is not None:
                models[f"{suite}/{os.path.basename(os.path.dirname(path))}"] = declared
    return models


def split_types(text):
    """Splits 'a, b<c, d>, e' at top-level commas."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "<([{":
            depth += 1
        elif ch in ">)]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def main_result_types(dl_text):
    """Result types of func main from printed IR: its function_type attribute."""
    for line in dl_text.splitlines():
        if 'sym_name = "main"' not in line:
            continue
        m = re.search(r"function_type = \((.*?)\) -> \((.*?)\)(?:, \w+ = |\})", line)
        if m:
            return split_types(m.group(2))
    return None


def reference_type(pb_path, declared_elem):
    t = onnx.TensorProto()
    with open(pb_path, "rb") as f:
        t.ParseFromString(f.read())
    code = t.data_type
    # numpy has no bfloat16: the test generator stores bf16 outputs as UINT16 bit patterns
    if code == onnx.TensorProto.UINT16 and declared_elem == onnx.TensorProto.BFLOAT16:
        code = declared_elem
    elem = ELEM.get(code, f"onnx{code}")
    return "tensor<" + "".join(f"{d}x" for d in t.dims) + elem + ">"


def only_dynamic(got, want):
    """True if got equals want except for dims that are unknown (?) or symbolic ({N}) in got:
    the output's shape depends on values known only at run time (inputs of the model)."""
    g, w = re.fullmatch(r"tensor<(.*)>", got), re.fullmatch(r"tensor<(.*)>", want)
    if not g or not w:
        return False
    gd, wd = g.group(1).split("x"), w.group(1).split("x")
    return len(gd) == len(wd) and gd[-1] == wd[-1] and all(
        a == b or a == "?" or a.startswith("{") for a, b in zip(gd[:-1], wd[:-1]))


def first_error(stderr):
    for line in stderr.splitlines():
        if "error:" in line:
            line = line.split("error:", 1)[1].strip()
            return line[:200]
    lines = stderr.strip().splitlines()
    return lines[0][:200] if lines else "failed without a message"


def check_model(key, declared, data_dir, dlcc, dlcc_opt, tmp, extra=()):
    """Returns None when the model passes, else a one-line reason. extra: more dlcc args."""
    model_dir = os.path.join(data_dir, key)
    out = os.path.join(tmp, key.replace("/", "_") + ".dl")
    try:
        r = subprocess.run([dlcc, os.path.join(model_dir, "model.onnx"), "-emit=graph", "-o", out,
                            *extra], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return "dlcc timed out"
    if r.returncode != 0:
        if r.returncode < 0 or r.returncode >= 128:
            return f"dlcc crashed (status {r.returncode})"
        return first_error(r.stderr)
    with open(out) as f:
        text = f.read()
    got = main_result_types(text)
    refs = sorted(glob.glob(os.path.join(model_dir, "test_data_set_0", "output_*.pb")),
                  key=lambda p: int(re.search(r"output_(\d+)", p).group(1)))
    if got is None:
        return "no function_type for main in the output"
    if len(got) != len(refs):
        return f"main has {len(got)} results, the reference {len(refs)} outputs"
    for k, (g, ref) in enumerate(zip(got, refs)):
        want = reference_type(ref, declared[k] if k < len(declared) else 0)
        if g != want:
            kind = "dynamic" if only_dynamic(g, want) else "mismatch"
            return f"{kind}: output {k}: inferred {g}, reference {want}"
    r = subprocess.run([dlcc_opt, out], capture_output=True, text=True, timeout=120)
    os.unlink(out)
    if r.returncode != 0:
        return "dlcc-opt rejects the output: " + first_error(r.stderr)
    if r.stdout != text:
        return "dlcc-opt does not print the output back unchanged (no print/parse fixpoint)"
    return None


def read_xfail(path):
    entries = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if not line.strip() or line.startswith("#"):
                    continue
                key, _, reason = line.partition(": ")
                entries[key.strip()] = reason
    return entries


def report_unexpected(keys, failures, xfail, xfail_path, verbose=None):
    """Prints every model of keys that fails without being listed in xfail (the list read from
    xfail_path), or passes while listed; with verbose, verbose(key) for every other model.
    Returns how many were unexpected. Shared by the conformance scripts."""
    bad = 0
    for k in keys:
        if k in failures and k not in xfail:
            print(f"FAIL (unexpected): {k}: {failures[k]}")
            bad += 1
        elif k not in failures and k in xfail:
            print(f"PASS (unexpected, remove it from {os.path.basename(xfail_path)}): {k}")
            bad += 1
        elif verbose:
            print(verbose(k))
    return bad


def write_xfail(path, failures, specialized=False):
    with open(path, "w") as f:
        if specialized:
            f.write("# Expected failures of the specialized import run (tests/onnx/conformance.py\n"
                    "# --specialized): models that fail strictly with a dynamic output shape,\n"
                    "# imported with their shape-parameter inputs bound (dlcc -bind).\n")
        else:
            f.write("# Expected import failures of the ONNX conformance suite "
                    "(tests/onnx/conformance.py)\n")
        f.write("# One line per model: suite/model: reason. Regenerate with --update-xfail.\n")
        for key in sorted(failures):
            f.write(f"{key}: {failures[key]}\n")


def check_specialized(key, declared, args, tmp):
    """The --specialized check of one model: (None or a reason, names of the bound inputs)."""
    names, extra = binding_args(os.path.join(args.data, key))
    if not names:
        return ("nothing to bind: no graph input feeds a shape parameter (the output shape "
                "depends on data)"), names
    r = check_model(key, declared, args.data, args.dlcc, args.dlcc_opt, tmp, extra)
    if r is not None and r.startswith("dynamic:"):
        r = f"still dynamic with {', '.join(names)} bound: " + r[len("dynamic: "):]
    return r, names


def main_specialized(args, models):
    """--specialized: the strict run's dynamic-shape failures, with shape parameters bound."""
    strict = read_xfail(args.strict_xfail)
    keys = sorted(k for k, r in strict.items() if r.startswith("dynamic:") and k in models)
    xfail = read_xfail(args.xfail)
    with tempfile.TemporaryDirectory(prefix="dlcc-onnx-") as tmp:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = dict(zip(keys, pool.map(
                lambda k: check_specialized(k, models[k], args, tmp), keys)))
    failures = {k: r for k, (r, _) in results.items() if r is not None}
    needed = sum(1 for _, names in results.values() if names)
    bound = sum(len(names) for _, names in results.values())
    bad = 0
    if args.update_xfail:
        write_xfail(args.xfail, failures, specialized=True)
    else:
        bad = report_unexpected(
            keys, failures, xfail, args.xfail,
            args.verbose and (lambda k: f"{'XFAIL' if k in failures else 'PASS'}: {k} (bound: "
                                        f"{', '.join(results[k][1]) or 'nothing'})"))
        for k in xfail:
            if k not in results:
                print(f"stale entry in {os.path.basename(args.xfail)}: {k} does not fail "
                      "strictly with a dynamic output shape")
                bad += 1
    print(f"specialized: {len(keys) - len(failures)}/{len(keys)} models that fail strictly with a "
          f"dynamic output shape import and match once specialised; {needed} of them needed "
          f"binding ({bound} inputs bound from test_data_set_0), {len(keys) - needed} have no "
          f"shape-parameter input; {len(failures)} fail; {bad} problems")
    return 1 if bad else 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlcc", required=True)
    ap.add_argument("--dlcc-opt", required=True)
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
    ap.add_argument("--xfail", default=None,
                    help="expected failures (default: import_xfail.txt, or "
                         "import_specialized_xfail.txt with --specialized)")
    ap.add_argument("--specialized", action="store_true",
                    help="check the strict run's dynamic-shape failures with shape-parameter "
                         "inputs bound (a separate mode with its own list)")
    ap.add_argument("--strict-xfail", default=os.path.join(here, "import_xfail.txt"),
                    help="with --specialized: the strict list naming the models to check")
    ap.add_argument("--shard", default="0/1", help="I/N: check models I, I+N, I+2N, ...")
    ap.add_argument("--update-xfail", action="store_true")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if args.xfail is None:
        args.xfail = os.path.join(here, "import_specialized_xfail.txt" if args.specialized
                                  else "import_xfail.txt")

    models = enumerate_models(args.data)
    if len(models) != EXPECTED_COUNT:
        print(f"error: {len(models)} in-scope models, expected {EXPECTED_COUNT}", file=sys.stderr)
        return 1
    if args.specialized:
        return main_specialized(args, models)
    index, count = (int(x) for x in args.shard.split("/"))
    if args.update_xfail:
        index, count = 0, 1
    mine = sorted(models)[index::count]
    xfail = read_xfail(args.xfail)
    unknown = [k for k in xfail if k not in models]
    with tempfile.TemporaryDirectory(prefix="dlcc-onnx-") as tmp:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(
                lambda k: check_model(k, models[k], args.data, args.dlcc, args.dlcc_opt, tmp),
                mine))
    failures = {k: r for k, r in zip(mine, results) if r is not None}
    passed = len(mine) - len(failures)
    if args.update_xfail:
        write_xfail(args.xfail, failures)
        dynamic = sum(1 for r in failures.values() if r.startswith("dynamic:"))
        print(f"{passed}/{len(mine)} models import; wrote {len(failures)} entries to {args.xfail} "
              f"({dynamic} with dims that depend on input values)")
        return 0
    bad = report_unexpected(mine, failures, xfail, args.xfail,
                            args.verbose and (lambda k: f"{'XFAIL' if k in failures else 'PASS'}: {k}"))
    for k in unknown:
        if index == 0:
            print(f"stale entry in {os.path.basename(args.xfail)}: {k} is not an in-scope model")
            bad += 1
    dynamic = sum(1 for r in failures.values() if r.startswith("dynamic:"))
    print(f"shard {index}/{count}: {passed}/{len(mine)} models import and match the reference "
          f"types; {len(failures)} fail ({dynamic} of them only with dims that depend on input "
          f"values); {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
