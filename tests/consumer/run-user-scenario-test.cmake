# The user_scenario example end to end against an installed faultline: installs the build tree
# into a scratch prefix, configures and builds examples/user_scenario against it, runs its
# GoogleTest binary, then its own command line as a user would: `run` finds the hazard and
# prints a replay command; that command, run as printed, shows the VIOLATION and its witness;
# and `replay --shrink` works. Any failing step or missing output fails the test.
#
# -DSOURCE_DIR, -DBINARY_DIR (the build tree to install), -DWORK_DIR (scratch, wiped first),
# -DSEEDS (seeds per scenario for `run`), -DLAUNCHER (a compiler launcher such as ccache; may be
# empty).
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
if(NOT SEEDS)
  set(SEEDS 200)
endif()

# step(OUT <var> [EXPECT_RC <rc>] COMMAND ...): runs the command, fails the test unless it exits
# with EXPECT_RC (0 by default); its stdout goes to <var>.
function(step)
  cmake_parse_arguments(S "" "OUT;EXPECT_RC" "COMMAND" ${ARGN})
  if(NOT DEFINED S_EXPECT_RC)
    set(S_EXPECT_RC 0)
  endif()
  execute_process(COMMAND ${S_COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc STREQUAL S_EXPECT_RC)
    message(FATAL_ERROR "step failed (exit ${rc}, expected ${S_EXPECT_RC}): ${S_COMMAND}\n"
                        "${out}\n${err}")
  endif()
  if(S_OUT)
    set(${S_OUT} "${out}" PARENT_SCOPE)
  endif()
endfunction()

# expect(<text> <regex> <what>): fails the test unless <text> matches <regex>.
function(expect text regex what)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "expected ${what} (/${regex}/) in:\n${text}")
  endif()
endfunction()

set(prefix "${WORK_DIR}/prefix")
set(build "${WORK_DIR}/build")
step(COMMAND ${CMAKE_COMMAND} --install "${BINARY_DIR}" --prefix "${prefix}")
step(COMMAND ${CMAKE_COMMAND} -S "${SOURCE_DIR}/examples/user_scenario" -B "${build}"
     -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release
     "-DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}")
step(COMMAND ${CMAKE_COMMAND} --build "${build}" --parallel 2)
step(OUT out COMMAND "${build}/inventory_test")
message("inventory_test: passed")

set(sim "${build}/inventory-sim")
step(OUT out COMMAND "${sim}" run "inventory/*" --seeds ${SEEDS})
message("${out}")
expect("${out}" "inventory/reserve +ok" "the claim held")
expect("${out}" "inventory/no-key +ok" "the hazard found")
expect("${out}" "double charge: reservation" "the double charge")
string(REGEX MATCH "replay: ([^\n]*inventory-sim replay 'inventory/no-key' --seed 0x[0-9a-f]+)"
       line "${out}")
if(NOT line)
  message(FATAL_ERROR "no replay line for inventory/no-key in:\n${out}")
endif()
set(replay "${CMAKE_MATCH_1}")

# The replay command exactly as printed (a hazard replays with exit 0: the verdict expected).
step(OUT out COMMAND sh -c "${replay}")
expect("${out}" "\nwitness: double-charge\n" "the witness section")
expect("${out}" "charge-applied" "the server's charges in the witness")
expect("${out}" "\nVIOLATION: double charge: reservation" "the VIOLATION line")
message("replayed: ${replay}")

step(OUT out COMMAND sh -c "${replay} --shrink")
expect("${out}" "shrunk fault plan:" "the shrunk plan")
expect("${out}" "\nVIOLATION: double charge: reservation" "the VIOLATION line after shrinking")
message("replayed with --shrink")
