# Runs a fixture-reading test suite against an empty data folder (CANARY_TEST_DATA in its environment): it
# must fail, and its output must name the missing file. Run by CTest as `cmake -P`.
file(REMOVE_RECURSE "${EMPTY_DIR}")
file(MAKE_DIRECTORY "${EMPTY_DIR}")
execute_process(
    COMMAND ${CMAKE_COMMAND} -E env "CANARY_TEST_DATA=${EMPTY_DIR}" "${TEST_BINARY}"
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output
    TIMEOUT 60)
if(result EQUAL 0)
    message(FATAL_ERROR "${TEST_BINARY} passed without its fixtures:\n${output}")
endif()
string(FIND "${output}" "fixture missing: ${EMPTY_DIR}/dynatrace/" at)
if(at EQUAL -1)
    message(FATAL_ERROR "${TEST_BINARY} failed without naming the missing fixture's path:\n${output}")
endif()
message(STATUS "a missing fixture fails with its path (exit ${result})")
