#!/usr/bin/env python3
"""Golden cases for lib/src/dis.cpp, computed by CPython 3.11's pickletools.

Writes dis_cases.tsv next to this script. Uses the standard library only and is
deterministic: re-running it gives an identical file (it re-executes itself with
PYTHONHASHSEED=0 so that sets of strings pickle in a fixed order).

dis_cases.tsv format. Lines starting with '#' are comments. Every other line is one of

    dis     LABEL  INDENT  ANNOTATE  hex(input)  hex(stdout)  ERROR
    genops  LABEL  hex(input)  OPS  ERROR

separated by tabs. LABEL is a short ASCII name without tabs or spaces. For `dis`,
stdout is what pickletools.dis(input, out, None, INDENT, ANNOTATE) printed (UTF-8),
including the partial output when it raised. ERROR is "-" when nothing was raised,
else hex("ClassName: message") of the exception, as the last line of a traceback
shows it. For `genops`, OPS is what pickletools._genops(input, yield_end_pos=True)
yielded before finishing or raising: items separated by ';', each
"POS END NAME ARG" where ARG is
    N             None (no argument)
    B0 / B1       False / True
    I<hex>        an int, as hex(pickle.encode_long(value)) (empty for 0)
    F<hex>        a float, the 16 hex digits of struct.pack('>d', value)
    S<hex>        a str, hex(value.encode('utf-8', 'surrogatepass'))
    Y<hex>        bytes
    A<hex>        bytearray

Case families (see the functions below): every opcode alone at every PROTO header
(and annotated), pickle.dumps of many objects at protocols 0-5 with both the C and the
Python pickler, pickletester's DATA vectors, pickletools' error paths, reprs of unusual
arguments, indentation and annotation variants, and seeded mutations of valid pickles.

Usage: python3 lib/test/golden/gen_dis_cases.py
"""

import collections
import datetime
import decimal
import fractions
import functools
import io
import os
import pickle
import pickletools
import random
import struct
import subprocess
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "dis_cases.tsv")


# ---- user classes pickled below (module __main__) -------------------------------------

class Plain:
    def __init__(self, x=1):
        self.x = x
        self.name = "plain"


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = 1
        self.b = [2]


class WithReduce:
    def __reduce__(self):
        return (WithReduce, (), {"s": 1}, iter([1, 2]), iter([("k", "v")]))


class WithNewArgs:
    def __new__(cls, *args):
        return super().__new__(cls)

    def __getnewargs__(self):
        return (1, "two")


class WithNewArgsEx:
    def __new__(cls, *args, **kwargs):
        return super().__new__(cls)

    def __getnewargs_ex__(self):
        return ((1,), {"key": b"val"})


class ListSub(list):
    pass


class DictSub(dict):
    pass


class OldStyleState:
    def __getstate__(self):
        return ("state", 1)

    def __setstate__(self, state):
        pass


Point = collections.namedtuple("Point", "x y")


def module_function():
    pass


# ---- running pickletools --------------------------------------------------------------

def run_dis(data, indent=4, annotate=0):
    out = io.StringIO()
    try:
        pickletools.dis(data, out, None, indent, annotate)
        err = None
    except Exception as e:  # noqa: BLE001 - every exception class is part of the spec
        err = "%s: %s" % (type(e).__name__, e)
    return out.getvalue(), err


def describe_arg(arg):
    if arg is None:
        return "N"
    if isinstance(arg, bool):
        return "B1" if arg else "B0"
    if isinstance(arg, int):
        return "I" + pickle.encode_long(arg).hex()
    if isinstance(arg, float):
        return "F" + struct.pack(">d", arg).hex()
    if isinstance(arg, str):
        return "S" + arg.encode("utf-8", "surrogatepass").hex()
    if isinstance(arg, bytearray):
        return "A" + bytes(arg).hex()
    if isinstance(arg, bytes):
        return "Y" + arg.hex()
    raise TypeError(type(arg))


def run_genops(data):
    items = []
    err = None
    try:
        for op, arg, pos, end in pickletools._genops(data, yield_end_pos=True):
            items.append("%d %d %s %s" % (pos, end, op.name, describe_arg(arg)))
    except Exception as e:  # noqa: BLE001
        err = "%s: %s" % (type(e).__name__, e)
    return ";".join(items), err


class Cases:
    def __init__(self):
        self.lines = []
        self.labels = set()
        self.seen = set()
        self.ops_ok = collections.defaultdict(int)  # opcode name -> successful dis count

    def _label(self, label):
        assert "\t" not in label and " " not in label, label
        base, n = label, 1
        while label in self.labels:
            n += 1
            label = "%s~%d" % (base, n)
        self.labels.add(label)
        return label

    def dis(self, label, data, indent=4, annotate=0, expect_error=None):
        data = bytes(data)
        key = ("dis", data, indent, annotate)
        if key in self.seen:
            return
        self.seen.add(key)
        out, err = run_dis(data, indent, annotate)
        if expect_error is not None:
            if expect_error is False:
                assert err is None, (label, data, err)
            else:
                assert err is not None and expect_error in err, (label, data, err, expect_error)
        if err is None:
            for op, _, _ in pickletools.genops(data):
                self.ops_ok[op.name] += 1
        self.lines.append("\t".join([
            "dis", self._label(label), str(indent), str(annotate), data.hex(),
            out.encode("utf-8").hex(), "-" if err is None else err.encode("utf-8").hex()]))
        return err

    def genops(self, label, data):
        data = bytes(data)
        key = ("genops", data)
        if key in self.seen:
            return
        self.seen.add(key)
        ops, err = run_genops(data)
        self.lines.append("\t".join([
            "genops", self._label(label), data.hex(), ops,
            "-" if err is None else err.encode("utf-8").hex()]))


