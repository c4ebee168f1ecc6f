# Optional dependencies. The library itself needs none; tests, benchmarks, the Python
# extension and the differential fuzz targets do. A part whose dependency is missing is
# left out with a warning that names the missing piece, the Debian/Ubuntu package that
# provides it and the option that turns the part off; the configure goes on, so that
# the library alone builds on any machine with a C++20 compiler and CMake.

# pickle_cpp_missing_dependency(<option> <missing> <debian packages> <what is left out>)
#   pickle_cpp_missing_dependency(PICKLE_CPP_BUILD_TESTS "GoogleTest" "libgtest-dev"
#                                 "the unit tests are")
function(pickle_cpp_missing_dependency option missing packages what)
  message(WARNING
    "pickle_cpp: ${missing} not found, so ${what} not built.\n"
    "Install it (Debian/Ubuntu: apt-get install ${packages}) and configure again, "
    "or pass -D${option}=OFF to leave this part out without this warning.")
endfunction()
