// Recipe: extract typed data.
//
// pickle::to<T> converts a loaded value to C++ types and checks every step: a missing key
// is KeyError, a wrong type TypeError, an int out of range OverflowError -- all
// pickle::Error, never a misread. Specializing pickle::converter<T> teaches it your own
// types, which then work inside containers too.
//
//   typed_data DATA_DIR     (reads DATA_DIR/measurements.pickle: lists of dicts)
#include <cstdio>
#include <iostream>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "pickle/pickle.h"

struct Measurement {
  std::string sensor;
  std::vector<double> values;  // Python ints and floats both convert
  bool ok = false;
  std::optional<std::string> unit;  // None -> nullopt
};

// {'sensor': str, 'values': [float, ...], 'ok': bool, 'unit': str or None}
template <>
struct pickle::converter<Measurement> {
  static Measurement from_python(pickle::Value v) {
    const pickle::Dict& d = v.as_dict();  // TypeError unless v is a dict
    return {pickle::to<std::string>(d.at("sensor")), pickle::to<std::vector<double>>(d.at("values")),
            pickle::to<bool>(d.at("ok")), pickle::to<std::optional<std::string>>(d.at("unit"))};
  }
};

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: typed_data DATA_DIR\n";
    return 2;
  }
  try {
    std::vector<pickle::Graph> pickles = pickle::load_file_all(std::string(argv[1]) + "/measurements.pickle");
    for (const pickle::Graph& g : pickles) {
      for (const Measurement& m : pickle::to<std::vector<Measurement>>(g.root())) {
        std::string mean = "-";
        if (!m.values.empty()) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%g",
                        std::accumulate(m.values.begin(), m.values.end(), 0.0) / m.values.size());
          mean = buf;
        }
        std::cout << m.sensor << ": " << m.values.size() << " values, mean " << mean << ", " << (m.ok ? "ok" : "failed")
                  << ", unit " << m.unit.value_or("-") << "\n";
      }
    }
  } catch (const pickle::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