# ---- case families --------------------------------------------------------------------

def le(n, width):
    return n.to_bytes(width, "little")


# One small well-formed pickle body per opcode (without PROTO), each ending in STOP.
OPCODE_BODIES = {
    "INT": [b"I42\n.", b"I00\n.", b"I01\n.", b"I-7\n."],
    "BININT": [b"J\xff\xff\xff\xff.", b"J\x00\x00\x00\x80."],
    "BININT1": [b"K\x05.", b"K\xff."],
    "BININT2": [b"M\x00\x01.", b"M\xff\xff."],
    "LONG": [b"L123L\n.", b"L-5\n.", b"L12345678901234567890123L\n."],
    "LONG1": [b"\x8a\x02\xff\x00.", b"\x8a\x00.", b"\x8a\x01\xff."],
    "LONG4": [b"\x8b\x02\x00\x00\x00\x00\x80.", b"\x8b\x00\x00\x00\x00."],
    "STRING": [b"S'abc'\n.", b'S"abc"\n.'],
    "BINSTRING": [b"T\x03\x00\x00\x00abc."],
    "SHORT_BINSTRING": [b"U\x03abc."],
    "BINBYTES": [b"B\x03\x00\x00\x00abc."],
    "SHORT_BINBYTES": [b"C\x03abc."],
    "BINBYTES8": [b"\x8e" + le(3, 8) + b"abc."],
    "BYTEARRAY8": [b"\x96" + le(3, 8) + b"abc."],
    "NEXT_BUFFER": [b"\x97."],
    "READONLY_BUFFER": [b"\x97\x98."],
    "NONE": [b"N."],
    "NEWTRUE": [b"\x88."],
    "NEWFALSE": [b"\x89."],
    "UNICODE": [b"Vabc\n.", b"V\\u20ac\n."],
    "SHORT_BINUNICODE": [b"\x8c\x03abc."],
    "BINUNICODE": [b"X\x03\x00\x00\x00abc."],
    "BINUNICODE8": [b"\x8d" + le(3, 8) + b"abc."],
    "FLOAT": [b"F1.5\n.", b"F-0.0\n."],
    "BINFLOAT": [b"G" + struct.pack(">d", 1.5) + b"."],
    "EMPTY_LIST": [b"]."],
    "APPEND": [b"]Na."],
    "APPENDS": [b"](NNe.", b"](e."],
    "LIST": [b"(NNl.", b"(l."],
    "EMPTY_TUPLE": [b")."],
    "TUPLE": [b"(NNt.", b"(t."],
    "TUPLE1": [b"N\x85."],
    "TUPLE2": [b"NN\x86."],
    "TUPLE3": [b"NNN\x87."],
    "EMPTY_DICT": [b"}."],
    "DICT": [b"(NNd.", b"(d."],
    "SETITEM": [b"}NNs."],
    "SETITEMS": [b"}(NNNNu.", b"}(u."],
    "EMPTY_SET": [b"\x8f."],
    "ADDITEMS": [b"\x8f(NN\x90."],
    "FROZENSET": [b"(NN\x91."],
    "POP": [b"NN0.", b"N(0."],
    "DUP": [b"N20."],
    "MARK": [b"(NN1N."],
    "POP_MARK": [b"(1N."],
    "GET": [b"Np0\n0g0\n."],
    "BINGET": [b"Nq\x000h\x00."],
    "LONG_BINGET": [b"Nr\x00\x00\x00\x000j\x00\x00\x00\x00."],
    "PUT": [b"Np7\n."],
    "BINPUT": [b"Nq\xff."],
    "LONG_BINPUT": [b"Nr\xff\xff\xff\xff."],
    "MEMOIZE": [b"N\x94.", b"N\x94\x940h\x00."],
    "EXT1": [b"\x82\x01."],
    "EXT2": [b"\x83\x01\x02."],
    "EXT4": [b"\x84\x01\x02\x03\x04."],
    "GLOBAL": [b"cbuiltins\nlist\n."],
    "STACK_GLOBAL": [b"\x8c\x08builtins\x8c\x04list\x93."],
    "REDUCE": [b"cbuiltins\nlist\n)R."],
    "BUILD": [b"cbuiltins\nobject\n)R}b."],
    "INST": [b"(ibuiltins\nlist\n.", b"(NNi__main__\nPlain\n."],
    "OBJ": [b"(cbuiltins\nlist\no.", b"(cbuiltins\nlist\nNNo."],
    "NEWOBJ": [b"cbuiltins\nobject\n)\x81."],
    "NEWOBJ_EX": [b"cbuiltins\nobject\n)}\x92."],
    "PROTO": [b"\x80\x05N.", b"\x80\xffN."],
    "STOP": [b"N."],
    "FRAME": [b"\x95" + le(2, 8) + b"N.", b"\x95" + b"\xff" * 8 + b"N."],
    "PERSID": [b"Pabc\n."],
    "BINPERSID": [b"NQ."],
}


