#!/usr/bin/python3
"""gen_infer_struct_tests.py: writes the graph-inference tests infer-shape.dl, infer-index.dl and
infer-misc.dl in this folder (the rules of infer_shape.c, infer_index.c and infer_misc.c).

Each case is one ONNX node. The script builds the equivalent one-node ONNX model (opset 17
unless the case says otherwise; constant operands are Constant nodes), runs
onnx.shape_inference.infer_shapes (strict mode, data propagation) and writes a .dl function
whose result types are the inferred ones, with CHECK lines for them. Where ONNX's inference
leaves a dim unknown (or gives no shape at all) for a case the result size of which is known
at compile time, the case gives `numpy=`: a function computing the output shapes with the ONNX
reference implementation or numpy, run for several values of the symbolic dims; a dim that is
the same for all of them is taken as static, one that varies keeps its name if it always
equals that symbolic dim and is dynamic otherwise (`numpy_outputs` limits this to some outputs).
Where ONNX's inference is wrong, `expect=` gives the types of a conformance reference output
and `why=` says which (it becomes a comment in the test).

Run with the python that has onnx (Debian's /usr/bin/python3) after changing the cases:
    /usr/bin/python3 tests/ir/graph/gen_infer_struct_tests.py
"""
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import onnx
from onnx import TensorProto, helper, shape_inference
from onnx.backend.test.case.node.onehot import one_hot

HERE = os.path.dirname(os.path.abspath(__file__))

DL_TYPES = {
    np.float32: ("f32", TensorProto.FLOAT),
    np.float64: ("f64", TensorProto.DOUBLE),
    np.float16: ("f16", TensorProto.FLOAT16),
    np.int64: ("i64", TensorProto.INT64),
    np.int32: ("i32", TensorProto.INT32),
    np.int8: ("i8", TensorProto.INT8),
    np.uint8: ("u8", TensorProto.UINT8),
    np.bool_: ("i1", TensorProto.BOOL),
}
ONNX_TO_DL = {code: name for name, code in DL_TYPES.values()}
NAME_TO_ONNX = {name: code for name, code in DL_TYPES.values()}


class T:
    """A graph input: shape entries are ints, None (dynamic) or strings (symbolic)."""

    def __init__(self, shape, elem="f32"):
        self.shape, self.elem = list(shape), elem


class C:
    """A constant operand."""

    def __init__(self, value, dtype=np.int64):
        self.value = np.array(value, dtype=dtype)


NONE = "none"


def dl_tensor(shape, elem):
    dims = []
    for d in shape:
        if d is None:
            dims.append("?")
        elif isinstance(d, str):
            dims.append("{%s}" % d)
        else:
            dims.append(str(d))
    return "tensor<" + "".join(x + "x" for x in dims) + elem + ">"


def dl_type_of(v):
    if isinstance(v, T):
        return dl_tensor(v.shape, v.elem)
    if isinstance(v, C):
        return dl_tensor(v.value.shape, DL_TYPES[v.value.dtype.type][0])
    return "none"


def dl_scalar(x, elem):
    if elem == "i1":
        return "true" if x else "false"
    if elem.startswith("f"):
        return repr(float(x))
    return str(int(x))


def dl_dense(c):
    elem = DL_TYPES[c.value.dtype.type][0]
    flat = c.value.reshape(-1)
    if c.value.ndim == 0:
        body = dl_scalar(flat[0], elem)
    else:
        body = "[" + ", ".join(dl_scalar(x, elem) for x in flat) + "]"
    return "dense<%s> : %s" % (body, dl_type_of(c))


def dl_attr(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return '"%s"' % v
    if isinstance(v, C):
        return dl_dense(v)
    if isinstance(v, list):
        return "[" + ", ".join(dl_attr(x) for x in v) + "]"
    raise TypeError(v)


def onnx_attr(v):
    if isinstance(v, C):
        return helper.make_tensor("value", DL_TYPES[v.value.dtype.type][1], v.value.shape,
                                  v.value.reshape(-1).tolist())
    return v


def type_from_proto(tp):
    tt = tp.tensor_type
    if not tt.HasField("shape"):
        return None, ONNX_TO_DL[tt.elem_type]
    shape = []
    for d in tt.shape.dim:
        if d.HasField("dim_value"):
            shape.append(d.dim_value)
        elif d.HasField("dim_param") and not d.dim_param.startswith("unk__"):
            shape.append(d.dim_param)
        else:
            shape.append(None)
    return shape, ONNX_TO_DL[tt.elem_type]


def build_model(op, operands, attrs, nout, opset):
    nodes, inputs, names = [], [], []
    for i, v in enumerate(operands):
        name = "in%d" % i
        if isinstance(v, T):
            inputs.append(helper.make_tensor_value_info(name, NAME_TO_ONNX[v.elem], v.shape))
        elif isinstance(v, C):
            nodes.append(helper.make_node("Constant", [], [name], value=onnx_attr(v)))
        else:
            name = ""
        names.append(name)
    outs = ["out%d" % i for i in range(nout)]
    onnx_attrs = {k: onnx_attr(v) for k, v in attrs.items()}
    nodes.append(helper.make_node(op, names, outs, **onnx_attrs))
    graph = helper.make_graph(nodes, "g", inputs,
                              [helper.make_empty_tensor_value_info(o) for o in outs])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), outs


def onnx_infer(op, operands, attrs, nout, opset):
    model, outs = build_model(op, operands, attrs, nout, opset)
    model = shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    found = {vi.name: vi.type for vi in list(model.graph.output) + list(model.graph.value_info)}
    return [type_from_proto(found[o]) for o in outs]


def numpy_refine(types, operands, fn, syms, only=None):
    """Replaces dims ONNX left unknown by what the numpy reference gives for several values
    of the symbolic dims."""
    trials = [dict(zip(syms, vals)) for vals in ([2] * len(syms), [3] * len(syms),
                                                 [5 + i for i in range(len(syms))])]
    results = []
    for env in trials:
        arrays = []
        for v in operands:
            if isinstance(v, T):
                shape = [env[d] if isinstance(d, str) else d for d in v.shape]
                arrays.append(np.zeros(shape, dtype=np.float32))
            elif isinstance(v, C):
                arrays.append(v.value)
            else:
                arrays.append(None)
        results.append((env, fn(*arrays)))
    refined = []
    for k, (shape, elem) in enumerate(types):
        if only is not None and k not in only:
            refined.append((shape, elem))
            continue
        if shape is None:
            shape = [None] * len(results[0][1][k])
        new = []
        for i, d in enumerate(shape):
            vals = [r[1][k][i] for r in results]
            if d is not None:
                new.append(d)
            elif all(x == vals[0] for x in vals):
                new.append(int(vals[0]))
            else:
                named = [s for s in syms if all(r[0][s] == x for r, x in zip(results, vals))]
                new.append(named[0] if named else None)
        refined.append((new, elem))
    return refined


def emit_case(out, case):
    name, op, operands, attrs = case["name"], case["op"], case["operands"], case["attrs"]
    nout = case.get("nout", 1)
    try:
        types = onnx_infer(op, operands, attrs, nout, case.get("opset", 17))
    except Exception as e:
        raise SystemExit("case %s: %s" % (name, e))
    if "expect" in case:
        types = case["expect"]
    if "numpy" in case:
        types = numpy_refine(types, operands, case["numpy"], case.get("syms", []),
                             case.get("numpy_outputs"))
    if any(shape is None for shape, _ in types):
        raise SystemExit("case %s: ONNX inferred no shape" % name)
    args = [(i, v) for i, v in enumerate(operands) if isinstance(v, T)]
    arg_types = ", ".join(dl_type_of(v) for _, v in args)
    res_types = [dl_tensor(s, e) for s, e in types]
    if "why" in case:
        out.extend("// " + l for l in textwrap.wrap(case["why"], 96))
    out.append("// CHECK-LABEL: sym_name = \"%s\"" % name)
    out.append("// CHECK: graph.%s(" % op)
    out.append("// CHECK-SAME: -> (%s)" % ", ".join(res_types))
    out.append("  builtin.func() {function_type = (%s) -> (), sym_name = \"%s\"} ({" %
               (arg_types, name))
    out.append("  ^bb0(%s):" % ", ".join("%%a%d: %s" % (i, dl_type_of(v)) for i, v in args))
    vals = []
    for i, v in enumerate(operands):
        if isinstance(v, C):
            out.append("    %%c%d = graph.Constant() {value = %s} : () -> (%s)" %
                       (i, dl_dense(v), dl_type_of(v)))
            vals.append("%%c%d" % i)
        elif v == NONE:
            out.append("    %%n%d = graph.None() : () -> (none)" % i)
            vals.append("%%n%d" % i)
        else:
            vals.append("%%a%d" % i)
    attr_text = ""
    if attrs:
        attr_text = " {" + ", ".join("%s = %s" % (k, dl_attr(v))
                                     for k, v in sorted(attrs.items())) + "}"
    results = ", ".join("%%r%d" % i for i in range(nout))
    out.append("    %s = graph.%s(%s)%s : (%s) -> (%s)" %
               (results, op, ", ".join(vals), attr_text,
                ", ".join(dl_type_of(v) for v in operands), ", ".join(res_types)))
    out.append("    builtin.return() : () -> ()")
    out.append("  })")


