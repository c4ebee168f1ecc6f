#!/usr/bin/env python3
"""Writes convert_cases.tsv: CPython's results and errors for what pickle/convert.h and
Dict::at reproduce. Run with the oracle interpreter (python3, CPython 3.11):

    python3 lib/test/golden/gen_convert_cases.py > lib/test/golden/convert_cases.tsv

One case per line, tab-separated: kind, input, outcome, result. Strings are hex of their
WTF-8 (UTF-8 with surrogates encoded like other code points) or bytes; outcome is "ok" or
the exception class, result the value (hex, or text for ints and floats) or the message.

  str_to_utf8      s.encode('utf-8')                 (the str's WTF-8 -> UTF-8 bytes)
  utf8_to_str      b.decode('utf-8')                 (bytes -> the str's WTF-8)
  int_from_string  str(int(s))                       (s given as WTF-8)
  int_to_float     repr(float(int(s)))               (s a decimal int)
  int_to_string    str(int(s)) under the 4300-digit limit (s given as a hex int)
  key_error        str(KeyError(s))                  (s given as WTF-8)
  point_pickle     pickle.dumps(Point(1, -2), p)     (input p; Point is geometry.Point, whose
                   __reduce__ returns (Point, (self.x, self.y)); result hex)
"""
import pickle
import sys
import types


def wtf8(s):
    return s.encode("utf-8", "surrogatepass").hex()


def outcome(f):
    try:
        return "ok", f()
    except Exception as e:  # noqa: BLE001 -- every CPython error is a case
        return type(e).__name__, str(e)


def emit(kind, arg, result):
    status, value = result
    print(f"{kind}\t{arg}\t{status}\t{value}")


STRS = ["", "abc", "h\u00e9llo", "\u20ac", "\U0001f600", "\ud800", "ab\udfff", "x\ud83d\ude00",
        "\udc80\udcff", "a\x00b", "\u0100" * 3 + "\ud834"]
BYTES = [b"", b"abc", b"\xff", b"a\x80", b"\xc3", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80",
         b"\xf0\x9f\x98\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xe0\x80\xaf", b"ok\xe2\x82\xac!",
         b"\xf8\x88\x80\x80\x80", b"\x80abc", b"abc\xf0\x9f\x98"]
INT_TEXTS = ["0", "-0", "42", "+7", " 12 ", "1_000", "1__0", "_1", "1_", "", "-", "12a", "0x10",
             "\u0661\u0662", "9" * 30, "-" + "9" * 30, "1" * 4300, "1" * 4301, "\t-5\n", "1.5",
             "\ud800"]
INTS = ["0", "1", "-1", str(2**53 + 1), str(2**63), str(-2**63 - 1), str(2**1023),
        str(2**1024), str(-2**1024), str(2**1024 - 2**970), str(2**1024 - 2**969)]


def main():
    for s in STRS:
        emit("str_to_utf8", wtf8(s), outcome(lambda: s.encode("utf-8").hex()))
    for b in BYTES:
        emit("utf8_to_str", b.hex(), outcome(lambda: wtf8(b.decode("utf-8"))))
    for t in INT_TEXTS:
        emit("int_from_string", wtf8(t), outcome(lambda: str(int(t))))
    for t in INTS:
        emit("int_to_float", t, outcome(lambda: repr(float(int(t)))))
    for n in (4300, 4301):
        i = 10 ** (n - 1)
        emit("int_to_string", format(i, "x"), outcome(lambda: str(i)))
    for s in ["a", "it's", "\u20ac", "\ud800", 'q"\'', "\n"]:
        emit("key_error", wtf8(s), outcome(lambda: str(KeyError(s))))
    geometry = types.ModuleType("geometry")

    class Point:
        def __init__(self, x, y):
            self.x, self.y = x, y

        def __reduce__(self):
            return Point, (self.x, self.y)

    Point.__module__, Point.__qualname__ = "geometry", "Point"
    geometry.Point = Point
    sys.modules["geometry"] = geometry
    for proto in range(6):
        emit("point_pickle", str(proto), outcome(lambda: pickle.dumps(Point(1, -2), proto).hex()))


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8", errors="surrogatepass")
    main()
