#!/usr/bin/python3
"""gen_fold_tests.py: writes the constant-folding tests tests/ir/graph/fold-*.dl and the
BatchNormalization-folding test tests/ir/graph/batchnorm-fold.dl.

Every expected value is computed here, independently of dlcc: with numpy (elementwise
arithmetic in the element type, astype for Cast, take/concatenate/transpose/... for data
movement) and Python's math module in double precision for transcendental functions, then
rounded once to the element type (f16 through float, as numpy does; bf16 by round-to-nearest-
even on the float bits, since numpy has no bf16). The values are printed the way dlcc prints
dense data (shortest round-trip decimals, a splat when all elements are equal, hex bytes above
16 elements), so FileCheck compares exact bits. The .dl files are checked in; after changing
cases, rerun with /usr/bin/python3 (numpy) from anywhere:

    /usr/bin/python3 tests/ir/graph/gen/gen_fold_tests.py
"""
import math
import os
import warnings

import numpy as np

warnings.simplefilter("ignore")  # overflow, invalid casts: intended
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)  # tests/ir/graph

NP = {"f16": np.float16, "bf16": np.float32, "f32": np.float32, "f64": np.float64,
      "i1": np.bool_, "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
      "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64}
SIZE = {"f16": 2, "bf16": 2, "f32": 4, "f64": 8, "i1": 1, "i8": 1, "i16": 2, "i32": 4, "i64": 8,
        "u8": 1, "u16": 2, "u32": 4, "u64": 8}
ONNX_CODE = {"f32": 1, "u8": 2, "i8": 3, "u16": 4, "i16": 5, "i32": 6, "i64": 7, "i1": 9,
             "f16": 10, "f64": 11, "u32": 12, "u64": 13, "bf16": 16}
FLOATS = ["f16", "bf16", "f32", "f64"]
INTS = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"]
ALL = FLOATS + ["i1"] + INTS
RNG = np.random.default_rng(20240611)


# ---- bf16 (not in numpy): float32 storage of bf16 values -----------------------------------

def bf16_bits(x):
    b = np.ascontiguousarray(np.asarray(x, np.float32)).view(np.uint32).astype(np.uint64)
    r = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) & 0xFFFF
    nan = (b & 0x7FFFFFFF) > 0x7F800000
    return np.where(nan, ((b >> 16) | 0x40) & 0xFFFF, r).astype(np.uint16)


def bf16(x):
    """float32 values rounded to bf16 (nearest even)."""
    bits = bf16_bits(x).astype(np.uint32) << 16
    return bits.view(np.float32).reshape(np.shape(x))


def arr(key, values, shape=None):
    """values as an array of element type key (bf16: float32 holding bf16 values)."""
    a = np.array(values, dtype=np.float64 if key in FLOATS else object)
    if key in FLOATS:
        a = round_float(key, a)
    elif key == "i1":
        a = np.array(values, dtype=np.bool_)
    else:
        a = wrap(key, a)
    return a.reshape(shape) if shape is not None else a


def round_float(key, a64):
    """float64 results rounded to element type key (f16 and bf16 through float32)."""
    a64 = np.asarray(a64, np.float64)
    if key == "f64":
        return a64
    f = a64.astype(np.float32)
    if key == "f16":
        return f.astype(np.float16)
    if key == "bf16":
        return bf16(f)
    return f


def wrap(key, a):
    """Python integers wrapped to integer type key."""
    bits = SIZE[key] * 8
    out = []
    for v in np.asarray(a, dtype=object).reshape(-1):
        v = int(v) & ((1 << bits) - 1)
        if key.startswith("i") and v >> (bits - 1):
            v -= 1 << bits
        out.append(v)
    return np.array(out, dtype=NP[key]).reshape(np.shape(a))


# ---- printing as dlcc does ------------------------------------------------------------------

def fmt_float(v, f64):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "-inf" if v < 0 else "inf"
    for p in range(15 if f64 else 6, 18):
        s = "%.*g" % (p, v)
        if (float(s) == v) if f64 else (np.float32(float(s)) == np.float32(v)):
            break
    if "." not in s and "e" not in s:
        s += ".0"
    return s


def fmt_scalar(key, v):
    if key in FLOATS:
        return fmt_float(v, key == "f64")
    if key == "i1":
        return "true" if v else "false"
    return str(int(v))


def raw_bytes(key, a):
    a = np.ascontiguousarray(a).reshape(-1)
    if key == "bf16":
        return bf16_bits(a).tobytes()
    if key == "i1":
        return a.astype(np.uint8).tobytes()
    return a.astype(NP[key]).tobytes()


def ttype(key, shape):
    return "tensor<" + "".join("%sx" % d for d in shape) + key + ">"


def dense_input(key, a):
    a = np.asarray(a)
    return "dense<[%s]> : %s" % (", ".join(fmt_scalar(key, v) for v in a.reshape(-1)),
                                 ttype(key, a.shape))


def dense_printed(key, a):
    """The dense attribute as dlcc prints a folded result (splat when every element is equal)."""
    a = np.asarray(a)
    flat, es = a.reshape(-1), SIZE[key]
    raw = raw_bytes(key, flat)
    n = flat.size
    if n == 0:
        body = "[]"
    elif all(raw[i * es:(i + 1) * es] == raw[:es] for i in range(n)):
        body = fmt_scalar(key, flat[0])
    elif n <= 16:
        body = "[%s]" % ", ".join(fmt_scalar(key, v) for v in flat)
    else:
        body = '"0x%s"' % raw.hex().upper()
    return "dense<%s> : %s" % (body, ttype(key, a.shape))


# ---- test cases -----------------------------------------------------------------------------

class C:
    """A constant operand."""

    def __init__(self, key, a):
        self.key, self.a = key, np.asarray(a)
        self.type = ttype(key, self.a.shape)


class A:
    """A function argument operand of a given type text."""

    def __init__(self, type_text):
        self.type = type_text


NONE = "none"


class File:
    def __init__(self, name, header, passes="graph-fold"):
        self.name, self.header, self.passes = name, header, passes
        self.funcs, self.names = [], set()

    def case(self, name, op, operands, results, attrs="", expected=None, extra_checks=None):
        """One function computing op; results: list of (key, shape) or type texts; expected:
        list of (key, array) (the op folds) or None (it must stay)."""
        assert name not in self.names, name
        self.names.add(name)
        rtypes = [r if isinstance(r, str) else ttype(*r) for r in results]
        args = [o for o in operands if isinstance(o, A)]
        lines, names = [], []
        argnames = {}
        for i, o in enumerate(args):
            argnames[id(o)] = "%%x%d" % i
        for i, o in enumerate(operands):
            if isinstance(o, A):
                names.append(argnames[id(o)])
            elif o is NONE:
                lines.append("    %%n%d = graph.None() : () -> (none)" % i)
                names.append("%%n%d" % i)
            else:
                nm = "%%c%d" % i
                lines.append("    %s = graph.Constant() {value = %s} : () -> (%s)"
                             % (nm, dense_input(o.key, o.a), o.type))
                names.append(nm)
        otypes = [("none" if o is NONE else o.type) for o in operands]
        rnames = ["%r" if len(results) == 1 else "%%r%d" % i for i in range(len(results))]
        attr_text = " {%s}" % attrs if attrs else ""
        lines.append("    %s = graph.%s(%s)%s : (%s) -> (%s)" % (
            ", ".join(rnames), op, ", ".join(names), attr_text, ", ".join(otypes),
            ", ".join(rtypes)))
        lines.append("    builtin.return(%s) : (%s) -> ()" % (", ".join(rnames),
                                                            ", ".join(rtypes)))
        self.emit(name, [a.type for a in args], rtypes, lines, self.checks(
            name, op, args, argnames, rnames, rtypes, expected, extra_checks))

    def checks(self, name, op, args, argnames, rnames, rtypes, expected, extra):
        c = ['// CHECK-LABEL: sym_name = "%s"' % name]
        if expected is None:
            c.append("// CHECK: graph.%s(" % op)
            return c + (extra or [])
        if args:
            c.append("// CHECK-NEXT: ^bb0(%s):" % ", ".join(
                "%s: %s" % (argnames[id(a)], a.type) for a in args))
        for rn, rt, (key, val) in zip(rnames, rtypes, expected):
            c.append("// CHECK-NEXT: %s = graph.Constant() {value = %s} : () -> (%s)"
                     % (rn, dense_printed(key, val), rt))
        c.append("// CHECK-NEXT: builtin.return(%s)" % ", ".join(rnames))
        return c + (extra or [])

    def emit(self, name, argtypes, rtypes, body, checks):
        head = ['  builtin.func() {function_type = (%s) -> (%s), sym_name = "%s"} ({'
                % (", ".join(argtypes), ", ".join(rtypes), name)]
        if argtypes:
            head.append("  ^bb0(%s):" % ", ".join("%%x%d: %s" % (i, t)
                                                for i, t in enumerate(argtypes)))
        self.funcs.append((checks, head + body + ["  })"]))

    def raw(self, name, argtypes, rtypes, body, checks):
        """A hand-written function body (lines) with its checks."""
        assert name not in self.names, name
        self.names.add(name)
        self.emit(name, argtypes, rtypes, ["    " + l for l in body], checks)

    def write(self):
        out = ["// GENERATED by tests/ir/graph/gen/gen_fold_tests.py; do not edit. Expected",
               "// values come from numpy / Python math (see the script)."]
        out += ["// " + l if l else "//" for l in self.header.split("\n")]
        out += ["// RUN: dlcc-opt %%s -verify-each -passes=%s | FileCheck %%s" % self.passes, ""]
        for checks, _ in self.funcs:
            out += checks
        out += ["", "builtin.module() ({"]
        for _, body in self.funcs:
            out += body
        out += ["})", ""]
        with open(os.path.join(OUT, self.name), "w") as f:
            f.write("\n".join(out))
        return len(self.funcs)


