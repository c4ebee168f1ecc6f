"""Writes lib/src/codec_tables.inc from CPython's codec registry (the encodings package):

  * kCodecNames: every name CPython 3.11's encodings.search_function can resolve, as the
    normalised keys it looks at (the aliases of encodings.aliases and the codec modules of
    the package), each with the codec it stands for as an alias and as a module name;
    (kNonText marks the codecs whose CodecInfo._is_text_encoding is false: str.encode and
    bytes.decode refuse them);
  * kCharmaps / kCharmapDecode: the decoding table of every single-byte charmap codec (a
    module of the package whose codec is codecs.charmap_decode with a 256-entry
    decoding_table), for the codecs a name can reach.

Codec lookup in CPython 3.11 (Python/codecs.c _PyCodec_Lookup, Lib/encodings/__init__.py
search_function): the name is normalised by _Py_normalize_encoding (runs of characters
other than ASCII letters, digits and '.' become one '_', except at the start; ASCII letters
are lowercased), then the search function tries the alias of the name, or of the name with
'.' replaced by '_', then the name itself, as a module of the encodings package; names
with a '.' are never imported. A module that cannot be imported (mbcs and oem outside
Windows) is skipped; the first module that imports is the answer if it has getregentry.
No module of the package defines getaliases(), so the answer does not depend on which
names were looked up before (checked below).

Encoding tables are not written: every charmap codec of CPython 3.11 encodes exactly with
the inverse of its decoding table in which the last byte wins when two bytes decode to the
same character (codecs.charmap_build's EncodingMap; the modules with a hand-written
encoding_map dict agree). This script checks that on every code point, so the library
builds the inverse itself.

Uses the standard library only; deterministic. Usage: python3 lib/src/gen/gen_codec_tables.py
"""
import codecs
import encodings
import encodings.aliases
import importlib
import importlib.util
import os
import pkgutil
import sys

from gen_paths import output_path

OUT = output_path("lib/src/codec_tables.inc")
UNDEFINED = 0xFFFE  # the decoding-table entry of an unmapped byte


def c_normalize(name):
    """_Py_normalize_encoding applied to the UTF-8 of name."""
    out = []
    punct = False
    for byte in name.encode("utf-8"):
        c = chr(byte)
        if (c.isascii() and c.isalnum()) or c == ".":
            if punct and out:
                out.append("_")
            punct = False
            out.append(c.lower())
        else:
            punct = True
    return "".join(out)


def module_of(info):
    """The encodings module a CodecInfo came from."""
    return info.incrementaldecoder.__module__.split(".", 1)[1]


def load_modules():
    """The codec modules of the package: name -> module (those that import and have getregentry)."""
    modules = {}
    for m in sorted(x.name for x in pkgutil.iter_modules(encodings.__path__)):
        try:
            mod = importlib.import_module("encodings." + m)
        except ImportError:
            continue
        if hasattr(mod, "getregentry"):
            assert module_of(mod.getregentry()) == m, m
            modules[m] = mod
    return modules


def charmap_table(mod):
    """The decoding table of a single-byte charmap codec module, or None."""
    table = getattr(mod, "decoding_table", None)
    if not isinstance(table, str) or len(table) != 256:
        return None
    info = mod.getregentry()
    # The codec really decodes with this table, byte by byte.
    for b in range(256):
        try:
            got = info.decode(bytes([b]))[0]
        except UnicodeDecodeError as e:
            assert table[b] == chr(UNDEFINED) and e.encoding == "charmap", (mod.__name__, b)
        else:
            assert got == table[b] and ord(got) != UNDEFINED, (mod.__name__, b)
    assert all(ord(c) <= 0xFFFF for c in table)
    return [ord(c) for c in table]


def check_encoding_is_inverse(mod, table):
    """Every code point the codec can encode, and its byte, is the last-wins inverse of table."""
    inverse = {}
    for b, cp in enumerate(table):
        if cp != UNDEFINED:
            inverse[cp] = b
    failed = []

    def record(exc):
        failed.append((exc.start, exc.end))
        return ("", exc.end)

    codecs.register_error("gen_codec_tables.record", record)
    everything = "".join(map(chr, range(0x110000)))
    out = mod.getregentry().encode(everything, "gen_codec_tables.record")[0]
    unencodable = set()
    for start, end in failed:
        unencodable.update(range(start, end))
    encodable = [cp for cp in range(0x110000) if cp not in unencodable]
    assert dict(zip(encodable, out)) == inverse and len(out) == len(encodable), mod.__name__


def kind_of(module):
    if module == "utf_8":
        return "Utf8"
    if module == "ascii":
        return "Ascii"
    if module in ("latin_1", "charmap"):
        # The 'charmap' codec without a mapping is Latin-1, messages included.
        return "Latin1"
    return None


