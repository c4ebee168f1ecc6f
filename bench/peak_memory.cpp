// Peak memory of loading one pickle: reads FILE, resets the process's peak-RSS mark,
// loads, and prints the peak RSS growth in bytes (what the report compares with
// CPython doing the same; see bench/report.py).
//
//   pickle_peak_memory FILE
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "pickle/pickle.h"

namespace {

// A field of /proc/self/status in bytes (VmRSS, VmHWM).
long long status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) * 1024;
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: pickle_peak_memory FILE\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream("/proc/self/clear_refs") << "5";  // peak RSS := current RSS
  long long before = status_bytes("VmRSS");
  pickle::Graph g = pickle::loads(data);
  long long peak = status_bytes("VmHWM");
  std::printf("%lld\n", peak - before);
  return g.root().is_none() ? 0 : 0;
}
