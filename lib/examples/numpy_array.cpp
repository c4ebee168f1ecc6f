// Recipe: decode a numpy array.
//
// numpy arrays load as inert objects; pickle::to<pickle::numpy::Array> reads them as
// numpy's own __setstate__ would: dtype, shape, order and a view of the data bytes (into
// the Graph, valid while it lives). Check the dtype before reinterpreting the bytes.
//
//   numpy_array DATA_DIR    (reads array.pickle, protocol 2, and array_fortran.pickle,
//                            protocol 5)
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "pickle/pickle.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: numpy_array DATA_DIR\n";
    return 2;
  }
  for (const char* name : {"array.pickle", "array_fortran.pickle"}) {
    try {
      pickle::Graph g = pickle::load_file(std::string(argv[1]) + "/" + name);
      auto a = pickle::to<pickle::numpy::Array>(g.root());
      if (a.dtype.str() != "<f4" || a.shape.size() != 2) {
        throw pickle::Error(pickle::ErrorType::TypeError, "expected a 2-d float32 array, got " + a.dtype.str());
      }
      const std::size_t rows = a.shape[0], cols = a.shape[1];
      std::vector<float> values(a.size());
      std::memcpy(values.data(), a.data.data(), a.data.size());  // this machine is little-endian too
      std::cout << name << ": dtype " << a.dtype.str() << " shape (" << rows << ", " << cols << ") "
                << (a.fortran_order ? "Fortran" : "C") << " order, row-major [";
      for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t c = 0; c < cols; ++c) {
          float x = a.fortran_order ? values[c * rows + r] : values[r * cols + c];
          std::printf("%s%g", r || c ? ", " : "", x);
        }
      }
      std::cout << "]\n";
    } catch (const pickle::Error& e) {
      std::cerr << name << ": " << e.what() << "\n";
      return 1;
    }
  }
  return 0;
}
