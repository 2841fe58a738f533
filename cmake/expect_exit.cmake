# cmake -DEXPECT_EXIT=N [-DEXPECT_LOCATION_OF=FILE] [-DEXPECT_STDOUT=REGEX]
#       -P expect_exit.cmake -- CMD ARGS...
#
# Runs CMD and passes only if it exits with status exactly N.  A crash (a
# signal), or a sanitizer report on stderr, fails whatever the status: under
# ASan/UBSan a sanitizer error also exits 1, which must not pass for a zoo
# finding.  With EXPECT_LOCATION_OF, stderr must also contain FILE:LINE:COL:.
# With EXPECT_STDOUT, stdout must match REGEX (a result line for scripts).
if(NOT DEFINED EXPECT_EXIT)
  message(FATAL_ERROR "expect_exit.cmake: EXPECT_EXIT is not set")
endif()

set(cmd "")
set(seen_dashdash FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 1 ${last})
  if(seen_dashdash)
    list(APPEND cmd "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(seen_dashdash TRUE)
  endif()
endforeach()
if(NOT cmd)
  message(FATAL_ERROR "expect_exit.cmake: no command after --")
endif()

execute_process(COMMAND ${cmd} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REPLACE ";" " " shown "${cmd}")
message("$ ${shown}\n--- stdout ---\n${out}--- stderr ---\n${err}--- exit: ${rc}")

set(failed "")
if(NOT rc STREQUAL "${EXPECT_EXIT}")
  set(failed "exit status ${rc}, expected exactly ${EXPECT_EXIT}")
elseif(err MATCHES "ERROR: [A-Za-z]*Sanitizer|WARNING: ThreadSanitizer:|runtime error:")
  set(failed "a sanitizer reported an error")
elseif(DEFINED EXPECT_LOCATION_OF)
  string(REGEX REPLACE "([][+.*?^$(){}|\\\\])" "\\\\\\1" re "${EXPECT_LOCATION_OF}")
  if(NOT err MATCHES "${re}:[0-9]+:[0-9]+:")
    set(failed "stderr does not say ${EXPECT_LOCATION_OF}:LINE:COL:")
  endif()
endif()
if(NOT failed AND DEFINED EXPECT_STDOUT AND NOT out MATCHES "${EXPECT_STDOUT}")
  set(failed "stdout does not match ${EXPECT_STDOUT}")
endif()
if(failed)
  message(FATAL_ERROR "FAIL: ${failed}")
endif()