def add_opcodes(cases):
    assert set(OPCODE_BODIES) == {op.name for op in pickletools.opcodes}
    for op in pickletools.opcodes:
        for k, body in enumerate(OPCODE_BODIES[op.name]):
            assert body.startswith(op.code.encode("latin-1")) or op.code.encode("latin-1") in body
            for proto in (None, 0, 1, 2, 3, 4, 5):
                data = body if proto is None else b"\x80" + bytes([proto]) + body
                tag = "x" if proto is None else str(proto)
                cases.dis("op-%s-%d-p%s" % (op.name, k, tag), data, expect_error=False)
            cases.dis("op-%s-%d-annotate" % (op.name, k), body, annotate=30, expect_error=False)
            cases.genops("op-%s-%d" % (op.name, k), body)
    # All opcodes in one stream, annotated with several column hints.
    stream = b"".join(body[:-1] + b"0" for bodies in OPCODE_BODIES.values() for body in bodies
                      if not body.startswith(b"\x80")) + b"N."
    for annotate in (0, 1, 10, 30, 49, 50, 51, 70, -5):
        cases.dis("op-all-annotate%d" % annotate, stream, annotate=annotate)
    cases.genops("op-all", stream)


def object_catalogue():
    big = 10 ** 5000
    rec_list = []
    rec_list.append(rec_list)
    rec_dict = {}
    rec_dict["self"] = rec_dict
    shared = [1, 2]
    objs = {
        "none": None, "true": True, "false": False,
        "int0": 0, "int1": 1, "intm1": -1, "int255": 255, "int256": 256, "int65535": 65535,
        "int65536": 65536, "int2p31": 2 ** 31, "intm2p31": -2 ** 31, "intm2p31m1": -2 ** 31 - 1,
        "int2p63": 2 ** 63, "int2p64": 2 ** 64, "intm2p64": -2 ** 64,
        "int2p1000": 2 ** 1000, "intm2p1000": -(2 ** 1000),
        "int4300digits": 10 ** 4299, "int4301digits": 10 ** 4300, "intbig": big, "intmbig": -big,
        "float0": 0.0, "floatm0": -0.0, "float1e16": 1e16, "float1em5": 1e-05,
        "float_pi": 3.141592653589793, "float_inf": float("inf"), "float_minf": float("-inf"),
        "float_nan": float("nan"), "float_tiny": 5e-324, "float_max": 1.7976931348623157e308,
        "float_123": 123456789.0, "float_1e22": 1e22,
        "str_empty": "", "str_ascii": "hello world", "str_quotes": "it's \"quoted\"",
        "str_squote": "it's", "str_dquote": 'say "hi"', "str_backslash": "a\\b\\n",
        "str_controls": "\x00\x01\t\n\r\x7f", "str_latin1": "caf\xe9 \xa0\xad\xff",
        "str_c1": "\x80\x85\x9f", "str_bmp": "\u20ac\u4e2d\u6587\ufeff\ufffd",
        "str_nonbmp": "\U0001f600\U00010000\U0010ffff", "str_surrogate": "\ud800",
        "str_surrogates": "a\udfff\ud83d\ude00b", "str_combining": "e\u0301\u200b\u2028",
        "str_long": "x" * 300, "str_nl": "line1\nline2", "str_bs_u": "\\u1234",
        "str_private": "\ue000\U000f0000",
        "bytes_empty": b"", "bytes_abc": b"abc", "bytes_all": bytes(range(256)),
        "bytes_quotes": b"'\"", "bytes_squote": b"'", "bytes_long": b"\x00" * 300,
        "bytearray_empty": bytearray(), "bytearray": bytearray(b"ab\x00\xff'"),
        "tuple0": (), "tuple1": (1,), "tuple2": (1, 2), "tuple3": (1, 2, 3), "tuple4": (1, 2, 3, 4),
        "nested_tuple": ((1, (2, (3, ()))),), "list_empty": [], "list": [1, "a", None, 2.5],
        "list_long": list(range(1001)), "dict_empty": {}, "dict": {"a": 1, 2: "b", (1, 2): [3]},
        "dict_long": {i: i for i in range(1001)},
        "set_empty": set(), "set": {1, 2, 3}, "set_str": {"a", "b"}, "set_long": set(range(1001)),
        "frozenset_empty": frozenset(), "frozenset": frozenset({1, 2}),
        "shared": [shared, shared, (shared,)], "rec_list": rec_list, "rec_dict": rec_dict,
        "tuple_rec": (rec_list, rec_list),
        "complex": 1 + 2j, "ellipsis": Ellipsis, "notimpl": NotImplemented,
        "type_int": int, "type_none": type(None), "func_len": len, "func_mod": module_function,
        "partial": functools.partial(max, 1, key=abs),
        "datetime": datetime.datetime(2020, 1, 2, 3, 4, 5, 6),
        "date": datetime.date(1999, 12, 31), "timedelta": datetime.timedelta(1, 2, 3),
        "decimal": decimal.Decimal("1.25"), "fraction": fractions.Fraction(1, 3),
        "ordereddict": collections.OrderedDict([("a", 1), ("b", 2)]),
        "deque": collections.deque([1, 2]), "counter": collections.Counter("aab"),
        "defaultdict": collections.defaultdict(list, {"k": [1]}),
        "namedtuple": Point(1, 2), "plain": Plain(), "plain_list": [Plain(i) for i in range(3)],
        "slotted": Slotted(), "withreduce": WithReduce(), "newargs": WithNewArgs(),
        "newargs_ex": WithNewArgsEx(), "listsub": ListSub([1, 2]), "dictsub": DictSub(a=1),
        "oldstate": OldStyleState(), "range": range(1, 10, 2), "slice": slice(1, 2, 3),
        "big_str": "y" * 66000, "big_bytes": b"z" * 66000, "big_list": [b"q" * 40] * 1700,
        "mixed": {"ints": [0, -1, 2 ** 40], "floats": (1.5, -0.0), "s": {"x"},
                  "b": [b"", bytearray(b"x")], "n": [None, True, False]},
    }
    return objs


