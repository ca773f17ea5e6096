#!/usr/bin/env bash
# Fuzzes the parsers with libFuzzer (tests/fuzz/): clang++-14 with ASan + UBSan, in build-fuzz/,
# a small project of only the parsers' sources (tests/fuzz/libfuzzer/).
#   scripts/fuzz.sh --list              the targets
#   scripts/fuzz.sh TARGET SECONDS      builds TARGET and fuzzes it for SECONDS, starting from its
#                                       committed seeds (tests/fuzz/corpus/TARGET/, read only);
#                                       new inputs go to a temporary directory
#   scripts/fuzz.sh --all SECONDS       every target in turn, SECONDS each
# Exits non-zero when a target crashes (a failed property, a sanitizer report, a timeout or an
# out-of-memory), printing the reproducer's path; copy it to tests/fuzz/regressions/TARGET/ so
# the corpus replay test (ctest -R FuzzCorpus) keeps it fixed. Installs what it needs
# (scripts/install-deps.sh --fuzz).
# FUZZ_JOBS sets the build's parallelism (default: nproc).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
# The targets, as tests/fuzz/fuzz_targets.h lists them (kFuzzTargets).
targets=$(sed -n 's/^ *FuzzTarget{"\([a-z_]*\)".*/\1/p' "$root/tests/fuzz/fuzz_targets.h")

usage() {
  echo "usage: $0 --list | TARGET SECONDS | --all SECONDS" >&2
  exit 2
}

configure() {
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  if [[ ! -f "$build/build.ninja" ]]; then
    CXX=clang++-14 cmake -S "$root/tests/fuzz/libfuzzer" -B "$build" -G Ninja "${launcher[@]}" \
      >/dev/null
  fi
}

build() {
  "$root/scripts/install-deps.sh" --fuzz
  configure
  cmake --build "$build" -j "${FUZZ_JOBS:-$(nproc)}" --target "${@/#/fuzz_}" >/dev/null
}

# fuzz TARGET SECONDS: runs the built target; prints the reproducer and fails on a crash.
fuzz() {
  local target=$1 seconds=$2
  local scratch artifacts
  scratch=$(mktemp -d)
  artifacts="$build/crashes/$target/"
  mkdir -p "$artifacts"
  echo "fuzz: $target for ${seconds}s"
  # -rss_limit_mb and -timeout: a parser that needs 2 GiB or a second on one input is a finding.
  if ! ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
       "$build/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=8192 -print_final_stats=0 -artifact_prefix="$artifacts" \
       "$scratch" "$root/tests/fuzz/corpus/$target" >"$scratch.log" 2>&1; then
    tail -n 40 "$scratch.log"
    local found
    found=$(ls -t "$artifacts" 2>/dev/null | head -n 1)
    echo "fuzz: $target CRASHED; reproducer: $artifacts$found"
    echo "fuzz: replay with $build/fuzz_$target $artifacts$found"
    rm -rf "$scratch"
    return 1
  fi
  grep -E '^Done|#[0-9]+.*DONE' "$scratch.log" | tail -n 1 || true
  rm -rf "$scratch" "$scratch.log"
}

# libFuzzer reads -max_total_time=0 as "forever": a budget is a whole number of seconds, >= 1.
[[ $# -lt 2 || "$2" =~ ^[1-9][0-9]*$ ]] || usage

case "${1:-}" in
  --list) echo "$targets" ;;
  --all)
    [[ $# -eq 2 ]] || usage
    build $targets
    failed=()
    for t in $targets; do fuzz "$t" "$2" || failed+=("$t"); done
    total=$(wc -w <<<"$targets")
    [[ ${#failed[@]} -gt 0 ]] && echo "fuzz: crashed: ${failed[*]}"
    echo "fuzz: $((total - ${#failed[@]})) passed, ${#failed[@]} failed"
    [[ ${#failed[@]} -eq 0 ]]
    ;;
  ""|-*) usage ;;
  *)
    [[ $# -eq 2 ]] || usage
    grep -qx "$1" <<<"$targets" || { echo "fuzz: no target '$1' (see $0 --list)" >&2; exit 2; }
    build "$1"
    fuzz "$1" "$2"
    ;;
esac
