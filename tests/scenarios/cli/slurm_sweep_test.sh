#!/usr/bin/env bash
# A sharded sweep through a real Slurm job array gives the unsharded verdicts. Runs `faultline run
# PATTERN` once whole, then as a 4-task job array (`--shard auto`: each task takes the seed indices
# i with i % 4 == its SLURM_ARRAY_TASK_ID), merges the shards' reports with `faultline merge`, and
# compares: every field that is a function of the scenario and the sweep's options alone must be
# equal, seeds_run too where the claim held (a violated shard may run past its first violation).
# Usage, inside a cluster (SLURM_CONF set):
#   scripts/slurm-cluster.sh run -- tests/scenarios/cli/slurm_sweep_test.sh PATH_TO_FAULTLINE
# Exits 0 when equal, 1 naming each difference or failed step, 2 on bad usage.
set -euo pipefail

# 'locks/*' is two safety claims and two hazards, one found at the first seed (shard 0) and one
# at the tenth (shard 1, while the other shards may find it later): the merge must keep the
# lowest index. 2000 seeds take about 6 s on one core, so the whole test well under a minute.
readonly PATTERN='locks/*'
readonly SEEDS=2000
readonly TASKS=4
readonly QUEUE_ATTEMPTS=600        # x 0.5 s: at most 5 min for the array to leave the queue

fail() { echo "FAIL: $*" >&2; exit 1; }

[[ $# -eq 1 ]] || { echo "usage: ${0##*/} PATH_TO_FAULTLINE (inside slurm-cluster.sh run)" >&2; exit 2; }
faultline=$(realpath -e "$1") || { echo "${0##*/}: no such file: $1" >&2; exit 2; }
[[ -n "${SLURM_CONF:-}" ]] ||
  { echo "${0##*/}: SLURM_CONF is not set; run me in scripts/slurm-cluster.sh run --" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/faultline-slurm-sweep.XXXXXX")
job=""
# A job still queued when we leave (a failure, a timeout) is cancelled: its tasks would write
# into the directory removed here.
cleanup() {
  if [[ -n "$job" ]]; then scancel "$job" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "unsharded: faultline run '$PATTERN' --seeds $SEEDS"
"$faultline" run "$PATTERN" --seeds "$SEEDS" --json >"$tmp/unsharded.jsonl" ||
  fail "the unsharded run exited $? (a verdict is not the expected one?)"

# The task's command, for sbatch's /bin/sh: paths quoted, $SLURM_ARRAY_TASK_ID left to the task.
# A shard exits 1 when a hazard is not in its share of the seeds, which is no failure: the
# status is recorded and judged below, and the task itself succeeds.
# shellcheck disable=SC2016  # the task's shell expands $SLURM_ARRAY_TASK_ID and $?, not we
printf -v task '%q run %q --seeds %d --shard auto --jobs 1 --json >%q/shard-"$SLURM_ARRAY_TASK_ID".jsonl; echo $? >%q/status-"$SLURM_ARRAY_TASK_ID"' \
  "$faultline" "$PATTERN" "$SEEDS" "$tmp" "$tmp"
job=$(sbatch --parsable --job-name=faultline-sweep --array="0-$((TASKS - 1))" \
  --output="$tmp/task-%a.log" --wrap "$task")
job=${job%%;*}  # --parsable prints "JOBID" or "JOBID;CLUSTER"
echo "sharded: job array $job, $TASKS tasks"

for ((i = 0; i < QUEUE_ATTEMPTS; i++)); do
  queued=$(squeue -h -j "$job" 2>&1) || fail "squeue -j $job: $queued"
  [[ -z "$queued" ]] && break
  sleep 0.5
done
[[ -z "$queued" ]] || fail "job $job still queued after $((QUEUE_ATTEMPTS / 2)) s:"$'\n'"$queued"
job=""  # done: nothing to cancel

shards=()
for ((t = 0; t < TASKS; t++)); do
  log="$tmp/task-$t.log"
  [[ -s "$tmp/status-$t" ]] ||
    fail "task $t did not finish; its log:"$'\n'"$(cat "$log" 2>/dev/null || echo '(none)')"
  status=$(cat "$tmp/status-$t")
  [[ "$status" == 0 || "$status" == 1 ]] || fail "task $t: faultline exited $status; log:"$'\n'"$(cat "$log")"
  if grep -qiE 'error|fatal|cancelled|killed' "$log"; then fail "task $t's log:"$'\n'"$(cat "$log")"; fi
  [[ -s "$tmp/shard-$t.jsonl" ]] || fail "task $t wrote no report"
  shards+=("$tmp/shard-$t.jsonl")
done

"$faultline" merge --json "${shards[@]}" >"$tmp/merged.jsonl" ||
  fail "faultline merge exited $? (the merged verdicts differ from the expected ones?)"

python3 - "$tmp/unsharded.jsonl" "$tmp/merged.jsonl" <<'EOF'
import json, sys

# report.h: everything but seeds_run, events and the timings is a function of the scenario and
# the sweep's options alone; seeds_run is too where the claim held (every seed ran).
SAME = ["scenario", "expect", "verdict", "as_expected", "first_seed", "seeds", "swarm", "seed",
        "seeds_until_found", "violation", "kind", "shrunk_plan", "shrink_runs", "replay"]

def read(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]

unsharded, merged = read(sys.argv[1]), read(sys.argv[2])
problems = []
names = [r["scenario"] for r in unsharded]
if names != [r["scenario"] for r in merged]:
    problems.append(f"scenarios: unsharded {names}, merged {[r['scenario'] for r in merged]}")
for whole, joined in zip(unsharded, merged):
    fields = SAME + (["seeds_run"] if whole.get("verdict") == "held" else [])
    for field in fields:
        if whole.get(field) != joined.get(field):
            problems.append(f"{whole['scenario']}: {field}\n"
                            f"    unsharded: {json.dumps(whole.get(field))}\n"
                            f"    merged:    {json.dumps(joined.get(field))}")
# The comparison means something only if both kinds of verdict are in it.
kinds = {(r["expect"], r["verdict"]) for r in unsharded}
for kind in [("holds", "held"), ("violation_found", "violated")]:
    if kind not in kinds:
        problems.append(f"no scenario with expect {kind[0]} and verdict {kind[1]}: pick another pattern")
for problem in problems:
    print("FAIL:", problem)
if problems:
    sys.exit(1)
for r in merged:
    found = f", found at seed index {r['seeds_until_found'] - 1}" if r["verdict"] == "violated" else ""
    print(f"same: {r['scenario']}: {r['verdict']}{found}")
EOF
echo "the merged shards equal the unsharded sweep"
