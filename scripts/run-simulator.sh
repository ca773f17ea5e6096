#!/usr/bin/env bash
# The main job: installs what is missing, builds the `faultline` command, and runs every
# scenario of the catalogue on the embedded simulator. Extra arguments go to `faultline run`.
#   scripts/run-simulator.sh                 all scenarios, 1000 seeds each
#   scripts/run-simulator.sh --seeds 100000 --jobs 2
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target faultline
./build/scenarios/faultline run all "$@"
