#!/usr/bin/env python3
"""Golden cases for lib/src/pytext.cpp and lib/src/codecs.cpp, computed by CPython 3.11.

Writes, next to this script:
  text_cases.tsv        one case per line: tab-separated fields, strings hex-encoded
  printable_ranges.txt  the inclusive ranges of code points with str.isprintable() true

Uses the standard library only. The C-level functions (PyLong_FromString,
PyOS_string_to_double, glibc's strtol) are called through ctypes so that the cases see
exactly the C-string semantics the library reproduces. Deterministic: re-running it
gives identical files.

text_cases.tsv format. Lines starting with '#' are comments. Every other line is
    FUNCTION <TAB> ARG... <TAB> RESULT...
where RESULT is "ok" followed by the outputs, or "err" <TAB> ExceptionClass <TAB> hex(message).
Strings and byte strings are hex (lowercase, possibly empty); a Python str is given as its
WTF-8 (str.encode('utf-8', 'surrogatepass')). Doubles are the 16 hex digits of their
IEEE bits (big-endian). Ints are Python's format(v, 'x') with a leading '-' if negative.

    repr_str        hex(wtf8)                    ok hex(repr(s))
    ascii_str       hex(wtf8)                    ok hex(ascii(s))
    repr_bytes      hex(b)                       ok hex(repr(b))
    repr_bytearray  hex(b)                       ok hex(repr(bytearray(b)))
    repr_float      bits                         ok hex(repr(x))
    strtol          hex(s)                       ok value end overflow(0|1)
    long_cstr       hex(s) base                  ok int | err
    int_bytes       hex(b) base                  ok int | err
    strtod          hex(s)                       ok bits end | err
    float_bytes     hex(b)                       ok bits | err
    error_handler   hex(name)                    ok Python-name | err | unsupported
    lookup_codec    hex(name)                    ok utf-8|ascii|latin-1|charmap:NAME|unsupported | err
    decode          codec handler hex(b)         ok hex(wtf8) | err   (codec: any name find_codec knows)
    decode_named    codec hex(errors) hex(b)     ok hex(wtf8) | err
    encode          codec handler hex(wtf8)      ok hex(bytes) | err
    encode_named    codec hex(errors) hex(wtf8)  ok hex(bytes) | err
    decode_text     hex(encoding) hex(errors) hex(b)     ok hex(wtf8) | err | unsupported
    encode_text     hex(encoding) hex(errors) hex(wtf8)  ok hex(bytes) | err | unsupported
    codecs_encode   hex(encoding) hex(errors) hex(wtf8)  ok hex(bytes) | err | unsupported
    is_wtf8         hex(b)                       ok 0|1
    raw_unicode_escape_decode  hex(b)            ok hex(wtf8) | err
    raw_unicode_escape_encode  hex(wtf8)         ok hex(bytes)
    escape_decode   hex(b)                       ok hex(bytes) | err

Usage: python3 lib/test/golden/gen_text_cases.py
"""
import codecs
import ctypes
import encodings
import encodings.aliases
import importlib
import math
import os
import pkgutil
import random
import struct
import sys
import unicodedata
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
HANDLERS = ["strict", "ignore", "replace", "surrogateescape", "surrogatepass", "backslashreplace"]
CODECS = ["utf-8", "ascii", "latin-1"]

lines = []
counts = {}


def wtf8(s):
    return s.encode("utf-8", "surrogatepass")


def hx(b):
    if isinstance(b, str):
        b = wtf8(b)
    return bytes(b).hex()


def inthex(v):
    return ("-" if v < 0 else "") + format(abs(v), "x")


def dbits(x):
    return struct.pack(">d", x).hex()


def emit(func, args, result):
    counts[func] = counts.get(func, 0) + 1
    lines.append("\t".join([func] + [str(a) for a in args] + list(result)))


def err(e):
    return ["err", type(e).__name__, hx(str(e))]


def run(func, args, thunk):
    try:
        result = thunk()
    except Exception as e:  # noqa: BLE001 - every exception is a case
        emit(func, args, err(e))
    else:
        emit(func, args, ["ok"] + [str(r) for r in result])


def unique(seq):
    seen = set()
    out = []
    for x in seq:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


# ---- C entry points through ctypes ---------------------------------------------------

api = ctypes.pythonapi
api.PyLong_FromString.restype = ctypes.py_object
api.PyLong_FromString.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
api.PyOS_string_to_double.restype = ctypes.c_double
api.PyOS_string_to_double.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
OVERFLOW_ERROR = ctypes.c_void_p.in_dll(api, "PyExc_OverflowError").value
libc = ctypes.CDLL(None)
libc.strtol.restype = ctypes.c_long
libc.strtol.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
libc.__errno_location.restype = ctypes.POINTER(ctypes.c_int)


def c_strtol(s):
    buf = ctypes.create_string_buffer(s)
    end = ctypes.c_void_p()
    libc.__errno_location()[0] = 0
    value = libc.strtol(ctypes.addressof(buf), ctypes.addressof(end), 0)
    errno = libc.__errno_location()[0]
    return value, end.value - ctypes.addressof(buf), 1 if errno else 0


def py_long_from_string(s, base):
    return api.PyLong_FromString(s, None, base)


def py_string_to_double(s):
    buf = ctypes.create_string_buffer(s)
    end = ctypes.c_void_p()
    x = api.PyOS_string_to_double(ctypes.addressof(buf), ctypes.addressof(end), OVERFLOW_ERROR)
    return x, end.value - ctypes.addressof(buf)


# ---- repr of str, bytes, float --------------------------------------------------------

