#!/usr/bin/env bash
# What a scenario's events are: RPC requests, replies and deadlines (sim::call), timers
# (Clock::sleep_for), faults and other, as shares of the events World::dispatch ran, with the
# events per seed. Counted by valgrind's callgrind (call counts, exact) over `faultline run NAME
# --seeds SEEDS --jobs 1`, built in build-profile/ as scripts/profile.sh builds it. A hazard
# stops at its first violation, so its events per seed are over fewer seeds than asked: read
# only its shares.
#   scripts/event-mix.sh NAME [SEEDS]      one scenario (default 4 seeds)
#   scripts/event-mix.sh --all [SEEDS]     every scenario in the catalogue
# FAULTLINE_PROFILE_BUILD=build reuses an existing RelWithDebInfo build directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
what=${1:?usage: scripts/event-mix.sh NAME|--all [SEEDS]}
seeds=${2:-4}
command -v valgrind >/dev/null || "$root/scripts/install-deps.sh" --profile
b=${FAULTLINE_PROFILE_BUILD:-build-profile}  # another build directory to reuse one
cmake -S . -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAULTLINE_SANITIZE=OFF >/dev/null
cmake --build "$b" --target faultline >/dev/null
names=("$what")
if [[ "$what" == --all ]]; then
  mapfile -t names < <("$b/scenarios/faultline" list | awk '{print $1}')
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for name in "${names[@]}"; do
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$b/scenarios/faultline" run "$name" --seeds "$seeds" --jobs 1 >/dev/null 2>&1 || true
  callgrind_annotate --tree=calling "$out" 2>/dev/null |
    python3 "$root/scripts/lib/event_mix.py" "$name" "$seeds"
done
