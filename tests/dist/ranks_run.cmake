# Shared by the mpirun tests: run(RANKS OUT EXPECT_RC [extra args]) runs `heat ${VERB} ${args}
# [extra args] --out ${WORK}/OUT` alone (RANKS 0) or under ${MPIEXEC} on RANKS ranks and checks
# its exit code (a number, or "nonzero"); out_text and err_text hold what it printed.
set(ENV{OMPI_ALLOW_RUN_AS_ROOT} 1)
set(ENV{OMPI_ALLOW_RUN_AS_ROOT_CONFIRM} 1)
# Oversubscribed ranks on a small machine: let them yield instead of busy-polling.
set(ENV{OMPI_MCA_mpi_yield_when_idle} 1)
set(asan "$ENV{ASAN_OPTIONS}")
function(run ranks out expect_rc)
  if(ranks EQUAL 0)
    set(cmd ${HEAT})
    set(ENV{ASAN_OPTIONS} "${asan}")
  else()
    set(cmd ${MPIEXEC} --oversubscribe -n ${ranks} ${HEAT})
    # Sanitizer build: Open MPI's plugins are dlclose'd before LeakSanitizer runs, so their
    # allocations kept until exit show as leaks from <unknown module> that no suppression can
    # name. Leak checks stay on for the runs alone (the same heat code, dist included); ASan
    # and UBSan stay on here.
    set(ENV{ASAN_OPTIONS} "${asan}:detect_leaks=0")
  endif()
  execute_process(COMMAND ${cmd} ${VERB} ${args} ${ARGN} --out ${WORK}/${out}
    RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  if(expect_rc STREQUAL "nonzero")
    if(rc EQUAL 0)
      message(FATAL_ERROR "${ranks} ranks ${ARGN}: exit 0, expected a failure\n${o}\n${e}")
    endif()
  elseif(NOT rc EQUAL ${expect_rc})
    message(FATAL_ERROR "${ranks} ranks ${ARGN}: exit ${rc}\n${o}\n${e}")
  endif()
  set(out_text "${o}" PARENT_SCOPE)
  set(err_text "${e}" PARENT_SCOPE)
endfunction()
