#!/usr/bin/env bash
# The linearizability checker against an older version of itself, side by side on the same
# machine and the same histories (Porcupine's 102 etcd logs and 6 kv histories).
#
#   scripts/compare-checker.sh [BASE_REF]        (default: bffa012, the checker before issue 13)
#
# Builds bench/linearizability_bench twice: from the current tree (uncommitted changes included)
# in its build directory (BUILD_DIR, default build/; its build type, RelWithDebInfo when not yet
# configured), and from BASE_REF, checked out in a temporary git worktree under /tmp with its own
# build directory there, same build type (both removed on exit). Both are built from the current
# tree's benchmark source, which uses only checker API that both versions have
# (check_linearizable, CasRegisterModel, KvModel, the two parsers). Then runs them one after the
# other, ROUNDS times (default 3), and prints each suite's time per run and the ratio
# base / current per round. Environment: ROUNDS, JOBS (build parallelism, default 2), BUILD_DIR,
# FAULTLINE_EXTERNAL_DIR (the data; default shared/external beside the checkout).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base_ref=${1:-bffa012}
rounds=${ROUNDS:-3}
jobs=${JOBS:-2}
export FAULTLINE_EXTERNAL_DIR=${FAULTLINE_EXTERNAL_DIR:-$(cd "$root/.." && pwd)/shared/external}
if [[ ! -d $FAULTLINE_EXTERNAL_DIR/porcupine ]]; then
  echo "no data at $FAULTLINE_EXTERNAL_DIR/porcupine (set FAULTLINE_EXTERNAL_DIR)" >&2
  exit 2
fi

tmp=$(mktemp -d /tmp/compare-checker.XXXXXX)
cleanup() {
  git -C "$root" worktree remove --force "$tmp/base-src" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

git -C "$root" worktree add --detach "$tmp/base-src" "$base_ref" >/dev/null 2>&1
cp "$root/bench/linearizability_bench.cc" "$tmp/base-src/bench/linearizability_bench.cc"

current_build=${BUILD_DIR:-$root/build}
build_type=RelWithDebInfo
if [[ -f $current_build/CMakeCache.txt ]]; then
  build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$current_build/CMakeCache.txt")
fi
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
build() {  # build SOURCE_DIR BUILD_DIR
  echo "building linearizability_bench ($build_type) from $1 in $2" >&2
  cmake -S "$1" -B "$2" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" "${launcher[@]}" >/dev/null
  CCACHE_BASEDIR=$1 nice cmake --build "$2" -j "$jobs" --target linearizability_bench >/dev/null
}
build "$root" "$current_build"
build "$tmp/base-src" "$tmp/build-base"

# One run: "<suite> <ms per iteration>" per line.
run() {
  "$1/bench/linearizability_bench" --benchmark_format=json 2>/dev/null | python3 -c '
import json, sys
for b in json.load(sys.stdin)["benchmarks"]:
    if b.get("error_occurred"):
        sys.exit("benchmark failed: " + b["name"] + ": " + b.get("error_message", ""))
    print(b["name"].split("/")[0].removeprefix("BM_"), b["real_time"])'
}

echo "base: $(git -C "$root" rev-parse --short "$base_ref") ($base_ref); current: the tree at $root"
echo "$(nproc) cores; $(uname -m); times are ms per whole suite (mean of 3 iterations)"
printf '%-6s %-10s %12s %12s %8s\n' round suite base_ms current_ms ratio
for ((r = 1; r <= rounds; ++r)); do
  base_out=$(run "$tmp/build-base")
  current_out=$(run "$current_build")
  join <(sort <<<"$base_out") <(sort <<<"$current_out") | awk -v r="$r" '
    { printf "%-6s %-10s %12.1f %12.1f %7.2fx\n", r, $1, $2, $3, $2 / $3; b += $2; c += $3 }
    END { printf "%-6s %-10s %12.1f %12.1f %7.2fx\n", r, "all", b, c, b / c }'
done