def vals(key, shape, lo=-4.0, hi=4.0, ints=(-20, 20)):
    """Random test values of element type key."""
    n = int(np.prod(shape)) if shape else 1
    if key in FLOATS:
        v = RNG.uniform(lo, hi, n).round(3)
        return arr(key, v, shape)
    if key == "i1":
        return RNG.integers(0, 2, n).astype(np.bool_).reshape(shape)
    lo_i, hi_i = ints
    if key.startswith("u"):
        lo_i = 0
    return arr(key, RNG.integers(lo_i, hi_i, n), shape)


# ---- reference semantics ----------------------------------------------------------------------

def safe(fn):
    """fn on a Python float with C libm results where math raises (overflow, domain)."""
    def g(x, *rest):
        try:
            return fn(x, *rest)
        except OverflowError:
            return math.inf
        except ValueError:
            return math.nan
    return g


def f32(v):
    return float(np.float32(v))


def sigmoid(x):
    return 1.0 / (1.0 + safe(math.exp)(-x))


def softplus(x):
    return float(np.logaddexp(0.0, x))


def np_max(x, y):  # numpy maximum: NaN propagates
    return x if math.isnan(x) else y if math.isnan(y) else max(x, y)


def np_min(x, y):
    return x if math.isnan(x) else y if math.isnan(y) else min(x, y)


def sign(x):
    return x if math.isnan(x) else (1.0 if x > 0 else -1.0 if x < 0 else 0.0)


def log(x):
    return -math.inf if x == 0 else math.nan if x < 0 else math.log(x)


def sqrt(x):
    return math.nan if x < 0 else math.sqrt(x)


SELU_A, SELU_G = f32(1.67326319217681884765625), f32(1.05070102214813232421875)

# name: (python function of x (float64) and attrs, attribute text, input domain)
UNARY_FLOAT = {
    "Abs": (lambda x: abs(x), "", None),
    "Neg": (lambda x: -x, "", None),
    "Exp": (safe(math.exp), "", None),
    "Log": (log, "", "pos0"),
    "Sqrt": (sqrt, "", "pos0"),
    "Relu": (lambda x: np_max(x, 0.0) if x != 0 else 0.0, "", None),
    "Sigmoid": (sigmoid, "", None),
    "Tanh": (math.tanh, "", None),
    "Reciprocal": (lambda x: 1.0 / x if x else math.copysign(math.inf, x), "", None),
    "Floor": (lambda x: float(np.floor(x)), "", None),
    "Ceil": (lambda x: float(np.ceil(x)), "", None),
    "Round": (lambda x: float(np.round(x)), "", "halves"),
    "Sign": (sign, "", None),
    "Sin": (math.sin, "", None),
    "Cos": (math.cos, "", None),
    "Tan": (math.tan, "", None),
    "Asin": (math.asin, "", "unit"),
    "Acos": (math.acos, "", "unit"),
    "Atan": (math.atan, "", None),
    "Sinh": (math.sinh, "", None),
    "Cosh": (math.cosh, "", None),
    "Asinh": (math.asinh, "", None),
    "Acosh": (math.acosh, "", "ge1"),
    "Atanh": (lambda x: math.copysign(math.inf, x) if abs(x) == 1 else math.atanh(x), "",
              "unit"),
    "Erf": (math.erf, "", None),
    "Softplus": (softplus, "", None),
    "Softsign": (lambda x: x / (1.0 + abs(x)), "", None),
    "Elu": (lambda x: x if x >= 0 else f32(0.5) * math.expm1(x), "alpha = 0.5", None),
    "Selu": (lambda x: SELU_G * x if x > 0 else SELU_G * (SELU_A * math.expm1(x)),
             "alpha = 1.6732632, gamma = 1.050701", None),
    "Celu": (lambda x: max(0.0, x) + min(0.0, f32(1.5) * math.expm1(x / f32(1.5))),
             "alpha = 1.5", None),
    "LeakyRelu": (lambda x: f32(0.1) * x if x < 0 else x, "alpha = 0.1", None),
    "HardSigmoid": (lambda x: max(0.0, min(1.0, f32(0.2) * x + 0.5)), "alpha = 0.2, beta = 0.5",
                    None),
    "HardSwish": (lambda x: x * max(0.0, min(1.0, x / 6.0 + 0.5)), "", None),
    "ThresholdedRelu": (lambda x: x if x > f32(1.2) else 0.0, "alpha = 1.2", None),
    "Mish": (lambda x: x * math.tanh(softplus(x)), "", None),
    "Gelu": (lambda x: 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0))), "approximate = \"none\"",
             None),
    "Shrink": (lambda x: x + f32(0.25) if x < -f32(1.5) else x - f32(0.25) if x > f32(1.5) else
               0.0, "bias = 0.25, lambd = 1.5", None),
}
# ops whose f64 results depend on evaluation order at the last double bit: tested in f16/f32 only
COMPOSITE = {"Sigmoid", "Softplus", "Softsign", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish",
             "Mish", "Gelu", "Shrink", "LeakyRelu"}

DOMAIN = {
    None: [-3.75, -1.5, -0.3, 0.0, 0.7, 1.25, 2.5, 9.0],
    "pos0": [0.0, 0.001, 0.5, 1.0, 2.0, 10.0, 123.4, -1.0],
    "halves": [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4, -3.7],
    "unit": [-0.99, -0.5, -0.1, 0.0, 0.2, 0.6, 0.9, 1.0],
    "ge1": [1.0, 1.001, 1.5, 2.0, 3.75, 10.0, 100.0, 0.5],
}


def unary_tests():
    f = File("fold-unary.dl", "Unary elementwise ops on constants, per element type: float\n"
             "results are the correctly rounded values (computed in double, rounded once).")
    for op, (fn, attrs, dom) in UNARY_FLOAT.items():
        for key in ["f32", "f16", "f64", "bf16"]:
            if key == "f64" and op in COMPOSITE:
                continue
            if key == "bf16" and op not in ("Exp", "Relu", "Neg", "Sqrt", "Tanh"):
                continue
            x = arr(key, DOMAIN[dom])
            y = round_float(key, [safe(fn)(float(v)) for v in x])
            f.case("%s_%s" % (op.lower(), key), op, [C(key, x)], [(key, x.shape)], attrs,
                   [(key, y)])
    # integer versions
    for key in ["i8", "i32", "i64", "u8", "u64"]:
        x = arr(key, [-128, -5, -1, 0, 1, 7, 100, 127] if key.startswith("i") else
                [0, 1, 5, 127, 128, 200, 255, 3])
        for op, fn in [("Abs", abs), ("Neg", lambda v: -v),
                       ("Sign", lambda v: (v > 0) - (v < 0)), ("Relu", lambda v: max(v, 0))]:
            if key.startswith("u") and op in ("Abs", "Relu"):
                continue
            f.case("%s_%s" % (op.lower(), key), op, [C(key, x)], [(key, x.shape)], "",
                   [(key, wrap(key, [fn(int(v)) for v in x]))])
    # IsNaN / IsInf / Not: boolean results
    x = arr("f32", [math.nan, math.inf, -math.inf, 0.0, -1.5, 3.0])
    f.case("isnan_f32", "IsNaN", [C("f32", x)], [("i1", x.shape)], "",
           [("i1", np.isnan(x))])
    for dn, dp in [(1, 1), (0, 1), (1, 0)]:
        y = (np.isneginf(x) & bool(dn)) | (np.isposinf(x) & bool(dp))
        f.case("isinf_%d%d" % (dn, dp), "IsInf", [C("f32", x)], [("i1", x.shape)],
               "detect_negative = %d, detect_positive = %d" % (dn, dp), [("i1", y)])
    b = np.array([[True, False], [False, True]])
    f.case("not_i1", "Not", [C("i1", b)], [("i1", b.shape)], "", [("i1", ~b)])
    # a splat result and a result printed as hex bytes
    x = arr("f32", [-1.0] * 6, (2, 3))
    f.case("relu_splat", "Relu", [C("f32", x)], [("f32", x.shape)], "",
           [("f32", np.zeros((2, 3), np.float32))])
    x = vals("f32", (4, 5))
    f.case("exp_hex", "Exp", [C("f32", x)], [("f32", x.shape)], "",
           [("f32", round_float("f32", [math.exp(float(v)) for v in x.reshape(-1)]).reshape(4, 5))])
    return f.write()



def trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def int_binary(op, key, x, y, fmod=0):
    """op on Python ints, wrapped to key; None when it must not fold."""
    if op == "Add":
        r = x + y
    elif op == "Sub":
        r = x - y
    elif op == "Mul":
        r = x * y
    elif op == "Div":
        if y == 0:
            return None
        r = trunc_div(x, y)
    elif op == "Mod":
        if y == 0:
            return None
        r = x - trunc_div(x, y) * y if fmod else x % y
    elif op == "Pow":
        if y < 0:
            return None
        r = pow(x, y, 1 << 64)
    elif op == "Max":
        r = max(x, y)
    elif op == "Min":
        r = min(x, y)
    else:
        raise ValueError(op)
    return r


def bcast_apply(fn, key, xs, out_key=None):
    """fn over broadcast operands (arrays), elementwise on Python scalars."""
    bs = np.broadcast_arrays(*xs)
    shape = bs[0].shape
    flat = [b.reshape(-1) for b in bs]
    res = [fn(*[v[i].item() for v in flat]) for i in range(flat[0].size)]
    return res, shape


SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (4,)), ((3, 1, 2), (4, 1))]


