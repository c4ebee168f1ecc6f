// copyreg: a sequence of extension registry operations -- add, remove, clear the cache,
// pickle a global, load an EXT opcode -- run on a pickle::ExtensionRegistry and on
// CPython's copyreg (embedded), each with the same outcome: success (and the same
// pickled bytes) or the same exception class and message.
//
// Input: one operation per 1-byte opcode followed by its operands. Keys are mostly the
// four functions fz.a .. fz.d of fuzz/oracle.py (which CPython can pickle and load), else
// arbitrary module and name strings (copyreg's messages print them with repr()).
#include "fuzz.h"

namespace {

struct Op {
  std::string kind, module, name;
  std::int64_t code = 0;
};

void append_wtf8(std::string& s, std::uint32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xc0 | cp >> 6);
    s += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xe0 | cp >> 12);
    s += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    s += static_cast<char>(0xf0 | cp >> 18);
    s += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
    s += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

/// A short str (as WTF-8) mixing letters, quotes, escapes and odd code points.
std::string text(fuzz::Reader& in) {
  static const std::uint32_t kChars[] = {'a',    'f',    'z',    '.',    '_',     '\'',     '"',   '\\',
                                         ' ',    '\n',   0x7f,   0x80,   0xa0,    0xad,     0xe9,  0x100,
                                         0x2028, 0xd800, 0xdfff, 0xfffe, 0x1f600, 0x10ffff, 0xe000};
  std::string s;
  for (unsigned n = in.below(6); n > 0; --n) {
    unsigned c = in.byte();
    append_wtf8(s, c < 200 ? kChars[c % std::size(kChars)] : in.u32() % 0x110000);
  }
  return s;
}

std::int64_t code(fuzz::Reader& in) {
  static const std::int64_t kCodes[] = {1, 2, 3, 255, 256, 65535, 65536, 0x7fffffff, 0, -1, 0x80000000LL, 0xffffffffLL};
  unsigned c = in.byte();
  if (c < 128) return c % 8 + 1;
  if (c < 250) return kCodes[c % std::size(kCodes)];
  return in.i64();
}

Op next_op(fuzz::Reader& in) {
  static const char* const kKinds[] = {"add", "add", "remove", "clear", "dump", "load"};
  Op op{kKinds[in.below(6)], "fz", std::string(1, "abcd"[in.below(4)])};
  std::uint8_t key = in.byte();
  if (op.kind == "add" || op.kind == "remove") {
    if (key >= 224) op.module = text(in);
    if (key >= 192) op.name = text(in);
  }
  op.code = op.kind == "dump" ? in.below(6) : code(in);
  if (op.kind == "load") op.code &= 0xffffffff;  // EXT4 carries 32 bits
  return op;
}

/// EXT1/EXT2/EXT4 <code> in a protocol 2 pickle, as oracle._ext_pickle writes it.
std::string ext_pickle(std::int64_t code) {
  std::string p = "\x80\x02";
  int width = code <= 0xff ? 1 : code <= 0xffff ? 2 : 4;
  p += static_cast<char>(width == 1 ? '\x82' : width == 2 ? '\x83' : '\x84');
  for (int i = 0; i < width; ++i) p += static_cast<char>(code >> (8 * i) & 0xff);
  return p + ".";
}

fuzz::Outcome run(pickle::ExtensionRegistry& reg, const Op& op) {
  return fuzz::outcome_of([&]() -> std::string {
    if (op.kind == "add") reg.add(op.module, op.name, op.code);
    if (op.kind == "remove") reg.remove(op.module, op.name, op.code);
    if (op.kind == "clear") reg.clear_cache();
    if (op.kind == "dump") {
      pickle::Graph g;
      return pickle::dumps(g.global("fz", op.name), {.protocol = static_cast<int>(op.code), .extensions = &reg});
    }
    if (op.kind == "load") {
      pickle::UnpicklerOptions options;
      options.extensions = &reg;
      options.strict_globals = true;
      options.allowed_globals = {"fz.a", "fz.b", "fz.c", "fz.d"};
      pickle::Graph g = pickle::loads(ext_pickle(op.code), options);
      return pickle::dumps(g.root(), {.protocol = 2, .extensions = &reg});
    }
    return "";
  });
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char*** argv) {
  fuzz::py::start((*argv)[0]);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  std::vector<Op> ops;
  while (!in.empty() && ops.size() < 64) ops.push_back(next_op(in));

  pickle::ExtensionRegistry reg;
  std::vector<fuzz::Outcome> cpp;
  for (const Op& op : ops) cpp.push_back(run(reg, op));

  fuzz::py::Ref list(PyList_New(0));
  for (const Op& op : ops) {
    fuzz::py::Ref t(Py_BuildValue("(sy#y#L)", op.kind.c_str(), op.module.data(),
                                  static_cast<Py_ssize_t>(op.module.size()), op.name.data(),
                                  static_cast<Py_ssize_t>(op.name.size()), static_cast<long long>(op.code)));
    PyList_Append(list.get(), t.get());
  }
  fuzz::py::Capped cap;
  std::vector<fuzz::Outcome> py = fuzz::py::outcomes(fuzz::py::call("copyreg_ops", Py_NewRef(list.get())).get());

  std::string trace;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    trace += op.kind + " " + fuzz::hex(op.module) + " " + fuzz::hex(op.name) + " " + std::to_string(op.code) +
             "\n  library: " + fuzz::describe(cpp[i]) + "\n  CPython: " + fuzz::describe(py[i]) + "\n";
    bool forbidden = cpp[i].error == "UnpicklingError" && cpp[i].message.ends_with("' is forbidden");
    if (py[i].status == "blocked" && forbidden) continue;  // a key outside fz.a .. fz.d
    if (cpp[i] != py[i]) fuzz::fail("the extension registry differs from copyreg", {data, size}, trace);
  }
  fuzz::count("agree");
  return 0;
}
