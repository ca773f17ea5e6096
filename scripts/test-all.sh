#!/usr/bin/env bash
# The test command: installs what is missing (redis-server and PostgreSQL 15 included), builds,
# starts the test servers on loopback (Redis: five servers, Redlock's independent nodes, on
# non-default ports, a temporary directory, no persistence; PostgreSQL: a throw-away cluster),
# runs every test, and stops the servers, also when a test fails.
#   scripts/test-all.sh              RelWithDebInfo build in build/
#   scripts/test-all.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh" --servers

build=build
# The build is most of the time, so both passes build the way that takes least time:
#   - unity batches (CMAKE_UNITY_BUILD): a library's sources compiled sixteen to a translation
#     unit parse Asio, fmt and the standard library once per batch instead of once per file
#     (the libraries take less than half the CPU time they did); scripts/test-tsan.sh builds the
#     libraries without batches, so a library source that compiles only inside one still fails
#     CI;
#   - lld instead of ld.bfd for the hundred test executables;
#   - line tables only (-g1): backtraces and profiles keep files and lines, and the build takes a
#     sixth less time than with full debug information.
common=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld)
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
       "${common[@]}")
if [[ "${1:-}" == "--sanitize" ]]; then
  build=build-asan
  # Benchmarks and the install test say nothing more under sanitizers; skip them there.
  flags=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DFAULTLINE_SANITIZE=ON
         -DFAULTLINE_BUILD_BENCH=OFF "${common[@]}")
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
jobs=$(nproc)
cmake -S . -B "$build" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$build" -j "$jobs"
exclude=()
# Under the sanitizers, skip the install test and the Slurm sweep (orchestration, not memory
# safety: the harness code they drive runs in harness_test and faultline_cli there).
[[ "$build" == build-asan ]] && exclude=(-LE 'install|slurm')
"$root/scripts/postgres-server.sh" run -- "$root/scripts/redis-servers.sh" run 5 -- \
  ctest --test-dir "$build" --output-on-failure -j "$jobs" "${exclude[@]}"