def write_suite(filename, header, cases):
    out = ["// " + header]
    out += [
        "// Expected types: onnx.shape_inference.infer_shapes (onnx %s) of the equivalent "
        "one-node" % onnx.__version__,
        "// models, completed by the ONNX/numpy reference implementation where ONNX leaves "
        "sizes",
        "// unknown; generated by gen_infer_struct_tests.py (do not edit).",
        "// RUN: dlcc-opt %s -passes=graph-infer | FileCheck %s",
        "",
        "builtin.module() ({",
    ]
    for case in cases:
        emit_case(out, case)
    out.append("})")
    with open(os.path.join(HERE, filename), "w") as f:
        f.write("\n".join(out) + "\n")


def case(name, op, operands, attrs=None, **kw):
    d = {"name": name, "op": op, "operands": operands, "attrs": attrs or {}}
    d.update(kw)
    return d


I64 = np.int64
F32 = np.float32
MAX = np.iinfo(np.int64).max
MIN = np.iinfo(np.int64).min

SHAPE_CASES = [
    case("reshape", "Reshape", [T([2, 3, 4]), C([6, -1])]),
    case("reshape_copy_zero", "Reshape", [T([2, 3, 4]), C([0, 0, 2, 2])]),
    case("reshape_allowzero", "Reshape", [T([0, 3, 4]), C([3, 4, 0])], {"allowzero": 1}),
    case("reshape_scalar", "Reshape", [T([1, 1]), C(np.zeros([0], I64))]),
    case("reshape_symbolic", "Reshape", [T(["N", 3, 4]), C([0, -1])],
         numpy=lambda x, s: [np.reshape(x, [x.shape[0], -1]).shape], syms=["N"]),
    case("reshape_dynamic_infer", "Reshape", [T(["N", 3, 4]), C([-1, 2])]),
    case("reshape_shape_input", "Reshape", [T([2, 3, 4]), T([3], "i64")],
         expect=[([None, None, None], "f32")],
         why="ONNX infers no shape; the Reshape spec makes the output rank the length of "
         "'shape' (3), the sizes come from its values at run time."),
    case("flatten", "Flatten", [T([2, 3, 4, 5])], {"axis": 2}),
    case("flatten_axis0", "Flatten", [T([2, 3, 4])], {"axis": 0}),
    case("flatten_negative", "Flatten", [T(["N", 3, 4])], {"axis": -2}),
    case("flatten_symbolic", "Flatten", [T(["N", 3, 4])], {"axis": 1}),
    case("transpose_default", "Transpose", [T(["N", 3, 4])]),
    case("transpose_perm", "Transpose", [T([2, 3, 4, 5])], {"perm": [0, 2, 3, 1]}),
    case("squeeze_axes", "Squeeze", [T([1, 3, 1, 5]), C([0, -2])]),
    case("squeeze_all", "Squeeze", [T([1, 3, 1, 5])]),
    case("squeeze_symbolic", "Squeeze", [T(["N", 1, 4]), C([1])]),
    case("unsqueeze", "Unsqueeze", [T([3, 4]), C([0, 3])]),
    case("unsqueeze_negative", "Unsqueeze", [T(["N", 4]), C([-1, 1])]),
    case("concat", "Concat", [T([2, 3]), T([2, 5]), T([2, 1])], {"axis": 1}),
    case("concat_symbolic", "Concat", [T(["N", 3]), T(["N", 3])], {"axis": -1}),
    case("concat_dynamic", "Concat", [T([None, 3]), T([4, 3])], {"axis": 0}),
    case("split_equal", "Split", [T([6, 4])], {"axis": 0}, nout=3),
    case("split_sizes", "Split", [T([2, 10]), C([3, 7])], {"axis": -1}, nout=2),
    case("split_symbolic", "Split", [T(["N", 8])], {"axis": 1}, nout=2),
    case("slice", "Slice", [T([20, 10, 5]), C([0, 0]), C([3, 10]), C([0, 1]), C([1, 1])]),
    case("slice_negative", "Slice", [T([20, 10, 5]), C([-3]), C([-1]), C([1])]),
    case("slice_clamp", "Slice", [T([20, 10, 5]), C([1, -1000]), C([1000, 1000])]),
    case("slice_step", "Slice", [T([20, 10, 5]), C([0]), C([20]), C([0]), C([3])]),
    case("slice_reverse", "Slice", [T([20, 10, 5]), C([-1]), C([MIN]), C([1]), C([-1])]),
    case("slice_reverse_step", "Slice", [T([20, 10, 5]), C([8]), C([1]), C([1]), C([-3])]),
    case("slice_empty", "Slice", [T([20, 10, 5]), C([5]), C([2]), C([0])]),
    case("slice_symbolic", "Slice", [T(["N", 10]), C([1]), C([5]), C([1])]),
    case("slice_default_axes", "Slice",
         [T([20, 10, 5]), C([1, 2]), C([MAX, 4]), NONE, C([2, 1])]),
    case("pad", "Pad", [T([1, 3, 4, 5]), C([0, 0, 1, 2, 0, 0, 3, 4])], {"mode": "constant"}),
    case("pad_crop", "Pad", [T([4, 5]), C([-1, 2, 0, -3])], {"mode": "edge"}),
    case("pad_value", "Pad", [T(["N", 5]), C([0, 1, 0, 1]), C(1.5, F32)], {"mode": "reflect"}),
    case("expand", "Expand", [T([3, 1]), C([2, 1, 6])]),
    case("expand_ones", "Expand", [T([3, 4]), C([1, 1])]),
    case("expand_symbolic", "Expand", [T(["N", 1]), C([1, 5])]),
    case("tile", "Tile", [T([2, 3]), C([3, 2])]),
    case("shape", "Shape", [T([2, 3, 4])]),
    case("shape_start_end", "Shape", [T([2, 3, 4, 5])], {"start": 1, "end": -1}),
    case("shape_clamped", "Shape", [T([2, 3, 4])], {"start": -10, "end": 10}),
    case("size", "Size", [T([2, 3, 4])]),
    case("constant_of_shape", "ConstantOfShape", [C([2, 3])], {"value": C([1], np.int32)}),
    case("constant_of_shape_default", "ConstantOfShape", [C([4])]),
    case("constant_of_shape_scalar", "ConstantOfShape", [C(np.zeros([0], I64))]),
    case("range_int", "Range", [C(1), C(10), C(3)]),
    case("range_negative", "Range", [C(10, np.int32), C(1, np.int32), C(-3, np.int32)]),
    case("range_float", "Range", [C(0.5, F32), C(2.0, F32), C(0.25, F32)]),
    case("range_empty", "Range", [C(5), C(1), C(1)]),
    case("range_dynamic", "Range", [T([], "i64"), C(10), C(1)]),
    case("eye_like", "EyeLike", [T([3, 4])], {"k": 1}),
    case("eye_like_dtype", "EyeLike", [T([3, 3], "i32")], {"dtype": 1}),
    case("trilu", "Trilu", [T([2, 3, 4]), C(1)]),
    case("depth_to_space", "DepthToSpace", [T([1, 8, 2, 3])], {"blocksize": 2, "mode": "CRD"}),
    case("space_to_depth", "SpaceToDepth", [T([1, 2, 4, 6])], {"blocksize": 2}),
    case("resize_scales", "Resize", [T([1, 1, 4, 4]), NONE, C([1, 1, 2, 1.5], F32)],
         {"mode": "nearest"}),
    case("resize_downscale", "Resize", [T([1, 1, 2, 4]), C([], F32), C([1, 1, 0.6, 0.6], F32)],
         {"mode": "linear"}),
    case("resize_sizes", "Resize", [T([1, 1, 4, 4]), NONE, NONE, C([1, 1, 3, 2])],
         {"mode": "cubic"}),
    case("resize_symbolic", "Resize", [T(["N", 3, 4, 4]), NONE, C([1, 1, 2, 2], F32)],
         numpy=lambda x, roi, sc: [(np.array(x.shape) * sc).astype(int)], syms=["N"]),
    case("upsample", "Upsample", [T([1, 1, 2, 2]), C([1, 1, 2, 3], F32)], {"mode": "nearest"},
         opset=9),
]


