# heat search and heat sweep killed with SIGKILL (kill -9) right after their k-th checkpoint
# save (HEAT_CHECKPOINT_TEST=kill-after=k: the process kills itself, so the point of death is
# the same on every machine), then continued with --resume: every output file is byte-identical
# to an uninterrupted run's, and the checkpoint is gone once the run completes. Points of death:
# while pricing level 1, during level 2, and twice in a row (the second time while measuring
# errors).
# Then a checkpoint that is corrupt, truncated, of another run or another command: exit 2.
string(REPLACE "|" ";" search_args "${SEARCH_ARGS}")
string(REPLACE "|" ";" sweep_args "${SWEEP_ARGS}")
file(REMOVE_RECURSE ${WORK})

# run(<command> <dir> <expected exit> [ENV k=v] [args...]): sets out_text and err_text
function(run cmd dir expect)
  cmake_parse_arguments(R "" "ENV" "" ${ARGN})
  if(cmd STREQUAL "search")
    set(a ${search_args})
  else()
    set(a ${sweep_args})
  endif()
  if(R_ENV)
    string(REPLACE "HEAT_CHECKPOINT_TEST=" "" hook "${R_ENV}")
    set(ENV{HEAT_CHECKPOINT_TEST} "${hook}")
  endif()
  execute_process(COMMAND ${HEAT} ${cmd} ${a} ${R_UNPARSED_ARGUMENTS} --out ${WORK}/${dir}
    RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  unset(ENV{HEAT_CHECKPOINT_TEST})
  if(NOT rc STREQUAL "${expect}")
    message(FATAL_ERROR "heat ${cmd} ${ARGN} --out ${dir}: exit '${rc}', expected '${expect}'\n${o}\n${e}")
  endif()
  set(out_text "${o}" PARENT_SCOPE)
  set(err_text "${e}" PARENT_SCOPE)
endfunction()

function(same_outputs ref dir)
  file(GLOB files RELATIVE ${WORK}/${ref} ${WORK}/${ref}/*)
  file(GLOB got RELATIVE ${WORK}/${dir} ${WORK}/${dir}/*)
  if(NOT files STREQUAL got)
    message(FATAL_ERROR "${dir} holds ${got}\n${ref} holds ${files}")
  endif()
  foreach(f IN LISTS files)
    execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK}/${ref}/${f} ${WORK}/${dir}/${f}
      RESULT_VARIABLE diff)
    if(diff)
      message(FATAL_ERROR "${dir}/${f} differs from the uninterrupted run's")
    endif()
  endforeach()
endfunction()

# kill_resume(<command> <ref> <dir> <k>...): killed after save k1, resumed and killed after
# save k2 (of that process), ..., then resumed to the end.
function(kill_resume cmd ref dir)
  set(first TRUE)
  foreach(k IN LISTS ARGN)
    if(first)
      run(${cmd} ${dir} "Subprocess killed" ENV HEAT_CHECKPOINT_TEST=kill-after=${k})
      set(first FALSE)
    else()
      run(${cmd} ${dir} "Subprocess killed" ENV HEAT_CHECKPOINT_TEST=kill-after=${k} --resume)
    endif()
    if(NOT EXISTS ${WORK}/${dir}/checkpoint.txt)
      message(FATAL_ERROR "${dir}: no checkpoint after a kill at save ${k}")
    endif()
  endforeach()
  file(READ ${WORK}/${dir}/checkpoint.txt ck)
  run(${cmd} ${dir} 0 --resume)
  if(NOT err_text MATCHES "heat: resuming from [^\n]*checkpoint.txt \\([1-9][0-9]* completed")
    message(FATAL_ERROR "${dir}: resume said:\n${err_text}")
  endif()
  if(EXISTS ${WORK}/${dir}/checkpoint.txt)
    message(FATAL_ERROR "${dir}: the checkpoint is left after the run completed")
  endif()
  same_outputs(${ref} ${dir})
  set(last_checkpoint "${ck}" PARENT_SCOPE)
endfunction()

run(search ref 0)
kill_resume(search ref k_price 2)        # level 1: a few settings priced
kill_resume(search ref k_level2 50)      # level 2, first format done, second under way
kill_resume(search ref k_twice 5 30)     # killed again while resuming, measuring errors
if(NOT last_checkpoint MATCHES "\nl1 cost [^\n]*\nl1 eps ")
  message(FATAL_ERROR "checkpoint of the double kill:\n${last_checkpoint}")
endif()

run(sweep sweep_ref 0)
kill_resume(sweep sweep_ref sweep_k1 1)
kill_resume(sweep sweep_ref sweep_twice 1 2)

# --resume without a checkpoint: a note, then a whole run.
run(search fresh 0 --resume)
if(NOT err_text MATCHES "heat: note: no checkpoint [^\n]*checkpoint.txt: starting from the beginning")
  message(FATAL_ERROR "--resume without a checkpoint:\n${err_text}")
endif()
same_outputs(ref fresh)

# Bad checkpoints: refused with file:line and exit 2, never trusted.
run(search bad "Subprocess killed" ENV HEAT_CHECKPOINT_TEST=kill-after=20)
file(READ ${WORK}/bad/checkpoint.txt good)
function(bad_checkpoint cmd text pattern)
  file(WRITE ${WORK}/bad/checkpoint.txt "${text}")
  run(${cmd} bad 2 --resume)
  if(NOT err_text MATCHES "${pattern}")
    message(FATAL_ERROR "bad checkpoint: expected '${pattern}', got:\n${err_text}")
  endif()
endfunction()
string(SUBSTRING "${good}" 0 700 cut)
bad_checkpoint(search "${cut}" "heat: [^\n]*/bad/checkpoint.txt:[0-9]+: corrupt checkpoint: (truncated line|no end record \\(truncated\\)); rerun without --resume to start over")
string(REGEX REPLACE "\n(l1 cost [^\t]*\t)0x" "\n\\10x1" changed "${good}")
bad_checkpoint(search "${changed}" "checkpoint.txt:[0-9]+: corrupt checkpoint: record count or checksum does not match")
bad_checkpoint(search "" "checkpoint.txt:1: corrupt checkpoint: empty file")
bad_checkpoint(search "hello\n" "checkpoint.txt:1: corrupt checkpoint: not a heat checkpoint")
string(REGEX REPLACE "inputs=[0-9a-f]+" "inputs=0123456789abcdef" other "${good}")
bad_checkpoint(search "${other}" "checkpoint.txt:1: checkpoint of another run \\(inputs or options differ")
string(REGEX REPLACE "version=[^\n]+" "version=0000000000000000" build "${good}")
bad_checkpoint(search "${build}" "checkpoint.txt:1: checkpoint made by a heat build with another cost model")
string(REPLACE "heat-checkpoint 1 " "heat-checkpoint 9 " future "${good}")
bad_checkpoint(search "${future}" "checkpoint.txt:1: checkpoint file version 9; this heat reads version 1")
bad_checkpoint(sweep "${good}" "checkpoint.txt:1: a checkpoint of heat search, not of heat sweep")
# a record with a bad value (the checksum recomputed cannot be done here: the record is cut
# short and the count line kept, so the checksum test fires first) -- see test_checkpoint.c
# for per-record errors.
string(REGEX REPLACE "\nend [^\n]*\n$" "\nend 1 0\nmore\n" after "${good}")
bad_checkpoint(search "${after}" "checkpoint.txt:[0-9]+: corrupt checkpoint: (record count or checksum does not match|text after the end record)")
