// pickle/pickle.h: read and write Python pickles from C++, with CPython's semantics.
//
// A complete program:
//
//   #include <pickle/pickle.h>
//   #include <iostream>
//
//   int main() {
//     // pickle.dumps({'a': [1, 2.5, None]}, protocol=2), written by Python
//     std::string data("\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00"
//                      "\x00\x00\x00\x00Nes.", 34);
//     try {
//       pickle::Graph g = pickle::loads(data);
//       std::cout << pickle::repr(g.root()) << "\n";        // {'a': [1, 2.5, None]}
//       pickle::Value list = *g.root().as_dict().find(g.new_str("a"));
//       std::cout << list.as_list().size() << "\n";          // 3
//     } catch (const pickle::Error& e) {
//       std::cerr << e.what() << "\n";   // e.g. "UnpicklingError: pickle data was truncated (at byte 9)"
//       return 1;
//     }
//   }
//
// Headers: value.h (the value model), unpickler.h (loading), pickler.h (dumping),
// copyreg.h (C++ classes, reducers, dispatch tables, the extension registry), copy.h
// (copy/deepcopy), dis.h (pickletools-identical disassembly), error.h (the exception type),
// version.h (PICKLE_CPP_VERSION_STRING and friends).
#pragma once

#include "pickle/copy.h"
#include "pickle/copyreg.h"
#include "pickle/dis.h"
#include "pickle/error.h"
#include "pickle/io.h"
#include "pickle/numpy.h"
#include "pickle/opcodes.h"
#include "pickle/pickler.h"
#include "pickle/stdlib.h"
#include "pickle/unpickler.h"
#include "pickle/value.h"
#include "pickle/version.h"
