// loads: arbitrary bytes under small limits. Any outcome is fine -- a value or a
// pickle::Error -- but a crash, a hang, a leak, unbounded allocation or a sanitizer report.
// The first byte picks loader options (Python 2 string decoding, fix_imports, a strict
// global policy), the rest is the pickle. A loaded value is also printed (repr and JSON)
// and compared with itself, which walks every node.
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const char* const kEncodings[] = {"ASCII",  "latin1", "bytes",     "utf-8",
                                           "koi8-r", "cp1252", "shift_jis", "nosuch"};
  static const char* const kErrors[] = {"strict", "ignore", "replace", "surrogateescape", "backslashreplace"};
  fuzz::Reader in(data, size);
  std::uint8_t flags = in.byte();
  pickle::UnpicklerOptions options;
  options.limits = fuzz::small_limits();
  options.encoding = kEncodings[flags & 7];
  options.errors = kErrors[(flags >> 3) % 5];
  options.fix_imports = !(flags & 0x40);
  options.strict_globals = flags & 0x80;
  auto input = std::span(data, size).subspan(size ? 1 : 0);
  try {
    pickle::Graph g = pickle::loads(input, options);
    if (!pickle::deep_equal(g.root(), g.root())) fuzz::fail("a value differs from itself", input);
    if (fuzz::printed_size(g.root(), 1 << 16) < (1 << 16)) {
      (void)pickle::repr(g.root());
      (void)pickle::to_json(g.root());
    }
  } catch (const pickle::Error&) {
  }
  return 0;
}
