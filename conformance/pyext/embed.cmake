# Writes the Python half of _pickle_cpp (INPUT) as a C++ raw string literal (OUTPUT), so
# that the extension is a single file. Run with cmake -P.
file(READ "${INPUT}" content)
file(WRITE "${OUTPUT}"
  "// Generated from pickle_cpp_helpers.py by embed.cmake; do not edit.\n"
  "static const char kHelpersSource[] = R\"PYSRC(${content})PYSRC\";\n")