def str_samples(rng):
    cps = list(range(0x300))
    cps += [0x378, 0x37F, 0x85, 0xA0, 0xAD, 0x61C, 0x1680, 0x180E, 0x2000, 0x200B, 0x200F,
            0x2028, 0x2029, 0x202F, 0x205F, 0x2060, 0x2064, 0x3000, 0xD7FF, 0xD800, 0xDB7F,
            0xDB80, 0xDBFF, 0xDC00, 0xDC7F, 0xDC80, 0xDCFF, 0xDD00, 0xDFFF, 0xE000, 0xF8FF,
            0xF900, 0xFDD0, 0xFEFF, 0xFFF9, 0xFFFC, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x1000C,
            0x1D173, 0x1F600, 0x1FFFF, 0x20000, 0x2FFFF, 0x30000, 0xE0001, 0xE0020, 0xE0100,
            0xEFFFF, 0xF0000, 0xFFFFD, 0x100000, 0x10FFFD, 0x10FFFF]
    # A few code points of every general category.
    by_cat = {}
    for cp in range(0x110000):
        by_cat.setdefault(unicodedata.category(chr(cp)), []).append(cp)
    for cat in sorted(by_cat):
        members = by_cat[cat]
        cps += members[:3] + members[-2:] + rng.sample(members, min(5, len(members)))
    out = [chr(cp) for cp in unique(cps)]
    out += ["", "'", '"', "'\"", "\"'", "a'b", 'a"b', "it's \"x\"", "\\", "\\'", '\\"', "''", '""',
            "\t\n\r\x0b\x0c\x00\x7f", "abc", "é'", "\udcff'\"", "\ud83d\ude00", "\U0001F600'"]
    pool = [chr(c) for c in unique(cps)] + list("'\"\\ \tabc")
    for _ in range(300):
        out.append("".join(rng.choice(pool) for _ in range(rng.randrange(1, 12))))
    return out


def gen_repr(rng):
    for s in str_samples(rng):
        emit("repr_str", [hx(s)], ["ok", hx(repr(s))])
        emit("ascii_str", [hx(s)], ["ok", hx(ascii(s))])
    bs = [bytes([b]) for b in range(256)]
    bs += [b"", b"'", b'"', b"'\"", b"a'b", b'a"b', b"\\'", b"\x00\xff\x7f\x80\t\n\r"]
    for _ in range(200):
        bs.append(bytes(rng.choice(b"'\"\\\t\n\r\x00\x7f\x80\xffab ") for _ in range(rng.randrange(1, 10))))
    for b in bs:
        emit("repr_bytes", [hx(b)], ["ok", hx(repr(b))])
        emit("repr_bytearray", [hx(b)], ["ok", hx(repr(bytearray(b)))])


def float_samples(rng):
    xs = [0.0, -0.0, math.inf, -math.inf, math.nan, -math.nan, 1.0, -1.0, 1.5, 100.0, 0.1, 0.2,
          0.3, 1 / 3, 2 / 3, 1e16, 1e15, 9999999999999998.0, 1e17, 123456789012345678.0,
          1e22, 1e23, 0.0001, 0.00001, 0.00009999999999999999, 1e-5, 1.5e-5, 5e-324, -5e-324,
          2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308,
          -1.7976931348623157e308, 2.0 ** 53, 2.0 ** 53 + 2, 2.0 ** 63, 2.0 ** 64, 2.0 ** -1074,
          math.pi, math.e, 12345.678, 1e100, 1e-100, 1e300, 1e-300, 4.35, 0.1 + 0.2]
    for e in range(-330, 310):
        for m in (1.0, 1.5, 9.999999999999999, 5.0):
            try:
                xs.append(float(f"{m}e{e}"))
            except OverflowError:
                pass
    for k in range(-1074, 1024, 7):
        xs.append(2.0 ** k)
    for _ in range(3000):
        xs.append(struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))[0])
    for _ in range(1000):
        xs.append(round(rng.uniform(-1e6, 1e6), rng.randrange(0, 8)))
    for _ in range(500):
        xs.append(float(f"{rng.randrange(1, 10**17)}e{rng.randrange(-30, 30)}"))
    return xs


def gen_repr_float(rng):
    seen = set()
    for x in float_samples(rng):
        bits = dbits(x)
        if bits in seen:
            continue
        seen.add(bits)
        emit("repr_float", [bits], ["ok", hx(repr(x))])


# ---- strtol, PyLong_FromString, int(bytes) ----------------------------------------------

def gen_strtol(rng):
    cases = [b"", b" ", b"0", b"00", b"0x", b"0X", b" -0x", b"0xg", b"0x1", b"0XfF", b"012", b"09",
             b"0b1", b"08", b"-", b"+", b"+-1", b"-+1", b"+5", b"-5", b" \t\n\v\f\r7", b"\x1c7",
             b"1e5", b"12abc", b"1_000", b"9223372036854775807", b"9223372036854775808",
             b"-9223372036854775808", b"-9223372036854775809", b"18446744073709551616",
             b"99999999999999999999999x", b"0x7fffffffffffffff", b"0x8000000000000000",
             b"-0x8000000000000000", b"-0x8000000000000001", b"0xffffffffffffffffff",
             b"0777777777777777777777", b"01777777777777777777777", b"-01000000000000000000000",
             b"0x-1", b"- 1", b"1 ", b"  +0", b"I01", b"\xff1", b"1\xff", b"0000000000000000000000001",
             b"0x000000000000000000000000001"]
    for _ in range(300):
        cases.append(bytes(rng.choice(b"0123456789abcdefxX+- \t") for _ in range(rng.randrange(1, 25))))
    for s in unique(cases):
        emit("strtol", [hx(s)], ["ok"] + [str(v) for v in c_strtol(s)])


