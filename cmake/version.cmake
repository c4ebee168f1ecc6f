# The version lives in two places: project(VERSION) in the top-level CMakeLists.txt (the
# CMake package version, the shared library's VERSION, pickle_cpp.pc) and the macros of
# lib/include/pickle/version.h. The header is kept in the source tree, not generated into
# the build tree, so that it is there for anything that reads the sources with only
# lib/include on the include path (editors, code indexers, a plain copy of the headers);
# this check, run at every configure, makes a version bump that misses one of the two fail
# at once.

# pickle_cpp_check_version_header(<path of version.h>): fails unless its macros say
# PROJECT_VERSION.
function(pickle_cpp_check_version_header header)
  file(STRINGS ${header} lines REGEX "^#define PICKLE_CPP_VERSION_(MAJOR|MINOR|PATCH|STRING) ")
  set(expected_MAJOR ${PROJECT_VERSION_MAJOR})
  set(expected_MINOR ${PROJECT_VERSION_MINOR})
  set(expected_PATCH ${PROJECT_VERSION_PATCH})
  set(expected_STRING "\"${PROJECT_VERSION}\"")
  foreach(part MAJOR MINOR PATCH STRING)
    set(found "")
    foreach(line IN LISTS lines)
      if(line MATCHES "^#define PICKLE_CPP_VERSION_${part} +([^ ]+)")
        set(found ${CMAKE_MATCH_1})
      endif()
    endforeach()
    if(NOT found STREQUAL expected_${part})
      message(FATAL_ERROR
        "${header}: PICKLE_CPP_VERSION_${part} is '${found}', but project(VERSION) is "
        "${PROJECT_VERSION}: update the header to ${expected_${part}}")
    endif()
  endforeach()
endfunction()
