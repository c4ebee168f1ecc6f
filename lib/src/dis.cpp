// The pickle disassembler: pickletools.dis and pickletools.genops of CPython 3.11.7,
// reproduced line by line (Lib/pickletools.py is the specification).
//
// The argument readers are pickletools' read_* functions with their exact ValueError
// messages; the Python conversions they call (int(bytes), float(bytes),
// codecs.escape_decode, the utf-8/latin-1/ascii/raw-unicode-escape decoders) come from
// pytext.h and codecs.h and raise CPython's own exceptions. dis() emulates pickletools'
// crude stack of StackObjects, its mark stack and its memo exactly, including the quirks
// (an IndexError when an opcode popped a mark behind the mark stack's back, bool memo keys
// from "p00\n", "memo key None already defined" for MEMOIZE).
//
// Nothing is allocated from a declared length before the bytes are known to be present,
// and nothing recurses.
#include "pickle/dis.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bigint.h"
#include "codecs.h"
#include "pickle/error.h"
#include "pickle/pickler.h"
#include "pytext.h"
#include "value_internal.h"

namespace pickle {

namespace {

using detail::append_decimal;
using detail::append_repr_bytes;
using detail::append_repr_float;
using detail::append_repr_str;
using detail::IntRef;

[[noreturn]] void value_error(std::string message) { throw Error(ErrorType::ValueError, std::move(message)); }

// ---- the first line of each opcode's doc (pickletools' annotate mode) -------------------
// Produced by: for op in pickletools.opcodes: print(op.name, op.doc.split('\n', 1)[0])
std::string_view opcode_summary(Op op) noexcept {
  switch (op) {
    case Op::INT: return "Push an integer or bool.";
    case Op::BININT: return "Push a four-byte signed integer.";
    case Op::BININT1: return "Push a one-byte unsigned integer.";
    case Op::BININT2: return "Push a two-byte unsigned integer.";
    case Op::LONG: return "Push a long integer.";
    case Op::LONG1: return "Long integer using one-byte length.";
    case Op::LONG4: return "Long integer using found-byte length.";
    case Op::STRING:
    case Op::BINSTRING:
    case Op::SHORT_BINSTRING: return "Push a Python string object.";
    case Op::BINBYTES:
    case Op::SHORT_BINBYTES:
    case Op::BINBYTES8: return "Push a Python bytes object.";
    case Op::BYTEARRAY8: return "Push a Python bytearray object.";
    case Op::NEXT_BUFFER: return "Push an out-of-band buffer object.";
    case Op::READONLY_BUFFER: return "Make an out-of-band buffer object read-only.";
    case Op::NONE: return "Push None on the stack.";
    case Op::NEWTRUE: return "Push True onto the stack.";
    case Op::NEWFALSE: return "Push False onto the stack.";
    case Op::UNICODE:
    case Op::SHORT_BINUNICODE:
    case Op::BINUNICODE:
    case Op::BINUNICODE8: return "Push a Python Unicode string object.";
    case Op::FLOAT: return "Newline-terminated decimal float literal.";
    case Op::BINFLOAT: return "Float stored in binary form, with 8 bytes of data.";
    case Op::EMPTY_LIST: return "Push an empty list.";
    case Op::APPEND: return "Append an object to a list.";
    case Op::APPENDS: return "Extend a list by a slice of stack objects.";
    case Op::LIST: return "Build a list out of the topmost stack slice, after markobject.";
    case Op::EMPTY_TUPLE: return "Push an empty tuple.";
    case Op::TUPLE: return "Build a tuple out of the topmost stack slice, after markobject.";
    case Op::TUPLE1: return "Build a one-tuple out of the topmost item on the stack.";
    case Op::TUPLE2: return "Build a two-tuple out of the top two items on the stack.";
    case Op::TUPLE3: return "Build a three-tuple out of the top three items on the stack.";
    case Op::EMPTY_DICT: return "Push an empty dict.";
    case Op::DICT: return "Build a dict out of the topmost stack slice, after markobject.";
    case Op::SETITEM: return "Add a key+value pair to an existing dict.";
    case Op::SETITEMS: return "Add an arbitrary number of key+value pairs to an existing dict.";
    case Op::EMPTY_SET: return "Push an empty set.";
    case Op::ADDITEMS: return "Add an arbitrary number of items to an existing set.";
    case Op::FROZENSET: return "Build a frozenset out of the topmost slice, after markobject.";
    case Op::POP: return "Discard the top stack item, shrinking the stack by one item.";
    case Op::DUP: return "Push the top stack item onto the stack again, duplicating it.";
    case Op::MARK: return "Push markobject onto the stack.";
    case Op::POP_MARK: return "Pop all the stack objects at and above the topmost markobject.";
    case Op::GET:
    case Op::BINGET:
    case Op::LONG_BINGET: return "Read an object from the memo and push it on the stack.";
    case Op::PUT:
    case Op::BINPUT:
    case Op::LONG_BINPUT:
    case Op::MEMOIZE: return "Store the stack top into the memo.  The stack is not popped.";
    case Op::EXT1:
    case Op::EXT2:
    case Op::EXT4: return "Extension code.";
    case Op::GLOBAL:
    case Op::STACK_GLOBAL: return "Push a global object (module.attr) on the stack.";
    case Op::REDUCE: return "Push an object built from a callable and an argument tuple.";
    case Op::BUILD: return "Finish building an object, via __setstate__ or dict update.";
    case Op::INST:
    case Op::OBJ: return "Build a class instance.";
    case Op::NEWOBJ:
    case Op::NEWOBJ_EX: return "Build an object instance.";
    case Op::PROTO: return "Protocol version indicator.";
    case Op::STOP: return "Stop the unpickling machine.";
    case Op::FRAME: return "Indicate the beginning of a new frame.";
    case Op::PERSID:
    case Op::BINPERSID: return "Push an object identified by a persistent ID.";
  }
  return "";
}

// ---- decoded arguments ------------------------------------------------------------------

/// An opcode argument as pickletools' reader returns it, kept without a Graph when possible.
struct Arg {
  enum class Type : std::uint8_t {
    None,       // the opcode has no argument
    Int,        // i (int4, uint1, uint2, uint4)
    UInt,       // u (uint8)
    IntValue,   // v: an int parsed from text (decimalnl_short/long), small or big
    Bool,       // i: 0 or 1 (decimalnl_short's "00"/"01")
    Float,      // f
    Str,        // text (WTF-8)
    Bytes,      // bytes (a view of the input)
    ByteArray,  // bytes
    Long,       // bytes: decode_long's little-endian two's complement
  };
  Type type = Type::None;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double f = 0;
  Value v;
  std::string text;
  std::span<const std::uint8_t> bytes;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> data) : p_(data.data()), n_(data.size()) {}