def unique_shapes(**kw):
    return lambda x: [a.shape for a in np.unique(x, return_index=True, return_inverse=True,
                                                 return_counts=True, **kw)]


INDEX_CASES = [
    case("gather", "Gather", [T([5, 4, 3]), T([2, 6], "i64")], {"axis": 1}),
    case("gather_scalar_index", "Gather", [T(["N", 4]), C(2)], {"axis": -1}),
    case("gather_elements", "GatherElements", [T([3, 4]), T([2, 4], "i64")], {"axis": 0}),
    case("gather_nd", "GatherND", [T([2, 3, 4]), T([5, 2], "i64")]),
    case("gather_nd_full", "GatherND", [T([2, 3]), T([4, 2], "i64")]),
    case("gather_nd_batch", "GatherND", [T([2, 3, 4]), T([2, 1], "i64")], {"batch_dims": 1}),
    case("scatter", "Scatter", [T([3, 3]), T([2, 3], "i64"), T([2, 3])], {"axis": 1},
         opset=10),
    case("scatter_elements", "ScatterElements", [T(["N", 5]), T([1, 2], "i64"), T([1, 2])],
         {"axis": 1, "reduction": "add"}),
    case("scatter_nd", "ScatterND", [T([4, 4, 4]), T([2, 1], "i64"), T([2, 4, 4])]),
    case("one_hot", "OneHot", [T([2, 3], "i64"), C(5), C([0, 1], F32)],
         numpy=lambda i, d, v: [one_hot(i, d).shape]),
    case("one_hot_axis", "OneHot", [T([2, 3], "i64"), C(4.0, F32), C([0, 1], np.int32)],
         {"axis": 1}, numpy=lambda i, d, v: [one_hot(i, d, axis=1).shape]),
    case("one_hot_dynamic", "OneHot", [T([2], "i64"), T([], "i64"), C([0, 1], F32)],
         {"axis": 0}),
    case("top_k", "TopK", [T([3, 10]), C([4])], {"axis": 1}, nout=2),
    case("top_k_axis0", "TopK", [T([5, "N"]), C([2])], {"axis": 0, "largest": 0}, nout=2),
    case("non_zero", "NonZero", [T([2, 3])]),
    case("non_zero_constant", "NonZero", [C([[1, 0, 2], [0, 0, 3]], np.int32)],
         numpy=lambda x: [np.array(np.nonzero(x)).shape]),
    case("compress_axis", "Compress", [T([3, 4]), C([1, 0, 1], np.bool_)], {"axis": 0},
         numpy=lambda x, c: [np.compress(c, x, axis=0).shape]),
    case("compress_short", "Compress", [T([3, 4]), C([0, 1], np.bool_)], {"axis": 1},
         numpy=lambda x, c: [np.compress(c, x, axis=1).shape]),
    case("compress_flat", "Compress", [T([2, 3]), C([1, 1, 0, 1], np.bool_)],
         numpy=lambda x, c: [np.compress(c, x).shape]),
    case("compress_dynamic", "Compress", [T([3, 4]), T([3], "i1")], {"axis": 0},
         expect=[([None, 4], "f32")],
         why="ONNX infers no shape; Compress along axis 0 keeps the other dims (spec: like "
         "numpy.compress) and selects a data-dependent number of rows."),
    case("top_k_dynamic", "TopK", [T([3, 10]), T([1], "i64")], nout=2,
         expect=[([3, None], "f32"), ([3, None], "i64")],
         why="ONNX leaves both dims unknown; the TopK spec gives outputs "
         "[a_1, ..., k, ..., a_n]: the first dim stays 3, k is not a constant."),
    case("unique", "Unique", [T([6])], nout=4, numpy_outputs=[2], numpy=unique_shapes()),
    case("unique_axis", "Unique", [T([2, 4, 2])], {"axis": 1}, nout=4, numpy_outputs=[2],
         numpy=unique_shapes(axis=1)),
    case("unique_constant", "Unique", [C([2, 1, 1, 3, 4, 3], F32)], nout=4,
         numpy=unique_shapes()),
    case("unique_constant_axis", "Unique", [C([[1, 0, 0], [1, 0, 0], [2, 3, 4]], np.int64)],
         {"axis": 0, "sorted": 1}, nout=4, numpy=unique_shapes(axis=0)),
    case("reverse_sequence", "ReverseSequence", [T([4, 3, 2]), T([3], "i64")],
         {"batch_axis": 1, "time_axis": 0}),
    case("non_max_suppression", "NonMaxSuppression",
         [T([1, 6, 4]), T([1, 1, 6]), C([3]), C([0.5], F32), C([0.0], F32)]),
]

MISC_CASES = [
    case("dft", "DFT", [T([3, 8, 1])], {"axis": 1}),
    case("dft_length", "DFT", [T([3, 8, 2]), C(10)], {"axis": 1}),
    case("dft_onesided", "DFT", [T([3, 8, 6, 1])], {"axis": 2, "onesided": 1}),
    case("dft_inverse", "DFT", [T(["N", 5, 2])], {"inverse": 1}),
    case("stft_window", "STFT", [T([1, 128, 1]), C(8), T([16])],
         expect=[([1, 15, 9, 2], "f32")],
         why="ONNX 1.12 infers 16 bins here, ignoring onesided; the reference output "
         "node/test_stft_with_window/output_0.pb is 1x15x9x2."),
    case("stft_frame_length", "STFT", [T([2, 100, 2]), C(10), NONE, C(20)], {"onesided": 0}),
    case("blackman_window", "BlackmanWindow", [C(10)]),
    case("hamming_window", "HammingWindow", [C(10, np.int32)], {"output_datatype": 11}),
    case("hann_window", "HannWindow", [C(7)], {"periodic": 0}),
    case("mel_weight_matrix", "MelWeightMatrix",
         [C(8), C(16), C(8192), C(0.0, F32), C(4096.0, F32)]),
    case("det", "Det", [T([2, 3, 3])]),
    case("det_matrix", "Det", [T([4, 4])]),
    case("tfidf_vectorizer", "TfIdfVectorizer", [T([2, 6], "i32")],
         {"mode": "TF", "min_gram_length": 2, "max_gram_length": 2, "max_skip_count": 0,
          "ngram_counts": [0, 4], "ngram_indexes": [0, 1, 2, 3, 4, 5, 6],
          "pool_int64s": [2, 3, 5, 4, 5, 6, 7, 8, 6, 7]}),
    case("random_normal", "RandomNormal", [], {"shape": [2, 3], "dtype": 11}),
    case("random_uniform", "RandomUniform", [], {"shape": [4]}),
    case("multinomial", "Multinomial", [T([3, 10])], {"sample_size": 5}),
]

# ---- Error cases ------------------------------------------------------------------------------
#
# Invalid or hostile single-node cases: dlcc must report the given error at load. Each case notes
# whether onnx.shape_inference.infer_shapes (strict mode) rejects the equivalent model too.

def err(op, operands, attrs, msg, nout=1, opset=17):
    return {"op": op, "operands": operands, "attrs": attrs or {}, "msg": msg, "nout": nout,
            "opset": opset}


INFER_SCRIPT = """
import sys, onnx
from onnx import shape_inference
m = onnx.load_model_from_string(sys.stdin.buffer.read())
try:
    shape_inference.infer_shapes(m, strict_mode=True, data_prop=True)
except Exception as e:
    print((str(e).strip().splitlines() or [type(e).__name__])[0][:150])
    sys.exit(1)
"""