def binary_tests():
    f = File("fold-binary.dl", "Binary and variadic arithmetic on constants with numpy\n"
             "broadcasting: float ops in the element type (numpy's own arithmetic for\n"
             "f16/f32/f64), integer ops wrapping, integer Div truncating toward zero, Mod with\n"
             "fmod 0 and 1.")
    npops = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}
    for op in ["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"]:
        for key in ["f32", "f16", "f64", "bf16"]:
            for si, (sa, sb) in enumerate(SHAPES):
                if key in ("f64", "bf16") and si > 1:
                    continue
                x, y = vals(key, sa), vals(key, sb)
                if op == "Pow":
                    x, y = abs(x), arr(key, RNG.integers(-3, 4, y.size).astype(float) * 0.5,
                                       sb)
                if op in npops and key != "bf16":
                    z = npops[op](x, y)
                else:
                    fn = {"Add": lambda a, b: a + b, "Sub": lambda a, b: a - b,
                          "Mul": lambda a, b: a * b, "Div": lambda a, b: a / b,
                          "Pow": safe(math.pow), "Max": np_max, "Min": np_min}[op]
                    res, shape = bcast_apply(fn, key, [x.astype(np.float64), y.astype(np.float64)])
                    z = round_float(key, res).reshape(shape)
                f.case("%s_%s_%d" % (op.lower(), key, si), op, [C(key, x), C(key, y)],
                       [(key, z.shape)], "", [(key, z)])
    # NaN propagation and ties of Max/Min, division by zero in floats
    x = arr("f32", [math.nan, 1.0, 0.0, -0.0, 2.0, 1.0])
    y = arr("f32", [1.0, math.nan, -0.0, 0.0, 0.0, -0.0])
    for op, fn in [("Max", np.maximum), ("Min", np.minimum), ("Div", np.divide)]:
        f.case("%s_f32_special" % op.lower(), op, [C("f32", x), C("f32", y)], [("f32", (6,))],
               "", [("f32", fn(x, y))])
    # integers
    for op in ["Add", "Sub", "Mul", "Div", "Mod", "Pow", "Max", "Min"]:
        for key in ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"]:
            for si, (sa, sb) in enumerate(SHAPES[:3]):
                if si and key not in ("i32", "i64"):
                    continue
                x = vals(key, sa, ints=(-120, 120))
                y = vals(key, sb, ints=(-9, 10))
                if op in ("Div", "Mod"):
                    y = np.where(y == 0, np.array(3, dtype=y.dtype), y)
                if op == "Pow":
                    y = abs(y.astype(np.int64)).astype(y.dtype) % 5
                for fm in ([0, 1] if op == "Mod" else [0]):
                    res, shape = bcast_apply(lambda a, b: int_binary(op, key, a, b, fm), key,
                                             [x, y])
                    z = wrap(key, res).reshape(shape)
                    name = "%s_%s_%d" % (op.lower(), key, si) + ("_fmod" if fm else "")
                    f.case(name, op, [C(key, x), C(key, y)], [(key, z.shape)],
                           "fmod = 1" if fm else ("fmod = 0" if op == "Mod" else ""),
                           [(key, z)])
    # wrapping extremes
    x = arr("i64", [2**63 - 1, -2**63, -2**63, 7, -7, 5])
    y = arr("i64", [1, -1, 1, -2, 2, -3])
    for op in ["Add", "Mul", "Div", "Sub"]:
        res, _ = bcast_apply(lambda a, b: int_binary(op, "i64", a, b), "i64", [x, y])
        f.case("%s_i64_extremes" % op.lower(), op, [C("i64", x), C("i64", y)], [("i64", (6,))],
               "", [("i64", wrap("i64", res))])
    x = arr("u64", [2**64 - 1, 2**63, 5, 2**63 + 7])
    y = arr("u64", [2**63, 3, 2**64 - 1, 2])
    for op in ["Div", "Max", "Min", "Mod", "Add"]:
        res, _ = bcast_apply(lambda a, b: int_binary(op, "u64", a, b), "u64", [x, y])
        f.case("%s_u64_big" % op.lower(), op, [C("u64", x), C("u64", y)], [("u64", (4,))],
               "fmod = 0" if op == "Mod" else "", [("u64", wrap("u64", res))])
    f.case("mod_f32_fmod", "Mod", [C("f32", arr("f32", [5.5, -5.5, 5.5, -7.25])),
                                   C("f32", arr("f32", [2.0, 2.0, -2.0, 0.5]))],
           [("f32", (4,))], "fmod = 1",
           [("f32", np.fmod(arr("f32", [5.5, -5.5, 5.5, -7.25]), arr("f32", [2, 2, -2, 0.5])))])
    # Pow with an exponent of another type
    x, y = arr("f32", [1.5, 2.0, -3.0, 0.5]), arr("i64", [2, 3, 3, -2])
    f.case("pow_f32_i64", "Pow", [C("f32", x), C("i64", y)], [("f32", (4,))], "",
           [("f32", round_float("f32", [math.pow(float(a), int(b)) for a, b in zip(x, y)]))])
    x, y = arr("i32", [2, 3, -2, 5]), arr("f32", [3.0, 0.5, 3.0, 2.0])
    f.case("pow_i32_f32", "Pow", [C("i32", x), C("f32", y)], [("i32", (4,))], "",
           [("i32", np.power(x.astype(np.float64), y.astype(np.float64)).astype(np.int32))])
    # PRelu with a broadcast slope
    x, s = vals("f32", (2, 3)), arr("f32", [0.5, -0.25, 2.0])
    f.case("prelu_f32", "PRelu", [C("f32", x), C("f32", s)], [("f32", (2, 3))], "",
           [("f32", np.where(x < 0, x * s, x))])
    # variadic: accumulated left to right in the element type
    for key in ["f32", "f16", "i32", "u8"]:
        xs = [vals(key, (2, 3)), vals(key, (3,)), vals(key, (2, 1))]
        ops = [("Sum", None), ("Mean", None), ("Max", None), ("Min", None)]
        for op, _ in ops:
            if key in FLOATS:
                if op == "Sum":
                    z = (xs[0] + xs[1]) + xs[2]
                elif op == "Mean":
                    z = ((xs[0] + xs[1]) + xs[2]) / NP[key](3)
                elif op == "Max":
                    z = np.maximum(np.maximum(xs[0], xs[1]), xs[2])
                else:
                    z = np.minimum(np.minimum(xs[0], xs[1]), xs[2])
                z = z.astype(NP[key])
            else:
                def fn(a, b, c, op=op):
                    if op == "Sum":
                        return a + b + c
                    if op == "Mean":
                        return trunc_div(int(wrap(key, [a + b + c])[0]), 3)
                    return (max if op == "Max" else min)(a, b, c)
                res, shape = bcast_apply(fn, key, xs)
                z = wrap(key, res).reshape(shape)
            f.case("%s3_%s" % (op.lower(), key), op, [C(key, x) for x in xs], [(key, (2, 3))],
                   "", [(key, z)])
    x = vals("f32", (3,))
    f.case("sum1_f32", "Sum", [C("f32", x)], [("f32", (3,))], "", [("f32", x)])
    # a larger result, printed as hex bytes
    x, y = vals("f32", (4, 1, 5)), vals("f32", (3, 1))
    f.case("add_f32_hex", "Add", [C("f32", x), C("f32", y)], [("f32", (4, 3, 5))], "",
           [("f32", x + y)])
    x, y = vals("i64", (3, 6)), vals("i64", (6,))
    f.case("mul_i64_hex", "Mul", [C("i64", x), C("i64", y)], [("i64", (3, 6))], "",
           [("i64", x * y)])
    return f.write()



def logic_tests():
    f = File("fold-logic.dl", "Comparisons, logic, Where, Clip and BitShift on constants (numpy\n"
             "semantics: comparisons with NaN are false, u64 compares unsigned).")
    cmps = {"Equal": np.equal, "Less": np.less, "LessOrEqual": np.less_equal,
            "Greater": np.greater, "GreaterOrEqual": np.greater_equal}
    inputs = {
        "f32": (arr("f32", [1.0, math.nan, -2.0, 3.5, 0.0, -0.0], (2, 3)),
                arr("f32", [1.0, 1.0, 2.0], (3,))),
        "i64": (arr("i64", [1, -5, 7, 2**40, -1, 0], (2, 3)), arr("i64", [[1], [-1]])),
        "u64": (arr("u64", [2**64 - 1, 2**63, 1, 0]), arr("u64", [2**63, 2**63, 2**64 - 1, 0])),
        "f16": (arr("f16", [0.1, 0.2, 65504.0, -1.0]), arr("f16", [0.1, 0.25, math.inf, -1.0])),
        "i8": (arr("i8", [-128, 127, 0, 5]), arr("i8", [5])),
    }
    for op, fn in cmps.items():
        for key, (x, y) in inputs.items():
            z = fn(x, y)
            f.case("%s_%s" % (op.lower(), key), op, [C(key, x), C(key, y)], [("i1", z.shape)], "",
                   [("i1", z)])
    b1 = np.array([[True, False, True], [False, False, True]])
    b2 = np.array([True, False, False])
    f.case("equal_i1", "Equal", [C("i1", b1), C("i1", b2)], [("i1", (2, 3))], "",
           [("i1", b1 == b2)])
    for op, fn in [("And", np.logical_and), ("Or", np.logical_or), ("Xor", np.logical_xor)]:
        f.case(op.lower(), op, [C("i1", b1), C("i1", b2)], [("i1", (2, 3))], "",
               [("i1", fn(b1, b2))])
    cond = np.array([[True], [False]])
    for key in ["f32", "i64", "i1", "bf16"]:
        x, y = vals(key, (2, 3)), vals(key, (3,))
        f.case("where_%s" % key, "Where", [C("i1", cond), C(key, x), C(key, y)],
               [(key, (2, 3))], "", [(key, np.where(cond, x, y))])
    # Clip with both bounds, one bound (the other absent), none, and integers
    x = arr("f32", [-3.0, -1.0, 0.0, 0.5, 2.0, math.nan])
    lo, hi = arr("f32", [-1.5], ()), arr("f32", [1.0], ())
    f.case("clip_f32", "Clip", [C("f32", x), C("f32", lo), C("f32", hi)], [("f32", (6,))], "",
           [("f32", np.clip(x, lo, hi))])
    f.case("clip_f32_min", "Clip", [C("f32", x), C("f32", lo), NONE], [("f32", (6,))], "",
           [("f32", np.where(x < lo, lo, x))])
    f.case("clip_f32_max", "Clip", [C("f32", x), NONE, C("f32", hi)], [("f32", (6,))], "",
           [("f32", np.where(x > hi, hi, x))])
    f.case("clip_f32_none", "Clip", [C("f32", x)], [("f32", (6,))], "", [("f32", x)])
    xi = arr("i32", [-100, -3, 0, 4, 99])
    f.case("clip_i32", "Clip", [C("i32", xi), C("i32", arr("i32", [-5], ())),
                                C("i32", arr("i32", [10], ()))], [("i32", (5,))], "",
           [("i32", np.clip(xi, -5, 10))])
    xu = arr("u64", [0, 5, 2**63 + 1, 2**64 - 1])
    f.case("clip_u64", "Clip", [C("u64", xu), C("u64", arr("u64", [3], ())),
                                C("u64", arr("u64", [2**63], ()))], [("u64", (4,))], "",
           [("u64", np.clip(xu, np.uint64(3), np.uint64(2**63)))])
    # BitShift: shifts of the element width or more give 0
    for key in ["u8", "u16", "u32", "u64"]:
        bits = SIZE[key] * 8
        x = arr(key, [1, 3, 255, 2**(bits - 1), 7])
        y = arr(key, [1, 0, 4, 1, bits])
        for d in ["LEFT", "RIGHT"]:
            res = [(a << b if d == "LEFT" else a >> b) if b < bits else 0
                   for a, b in zip(map(int, x), map(int, y))]
            f.case("bitshift_%s_%s" % (d.lower(), key), "BitShift", [C(key, x), C(key, y)],
                   [(key, (5,))], 'direction = "%s"' % d, [(key, wrap(key, res))])
    return f.write()