# Objects whose pickles are large: only at some protocols, C pickler only.
LARGE_OBJECTS = {"list_long": (0, 2, 5), "dict_long": (1, 4), "set_long": (4,),
                 "big_str": (4,), "big_bytes": (5,), "big_list": (0, 3, 5),
                 "intbig": (2, 5), "intmbig": (3,)}


def add_objects(cases):
    for name, obj in object_catalogue().items():
        large = name in LARGE_OBJECTS
        for proto in range(6):
            for pickler in ("c", "py"):
                if large and (pickler == "py" or proto not in LARGE_OBJECTS[name]):
                    continue
                buf = io.BytesIO()
                try:
                    if pickler == "c":
                        pickle.Pickler(buf, proto).dump(obj)
                    else:
                        pickle._Pickler(buf, proto).dump(obj)
                except Exception:  # noqa: BLE001 - not picklable at this protocol
                    continue
                data = buf.getvalue()
                label = "obj-%s-p%d-%s" % (name, proto, pickler)
                cases.dis(label, data)
                if proto in (0, 2, 5) and pickler == "c" and len(data) < 1500:
                    cases.dis(label + "-annotate", data, annotate=30)
                    cases.genops(label, data)
    # Out-of-band buffers (protocol 5).
    for readonly in (False, True):
        buf = pickle.PickleBuffer(b"abc" if readonly else bytearray(b"abc"))
        data = pickle.dumps([buf, 1], protocol=5, buffer_callback=lambda b: False)
        cases.dis("obj-buffer-oob-ro%d" % readonly, data)
        data = pickle.dumps(buf, protocol=5)
        cases.dis("obj-buffer-inband-ro%d" % readonly, data)
    # Two pickles back to back: dis stops at the first STOP.
    cases.dis("obj-two-pickles", pickle.dumps([1]) + pickle.dumps({2: 3}))
    cases.dis("obj-trailing-garbage", pickle.dumps("x", 2) + b"\xff\xfe garbage")


def add_pickletester(cases):
    from test import pickletester as pt
    for name in ("DATA0", "DATA1", "DATA2", "DATA3", "DATA4", "DATA_SET", "DATA_SET2",
                 "DATA_XRANGE", "DATA_COOKIE", "DATA_UEERR"):
        data = getattr(pt, name)
        cases.dis("pickletester-%s" % name, data)
        cases.dis("pickletester-%s-annotate" % name, data, annotate=30)
        cases.genops("pickletester-%s" % name, data)


