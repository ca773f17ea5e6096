#!/usr/bin/env bash
# Before/after speed of the simulator, measured in one run on one machine: builds the scheduler
# micro-benchmark (bench/sim_bench.cc) and the catalogue's seeds per second
# (bench/catalogue_bench.cc) from BASE (default: bffa012, main before issue 13) in a temporary
# git worktree and from this tree, runs the two builds in turns, and prints each figure and the
# ratio (after / before, the median of the rounds). Absolute figures differ between machines
# (the project's vary by 2x); the ratios are what targets are stated in.
#   scripts/speed-compare.sh [BASE] [ROUNDS] [MIN_TIME_S]
# The benchmark sources are this tree's in both builds (copied over BASE's), so both measure the
# same workload; BASE's libraries are BASE's. Builds are RelWithDebInfo, as scripts/bench.sh's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-bffa012}
rounds=${2:-3}
min_time=${3:-1}
work=$(mktemp -d "${TMPDIR:-/tmp}/faultline-speed.XXXXXX")
cleanup() {
  git -C "$root" worktree remove --force "$work/base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if ! git -C "$root" cat-file -e "$base^{commit}" 2>/dev/null; then
  echo "speed-compare: no commit $base here (a shallow clone? git fetch --unshallow)" >&2
  exit 2
fi
git -C "$root" worktree add --detach "$work/base" "$base" >/dev/null
cp "$root/bench/sim_bench.cc" "$root/bench/catalogue_bench.cc" "$work/base/bench/"
if ! grep -q catalogue_bench "$work/base/bench/CMakeLists.txt"; then
  echo 'faultline_bench(catalogue_bench faultline_scenarios)' >> "$work/base/bench/CMakeLists.txt"
fi
build() {  # build SOURCE_DIR BUILD_DIR
  cmake -S "$1" -B "$2" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAULTLINE_BUILD_TESTS=OFF \
    ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} \
    >/dev/null
  cmake --build "$2" -j "$(nproc)" --target sim_bench catalogue_bench >/dev/null
}
echo "speed-compare: building $base and this tree" >&2
build "$work/base" "$work/base/build-speed"
build "$root" "$root/build-speed"

for ((r = 1; r <= rounds; ++r)); do
  for side in base head; do
    if [[ $side == base ]]; then dir=$work/base/build-speed; else dir=$root/build-speed; fi
    for b in sim_bench catalogue_bench; do
      "$dir/bench/$b" --benchmark_min_time="$min_time" --benchmark_format=json \
        > "$work/$side-$b-$r.json"
    done
  done
  echo "speed-compare: round $r of $rounds done" >&2
done
python3 "$root/scripts/lib/speed_ratios.py" "$work" "$rounds" "$base"