def main():
    if sys.version_info[:3] != (3, 11, 7):
        sys.exit("run this with CPython 3.11.7 (the specification)")
    modules = load_modules()
    aliases = dict(encodings.aliases.aliases)

    # 'charmap' really is Latin-1.
    charmap = modules["charmap"].getregentry()
    assert charmap.decode(bytes(range(256)))[0] == bytes(range(256)).decode("latin-1")
    for text in ["a\u20ac", "\udc80\u20ac", "\u0100\u0101x"]:
        for errors in ["strict", "surrogateescape", "backslashreplace", "replace"]:
            results = []
            for enc in (charmap.encode, codecs.lookup("latin-1").encode):
                try:
                    results.append(enc(text, errors))
                except UnicodeEncodeError as e:
                    results.append(str(e))
            assert results[0] == results[1], (text, errors, results)

    tables = {}
    for m, mod in modules.items():
        if kind_of(m) is None:
            t = charmap_table(mod)
            if t is not None:
                tables[m] = t

    def resolve(norm):
        """encodings.search_function on a normalised name: the codec module, or None."""
        target = aliases.get(norm) or aliases.get(norm.replace(".", "_"))
        for candidate in ([target, norm] if target else [norm]):
            if not candidate or "." in candidate:
                continue
            if candidate in modules:
                return candidate
            # Every other module of the package either fails to import (mbcs, oem) or is
            # not a codec (aliases), and search_function stops at the first that imports.
            assert candidate in ("mbcs", "oem") or importlib.util.find_spec("encodings." + candidate) is None, candidate
        return None

    keys = sorted(set(aliases) | set(modules))
    reachable = sorted({resolve(k) for k in keys} - {None})
    charmaps = [m for m in reachable if m in tables]
    for m in charmaps:
        check_encoding_is_inverse(modules[m], tables[m])
    index = {m: i for i, m in enumerate(charmaps)}

    def codec_expr(module):
        if module is None or module not in reachable:
            return None
        k = kind_of(module)
        if k:
            return "id(Codec::%s)" % k
        if module in index:
            return "cm(%d)" % index[module]
        if not modules[module].getregentry()._is_text_encoding:
            return "kNonText"
        return "id(Codec::Unsupported)"

    # The table and the C++ lookup (codecs.cpp resolve_name) agree with CPython on every key
    # and on a few variants of each; gen_text_cases.py checks thousands of names more.
    def simulate(norm):
        entries = {k: entry(k) for k in (norm, norm.replace(".", "_"))}
        e = entries[norm]
        if e and e[0] != "kNone":
            if e[0] != "kBroken":
                return e[0]
            return e[1] if "." not in norm and e[1] != "kNone" else None
        d = entries[norm.replace(".", "_")]
        if "." in norm and d and d[0] != "kNone":
            return None if d[0] == "kBroken" else d[0]
        if "." not in norm and e and e[1] != "kNone":
            return e[1]
        return None

    def entry(k):
        if k not in keys:
            return None
        if k in aliases:
            a = codec_expr(aliases[k]) or "kBroken"
        else:
            a = "kNone"
        m = codec_expr(k) if k in modules else None
        return (a, m or "kNone")

    for k in keys:
        for name in [k, k.upper(), k.replace("_", "-"), k.replace("_", "."), " " + k + " ", k + "x"]:
            try:
                info = codecs.lookup(name)
            except LookupError:
                expected = None
            else:
                expected = codec_expr(module_of(info))
            assert simulate(c_normalize(name)) == expected, (name, expected)
            assert resolve(c_normalize(name)) == (module_of(info) if expected else None)

    with open(OUT, "w", encoding="ascii", newline="\n") as f:
        w = f.write
        w("// Generated by lib/src/gen/gen_codec_tables.py from CPython %s (%s); do not edit.\n"
          % (sys.version.split()[0], sys.platform))
        w("// Included by codecs.cpp, which defines Codec, id(), cm(), kNone, kBroken, kNonText,\n")
        w("// NameEntry and CharmapInfo.\n\n")
        w("inline constexpr std::size_t kCharmapCount = %d;\n" % len(charmaps))
        w("inline constexpr std::size_t kMaxNormalizedName = %d;\n\n" % max(len(k) for k in keys))
        w("// The single-byte charmap codecs: module, CodecInfo.name, whether bytes and code\n")
        w("// points below 0x80 map to themselves both ways.\n")
        w("constexpr CharmapInfo kCharmaps[kCharmapCount] = {\n")
        for m in charmaps:
            t = tables[m]
            inverse = {}
            for b, cp in enumerate(t):
                if cp != UNDEFINED:
                    inverse[cp] = b
            ascii = all(t[b] == b for b in range(128)) and all(inverse.get(c) == c for c in range(128))
            w('    {"%s", "%s", %s},\n' % (m, modules[m].getregentry().name, "true" if ascii else "false"))
        w("};\n\n")
        w("// Decoding tables: the code point of each byte, 0xFFFE where the byte is undefined\n")
        w("// (\"character maps to <undefined>\").\n")
        w("constexpr char16_t kCharmapDecode[kCharmapCount][256] = {\n")
        for m in charmaps:
            w("    {  // %s\n" % m)
            t = tables[m]
            for row in range(0, 256, 12):
                w("        " + " ".join("0x%04x," % cp for cp in t[row:row + 12]) + "\n")
            w("    },\n")
        w("};\n\n")
        w("// Normalised names: {name, the codec as an alias (kNone: not an alias; kBroken: the\n")
        w("// alias names a module that cannot be imported), the codec as a module (kNone: not a\n")
        w("// codec module)}. kNonText is a codec that is not a text encoding (base64, rot13, ...).\n")
        w("// Sorted for binary search.\n")
        w("constexpr NameEntry kCodecNames[] = {\n")
        for k in keys:
            a, m = entry(k)
            w('    {"%s", %s, %s},\n' % (k, a, m))
        w("};\n")
    print("wrote %s: %d names, %d charmap codecs" % (OUT, len(keys), len(charmaps)))


if __name__ == "__main__":
    main()
