// Recipe: load a file of pickles.
//
// A program that appends records with pickle.dump(records, f) leaves several pickles one
// after another in one file. pickle::load reads exactly one pickle per call and leaves the
// stream just past it, as Python's pickle.load(f) does, so a loop reads them all; at the
// end of the file it raises EOFError "Ran out of input", as pickle.load does.
//
//   load_file DATA_DIR      (reads DATA_DIR/measurements.pickle)
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "pickle/pickle.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: load_file DATA_DIR\n";
    return 2;
  }
  std::ifstream in(std::string(argv[1]) + "/measurements.pickle", std::ios::binary);
  for (int i = 0;; ++i) {
    try {
      pickle::Graph g = pickle::load(in);  // one pickle; `in` is left just past its STOP
      std::cout << "pickle " << i << " ends at byte " << in.tellg() << ": " << pickle::repr(g.root()) << "\n";
    } catch (const pickle::Error& e) {
      if (e.type() != pickle::ErrorType::EOFError) {  // a damaged file, a read error
        std::cerr << e.what() << "\n";
        return 1;
      }
      std::cout << "end of file: " << e.python_type_name() << ": " << e.message() << "\n";
      return 0;
    }
  }
}
