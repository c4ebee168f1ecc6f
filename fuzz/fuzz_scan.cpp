// scan: pickle::scan against CPython's unpickler on the same bytes, in this process.
// CPython loads the input with a stand-in for every global (conformance/scan_oracle.py),
// recording each import and each call it makes; the scan must report every one of them,
// in order, and exactly those when CPython finishes. A difference is an input that could
// hide an import or a call from the scanner.
#include "fuzz.h"

extern "C" int LLVMFuzzerInitialize(int*, char*** argv) {
  fuzz::py::start((*argv)[0]);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  pickle::ScanOptions options;
  options.limits = fuzz::small_limits();
  pickle::ScanReport report;
  try {
    report = pickle::scan(input, options);
  } catch (const pickle::Error&) {  // a resource limit: loads() stops there too
    return fuzz::count("limit"), 0;
  }
  // The library's memory limit (CPython's allocations are capped higher): not compared.
  if (report.error && report.error->type() == pickle::ErrorType::MemoryError) return fuzz::count("memory-library"), 0;
  const std::string json = pickle::to_json(report);
  // CPython loads the bytes twice, as loads() reads them and from a file, each under its
  // own allocation cap.
  fuzz::py::Ref runs[2];
  std::size_t refusals[2];
  for (int file_reads = 0; file_reads < 2; ++file_reads) {
    fuzz::py::Capped cap;
    runs[file_reads] = fuzz::py::call("scan_run", fuzz::py::bytes({reinterpret_cast<const char*>(data), size}),
                                      PyBool_FromLong(file_reads));
    refusals[file_reads] = cap.refusals();
  }
  fuzz::py::Ref recorded = fuzz::py::call("scan_combine", Py_NewRef(runs[0].get()), fuzz::py::integer(refusals[0]),
                                          Py_NewRef(runs[1].get()), fuzz::py::integer(refusals[1]));
  const bool compared = recorded.get() != Py_None;
  fuzz::py::Ref why = fuzz::py::call("scan_compare", Py_NewRef(recorded.get()), fuzz::py::bytes(json));
  if (!compared) return fuzz::count("memory-cpython"), 0;
  if (why.get() != Py_None) fuzz::fail("the scan misstates what CPython does", input, fuzz::py::to_string(why.get()));
  fuzz::count(std::string("agree-") + std::string(pickle::to_string(report.status)));
  return 0;
}