def onnx_verdict(case):
    """Runs ONNX's inference in a child process (it crashes on some hostile values)."""
    model, _ = build_model(case["op"], case["operands"], case["attrs"], case["nout"],
                           case["opset"])
    r = subprocess.run([sys.executable, "-c", INFER_SCRIPT], input=model.SerializeToString(),
                       capture_output=True)
    if r.returncode == 1:
        return "onnx rejects it too: " + r.stdout.decode().strip()
    if r.returncode != 0:
        return "onnx 1.12's inference crashes on it (status %d)" % r.returncode
    return "onnx 1.12 accepts it (its inference does not check this)"


def write_error_suite(filename, header, cases):
    out = ["// " + header,
           "// Each case says whether onnx.shape_inference.infer_shapes (strict mode) rejects "
           "the",
           "// equivalent model too. Generated by gen_infer_struct_tests.py (do not edit).",
           "// RUN: dlcc-opt %s -split-input-file -verify-diagnostics"]
    for k, case in enumerate(cases):
        if k:
            out.append("")
            out.append("// -----")
        out.append("// " + onnx_verdict(case))
        operands = case["operands"]
        args = [(i, v) for i, v in enumerate(operands) if isinstance(v, T)]
        out.append("builtin.module() ({")
        out.append("  builtin.func() {function_type = (%s) -> (), sym_name = \"f\"} ({" %
                   ", ".join(dl_type_of(v) for _, v in args))
        out.append("  ^bb0(%s):" % ", ".join("%%a%d: %s" % (i, dl_type_of(v)) for i, v in args))
        vals = []
        for i, v in enumerate(operands):
            if isinstance(v, C):
                out.append("    %%c%d = graph.Constant() {value = %s} : () -> (%s)" %
                           (i, dl_dense(v), dl_type_of(v)))
                vals.append("%%c%d" % i)
            elif v == NONE:
                out.append("    %%n%d = graph.None() : () -> (none)" % i)
                vals.append("%%n%d" % i)
            else:
                vals.append("%%a%d" % i)
        attr_text = ""
        if case["attrs"]:
            attr_text = " {" + ", ".join("%s = %s" % (k2, dl_attr(v))
                                         for k2, v in sorted(case["attrs"].items())) + "}"
        nout = case["nout"]
        out.append("    %s = graph.%s(%s)%s : (%s) -> (%s) // expected-error {{%s}}" %
                   (", ".join("%%r%d" % i for i in range(nout)), case["op"], ", ".join(vals),
                    attr_text, ", ".join(dl_type_of(v) for v in operands),
                    ", ".join(["tensor<f32>"] * nout), case["msg"]))
        out.append("    builtin.return() : () -> ()")
        out.append("  })")
        out.append("})")
    with open(os.path.join(HERE, filename), "w") as f:
        f.write("\n".join(out) + "\n")


BIG = 1 << 40

SHAPE_ERRORS = [
    err("Reshape", [T([2, 3, 4]), C([5, -1])], None,
        "cannot infer the -1 entry of 'shape': 24 elements are not a multiple of 5"),
    err("Reshape", [T([2, 3, 4]), C([0, 5, -1])], None,
        "cannot infer the -1 entry of 'shape': 12 elements (besides the copied dims) are not a "
        "multiple of 5"),
    err("Reshape", [T([2, 3, 4]), C([-1, -1])], None, "'shape' has more than one -1 entry"),
    err("Reshape", [T([2, 3, 4]), C([2, -3, 4])], None,
        "'shape'[1] is -3; entries must be -1 or more"),
    err("Reshape", [T([2, 3, 4]), C([5, 5])], None,
        "'shape' gives 25 elements but the input has 24"),
    err("Reshape", [T([2, 3]), C([1, 6, 0])], None,
        "'shape'[2] is 0 (copy the input dim) but the input has rank 2"),
    err("Reshape", [T([2, 3]), C([BIG, BIG, BIG])], None,
        "the element count overflows (more than 2^62)"),
    err("Reshape", [T([2, 3]), C([1] * 40)], None,
        "'shape' has 40 values, more than the supported 32"),
    err("Reshape", [T([2, 3]), T([None], "i64")], None,
        "cannot infer the result rank: 'shape' is not a constant and its length is dynamic"),
    err("Flatten", [T([2, 3])], {"axis": 3}, "'axis' 3 is out of range [-2, 2]"),
    # (Transpose's perm is checked by the graph verifier before inference)
    err("Transpose", [T([2, 3, 4])], {"perm": [0, 0, 1]}, "'perm' is not a permutation"),
    err("Transpose", [T([2, 3, 4])], {"perm": [1, 0]}, "'perm' has 2 entries for rank 3"),
    err("Squeeze", [T([2, 1]), C([0])], None, "cannot squeeze axis 0: its size is 2, not 1"),
    err("Squeeze", [T([2, None])], None,
        "cannot infer the result rank: 'axes' is absent and dimension 1 is dynamic"),
    err("Unsqueeze", [T([2, 3]), C([1, 1])], None, "'axes' lists axis 1 twice"),
    err("Unsqueeze", [T([2, 3]), C([4])], None, "'axes' has axis 4, out of range for rank 3"),
    err("Unsqueeze", [T([1] * 30), C([0, 1, 2, 3])], None,
        "the result rank 34 exceeds the supported 32"),
    err("Concat", [T([2, 3]), T([3, 3])], {"axis": 1},
        "operand 1 has size 3 in dimension 0, but operand 0 has 2"),
    err("Concat", [T([2, 3]), T([2, 3, 1])], {"axis": 0},
        "operand 1 has rank 3, but operand 0 has rank 2"),
    err("Concat", [T([2, 3])], {"axis": 2}, "axis 2 is out of range for rank 2"),
    err("Split", [T([5, 4])], {"axis": 0},
        "dimension 0 of size 5 cannot be split into 2 equal parts", nout=2),
    err("Split", [T([5, 4]), C([2, 2])], {"axis": 0},
        "'split' sums to 4 but dimension 0 has size 5", nout=2),
    err("Split", [T([5, 4]), C([2, 2, 1])], {"axis": 0},
        "'split' has 3 entries for 2 results", nout=2),
    err("Slice", [T([5, 4]), C([0]), C([2]), C([0]), C([0])], None, "'steps'[0] is 0"),
    err("Slice", [T([5, 4]), C([0, 0]), C([2])], None,
        "'starts', 'ends', 'axes' and 'steps' must have the same length"),
    err("Slice", [T([5, 4]), C([0, 0]), C([2, 2]), C([1, -1])], None, "'axes' lists axis 1 twice"),
    err("Pad", [T([4, 5]), C([0, 0, 0])], {"mode": "constant"},
        "'pads' has 3 entries; expected 4 (2 per padded axis)"),
    err("Pad", [T([4, 5]), C([-3, 0, -3, 0])], {"mode": "constant"},
        "'pads' crop axis 0 of size 4 to a negative size"),
    err("Pad", [T([4, 5]), C([0, 0, 0, 0])], {"mode": "mirror"},
        "unknown 'mode' \"mirror\" (expected constant, reflect, edge or wrap)"),
    err("Expand", [T([3, 2]), C([4])], None,
        "operands cannot be broadcast together: dimension 1 has sizes 2 and 4"),
    err("Expand", [T([3, 1]), C([3, -4])], None, "'shape'[1] is negative (-4)"),
    err("Tile", [T([3, 2]), C([2])], None, "'repeats' has 1 entries for an input of rank 2"),
    err("Tile", [T([3, 2]), C([BIG, BIG])], None, "the result has more than 2^62 elements"),
    err("Tile", [T([3, 2]), C([1 << 62, 1])], None, "the element count overflows (more than 2^62)"),
    err("ConstantOfShape", [C([3, -1])], None, "the shape operand has a negative entry -1 at 1"),
    err("ConstantOfShape", [C([BIG, BIG, BIG])], None, "the result has more than 2^62 elements"),
    err("Range", [C(0), C(10), C(0)], None, "'delta' is zero"),
    err("Range", [C(0.0, F32), C(1e30, F32), C(1e-30, F32)], None,
        "the number of elements is not finite or too large"),
    err("EyeLike", [T([3, 3, 3])], None, "the input must be 2-D, got rank 3"),
    err("DepthToSpace", [T([1, 6, 2, 2])], {"blocksize": 2},
        "dimension 1 (6) is not a multiple of 4"),
    err("SpaceToDepth", [T([1, 1, 3, 4])], {"blocksize": 2},
        "dimension 2 (3) is not a multiple of 2"),
    err("DepthToSpace", [T([1, 4, 2, 2])], {"blocksize": -2}, "'blocksize' -2 is out of range"),
    err("Resize", [T([1, 1, 4, 4]), NONE, C([1, 2], F32)], None,
        "'scales' has 2 entries; expected 4"),
    err("Resize", [T([1, 1, 4, 4]), NONE, C([1, 1, 2, 2], F32), C([1, 1, 8, 8])], None,
        "only one of 'scales' and 'sizes' may be given"),
    err("Resize", [T([1, 1, 4, 4]), NONE, C([1, 1, -2, 2], F32)], None,
        "'scales'[2] is out of range (-2)"),
    err("Trilu", [T([4])], None, "the input must have rank 2 or more, got 1"),
]

