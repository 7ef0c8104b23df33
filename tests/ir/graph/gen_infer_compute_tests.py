#!/usr/bin/python3
"""gen_infer_compute_tests.py: writes the shape-inference tests infer-elementwise.dl,
infer-nn.dl and infer-reduce.dl in this folder. The expected result types are not computed
here: every case is built as a one-node ONNX model (opset 17) and its output types are taken
from onnx.shape_inference.infer_shapes (strict mode), from numpy.einsum for Einsum, or from a
named conformance reference output. The .dl files are checked in; rerun this script with
/usr/bin/python3 (python3-onnx) after changing the cases:

    /usr/bin/python3 tests/ir/graph/gen_infer_compute_tests.py
"""
import os

import numpy as np
import onnx
from onnx import defs, helper, numpy_helper, shape_inference

ELEM = {1: "f32", 2: "u8", 3: "i8", 4: "u16", 5: "i16", 6: "i32", 7: "i64", 9: "i1", 10: "f16",
        11: "f64", 12: "u32", 13: "u64", 16: "bf16"}
CODE = {v: k for k, v in ELEM.items()}
NP = {"f32": np.float32, "i64": np.int64, "i32": np.int32, "u8": np.uint8, "i8": np.int8}


def T(elem, *dims):
    """A graph input of the given element type and dims (ints, or strings for symbolic dims)."""
    return ("arg", elem, list(dims))


def K(elem, values):
    """A constant operand (an initializer in the ONNX model, graph.Constant in the .dl file)."""
    return ("const", elem, np.array(values, dtype=NP[elem]))


NONE = ("none",)
REFS = "/usr/share/libonnx-testdata/data/node"


class Case:
    """One op. ref_pb names a conformance reference output (output_0.pb) to take the expected
    type from instead of ONNX shape inference, for cases onnx 1.12 does not infer."""

    def __init__(self, op, inputs, outputs=1, ref_pb=None, **attrs):
        self.op, self.inputs, self.outputs, self.attrs = op, inputs, outputs, attrs
        self.ref_pb = ref_pb


def tensor_type(elem, dims):
    parts = ["?" if d is None else (str(d) if isinstance(d, int) else "{%s}" % d) for d in dims]
    return "tensor<" + "".join(p + "x" for p in parts) + elem + ">"


def onnx_type(tp):
    tt = tp.tensor_type
    if not tt.HasField("shape"):
        raise ValueError("ONNX shape inference gives no shape")
    dims = []
    for d in tt.shape.dim:
        if d.HasField("dim_value"):
            dims.append(d.dim_value)
        elif d.HasField("dim_param") and not d.dim_param.startswith("unk__"):
            # unk__N are names onnx invents for unknown sizes
            dims.append(d.dim_param)
        else:
            dims.append(None)
    return tensor_type(ELEM[tt.elem_type], dims)


def fmt_attr(v):
    if isinstance(v, onnx.AttributeProto):
        v = helper.get_attribute_value(v)
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, str):
        return '"%s"' % v
    if isinstance(v, float):
        return repr(float(np.float32(v)))
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(fmt_attr(x) for x in v) + "]"
    return str(v)


def dense(elem, arr):
    vals = arr.flatten().tolist()
    body = "[" + ", ".join(str(v) for v in vals) + "]" if arr.ndim else str(vals[0])
    return "dense<%s> : %s" % (body, tensor_type(elem, list(arr.shape)))


class Rejected(Exception):
    """The reference (onnx or numpy) rejects a case."""


