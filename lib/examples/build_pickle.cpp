// Recipe: build a pickle from C++ data.
//
// pickle::from turns C++ values into Python values in a Graph; pickle::dumps then writes
// the bytes CPython writes for the same object (here checked against pickle.dumps at
// protocols 2 and 4), and pickle::dump_file writes them to a file as pickle.dump would.
//
//   build_pickle [OUT_FILE]
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "pickle/pickle.h"

int main(int argc, char** argv) {
  try {
    pickle::Graph g;
    pickle::Value run = g.new_dict();  // a dict keeps insertion order, as in Python
    pickle::Dict& d = run.as_dict();
    d.set(g, pickle::from(g, "name"), pickle::from(g, "run-7"));
    d.set(g, pickle::from(g, "scores"), pickle::from(g, std::vector<double>{0.5, 0.25, 1.0}));
    d.set(g, pickle::from(g, "shape"), pickle::from(g, std::tuple(2, 3)));
    d.set(g, pickle::from(g, "labels"), pickle::from(g, std::map<std::string, int>{{"cat", 3}, {"dog", 1}}));
    d.set(g, pickle::from(g, "note"), pickle::from(g, std::optional<std::string>()));
    d.set(g, pickle::from(g, "blob"), pickle::from(g, std::vector<std::byte>{std::byte{0}, std::byte{1}}));
    d.set(g, pickle::from(g, "when"), pickle::from(g, pickle::Date{2026, 12, 3}));
    d.set(g, pickle::from(g, "big"), pickle::int_from_string(g, "1180591620717411303424"));  // 2**70
    for (int protocol : {2, 4}) {
      std::string bytes = pickle::dumps(run, {.protocol = protocol});
      std::cout << "protocol " << protocol << ": ";
      for (unsigned char c : bytes) std::printf("%02x", c);
      std::cout << std::endl;
    }
    if (argc > 1) pickle::dump_file(run, argv[1], {.protocol = 4});
  } catch (const pickle::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