def int_literals(rng):
    cases = [b"", b" ", b"0", b"-0", b"+0", b"00", b"000", b"0_0", b"0__0", b"0_", b"00_", b"0_1",
             b"0__1", b"012", b"08", b"0_8", b"0 0", b"1", b"-1", b"+1", b"--1", b"+-1", b"- 1",
             b" 1", b"1 ", b" \t\n\x0b\x0c\r1\r\n", b"\x1c1", b"1\x1c", b"1_000", b"1__000", b"_1",
             b"1_", b"+_1", b"-_1", b"0x", b"0X", b"0x_", b"0x_1", b"0x__1", b"0x1_", b"0xFF",
             b"0Xff", b"0o17", b"0O17", b"0o_7", b"0o8", b"0b101", b"0B1", b"0b2", b"0b_1",
             b"0b", b"0o", b"0xg", b"x", b"z", b"Z", b"1.0", b"1e5", b"0x1.0", b"12abc",
             b"\xff", b"1\xff", b"\xc3\xa9", b"1\xc3\xa9", b"\xe2\x82\xac", b"\xed\xa0\x80",
             b"\xf0\x9f\x98\x80", b"9223372036854775807", b"9223372036854775808",
             b"-9223372036854775808", b"-9223372036854775809", b"18446744073709551615",
             b"18446744073709551616", b"-18446744073709551616", b"0xffffffffffffffff",
             b"0x10000000000000000", b"-0x8000000000000000", b"-0x8000000000000001",
             b"1" * 40, b"-" + b"9" * 60, b"0x" + b"f" * 70, b"1_2_3_4_5_6_7_8_9_0" * 5,
             b"\xd9\xa1", b"\xef\xbc\x91", b"\xc2\xa01", b"True", b"I01"]
    # Digit-limit boundaries (4300 decimal digits; power-of-two bases are not limited).
    # Long invalid literals: the message shows the first 200 bytes, repr cut at 200 chars.
    cases += [b"x" * 199, b"x" * 200, b"x" * 201, b"x" * 400, b"'" * 250, b"\\" * 150,
              b"a" * 199 + b"\xc3\xa9", b"a" * 198 + b"\xc3\xa9", b"\xc3\xa9" * 150,
              b"\xf0\x9f\x98\x80" * 60, b"\n" * 120, b"1" * 150 + b"x" * 100,
              b"\x01\xc3\xa9" * 70, b"\x01" * 100, b"\xe2\x80\xa8\xc3\xa9" * 45]
    for _ in range(300):
        cases.append(bytes(rng.choice(b"0123456789abcdefxob_+- \t") for _ in range(rng.randrange(1, 20))))
    return unique(cases)


def gen_long(rng):
    bases = [0, 2, 3, 8, 10, 16, 36]
    for s in int_literals(rng):
        for base in bases:
            args = [hx(s), base]
            if b"\x00" not in s:
                run("long_cstr", args, lambda: [inthex(py_long_from_string(s, base))])
            run("int_bytes", args, lambda: [inthex(int(s, base))])
    # Digit-limit boundaries: 4300 digits in bases that are not powers of two.
    decimal = [b"1" * 4300, b"1" * 4301, b"-" + b"1" * 4301, b"0" * 4301, b"0" * 4300,
               b"1" * 4301 + b"x", b"1" * 4301 + b"__1", b"1" * 4300 + b"_1", b"1_" * 4300 + b"1",
               b"1__" + b"1" * 5000, b" " + b"9" * 4300 + b" ", b"1" * 4299 + b"x",
               b"1" * 4301 + b"\x00", b"1" * 4300 + b"\x00"]
    limit_cases = [(s, base) for s in decimal for base in (0, 10)]
    limit_cases += [(b"0x" + b"f" * 4400, 0), (b"f" * 4400, 16), (b"f" * 4301, 36),
                    (b"f" * 4301, 20), (b"0b" + b"1" * 4400, 0), (b"7" * 4400, 8),
                    (b"v" * 4400, 32), (b"1" * 4400, 4), (b"0x" + b"f" * 4400 + b"g", 16),
                    (b"1" * 4301, 9)]
    # Both entry points share the parser: int(bytes) gets the cases that differ.
    for s, base in limit_cases:
        args = [hx(s), base]
        if b"\x00" not in s:
            run("long_cstr", args, lambda: [inthex(py_long_from_string(s, base))])
        if b"\x00" in s or s in (b"1" * 4301, b"0" * 4301, b"f" * 4400):
            run("int_bytes", args, lambda: [inthex(int(s, base))])
    for s in [b"0", b"z", b"Z", b"10", b"0x10", b"0b10", b"0o10", b"", b"-1_0"]:
        for base in [-1, 1, 4, 5, 7, 9, 11, 15, 17, 32, 35, 37, 100]:
            run("long_cstr", [hx(s), base], lambda: [inthex(py_long_from_string(s, base))])
            run("int_bytes", [hx(s), base], lambda: [inthex(int(s, base))])
    # Embedded NULs are only meaningful for int(bytes).
    for s in [b"\x00", b"1\x00", b"\x001", b"1\x002", b" 1 \x00", b"x\x00", b"\xff\x00"]:
        for base in (0, 10):
            run("int_bytes", [hx(s), base], lambda: [inthex(int(s, base))])
    for _ in range(300):
        base = rng.choice([2, 3, 5, 8, 10, 12, 16, 20, 32, 36])
        n = rng.getrandbits(rng.randrange(1, 300)) * rng.choice([1, -1])
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"
        text, m = "", abs(n)
        while True:
            text = digits[m % base] + text
            m //= base
            if m == 0:
                break
        s = (("-" if n < 0 else "") + text).encode()
        run("long_cstr", [hx(s), base], lambda: [inthex(py_long_from_string(s, base))])
        run("int_bytes", [hx(s), base], lambda: [inthex(int(s, base))])


# ---- PyOS_string_to_double, float(bytes) ------------------------------------------------

