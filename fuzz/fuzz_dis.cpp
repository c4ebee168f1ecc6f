// dis: pickle::dis() prints exactly what pickletools.dis() prints (embedded CPython), and
// fails where it fails, with the same exception class and message. The first byte picks
// indentlevel and annotate; the rest is the pickle.
#include "fuzz.h"

extern "C" int LLVMFuzzerInitialize(int*, char*** argv) {
  fuzz::py::start((*argv)[0]);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  std::uint8_t flags = in.byte();
  pickle::DisOptions options{.indentlevel = flags & 7, .annotate = (flags >> 3) * 3};
  auto input = std::span(data, size).subspan(size ? 1 : 0);
  std::string listing;
  fuzz::Outcome cpp = fuzz::outcome_of([&] {
    pickle::dis(input, listing, options);
    return std::string();
  });

  fuzz::py::Capped cap;
  fuzz::py::Ref r = fuzz::py::call("dis", fuzz::py::bytes(std::string_view((const char*)input.data(), input.size())),
                                   fuzz::py::integer(options.indentlevel), fuzz::py::integer(options.annotate));
  std::string py_listing = fuzz::py::to_string(PyTuple_GET_ITEM(r.get(), 0));
  fuzz::Outcome py = fuzz::py::outcome(PyTuple_GET_ITEM(r.get(), 1));
  if (py.status != "ok" && py.status != "err") {  // CPython ran out of memory: nothing to compare
    fuzz::count(py.status);
    return 0;
  }
  if (listing != py_listing || cpp != py) {
    fuzz::fail("dis differs from pickletools.dis", input,
               "indentlevel " + std::to_string(options.indentlevel) + " annotate " + std::to_string(options.annotate) +
                   "\n--- library: " + fuzz::describe(cpp) + "\n" + listing +
                   "\n--- pickletools: " + fuzz::describe(py) + "\n" + py_listing);
  }
  fuzz::count("agree");
  return 0;
}