def cast_values(src):
    if src in FLOATS:
        v = [0.0, 1.5, -1.5, 2.5, -0.5, 100.9, -100.9, 1.0]
        if src in ("f32", "f64"):
            v += [70000.5, 1e10, 3e38 if src == "f32" else 1e300, 1e-8, 0.1, math.nan, math.inf,
                  -math.inf]
        return arr(src, v)
    if src == "i1":
        return np.array([True, False, True])
    if src.startswith("u"):
        bits = SIZE[src] * 8
        return arr(src, [0, 1, 127, 128, 255, 2**(bits - 1), 2**bits - 1, 65519 % 2**bits])
    bits = SIZE[src] * 8
    return arr(src, [0, 1, -1, 127, -128, 300, 2**(bits - 1) - 1, -2**(bits - 1), 16777217 %
                     2**(bits - 1)])


def cast_ref(src, dst, x):
    """numpy astype, bf16 by hand (through float: every bf16 value is a float)."""
    if src == "bf16":
        x = x.astype(np.float32)
    if dst == "bf16":
        if src in ("f64",) or src in INTS:
            # float64 -> bf16 with one rounding: round to odd in float32 first
            d = x.astype(np.float64)
            f = d.astype(np.float32)
            inexact = (f.astype(np.float64) != d) & np.isfinite(f) & ~np.isnan(d)
            toward0 = np.where(np.abs(f.astype(np.float64)) > np.abs(d),
                               np.nextafter(f, np.float32(0)), f)
            bits = np.ascontiguousarray(toward0).view(np.uint32)
            f = np.where(inexact, (bits | 1).view(np.float32), f)
            return bf16(f)
        return bf16(x.astype(np.float32))
    return x.astype(NP[dst])


def cast_tests():
    f = File("fold-cast.dl", "Cast between every pair of element types (numpy astype: nearest\n"
             "even between floats, truncation toward zero from float to integer, wrapping between\n"
             "integers, x != 0 to bool). Values out of an integer target's range are undefined in\n"
             "ONNX; the cases keep to values whose numpy results dlcc reproduces.")
    count = 0
    for src in ALL:
        x = cast_values(src)
        for dst in ALL:
            xs = x
            if src in FLOATS and dst in INTS + ["i1"] and len(x) > 8:
                # out-of-range float -> integer is platform behaviour; keep the in-range part,
                # plus the out-of-range values where x86-64 numpy and dlcc agree
                keep = list(range(8))
                if dst in ("i8", "u8", "i16", "u16", "i32", "i64", "i1"):
                    keep = list(range(len(x)))
                    if dst in ("u8", "u16"):
                        keep = [k for k in keep if k < 13 or dst == "i1"]
                xs = x[keep]
            y = cast_ref(src, dst, xs)
            f.case("cast_%s_%s" % (src, dst), "Cast", [C(src, xs)], [(dst, xs.shape)],
                   "to = %d" % ONNX_CODE[dst], [(dst, y)])
            count += 1
    # values a float rounding would move onto an f16 / bf16 midpoint: rounded once
    m16, m8 = 1 + 2.0**-11, 1 + 2.0**-8
    x = arr("f64", [m16 + 2.0**-30, m16 - 2.0**-30, m16, m8 + 2.0**-30, m8 - 2.0**-30, m8])
    f.case("cast_f64_f16_once", "Cast", [C("f64", x)], [("f16", (6,))], "to = 10",
           [("f16", x.astype(np.float16))])
    f.case("cast_f64_bf16_once", "Cast", [C("f64", x)], [("bf16", (6,))], "to = 16",
           [("bf16", cast_ref("f64", "bf16", x))])
    x = arr("f32", [1.7, -2.2, 300.0])
    f.case("castlike_f32_i8", "CastLike", [C("f32", x), A(ttype("i8", (1,)))], [("i8", (3,))],
           "", [("i8", x.astype(np.int8))])
    return f.write()



def i64(v, shape=None):
    return arr("i64", v, shape)


def onnx_slice(x, starts, ends, axes=None, steps=None):
    """ONNX Slice through Python slices (which clamp the same way)."""
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    idx = [slice(None)] * x.ndim
    for s_, e, a, st in zip(starts, ends, axes, steps):
        idx[a] = slice(s_, e, st)
    return x[tuple(idx)]