def float_texts(rng):
    cases = [b"", b" ", b"0", b"-0", b"+0", b"0.0", b"-0.0", b"1", b"1.5", b"-1.5", b"+1.5", b".5",
             b"5.", b".", b"-.", b"+.", b"-", b"+", b"e5", b".e5", b"1e", b"1e+", b"1e-", b"1E5",
             b"1e+5", b"1e-5", b"1e5x", b"1.5.5", b"1..5", b"--1", b"+-1", b" 1", b"1 ", b"\t1\n",
             b"1\n", b"1_0", b"1__0", b"_1", b"1_", b"1_.5", b"1._5", b"1e_5", b"1e1_0",
             b"0x10", b"0x1p3", b"1,5", b"inf", b"-inf", b"+inf", b"INF", b"Inf", b"infinity",
             b"-Infinity", b"INFINITYx", b"infinit", b"infx", b"in", b"i", b"nan", b"-nan",
             b"+NaN", b"NAN", b"nanx", b"na", b"nan(1)", b"-iNfInItY", b"infinityinfinity",
             b"1e400", b"-1e400", b"1e-400", b"-1e-400", b"1e308", b"1e309", b"1.7976931348623157e308",
             b"1.7976931348623158e308", b"1.7976931348623159e308", b"-1.7976931348623159e308",
             b"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791.9",
             b"0.17976931348623159e309", b"4.9406564584124654e-324", b"2.4703282292062328e-324",
             b"2.4703282292062327e-324", b"-2.4703282292062328e-324", b"2e-324", b"3e-324",
             b"2.2250738585072011e-308", b"2.2250738585072012e-308", b"1e99999999999999999999",
             b"-1e99999999999999999999", b"1e-99999999999999999999", b"0e99999999999999999999",
             b"0.0e-99999999999", b"1e0000000000000000000005", b"1e+0000000000000000000000400",
             b"1e2147483648", b"1e-2147483649", b"1e1100000000", b"1e1099999999", b"1e-1100000001",
             b"0." + b"0" * 400 + b"1e300", b"0." + b"0" * 400 + b"1e500", b"1" + b"0" * 400,
             b"1" + b"0" * 400 + b"e-300", b"1" + b"0" * 400 + b"e-800", b"0" * 500 + b"1.5",
             b"9007199254740993", b"9007199254740992.5", b"9007199254740993.0000000000000000001",
             b"0.1" + b"0" * 500 + b"1", b"2.5e-324" + b"0" * 10, b"1\xff", b"\xff", b"\xe2\x82",
             b"\xe2\x82\xac", b"x" * 250, b"a\xc3\xa9" * 100, b"\xc3\xa9" * 99 + b"x\xc3\xa9",
             b"\xed\xa0\x80", b"1e5\xc3\xa9", b"\xd9\xa1", b"\xef\xbc\x91", b"\xc2\xa01",
             b"1\xc2\xa0", b"\x1c1", b"1\x1c", b"1.5\n", b"nan\n", b"-inf\n"]
    for x in float_samples(random.Random(7))[:800]:
        cases.append(repr(x).encode())
        cases.append(("%.17g" % x).encode())
    for _ in range(500):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 40)))
        point = rng.randrange(0, len(digits) + 1)
        text = digits[:point] + "." + digits[point:] if rng.random() < 0.7 else digits
        if rng.random() < 0.6:
            text += rng.choice("eE") + rng.choice(["", "+", "-"]) + str(rng.randrange(0, 400))
        cases.append((rng.choice(["", "-", "+"]) + text).encode())
    for _ in range(200):
        cases.append(bytes(rng.choice(b"0123456789.eE+-_ infa") for _ in range(rng.randrange(1, 15))))
    return unique(cases)


def gen_float(rng):
    for s in float_texts(rng):
        if b"\x00" not in s:
            run("strtod", [hx(s)], lambda: [dbits(py_string_to_double(s)[0]), py_string_to_double(s)[1]])
        run("float_bytes", [hx(s)], lambda: [dbits(float(s))])
    for s in [b"\x00", b"1\x00", b"\x001", b"1\x00_", b"1_\x00", b"1_0\x00", b" 1 \x00", b"inf\x00"]:
        run("float_bytes", [hx(s)], lambda: [dbits(float(s))])


# ---- codecs ----------------------------------------------------------------------------

def gen_error_handler():
    names = HANDLERS + ["xmlcharrefreplace", "namereplace", "Strict", "STRICT", "strict ", " strict",
                        "bogus", "", "surrogate_escape", "backslash-replace", "x" * 399, "x" * 401,
                        "x" * 500, "é" * 300, "a" + "é" * 300, "\U0001F600" * 101, "a\U0001F600" * 80]
    for name in names:
        if name in ("xmlcharrefreplace", "namereplace"):
            emit("error_handler", [hx(name)], ["unsupported"])
            continue
        try:
            codecs.lookup_error(name)
        except LookupError as e:
            emit("error_handler", [hx(name)], err(e))
        else:
            emit("error_handler", [hx(name)], ["ok", name])


def codec_module(info):
    """The module of the encodings package a CodecInfo comes from."""
    return info.incrementaldecoder.__module__.split(".", 1)[1]


def is_charmap_module(module):
    table = getattr(importlib.import_module("encodings." + module), "decoding_table", None)
    return isinstance(table, str) and len(table) == 256


def codec_kind(info):
    """What the library is to make of a codec: utf-8, ascii, latin-1 (also the 'charmap'
    codec, which is Latin-1 without a mapping), charmap:NAME for a single-byte charmap
    codec (NAME its CodecInfo.name), or unsupported."""
    module = codec_module(info)
    kinds = {"utf_8": "utf-8", "ascii": "ascii", "latin_1": "latin-1", "charmap": "latin-1"}
    if module in kinds:
        return kinds[module]
    if is_charmap_module(module):
        return "charmap:" + info.name
    return "unsupported"


def charmap_codecs():
    """(CodecInfo.name, decoding table) of every charmap codec a name can reach."""
    out = []
    for m in sorted(x.name for x in pkgutil.iter_modules(encodings.__path__)):
        try:
            if not is_charmap_module(m):
                continue
        except ImportError:
            continue
        info = codecs.lookup(m)
        if codec_module(info) != m:
            continue  # iso8859_1: the name is an alias of latin_1
        assert codec_module(codecs.lookup(info.name)) == m
        out.append((info.name, importlib.import_module("encodings." + m).decoding_table))
    return out


