# canaryctl is what scripts and pipelines install: it links neither the simulator nor the HTTP server the
# simulator needs (the dynamic loader's view, as `ldd` shows it). Run by CTest as `cmake -P`.
execute_process(COMMAND ldd "${BINARY}" RESULT_VARIABLE result OUTPUT_VARIABLE libraries ERROR_VARIABLE libraries)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "ldd ${BINARY} failed:\n${libraries}")
endif()
if(libraries MATCHES "HttpServer")
    message(FATAL_ERROR "${BINARY} links Qt HttpServer:\n${libraries}")
endif()
if(NOT libraries MATCHES "Qt6Network")
    message(FATAL_ERROR "ldd shows no Qt6Network for ${BINARY}: not the binary meant?\n${libraries}")
endif()
message(STATUS "${BINARY} links no Qt HttpServer")
