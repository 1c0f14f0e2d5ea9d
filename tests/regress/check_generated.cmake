# Runs a capture generator and fails if its output differs from the committed capture.
execute_process(COMMAND ${GEN} ${OUT} ${GEN_ARGS} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${GEN} failed with ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT} ${EXPECTED} RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  message(FATAL_ERROR "${EXPECTED} is not what ${GEN} writes now: run scripts/gen-pcaps.sh")
endif()