INDEX_ERRORS = [
    err("Gather", [T([5, 4]), T([2], "i64")], {"axis": 2}, "axis 2 is out of range for rank 2"),
    err("Gather", [T([1] * 20), T([1] * 14, "i64")], None,
        "the result rank exceeds the supported 32"),
    err("GatherElements", [T([5, 4]), T([2], "i64")], None,
        "'indices' has rank 1 but 'data' has rank 2"),
    err("GatherND", [T([2, 3]), T([4, 3], "i64")], None,
        "the last dimension of 'indices' is 3; expected 1 to 2"),
    err("GatherND", [T([2, 3]), T([2, 1], "i64")], {"batch_dims": 2},
        "'batch_dims' 2 must be in [0, min(rank(data), rank(indices)) = 2)"),
    err("ScatterElements", [T([3, 3]), T([2], "i64"), T([2])], None,
        "'indices' (rank 1) and 'updates' (rank 1) must have the rank of 'data' (2)"),
    err("ScatterElements", [T([3, 3]), T([1, 2], "i64"), T([1, 2])], {"reduction": "avg"},
        "unknown 'reduction' \"avg\" (expected none, add, mul, max or min)"),
    err("ScatterND", [T([4, 4]), T([2, 1], "i64"), T([2, 4, 4])], None,
        "'updates' has rank 3; expected 2"),
    err("OneHot", [T([3], "i64"), C(-2), C([0, 1], F32)], None, "'depth' must be positive, got -2"),
    err("OneHot", [T([3], "i64"), C(4), C([0, 1, 2], F32)], None,
        "'values' must be a 1-D tensor of 2 elements [off, on]"),
    err("OneHot", [T([3], "i64"), C(1 << 61), C([0, 1], I64)], None,
        "the result has more than 2^62 elements"),
    err("TopK", [T([3, 4]), C([5])], None, "'K' (5) exceeds the size 4 of axis 1", nout=2),
    err("TopK", [T([3, 4]), C([-1])], None, "'K' must not be negative, got -1", nout=2),
    err("Compress", [T([3, 4]), C([[1, 0]], np.bool_)], {"axis": 0},
        "'condition' must be 1-D, got rank 2"),
    err("Compress", [T([2, 4]), C([1, 0, 1], np.bool_)], {"axis": 0},
        "'condition' selects index 2 or beyond, past the size 2"),
    err("Unique", [T([2, 4])], {"axis": -3}, "axis -3 is out of range for rank 2", nout=4),
    err("ReverseSequence", [T([4, 3]), T([3], "i64")], {"batch_axis": 1, "time_axis": 1},
        "'time_axis' and 'batch_axis' must be 0 and 1 in some order"),
]

MISC_ERRORS = [
    err("DFT", [T([3, 8, 3])], None,
        "the last input dimension must be 1 (real) or 2 (complex), got 3"),
    err("DFT", [T([3, 8, 1])], {"axis": 2},
        "'axis' must not be the last (real/imaginary) dimension"),
    err("STFT", [T([1, 16, 1]), C(4)], None, "needs 'window' or 'frame_length'"),
    err("STFT", [T([1, 16, 1]), C(4), NONE, C(32)], None,
        "the frame length 32 exceeds the signal length 16"),
    err("HannWindow", [C(-4)], None, "'size' is out of range (-4)"),
    err("BlackmanWindow", [C(4)], {"output_datatype": 8},
        "'output_datatype' 8 is not a supported type"),
    err("Det", [T([3, 4])], None, "the matrices must be square, got 3x4"),
    err("RandomNormal", [], {"shape": [2, -3]}, "dimension 1 has negative size -3"),
    err("RandomUniform", [], {"shape": [2], "dtype": 7},
        "'dtype' must be a floating-point type, got i64"),
    err("Multinomial", [T([3, 4])], {"dtype": 1}, "'dtype' must be i32 or i64, got f32"),
    err("TfIdfVectorizer", [T([2, 3, 4], "i64")], {"ngram_indexes": [0], "pool_int64s": [1]},
        "the input must be 1-D or 2-D, got rank 3"),
]

SEQUENCE_ERRORS = [
    err("SequenceConstruct", [T([2, 3]), T([2])], None,
        "operand 1 (tensor<2xf32>) does not match the earlier elements (tensor<2x3xf32>): "
        "elements need one element type and rank"),
    err("SequenceConstruct", [T([2, 3]), T([2, 3], "i64")], None,
        "operand 1 (tensor<2x3xi64>) does not match the earlier elements (tensor<2x3xf32>): "
        "elements need one element type and rank"),
    err("SplitToSequence", [T([6, 4]), C([2, 2])], None,
        "'split' sums to 4 but the split dimension has size 6"),
    err("SplitToSequence", [T([6, 4]), C(0)], None, "'split' must be positive, got 0"),
]

# ---- Multi-op cases (control flow, sequences) ----------------------------------------------
#
# A graph case is an ONNX model (built by a function) and the .dl text of the same program in
# which `$name` stands for the type of ONNX value `name` as inferred by onnx.shape_inference
# (graph inputs, node outputs and subgraph values alike); `expect` overrides some of those
# types where ONNX's inference knows less than the reference outputs, with `why`.

def onnx_value_types(model):
    types = {}

    def visit(graph):
        for vi in list(graph.input) + list(graph.output) + list(graph.value_info):
            if vi.type.WhichOneof("value") is not None:
                types[vi.name] = vi.type
        for node in graph.node:
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    visit(attr.g)
    visit(model.graph)
    return types


def dl_type_from_proto(tp):
    kind = tp.WhichOneof("value")
    if kind == "tensor_type":
        shape, elem = type_from_proto(tp)
        if shape is None:
            raise ValueError("ONNX inferred no shape")
        return dl_tensor(shape, elem)
    if kind == "sequence_type":
        return "seq<%s>" % dl_type_from_proto(tp.sequence_type.elem_type)
    if kind == "optional_type":
        return dl_type_from_proto(tp.optional_type.elem_type)
    raise ValueError("unsupported type %s" % kind)


def graph_case(name, build, template, expect=None, why=None, checks=()):
    return {"name": name, "build": build, "template": template, "expect": expect or {},
            "why": why, "checks": checks}


def emit_graph_case(out, case):
    model = case["build"]()
    model = shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    found = onnx_value_types(model)
    text = case["template"]

    def type_of(m):
        key = m.group(1)
        if key in case["expect"]:
            return case["expect"][key]
        try:
            return dl_type_from_proto(found[key])
        except (KeyError, ValueError) as e:
            raise SystemExit("case %s: no type for %s (%s)" % (case["name"], key, e))
    text = re.sub(r"\$([A-Za-z_][A-Za-z0-9_]*)", type_of, text)
    if case["why"]:
        out.extend("// " + l for l in textwrap.wrap(case["why"], 96))
    out.append("// CHECK-LABEL: sym_name = \"%s\"" % case["name"])
    lines = text.splitlines()
    for value in case["checks"]:
        i = next(k for k, l in enumerate(lines) if l.strip().startswith("%" + value + " ") or
                 l.strip().startswith("%" + value + ","))
        out.append("// CHECK: %s" % lines[i].strip().split(" ({")[0].split(" : (")[0])
        if lines[i].endswith("({"):  # an op with regions: its types follow the last region
            indent = len(lines[i]) - len(lines[i].lstrip())
            i = next(k for k in range(i + 1, len(lines)) if lines[k].startswith(
                " " * indent + "})"))
            out.append("// CHECK: })")
        results = lines[i].rsplit("-> (", 1)[1].rsplit(")", 1)[0]
        out.append("// CHECK-SAME: -> (%s)" % results)
    out.append("  builtin.func() {function_type = %s, sym_name = \"%s\"} ({" %
               (text.split("\n", 1)[0], case["name"]))
    out.extend("  " + l if l else l for l in text.split("\n", 1)[1].rstrip().split("\n"))
    out.append("  })")