def codec_name_samples(rng):
    """Thousands of names: every alias and module name of the encodings package and
    variants of them (case, separators, dots, punctuation, non-ASCII, NUL, surrogates)."""
    modules = [x.name for x in pkgutil.iter_modules(encodings.__path__)]
    bases = sorted(set(encodings.aliases.aliases) | set(modules) | set(encodings.aliases.aliases.values()))
    bases += [info_name for info_name, _ in charmap_codecs()]
    bases += ["windows-1252", "windows_1251", "mac-roman", "macroman", "koi8-r", "KOI8-U",
              "iso-8859-15", "ISO_8859-15:1998", "latin-9", "latin9", "iso8859-16", "cp-1252",
              "cp 437", "IBM437", "ibm-437", "437", "850", "866", "ebcdic-cp-us", "EBCDIC-CP-HE",
              "x-mac-japanese", "utf_8_sig", "utf-16-le", "UTF-32BE", "shift-jis", "sjis",
              "base64", "base_64", "rot-13", "rot13", "hex", "zip", "bz2", "uu", "quopri",
              "undefined", "unicode-escape", "raw-unicode-escape", "idna", "punycode", "mbcs",
              "dbcs", "oem", "ansi", "aliases", "codecs", "encodings", "search_function",
              "normalize_encoding", "__init__", "init", "cp65001", "tactis", "thai", "palmos",
              "hproman8", "roman8", "r8", "cskoi8r", "kz_1048", "strk1048_2002", "rk1048",
              "cp1006", "cp1125", "ruscii", "866u", "cp866u", "cp720", "cp858", "cp1140"]
    out = set()
    for base in bases:
        tokens = [t for t in base.replace("-", "_").replace(" ", "_").split("_") if t]
        variants = [base, base.upper(), base.title(), base.capitalize(), "-".join(tokens),
                    " ".join(tokens), ".".join(tokens), "".join(tokens), "__".join(tokens),
                    " " + base + " ", "-" + base, base + "-", base + ".", "." + base, base + "x",
                    base[:-1], "x" + base, base + "\u2010", "\u00a0" + base, "\u00e9".join(tokens),
                    "\u2010".join(tokens), "\U0001F600".join(tokens), base.replace("_", "_-_"),
                    base + "\t", "\n" + base]
        variants.append("".join(c.upper() if rng.random() < 0.5 else c for c in base))
        # Separators between letters and digits ("cp 1252", "iso-8859-15", "koi8 r").
        split = ""
        for i, c in enumerate(base):
            if i and (c.isdigit() != base[i - 1].isdigit()) and base[i - 1] not in "_-. ":
                split += rng.choice(["-", "_", " ", ".", ""])
            split += c
        variants.append(split)
        out.update(variants)
    # Dotted names: an alias is tried with '.' as '_'; a module never is.
    out.update(["latin.1", "latin_1.", "iso8859.1", "iso8859.15", "iso_8859.15", "cp.1252",
                "utf.8", "utf_8.", "ansi_x3.4_1968", "ansi_x3_4_1968", "ansi.x3.4.1968",
                "ANSI_X3.4-1968", "ANSI_X3.4-1986", "iso_646.irv:1991", "iso_646.irv_1991",
                "iso_646_irv_1991", "iso.646.irv.1991", "mac.roman", "koi8.r", "koi8_r.",
                "windows.1252", "cp1252.", ".cp1252", "..", ".", "x.y", "rot.13", "base64.",
                "u.8", "iso8859_1.", "l.1", "8859.", "us.ascii", "us_ascii.", "utf_16.le"])
    out.update(["", " ", "-", "_", "---", "\t", "\u00e9", "\U0001F600", "utf\u20108",
                "\u0130SO-8859-1", "\u212alatin1", "latin\u0131", "\u212aOI8-R", "cp\u00b9252",
                "cp\u0661\u0662\u0665\u0662", "\uff43\uff50\uff11\uff12\uff15\uff12",
                "utf" + "-" * 1000 + "8", "-" * 50 + "ISO 646.IRV 1991" + "-" * 50, "x" * 21,
                "x" * 22, "x" * 23, "x" * 24, "l" * 1000, "iso_646.irv_1991.", "iso_646.irv_19911",
                "cspc850multilingual", "cspc850multilingualx", "CSPC850-MULTILINGUAL",
                "cspc862latinhebrew", "x_mac_simp_chinese", "x-mac-trad-chinese-"])
    # Names CPython rejects before looking them up: NUL (ValueError) and surrogates
    # (UnicodeEncodeError; reported before a NUL).
    out.update(["\x00", "utf-8\x00", "\x00utf-8", "bogus\x00", "lat\x00in1", "\ud800",
                "utf-8\udc80", "\udcff\x00", "\x00\udcff", "cp1252\ud83d\ude00", "a\U0001F600\udc80"])
    for _ in range(400):
        out.add("".join(rng.choice("utf8-_. ASCIIlatin1cpKOI8rmacROMAN9\u00e9") for _ in range(rng.randrange(1, 12))))
    return sorted(out)


def gen_lookup_codec(rng):
    for name in codec_name_samples(rng):
        run("lookup_codec", [hx(name)], lambda: [codec_kind(codecs.lookup(name))])


