#!/usr/bin/env bash
# The `faultline` command line's contract, end to end: exit statuses (0 every verdict as
# expected, 1 one differs, 2 bad usage; check 0/1/2/3) and usage errors that name the flag and
# the text it was given. Usage: cli_test.sh PATH_TO_FAULTLINE. Exits 1 naming each failed case.
set -uo pipefail
faultline=${1:?usage: cli_test.sh PATH_TO_FAULTLINE}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# expect STATUS PATTERN ARGS...: runs faultline ARGS, wants exit STATUS and PATTERN (an extended
# regular expression, or "" for none) somewhere in its stdout or stderr.
expect() {
  local want=$1 pattern=$2
  shift 2
  "$faultline" "$@" >"$tmp/out" 2>&1
  local got=$?
  if [[ $got -ne $want ]]; then
    echo "FAIL: faultline $* exited $got, expected $want"; sed 's/^/    /' "$tmp/out"
    failures=$((failures + 1))
  elif [[ -n $pattern ]] && ! grep -qE -- "$pattern" "$tmp/out"; then
    echo "FAIL: faultline $*: no '$pattern' in"; sed 's/^/    /' "$tmp/out"
    failures=$((failures + 1))
  fi
}

expect 0 'lease-lock/fenced +must hold' list
expect 0 'ok   held for 3 seeds' run lease-lock/fenced --seeds 3
expect 0 '"verdict":"violated"' run lease-lock/unfenced --seeds 50 --json
# The hazard is first found at the third seed from the default first seed: one seed misses it.
expect 1 'the hazard was NOT found' run lease-lock/unfenced --seeds 1
expect 0 'needs no fault' run retry/non-retryable --seeds 1
expect 0 'invariant held' replay lease-lock/fenced --seed 12
expect 2 "no scenario matches 'nope'" run nope
expect 1 'locks/crash-recovery +ok   held for 2 seeds' run 'locks/*' --seeds 2 --jobs 2
expect 0 'locks/owner-checked-release +ok   held for 20 seeds' run 'locks/*' --seeds 20 --jobs 2
expect 0 'not found in shard 0/2 \(merge the shards to judge\)' run locks/release-without-owner-check --seeds 4 --shard 0/2
expect 0 '"shard":"1/3"' run lease-lock/fenced --seeds 6 --shard 1/3 --json
expect 2 "^--shard: --shard 3/3: shard index 3 is not below the count 3" run lease-lock/fenced --shard 3/3
expect 2 '^--shard: --shard auto: SLURM_ARRAY_TASK_ID is not set' run lease-lock/fenced --shard auto
expect 0 '"verdict":"violated"' run lease-lock/unfenced --seeds 50 --swarm --json
expect 0 "replay 'lease-lock/unfenced' --seed 0x[0-9a-f]+ --swarm" run lease-lock/unfenced --seeds 50 --swarm
expect 2 "unknown scenario 'nope'" replay nope --seed 1
expect 2 "^--seed: not a number: 'abc'" run lease-lock/fenced --seed abc
expect 2 "^--seed: not a number: '12x'" replay lease-lock/fenced --seed 12x
expect 2 "^--seed: not a number: '-1'" run lease-lock/fenced --seed=-1
expect 2 "^--seed: '0x1ffffffffffffffffff' is out of range for 64 bits" \
  run lease-lock/fenced --seed 0x1ffffffffffffffffff
expect 2 '^--seeds: Value abc' run lease-lock/fenced --seeds abc
expect 2 '^--seed is required' replay lease-lock/fenced
expect 2 '^--plan: cannot read' replay lease-lock/fenced --seed 1 --plan "$tmp/missing"
printf 'network: nonsense\n' >"$tmp/plan.txt"
expect 2 "^--plan $tmp/plan.txt: line 1" replay lease-lock/fenced --seed 1 --plan "$tmp/plan.txt"

# merge: shards of one sweep add up to the unsharded verdict; a missing shard is refused.
for i in 0 1; do
  "$faultline" run 'locks/*' --seeds 20 --shard "$i/2" --json >"$tmp/shard-$i.jsonl"
done
expect 0 'locks/no-ttl +ok   violation found at seed 0x5eed after 1 seeds' \
  merge "$tmp/shard-0.jsonl" "$tmp/shard-1.jsonl"
expect 2 '^merge: locks/crash-recovery: shard 1/2 is missing' merge "$tmp/shard-0.jsonl"
printf 'garbage\n' >"$tmp/garbage.jsonl"
expect 2 "^merge: $tmp/garbage.jsonl line 1: not a faultline report" merge "$tmp/garbage.jsonl"
# explore: a second run over the same directory resumes and writes no finding twice.
expect 0 '^[1-9][0-9]* new finding' explore locks/no-ttl --for 1s --out "$tmp/explore"
expect 0 '^0 new finding' explore locks/no-ttl --for 1s --out "$tmp/explore"
expect 2 "^--for: not a duration: '5x'" explore locks/no-ttl --for 5x --out "$tmp/explore"

expect 0 'full_jitter' study backoff --trials 1 --clients 10:10:10
expect 0 '"strategy"' study backoff --trials 1 --clients 10:10:10 --json
expect 2 "^--clients: expected FROM:TO:STEP.*got 'abc'" study backoff --clients abc
expect 2 "^study: unknown study 'nope'; known: backoff" study nope
expect 2 '^study: name a study; known: backoff' study

printf '%s\n' '{"process": 0, "type": "invoke", "f": "write", "value": 1}' \
  '{"process": 0, "type": "ok", "f": "write", "value": 1}' \
  '{"process": 1, "type": "invoke", "f": "read", "value": null}' \
  '{"process": 1, "type": "ok", "f": "read", "value": 1}' >"$tmp/good.jsonl"
printf '%s\n' '{"process": 0, "type": "invoke", "f": "write", "value": 1}' \
  '{"process": 0, "type": "ok", "f": "write", "value": 1}' \
  '{"process": 1, "type": "invoke", "f": "read", "value": null}' \
  '{"process": 1, "type": "ok", "f": "read", "value": 2}' >"$tmp/bad.jsonl"
expect 0 'linearizable' check --model cas-register "$tmp/good.jsonl"
expect 1 '' check --model cas-register "$tmp/bad.jsonl"
expect 2 'cannot read the file' check --model kv "$tmp/missing"
expect 2 '^--model: foo not in' check --model foo "$tmp/good.jsonl"

expect 0 'Subcommands' --help
expect 2 'A subcommand is required'

if [[ $failures -gt 0 ]]; then
  echo "$failures case(s) failed"
  exit 1
fi
echo "all cases passed"
