#!/usr/bin/python3
"""gen_models.py: writes small ONNX models for the frontend tests (tests/frontend/*.test), built
with python3-onnx at test time: `gen_models.py KIND OUT.onnx`. KIND is one of the functions
named model_KIND below; most hostile kinds bypass onnx.helper's checks on purpose."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def model(nodes, inputs, outputs, inits=(), opset=17, value_info=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits),
                          value_info=list(value_info))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


# ---- Well-formed models (FileCheck tests of -emit=graph) ----

def model_attributes():
    """One node per attribute kind the importer converts."""
    sparse = helper.make_sparse_tensor(
        helper.make_tensor("v", F, [2], [5.0, 6.0]), helper.make_tensor("i", TensorProto.INT64, [2], [1, 3]),
        [2, 2])
    nodes = [
        helper.make_node("Constant", [], ["c_tensor"],
                         value=helper.make_tensor("t", TensorProto.INT32, [2], [7, 8])),
        helper.make_node("Constant", [], ["c_sparse"], sparse_value=sparse),
        helper.make_node("Constant", [], ["c_float"], value_float=1.5),
        helper.make_node("Constant", [], ["c_floats"], value_floats=[1.0, 2.5]),
        helper.make_node("Constant", [], ["c_int"], value_int=3),
        helper.make_node("Constant", [], ["c_ints"], value_ints=[4, 5, 6]),
        helper.make_node("LeakyRelu", ["x"], ["leaky"], alpha=0.25),            # FLOAT
        helper.make_node("Cast", ["leaky"], ["cast"], to=TensorProto.DOUBLE),   # INT
        helper.make_node("Transpose", ["x"], ["tr"], perm=[1, 0]),              # INTS
        helper.make_node("DepthToSpace", ["x4"], ["d2s"], blocksize=2, mode="CRD"),  # STRING
        helper.make_node("Identity", ["x"], ["id"], floats=[0.5, 1.0], strings=["a", "b"],
                         tensors=[helper.make_tensor("u", TensorProto.INT8, [3], [1, -2, 3])],
                         tp=helper.make_tensor_type_proto(TensorProto.FLOAT16, [2, None])),
    ]
    outs = ["c_tensor", "c_sparse", "c_float", "c_floats", "c_int", "c_ints", "cast", "tr",
            "d2s", "id"]
    return model(nodes, [vi("x", [2, 3]), vi("x4", [1, 4, 2, 2])],
                 [helper.make_empty_tensor_value_info(o) for o in outs])


def model_shadow():
    """An initializer with the name of a graph input: a constant, not an argument of main."""
    w = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "w")
    nodes = [helper.make_node("Add", ["x", "w"], ["y"])]
    return model(nodes, [vi("x", [2, 3]), vi("w", [2, 3])], [vi("y", [2, 3])], inits=[w])


def model_typed_data():
    """Initializers of every numeric type, in raw_data and in the typed fields."""
    inits, nodes, outs = [], [], []
    for code, dtype in [(TensorProto.FLOAT16, np.float16), (TensorProto.INT8, np.int8),
                        (TensorProto.UINT16, np.uint16), (TensorProto.BOOL, np.bool_),
                        (TensorProto.UINT32, np.uint32), (TensorProto.DOUBLE, np.float64),
                        (TensorProto.INT64, np.int64), (TensorProto.UINT64, np.uint64),
                        (TensorProto.INT32, np.int32), (TensorProto.INT16, np.int16),
                        (TensorProto.UINT8, np.uint8), (TensorProto.FLOAT, np.float32)]:
        name = TensorProto.DataType.Name(code).lower()
        vals = np.array([1, 0, 3], dtype=dtype)
        inits.append(numpy_helper.from_array(vals, name + "_raw"))
        typed = helper.make_tensor(name + "_typed", code, [3], vals.tolist())
        inits.append(typed)
        outs += [name + "_raw", name + "_typed"]
    bf = helper.make_tensor("bf16_typed", TensorProto.BFLOAT16, [2], [1.0, -2.0])
    inits.append(bf)
    outs.append("bf16_typed")
    return model(nodes, [], [helper.make_empty_tensor_value_info(o) for o in outs], inits=inits)


def model_subgraph():
    """If whose branches use an outer value, and a Loop carrying a value."""
    then_g = helper.make_graph([helper.make_node("Add", ["x", "x"], ["t"])], "then", [],
                               [vi("t", [2])])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else", [],
                               [vi("e", [2])])
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Add", ["acc_in", "x"], ["acc_out"])],
        "body", [vi("iter", [], TensorProto.INT64), vi("cond_in", [], TensorProto.BOOL),
                 vi("acc_in", [2])],
        [vi("cond_out", [], TensorProto.BOOL), vi("acc_out", [2])])
    trip = numpy_helper.from_array(np.array(3, dtype=np.int64), "trip")
    nodes = [
        helper.make_node("If", ["c"], ["r"], then_branch=then_g, else_branch=else_g),
        helper.make_node("Loop", ["trip", "", "x"], ["acc"], body=body),
    ]
    return model(nodes, [vi("c", [], TensorProto.BOOL), vi("x", [2])],
                 [vi("r", [2]), vi("acc", [2])], inits=[trip])


def model_external(path):
    """Weights in a separate file next to the model (data_location = EXTERNAL)."""
    w = numpy_helper.from_array(np.arange(4, dtype=np.float32) + 0.5, "w")
    m = model([helper.make_node("Mul", ["x", "w"], ["y"])], [vi("x", [4])], [vi("y", [4])],
              inits=[w])
    onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=0)
    return None


def model_opset1():
    """Opset-1 nodes whose form changed: Softmax on 3-D (coerced to 2-D), Reshape/Slice/
    Unsqueeze/TopK attributes that became inputs, Add with legacy broadcast and axis, Concat
    without axis (default 1), Cast with a type name."""
    nodes = [
        helper.make_node("Softmax", ["x"], ["sm"], axis=1),
        helper.make_node("Reshape", ["x"], ["rs"], shape=[6, 4]),
        helper.make_node("Slice", ["x"], ["sl"], starts=[0, 1], ends=[1, 3], axes=[0, 1]),
        helper.make_node("Add", ["x", "b"], ["add"], broadcast=1, axis=1),
        helper.make_node("Unsqueeze", ["b"], ["us"], axes=[0]),
        helper.make_node("TopK", ["x"], ["tv", "ti"], k=2),
        helper.make_node("Concat", ["x", "x"], ["cc"]),
        helper.make_node("Cast", ["x"], ["ct"], to="DOUBLE"),
    ]
    return model(nodes, [vi("x", [2, 3, 4]), vi("b", [3])],
                 [helper.make_empty_tensor_value_info(o)
                  for o in ["sm", "rs", "sl", "add", "us", "tv", "ti", "cc", "ct"]], opset=1)


def model_opset7():
    """Opset-7 nodes: Upsample-7 (scales attribute, becomes Resize), Pad-2 and Clip-6 attributes
    that became inputs, Dropout-7 ratio, BatchNormalization-7 spatial."""
    c = [numpy_helper.from_array(np.ones(3, np.float32), n) for n in ["s", "bias", "m", "v"]]
    nodes = [
        helper.make_node("Upsample", ["x"], ["up"], scales=[1.0, 1.0, 2.0, 3.0], mode="nearest"),
        helper.make_node("Pad", ["x"], ["pad"], pads=[0, 0, 1, 1, 0, 0, 1, 1], value=1.5),
        helper.make_node("Clip", ["x"], ["clip"], min=-1.0, max=1.0),
        helper.make_node("Dropout", ["x"], ["drop"], ratio=0.25),
        helper.make_node("BatchNormalization", ["x", "s", "bias", "m", "v"], ["bn"], spatial=1),
    ]
    return model(nodes, [vi("x", [1, 3, 2, 2])],
                 [helper.make_empty_tensor_value_info(o) for o in ["up", "pad", "clip", "drop", "bn"]],
                 inits=c, opset=7)


def model_softmax_symbolic():
    """Softmax-11/LogSoftmax-11 over dims 1.. of an input with a symbolic batch dim."""
    nodes = [helper.make_node("Softmax", ["x"], ["y"], axis=1),
             helper.make_node("LogSoftmax", ["x"], ["z"], axis=1)]
    return model(nodes, [vi("x", ["N", 3, 4])], [vi("y", None), vi("z", None)], opset=11)


def model_symbolic():
    """An input with symbolic dims N and a dynamic one, for -shape."""
    nodes = [helper.make_node("Relu", ["x"], ["y"])]
    return model(nodes, [vi("x", ["N", 3, None])], [vi("y", ["N", 3, None])])


def model_bind():
    """y = Reshape(x, shape) and z = Slice(x, starts, ends): shapes come from the inputs
    'shape', 'starts' (of symbolic length n) and 'ends', so they are dynamic unless bound."""
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["y"]),
             helper.make_node("Slice", ["x", "starts", "ends"], ["z"])]
    i64 = TensorProto.INT64
    return model(nodes, [vi("x", [2, 3]), vi("shape", [2], i64), vi("starts", ["n"], i64),
                         vi("ends", [1], i64)],
                 [helper.make_empty_tensor_value_info("y"),
                  helper.make_empty_tensor_value_info("z")])


def model_bind_bf16():
    """c = Identity(b) with b a bfloat16 input (bound to ONNX's uint16-coded test data)."""
    bf16 = TensorProto.BFLOAT16
    return model([helper.make_node("Identity", ["b"], ["c"])], [vi("b", [2], bf16)],
                 [vi("c", [2], bf16)])


def model_bind_data(path):
    """Test data of model_bind in folder `path`: input_K.pb named after the inputs (as in the
    ONNX conformance data), output_K.pb, the same inputs without names in path/unnamed, and
    bf16.pb: the bfloat16 values [1, -2] as ONNX test data stores them (uint16 bits)."""
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    inputs = [("x", x), ("shape", np.array([3, 2], dtype=np.int64)),
              ("starts", np.array([1], dtype=np.int64)), ("ends", np.array([3], dtype=np.int64))]
    outputs = [("y", x.reshape(3, 2)), ("z", x[1:3])]
    for folder, named in [(path, True), (os.path.join(path, "unnamed"), False)]:
        os.makedirs(folder, exist_ok=True)
        for prefix, tensors in [("input", inputs), ("output", outputs)]:
            for k, (name, a) in enumerate(tensors):
                t = numpy_helper.from_array(a, name if named else "")
                with open(os.path.join(folder, f"{prefix}_{k}.pb"), "wb") as f:
                    f.write(t.SerializeToString())
    with open(os.path.join(path, "bf16.pb"), "wb") as f:
        bits = np.array([0x3F80, 0xC000], dtype=np.uint16)
        f.write(numpy_helper.from_array(bits, "b").SerializeToString())


def model_carried():
    """A Loop and a Scan whose carried value grows each iteration (Concat): declared and
    initially tensor<1xf32>, it is tensor<?xf32> inside the body. The Loop body also declares
    a wrong type for 'cond_out' (one warning, though the body is imported twice)."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Concat", ["acc_in", "x"], ["acc_out"], axis=0)],
        "body", [vi("iter", [], TensorProto.INT64), vi("cond_in", [], TensorProto.BOOL),
                 vi("acc_in", [1])],
        [vi("cond_out", [], TensorProto.BOOL), vi("acc_out", [None])],
        value_info=[vi("cond_out", [2])])
    scan_body = helper.make_graph(
        [helper.make_node("Concat", ["state_in", "elem"], ["state_out"], axis=0)],
        "scan_body", [vi("state_in", [1]), vi("elem", [1])], [vi("state_out", [None])])
    trip = numpy_helper.from_array(np.array(3, dtype=np.int64), "trip")
    nodes = [helper.make_node("Loop", ["trip", "", "init"], ["acc"], body=body),
             helper.make_node("Scan", ["init", "seq"], ["state"], body=scan_body,
                              num_scan_inputs=1)]
    return model(nodes, [vi("init", [1]), vi("x", [1]), vi("seq", [4, 1])],
                 [vi("acc", [None]), vi("state", [None])], inits=[trip])


def model_shape_chain():
    """Reshape(x, Concat(Shape(x)[0], [-1])): a shape computation that folding removes."""
    minus1 = numpy_helper.from_array(np.array([-1], dtype=np.int64), "minus1")
    zero = numpy_helper.from_array(np.array([0], dtype=np.int64), "zero")
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["d0"], axis=0),
             helper.make_node("Concat", ["d0", "minus1"], ["target"], axis=0),
             helper.make_node("Reshape", ["x", "target"], ["y"])]
    return model(nodes, [vi("x", [2, 3, 4])], [vi("y", [2, 12])], inits=[minus1, zero])


def model_unordered():
    """Nodes listed out of dependency order (imported in topological order)."""
    nodes = [helper.make_node("Neg", ["a"], ["b"]), helper.make_node("Abs", ["x"], ["a"])]
    return model(nodes, [vi("x", [2])], [vi("b", [2])])


def model_wrong_value_info():
    """value_info declaring a shape that contradicts inference (a warning, not an error)."""
    nodes = [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Neg", ["y"], ["z"])]
    return model(nodes, [vi("x", [2, 3])], [vi("z", [2, 3])], value_info=[vi("y", [3, 3])])


# ---- Hostile and unsupported models (diagnostics tests) ----

def raw_tensor(name, dims, raw, code=F):
    t = TensorProto()
    t.name = name
    t.data_type = code
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def one_init(t):
    return model([helper.make_node("Identity", [t.name], ["y"])], [], [vi("y", None)], inits=[t])


def model_absurd_dims():
    return one_init(raw_tensor("huge", [1 << 40, 1 << 40], b"\0" * 4))


def model_negative_dims():
    return one_init(raw_tensor("neg", [2, -3], b"\0" * 24))


def model_raw_size_mismatch():
    return one_init(raw_tensor("short", [2, 3], b"\0" * 20))


def model_deep_rank():
    return one_init(raw_tensor("deep", [1] * 40, b"\0" * 4))


def external_model(path, location, offset=None, length=None, data=b"\0" * 16):
    folder = os.path.dirname(os.path.abspath(path))
    with open(os.path.join(folder, "weights.bin"), "wb") as f:
        f.write(data)
    t = TensorProto()
    t.name = "w"
    t.data_type = F
    t.dims.extend([4])
    t.data_location = TensorProto.EXTERNAL
    for k, v in [("location", location), ("offset", offset), ("length", length)]:
        if v is not None:
            e = t.external_data.add()
            e.key, e.value = k, str(v)
    onnx.save_model(one_init(t), path)


def model_external_escape(path):
    external_model(path, "../weights.bin")


def model_external_absolute(path):
    external_model(path, "/etc/passwd")


def model_external_symlink(path):
    folder = os.path.dirname(os.path.abspath(path))
    link = os.path.join(folder, "link.bin")
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink("/etc/hostname", link)
    external_model(path, "link.bin")


def model_external_past_eof(path):
    external_model(path, "weights.bin", offset=8, length=16)


def model_external_offset_beyond(path):
    external_model(path, "weights.bin", offset=4096)


def model_cycle():
    nodes = [helper.make_node("Relu", ["b"], ["a"], name="first"),
             helper.make_node("Neg", ["a"], ["b"], name="second"),
             helper.make_node("Abs", ["x"], ["y"])]
    return model(nodes, [vi("x", [2])], [vi("y", [2])])


def model_unknown_ops():
    nodes = [helper.make_node("Frobnicate", ["x"], ["a"], name="frob1"),
             helper.make_node("Relu", ["a"], ["b"], name="relu"),
             helper.make_node("Gizmo", ["b"], ["c"], name="gizmo2", domain="com.example")]
    m = model(nodes, [vi("x", [2])], [vi("c", [2])])
    m.opset_import.append(helper.make_opsetid("com.example", 3))
    return m


def model_undefined_input():
    return model([helper.make_node("Relu", ["nowhere"], ["y"], name="r")], [vi("x", [2])],
                 [vi("y", [2])])


def model_duplicate_output():
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="one"),
             helper.make_node("Neg", ["x"], ["y"], name="two")]
    return model(nodes, [vi("x", [2])], [vi("y", [2])])


def model_unsupported_type():
    return model([helper.make_node("Identity", ["x"], ["y"])], [vi("x", [2], TensorProto.STRING)],
                 [vi("y", [2], TensorProto.STRING)])


def main():
    kind, path = sys.argv[1], sys.argv[2]
    fn = globals()["model_" + kind]
    m = fn(path) if fn.__code__.co_argcount == 1 else fn()
    if m is not None:
        onnx.save_model(m, path)


if __name__ == "__main__":
    main()