def model(nodes, inputs, outputs, opset=17, inits=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def tvi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def out(name):
    return helper.make_empty_tensor_value_info(name)


def const_node(name, value, dtype=np.int64):
    v = np.array(value, dtype=dtype)
    return helper.make_node("Constant", [], [name], value=helper.make_tensor(
        name, DL_TYPES[v.dtype.type][1], v.shape, v.reshape(-1).tolist()))


FLOAT, INT64, BOOL = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def if_model(then_out, else_out, cond_const=None):
    then_g = helper.make_graph([helper.make_node("Identity", [then_out], ["t"])], "then", [],
                               [out("t")])
    else_g = helper.make_graph([helper.make_node("Identity", [else_out], ["e"])], "else", [],
                               [out("e")])
    nodes = [helper.make_node("If", ["cond"], ["r"], then_branch=then_g, else_branch=else_g)]
    inputs = [tvi("a", FLOAT, [2, 3]), tvi("b", FLOAT, [2, 5]), tvi("n", FLOAT, ["N", 4])]
    if cond_const is None:
        inputs.insert(0, tvi("cond", BOOL, []))
    else:
        nodes.insert(0, const_node("cond", cond_const, np.bool_))
    return model(nodes, inputs, [out("r")])


def loop_model(with_m, with_cond, carried_grows=False):
    body_nodes = [helper.make_node("Identity", ["cond_in"], ["cond_out"])]
    if carried_grows:
        body_nodes.append(helper.make_node("Concat", ["v_in", "v_in"], ["v_out"], axis=0))
    else:
        body_nodes.append(helper.make_node("Add", ["v_in", "v_in"], ["v_out"]))
    body_nodes.append(helper.make_node("Identity", ["v_out"], ["s_out"]))
    body = helper.make_graph(body_nodes, "body",
                             [tvi("i", INT64, []), tvi("cond_in", BOOL, []),
                              tvi("v_in", FLOAT, [None] if carried_grows else [2])],
                             [out("cond_out"), out("v_out"), out("s_out")])
    nodes, inputs = [], []
    if with_m == "const":
        nodes.append(const_node("m", 5))
    elif with_m:
        inputs.append(tvi("m", INT64, []))
    if with_cond:
        inputs.append(tvi("cond", BOOL, []))
    inputs.append(tvi("v", FLOAT, [2]))
    nodes.append(helper.make_node("Loop", ["m" if with_m else "", "cond" if with_cond else "",
                                           "v"], ["r", "scan"], body=body))
    return model(nodes, inputs, [out("r"), out("scan")])


def scan_model(axes=None):
    body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "x_in"], ["s_out"]),
         helper.make_node("Identity", ["s_out"], ["y_out"])], "body",
        [tvi("s_in", FLOAT, [2]), tvi("x_in", FLOAT, [2])], [out("s_out"), out("y_out")])
    attrs = {"num_scan_inputs": 1}
    if axes:
        attrs.update(scan_input_axes=[axes[0]], scan_output_axes=[axes[1]])
    x_shape = [3, 2] if not axes else [2, 3]
    return model([helper.make_node("Scan", ["init", "x"], ["s", "y"], body=body, **attrs)],
                 [tvi("init", FLOAT, [2]), tvi("x", FLOAT, x_shape)], [out("s"), out("y")])


IF_BODY = """({
    %%t = graph.Identity(%%%s) : ($%s) -> ($t)
    graph.Yield(%%t) : ($t) -> ()
  }, {
    %%e = graph.Identity(%%%s) : ($%s) -> ($e)
    graph.Yield(%%e) : ($e) -> ()
  })"""

CONTROL_CASES = [
    graph_case("if_merge", lambda: if_model("a", "b"), """(tensor<i1>, $a, $b, $n) -> ()
^bb0(%cond: tensor<i1>, %a: $a, %b: $b, %n: $n):
  %r = graph.If(%cond) """ + IF_BODY % ("a", "a", "b", "b") + """ : (tensor<i1>) -> ($r)
  builtin.return() : () -> ()""", checks=["r"]),
    graph_case("if_same", lambda: if_model("n", "n"), """(tensor<i1>, $a, $b, $n) -> ()
^bb0(%cond: tensor<i1>, %a: $a, %b: $b, %n: $n):
  %r = graph.If(%cond) """ + IF_BODY % ("n", "n", "n", "n") + """ : (tensor<i1>) -> ($r)
  builtin.return() : () -> ()""", checks=["r"]),
    graph_case("if_constant_condition", lambda: if_model("a", "b", cond_const=True),
               """($a, $b, $n) -> ()
^bb0(%a: $a, %b: $b, %n: $n):
  %cond = graph.Constant() {value = dense<true> : tensor<i1>} : () -> (tensor<i1>)
  %r = graph.If(%cond) """ + IF_BODY % ("a", "a", "b", "b") + """ : (tensor<i1>) -> ($r)
  builtin.return() : () -> ()""", expect={"r": "tensor<2x3xf32>"},
               why="ONNX merges both branches; with a constant true condition only then_branch "
               "runs (If spec), so the result is its 2x3.", checks=["r"]),
]


def loop_text(m, cond, v_in="$v_in", v_out="$v_out"):
    m_def = {"const": "  %m = graph.Constant() {value = dense<5> : tensor<i64>} : () -> "
                      "(tensor<i64>)\n",
             "none": "  %m = graph.None() : () -> (none)\n", "arg": ""}[m]
    c_def = "  %cond = graph.None() : () -> (none)\n" if cond == "none" else ""
    args = (["%m: tensor<i64>"] if m == "arg" else []) + \
           (["%cond: tensor<i1>"] if cond == "arg" else []) + ["%v: $v"]
    sig = ", ".join(a.split(": ")[1] for a in args)
    m_t = "none" if m == "none" else "tensor<i64>"
    c_t = "none" if cond == "none" else "tensor<i1>"
    concat = v_out != "$v_out"
    body_op = ("graph.Concat(%%v_in, %%v_in) {axis = 0} : (%s, %s) -> (%s)" if concat else
               "graph.Add(%%v_in, %%v_in) : (%s, %s) -> (%s)") % (v_in, v_in, v_out)
    return """(%s) -> ()
^bb0(%s):
%s%s  %%r, %%scan = graph.Loop(%%m, %%cond, %%v) ({
  ^bb0(%%i: tensor<i64>, %%cond_in: tensor<i1>, %%v_in: %s):
    %%v_out = %s
    graph.Yield(%%cond_in, %%v_out, %%v_out) : (tensor<i1>, %s, %s) -> ()
  }) : (%s, %s, $v) -> ($r, $scan)
  builtin.return() : () -> ()""" % (sig, ", ".join(args), m_def, c_def, v_in, body_op, v_out,
                                    v_out, m_t, c_t)