def shape_tests():
    f = File("fold-shape.dl", "Shape computations and data movement on constants: Shape and Size\n"
             "from static types, Gather, Concat, (Un)Squeeze, Slice, Range, Reshape, Flatten,\n"
             "Transpose, Expand, Tile, ConstantOfShape, Identity, Split.")
    # Shape with start/end (clamped), on static, dynamic and symbolic input types
    dims = (2, 3, 4)
    x = A(ttype("f32", dims))
    for start, end in [(None, None), (1, None), (-1, None), (0, -1), (-5, 10), (2, 1)]:
        sel = list(dims)[slice(start, end)]
        attrs = ", ".join(a for a in [("end = %d" % end) if end is not None else "",
                                      ("start = %d" % start) if start is not None else ""] if a)
        name = "shape_%s_%s" % (start, end)
        f.case(name.replace("-", "m"), "Shape", [x], [("i64", (len(sel),))], attrs,
               [("i64", i64(sel))])
    f.case("shape_dynamic_tail", "Shape", [A("tensor<?x3x4xf32>")], [("i64", (2,))], "start = 1",
           [("i64", i64([3, 4]))])
    f.case("shape_symbolic_tail", "Shape", [A("tensor<{N}x5xf32>")], [("i64", (1,))],
           "start = -1", [("i64", i64([5]))])
    f.case("size_static", "Size", [A("tensor<2x3x4xf32>")], [("i64", ())], "",
           [("i64", i64(24, ()))])
    f.case("size_empty", "Size", [A("tensor<2x0xi8>")], [("i64", ())], "", [("i64", i64(0, ()))])
    # Gather
    data = vals("f32", (3, 4))
    for name, ind, axis in [("gather_rows", i64([2, 0]), 0),
                            ("gather_cols_neg", i64([[0, -1], [1, 2]]), 1),
                            ("gather_scalar", i64(1, ()), 0),
                            ("gather_scalar_axis1", i64(-4, ()), -1)]:
        z = np.take(data, np.where(ind < 0, ind + data.shape[axis], ind), axis=axis)
        f.case(name, "Gather", [C("f32", data), C("i64", ind)], [("f32", z.shape)],
               "axis = %d" % axis, [("f32", z)])
    shp = i64([2, 3, 224, 224])
    idx32 = arr("i32", [0], ())
    f.case("gather_shape_dim", "Gather", [C("i64", shp), C("i32", idx32)], [("i64", ())],
           "axis = 0", [("i64", i64(2, ()))])
    # Concat
    a, b, c = i64([1]), i64([-1]), i64([7, 8])
    f.case("concat_i64", "Concat", [C("i64", a), C("i64", b), C("i64", c)], [("i64", (4,))],
           "axis = 0", [("i64", np.concatenate([a, b, c]))])
    p_, q_ = vals("f32", (2, 1)), vals("f32", (2, 3))
    f.case("concat_f32_axis1", "Concat", [C("f32", p_), C("f32", q_)], [("f32", (2, 4))],
           "axis = -1", [("f32", np.concatenate([p_, q_], axis=1))])
    p_, q_ = vals("i32", (1, 3)), vals("i32", (2, 3))
    f.case("concat_i32_axis0", "Concat", [C("i32", p_), C("i32", q_)], [("i32", (3, 3))],
           "axis = 0", [("i32", np.concatenate([p_, q_], axis=0))])
    # Unsqueeze / Squeeze
    f.case("unsqueeze_scalar", "Unsqueeze", [C("i64", i64(5, ())), C("i64", i64([0]))],
           [("i64", (1,))], "", [("i64", i64([5]))])
    u = vals("f32", (2, 3))
    f.case("unsqueeze_two", "Unsqueeze", [C("f32", u), C("i64", i64([1, -1]))],
           [("f32", (2, 1, 3, 1))], "", [("f32", u.reshape(2, 1, 3, 1))])
    sq = vals("i32", (1, 3, 1))
    f.case("squeeze_axes", "Squeeze", [C("i32", sq), C("i64", i64([0]))], [("i32", (3, 1))], "",
           [("i32", sq.reshape(3, 1))])
    f.case("squeeze_all", "Squeeze", [C("i32", sq)], [("i32", (3,))], "",
           [("i32", sq.reshape(3))])
    # Slice
    seq = i64(list(range(10, 20)))
    INT64_MAX, INT64_MIN = 2**63 - 1, -2**63
    for name, st, en, ax, sp in [
            ("slice_step2", [2], [8], [0], [2]), ("slice_reverse", [-1], [INT64_MIN], [0], [-1]),
            ("slice_to_end", [-3], [INT64_MAX], None, None), ("slice_empty", [5], [2], [0], [1]),
            ("slice_clamped", [-100], [100], [0], [3]), ("slice_neg_step3", [8], [1], [0], [-3])]:
        z = onnx_slice(seq, st, en, ax, sp)
        ops = [C("i64", seq), C("i64", i64(st)), C("i64", i64(en))]
        if ax is not None:
            ops.append(C("i64", i64(ax)))
        if sp is not None:
            ops.append(C("i64", i64(sp)))
        f.case(name, "Slice", ops, [("i64", z.shape)], "", [("i64", z)])
    m = vals("f32", (3, 4, 2))
    z = onnx_slice(m, [1, -1], [1000, 0], [-2, 0], [2, -1])
    f.case("slice_3d", "Slice", [C("f32", m), C("i64", i64([1, -1])), C("i64", i64([1000, 0])),
                                 C("i64", i64([-2, 0])), C("i64", i64([2, -1]))],
           [("f32", z.shape)], "", [("f32", z)])
    z = onnx_slice(m, [0, 1], [2, 3], [0, 1], None)
    f.case("slice_none_steps", "Slice", [C("f32", m), C("i64", i64([0, 1])), C("i64", i64([2, 3])),
                                         C("i64", i64([0, 1])), NONE], [("f32", z.shape)], "",
           [("f32", z)])
    # Range: accumulated in the element type (start, start + delta, ...)
    ranges = [("i64", (0, 10, 3)), ("i32", (10, 2, -3)), ("f32", (0.0, 1.0, 0.1)),
              ("f64", (1.0, -1.0, -0.25)), ("i16", (5, 5, 1)), ("f32", (-1.5, 2.0, 0.7))]
    for k, (key, (s0, l0, d0)) in enumerate(ranges):
        st, li, de = arr(key, [s0], ()), arr(key, [l0], ()), arr(key, [d0], ())
        n = max(int(math.ceil((float(li) - float(st)) / float(de))), 0)
        out, acc = [], st[()]
        for _ in range(n):
            out.append(acc)
            acc = (acc + de[()]).astype(NP[key]) if key in FLOATS else acc + de[()]
        z = arr(key, [float(v) if key in FLOATS else int(v) for v in out])
        name = "range_%s_%d" % (key, k)
        f.case(name, "Range", [C(key, st), C(key, li), C(key, de)], [(key, (n,))], "", [(key, z)])
    # Reshape, Flatten, Identity: the same data under another type
    r = vals("f32", (2, 3))
    f.case("reshape_f32", "Reshape", [C("f32", r), C("i64", i64([3, -1]))], [("f32", (3, 2))],
           "allowzero = 0", [("f32", r.reshape(3, 2))])
    f.case("reshape_zero", "Reshape", [C("f32", r), C("i64", i64([0, 3, 1]))],
           [("f32", (2, 3, 1))], "allowzero = 0", [("f32", r.reshape(2, 3, 1))])
    fl = vals("i8", (2, 3, 2))
    f.case("flatten_axis1", "Flatten", [C("i8", fl)], [("i8", (2, 6))], "axis = 1",
           [("i8", fl.reshape(2, 6))])
    f.case("flatten_axis0", "Flatten", [C("i8", fl)], [("i8", (1, 12))], "axis = 0",
           [("i8", fl.reshape(1, 12))])
    iv = vals("u16", (3,), ints=(0, 900))
    f.case("identity_u16", "Identity", [C("u16", iv)], [("u16", (3,))], "", [("u16", iv)])
    dv = vals("f32", (2, 2))
    f.case("dropout_inference", "Dropout", [C("f32", dv)], [("f32", (2, 2)), ("i1", (2, 2))], "",
           [("f32", dv), ("i1", np.ones((2, 2), np.bool_))])
    f.case("dropout_false_mode", "Dropout", [C("f32", dv), NONE, C("i1", np.array(False))],
           [("f32", (2, 2))], "", [("f32", dv)])
    # Transpose (a 24-element result prints as hex), default perm reverses
    t = vals("f32", (2, 3, 4))
    f.case("transpose_perm", "Transpose", [C("f32", t)], [("f32", (4, 2, 3))], "perm = [2, 0, 1]",
           [("f32", t.transpose(2, 0, 1))])
    t2 = vals("i64", (2, 3))
    f.case("transpose_default", "Transpose", [C("i64", t2)], [("i64", (3, 2))], "",
           [("i64", t2.T)])
    # Expand and Tile
    e = vals("f32", (3, 1))
    f.case("expand_f32", "Expand", [C("f32", e), C("i64", i64([2, 1, 4]))], [("f32", (2, 3, 4))],
           "", [("f32", np.broadcast_to(e, (2, 3, 4)))])
    f.case("expand_splat", "Expand", [C("i64", i64([7])), C("i64", i64([2, 3]))],
           [("i64", (2, 3))], "", [("i64", np.full((2, 3), 7, np.int64))])
    tl = vals("i32", (2, 2))
    f.case("tile_i32", "Tile", [C("i32", tl), C("i64", i64([1, 3]))], [("i32", (2, 6))], "",
           [("i32", np.tile(tl, (1, 3)))])
    f.case("tile_twice", "Tile", [C("i32", tl), C("i64", i64([2, 1]))], [("i32", (4, 2))], "",
           [("i32", np.tile(tl, (2, 1)))])
    # ConstantOfShape (also from a non-constant shape: the result type is static)
    f.case("constant_of_shape_i64", "ConstantOfShape", [C("i64", i64([2, 3]))], [("i64", (2, 3))],
           "value = dense<[7]> : tensor<1xi64>", [("i64", np.full((2, 3), 7, np.int64))])
    f.case("constant_of_shape_default", "ConstantOfShape", [C("i64", i64([4]))],
           [("f32", (4,))], "", [("f32", np.zeros(4, np.float32))])
    f.case("constant_of_shape_empty", "ConstantOfShape", [C("i64", i64([0, 3]))],
           [("f16", (0, 3))], "value = dense<[1.5]> : tensor<1xf16>",
           [("f16", np.zeros((0, 3), np.float16))])
    # Split into the result types' sizes
    sp = i64([1, 2, 3, 4, 5, 6])
    f.case("split_sizes", "Split", [C("i64", sp), C("i64", i64([2, 4]))],
           [("i64", (2,)), ("i64", (4,))], "axis = 0", [("i64", sp[:2]), ("i64", sp[2:])])
    sp2 = vals("f32", (2, 4))
    f.case("split_equal", "Split", [C("f32", sp2)], [("f32", (2, 2)), ("f32", (2, 2))],
           "axis = 1", [("f32", sp2[:, :2]), ("f32", sp2[:, 2:])])
    shape_chains(f)
    return f.write()


