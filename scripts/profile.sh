#!/usr/bin/env bash
# Instruction profiles with valgrind's callgrind, which counts instructions and so gives the same
# figures on a loaded machine as on an idle one. Builds what it profiles in build-profile/
# (RelWithDebInfo, no sanitizer), writes the profile under build-profile/profiles/ and prints
# the functions that cost the most, by their own instructions and with their callees.
#   scripts/profile.sh scheduler              the scheduler micro-benchmark (1 coroutine)
#   scripts/profile.sh scenario NAME [SEEDS]  `faultline run NAME` on one worker (default 20 seeds)
#   scripts/profile.sh checker                the linearizability checker on the external histories
# Then: callgrind_annotate --inclusive=yes build-profile/profiles/<file> | less, or kcachegrind.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
what=${1:?usage: scripts/profile.sh scheduler|scenario NAME [SEEDS]|checker}
command -v valgrind >/dev/null || "$root/scripts/install-deps.sh" --profile
b=build-profile
cmake -S . -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAULTLINE_SANITIZE=OFF >/dev/null
mkdir -p "$b/profiles"
case "$what" in
  scheduler)
    cmake --build "$b" --target sim_bench >/dev/null
    out=$b/profiles/scheduler.callgrind
    cmd=($b/bench/sim_bench --benchmark_filter='SchedulerEvents/1$' --benchmark_min_time=0.3)
    ;;
  scenario)
    name=${2:?scenario name}
    cmake --build "$b" --target faultline >/dev/null
    out=$b/profiles/$(tr '/' '_' <<< "$name").callgrind
    cmd=($b/scenarios/faultline run "$name" --seeds "${3:-20}" --jobs 1)
    ;;
  checker)
    cmake --build "$b" --target linearizability_bench >/dev/null
    out=$b/profiles/checker.callgrind
    cmd=($b/bench/linearizability_bench --benchmark_min_time=0.01)
    ;;
  *) echo "profile.sh: unknown target '$what'" >&2; exit 2 ;;
esac
# A sweep's exit status says whether the verdicts were as expected; the profile is made either way.
valgrind --tool=callgrind --callgrind-out-file="$out" "${cmd[@]}" >/dev/null 2>"$out.log" || true
[[ -s "$out" ]] || { echo "profile.sh: valgrind wrote no profile; see $out.log" >&2; exit 1; }
echo "== $out: by own instructions"
callgrind_annotate --inclusive=no "$out" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n 3,30p | cut -c1-160
echo "== with callees"
callgrind_annotate --inclusive=yes "$out" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n 3,40p | cut -c1-160