def add_errors(cases):
    E = cases.dis
    E("err-empty", b"", expect_error="pickle exhausted before seeing STOP")
    E("err-no-stop", b"N", expect_error="pickle exhausted before seeing STOP")
    E("err-no-stop-long", b"(K\x01K\x02l", expect_error="pickle exhausted")
    for code in sorted(set(range(256)) - {ord(op.code) for op in pickletools.opcodes}):
        E("err-unknown-%02x" % code, b"N" + bytes([code]) + b".", expect_error="unknown")
    E("err-unknown-first", b"\xff", expect_error="at position 0")
    # Truncated arguments of every argument kind: every opcode with an argument, cut at
    # every length short of complete.
    for op in pickletools.opcodes:
        if op.arg is None:
            continue
        for k, body in enumerate(OPCODE_BODIES[op.name]):
            i = body.index(op.code.encode("latin-1"))
            # the opcode's argument ends where the next opcode starts: find it with genops
            ends = [end for o, _, pos, end in pickletools._genops(body, yield_end_pos=True)
                    if pos == i]
            end = ends[0]
            for cut in range(i + 1, end):
                E("err-trunc-%s-%d-%d" % (op.name, k, cut - i), body[:cut])
                cases.genops("err-trunc-%s-%d-%d" % (op.name, k, cut - i), body[:cut])
    # No newline for every newline-terminated kind.
    for name, data in [("INT", b"I1"), ("LONG", b"L1"), ("FLOAT", b"F1.0"), ("STRING", b"S'a'"),
                       ("UNICODE", b"Vabc"), ("GLOBAL1", b"cmod"), ("GLOBAL2", b"cmod\nname"),
                       ("INST", b"(imod\nname"), ("PERSID", b"Pid"), ("GET", b"g1"),
                       ("PUT", b"Np1"), ("empty", b"I")]:
        E("err-nonl-%s" % name, data, expect_error="no newline found")
    # stringnl quoting.
    for k, data in enumerate([b"S\n.", b"Sabc\n.", b"S'abc\n.", b'S"abc\n.', b"S'abc\"\n.",
                              b"S\"abc'\n.", b"S'\n.", b'S"\n.', b"S''\n.", b'S""\n.',
                              b"S 'a'\n.", b"S'a' \n.", b"S'it\\'s'\n.", b"S'\"'\n.",
                              b"S'a\\nb\\x41\\101\\\\'\n.", b"S'\\x4'\n.", b"S'\\'\n.",
                              b"S'\\q\\u1234'\n.", b"S'\xe9'\n.", b"S'\\xe9'\n.", b"S'\\351'\n.",
                              b"S'\\\n'\n.", b"S'a\x00b'\n.", b"S'\\x00\\x7f\\x1b'\n.",
                              b"S'\"\"'\n.", b"S'\\x'\n.", b"S'\\xg0'\n.", b"S'ab\\"]):
        E("stringnl-%d" % k, data)
    # stringnl_noescape(_pair): GLOBAL / INST are escape-decoded too.
    for k, data in enumerate([b"c\\x41\nB\n.", b"c\\\nB\n.", b"ca\n\\x4\n.", b"c\xe9\nb\n.",
                              b"c\nb\n.", b"c\n\n.", b"c'a'\n'b'\n.", b"ca b\nc d\n.",
                              b"(i\\x4\nb\n.", b"(ia\n\\\n.", b"(ia\n\xff\n.", b"ca\nb\\101\n.",
                              b"cos\nsystem\n.", b"ca\r\nb\r\n."]):
        E("noescape-%d" % k, data)
    # Negative and huge byte counts.
    E("err-string4-neg", b"T\xff\xff\xff\xffabc.", expect_error="string4 byte count < 0: -1")
    E("err-string4-min", b"T\x00\x00\x00\x80.", expect_error="byte count < 0")
    E("err-long4-neg", b"\x8b\xfe\xff\xff\xff.", expect_error="long4 byte count < 0: -2")
    for op, name in ((b"\x8e", "bytes8"), (b"\x96", "bytearray8"), (b"\x8d", "unicodestring8")):
        E("err-%s-maxsize" % name, op + le(2 ** 63, 8) + b"abc.", expect_error="sys.maxsize")
        E("err-%s-max" % name, op + b"\xff" * 8 + b"abc.", expect_error="sys.maxsize")
        E("err-%s-huge" % name, op + le(2 ** 63 - 1, 8) + b"abc.", expect_error="but only 4 remain")
        E("err-%s-short" % name, op + le(5, 8) + b"abc.", expect_error="but only 4 remain")
    for op, name in ((b"B", "bytes4"), (b"X", "unicodestring4"), (b"T", "string4")):
        E("err-%s-huge" % name, op + b"\xff\xff\xff\x7fabc.")
        E("err-%s-short" % name, op + le(10, 4) + b"abc.", expect_error="but only 4 remain")
    E("err-bytes4-ffffffff", b"B\xff\xff\xff\xffabc.", expect_error="expected 4294967295")
    E("err-unicode4-ffffffff", b"X\xff\xff\xff\xffabc.", expect_error="expected 4294967295")
    for op, name in ((b"C", "bytes1"), (b"U", "string1"), (b"\x8c", "unicodestring1")):
        E("err-%s-short" % name, op + b"\x09abc.", expect_error="but only 4 remain")
    E("err-long1-short", b"\x8a\x09abc.", expect_error="not enough data in stream to read long1")
    E("err-long4-short", b"\x8b\x09\x00\x00\x00abc.",
      expect_error="not enough data in stream to read long4")
    E("err-long4-huge", b"\x8b\xff\xff\xff\x7fabc.", expect_error="read long4")
    # Stack errors.
    E("err-pop-empty", b"0.", expect_error="tries to pop 1 items from stack with only 0 items")
    E("err-stop-empty", b".", expect_error="tries to pop 1 items")
    E("err-tuple3", b"NN\x87.", expect_error="tries to pop 3 items from stack with only 2 items")
    E("err-setitem", b"NNs.", expect_error="tries to pop 3 items")
    E("err-appends-nolist", b"(Ne.", expect_error="tries to pop 1 items from stack with only 0")
    E("err-build", b"Nb.")
    E("err-reduce", b"NR.")
    E("err-newobj-ex", b"NN\x92.")
    E("err-stack-global", b"N\x93.")
    E("err-dup-empty", b"2.")
    E("err-readonly-empty", b"\x98.")
    E("err-binpersid-empty", b"Q.")
    E("err-stack-not-empty", b"NN.", expect_error="stack not empty after STOP: [None]")
    E("err-stack-not-empty-kinds",
      b"(I1\nJ\x01\x00\x00\x00\x88VX\n]}\x8f)(t\x8a\x00F1\n\x97C\x01x\x96" + le(0, 8) + b"N.",
      expect_error="stack not empty after STOP")
    E("err-stack-not-empty-mark", b"((N.", expect_error="stack not empty after STOP: [mark")
    E("err-stack-not-empty-get", b"]p0\n0Ng0\nN.", expect_error="stack not empty after STOP: [None, list")
    E("err-stop-mark", b"(.")
    # Mark errors.
    for code in b"el\x90tdu1\x91io":
        c = bytes([code])
        arg = b"a\nb\n" if c == b"i" else b""
        E("err-nomark-%02x" % code, b"NNN" + c + arg + b".", expect_error="no MARK exists on stack")
        E("err-nomark-empty-%02x" % code, c + arg + b".", expect_error="no MARK exists on stack")
    E("err-pop-mark-twice", b"(00.")
    E("err-mark-popped-by-tuple2", b"(N\x86t.", expect_error="IndexError: list index out of range")
    E("err-mark-popped-by-append", b"(](a(l.")
    E("err-mark-popped-then-pop", b"N(N\x86(0l.")
    E("err-mark-popped-by-setitem", b"}(Ns(NNu.")
    E("err-mark-popped-by-pop", b"N(NN\x87l.")
    E("err-mark-popped-by-dup-pop", b"(2\x85\x85l.")
    E("err-mark-indent-out-of-sync", b"((N\x86NN\x86(l0.", indent=2)
    # Memo errors.
    E("err-get-missing", b"g0\n.", expect_error="memo key 0 has never been stored into")
    E("err-binget-missing", b"h\x05.", expect_error="memo key 5 has never been stored into")
    E("err-longbinget-missing", b"j\xff\xff\xff\xff.", expect_error="memo key 4294967295")
    E("err-get-true-missing", b"g01\n.", expect_error="memo key True has never")
    E("err-get-false", b"Np0\ng00\n.")
    E("err-get-neg", b"Np-1\ng-1\n.")
    E("err-get-big", b"Np99999999999999999999999\ng99999999999999999999999\n.")
    E("err-get-big-missing", b"Np99999999999999999999999\ng99999999999999999999998\n.")
    E("err-get-bigneg", b"Np-9223372036854775808\ng-9223372036854775808\n0.")
    E("err-get-bigneg2", b"Np-9223372036854775809\ng-9223372036854775809\n0.")
    E("err-get-spaces", b"Np 1_0 \ng10\n0.")
    E("err-get-zeros", b"Np000\ng0\n0.")
    E("err-put-twice", b"Np0\np0\n.", expect_error="memo key 0 already defined")
    E("err-binput-twice", b"Nq\x01q\x01.", expect_error="memo key 1 already defined")
    E("err-put-true-then-1", b"Np01\nq\x01.", expect_error="memo key 1 already defined")
    E("err-put-1-then-true", b"Nq\x01p01\n.", expect_error="memo key True already defined")
    E("err-memoize-collides", b"Nq\x01q\x02\x94.", expect_error="memo key None already defined")
    E("err-memoize-collides0", b"Nq\x01\x94.", expect_error="memo key None already defined")
    E("err-memoize-ok", b"Nq\x05\x94h\x010h\x05.")
    E("err-put-empty", b"p0\n.", expect_error="stack is empty -- can't store into memo")
    E("err-memoize-empty", b"\x94.", expect_error="stack is empty")
    E("err-put-mark", b"(q\x00.", expect_error="can't store markobject in the memo")
    E("err-memoize-mark", b"(\x94.", expect_error="can't store markobject in the memo")
    E("err-put-mark-defined", b"Nq\x00(q\x00.", expect_error="already defined")
    E("err-get-after-mark", b"Nq\x00(h\x00l.")
    E("err-put-str", b"Np'a'\n.")
    E("err-put-float", b"Np1.0\n.")
    E("err-put-empty-arg", b"Np\n.")
    E("err-long-binput-max", b"Nr\xff\xff\xff\xffj\xff\xff\xff\xff0.")