def shape_chains(f):
    """Multi-op shape computations as exporters write them: everything folds except the
    Reshape of the (non-constant) input, whose shape operand becomes a constant. Where shape
    inference cannot see through the computation (ReduceProd, Dropout) the Reshape's declared
    type is dynamic and graph-fold's re-inference makes it static; should inference learn those
    ops, the declared types below must become the refined ones."""
    body = [
        "%s = graph.Shape(%x0) : (tensor<2x3x8x8xf32>) -> (tensor<4xi64>)",
        "%i0 = graph.Constant() {value = dense<0> : tensor<i64>} : () -> (tensor<i64>)",
        "%n = graph.Gather(%s, %i0) {axis = 0} : (tensor<4xi64>, tensor<i64>) -> (tensor<i64>)",
        "%a0 = graph.Constant() {value = dense<[0]> : tensor<1xi64>} : () -> (tensor<1xi64>)",
        "%nu = graph.Unsqueeze(%n, %a0) : (tensor<i64>, tensor<1xi64>) -> (tensor<1xi64>)",
        "%m1 = graph.Constant() {value = dense<[-1]> : tensor<1xi64>} : () -> (tensor<1xi64>)",
        "%shape = graph.Concat(%nu, %m1) {axis = 0} : (tensor<1xi64>, tensor<1xi64>) -> "
        "(tensor<2xi64>)",
        "%y = graph.Reshape(%x0, %shape) {allowzero = 0} : (tensor<2x3x8x8xf32>, tensor<2xi64>) -> "
        "(tensor<2x192xf32>)",
        "builtin.return(%y) : (tensor<2x192xf32>) -> ()",
    ]
    f.raw("chain_flatten_batch", ["tensor<2x3x8x8xf32>"], ["tensor<2x192xf32>"], body, [
        '// CHECK-LABEL: function_type = (tensor<2x3x8x8xf32>) -> (tensor<2x192xf32>), '
        'sym_name = "chain_flatten_batch"',
        "// CHECK-NEXT: ^bb0(%x0: tensor<2x3x8x8xf32>):",
        "// CHECK-NEXT: %shape = graph.Constant() {value = dense<[2, -1]> : tensor<2xi64>}",
        "// CHECK-NEXT: %y = graph.Reshape(%x0, %shape) {allowzero = 0} : (tensor<2x3x8x8xf32>, "
        "tensor<2xi64>) -> (tensor<2x192xf32>)",
        "// CHECK-NEXT: builtin.return(%y) : (tensor<2x192xf32>) -> ()"])
    body = [
        "%s = graph.Shape(%x0) {start = 1} : (tensor<?x3x8x8xf32>) -> (tensor<3xi64>)",
        "%ax = graph.Constant() {value = dense<[0]> : tensor<1xi64>} : () -> (tensor<1xi64>)",
        "%p = graph.ReduceProd(%s) {axes = [0], keepdims = 1} : (tensor<3xi64>) -> "
        "(tensor<1xi64>)",
        "%m1 = graph.Constant() {value = dense<[-1]> : tensor<1xi64>} : () -> (tensor<1xi64>)",
        "%shape = graph.Concat(%m1, %p) {axis = 0} : (tensor<1xi64>, tensor<1xi64>) -> "
        "(tensor<2xi64>)",
        "%y = graph.Reshape(%x0, %shape) {allowzero = 0} : (tensor<?x3x8x8xf32>, tensor<2xi64>) -> "
        "(tensor<?x?xf32>)",
        "builtin.return(%y) : (tensor<?x?xf32>) -> ()",
    ]
    f.raw("chain_dynamic_batch", ["tensor<?x3x8x8xf32>"], ["tensor<?x?xf32>"], body, [
        '// CHECK-LABEL: function_type = (tensor<?x3x8x8xf32>) -> (tensor<?x192xf32>), '
        'sym_name = "chain_dynamic_batch"',
        "// CHECK-NEXT: ^bb0(%x0: tensor<?x3x8x8xf32>):",
        "// CHECK-NEXT: %shape = graph.Constant() {value = dense<[-1, 192]> : tensor<2xi64>}",
        "// CHECK-NEXT: %y = graph.Reshape(%x0, %shape) {allowzero = 0} : (tensor<?x3x8x8xf32>, "
        "tensor<2xi64>) -> (tensor<?x192xf32>)",
        "// CHECK-NEXT: builtin.return(%y) : (tensor<?x192xf32>) -> ()"])
    # a constant through Identity and Dropout reaches a Reshape, whose type is re-inferred
    body = [
        "%c = graph.Constant() {value = dense<[3, 2]> : tensor<2xi64>} : () -> (tensor<2xi64>)",
        "%i = graph.Identity(%c) : (tensor<2xi64>) -> (tensor<2xi64>)",
        "%d = graph.Dropout(%i) : (tensor<2xi64>) -> (tensor<2xi64>)",
        "%y = graph.Reshape(%x0, %d) {allowzero = 0} : (tensor<2x3xf32>, tensor<2xi64>) -> "
        "(tensor<?x?xf32>)",
        "builtin.return(%y) : (tensor<?x?xf32>) -> ()",
    ]
    f.raw("chain_identity_dropout", ["tensor<2x3xf32>"], ["tensor<?x?xf32>"], body, [
        '// CHECK-LABEL: function_type = (tensor<2x3xf32>) -> (tensor<3x2xf32>), '
        'sym_name = "chain_identity_dropout"',
        "// CHECK-NEXT: ^bb0(%x0: tensor<2x3xf32>):",
        "// CHECK-NEXT: %d = graph.Constant() {value = dense<[3, 2]> : tensor<2xi64>}",
        "// CHECK-NEXT: %y = graph.Reshape(%x0, %d) {allowzero = 0} : (tensor<2x3xf32>, "
        "tensor<2xi64>) -> (tensor<3x2xf32>)",
        "// CHECK-NEXT: builtin.return(%y) : (tensor<3x2xf32>) -> ()"])
    # Resize-style sizes: Shape -> Slice -> Cast -> Mul -> Floor -> Cast -> Concat
    body = [
        "%s = graph.Shape(%x0) : (tensor<1x3x10x15xf32>) -> (tensor<4xi64>)",
        "%b = graph.Constant() {value = dense<[2]> : tensor<1xi64>} : () -> (tensor<1xi64>)",
        "%e = graph.Constant() {value = dense<[4]> : tensor<1xi64>} : () -> (tensor<1xi64>)",
        "%hw = graph.Slice(%s, %b, %e) : (tensor<4xi64>, tensor<1xi64>, tensor<1xi64>) -> "
        "(tensor<2xi64>)",
        "%hwf = graph.Cast(%hw) {to = 1} : (tensor<2xi64>) -> (tensor<2xf32>)",
        "%k = graph.Constant() {value = dense<[1.5, 0.7]> : tensor<2xf32>} : () -> (tensor<2xf32>)",
        "%sc = graph.Mul(%hwf, %k) : (tensor<2xf32>, tensor<2xf32>) -> (tensor<2xf32>)",
        "%fl = graph.Floor(%sc) : (tensor<2xf32>) -> (tensor<2xf32>)",
        "%hwi = graph.Cast(%fl) {to = 7} : (tensor<2xf32>) -> (tensor<2xi64>)",
        "%nc = graph.Slice(%s, %b0, %b) : (tensor<4xi64>, tensor<1xi64>, tensor<1xi64>) -> "
        "(tensor<2xi64>)",
        "%sizes = graph.Concat(%nc, %hwi) {axis = 0} : (tensor<2xi64>, tensor<2xi64>) -> "
        "(tensor<4xi64>)",
        "builtin.return(%sizes) : (tensor<4xi64>) -> ()",
    ]
    body.insert(1, "%b0 = graph.Constant() {value = dense<[0]> : tensor<1xi64>} : () -> "
                "(tensor<1xi64>)")
    hw = np.floor(np.array([10, 15], np.float32) * np.array([1.5, 0.7], np.float32))
    want = i64([1, 3] + [int(v) for v in hw])
    f.raw("chain_resize_sizes", ["tensor<1x3x10x15xf32>"], ["tensor<4xi64>"], body, [
        '// CHECK-LABEL: sym_name = "chain_resize_sizes"',
        "// CHECK-NEXT: ^bb0(%x0: tensor<1x3x10x15xf32>):",
        "// CHECK-NEXT: %sizes = graph.Constant() {value = " + dense_printed("i64", want) +
        "} : () -> (tensor<4xi64>)",
        "// CHECK-NEXT: builtin.return(%sizes)"])



def reduce_ref(op, key, x, axes, keepdims):
    """Sequential row-major accumulation in the element type (Sum, Prod, Mean, L1, SumSquare,
    Min, Max) or in double (L2, LogSum, LogSumExp), rounded once at the end."""
    axes = [a % x.ndim for a in axes] if axes else list(range(x.ndim))
    kept = [1 if d in axes else n for d, n in enumerate(x.shape)]
    flt = key in FLOATS
    acc, count = {}, int(np.prod([x.shape[a] for a in axes]))
    for idx in np.ndindex(*x.shape):
        o = tuple(0 if d in axes else i for d, i in enumerate(idx))
        v = x[idx]
        if op in ("ReduceL2", "ReduceLogSum", "ReduceLogSumExp"):
            v = float(v)
            term = v * v if op == "ReduceL2" else math.exp(v) if op == "ReduceLogSumExp" else v
            acc[o] = acc.get(o, 0.0) + term
            continue
        if o not in acc:
            if op in ("ReduceMin", "ReduceMax"):
                acc[o] = v
                continue
            one = 1 if op == "ReduceProd" else 0
            acc[o] = NP[key](one) if flt else one
        a = acc[o]
        if flt:
            t = {"ReduceSum": lambda: a + v, "ReduceMean": lambda: a + v,
                 "ReduceProd": lambda: a * v, "ReduceL1": lambda: a + abs(v),
                 "ReduceSumSquare": lambda: a + v * v,
                 "ReduceMin": lambda: np.minimum(a, v), "ReduceMax": lambda: np.maximum(a, v)}[op]()
            acc[o] = NP[key](t) if key != "bf16" else bf16(np.float32(t))[()]
        else:
            v = int(v)
            t = {"ReduceSum": a + v, "ReduceMean": a + v, "ReduceProd": a * v,
                 "ReduceL1": a + abs(v), "ReduceSumSquare": a + v * v,
                 "ReduceMin": min(a, v), "ReduceMax": max(a, v)}[op]
            acc[o] = int(wrap(key, [t])[0])
    out = []
    for o in np.ndindex(*kept):
        a = acc[o]
        if op == "ReduceMean":
            a = a / NP[key](count) if flt else trunc_div(a, count)
        elif op == "ReduceL2":
            a = math.sqrt(a)
        elif op in ("ReduceLogSum", "ReduceLogSumExp"):
            a = log(a)
        out.append(a)
    res = round_float(key, [float(v) for v in out]) if flt else wrap(key, out)
    shape = kept if keepdims else [n for d, n in enumerate(x.shape) if d not in axes]
    return res.reshape(shape)


