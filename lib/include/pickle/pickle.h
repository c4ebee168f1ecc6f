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
//       pickle::Value list = g.root().as_dict().at("a");    // KeyError if missing
//       std::cout << list.as_list().size() << "\n";          // 3
//       auto a = pickle::to<std::vector<std::optional<double>>>(list);   // {1.0, 2.5, nullopt}
//     } catch (const pickle::Error& e) {   // also for a wrong type: as_*() and to<T> check
//       std::cerr << e.what() << "\n";   // e.g. "UnpicklingError: pickle data was truncated (at byte 9)"
//       return 1;
//     }
//   }
//
// Headers: value.h (the value model, checked access), convert.h (to<T>/from for C++
// types), unpickler.h (loading), pickler.h (dumping), io.h (streams and files), stdlib.h
// and numpy.h (typed views of datetime, decimal, collections and numpy values), copyreg.h
// (C++ classes, reducers, dispatch tables, the extension registry), copy.h (copy and
// deepcopy), dis.h (pickletools-identical disassembly), json.h (a value as JSON), error.h (the exception type),
// version.h (PICKLE_CPP_VERSION_STRING and friends), python_version.h (the CPython
// release the library behaves as).
#pragma once

#include "pickle/convert.h"
#include "pickle/copy.h"
#include "pickle/copyreg.h"
#include "pickle/dis.h"
#include "pickle/error.h"
#include "pickle/io.h"
#include "pickle/json.h"
#include "pickle/numpy.h"
#include "pickle/opcodes.h"
#include "pickle/optimize.h"
#include "pickle/pickler.h"
#include "pickle/python_version.h"
#include "pickle/scan.h"
#include "pickle/stdlib.h"
#include "pickle/unpickler.h"
#include "pickle/value.h"
#include "pickle/version.h"
