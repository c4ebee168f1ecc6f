# Runs a recipe and compares its standard output with the output CPython computed for it
# (data/<name>.expected, written by data/gen_example_data.py).
#   cmake -DEXAMPLE=<program> -DDATA=<data dir> -DEXPECTED=<file> [-DARGS=<extra args>] -P run_example.cmake
execute_process(COMMAND ${EXAMPLE} ${DATA} ${ARGS}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXAMPLE} exited with ${rc}:\n${err}")
endif()
file(READ ${EXPECTED} expected)
if(NOT out STREQUAL expected)
  message(FATAL_ERROR "${EXAMPLE} printed:\n${out}\nCPython's expectation (${EXPECTED}):\n${expected}")
endif()
message(STATUS "${out}")