def add_text_quirks(cases):
    E = cases.dis
    ints = [b"0", b"00", b"01", b"000", b"001", b"02", b"-0", b"+1", b" 1", b"1 ", b"\t1\n"[:-1],
            b"1_000", b"1__0", b"_1", b"1_", b"0x10", b"0b1", b"0o7", b"1.0", b"", b"-", b"abc",
            b"1L", b"12\x00", b"\xff", b"\xe9", b"\xd9\xa3", b"\xef\xbc\x91",
            b"9223372036854775807", b"9223372036854775808", b"-9223372036854775809",
            b"123456789012345678901234567890", b"1" * 4300, b"1" * 4301, b"-" + b"1" * 4300,
            b"0" * 4300 + b"1", b"1_" * 2200 + b"1", b"x" * 300, b"True", b"\x0b1\x0c"]
    for k, s in enumerate(ints):
        E("text-INT-%d" % k, b"I" + s + b"\n.")
        E("text-LONG-%d" % k, b"L" + s + b"\n.")
        E("text-LONGL-%d" % k, b"L" + s + b"L\n.")
        E("text-PUT-%d" % k, b"Np" + s + b"\n.")
        E("text-GET-%d" % k, b"g" + s + b"\n.")
    for k, s in enumerate([b"L", b"LL", b"1LL", b"-L", b"12l"]):
        E("text-LONGonly-%d" % k, b"L" + s + b"\n.")
    floats = [b"0", b"1.5", b"-0.0", b"1e16", b"1e22", b"1e-5", b"0.0001", b"1e308", b"1e309",
              b"-1e309", b"inf", b"-inf", b"+inf", b"Infinity", b"-INFINITY", b"nan", b"-nan",
              b"NaN", b"+nan", b" 1.5 ", b"1_0.5", b"1__0", b"_1", b"1_", b"1.", b".5", b".",
              b"", b"abc", b"1e", b"1e+", b"0x10", b"1.5\x00", b"\xff", b"\xd9\xa3",
              b"123456789012345678901234567890", b"4.9e-324", b"2.5e-324", b"1e-400",
              b"0.1", b"1.7976931348623157e308", b"1.7976931348623159e308", b"5e-324", b"12.5e1",
              b"1" * 400, b"x" * 300, b"\xef\xbc\x91.5", b"infinit", b"nan(123)", b"1e5000"]
    for k, s in enumerate(floats):
        E("text-FLOAT-%d" % k, b"F" + s + b"\n.")
    for k, d in enumerate([1e16, -0.0, float("nan"), float("inf"), float("-inf"), 1e-5, 1e-4,
                           0.1, 1 / 3, 5e-324, 1.7976931348623157e308, 123456789012345678.0,
                           9007199254740993.0, 1e15, 1e17, -1.5e-7]):
        E("binfloat-%d" % k, b"G" + struct.pack(">d", d) + b".")
    E("binfloat-nan-payload", b"G\x7f\xf8\x00\x00\x00\x00\x00\x01.")
    E("binfloat-neg-nan", b"G\xff\xf8\x00\x00\x00\x00\x00\x00.")
    # unicodestringnl (raw-unicode-escape).
    for k, s in enumerate([b"", b"abc", b"\\u20ac", b"\\U0001f600", b"\\ud800", b"\\udfff\\ud800",
                           b"\\ud83d\\ude00", b"\\U00110000", b"\\u12", b"\\U1234", b"\\x41",
                           b"\\n", b"\\\\u1234", b"\\", b"a\\", b"\xe9\xff", b"\x00\x7f",
                           b"'\"", b"\\u0027\\u0022", b"\\uffff\\ufeff", b"\\u0085\\u00ad",
                           b"\\U000e0001", b"\\UFFFFFFFF", b"\\u00e9\\u0301", b"\\u2028\\u3000",
                           b"\r"]):
        E("unicodenl-%d" % k, b"V" + s + b"\n.")
    # utf-8 surrogatepass (unicodestring1/4/8) and latin-1 (string1/4).
    utf8s = [b"", b"abc", "\u20ac".encode(), "\U0001f600".encode(), b"\xed\xa0\x80",
             b"\xed\xbf\xbf\xed\xa0\x80", b"\xed\xa0\xbd\xed\xb8\x80", b"\xff", b"\xc3",
             b"\xc3\x28", b"\xe2\x82", b"\xf0\x9f\x98", b"\xf4\x90\x80\x80", b"\xc0\x80",
             b"\xed\xa0", b"a\x80b", b"\xe0\x80\x80", b"'", b"'\"", b"\\", "\x85\xad\xa0".encode(),
             "\u0378\u0590\U000e0000".encode(), "\u00e9".encode(), b"\x00\x1f\x7f"]
    for k, s in enumerate(utf8s):
        E("utf8-1-%d" % k, b"\x8c" + le(len(s), 1) + s + b".")
        E("utf8-4-%d" % k, b"X" + le(len(s), 4) + s + b".")
        E("utf8-8-%d" % k, b"\x8d" + le(len(s), 8) + s + b".")
    for k, s in enumerate([b"", b"abc", b"\xe9\xff\x80\xa0\xad", bytes(range(256)), b"'", b"'\"",
                           b"\\", b"\x00\n\t", b'"', b"x'y\"z'", b"'a\\'", b"\t\r\x7f\x80'"]):
        if len(s) < 256:
            E("latin1-1-%d" % k, b"U" + le(len(s), 1) + s + b".")
            E("bytes-1-%d" % k, b"C" + le(len(s), 1) + s + b".")
        E("latin1-4-%d" % k, b"T" + le(len(s), 4) + s + b".")
        E("bytes-4-%d" % k, b"B" + le(len(s), 4) + s + b".")
        E("bytes-8-%d" % k, b"\x8e" + le(len(s), 8) + s + b".")
        E("bytearray-8-%d" % k, b"\x96" + le(len(s), 8) + s + b".")
    # LONG1 / LONG4 values, including ones whose repr exceeds 4300 digits.
    for k, n in enumerate([0, 1, -1, 127, 128, -128, -129, 255, 2 ** 63 - 1, 2 ** 63, -2 ** 63,
                           -2 ** 63 - 1, 2 ** 64, 2 ** 2039 - 1, -2 ** 2039]):
        enc = pickle.encode_long(n)
        if len(enc) < 256:
            E("long1-%d" % k, b"\x8a" + le(len(enc), 1) + enc + b".")
        E("long4-%d" % k, b"\x8b" + le(len(enc), 4) + enc + b".")
    E("long1-nonminimal", b"\x8a\x04\x01\x00\x00\x00.")
    E("long1-negzero", b"\x8a\x02\x00\xff.")
    for k, n in enumerate([10 ** 4299, 10 ** 4300 - 1, 10 ** 4300, -10 ** 4300 + 1, -10 ** 4300,
                           2 ** 14285, 2 ** 14286, 2 ** 20000, 10 ** 100000]):
        enc = pickle.encode_long(n)
        E("long4-digits-%d" % k, b"\x8b" + le(len(enc), 4) + enc + b".")
        if n < 10 ** 10000:
            E("long4-digits-annotate-%d" % k, b"N\x8b" + le(len(enc), 4) + enc + b".", annotate=30)
    E("long4-zeros", b"\x8b" + le(3000, 4) + b"\x00" * 3000 + b".")
    E("long4-ff", b"\x8b" + le(3000, 4) + b"\xff" * 3000 + b".")
    # Other binary ints.
    for k, data in enumerate([b"J\x00\x00\x00\x00.", b"J\xff\xff\xff\x7f.", b"M\x00\x00.",
                              b"K\x00.", b"\x84\xff\xff\xff\xff.", b"\x83\xff\xff.",
                              b"\x82\x00.", b"\x95" + le(2 ** 63, 8) + b"N.",
                              b"\x80\x00N.", b"\x80\x06N.", b"N\x80\x05."]):
        E("bin-int-%d" % k, data)
    # PERSID arguments are stringnl_noescape.
    for k, s in enumerate([b"abc", b"", b"\\x41", b"\\", b"\xe9", b"'q'", b"a b"]):
        E("persid-%d" % k, b"P" + s + b"\n.")