CONTROL_CASES += [
    graph_case("loop_constant_trip_count", lambda: loop_model("const", False),
               loop_text("const", "none"),
               expect={"scan": "tensor<5x2xf32>", "r": "tensor<2xf32>"},
               why="ONNX gives no shape for loop-carried results and an unknown iteration count; "
               "the body keeps v at 2 elements (as node/test_loop11's reference res_y keeps its "
               "initial shape) and with the constant M = 5 and no condition the loop runs 5 "
               "times (Loop spec, 'input (trip_count, \"\")').", checks=["r"]),
    graph_case("loop_dynamic_trip_count", lambda: loop_model(True, True),
               loop_text("arg", "arg"), expect={"r": "tensor<2xf32>"},
               why="ONNX gives no shape for loop-carried results; the body keeps v at 2 "
               "elements, as in node/test_loop11's reference.", checks=["r"]),
    graph_case("loop_carried_grows", lambda: loop_model(True, True, carried_grows=True),
               loop_text("arg", "arg", v_in="tensor<?xf32>", v_out="tensor<?xf32>"),
               expect={"r": "tensor<?xf32>"},
               why="ONNX gives no shape for loop-carried results; v doubles in every iteration, "
               "so its final size depends on the iteration count.", checks=["r"]),
    graph_case("scan", lambda: scan_model(), """($init, $x) -> ()
^bb0(%init: $init, %x: $x):
  %s, %y = graph.Scan(%init, %x) {num_scan_inputs = 1} ({
  ^bb0(%s_in: $s_in, %x_in: $x_in):
    %s_out = graph.Add(%s_in, %x_in) : ($s_in, $x_in) -> ($s_out)
    graph.Yield(%s_out, %s_out) : ($s_out, $s_out) -> ()
  }) : ($init, $x) -> ($s, $y)
  builtin.return() : () -> ()""", checks=["s"]),
    graph_case("scan_axes", lambda: scan_model(axes=(1, 1)), """($init, $x) -> ()
^bb0(%init: $init, %x: $x):
  %s, %y = graph.Scan(%init, %x) {num_scan_inputs = 1, scan_input_axes = [1], scan_output_axes = [1]} ({
  ^bb0(%s_in: $s_in, %x_in: $x_in):
    %s_out = graph.Add(%s_in, %x_in) : ($s_in, $x_in) -> ($s_out)
    graph.Yield(%s_out, %s_out) : ($s_out, $s_out) -> ()
  }) : ($init, $x) -> ($s, $y)
  builtin.return() : () -> ()""", checks=["s"]),
]

def seq_model(nodes, outs, inputs=None):
    inputs = inputs if inputs is not None else [tvi("a", FLOAT, [2, 3]), tvi("b", FLOAT, [4, 3])]
    return model(nodes, inputs, [out(o) for o in outs])


def node(op, ins, outs, **attrs):
    return helper.make_node(op, ins, outs if isinstance(outs, list) else [outs], **attrs)


SEQ_AB = "($a, $b) -> ()\n^bb0(%a: $a, %b: $b):\n"
CONST_1 = "  %one = graph.Constant() {value = dense<1> : tensor<i64>} : () -> (tensor<i64>)\n"
CONST_0 = "  %zero = graph.Constant() {value = dense<0> : tensor<i64>} : () -> (tensor<i64>)\n"
RETURN = "  builtin.return() : () -> ()"

SEQUENCE_CASES = [
    graph_case("sequence_construct", lambda: seq_model(
        [node("SequenceConstruct", ["a", "b"], "s"), node("SequenceLength", ["s"], "len"),
         const_node("one", 1), node("SequenceAt", ["s", "one"], "at")], ["len", "at"]),
        SEQ_AB + CONST_1 + """  %s = graph.SequenceConstruct(%a, %b) : ($a, $b) -> ($s)
  %len = graph.SequenceLength(%s) : ($s) -> ($len)
  %at = graph.SequenceAt(%s, %one) : ($s, tensor<i64>) -> ($at)
""" + RETURN, expect={"at": "tensor<4x3xf32>"},
        why="ONNX gives the merged element type ?x3 for SequenceAt; the element at the constant "
        "position 1 is b (4x3), as simple/test_sequence_model1's reference output is the exact "
        "element selected.", checks=["s", "len", "at"]),
    graph_case("sequence_insert_concat", lambda: seq_model(
        [node("SequenceEmpty", [], "e"), node("SequenceInsert", ["e", "a"], "s1"),
         const_node("zero", 0), node("SequenceInsert", ["s1", "b", "zero"], "s2"),
         node("ConcatFromSequence", ["s2"], "c", axis=0)], ["c"]),
        SEQ_AB + CONST_0 + """  %e = graph.SequenceEmpty() {dtype = 1} : () -> ($e)
  %s1 = graph.SequenceInsert(%e, %a) : ($e, $a) -> ($s1)
  %s2 = graph.SequenceInsert(%s1, %b, %zero) : ($s1, $b, tensor<i64>) -> ($s2)
  %c = graph.ConcatFromSequence(%s2) {axis = 0} : ($s2) -> ($c)
""" + RETURN, expect={"e": "seq<tensor<f32>>", "s1": "seq<tensor<2x3xf32>>",
                      "s2": "seq<tensor<?x3xf32>>", "c": "tensor<6x3xf32>"},
        why="ONNX gives an empty sequence no element shape (dlcc writes rank 0 for it), and so "
        "none to what is inserted into it: s1 holds just a (2x3), s2 a and b (?x3). The "
        "elements concatenated are b and a, 4 + 2 = 6 rows (as simple/test_sequence_model4's "
        "reference is the exact concatenation, 2x9x4).",
        checks=["e", "s1", "s2", "c"]),
    graph_case("sequence_erase_at", lambda: seq_model(
        [node("SequenceConstruct", ["a", "b", "a"], "s"), const_node("one", 1),
         node("SequenceErase", ["s", "one"], "s2"), node("SequenceAt", ["s2", "one"], "at")],
        ["at"]),
        SEQ_AB + CONST_1 + """  %s = graph.SequenceConstruct(%a, %b, %a) : ($a, $b, $a) -> ($s)
  %s2 = graph.SequenceErase(%s, %one) : ($s, tensor<i64>) -> ($s2)
  %at = graph.SequenceAt(%s2, %one) : ($s2, tensor<i64>) -> ($at)
""" + RETURN, expect={"at": "tensor<2x3xf32>"},
        why="ONNX gives the merged element type; after erasing b, element 1 is a (2x3), as in "
        "simple/test_sequence_model2's reference (SequenceAt after SequenceErase).",
        checks=["s2", "at"]),
    graph_case("concat_from_sequence_stack", lambda: seq_model(
        [node("SequenceConstruct", ["a", "a"], "s"),
         node("ConcatFromSequence", ["s"], "c", axis=-1, new_axis=1)], ["c"]),
        SEQ_AB + """  %s = graph.SequenceConstruct(%a, %a) : ($a, $a) -> ($s)
  %c = graph.ConcatFromSequence(%s) {axis = -1, new_axis = 1} : ($s) -> ($c)
""" + RETURN, expect={"c": "tensor<2x3x2xf32>"},
        why="ONNX leaves the stacked size unknown; the sequence has 2 elements (as "
        "simple/test_sequence_model5's reference stacks 3 elements into 2x3x4x3).",
        checks=["c"]),
    graph_case("concat_from_sequence_unknown", lambda: seq_model(
        [node("ConcatFromSequence", ["s"], "c", axis=1)], ["c"],
        inputs=[helper.make_tensor_sequence_value_info("s", FLOAT, [2, 3])]),
        """($s) -> ()
^bb0(%s: $s):
  %c = graph.ConcatFromSequence(%s) {axis = 1} : ($s) -> ($c)
""" + RETURN, checks=["c"]),
    graph_case("split_to_sequence", lambda: seq_model(
        [node("SplitToSequence", ["x"], "s0", axis=0, keepdims=0),
         node("SplitToSequence", ["x"], "s1", axis=1),
         node("SplitToSequence", ["x", "four"], "s2", axis=0),
         node("SplitToSequence", ["x", "threes"], "s3", axis=0),
         node("SplitToSequence", ["x", "parts"], "s4", axis=0),
         const_node("four", 4), const_node("threes", [3, 3]), const_node("parts", [2, 4])],
        ["s0", "s1", "s2", "s3", "s4"], inputs=[tvi("x", FLOAT, [6, 4])]),
        """($x) -> ()
^bb0(%x: $x):
  %four = graph.Constant() {value = dense<4> : tensor<i64>} : () -> (tensor<i64>)
  %threes = graph.Constant() {value = dense<[3, 3]> : tensor<2xi64>} : () -> (tensor<2xi64>)
  %parts = graph.Constant() {value = dense<[2, 4]> : tensor<2xi64>} : () -> (tensor<2xi64>)
  %s0 = graph.SplitToSequence(%x) {axis = 0, keepdims = 0} : ($x) -> ($s0)
  %s1 = graph.SplitToSequence(%x) {axis = 1, keepdims = 1} : ($x) -> ($s1)
  %s2 = graph.SplitToSequence(%x, %four) {axis = 0, keepdims = 1} : ($x, tensor<i64>) -> ($s2)
  %s3 = graph.SplitToSequence(%x, %threes) {axis = 0, keepdims = 1} : ($x, tensor<2xi64>) -> ($s3)
  %s4 = graph.SplitToSequence(%x, %parts) {axis = 0, keepdims = 1} : ($x, tensor<2xi64>) -> ($s4)
""" + RETURN, expect={"s3": "seq<tensor<3x4xf32>>"},
        why="ONNX leaves the chunk size of a 1-D split unknown; split [3, 3] makes two 3x4 "
        "chunks (numpy.split(x, [3]) gives 3x4 and 3x4).",
        checks=["s0", "s1", "s2", "s3", "s4"]),
    graph_case("optional", lambda: seq_model(
        [node("Optional", ["a"], "o"), node("OptionalHasElement", ["o"], "has"),
         node("OptionalGetElement", ["o"], "get")], ["has", "get"]),
        SEQ_AB + """  %o = graph.Optional(%a) : ($a) -> ($o)
  %has = graph.OptionalHasElement(%o) : ($o) -> ($has)
  %get = graph.OptionalGetElement(%o) : ($o) -> ($get)
""" + RETURN, checks=["o", "has", "get"]),
]