def utf8_inputs(rng):
    seconds = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xF0, 0xFF]
    conts = [0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xFF]
    key_leads = [0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5]
    out = [b"", b"abc", b"a\x00b"]
    # Every non-ASCII byte alone and followed by second bytes (each kind of second byte
    # after the lead bytes whose valid ranges differ, four kinds after the others).
    for lead in range(0x80, 0x100):
        out += [bytes([lead]), bytes([lead]) + b"z", b"a" + bytes([lead])]
        for b2 in seconds if lead in key_leads else [0x41, 0x80, 0xBF, 0xC0]:
            out.append(bytes([lead, b2]))
    # Three- and four-byte prefixes of the lead bytes whose ranges differ.
    for lead in key_leads:
        for b2 in seconds:
            out.append(bytes([lead, b2]) + b"z")
            for b3 in conts:
                out.append(bytes([lead, b2, b3]))
                if lead in (0xE0, 0xED, 0xF0, 0xF4):
                    out.append(bytes([lead, b2, b3]) + b"z")
    for lead in [0xF0, 0xF1, 0xF4]:
        for b2 in [0x41, 0x80, 0x8F, 0x90, 0xBF, 0xC0]:
            for b3 in conts:
                for b4 in conts:
                    out.append(bytes([lead, b2, b3, b4]))
    # Surrogates, alone, paired, truncated, among other text.
    out += [b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xed\xb2\x80", b"\xed\x9f\xbf", b"\xed\xa0",
            b"\xed\xa0\x80\xed\xb0\x80", b"x\xed\xa0\x80y\xed\xb3\xbfz", b"\xed\xa0\x80\xff",
            b"\xed\xa0\x41", b"\xed\xa0\xc0", b"\xed\xa0\x80\xed", b"\xed\xa0\x80\xed\xa0",
            b"\xf4\x8f\xbf\xbf", b"\xf4\x90\x80\x80", b"\xef\xbf\xbd", b"\xef\xbb\xbfabc",
            b"\xc0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xf8\x88\x80\x80\x80"]
    # Errors at every offset of an ASCII run (the 8-byte fast path), and long texts.
    for k in range(0, 20):
        out += [b"a" * k + b"\xff" + b"b" * (19 - k), b"a" * k + b"\xc3\xa9" + b"b" * (19 - k),
                b"a" * k + b"\xe2\x82", b"a" * k + b"\xed\xa0\x80" + b"b" * 9]
    pieces = [b"a", b"z", b"\x00", b"\x7f", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80",
              b"\xed\xa0\x80", b"\xed\xb2\x80", b"\xff", b"\x80", b"\xc3", b"\xe2\x82", b"\xf0\x9f",
              b"\xf0\x9f\x98", b"\xc0", b"\xf5", b"abcdefghij"]
    for _ in range(400):
        out.append(b"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 10))))
    return unique(out)


def decoded(b, codec, handler):
    return hx(b.decode(codec, handler))


def gen_decode(rng):
    inputs = utf8_inputs(rng)
    for b in inputs:
        # Strict shows every error range in its message and replace how many errors there
        # are; surrogatepass (the WTF-8 decoder) differs from strict only where there is an
        # ED byte. The other handlers get a sample.
        sample = rng.random() < 0.3
        for h in HANDLERS:
            if h in ("strict", "replace") or sample or (h == "surrogatepass" and 0xED in b):
                run("decode", ["utf-8", h, hx(b)], lambda: [decoded(b, "utf-8", h)])
        ok = True
        try:
            b.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            ok = False
        emit("is_wtf8", [hx(b)], ["ok", "1" if ok else "0"])
    single = [bytes([c]) for c in range(256)]
    mixed = [b"", b"abc", b"a\x80b\xffc", b"\xc3\xa9", b"\xff" * 3, b"x" * 9 + b"\x80" + b"y" * 9]
    for _ in range(200):
        mixed.append(bytes(rng.choice(b"az\x00\x7f\x80\xa0\xff\xc3\xa9") for _ in range(rng.randrange(1, 12))))
    for codec in ["ascii", "latin-1"]:
        for b in unique(single + mixed):
            for h in HANDLERS:
                run("decode", [codec, h, hx(b)], lambda: [decoded(b, codec, h)])
    # Error handler names are resolved lazily: only when an error occurs.
    names = HANDLERS + ["bogus", "Strict", ""]
    for codec in CODECS + ["charmap", "cp1252", "cp424"]:
        for b in [b"", b"abc", b"a\xffb", b"\xc3\xa9", b"\xed\xa0\x80", b"\x80\x80"]:
            for name in names:
                run("decode_named", [codec, hx(name), hx(b)], lambda: [decoded(b, codec, name)])


def encode_inputs(rng):
    cps = [0x00, 0x41, 0x7F, 0x80, 0xE9, 0xFF, 0x100, 0x7FF, 0x800, 0x20AC, 0xD7FF, 0xD800,
           0xDBFF, 0xDC00, 0xDC7F, 0xDC80, 0xDCFF, 0xDD00, 0xDFFF, 0xE000, 0xFFFD, 0xFFFF,
           0x10000, 0x1F600, 0x10FFFF]
    out = ["", "abc"] + [chr(c) for c in cps]
    for a in cps:
        for b in [0x41, 0xE9, 0x20AC, 0xD800, 0xDC80, 0xDCFF, 0x1F600]:
            out.append(chr(a) + chr(b))
    out += ["\udc80\ud800\udc81", "\ud800\udc80x\udc81\udc82", "\udc80\udcff\udc80",
            "ab\udc80\udc81cd\ud800", "é€😀\udc80x\ud800", "x" * 20 + "\udc80" + "y" * 20,
            "€" * 10 + "\ud800" * 3 + "é", "\udc80é€", "é\udc80", "\udcff\U0001F600\udc80"]
    pool = [chr(c) for c in cps] + list("abc ")
    for _ in range(120):
        out.append("".join(rng.choice(pool) for _ in range(rng.randrange(1, 10))))
    return unique(out)


def gen_encode(rng):
    for s in encode_inputs(rng):
        for codec in CODECS:
            for h in HANDLERS:
                run("encode", [codec, h, hx(s)], lambda: [hx(s.encode(codec, h))])
    names = HANDLERS + ["bogus", "Strict", ""]
    for codec in CODECS + ["charmap", "cp1252", "cp424"]:
        for s in ["", "abc", "é", "€", "\udc80", "a\ud800b", "\u0100\u0101"]:
            for name in names:
                run("encode_named", [codec, hx(name), hx(s)], lambda: [hx(s.encode(codec, name))])


def gen_charmap(rng):
    """Every charmap codec: every byte decoded (and each undefined byte with every handler),
    every encodable character encoded, a sample of code points with every handler."""
    specials = [0x00, 0x24, 0x3F, 0x5C, 0x7F, 0x80, 0xA0, 0xA4, 0xE9, 0xFF, 0x100, 0x20AC, 0x2603,
                0xFFFD, 0xFFFE, 0xFFFF, 0x1F600, 0x10FFFF, 0xD800, 0xDBFF, 0xDC00, 0xDC7F, 0xDC80,
                0xDCA4, 0xDCFF]
    for name, table in charmap_codecs():
        undefined = bytes(b for b in range(256) if table[b] == "\ufffe")
        defined = bytes(b for b in range(256) if table[b] != "\ufffe")
        everything = bytes(range(256))
        for h in ["strict", "replace", "backslashreplace"]:
            run("decode", [name, h, hx(everything)], lambda: [decoded(everything, name, h)])
        # Handlers only act on undefined bytes: the defined ones once, strictly.
        run("decode", [name, "strict", hx(defined)], lambda: [decoded(defined, name, "strict")])
        inputs = [b"", b"abc"]
        if undefined:
            inputs += [undefined, bytes(b for b in undefined if b >= 0x80), undefined[::-1] + b"ab"]
        pool = list(undefined) * 3 + rng.sample(range(256), 12) + list(b"az?\\")
        for _ in range(4):
            inputs.append(bytes(rng.choice(pool) for _ in range(rng.randrange(1, 12))))
        for b in unique(inputs):
            for h in HANDLERS:
                run("decode", [name, h, hx(b)], lambda: [decoded(b, name, h)])
        for u in undefined:
            run("decode", [name, "strict", hx(bytes([u]))], lambda: [decoded(bytes([u]), name, "strict")])
            b = b"ab" + bytes([u]) + b"cd"
            for h in HANDLERS:
                run("decode", [name, h, hx(b)], lambda: [decoded(b, name, h)])

        encodable = sorted({c for c in table if c != "\ufffe"})
        text = "".join(encodable)
        run("encode", [name, "strict", hx(text)], lambda: [hx(text.encode(name))])
        outside = [c for c in range(0x110000) if chr(c) not in table and not 0xD800 <= c <= 0xDFFF]
        cps = [chr(c) for c in specials]
        cps += rng.sample(encodable, 12) + [chr(c) for c in rng.sample(outside, 12)]
        cps = unique(cps)
        for c in cps:
            run("encode", [name, "strict", hx(c)], lambda: [hx(c.encode(name))])
        sample = "".join(cps)
        texts = [sample, "a\u20acb", "\u20ac\u20ac\u20ac", "x\udc80\udc81y", "\udc80\u20ac",
                 "\u20ac\udc80", "\udcff" * 3 + "z", "ab\ud800\udc00cd", "\U0001F600" * 2 + "\xe9"]
        pool = rng.sample(encodable, 8) + cps[-12:] + ["\udc80", "\udcc3", "\ud800", "a", "?", "\\"]
        for _ in range(6):
            texts.append("".join(rng.choice(pool) for _ in range(rng.randrange(1, 10))))
        for t in unique(texts):
            for h in HANDLERS:
                run("encode", [name, h, hx(t)], lambda: [hx(t.encode(name, h))])


def str_argument_error(*args):
    """Whether CPython rejects one of these str arguments before using it (a surrogate or NUL)."""
    for a in args:
        try:
            a.encode("utf-8")
        except UnicodeEncodeError:
            return True
        if "\0" in a:
            return True
    return False


def library_unsupported(name, via):
    """Whether the library has to give up (NotImplementedError) on a call that passed its
    argument checks: the codec exists, is one the library does not implement, and (for
    str.encode and bytes.decode) is a text encoding."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return False
    if codec_kind(info) != "unsupported":
        return False
    return via == "codecs" or info._is_text_encoding


def gen_text_calls():
    """bytes.decode(encoding, errors), str.encode(encoding, errors) and codecs.encode(str,
    encoding, errors) with names that take CPython's shortcuts and names that do not."""
    names = ["utf-8", "UTF8", "utf_8", "Utf-8", "u8", "utf", "utf8-ucs4", "cp65001", "ascii", "ASCII",
             "US-ASCII", "us_ascii", "646", "us", "latin1", "latin-1", "Latin_1", "iso-8859-1",
             "ISO8859-1", "iso_8859_1", "iso8859_1", "iso8859.1", "l1", "8859", "latin", "charmap",
             "cp1252", "Windows-1252", "koi8_r", "KOI8-U", "cp424", "cp037", "mac-roman", "latin9",
             "utf-16", "utf_32", "UTF16", "utf-16-le", "utf-8-sig", "shift_jis", "undefined", "rot13",
             "ROT-13", "base64", "hex", "zip", "bogus", "", "-", "mbcs", "a\0", "\ud800", "\udcff\0",
             "rot" + "-" * 500 + "13", "rot" + "\u00e9" * 300 + "13", "base\U0001F60064" * 40,
             "x" * 500, "utf-8\u00e9", "\u00e9cp1252", "ISO_8859-1", "iso__8859__1", " iso 8859 1 ",
             "iso-8859-1-1987", "us.ascii", "latin.1", "utf.8", "utf_8.", "UTF-8-", "utf--16",
             "u-t-f-8", "ascii8", "utf_8_", "latin_1_"]
    errors = ["strict", "replace", "surrogateescape", "backslashreplace", "bogus", "", "a\0", "\udc80"]
    data = [b"", b"abc", b"\xff", b"a\x81b\xe9", b"\xed\xa0\x80"]
    texts = ["", "abc", "\xe9", "\u20ac", "a\udc80b", "\u0100"]
    for name in names:
        long_name = len(name) > 40  # a few cases each: they make long lines
        for e in (["strict", "bogus"] if long_name else errors):
            for b in (data[:3] if long_name else data):
                args = [hx(name), hx(e), hx(b)]
                if not str_argument_error(name, e) and b and library_unsupported(name, "text"):
                    emit("decode_text", args, ["unsupported"])
                else:
                    run("decode_text", args, lambda: [hx(b.decode(name, e))])
            for t in (texts[:4] if long_name else texts):
                args = [hx(name), hx(e), hx(t)]
                if not str_argument_error(name, e) and library_unsupported(name, "text"):
                    emit("encode_text", args, ["unsupported"])
                else:
                    run("encode_text", args, lambda: [hx(t.encode(name, e))])
                if not str_argument_error(name, e) and library_unsupported(name, "codecs"):
                    emit("codecs_encode", args, ["unsupported"])
                else:
                    run("codecs_encode", args, lambda: [hx(codecs.encode(t, name, e))])


def gen_raw_unicode_escape(rng):
    cases = [b"", b"abc", b"\\", b"a\\", b"\\\\", b"\\\\u0041", b"\\\\\\u0041", b"\\u0041", b"\\U00000041",
             b"\\u", b"\\u0", b"\\u00", b"\\u004", b"\\uXYZ", b"\\u00g1", b"\\U", b"\\U0010ffff",
             b"\\U0010FFFF", b"\\U00110000", b"\\Uffffffff", b"\\U0001F600x", b"\\U0001f60",
             b"\\U0001f60g", b"\\ud800", b"\\udc80\\ud800", b"\\x41", b"\\n", b"\\t", b"\\'",
             b"\\\xff", b"\xff\\", b"\x80\xa0\xff", b"\\u20ac\\U0001F600\xe9", b"\\uD83D\\uDE00",
             b"x\\u12", b"ab\\U123", b"\\u12345", b"\\U000000411", b"\\uABCD", b"\\uabcd"]
    for _ in range(300):
        cases.append(bytes(rng.choice(b"\\uU0123456789abcdefABCDEFgx\xff") for _ in range(rng.randrange(1, 14))))
    for b in unique(cases):
        run("raw_unicode_escape_decode", [hx(b)], lambda: [hx(codecs.raw_unicode_escape_decode(b)[0])])
    for s in encode_inputs(random.Random(11)) + ["\\", "\\u0041", "\n", "\x00\x7f\x80\xff\u0100",
                                                 "\U0010ffff", "\uffff", "\U00010000"]:
        emit("raw_unicode_escape_encode", [hx(s)], ["ok", hx(s.encode("raw-unicode-escape"))])


def gen_escape_decode(rng):
    cases = [b"", b"abc", b"\\", b"a\\", b"\\\\", b"\\\\\\", b"\\\n", b"a\\\nb", b"\\x", b"\\x4",
             b"\\x41", b"\\x4g", b"\\xg4", b"\\xGG", b"\\xfF", b"ab\\x1", b"\\x41\\", b"\\0", b"\\00",
             b"\\000", b"\\0000", b"\\1234", b"\\377", b"\\400", b"\\777", b"\\8", b"\\9", b"\\08",
             b"\\78", b"\\q", b"\\u0041", b"\\N{DASH}", b"\\\xff", b"\xff\\n", b"\\'\\\"", b"\\a\\b\\f\\n\\r\\t\\v",
             b"'\\''", b"\\x\\x41", b"x" * 10 + b"\\x"]
    for c in range(256):
        cases.append(b"\\" + bytes([c]))
        cases.append(b"\\" + bytes([c]) + b"z")
        cases.append(b"\\x4" + bytes([c]))
    for _ in range(300):
        cases.append(bytes(rng.choice(b"\\x0123789abfgnrt'\"\n\xff") for _ in range(rng.randrange(1, 12))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for b in unique(cases):
            run("escape_decode", [hx(b)], lambda: [hx(codecs.escape_decode(b)[0])])


def gen_printable():
    ranges = []
    for cp in range(0x110000):
        if chr(cp).isprintable():
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    with open(os.path.join(HERE, "printable_ranges.txt"), "w", encoding="ascii", newline="\n") as f:
        f.write("# Inclusive ranges of code points for which str.isprintable() is true in CPython %s\n"
                % sys.version.split()[0])
        f.write("# (Unicode %s), written by gen_text_cases.py: first<TAB>last, in hex.\n"
                % unicodedata.unidata_version)
        for a, b in ranges:
            f.write("%x\t%x\n" % (a, b))
    return len(ranges)


def main():
    if sys.version_info[:3] != (3, 11, 7):
        sys.exit("run this with CPython 3.11.7 (the specification)")
    gen_repr(random.Random(1))
    gen_repr_float(random.Random(2))
    gen_strtol(random.Random(3))
    gen_long(random.Random(4))
    gen_float(random.Random(5))
    gen_error_handler()
    gen_lookup_codec(random.Random(6))
    gen_decode(random.Random(8))
    gen_encode(random.Random(9))
    gen_charmap(random.Random(13))
    gen_text_calls()
    gen_raw_unicode_escape(random.Random(10))
    gen_escape_decode(random.Random(12))
    nranges = gen_printable()
    header = ["# Golden cases for pytext.cpp and codecs.cpp, written by gen_text_cases.py with CPython %s."
              % sys.version.split()[0],
              "# Format: see the docstring of gen_text_cases.py."]
    with open(os.path.join(HERE, "text_cases.tsv"), "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(header + lines) + "\n")
    for func in sorted(counts):
        print(f"{func:28} {counts[func]:7}")
    print(f"{'total':28} {len(lines):7}   printable ranges: {nranges}")


if __name__ == "__main__":
    main()
