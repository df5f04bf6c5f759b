# Runs HEAT with ARGS (|-separated) under LD_DEBUG=libs and fails if the dynamic loader
# initialized a library matching FORBID (a regex) or did not initialize one matching REQUIRE.
# Issue 8 §8c: light subcommands must not load SystemC, LAPACKE or OpenBLAS.
string(REPLACE "|" ";" ARGS "${ARGS}")
execute_process(COMMAND ${CMAKE_COMMAND} -E env LD_DEBUG=libs SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
                        ${HEAT} ${ARGS}
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE log)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "heat ${ARGS} exited ${rc}")
endif()
string(REGEX MATCHALL "calling init: [^\n]*" inits "${log}")
if(FORBID)
  foreach(i IN LISTS inits)
    if(i MATCHES "${FORBID}")
      message(FATAL_ERROR "heat ${ARGS} loaded a heavy library: ${i}")
    endif()
  endforeach()
endif()
if(REQUIRE)
  set(found FALSE)
  foreach(i IN LISTS inits)
    if(i MATCHES "${REQUIRE}")
      set(found TRUE)
    endif()
  endforeach()
  if(NOT found)
    message(FATAL_ERROR "heat ${ARGS} did not load ${REQUIRE}:\n${inits}")
  endif()
endif()