def expected_types(case, k):
    """Output types of the case: from its reference output file, from numpy.einsum for Einsum
    (onnx 1.12 infers only Einsum's rank), else from ONNX shape inference."""
    if case.ref_pb:
        t = onnx.TensorProto()
        with open(os.path.join(REFS, case.ref_pb, "test_data_set_0", "output_0.pb"), "rb") as f:
            t.ParseFromString(f.read())
        return [tensor_type(ELEM[t.data_type], list(t.dims))]
    if case.op == "Einsum":
        arrays = [np.zeros(x[2], NP[x[1]]) for x in case.inputs]
        try:
            y = np.einsum(case.attrs["equation"], *arrays)
        except ValueError as e:
            raise Rejected("numpy.einsum rejects it too: %s" % e)
        return [tensor_type(case.inputs[0][1], list(y.shape))]
    inputs, inits, names = [], [], []
    for i, x in enumerate(case.inputs):
        name = "in%d" % i
        if x[0] == "none":
            names.append("")
        elif x[0] == "arg":
            inputs.append(helper.make_tensor_value_info(name, CODE[x[1]], x[2]))
            names.append(name)
        else:
            inits.append(numpy_helper.from_array(x[2], name))
            names.append(name)
    outs = ["out%d" % i if o else "" for i, o in enumerate(case.outputs_mask())]
    node = helper.make_node(case.op, names, outs, **case.attrs)
    graph = helper.make_graph([node], "case%d" % k, inputs,
                              [helper.make_empty_tensor_value_info(o) for o in outs if o],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    try:
        model = shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    except shape_inference.InferenceError as e:
        raise Rejected("onnx rejects it too: %s" % str(e).strip().splitlines()[0])
    got = {o.name: onnx_type(o.type) for o in model.graph.output}
    return [got[o] if o else "none" for o in outs]


def outputs_mask(self):
    return self.outputs if isinstance(self.outputs, list) else [True] * self.outputs


Case.outputs_mask = outputs_mask


def emit(path, title, cases):
    args, arg_types, body, checks = [], [], [], []
    uses_none = any(x[0] == "none" for c in cases for x in c.inputs)
    for k, c in enumerate(cases):
        types = expected_types(c, k)
        operands, operand_types = [], []
        for i, x in enumerate(c.inputs):
            if x[0] == "none":
                operands.append("%none")
                operand_types.append("none")
            elif x[0] == "arg":
                name = "%%a%d_%d" % (k, i)
                ty = tensor_type(x[1], x[2])
                args.append("%s: %s" % (name, ty))
                arg_types.append(ty)
                operands.append(name)
                operand_types.append(ty)
            else:
                name = "%%c%d_%d" % (k, i)
                ty = tensor_type(x[1], list(x[2].shape))
                body.append("    %s = graph.Constant() {value = %s} : () -> (%s)" %
                            (name, dense(x[1], x[2]), ty))
                operands.append(name)
                operand_types.append(ty)
        attrs = dict((n, fmt_attr(v)) for n, v in c.attrs.items())
        schema = defs.get_schema(c.op, 17, "")
        for n, a in schema.attributes.items():
            if n not in attrs and a.default_value.name:
                attrs[n] = fmt_attr(a.default_value)
        attr_text = " {" + ", ".join("%s = %s" % kv for kv in sorted(attrs.items())) + "}" \
            if attrs else ""
        results = ["%%r%d_%d" % (k, i) for i in range(len(types))]
        if c.ref_pb:
            body.append("    // expected type: %s/%s/test_data_set_0/output_0.pb" %
                        (REFS, c.ref_pb))
        body.append("    %s = graph.%s(%s)%s : (%s) -> (%s)" % (
            ", ".join(results), c.op, ", ".join(operands), attr_text, ", ".join(operand_types),
            ", ".join(types)))
        checks.append("// CHECK: %s = graph.%s(" % (", ".join(results), c.op))
        checks.append("// CHECK-SAME: -> (%s)" % ", ".join(types))
    if uses_none:
        body.insert(0, "    %none = graph.None() : () -> (none)")
    lines = ["// " + title,
             "// Expected result types: onnx.shape_inference.infer_shapes (python3-onnx 1.12, "
             "strict mode)",
             "// of one-node opset-17 models; Einsum: numpy.einsum on arrays of the operand "
             "shapes (onnx 1.12",
             "// infers only its rank); ops preceded by an 'expected type' comment: that "
             "conformance reference",
             "// output. Generated by gen_infer_compute_tests.py in this folder; do not edit by "
             "hand.",
             "// RUN: dlcc-opt %s -passes=graph-infer | FileCheck %s", ""]
    lines += checks
    lines += ["builtin.module() ({",
              '  builtin.func() {function_type = (%s) -> (), sym_name = "f"} ({' %
              ", ".join(arg_types),
              "  ^bb0(%s):" % ", ".join(args)]
    lines += body
    lines += ["    builtin.return() : () -> ()", "  })", "})"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class Bad:
    """An invalid op: its rule must report `error` (a substring of the message). The result
    types are placeholders (inference fails before they are compared)."""

    def __init__(self, op, inputs, error, outputs=1, **attrs):
        self.case = Case(op, inputs, outputs, **attrs)
        self.error = error


def onnx_verdict(case, k):
    """Whether ONNX shape inference (strict) also rejects the case; run in a child process
    because onnx 1.12 crashes on some hostile attribute values."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        if any(x[0] == "arg" and x[1] not in CODE for x in case.inputs):
            verdict = "not expressible as an ONNX tensor op"
        else:
            try:
                expected_types(case, k)
                verdict = "the reference accepts it (onnx 1.12 does not check this)"
            except Rejected as e:
                verdict = str(e).replace("{{", "{ {").replace("}}", "} }")
            except Exception as e:
                verdict = "onnx 1.12 gives no result type for it (%s)" % type(e).__name__
        os.write(w, verdict[:150].encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        verdict = f.read().decode()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return "onnx 1.12 shape inference crashes on it (signal %d)" % os.WTERMSIG(status)
    return verdict


def emit_errors(path, title, bads):
    lines = ["// " + title,
             "// Each case states whether onnx.shape_inference.infer_shapes (strict mode) also "
             "rejects it.",
             "// Generated by gen_infer_compute_tests.py in this folder; do not edit by hand.",
             "// RUN: dlcc-opt %s -split-input-file -verify-diagnostics"]
    for k, b in enumerate(bads):
        c = b.case
        args, arg_types, body, operands, operand_types = [], [], [], [], []
        for i, x in enumerate(c.inputs):
            if x[0] == "none":
                if not body or "graph.None" not in body[0]:
                    body.insert(0, "    %none = graph.None() : () -> (none)")
                operands.append("%none")
                operand_types.append("none")
            elif x[0] == "arg":
                ty = tensor_type(x[1], x[2]) if x[1] in CODE else x[1]
                args.append("%%a%d: %s" % (i, ty))
                arg_types.append(ty)
                operands.append("%%a%d" % i)
                operand_types.append(ty)
            else:
                ty = tensor_type(x[1], list(x[2].shape))
                body.append("    %%c%d = graph.Constant() {value = %s} : () -> (%s)" %
                            (i, dense(x[1], x[2]), ty))
                operands.append("%%c%d" % i)
                operand_types.append(ty)
        attrs = dict((n, fmt_attr(v)) for n, v in c.attrs.items())
        attr_text = " {" + ", ".join("%s = %s" % kv for kv in sorted(attrs.items())) + "}" \
            if attrs else ""
        n = len(c.outputs_mask())
        results = ", ".join("%%r%d" % i for i in range(n))
        lines += ["", "// -----"] if k else [""]
        lines += ["// " + onnx_verdict(c, k), "builtin.module() ({",
                  '  builtin.func() {function_type = (%s) -> (), sym_name = "f"} ({' %
                  ", ".join(arg_types), "  ^bb0(%s):" % ", ".join(args)]
        lines += body
        lines.append("    %s = graph.%s(%s)%s : (%s) -> (%s) // expected-error {{%s}}" % (
            results, c.op, ", ".join(operands), attr_text, ", ".join(operand_types),
            ", ".join(["tensor<f32>"] * n), b.error))
        lines += ["    builtin.return() : () -> ()", "  })", "})"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


ELEMENTWISE = [
    Case("Relu", [T("f32", "N", 3, 4)]),
    Case("Sigmoid", [T("f16", 2, 3)]),
    Case("Abs", [T("i32", 5)]),
    Case("Neg", [T("i8", 1, 2)]),
    Case("Exp", [T("f64")]),
    Case("Sqrt", [T("f32", 0, 3)]),
    Case("Tanh", [T("f32", "batch", "seq", 8)]),
    Case("Acos", [T("f32", 3)]), Case("Acosh", [T("f32", 3)]), Case("Asin", [T("f32", 3)]),
    Case("Asinh", [T("f32", 3)]), Case("Atan", [T("f32", 3)]), Case("Atanh", [T("f32", 3)]),
    Case("Cos", [T("f32", 3)]), Case("Cosh", [T("f32", 3)]), Case("Sin", [T("f32", 3)]),
    Case("Sinh", [T("f32", 3)]), Case("Tan", [T("f32", 3)]), Case("Erf", [T("f32", 3)]),
    Case("Log", [T("f32", 3)]), Case("Ceil", [T("f32", 3)]), Case("Floor", [T("f32", 3)]),
    Case("Round", [T("f32", 3)]), Case("Sign", [T("i64", 3)]), Case("Reciprocal", [T("f32", 3)]),
    Case("Softplus", [T("f32", 3)]), Case("Softsign", [T("f32", 3)]),
    Case("Celu", [T("f32", 3)], alpha=2.0), Case("Elu", [T("f32", 3)]),
    Case("Selu", [T("f32", 3)]), Case("LeakyRelu", [T("f32", 3)], alpha=0.1),
    Case("HardSigmoid", [T("f32", 3)]), Case("HardSwish", [T("f32", 3)]),
    Case("ThresholdedRelu", [T("f32", 3)]), Case("Shrink", [T("f32", 3)]),
    Case("Not", [T("i1", 2, 2)]),
    Case("Identity", [T("u8", 2, "K")]),
    Case("IsNaN", [T("f32", "N", 2)]),
    Case("IsInf", [T("f64", 4)], detect_negative=0),
    Case("Clip", [T("f32", 2, 3)]),
    Case("Clip", [T("f32", 2, 3), K("f32", 0.0), K("f32", 6.0)]),
    Case("Clip", [T("i32", 4), NONE, T("i32")]),
    Case("Add", [T("f32", 2, 3), T("f32", 3)]),
    Case("Add", [T("f32", "N", 1, 4), T("f32", 5, 1)]),
    Case("Sub", [T("i64", 1), T("i64", 3, 2)]),
    Case("Mul", [T("f32", "N", 3), T("f32", "N", 3)]),
    Case("Div", [T("f32"), T("f32", 2, 2)]),
    Case("Mod", [T("i32", 4, 1), T("i32", 3)], fmod=0),
    Case("Pow", [T("f32", 2, 3), T("i64", 1)]),
    Case("BitShift", [T("u8", 3), T("u8", 3)], direction="LEFT"),
    Case("And", [T("i1", 3, 1), T("i1", 1, 4)]),
    Case("Or", [T("i1", 2), T("i1", 2)]),
    Case("Xor", [T("i1", 2, 2), T("i1", 2)]),
    Case("Equal", [T("i64", 3), T("i64", 1)]),
    Case("Greater", [T("f32", 2, 3), T("f32", 3)]),
    Case("GreaterOrEqual", [T("f32", "N", 3), T("f32", 1, 3)]),
    Case("Less", [T("i32", 2, 1), T("i32", 4)]),
    Case("LessOrEqual", [T("f16", 2), T("f16", 2)]),
    Case("Max", [T("f32", 3)]),
    Case("Max", [T("f32", 2, 1), T("f32", 3), T("f32", 1, 1)]),
    Case("Min", [T("i64", 4, 1), T("i64", 1, 5)]),
    Case("Sum", [T("f32", 3), T("f32", 2, 3), T("f32", 4, 1, 1)]),
    Case("Mean", [T("f64", 2), T("f64", 2)]),
    Case("Where", [T("i1", 2, 1), T("f32", 3), T("f32", 1)]),
    Case("Where", [T("i1", 3), T("i64", 2, 3), T("i64", 2, 1)]),
    Case("PRelu", [T("f32", 1, 3, 4, 4), T("f32", 3, 1, 1)]),
    Case("PRelu", [T("f32", "N", 5), T("f32", 5)]),
    Case("Cast", [T("f32", 2, 3)], to=7),
    Case("Cast", [T("i64", "N")], to=9),
    Case("Cast", [T("f16", 2)], to=16),
    Case("CastLike", [T("f32", 3, 2), T("f64", 1)]),
    Case("Dropout", [T("f32", 3, 4)]),
    Case("Dropout", [T("f32", 3, 4), K("f32", 0.5)], outputs=2),
    Case("QuantizeLinear", [T("f32", 2, 3), K("f32", 0.5)]),
    Case("QuantizeLinear", [T("f32", 2, 3), K("f32", 0.5), K("i8", 1)]),
    Case("QuantizeLinear", [T("f32", 2, 3), K("f32", [0.5, 0.25, 1.0]),
                            K("u8", [1, 2, 3])], axis=1),
    Case("DequantizeLinear", [T("i8", "N", 4), K("f32", 0.5), K("i8", 0)]),
    Case("DequantizeLinear", [T("i32", 4), K("f32", 2.0)]),
    Case("DynamicQuantizeLinear", [T("f32", 3, 4)], outputs=3),
    Case("Bernoulli", [T("f32", 2, 3)]),
    Case("Bernoulli", [T("f32", 2, 3)], dtype=9),
    Case("RandomUniformLike", [T("f32", 2, 3)]),
    Case("RandomUniformLike", [T("i32", 4)], dtype=11),
    Case("RandomNormalLike", [T("f16", "N", 3)]),
]

NN = [
    Case("Conv", [T("f32", 1, 1, 5, 5), T("f32", 1, 1, 3, 3)], kernel_shape=[3, 3]),
    Case("Conv", [T("f32", "N", 3, 32, 32), T("f32", 16, 3, 3, 3), T("f32", 16)],
         pads=[1, 1, 1, 1], strides=[2, 2]),
    Case("Conv", [T("f32", 1, 1, 7, 5), T("f32", 1, 1, 3, 3)], strides=[2, 2],
         pads=[1, 0, 1, 0]),
    Case("Conv", [T("f32", 2, 4, 10), T("f32", 8, 2, 3)], group=2, dilations=[2]),
    Case("Conv", [T("f32", 1, 2, 7, 8), T("f32", 4, 2, 3, 3)], auto_pad="SAME_UPPER",
         strides=[2, 3]),
    Case("Conv", [T("f32", 1, 2, 7, 8), T("f32", 4, 2, 3, 3)], auto_pad="SAME_LOWER"),
    Case("Conv", [T("f32", 1, 2, 7, 8), T("f32", 4, 2, 3, 3)], auto_pad="VALID",
         strides=[2, 2]),
    Case("Conv", [T("f32", 1, 2, 6, 6, 6), T("f32", 3, 2, 2, 2, 2)], strides=[2, 2, 2]),
    Case("Conv", [T("f32", "N", 3, "H", "W"), T("f32", 8, 3, 1, 1)]),
    Case("ConvInteger", [T("u8", 1, 1, 4, 4), T("u8", 2, 1, 2, 2)]),
    Case("ConvInteger", [T("i8", 1, 1, 4, 4), T("i8", 2, 1, 2, 2), K("i8", 1)],
         pads=[1, 1, 1, 1]),
    Case("QLinearConv", [T("u8", 1, 1, 7, 7), K("f32", 0.5), K("u8", 1), T("u8", 2, 1, 3, 3),
                         K("f32", 0.5), K("u8", 0), K("f32", 0.25), K("u8", 3)]),
    Case("QLinearConv", [T("i8", 1, 2, 5, 5), K("f32", 0.5), K("i8", 1), T("i8", 4, 2, 3, 3),
                         K("f32", [0.5, 0.5, 0.5, 0.5]), K("i8", [0, 0, 0, 0]), K("f32", 0.25),
                         K("i8", 3), T("i32", 4)], strides=[2, 2]),
    Case("ConvTranspose", [T("f32", 1, 1, 3, 3), T("f32", 1, 2, 3, 3)]),
    Case("ConvTranspose", [T("f32", 1, 1, 3), T("f32", 1, 2, 3)]),
    Case("ConvTranspose", [T("f32", 1, 1, 3, 3), T("f32", 1, 2, 3, 3)], strides=[3, 2],
         output_shape=[10, 8]),
    Case("ConvTranspose", [T("f32", 1, 1, 3, 3), T("f32", 1, 2, 3, 3)], strides=[3, 2],
         output_padding=[1, 1]),
    Case("ConvTranspose", [T("f32", 1, 1, 3, 3), T("f32", 1, 2, 3, 3)], strides=[2, 2],
         auto_pad="SAME_UPPER"),
    Case("ConvTranspose", [T("f32", 1, 1, 3, 3), T("f32", 1, 2, 3, 3)], strides=[3, 2],
         pads=[1, 2, 1, 2]),
    Case("ConvTranspose", [T("f32", 1, 1, 3, 3), T("f32", 1, 1, 2, 2)], dilations=[2, 2]),
    Case("ConvTranspose", [T("f32", "N", 4, 5, 5), T("f32", 4, 3, 3, 3), T("f32", 6)], group=2,
         strides=[2, 2]),
    Case("AveragePool", [T("f32", 1, 3, 32)], kernel_shape=[2]),
    Case("AveragePool", [T("f32", 1, 3, 32, 32)], kernel_shape=[5, 5], pads=[2, 2, 2, 2]),
    Case("AveragePool", [T("f32", 1, 1, 4, 4)], kernel_shape=[3, 3], strides=[2, 2],
         ceil_mode=1),
    Case("AveragePool", [T("f32", 1, 3, 32, 32)], kernel_shape=[2, 2], auto_pad="SAME_LOWER"),
    Case("AveragePool", [T("f32", "N", 3, 32, 32, 32)], kernel_shape=[2, 2, 2]),
    Case("MaxPool", [T("f32", 1, 3, 32, 32)], kernel_shape=[2, 2], strides=[2, 2]),
    Case("MaxPool", [T("f32", 1, 1, 4, 4)], kernel_shape=[2, 2], dilations=[2, 2]),
    Case("MaxPool", [T("u8", 1, 1, 5, 5)], kernel_shape=[3, 3], auto_pad="SAME_UPPER",
         strides=[2, 2]),
    Case("MaxPool", [T("f32", 1, 1, 5, 5)], outputs=2, kernel_shape=[2, 2], strides=[2, 2],
         pads=[1, 1, 1, 1], storage_order=1),
    Case("MaxPool", [T("f32", "N", 3, 7, 7)], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
    Case("MaxPool", [T("f32", 1, 3, 9, 9)], kernel_shape=[3, 3], auto_pad="VALID",
         strides=[2, 2]),
    Case("LpPool", [T("f32", 1, 3, 32, 32)], kernel_shape=[2, 2], strides=[2, 2], p=3),
    Case("GlobalAveragePool", [T("f32", "N", 3, 5, 5)]),
    Case("GlobalMaxPool", [T("f32", 1, 3, 5, 5, 5)]),
    Case("GlobalLpPool", [T("f32", 2, 4, 7)]),
    Case("MaxUnpool", [T("f32", 1, 1, 2, 2), T("i64", 1, 1, 2, 2)], kernel_shape=[2, 2],
         strides=[2, 2]),
    Case("MaxUnpool", [T("f32", 1, 1, 2, 2), T("i64", 1, 1, 2, 2), K("i64", [1, 1, 5, 5])],
         kernel_shape=[2, 2], strides=[2, 2], ref_pb="test_maxunpool_export_with_output_shape"),
    Case("MaxUnpool", [T("f32", 1, 1, 3, 3), T("i64", 1, 1, 3, 3)], kernel_shape=[2, 2],
         strides=[2, 2], pads=[1, 1, 0, 0]),
    Case("MaxRoiPool", [T("f32", 1, 3, 10, 10), T("f32", 4, 5)], pooled_shape=[2, 3]),
    Case("RoiAlign", [T("f32", 2, 3, 10, 10), T("f32", 5, 4), T("i64", 5)], output_height=4,
         output_width=6),
    Case("RoiAlign", [T("f32", 2, 3, 10, 10), T("f32", "R", 4), T("i64", "R")]),
    Case("BatchNormalization", [T("f32", "N", 3, 4, 4), T("f32", 3), T("f32", 3), T("f32", 3),
                                T("f32", 3)]),
    Case("BatchNormalization", [T("f32", 2, 3), T("f32", 3), T("f32", 3), T("f32", 3),
                                T("f32", 3)], outputs=3, training_mode=1),
    Case("InstanceNormalization", [T("f32", 2, 3, 4, 5), T("f32", 3), T("f32", 3)]),
    Case("LayerNormalization", [T("f32", 2, 3, 4), T("f32", 4), T("f32", 4)]),
    Case("LayerNormalization", [T("f16", "N", 3, 4), T("f16", 3, 4)], outputs=3, axis=1),
    Case("LayerNormalization", [T("f32", 2, 3, 4), T("f32", 3, 4)], outputs=[True, False, True],
         axis=-2),
    Case("LRN", [T("f32", 1, 5, 4, 4)], size=3),
    Case("LpNormalization", [T("f32", 2, 3)], axis=0, p=1),
    Case("MeanVarianceNormalization", [T("f32", 2, 3, 4, 5)]),
    Case("MatMul", [T("f32", 2, 3), T("f32", 3, 4)]),
    Case("MatMul", [T("f32", 3), T("f32", 3, 4)]),
    Case("MatMul", [T("f32", 2, 5, 3), T("f32", 3)]),
    Case("MatMul", [T("f32", 3), T("f32", 3)]),
    Case("MatMul", [T("f32", "B", 1, 2, 3), T("f32", 4, 3, 5)]),
    Case("MatMul", [T("f32", "N", 2, 3), T("f32", 3, "M")]),
    Case("MatMul", [T("f32", 6, 2, 3), T("f32", 1, 3, 7)]),
    Case("MatMulInteger", [T("u8", 4, 3), T("u8", 3, 2)]),
    Case("MatMulInteger", [T("i8", 2, 4, 3), T("i8", 3, 2), K("i8", 1), K("i8", 0)]),
    Case("QLinearMatMul", [T("u8", 2, 4), K("f32", 0.5), K("u8", 1), T("u8", 4, 3),
                           K("f32", 0.5), K("u8", 1), K("f32", 0.25), K("u8", 2)]),
    Case("QLinearMatMul", [T("i8", 2, 2, 4), K("f32", 0.5), K("i8", 1), T("i8", 4, 3),
                           K("f32", 0.5), K("i8", 1), K("f32", 0.25), K("i8", 2)]),
    Case("Gemm", [T("f32", 3, 5), T("f32", 5, 4), T("f32", 3, 4)]),
    Case("Gemm", [T("f32", 5, 3), T("f32", 4, 5), T("f32", 4)], transA=1, transB=1, alpha=0.5),
    Case("Gemm", [T("f32", "M", 5), T("f32", 5, 4)]),
    Case("Gemm", [T("f32", 3, 6), T("f32", 4, 6), T("f32")], transB=1),
    Case("Einsum", [T("f32", 2, 3), T("f32", 3, 4)], equation="ij,jk->ik"),
    Case("Einsum", [T("f32", 3, 4)], equation="ij->ji"),
    Case("Einsum", [T("f32", 5, 5)], equation="ii->i"),
    Case("Einsum", [T("f32", 2, 3, 4), T("f32", 2, 4, 5)], equation="bij, bjk -> bik"),
    Case("Einsum", [T("f32", 2, 3)], equation="ij->"),
    Case("Einsum", [T("f32", 3, 5, 5)], equation="...ii ->...i"),
    Case("Einsum", [T("f32", 7, 2, 3), T("f32", 3, 4)], equation="...ij,jk"),
    Case("Einsum", [T("f32", 4), T("f32", 4)], equation="i,i"),
    Case("Einsum", [T("f32", 2, 3), T("f32", 4)], equation="ba,c"),
    Case("Einsum", [T("f32", 2, 1), T("f32", 3, 4)], equation="ij,jk->ik"),
    Case("Einsum", [T("f32", 2, 1, 3), T("f32", 4, 3)], equation="...j,kj->...k"),
    Case("Einsum", [T("f32", 3, 2)], equation="Ab"),
    Case("RNN", [T("f32", 5, 2, 4), T("f32", 1, 3, 4), T("f32", 1, 3, 3)], outputs=2,
         hidden_size=3),
    Case("RNN", [T("f32", 2, 5, 4), T("f32", 2, 3, 4), T("f32", 2, 3, 3)], outputs=2,
         hidden_size=3, layout=1, direction="bidirectional"),
    Case("GRU", [T("f32", "S", "B", 4), T("f32", 1, 15, 4), T("f32", 1, 15, 5)],
         outputs=[False, True], hidden_size=5),
    Case("GRU", [T("f32", 3, 2, 4), T("f32", 2, 15, 4), T("f32", 2, 15, 5), T("f32", 2, 30)],
         outputs=2, hidden_size=5, direction="bidirectional", linear_before_reset=1),
    Case("LSTM", [T("f32", 3, 2, 4), T("f32", 1, 12, 4), T("f32", 1, 12, 3)], outputs=3,
         hidden_size=3),
    Case("LSTM", [T("f32", 2, 3, 4), T("f32", 2, 12, 4), T("f32", 2, 12, 3), NONE, NONE, NONE,
                  NONE, T("f32", 2, 9)], outputs=3, hidden_size=3, layout=1,
         direction="bidirectional"),
    Case("GridSample", [T("f32", 1, 3, 8, 8), T("f32", 1, 4, 5, 2)]),
    Case("GridSample", [T("f32", "N", 3, 8, 8), T("f32", "N", 6, 6, 2)], mode="nearest",
         align_corners=1),
]

REDUCE = [
    Case("ReduceSum", [T("f32", 3, 4, 5), K("i64", [1])]),
    Case("ReduceSum", [T("f32", 3, 4, 5), K("i64", [0, -1])], keepdims=0),
    Case("ReduceSum", [T("f32", 3, 4, 5)]),
    Case("ReduceSum", [T("f32", 3, 4, 5)], keepdims=0),
    Case("ReduceSum", [T("f32", 3, 4, 5), K("i64", np.zeros(0, np.int64))],
         noop_with_empty_axes=1),
    Case("ReduceSum", [T("f32", 3, 2, 2), T("i64", 0)], keepdims=1,
         ref_pb="test_reduce_sum_default_axes_keepdims_example"),
    Case("ReduceSum", [T("f32", 3, 2, 2), T("i64", 0)], keepdims=1, noop_with_empty_axes=1,
         ref_pb="test_reduce_sum_empty_axes_input_noop_example"),
    Case("ReduceMean", [T("f32", "N", 4, 5)], axes=[1, 2]),
    Case("ReduceMean", [T("f32", "N", 4, 5)], axes=[-1], keepdims=0),
    Case("ReduceMax", [T("i32", 3, 2)], axes=[0]),
    Case("ReduceMin", [T("f32", 3, 2)]),
    Case("ReduceProd", [T("f32", 3, 2, 2)], axes=[1], keepdims=0),
    Case("ReduceL1", [T("f32", 3, 2, 2)], axes=[2, 0]),
    Case("ReduceL2", [T("f32", 3, 2, 2)], keepdims=0),
    Case("ReduceLogSum", [T("f32", 3, 2, 2)], axes=[-2]),
    Case("ReduceLogSumExp", [T("f64", 3, 2, 2)], axes=[0], keepdims=0),
    Case("ReduceSumSquare", [T("f32", "B", 7)], axes=[1]),
    Case("ArgMax", [T("f32", 3, 4)]),
    Case("ArgMax", [T("f32", 3, 4, 5)], axis=-1, keepdims=0, select_last_index=1),
    Case("ArgMin", [T("i32", "N", 4)], axis=1),
    Case("ArgMin", [T("f32", 3, 4)], axis=0, keepdims=0),
    Case("Softmax", [T("f32", 2, 3)]),
    Case("Softmax", [T("f16", "N", 3, 4)], axis=0),
    Case("LogSoftmax", [T("f32", 2, 3)], axis=-2),
    Case("Hardmax", [T("f32", 3, 4, 5)], axis=1),
    Case("CumSum", [T("f32", 5), K("i32", 0)]),
    Case("CumSum", [T("f64", 2, 3), T("i64")], exclusive=1, reverse=1),
    Case("NegativeLogLikelihoodLoss", [T("f32", 3, 5), T("i64", 3)]),
    Case("NegativeLogLikelihoodLoss", [T("f32", 3, 5, 2), T("i64", 3, 2), T("f32", 5)],
         reduction="none"),
    Case("NegativeLogLikelihoodLoss", [T("f32", "N", 5, 2, 4), T("i32", "N", 2, 4)],
         reduction="sum", ignore_index=1),
    Case("SoftmaxCrossEntropyLoss", [T("f32", 3, 5), T("i64", 3)]),
    Case("SoftmaxCrossEntropyLoss", [T("f32", 3, 5, 2), T("i64", 3, 2), T("f32", 5)],
         outputs=2, reduction="none"),
    Case("SoftmaxCrossEntropyLoss", [T("f16", "N", 5), T("i32", "N")], outputs=2,
         reduction="sum"),
]

ELEMENTWISE_ERRORS = [
    Bad("Add", [T("f32", 2, 3), T("f32", 4)],
        "operands cannot be broadcast together: dimension 1 has sizes 3 and 4"),
    Bad("Add", [T("f32", 2), T("i64", 2)], "operand 1 has element type i64, expected f32"),
    Bad("Sum", [T("f32", 2), T("f32", 2), T("f32", 3, 1, 5)],
        "operands cannot be broadcast together: dimension 2 has sizes 2 and 5"),
    Bad("Equal", [T("i32", 2), T("i64", 2)], "operand 1 has element type i64, expected i32"),
    Bad("Where", [T("f32", 2), T("f32", 2), T("f32", 2)],
        "operand 0 (condition) must be a bool (i1) tensor"),
    Bad("Where", [T("i1", 2), T("f32", 2), T("f64", 2)], "operand 2 has element type f64"),
    Bad("Cast", [T("f32", 2)], "'to' = 8 is not a supported ONNX tensor data type", to=8),
    Bad("Cast", [T("f32", 2)], "'to' = -1 is not a supported ONNX tensor data type", to=-1),
    Bad("Cast", [T("f32", 2)], "needs a 'to' attribute"),
    Bad("BitShift", [T("u8", 2), T("u8", 2)],
        "'direction' must be \"LEFT\" or \"RIGHT\", got \"\""),
    Bad("BitShift", [T("u8", 2), T("u8", 2)],
        "'direction' must be \"LEFT\" or \"RIGHT\", got \"left\"", direction="left"),
    Bad("RandomUniformLike", [T("f32", 2)], "'dtype' = 1000 is not a supported", dtype=1000),
    Bad("Clip", [T("f32", 2, 3), T("f32", 2)], "operand 1 (min) must be a scalar"),
    Bad("Clip", [T("f32", 2, 3), NONE, T("f64")], "operand 2 has element type f64"),
    Bad("PRelu", [T("f32", 3), T("f32", 2, 3)],
        "operand 1 (slope) does not broadcast to the shape of operand 0 (X)"),
    Bad("QuantizeLinear", [T("f32", 2, 3), T("f32", 2, 2)],
        "operand 1 must be a scalar or a 1-D tensor, got rank 2"),
    Bad("QuantizeLinear", [T("f32", 2, 3), T("f32", 4), T("u8", 4)],
        "operand 1 has 4 entries, expected 3 (one per element along axis 1)", axis=1),
    Bad("DequantizeLinear", [T("u8", 2, 3), T("f32", 2)],
        "axis 5 is out of range for rank 2", axis=5),
    Bad("DequantizeLinear", [T("u8", 2, 3), T("f32"), T("i8")],
        "operand 2 has element type i8, expected u8 like operand 0"),
    Bad("Relu", [("arg", "seq<tensor<2xf32>>", None)], "operand 0 must be a tensor, got seq"),
    Bad("Identity", [NONE], "operand 0 must be a tensor or a sequence, got none"),
    Bad("Relu", [T("f32", *([1] * 33))], "operand 0 has rank 33, more than the supported 32"),
    Bad("Add", [T("f32", 1 << 40, 1), T("f32", 1 << 40)],
        "the result has more than 2^62 elements"),
]

NN_ERRORS = [
    Bad("Conv", [T("f32", 1, 3, 5, 5), T("f32", 2, 2, 3, 3)],
        "operand 0 (X) has 3 channels but the weights expect 2 per group x 1 groups"),
    Bad("Conv", [T("f32", 1, 4, 5, 5), T("f32", 3, 2, 3, 3)],
        "the weights' 3 output channels do not divide into 2 groups", group=2),
    Bad("Conv", [T("f32", 1, 1, 5, 5), T("f32", 1, 1, 3, 3)], "'strides' has 1 entries, expected 2",
        strides=[1]),
    Bad("Conv", [T("f32", 1, 1, 5, 5), T("f32", 1, 1, 3, 3)],
        "'strides' entry 0 is 0, expected a value in [1, 2147483648]", strides=[0, 1]),
    Bad("Conv", [T("f32", 1, 1, 5, 5), T("f32", 1, 1, 3, 3)],
        "'pads' entry 2 is -1, expected a value in [0, 2147483648]", pads=[0, 0, -1, 0]),
    Bad("Conv", [T("f32", 1, 1, 5, 5), T("f32", 1, 1, 3, 3)],
        "'dilations' entry 1 is 1099511627776", dilations=[1, 1 << 40]),
    Bad("Conv", [T("f32", 1, 1, 2, 2), T("f32", 1, 1, 3, 3)],
        "spatial dimension 0: the window (3 with dilation) is larger than the padded input (2)"),
    Bad("Conv", [T("f32", 1, 1, 5, 5), T("f32", 1, 1, 3, 3)],
        "'kernel_shape' entry 0 is 2 but the weights have size 3 there", kernel_shape=[2, 2]),
    Bad("Conv", [T("f32", 1, 1, 5, 5), T("f32", 1, 1, 3, 3)],
        "'group' is 0, expected a positive value", group=0),
    Bad("Conv", [T("f32", 1, 1, 5, 5), T("f32", 1, 1, 3, 3)],
        "'auto_pad' must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got \"FOO\"",
        auto_pad="FOO"),
    Bad("Conv", [T("f32", 1, 5), T("f32", 1, 5)],
        "operand 0 (X) must have shape (N, C, D1, ...), got rank 2"),
    Bad("Conv", [T("f32", 1, 1, 5, 5), T("f32", 1, 1, 3)], "operand 1 (W) must have rank 4, got 3"),
    Bad("Conv", [T("f32", 1, 1, 5, 5), T("f32", 2, 1, 3, 3), T("f32", 3)],
        "operand 2 (B) has 3 entries, expected 2"),
    Bad("MaxPool", [T("f32", 1, 1, 5, 5)], "needs a 'kernel_shape' attribute"),
    Bad("AveragePool", [T("f32", 1, 1, 5, 5)], "'kernel_shape' has 3 entries, expected 2",
        kernel_shape=[2, 2, 2]),
    Bad("ConvTranspose", [T("f32", 1, 1, 3, 3), T("f32", 1, 2, 3, 3)],
        "'output_shape' has 3 entries, expected 2 (one per spatial dimension)",
        output_shape=[1, 2, 3]),
    Bad("ConvTranspose", [T("f32", 1, 1, 1, 1), T("f32", 1, 1, 1, 1)],
        "spatial dimension 0: the pads (2 in all) leave no output", pads=[1, 1, 1, 1]),
    Bad("ConvTranspose", [T("f32", 1, 2, 3, 3), T("f32", 1, 2, 3, 3)],
        "input channels of X and W: 2 and 1 do not match"),
    Bad("ConvTranspose", [T("f32", 1, 1, 10 ** 14, 3), T("f32", 1, 1, 3, 3)],
        "spatial dimension 0: the output size overflows", strides=[1 << 31, 1]),
    Bad("MaxUnpool", [T("f32", 1, 1, 2, 2), T("i64", 1, 1, 2, 2), K("i64", [5, 5])],
        "operand 2 (output_shape) has 2 entries, expected 4", kernel_shape=[2, 2]),
    Bad("MaxUnpool", [T("f32", 1, 1, 2, 2), T("i32", 1, 1, 2, 2)],
        "operand 1 (I) must be an i64 tensor", kernel_shape=[2, 2]),
    Bad("MaxRoiPool", [T("f32", 1, 3, 8, 8), T("f32", 2, 5)], "needs a 'pooled_shape' attribute"),
    Bad("RoiAlign", [T("f32", 1, 3, 8, 8), T("f32", 2, 5), T("i64", 2)],
        "operand 1 (rois) must have shape (num_rois, 4)"),
    Bad("RoiAlign", [T("f32", 1, 3, 8, 8), T("f32", 2, 4), T("i64", 3)],
        "number of rois and of batch indices: 2 and 3 do not match"),
    Bad("BatchNormalization", [T("f32", 2, 3, 4), T("f32", 4), T("f32", 3), T("f32", 3),
                               T("f32", 3)], "operand 1 (scale) has 4 entries, expected 3"),
    Bad("InstanceNormalization", [T("f32", 2, 3, 4), T("f32", 3), T("f32", 3, 1)],
        "operand 2 (B) must have rank 1, got 2"),
    Bad("LayerNormalization", [T("f32", 2, 3, 4), T("f32", 4)],
        "axis 3 is out of range for rank 3", axis=3),
    Bad("LpNormalization", [T("f32", 2, 3)], "axis -3 is out of range for rank 2", axis=-3),
    Bad("LRN", [T("f32", 1, 3, 4, 4)], "needs a positive 'size' attribute"),
    Bad("LRN", [T("f32", 1, 3, 4, 4)], "needs a positive 'size' attribute", size=0),
    Bad("MatMul", [T("f32", 2, 3), T("f32", 4, 5)],
        "inner dimensions do not match: operand 0 has 3 columns, operand 1 has 4 rows"),
    Bad("MatMul", [T("f32"), T("f32", 4, 5)], "operand 0 is a scalar"),
    Bad("MatMul", [T("f32", 2, 3, 4), T("f32", 3, 4, 5)],
        "operands cannot be broadcast together: dimension 0 has sizes 2 and 3"),
    Bad("Gemm", [T("f32", 2, 3, 4), T("f32", 4, 5)], "operand 0 (A) must have rank 2, got 3"),
    Bad("Gemm", [T("f32", 3, 5), T("f32", 4, 6)],
        "inner dimensions do not match: A gives K = 5, B gives K = 4"),
    Bad("Gemm", [T("f32", 3, 5), T("f32", 5, 4), T("f32", 2, 4)],
        "operand 2 (C) does not broadcast to the result shape (M, N)"),
    Bad("Einsum", [T("f32", 2, 3)], "'equation' has more input terms than the 1 operands",
        equation="ij,jk->ik"),
    Bad("Einsum", [T("f32", 2, 3), T("f32", 4, 5)], "label 'j' has sizes 3 and 4",
        equation="ij,jk->ik"),
    Bad("Einsum", [T("f32", 2, 3)], "'equation': invalid character '1'", equation="i1->i"),
    Bad("Einsum", [T("f32", 2, 3)], "'equation': output label 'k' is not an input label",
        equation="ij->k"),
    Bad("Einsum", [T("f32", 2, 3)], "'equation' term 0 has 3 labels for an operand of rank 2",
        equation="ijk"),
    Bad("Einsum", [T("f32", 2, 3)], "'equation': a term has two ellipses",
        equation="......->"),
    Bad("Einsum", [T("f32", *([2] * 30)), T("f32", 2, 2, 2)], "the result rank exceeds 32",
        equation="...,abc->abc..."),
    Bad("Einsum", [T("f32", 5, 2, 3)], "'equation': the output term needs '...' for the 1 "
        "ellipsis dimensions of the inputs", equation="...ij->ij"),
    Bad("LayerNormalization", [T("f32"), T("f32")], "operand 0 (X) must have rank at least 1"),
    Bad("RNN", [T("f32", 5, 2, 4), T("f32", 1, 3, 4), T("f32", 1, 3, 3)],
        "'direction' must be \"forward\", \"reverse\" or \"bidirectional\", got \"up\"",
        outputs=2, hidden_size=3, direction="up"),
    Bad("RNN", [T("f32", 5, 2, 4), T("f32", 1, 3, 4), T("f32", 1, 3, 3)],
        "'layout' must be 0 or 1, got 2", outputs=2, hidden_size=3, layout=2),
    Bad("LSTM", [T("f32", 5, 2, 4), T("f32", 1, 10, 4), T("f32", 1, 12, 3)],
        "operand 1 (W) has 10 rows, expected 4 gates x hidden size 3", outputs=3,
        hidden_size=3),
    Bad("GRU", [T("f32", 5, 2, 4), T("f32", 2, 9, 4), T("f32", 2, 9, 3)],
        "directions of W and 'direction': 2 and 1 do not match", outputs=2, hidden_size=3),
    Bad("GridSample", [T("f32", 1, 3, 8, 8), T("f32", 1, 4, 4, 3)],
        "operand 1 (grid) must have 2 coordinates in its last dimension"),
]

REDUCE_ERRORS = [
    Bad("ReduceMean", [T("f32", 2, 3, 4)], "axis 3 is out of range for rank 3", axes=[3]),
    Bad("ReduceMax", [T("f32", 2, 3, 4)], "axis -2 is reduced twice (in 'axes')", axes=[1, -2]),
    Bad("ReduceL2", [T("f32", 2, 3)], "4 axes given for an input of rank 2", axes=[0, 1, 0, 1]),
    Bad("ReduceSum", [T("f32", 2, 3), T("i64", "K")],
        "the result rank is unknown: the axes operand is not a constant and its length is not "
        "static", keepdims=0),
    Bad("ReduceSum", [T("f32", 2, 3), T("i64", 1, 2)],
        "operand 1 (axes) must be a 1-D tensor, got rank 2"),
    Bad("ReduceSum", [T("f32", 2, 3), K("i64", [5])], "axis 5 is out of range for rank 2"),
    Bad("ArgMax", [T("f32")], "operand 0 must have rank at least 1"),
    Bad("ArgMin", [T("f32", 2, 3)], "axis 2 is out of range for rank 2", axis=2),
    Bad("Softmax", [T("f32", 2, 3)], "axis -3 is out of range for rank 2", axis=-3),
    Bad("CumSum", [T("f32", 4), K("i64", 1)], "axis 1 is out of range for rank 1"),
    Bad("CumSum", [T("f32", 4), T("f32")], "operand 1 (axis) must be an integer tensor"),
    Bad("CumSum", [T("f32", 4), T("i64", 2)], "operand 1 (axis) must be a scalar"),
    Bad("NegativeLogLikelihoodLoss", [T("f32", 3, 5), T("i64", 3, 2)],
        "operand 1 (target) has rank 2, expected 1"),
    Bad("NegativeLogLikelihoodLoss", [T("f32", 3, 5, 2), T("i64", 3, 4)],
        "operand 1 (target) has size 4 in dimension 1, expected 2 like operand 0"),
    Bad("NegativeLogLikelihoodLoss", [T("f32", 3, 5), T("i64", 3)],
        "'reduction' must be \"none\", \"sum\" or \"mean\", got \"avg\"", reduction="avg"),
    Bad("NegativeLogLikelihoodLoss", [T("f32", 3, 5), T("f32", 3)],
        "operand 1 (target) must be an integer tensor"),
    Bad("SoftmaxCrossEntropyLoss", [T("f32", 3, 5), T("i64", 3), T("f32", 4)],
        "operand 2 (weight) must be a 1-D tensor with one entry per class", outputs=2),
    Bad("SoftmaxCrossEntropyLoss", [T("f32", 3), T("i64", 3)],
        "operand 0 must have shape (N, C, d1, ..., dk), got rank 1"),
]

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    emit(os.path.join(here, "infer-elementwise.dl"),
         "Shape and type inference of elementwise ops (unary, broadcasting, casts, quantization).",
         ELEMENTWISE)
    emit(os.path.join(here, "infer-nn.dl"),
         "Shape and type inference of nn ops (conv, pooling, norms, matmul, einsum, rnn, RoI).",
         NN)
    emit(os.path.join(here, "infer-reduce.dl"),
         "Shape and type inference of reductions, ArgMax/ArgMin, softmax-like ops, CumSum, losses.",
         REDUCE)
    emit_errors(os.path.join(here, "infer-elementwise-errors.dl"),
                "Invalid elementwise ops: the inference rules report precise errors.",
                ELEMENTWISE_ERRORS)
    emit_errors(os.path.join(here, "infer-nn-errors.dl"),
                "Invalid nn ops: the inference rules report precise errors, also for hostile "
                "attribute values.", NN_ERRORS)
    emit_errors(os.path.join(here, "infer-reduce-errors.dl"),
                "Invalid reductions, softmax-like ops and losses: the inference rules report "
                "precise errors.", REDUCE_ERRORS)