def reduce_tests():
    f = File("fold-reduce.dl", "Reductions of constants, axes from the operand (ReduceSum) or\n"
             "attribute, keepdims 0/1, all axes when none are given, noop_with_empty_axes.")
    ops = ["ReduceSum", "ReduceProd", "ReduceMin", "ReduceMax", "ReduceMean", "ReduceL1",
           "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"]
    for op in ops:
        for key in ["f32", "f16", "i32", "i64", "u8"]:
            if key not in FLOATS and op in ("ReduceL2", "ReduceLogSum", "ReduceLogSumExp"):
                continue
            x = vals(key, (2, 3, 4), lo=0.1 if op == "ReduceLogSum" else -2.0, hi=2.0,
                     ints=(-6, 7))
            for axes, keep in [([1], 1), ([0, -1], 0), (None, 1), ([-1], 0)]:
                if key not in ("f32", "i64") and axes != [1]:
                    continue
                z = reduce_ref(op, key, x, axes, keep)
                attrs = ["keepdims = %d" % keep]
                operands = [C(key, x)]
                if op == "ReduceSum":
                    attrs.append("noop_with_empty_axes = 0")
                    if axes is not None:
                        operands.append(C("i64", i64(axes)))
                elif axes is not None:
                    attrs.insert(0, "axes = [%s]" % ", ".join(map(str, axes)))
                name = "%s_%s_%s_k%d" % (op[6:].lower(), key,
                                         "all" if axes is None else "_".join(
                                             str(a).replace("-", "m") for a in axes), keep)
                f.case(name, op, operands, [(key, z.shape)], ", ".join(attrs), [(key, z)])
    x = vals("f32", (2, 3))
    f.case("sum_noop_empty_axes", "ReduceSum", [C("f32", x), C("i64", i64([]))],
           [("f32", (2, 3))], "keepdims = 1, noop_with_empty_axes = 1", [("f32", x)])
    x = arr("f32", [1.0, math.nan, 3.0, 2.0], (2, 2))
    f.case("max_nan", "ReduceMax", [C("f32", x)], [("f32", (2, 1))], "axes = [1], keepdims = 1",
           [("f32", arr("f32", [math.nan, 3.0], (2, 1)))])
    x = vals("i64", (0, 3))
    f.case("sum_empty_axis", "ReduceSum", [C("i64", x), C("i64", i64([0]))], [("i64", (3,))],
           "keepdims = 0, noop_with_empty_axes = 0", [("i64", i64([0, 0, 0]))])
    f.case("prod_empty_axis", "ReduceProd", [C("i64", x)], [("i64", (1, 3))],
           "axes = [0], keepdims = 1", [("i64", i64([1, 1, 1], (1, 3)))])
    return f.write()


def negative_tests():
    f = File("fold-negative.dl", "Ops that must not fold: non-constant operands, unknown dims,\n"
             "integer division by zero, out-of-range indices, results above\n"
             "DL_FOLD_MAX_ELEMENTS, unsupported semantics.")
    x = A("tensor<3xf32>")
    f.case("add_nonconst", "Add", [x, C("f32", arr("f32", [1, 2, 3]))], [("f32", (3,))])
    f.case("exp_arg", "Exp", [A("tensor<2xf32>")], [("f32", (2,))])
    f.case("div_by_zero", "Div", [C("i32", arr("i32", [1, 2])), C("i32", arr("i32", [1, 0]))],
           [("i32", (2,))])
    f.case("mod_by_zero", "Mod", [C("i64", i64([5])), C("i64", i64([0]))], [("i64", (1,))],
           "fmod = 0")
    f.case("pow_negative_int_exponent", "Pow", [C("i32", arr("i32", [2])),
                                                C("i32", arr("i32", [-1]))], [("i32", (1,))])
    f.case("shape_dynamic_dim", "Shape", [A("tensor<?x3xf32>")], [("i64", (2,))])
    f.case("shape_symbolic_dim", "Shape", [A("tensor<{N}x3xf32>")], [("i64", (1,))], "end = 1")
    f.case("size_dynamic", "Size", [A("tensor<?x3xf32>")], [("i64", ())])
    f.case("gather_out_of_range", "Gather", [C("i64", i64([1, 2, 3])), C("i64", i64([3]))],
           [("i64", (1,))], "axis = 0")
    f.case("gather_neg_out_of_range", "Gather", [C("i64", i64([1, 2, 3])), C("i64", i64([-4]))],
           [("i64", (1,))], "axis = 0")
    f.case("constant_of_shape_too_large", "ConstantOfShape", [C("i64", i64([1025, 1024]))],
           [("f32", (1025, 1024))])
    f.case("expand_too_large", "Expand", [C("f32", arr("f32", [1.0])),
                                          C("i64", i64([2048, 1024]))], [("f32", (2048, 1024))])
    f.case("reshape_nonconst", "Reshape", [A("tensor<2x3xf32>"), C("i64", i64([6]))],
           [("f32", (6,))], "allowzero = 0")
    f.case("transpose_nonconst", "Transpose", [A("tensor<2x3xf32>")], [("f32", (3, 2))],
           "perm = [1, 0]")
    f.case("cast_nonconst", "Cast", [A("tensor<2xi64>")], [("f32", (2,))], "to = 1")
    f.case("concat_one_nonconst", "Concat", [C("i64", i64([1])), A("tensor<1xi64>")],
           [("i64", (2,))], "axis = 0")
    f.case("reducesum_nonconst_axes", "ReduceSum", [C("f32", vals("f32", (2, 3))),
                                                    A("tensor<1xi64>")], ["tensor<?x?xf32>"],
           "keepdims = 1, noop_with_empty_axes = 0")
    f.case("reducemax_empty", "ReduceMax", [C("f32", vals("f32", (0, 3)))], [("f32", (1, 3))],
           "axes = [0], keepdims = 1")
    f.case("random_uniform_like", "RandomUniformLike", [C("f32", arr("f32", [1, 2]))],
           [("f32", (2,))], "high = 1.0, low = 0.0")
    return f.write()



# ---- BatchNormalization folding -------------------------------------------------------------

def const_line(name, key, a):
    return "%s = graph.Constant() {value = %s} : () -> (%s)" % (name, dense_input(key, a),
                                                               ttype(key, np.shape(a)))


def bn_params(c, key="f32"):
    scale = vals(key, (c,), lo=0.5, hi=2.0)
    shift = vals(key, (c,), lo=-1.0, hi=1.0)
    mean = vals(key, (c,), lo=-1.0, hi=1.0)
    var = vals(key, (c,), lo=0.1, hi=3.0)
    return scale, shift, mean, var


def bn_lines(c, key, xname, yname, eps, params, extra_attrs="", scale_name=None):
    scale, shift, mean, var = params
    t = ttype(key, (c,))
    lines = [const_line("%scale", key, scale) if scale_name is None else None,
             const_line("%shift", key, shift), const_line("%mean", key, mean),
             const_line("%var", key, var)]
    return [l for l in lines if l], t


def bn_fold_ref(w, b, params, eps, channel_axis_fn, beta=1.0):
    """Expected folded weight and bias, in double, rounded once to float32:
    a = scale / sqrt(var + eps); w' = w * a[channel]; b' = (beta * b - mean) * a + shift."""
    scale, shift, mean, var = [p.astype(np.float64) for p in params]
    a = scale / np.sqrt(var + np.float64(np.float32(eps)))
    w64 = w.astype(np.float64)
    wf = (w64 * channel_axis_fn(a)).astype(np.float32)
    b64 = np.zeros_like(mean) if b is None else b.astype(np.float64)
    bf = ((beta * b64 - mean) * a + shift).astype(np.float32)
    return wf, bf


def bn_case(f, name, xtype, ytype, producer_lines, bn_input, out_checks, params, eps,
            bn_attrs=None, ret=None, rettypes=None, argtypes=None):
    scale, shift, mean, var = params
    c = scale.size
    body = [const_line("%scale", "f32", scale), const_line("%shift", "f32", shift),
            const_line("%mean", "f32", mean), const_line("%var", "f32", var)]
    body += producer_lines
    ct = ttype("f32", (c,))
    attrs = bn_attrs or "epsilon = %s, momentum = 0.9" % fmt_float(eps, False)
    body.append("%%y = graph.BatchNormalization(%s, %%scale, %%shift, %%mean, %%var) {%s} : "
                "(%s, %s, %s, %s, %s) -> (%s)" % (bn_input, attrs, ytype, ct, ct, ct, ct, ytype))
    ret = ret or ["%y"]
    rettypes = rettypes or [ytype]
    body.append("builtin.return(%s) : (%s) -> ()" % (", ".join(ret), ", ".join(rettypes)))
    f.raw(name, argtypes or [xtype], rettypes, body,
          ['// CHECK-LABEL: sym_name = "%s"' % name] + out_checks)