  std::size_t pos() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return n_ - pos_; }
  bool at_end() const noexcept { return pos_ >= n_; }
  std::uint8_t next_byte() noexcept { return p_[pos_++]; }

  /// f.read(k) with k <= remaining().
  std::span<const std::uint8_t> take(std::size_t k) noexcept {
    std::span<const std::uint8_t> s(p_ + pos_, k);
    pos_ += k;
    return s;
  }
  /// f.readline(): up to and including '\n', or the rest of the input. Returns the line
  /// without its newline; `found` tells whether there was one.
  std::string_view readline(bool& found) noexcept {
    const char* start = reinterpret_cast<const char*>(p_ + pos_);
    const void* nl = std::memchr(start, '\n', remaining());
    if (!nl) {
      found = false;
      std::string_view s(start, remaining());
      pos_ = n_;
      return s;
    }
    found = true;
    std::size_t len = static_cast<std::size_t>(static_cast<const char*>(nl) - start);
    pos_ += len + 1;
    return {start, len};
  }

  // Fixed-size little-endian readers: read_uint1 ... read_uint8.
  std::uint64_t read_unsigned(std::size_t width, const char* name) {
    if (remaining() < width) {
      // f.read(width) consumed what was there; the error ends everything anyway.
      value_error(std::string("not enough data in stream to read ") + name);
    }
    std::uint64_t x = 0;
    for (std::size_t k = width; k-- > 0;) x = (x << 8) | p_[pos_ + k];
    pos_ += width;
    return x;
  }
  std::int64_t read_int4() {
    auto x = static_cast<std::uint32_t>(read_unsigned(4, "int4"));
    return static_cast<std::int32_t>(x);
  }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t pos_ = 0;
};