assert all(np.zeros([n, 3, 4]).reshape(n, -1).shape == (n, 12) for n in (1, 2, 5))


def shape_value_model():
    nodes = [
        node("Shape", ["x"], "s"), const_node("zero", 0), const_node("ax", [0]),
        const_node("minus1", [-1]), const_node("two", [2]), const_node("one", 1),
        const_node("k1", [1]), const_node("k3", [3]), const_node("i1", 1), const_node("i2", 2),
        node("Gather", ["s", "zero"], "n"), node("Unsqueeze", ["n", "ax"], "n1"),
        node("Concat", ["n1", "minus1"], "c", axis=0), node("Reshape", ["x", "c"], "r"),
        node("ConstantOfShape", ["s"], "cs"), node("Expand", ["b", "s"], "e"),
        node("Slice", ["s", "k1", "k3"], "tail"), node("Concat", ["two", "tail"], "c2", axis=0),
        node("Reshape", ["z", "c2"], "r2"),
        node("Gather", ["s", "i1"], "d1"), node("Gather", ["s", "i2"], "d2"),
        node("Mul", ["d1", "d2"], "p"), node("Unsqueeze", ["p", "ax"], "p1"),
        node("Concat", ["n1", "p1"], "c3", axis=0), node("Reshape", ["x", "c3"], "r3"),
    ]
    return model(nodes, [tvi("x", FLOAT, ["N", 3, 4]), tvi("b", FLOAT, [1, 1, 4]),
                         tvi("z", FLOAT, [2, 12])], [out("r"), out("cs"), out("e"), out("r2"),
                                                     out("r3")])


SHAPE_VALUE_CASES = [
    graph_case("shape_values", shape_value_model, """($x, $b, $z) -> ()
^bb0(%x: $x, %b: $b, %z: $z):
  %zero = graph.Constant() {value = dense<0> : tensor<i64>} : () -> (tensor<i64>)
  %ax = graph.Constant() {value = dense<[0]> : tensor<1xi64>} : () -> (tensor<1xi64>)
  %minus1 = graph.Constant() {value = dense<[-1]> : tensor<1xi64>} : () -> (tensor<1xi64>)
  %two = graph.Constant() {value = dense<[2]> : tensor<1xi64>} : () -> (tensor<1xi64>)
  %k1 = graph.Constant() {value = dense<[1]> : tensor<1xi64>} : () -> (tensor<1xi64>)
  %k3 = graph.Constant() {value = dense<[3]> : tensor<1xi64>} : () -> (tensor<1xi64>)
  %i1 = graph.Constant() {value = dense<1> : tensor<i64>} : () -> (tensor<i64>)
  %i2 = graph.Constant() {value = dense<2> : tensor<i64>} : () -> (tensor<i64>)
  %s = graph.Shape(%x) {start = 0} : ($x) -> ($s)
  %n = graph.Gather(%s, %zero) {axis = 0} : ($s, tensor<i64>) -> ($n)
  %n1 = graph.Unsqueeze(%n, %ax) : ($n, tensor<1xi64>) -> ($n1)
  %c = graph.Concat(%n1, %minus1) {axis = 0} : ($n1, tensor<1xi64>) -> ($c)
  %r = graph.Reshape(%x, %c) {allowzero = 0} : ($x, $c) -> ($r)
  %cs = graph.ConstantOfShape(%s) : ($s) -> ($cs)
  %e = graph.Expand(%b, %s) : ($b, $s) -> ($e)
  %tail = graph.Slice(%s, %k1, %k3) : ($s, tensor<1xi64>, tensor<1xi64>) -> ($tail)
  %c2 = graph.Concat(%two, %tail) {axis = 0} : (tensor<1xi64>, $tail) -> ($c2)
  %r2 = graph.Reshape(%z, %c2) {allowzero = 0} : ($z, $c2) -> ($r2)
  %d1 = graph.Gather(%s, %i1) {axis = 0} : ($s, tensor<i64>) -> ($d1)
  %d2 = graph.Gather(%s, %i2) {axis = 0} : ($s, tensor<i64>) -> ($d2)
  %p = graph.Mul(%d1, %d2) : ($d1, $d2) -> ($p)
  %p1 = graph.Unsqueeze(%p, %ax) : ($p, tensor<1xi64>) -> ($p1)
  %c3 = graph.Concat(%n1, %p1) {axis = 0} : ($n1, $p1) -> ($c3)
  %r3 = graph.Reshape(%x, %c3) {allowzero = 0} : ($x, $c3) -> ($r3)
""" + RETURN, checks=["r", "cs", "e", "r2", "r3"], expect={"r": "tensor<{N}x12xf32>"},
        why="ONNX leaves the -1 of [N, -1] unknown; numpy.reshape of an Nx3x4 array to "
        "(N, -1) gives N x 12 for every N (checked for N = 1, 2, 5)."),
]

SUITES = [
    ("infer-shape.dl", "Shape inference of the shape op family (infer_shape.c).", SHAPE_CASES),
    ("infer-index.dl", "Shape inference of the index op family (infer_index.c).", INDEX_CASES),
    ("infer-misc.dl", "Shape inference of the remaining ops (infer_misc.c).", MISC_CASES),
]

GRAPH_SUITES = [
    ("infer-shape-values.dl", "Shape values computed from Shape, Gather, Concat, Slice and "
     "arithmetic (infer_shape.c).", SHAPE_VALUE_CASES),
    ("infer-control.dl", "Shape inference of If, Loop and Scan (infer_control.c).",
     CONTROL_CASES),
    ("infer-sequence.dl", "Shape inference of sequence and optional ops (infer_sequence.c).",
     SEQUENCE_CASES),
]


ERROR_SUITES = [
    ("infer-shape-errors.dl", "Invalid shape ops: precise errors, also for hostile values.",
     SHAPE_ERRORS),
    ("infer-index-errors.dl", "Invalid index ops: precise errors, also for hostile values.",
     INDEX_ERRORS),
    ("infer-misc-errors.dl", "Invalid signal, Det, TfIdf and random ops: precise errors.",
     MISC_ERRORS),
    ("infer-sequence-errors.dl", "Invalid sequence ops: precise errors.", SEQUENCE_ERRORS),
]


def write_graph_suite(filename, header, cases):
    out = ["// " + header]
    out += [
        "// Expected types: onnx.shape_inference.infer_shapes (onnx %s) of the equivalent "
        "ONNX models," % onnx.__version__,
        "// except where a comment cites the spec or a conformance reference output; "
        "generated by",
        "// gen_infer_struct_tests.py (do not edit).",
        "// RUN: dlcc-opt %s -passes=graph-infer | FileCheck %s",
        "",
        "builtin.module() ({",
    ]
    for case in cases:
        emit_graph_case(out, case)
    out.append("})")
    with open(os.path.join(HERE, filename), "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    for filename, header, cases in SUITES:
        write_suite(filename, header, cases)
    for filename, header, cases in GRAPH_SUITES:
        write_graph_suite(filename, header, cases)
    for filename, header, cases in ERROR_SUITES:
        write_error_suite(filename, header, cases)


if __name__ == "__main__":
    main()