def batchnorm_tests():
    f = File("batchnorm-fold.dl", "fold-batchnorm: BatchNormalization folded into Conv (with and\n"
             "without bias, grouped), ConvTranspose (grouped), Gemm (transB 0/1, C of several\n"
             "shapes, alpha/beta) and MatMul (a new Add); the expected weights and biases are\n"
             "computed with numpy in double and rounded once. Negative cases keep the BN.",
             passes="fold-batchnorm")
    conv_attrs = ("dilations = [1, 1], group = %d, kernel_shape = [%d, %d], pads = [0, 0, 0, 0], "
                  "strides = [1, 1]")

    def conv_case(name, cin, cout, k, group, with_bias, eps=1e-5):
        w = vals("f32", (cout, cin // group, k, k), lo=-1.0, hi=1.0)
        b = vals("f32", (cout,), lo=-0.5, hi=0.5) if with_bias else None
        params = bn_params(cout)
        hw = 4
        xt, yt = ttype("f32", (1, cin, hw, hw)), ttype("f32", (1, cout, hw - k + 1, hw - k + 1))
        wt = ttype("f32", w.shape)
        lines = [const_line("%w", "f32", w)]
        ops = "%x0, %w"
        types = "%s, %s" % (xt, wt)
        if with_bias:
            lines.append(const_line("%cb", "f32", b))
            ops += ", %cb"
            types += ", " + ttype("f32", (cout,))
        lines.append("%%conv = graph.Conv(%s) {%s} : (%s) -> (%s)"
                     % (ops, conv_attrs % (group, k, k), types, yt))
        wf, bf = bn_fold_ref(w, b, params, eps, lambda a: a.reshape(-1, 1, 1, 1))
        bname = "%cb_bn" if with_bias else "%conv_bias"
        checks = ["// CHECK-NEXT: ^bb0(%%x0: %s):" % xt,
                  "// CHECK-NEXT: %%w_bn = graph.Constant() {value = %s}"
                  % dense_printed("f32", wf),
                  "// CHECK-NEXT: %s = graph.Constant() {value = %s}" % (bname,
                                                                         dense_printed("f32", bf)),
                  "// CHECK-NEXT: %%conv = graph.Conv(%%x0, %%w_bn, %s) {%s} : (%s, %s, %s) -> (%s)"
                  % (bname, conv_attrs % (group, k, k), xt, wt, ttype("f32", (cout,)), yt),
                  "// CHECK-NEXT: builtin.return(%conv) : (" + yt + ") -> ()"]
        bn_case(f, name, xt, yt, lines, "%conv", checks, params, eps)

    conv_case("conv_no_bias", 2, 4, 1, 1, False)
    conv_case("conv_bias_3x3", 2, 3, 2, 1, True, eps=1e-3)
    conv_case("conv_group2", 4, 4, 1, 2, True)
    conv_case("conv_depthwise", 3, 3, 1, 3, False)

    # ConvTranspose, group 2: weight [C_in, M / group, k, k]; output channel g * (M/g) + j
    cin, mg, g = 4, 3, 2
    w = vals("f32", (cin, mg, 1, 1), lo=-1.0, hi=1.0)
    params = bn_params(mg * g)
    xt, yt = ttype("f32", (1, cin, 2, 2)), ttype("f32", (1, mg * g, 2, 2))
    wt = ttype("f32", w.shape)

    def ct_channels(a):
        idx = np.array([[ci // (cin // g) * mg + j for j in range(mg)] for ci in range(cin)])
        return a[idx].reshape(cin, mg, 1, 1)
    wf, bf = bn_fold_ref(w, None, params, 1e-5, ct_channels)
    ct_attrs = ("dilations = [1, 1], group = 2, kernel_shape = [1, 1], output_padding = [0, 0], "
                "pads = [0, 0, 0, 0], strides = [1, 1]")
    lines = [const_line("%w", "f32", w),
             "%%ct = graph.ConvTranspose(%%x0, %%w) {%s} : (%s, %s) -> (%s)"
             % (ct_attrs, xt, wt, yt)]
    bn_case(f, "convtranspose_group2", xt, yt, lines, "%ct", [
        "// CHECK-NEXT: ^bb0(%%x0: %s):" % xt,
        "// CHECK-NEXT: %%w_bn = graph.Constant() {value = %s}" % dense_printed("f32", wf),
        "// CHECK-NEXT: %%ct_bias = graph.Constant() {value = %s}" % dense_printed("f32", bf),
        "// CHECK-NEXT: %%ct = graph.ConvTranspose(%%x0, %%w_bn, %%ct_bias) {%s}" % ct_attrs,
        "// CHECK-NEXT: builtin.return(%ct)"], params, 1e-5)

    # Gemm: Y [M, N] = alpha * A B' + beta * C; BN channels are N
    def gemm_case(name, trans_b, cshape, alpha=1.0, beta=1.0):
        m, k, n = 2, 3, 4
        bm = vals("f32", (n, k) if trans_b else (k, n), lo=-1.0, hi=1.0)
        cm = vals("f32", cshape, lo=-1.0, hi=1.0) if cshape is not None else None
        params = bn_params(n)
        at, yt, bt = ttype("f32", (m, k)), ttype("f32", (m, n)), ttype("f32", bm.shape)
        attrs = "alpha = %s, beta = %s, transA = 0, transB = %d" % (
            fmt_float(alpha, False), fmt_float(beta, False), trans_b)
        lines = [const_line("%b", "f32", bm)]
        ops, types = "%x0, %b", "%s, %s" % (at, bt)
        if cm is not None:
            lines.append(const_line("%c", "f32", cm))
            ops += ", %c"
            types += ", " + ttype("f32", cm.shape)
        lines.append("%%g = graph.Gemm(%s) {%s} : (%s) -> (%s)" % (ops, attrs, types, yt))
        axis = (lambda a: a.reshape(-1, 1)) if trans_b else (lambda a: a.reshape(1, -1))
        cfull = None
        if cm is not None:
            full = cm.ndim == 2 and cm.shape[0] == m and m > 1
            cfull = np.broadcast_to(cm, (m, n)) if full else np.broadcast_to(cm.reshape(-1), (n,))
        wf, bf = bn_fold_ref(bm, cfull, params, 1e-5, axis, beta=float(np.float32(beta)))
        bname = "%c_bn" if cm is not None else "%g_bias"
        new_attrs = "alpha = %s, beta = 1.0, transA = 0, transB = %d" % (fmt_float(alpha, False),
                                                                       trans_b)
        bn_case(f, name, at, yt, lines, "%g", [
            "// CHECK-NEXT: ^bb0(%%x0: %s):" % at,
            "// CHECK-NEXT: %%b_bn = graph.Constant() {value = %s}" % dense_printed("f32", wf),
            "// CHECK-NEXT: %s = graph.Constant() {value = %s}" % (bname, dense_printed("f32", bf)),
            "// CHECK-NEXT: %%g = graph.Gemm(%%x0, %%b_bn, %s) {%s} : (%s, %s, %s) -> (%s)"
            % (bname, new_attrs, at, bt, ttype("f32", bf.shape), yt),
            "// CHECK-NEXT: builtin.return(%g)"], params, 1e-5)

    gemm_case("gemm_plain", 0, None)
    gemm_case("gemm_transb_bias", 1, (4,), alpha=0.5, beta=2.0)
    gemm_case("gemm_bias_row", 0, (1, 4), beta=0.25)
    gemm_case("gemm_bias_matrix", 1, (2, 4))
    gemm_case("gemm_bias_scalar", 0, (), beta=3.0)

    # MatMul with a constant weight: a new Add carries the bias
    wm = vals("f32", (3, 4), lo=-1.0, hi=1.0)
    params = bn_params(4)
    at, yt = ttype("f32", (2, 3)), ttype("f32", (2, 4))
    wf, bf = bn_fold_ref(wm, None, params, 1e-5, lambda a: a.reshape(1, -1))
    bn_case(f, "matmul", at, yt, [
        const_line("%w", "f32", wm),
        "%%mm = graph.MatMul(%%x0, %%w) : (%s, %s) -> (%s)" % (at, ttype("f32", (3, 4)), yt)],
        "%mm", [
            "// CHECK-NEXT: ^bb0(%%x0: %s):" % at,
            "// CHECK-NEXT: %%w_bn = graph.Constant() {value = %s}" % dense_printed("f32", wf),
            "// CHECK-NEXT: %%mm_bias = graph.Constant() {value = %s}" % dense_printed("f32", bf),
            "// CHECK-NEXT: %mm = graph.MatMul(%x0, %w_bn)",
            "// CHECK-NEXT: %[[ADD:.*]] = graph.Add(%mm, %mm_bias) : (" + yt + ", " +
            ttype("f32", (4,)) + ") -> (" + yt + ")",
            "// CHECK-NEXT: builtin.return(%[[ADD]])"], params, 1e-5)

    # negative cases: the BN stays
    def conv_lines(w):
        return [const_line("%w", "f32", w),
                "%%conv = graph.Conv(%%x0, %%w) {%s} : (%s, %s) -> (%s)"
                % (conv_attrs % (1, 1, 1), ttype("f32", (1, 2, 2, 2)), ttype("f32", w.shape),
                   ttype("f32", (1, 2, 2, 2)))]
    w = vals("f32", (2, 2, 1, 1))
    xt = ttype("f32", (1, 2, 2, 2))
    keep = ["// CHECK: graph.BatchNormalization"]
    bn_case(f, "neg_conv_two_users", xt, xt, conv_lines(w), "%conv", keep, bn_params(2), 1e-5,
            ret=["%y", "%conv"], rettypes=[xt, xt])
    bn_case(f, "neg_training_mode", xt, xt, conv_lines(w), "%conv", keep, bn_params(2), 1e-5,
            bn_attrs="epsilon = 1e-05, momentum = 0.9, training_mode = 1")
    bn_case(f, "neg_relu_input", xt, xt, ["%conv = graph.Relu(%x0) : (" + xt + ") -> (" + xt + ")"],
            "%conv", keep, bn_params(2), 1e-5)
    wt = ttype("f32", (2, 2, 1, 1))
    bn_case(f, "neg_weight_not_constant", xt, xt,
            ["%%conv = graph.Conv(%%x0, %%x1) {%s} : (%s, %s) -> (%s)"
             % (conv_attrs % (1, 1, 1), xt, wt, xt)], "%conv", keep, bn_params(2), 1e-5,
            argtypes=[xt, wt])
    at3, yt3 = ttype("f32", (2, 2, 3)), ttype("f32", (2, 2, 4))
    bn_case(f, "neg_matmul_rank3", at3, yt3, [
        const_line("%w", "f32", vals("f32", (3, 4))),
        "%%mm = graph.MatMul(%%x0, %%w) : (%s, %s) -> (%s)" % (at3, ttype("f32", (3, 4)), yt3)],
        "%mm", keep, bn_params(2), 1e-5)
    return f.write()


def main():
    counts = {}
    for gen in [unary_tests, binary_tests, logic_tests, cast_tests, shape_tests, reduce_tests,
                negative_tests, batchnorm_tests]:
        n = gen()
        counts[gen.__name__] = n
    print(counts)


if __name__ == "__main__":
    main()
