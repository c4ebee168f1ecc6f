# Driver of the consumer tests (cmake -P; lib/test/consumer/CMakeLists.txt defines the tests
# and passes the variables). STEP says which:
#   install                 cmake --install of the project's build tree into WORK/prefix
#   find_package            configure, build and run find_package/ against WORK/prefix
#   add_subdirectory        configure, build and run add_subdirectory/ with this source tree
#   pkg_config              compile and run main.cpp with the flags of pkg-config pickle_cpp
#   without_optional_deps   configure this source tree with GoogleTest, Google Benchmark and
#                           Python hidden, then build the library
# Each configures with the generator, compiler, flags and build type of the project's
# build, and configures again from scratch (--fresh) but builds incrementally, so that a
# rerun takes seconds.
cmake_minimum_required(VERSION 3.25)

foreach(var STEP SOURCE_DIR BINARY_DIR WORK CONSUMER_DIR GENERATOR CXX VERSION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "consumer_test.cmake: -D${var}=... missing")
  endif()
endforeach()
set(prefix ${WORK}/prefix)

# run(<what> <command>...): runs the command in WORK; fails with its output if it fails,
# else leaves the output in `output`.
function(run what)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY ${WORK}
    RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    list(JOIN ARGN " " command)
    message(FATAL_ERROR "${what} failed (${status}):\n${command}\n${out}${err}")
  endif()
  message(STATUS "${what}: ok")
  set(output "${out}${err}" PARENT_SCOPE)
endfunction()

# The cmake arguments of a configure like the project's.
set(configure_args -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
set(build_args)
if(CONFIG)
  set(build_args --config ${CONFIG})
endif()

# run_consumer(<program>): runs a consumer program; it must print the version line.
function(run_consumer program)
  run("${program}" ${program})
  if(NOT output MATCHES "^pickle-cpp ${VERSION}: loaded ")
    message(FATAL_ERROR "${program} printed:\n${output}")
  endif()
  message(STATUS "${program}: ${output}")
endfunction()

file(MAKE_DIRECTORY ${WORK})

if(STEP STREQUAL "install")
  if(NOT EXISTS "${LIBRARY_FILE}")
    message(FATAL_ERROR "${LIBRARY_FILE} is not built: build the project before running "
                        "ctest (cmake --build ${BINARY_DIR}); ctest does not build")
  endif()
  file(REMOVE_RECURSE ${prefix})
  foreach(component pickle_cpp_runtime pickle_cpp_development)
    run("cmake --install --component ${component}" ${CMAKE_COMMAND} --install ${BINARY_DIR}
        --prefix ${prefix} --component ${component} ${build_args})
  endforeach()
  foreach(file ${LIBDIR}/cmake/pickle_cpp/pickle_cppConfig.cmake
               ${LIBDIR}/cmake/pickle_cpp/pickle_cppConfigVersion.cmake
               ${LIBDIR}/pkgconfig/pickle_cpp.pc include/pickle/pickle.h include/pickle/version.h)
    if(NOT EXISTS ${prefix}/${file})
      message(FATAL_ERROR "not installed: ${prefix}/${file}")
    endif()
  endforeach()

elseif(STEP STREQUAL "find_package")
  set(build ${WORK}/find_package)
  run("configure find_package/" ${CMAKE_COMMAND} --fresh -S ${CONSUMER_DIR}/find_package -B ${build}
      ${configure_args} "-DCMAKE_BUILD_TYPE=${CONFIG}" "-DCMAKE_PREFIX_PATH=${prefix}"
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
  string(FIND "${output}" "in ${prefix}/" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "pickle_cpp was not found in ${prefix}:\n${output}")
  endif()
  run("build find_package/" ${CMAKE_COMMAND} --build ${build} ${build_args})
  run_consumer(${build}/consumer)

elseif(STEP STREQUAL "add_subdirectory")
  # No build type at all: pickle-cpp must not set one in this project's cache.
  set(build ${WORK}/add_subdirectory)
  run("configure add_subdirectory/" ${CMAKE_COMMAND} --fresh -S ${CONSUMER_DIR}/add_subdirectory
      -B ${build} ${configure_args} -DCMAKE_BUILD_TYPE= "-DPICKLE_CPP_SOURCE_DIR=${SOURCE_DIR}")
  if(output MATCHES "CMake (Warning|Deprecation)")
    message(FATAL_ERROR "the configure warned:\n${output}")
  endif()
  run("build add_subdirectory/" ${CMAKE_COMMAND} --build ${build} ${build_args})
  run_consumer(${build}/consumer)

elseif(STEP STREQUAL "pkg_config")
  set(ENV{PKG_CONFIG_PATH} ${prefix}/${LIBDIR}/pkgconfig)
  run("pkg-config --modversion" ${PKG_CONFIG} --modversion pickle_cpp)
  string(STRIP "${output}" modversion)
  if(NOT modversion STREQUAL VERSION)
    message(FATAL_ERROR "pkg-config says version ${modversion}, the project ${VERSION}")
  endif()
  run("pkg-config --cflags --libs" ${PKG_CONFIG} --cflags --libs pickle_cpp)
  separate_arguments(pc_flags UNIX_COMMAND "${output}")
  separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS}")
  set(program ${WORK}/pkg_config/consumer)
  file(MAKE_DIRECTORY ${WORK}/pkg_config)
  # c++ -std=c++20 main.cpp $(pkg-config --cflags --libs pickle_cpp)
  run("compile with pkg-config's flags" ${CXX} ${cxx_flags} -std=c++20 ${CONSUMER_DIR}/main.cpp
      ${pc_flags} -o ${program})
  set(ENV{LD_LIBRARY_PATH} "${prefix}/${LIBDIR}:$ENV{LD_LIBRARY_PATH}")   # a shared library
  run_consumer(${program})

elseif(STEP STREQUAL "without_optional_deps")
  # The top-level project with its default options, as on a machine without GoogleTest,
  # Google Benchmark or Python: the configure must succeed, saying what it leaves out,
  # and the library must build.
  set(build ${WORK}/without_optional_deps)
  run("configure without GTest, benchmark, Python3" ${CMAKE_COMMAND} --fresh -S ${SOURCE_DIR}
      -B ${build} ${configure_args} -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON
      -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON -DCMAKE_DISABLE_FIND_PACKAGE_Python3=ON)
  foreach(expected "GoogleTest not found" "libgtest-dev" "Google Benchmark not found"
                   "libbenchmark-dev" "Python 3 not found" "python3-dev")
    string(FIND "${output}" "${expected}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "the configure output does not say '${expected}':\n${output}")
    endif()
  endforeach()
  run("build the library" ${CMAKE_COMMAND} --build ${build} --target pickle_cpp ${build_args})

else()
  message(FATAL_ERROR "consumer_test.cmake: unknown STEP '${STEP}'")
endif()
