# Install rules (PICKLE_CPP_INSTALL, on when this is the top-level project): the library,
# every public header, the CMake package pickle_cpp (find_package(pickle_cpp 0.1), target
# pickle_cpp::pickle_cpp) and pickle_cpp.pc, under the GNUInstallDirs layout:
#   include/pickle/*.h
#   lib/libpickle_cpp.a (or .so)
#   lib/cmake/pickle_cpp/{pickle_cppConfig,pickle_cppConfigVersion,pickle_cppTargets*}.cmake
#   lib/pkgconfig/pickle_cpp.pc
#   share/doc/pickle_cpp/LICENSE
#   bin/pickletool                  when the tools are built
# Components: pickle_cpp_runtime (a shared library), pickle_cpp_development (the rest of
# the library), pickle_cpp_tools (pickletool), so that `cmake --install --component`
# installs the library without needing pickletool built.
include(CMakePackageConfigHelpers)

set(PICKLE_CPP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/pickle_cpp)

install(TARGETS pickle_cpp EXPORT pickle_cppTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT pickle_cpp_runtime
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT pickle_cpp_runtime
          NAMELINK_COMPONENT pickle_cpp_development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT pickle_cpp_development)
# The whole directory: headers are added to lib/include/pickle/ without touching this file.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/lib/include/pickle
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT pickle_cpp_development
  FILES_MATCHING PATTERN "*.h")
install(EXPORT pickle_cppTargets
  NAMESPACE pickle_cpp::
  DESTINATION ${PICKLE_CPP_CMAKE_DIR}
  COMPONENT pickle_cpp_development)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/pickle_cppConfig.cmake.in
  ${PROJECT_BINARY_DIR}/pickle_cppConfig.cmake
  INSTALL_DESTINATION ${PICKLE_CPP_CMAKE_DIR})
# Which installed versions satisfy find_package(pickle_cpp X.Y): semantic versioning lets a
# 0.x release break the API in any minor version, so while the major version is 0 only the
# same major.minor (and a patch level at least the one asked for) is compatible; from 1.0
# on, any later version of the same major version.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(compatibility SameMinorVersion)
else()
  set(compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pickle_cppConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${compatibility})
install(FILES
  ${PROJECT_BINARY_DIR}/pickle_cppConfig.cmake
  ${PROJECT_BINARY_DIR}/pickle_cppConfigVersion.cmake
  DESTINATION ${PICKLE_CPP_CMAKE_DIR}
  COMPONENT pickle_cpp_development)

# pickle_cpp.pc finds its prefix relative to its own directory (${pcfiledir}), so that it
# stays right when the install prefix is chosen at install time (cmake --install --prefix)
# or the installed tree is moved; absolute install directories are written as they are.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(PICKLE_CPP_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(PICKLE_CPP_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(PICKLE_CPP_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH up /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
  string(REGEX REPLACE "/$" "" up "${up}")
  set(PICKLE_CPP_PC_PREFIX "\${pcfiledir}/${up}")
  set(PICKLE_CPP_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(PICKLE_CPP_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/pickle_cpp.pc.in ${PROJECT_BINARY_DIR}/pickle_cpp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pickle_cpp.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT pickle_cpp_development)

install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
  DESTINATION ${CMAKE_INSTALL_DOCDIR}
  COMPONENT pickle_cpp_development)

if(TARGET pickletool)
  install(TARGETS pickletool RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT pickle_cpp_tools)
endif()
