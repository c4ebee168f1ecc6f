// pickle/version.h: the version of pickle-cpp these headers belong to.
//
//   #if PICKLE_CPP_VERSION >= 100   // 0.1.0 or later
//   std::cout << PICKLE_CPP_VERSION_STRING << "\n";   // "0.1.0"
//
// The same as project(VERSION) in the top-level CMakeLists.txt, which checks at configure
// time that the two agree (cmake/version.cmake). While the major version is 0, a new minor
// version may change the API and ABI (the CMake package accepts only the same 0.minor).
#pragma once

#define PICKLE_CPP_VERSION_MAJOR 0
#define PICKLE_CPP_VERSION_MINOR 1
#define PICKLE_CPP_VERSION_PATCH 0
#define PICKLE_CPP_VERSION_STRING "0.1.0"

/// MAJOR * 10000 + MINOR * 100 + PATCH, for comparisons in #if.
#define PICKLE_CPP_VERSION \
  (PICKLE_CPP_VERSION_MAJOR * 10000 + PICKLE_CPP_VERSION_MINOR * 100 + PICKLE_CPP_VERSION_PATCH)