def add_layout(cases):
    nested = b"(" * 12 + b"N" + b"t" * 12 + b"."
    for indent in (0, 1, 2, 4, 8, -1, -4, 100):
        cases.dis("indent-%d" % indent, nested, indent=indent)
        cases.dis("indent-annotate-%d" % indent, nested, indent=indent, annotate=30)
    deep = b"(" * 60 + b"N" + b"t" * 60 + b"."
    cases.dis("indent-deep0", deep, indent=0)
    cases.dis("indent-deep4", deep)
    cases.dis("indent-deep-annotate", deep, indent=1, annotate=40)
    cases.dis("annotate-long-names", b"\x8c\x01a\x8c\x01b\x86\x94X\x03\x00\x00\x00\xe2\x82\xac"
              b"\x8e\x00\x00\x00\x00\x00\x00\x00\x00\x86\x86.", annotate=30)
    cases.dis("annotate-wide", b"\x8c\x0a\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xc3\xa9N\x86.",
              annotate=20)
    cases.dis("annotate-nonbmp", b"\x8c\x04\xf0\x9f\x98\x80\x8c\x01aN\x87.", annotate=15)
    cases.dis("annotate-mark-msg", b"((((NNNNllll.", annotate=25)
    cases.dis("annotate-error", b"(N0NNNNNNNN\x86\x86\x86.", annotate=30)
    # Offsets of 5 and 6 digits: int() skips any amount of leading whitespace.
    for pad in (9990, 99990):
        data = b"\x80\x04" + b"N0" * 3 + b"F" + b" " * pad + b"1.5\n" + b"N0" * 3 + b"N."
        cases.dis("pos-width-%d" % pad, data)