std::string_view as_chars(std::span<const std::uint8_t> s) noexcept {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

/// Python's repr of a bytes object, for messages.
std::string bytes_repr(std::string_view b) {
  std::string s;
  append_repr_bytes(s, b);
  return s;
}

/// read_stringnl(f, decode, stripquotes) without the final decode step: the raw payload.
std::string_view read_stringnl_raw(Reader& r, bool stripquotes) {
  bool found;
  std::string_view data = r.readline(found);
  if (!found) value_error("no newline found when trying to read stringnl");
  if (stripquotes) {
    bool quoted = false;
    for (std::string_view q : {std::string_view("\""), std::string_view("'")}) {
      if (!data.empty() && data.front() == q[0]) {
        if (data.back() != q[0]) {
          value_error("strinq quote " + bytes_repr(q) + " not found at both ends of " + bytes_repr(data));
        }
        // data[1:-1]: empty for a lone quote.
        data = data.size() >= 2 ? data.substr(1, data.size() - 2) : std::string_view();
        quoted = true;
        break;
      }
    }
    if (!quoted) value_error("no string quotes around " + bytes_repr(data));
  }
  return data;
}

/// codecs.escape_decode(data)[0].decode("ascii"), appended to out.
void escape_decode_ascii(std::string_view data, std::string& out) {
  const std::string decoded = detail::escape_decode(data);
  detail::decode(detail::Codec::Ascii, detail::ErrorHandler::Strict, decoded, out);
}

/// Counted readers: the count is checked against what remains before anything is copied.
std::span<const std::uint8_t> read_counted(Reader& r, std::uint64_t n, const char* what) {
  if (n > r.remaining()) {
    value_error("expected " + std::to_string(n) + " bytes in a " + what + ", but only " +
                std::to_string(r.remaining()) + " remain");
  }
  return r.take(static_cast<std::size_t>(n));
}

constexpr std::uint64_t kMaxSize = 0x7fffffffffffffffull;  // sys.maxsize on 64-bit builds

std::uint64_t read_size8(Reader& r, const char* what) {
  std::uint64_t n = r.read_unsigned(8, "uint8");
  if (n > kMaxSize) value_error(std::string(what) + " byte count > sys.maxsize: " + std::to_string(n));
  return n;
}

/// opcode.arg.reader(f): fills `a` (a.text is reused storage). `g` receives ints parsed
/// from text.
void read_arg(Reader& r, ArgKind kind, Graph& g, Arg& a, PythonVersion python) {
  using T = Arg::Type;
  a.text.clear();
  switch (kind) {
    case ArgKind::None: a.type = T::None; return;
    case ArgKind::Uint1:
      a.type = T::Int;
      a.i = static_cast<std::int64_t>(r.read_unsigned(1, "uint1"));
      return;
    case ArgKind::Uint2:
      a.type = T::Int;
      a.i = static_cast<std::int64_t>(r.read_unsigned(2, "uint2"));
      return;
    case ArgKind::Int4:
      a.type = T::Int;
      a.i = r.read_int4();
      return;
    case ArgKind::Uint4:
      a.type = T::Int;
      a.i = static_cast<std::int64_t>(r.read_unsigned(4, "uint4"));
      return;
    case ArgKind::Uint8:
      a.type = T::UInt;
      a.u = r.read_unsigned(8, "uint8");
      return;
    case ArgKind::Float8: {
      if (r.remaining() < 8) value_error("not enough data in stream to read float8");
      auto b = r.take(8);
      std::uint64_t bits = 0;
      for (std::uint8_t c : b) bits = (bits << 8) | c;  // big-endian
      double d;
      std::memcpy(&d, &bits, sizeof d);
      a.type = T::Float;
      a.f = d;
      return;
    }
    case ArgKind::DecimalnlShort: {
      std::string_view s = read_stringnl_raw(r, false);
      if (s == "00" || s == "01") {
        a.type = T::Bool;
        a.i = s[1] == '1';
        return;
      }
      a.type = T::IntValue;
      a.v = detail::py_int_from_bytes(g, s, 10, python);
      return;
    }
    case ArgKind::DecimalnlLong: {
      std::string_view s = read_stringnl_raw(r, false);
      if (!s.empty() && s.back() == 'L') s.remove_suffix(1);
      a.type = T::IntValue;
      a.v = detail::py_int_from_bytes(g, s, 10, python);
      return;
    }
    case ArgKind::Floatnl: {
      std::string_view s = read_stringnl_raw(r, false);
      a.type = T::Float;
      a.f = detail::py_float_from_bytes(s);
      return;
    }
    case ArgKind::Stringnl: {
      std::string_view s = read_stringnl_raw(r, true);
      a.type = T::Str;
      escape_decode_ascii(s, a.text);
      return;
    }
    case ArgKind::StringnlNoescape: {
      std::string_view s = read_stringnl_raw(r, false);
      a.type = T::Str;
      escape_decode_ascii(s, a.text);
      return;
    }
    case ArgKind::StringnlNoescapePair: {
      std::string_view s1 = read_stringnl_raw(r, false);
      a.type = T::Str;
      escape_decode_ascii(s1, a.text);
      std::string_view s2 = read_stringnl_raw(r, false);
      a.text += ' ';
      escape_decode_ascii(s2, a.text);
      return;
    }
    case ArgKind::Unicodestringnl: {
      bool found;
      std::string_view s = r.readline(found);
      if (!found) value_error("no newline found when trying to read unicodestringnl");
      a.type = T::Str;
      detail::decode_raw_unicode_escape(s, a.text);
      return;
    }
    case ArgKind::String1: {
      auto n = r.read_unsigned(1, "uint1");
      auto b = read_counted(r, n, "string1");
      a.type = T::Str;
      detail::decode(detail::Codec::Latin1, detail::ErrorHandler::Strict, as_chars(b), a.text);
      return;
    }
    case ArgKind::String4: {
      std::int64_t n = r.read_int4();
      if (n < 0) value_error("string4 byte count < 0: " + std::to_string(n));
      auto b = read_counted(r, static_cast<std::uint64_t>(n), "string4");
      a.type = T::Str;
      detail::decode(detail::Codec::Latin1, detail::ErrorHandler::Strict, as_chars(b), a.text);
      return;
    }
    case ArgKind::Bytes1:
      a.type = T::Bytes;
      a.bytes = read_counted(r, r.read_unsigned(1, "uint1"), "bytes1");
      return;
    case ArgKind::Bytes4:
      // A uint4 never exceeds sys.maxsize: that check cannot fire.
      a.type = T::Bytes;
      a.bytes = read_counted(r, r.read_unsigned(4, "uint4"), "bytes4");
      return;
    case ArgKind::Bytes8:
      a.type = T::Bytes;
      a.bytes = read_counted(r, read_size8(r, "bytes8"), "bytes8");
      return;
    case ArgKind::Bytearray8:
      a.type = T::ByteArray;
      a.bytes = read_counted(r, read_size8(r, "bytearray8"), "bytearray8");
      return;
    case ArgKind::Unicodestring1: {
      auto b = read_counted(r, r.read_unsigned(1, "uint1"), "unicodestring1");
      a.type = T::Str;
      detail::decode(detail::Codec::Utf8, detail::ErrorHandler::SurrogatePass, as_chars(b), a.text);
      return;
    }
    case ArgKind::Unicodestring4: {
      auto b = read_counted(r, r.read_unsigned(4, "uint4"), "unicodestring4");
      a.type = T::Str;
      detail::decode(detail::Codec::Utf8, detail::ErrorHandler::SurrogatePass, as_chars(b), a.text);
      return;
    }
    case ArgKind::Unicodestring8: {
      auto b = read_counted(r, read_size8(r, "unicodestring8"), "unicodestring8");
      a.type = T::Str;
      detail::decode(detail::Codec::Utf8, detail::ErrorHandler::SurrogatePass, as_chars(b), a.text);
      return;
    }
    case ArgKind::Long1: {
      auto n = r.read_unsigned(1, "uint1");
      if (n > r.remaining()) value_error("not enough data in stream to read long1");
      a.type = T::Long;
      a.bytes = r.take(static_cast<std::size_t>(n));
      return;
    }
    case ArgKind::Long4: {
      std::int64_t n = r.read_int4();
      if (n < 0) value_error("long4 byte count < 0: " + std::to_string(n));
      if (static_cast<std::uint64_t>(n) > r.remaining()) {
        value_error("not enough data in stream to read long4");
      }
      a.type = T::Long;
      a.bytes = r.take(static_cast<std::size_t>(n));
      return;
    }
  }
  a.type = T::None;
}

/// One step of _genops: reads the opcode at the reader's position and its argument.
/// Returns STOP's info last; throws pickletools' errors, at the opcode's offset.
const OpInfo* next_op(Reader& r, Graph& g, Arg& a, PythonVersion python = {}) {
  const std::size_t pos = r.pos();
  try {
    if (r.at_end()) value_error("pickle exhausted before seeing STOP");
    const std::uint8_t code = r.next_byte();
    const OpInfo* info = op_info(code);
    if (!info) {
      std::string msg = "at position " + std::to_string(pos) + ", opcode ";
      const char c = static_cast<char>(code);
      append_repr_bytes(msg, std::string_view(&c, 1));
      msg += " unknown";
      value_error(std::move(msg));
    }
    read_arg(r, info->arg, g, a, python);
    return info;
  } catch (Error& e) {
    e.set_offset(pos);
    throw;
  }
}

/// The argument as the Value pickletools' reader returns.
Value arg_value(Graph& g, const Arg& a) {
  using T = Arg::Type;
  switch (a.type) {
    case T::None: return Value::none();
    case T::Int: return Value::integer(a.i);
    case T::UInt: {
      const std::uint32_t limbs[2] = {static_cast<std::uint32_t>(a.u), static_cast<std::uint32_t>(a.u >> 32)};
      return detail::make_int(g, false, limbs);
    }
    case T::IntValue: return a.v;
    case T::Bool: return Value::boolean(a.i != 0);
    case T::Float: return Value::floating(a.f);
    case T::Str: return g.shared_or_new_str(a.text);
    case T::Bytes: return g.shared_or_new_bytes(a.bytes);
    case T::ByteArray: return g.new_bytearray(a.bytes);
    case T::Long: return g.new_int_from_bytes(a.bytes);
  }
  return Value::none();
}

/// repr(arg).
void append_arg_repr(std::string& out, Graph& g, const Arg& a, PythonVersion python) {
  using T = Arg::Type;
  switch (a.type) {
    case T::None: out += "None"; return;
    case T::Int: out += std::to_string(a.i); return;
    case T::UInt: out += std::to_string(a.u); return;
    case T::IntValue: append_decimal(out, IntRef(a.v), detail::kMaxStrDigits, python); return;
    case T::Bool: out += a.i ? "True" : "False"; return;
    case T::Float: append_repr_float(out, a.f); return;
    case T::Str: append_repr_str(out, a.text, python); return;
    case T::Bytes: append_repr_bytes(out, a.bytes); return;
    case T::ByteArray: detail::append_repr_bytearray(out, a.bytes); return;
    case T::Long: {
      const Value v = g.new_int_from_bytes(a.bytes);
      append_decimal(out, IntRef(v), detail::kMaxStrDigits, python);
      return;
    }
  }
}

/// Number of code points in UTF-8 text (Python's len of the line).
std::size_t code_points(std::string_view s) noexcept {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

/// pickletools' memo: keys are Python ints (bools hash and compare as 0 and 1), values
/// are the StackObjects stored.
class Memo {
 public:
  /// Canonical key of an int-like argument.
  struct Key {
    bool small;
    std::int64_t i;
    std::string big;  // sign byte and magnitude limbs, when !small
  };
  static Key key_of(const Arg& a) {
    using T = Arg::Type;
    Key k{true, 0, {}};
    if (a.type == T::Int || a.type == T::Bool) {
      k.i = a.i;
      return k;
    }
    // IntValue (PUT/GET parse with int()).
    IntRef r(a.v);
    auto mag = r.magnitude();
    if (mag.size() <= 2) {
      std::uint64_t m = mag.empty() ? 0 : mag.size() == 1 ? mag[0] : (std::uint64_t{mag[1]} << 32) | mag[0];
      if (!r.negative() && m <= static_cast<std::uint64_t>(INT64_MAX)) {
        k.i = static_cast<std::int64_t>(m);
        return k;
      }
      if (r.negative() && m <= static_cast<std::uint64_t>(INT64_MAX)) {
        k.i = -static_cast<std::int64_t>(m);
        return k;
      }
    }
    k.small = false;
    k.big.push_back(r.negative() ? '-' : '+');
    k.big.append(reinterpret_cast<const char*>(mag.data()), mag.size() * sizeof(std::uint32_t));
    return k;
  }
  static Key key_of_index(std::size_t idx) { return Key{true, static_cast<std::int64_t>(idx), {}}; }

  std::size_t size() const noexcept { return small_.size() + big_.size(); }
  const StackKind* find(const Key& k) const {
    if (k.small) {
      auto it = small_.find(k.i);
      return it == small_.end() ? nullptr : &it->second;
    }
    auto it = big_.find(k.big);
    return it == big_.end() ? nullptr : &it->second;
  }
  void set(const Key& k, StackKind v) {
    if (k.small) {
      small_[k.i] = v;
    } else {
      big_[k.big] = v;
    }
  }

 private:
  std::unordered_map<std::int64_t, StackKind> small_;
  std::unordered_map<std::string, StackKind> big_;
};

bool contains(std::span<const StackKind> kinds, StackKind k) noexcept {
  return std::find(kinds.begin(), kinds.end(), k) != kinds.end();
}

void append_padded_pos(std::string& out, std::size_t pos) {
  // "%5d:" % pos, then print's end=' '.
  char buf[32];
  char* e = buf + sizeof buf;
  char* p = e;
  do {
    *--p = static_cast<char>('0' + pos % 10);
    pos /= 10;
  } while (pos);
  for (std::size_t w = static_cast<std::size_t>(e - p); w < 5; ++w) out += ' ';
  out.append(p, e);
  out += ": ";
}

void append_spaces(std::string& out, long long n) {
  if (n > 0) out.append(static_cast<std::size_t>(n), ' ');
}

// The listing goes to `out`; with a sink, in pieces of about kListingChunk bytes as it
// grows (pickletools writes line by line), so a long listing is never held whole.
constexpr std::size_t kListingChunk = 64 * 1024;

void drain(std::string& out, Sink* sink) {
  if (!sink || out.empty()) return;
  sink->write({reinterpret_cast<const std::uint8_t*>(out.data()), out.size()});
  out.clear();
}

void write_listing(std::span<const std::uint8_t> data, std::string& out, const DisOptions& options, Memo& memo,
                   Sink* sink) {
  Graph g;  // holds ints parsed from text and decoded LONG1/LONG4 arguments
  Reader r(data);
  Arg arg;
  std::vector<StackKind> stack;
  int maxproto = -1;
  std::vector<std::size_t> markstack;
  const std::size_t indent = options.indentlevel > 0 ? static_cast<std::size_t>(options.indentlevel) : 0;
  const long long annotate = options.annotate;
  long long annocol = annotate;
  std::string line;

  for (;;) {
    const std::size_t pos = r.pos();
    const OpInfo* op = next_op(r, g, arg, options.python);
    const bool has_arg = arg.type != Arg::Type::None;

    try {
      append_padded_pos(out, pos);

      line.clear();
      std::size_t streamed = 0;  // code points of the line already written out (a large payload's repr)
      const auto code = static_cast<std::uint8_t>(op->op);
      if (code < 0x80) {
        line += static_cast<char>(code);
        line += "    ";  // "%-4s " of a one-character repr
      } else {
        static constexpr char kHex[] = "0123456789abcdef";
        line += "\\x";
        line += kHex[code >> 4];
        line += kHex[code & 15];
        line += ' ';
      }
      line.append(indent * markstack.size(), ' ');
      line += op->name;

      maxproto = std::max(maxproto, static_cast<int>(op->proto));
      std::span<const StackKind> before = op->stack_before;
      std::span<const StackKind> after = op->stack_after;
      StackKind got{};  // GET's memo entry
      std::size_t numtopop = before.size();

      // See whether a MARK should be popped.
      std::string markmsg;
      const char* errormsg = nullptr;
      std::string errorbuf;
      const bool mark_in_before = contains(before, StackKind::Mark);
      if (mark_in_before || (op->op == Op::POP && !stack.empty() && stack.back() == StackKind::Mark)) {
        if (!markstack.empty()) {
          const std::size_t markpos = markstack.back();
          markstack.pop_back();
          markmsg = "(MARK at " + std::to_string(markpos) + ")";
          // Pop everything at and after the topmost markobject.
          for (;;) {
            if (stack.empty()) throw Error(ErrorType::IndexError, "list index out of range");
            if (stack.back() == StackKind::Mark) break;
            stack.pop_back();
          }
          stack.pop_back();
          // Stop later code from popping too much.
          numtopop =
              mark_in_before
                  ? static_cast<std::size_t>(std::find(before.begin(), before.end(), StackKind::Mark) - before.begin())
                  : 0;
        } else {
          markmsg = "no MARK exists on stack";
          errormsg = "no MARK exists on stack";
        }
      }

      // Check for correct memo usage.
      switch (op->op) {
        case Op::PUT:
        case Op::BINPUT:
        case Op::LONG_BINPUT:
        case Op::MEMOIZE: {
          Memo::Key key;
          if (op->op == Op::MEMOIZE) {
            const std::size_t idx = memo.size();
            markmsg = "(as " + std::to_string(idx) + ")";
            key = Memo::key_of_index(idx);
          } else {
            key = Memo::key_of(arg);
          }
          if (memo.find(key)) {
            errorbuf = "memo key ";
            append_arg_repr(errorbuf, g, arg, options.python);
            errorbuf += " already defined";
            errormsg = errorbuf.c_str();
          } else if (stack.empty()) {
            errormsg = "stack is empty -- can't store into memo";
          } else if (stack.back() == StackKind::Mark) {
            errormsg = "can't store markobject in the memo";
          } else {
            memo.set(key, stack.back());
          }
          break;
        }
        case Op::GET:
        case Op::BINGET:
        case Op::LONG_BINGET: {
          if (const StackKind* k = memo.find(Memo::key_of(arg))) {
            got = *k;
            after = std::span<const StackKind>(&got, 1);
          } else {
            errorbuf = "memo key ";
            append_arg_repr(errorbuf, g, arg, options.python);
            errorbuf += " has never been stored into";
            errormsg = errorbuf.c_str();
          }
          break;
        }
        default: break;
      }

      if (has_arg || !markmsg.empty()) {
        // make a mild effort to align arguments
        append_spaces(line, 10 - static_cast<long long>(op->name.size()));
        if (has_arg) {
          line += ' ';
          const bool payload = arg.type == Arg::Type::Bytes || arg.type == Arg::Type::ByteArray;
          if (sink && payload && arg.bytes.size() >= kListingChunk) {
            // A large payload's repr goes out in pieces rather than as one long line.
            drain(out, sink);
            streamed = code_points(line);
            drain(line, sink);
            streamed += detail::write_repr_bytes(arg.bytes, arg.type == Arg::Type::ByteArray, [&](std::string_view s) {
              sink->write({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
            });
          } else {
            append_arg_repr(line, g, arg, options.python);
          }
        }
        if (!markmsg.empty()) {
          line += ' ';
          line += markmsg;
        }
      }
      if (annotate) {
        append_spaces(line, annocol - static_cast<long long>(streamed + code_points(line)));
        // make a mild effort to align annotations
        annocol = static_cast<long long>(streamed + code_points(line));
        if (annocol > 50) annocol = annotate;
        line += ' ';
        line += opcode_summary(op->op);
      }
      line += '\n';
      out += line;
      if (out.size() >= kListingChunk) drain(out, sink);

      if (errormsg) {
        // Note that we delayed complaining until the offending opcode was printed.
        value_error(errormsg);
      }

      // Emulate the stack effects.
      if (stack.size() < numtopop) {
        value_error("tries to pop " + std::to_string(numtopop) + " items from stack with only " +
                    std::to_string(stack.size()) + " items");
      }
      stack.resize(stack.size() - numtopop);
      if (contains(after, StackKind::Mark)) markstack.push_back(pos);
      stack.insert(stack.end(), after.begin(), after.end());
    } catch (Error& e) {
      e.set_offset(pos);
      throw;
    }

    if (op->op == Op::STOP) break;
  }

  out += "highest protocol among opcodes = ";
  out += std::to_string(maxproto);
  out += '\n';
  if (!stack.empty()) {
    std::string msg = "stack not empty after STOP: [";
    for (std::size_t k = 0; k < stack.size(); ++k) {
      if (k) msg += ", ";
      msg += stack_kind_name(stack[k]);
    }
    msg += ']';
    value_error(std::move(msg));
  }
}

}  // namespace

struct DisMemo::Impl {
  Memo memo;
};

DisMemo::DisMemo() : impl_(std::make_unique<Impl>()) {}
DisMemo::~DisMemo() = default;
DisMemo::DisMemo(DisMemo&&) noexcept = default;
DisMemo& DisMemo::operator=(DisMemo&&) noexcept = default;
std::size_t DisMemo::size() const noexcept { return impl_ ? impl_->memo.size() : 0; }

void dis(std::span<const std::uint8_t> data, std::string& out, const DisOptions& options) try {
  Memo fresh;
  Memo& memo = options.memo && options.memo->impl_ ? options.memo->impl_->memo : fresh;
  write_listing(data, out, options, memo, nullptr);
} catch (...) {
  detail::rethrow_allocation_failure();
}

void dis(std::span<const std::uint8_t> data, Sink& out, const DisOptions& options) try {
  Memo fresh;
  Memo& memo = options.memo && options.memo->impl_ ? options.memo->impl_->memo : fresh;
  std::string pending;
  try {
    write_listing(data, pending, options, memo, &out);
  } catch (const Error&) {
    drain(pending, &out);  // what pickletools printed before raising
    throw;
  }
  drain(pending, &out);
} catch (...) {
  detail::rethrow_allocation_failure();
}

void genops(std::span<const std::uint8_t> data, Graph& g, const std::function<void(const GenOp&)>& visit) try {
  Reader r(data);
  Arg arg;
  for (;;) {
    const std::size_t pos = r.pos();
    const OpInfo* op = next_op(r, g, arg);
    visit(GenOp{op, arg_value(g, arg), pos, r.pos()});
    if (op->op == Op::STOP) return;
  }
} catch (...) {
  detail::rethrow_allocation_failure();
}

}  // namespace pickle