MUTATION_SOURCES = [
    ("list", [1, "two", 3.0, b"four", None, True]),
    ("dict", {"a": [1, 2], "b": (3, 4), 5: {6}}),
    ("obj", Plain("x")),
    ("nested", [[1, [2, [3]]], {"k": ("v", frozenset([1]))}]),
    ("str", "h\xe9llo \u20ac \U0001f600"),
    ("ints", [0, 255, 65535, 2 ** 31, -2 ** 40, 2 ** 100]),
    ("shared", [[1], [1]] * 2),
    ("reduce", WithReduce()),
]


def add_mutations(cases):
    rng = random.Random(20240611)
    count = 0
    for name, obj in MUTATION_SOURCES:
        for proto in range(6):
            data = pickle.dumps(obj, proto)
            # every truncation of a couple of small pickles
            if name in ("list", "ints") and proto in (0, 2, 4):
                for cut in range(len(data)):
                    cases.dis("trunc-%s-p%d-%d" % (name, proto, cut), data[:cut])
            for k in range(8):
                m = bytearray(data)
                kind = rng.randrange(6)
                for _ in range(rng.randint(1, 3)):
                    if not m:
                        break
                    i = rng.randrange(len(m))
                    if kind == 0:
                        m[i] = rng.randrange(256)
                    elif kind == 1:
                        m[i] ^= 1 << rng.randrange(8)
                    elif kind == 2:
                        del m[i]
                    elif kind == 3:
                        m.insert(i, rng.choice(b"(0.12aelptNhqgjrs\n\x80\x94\x93\x95\xff"))
                    elif kind == 4:
                        j = rng.randrange(len(m))
                        m[i], m[j] = m[j], m[i]
                    else:
                        m[i:i] = m[rng.randrange(len(m)):][:rng.randint(1, 8)]
                cases.dis("mut-%s-p%d-%d" % (name, proto, k), bytes(m))
                count += 1
                if k == 0:
                    cases.genops("mut-%s-p%d-%d" % (name, proto, k), bytes(m))
    # Random byte soup drawn from opcode bytes, which exercises the stack emulation.
    alphabet = b"(0121aelptdus}])N\x85\x86\x87\x88\x89\x8f\x90\x91\x94.K\x01\x00q\x02h"
    for k in range(150):
        n = rng.randint(1, 40)
        data = bytes(rng.choice(alphabet) for _ in range(n)) + b"."
        cases.dis("soup-%d" % k, data, indent=rng.choice((0, 2, 4)),
                  annotate=rng.choice((0, 0, 30)))
    return count


def main():
    if os.environ.get("PYTHONHASHSEED") != "0":
        env = dict(os.environ, PYTHONHASHSEED="0")
        sys.exit(subprocess.call([sys.executable, os.path.abspath(__file__)] + sys.argv[1:],
                                 env=env))
    warnings.simplefilter("ignore")
    assert sys.version_info[:2] == (3, 11), sys.version
    cases = Cases()
    add_opcodes(cases)
    add_objects(cases)
    add_pickletester(cases)
    add_errors(cases)
    add_text_quirks(cases)
    add_layout(cases)
    add_mutations(cases)
    missing = {op.name for op in pickletools.opcodes} - set(cases.ops_ok)
    assert not missing, missing
    with open(OUT, "w", encoding="ascii", newline="\n") as f:
        f.write("# Golden cases for pickletools.dis/genops, written by gen_dis_cases.py with "
                "CPython %s.\n" % sys.version.split()[0])
        f.write("# Format: see the docstring of gen_dis_cases.py.\n")
        for line in cases.lines:
            f.write(line + "\n")
    print("%d cases written to %s" % (len(cases.lines), OUT))


if __name__ == "__main__":
    main()
