#!/usr/bin/env bash
# `faultline limit` end to end: a small trace replayed through a sliding log and a GCRA policy,
# some JSON fields checked with jq, and the malformed inputs refused with exit 2 and a message
# that says where and what was expected. Usage: limit_test.sh PATH_TO_FAULTLINE.
set -uo pipefail
faultline=${1:?usage: limit_test.sh PATH_TO_FAULTLINE}
command -v jq >/dev/null || { echo "jq is needed"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

printf '%s\n' '# TIME_MS KEY COST' '0 alice 1' '0 alice 1' '0 alice 1' '0 alice 1' '100 bob 1' \
  '999 alice 1' '1000 alice 5' '1000 alice 2' >"$tmp/trace"

# want JQ_FILTER EXPECTED: the filter over the slurped JSON lines prints EXPECTED.
want() {
  local got
  got=$(jq -c -s "$1" "$tmp/out")
  [[ $got == "$2" ]] || fail "jq '$1' gave $got, expected $2"
}

if "$faultline" limit --policy sliding-log:limit=3,window=1s --trace "$tmp/trace" --json \
    >"$tmp/out" 2>"$tmp/err"; then
  want 'map(select(.summary | not)) | length' '8'
  want '.[3] | [.allowed, .remaining, .retry_after_ms, .reset_after_ms]' '[false,0,1000,1000]'
  want '.[6] | [.cost, .allowed, .limit, .retry_after_ms]' '[5,false,3,-1]'
  want '.[7] | [.at_ms, .key, .allowed, .remaining]' '[1000,"alice",true,1]'
  want 'map(select(.summary)) | map([.key, .allowed, .refused, .max_in_window])' \
    '[["alice",4,3,3],["bob",1,0,1]]'
else
  fail "sliding-log replay exited $?: $(cat "$tmp/err")"
fi

# GCRA lets a burst and then the rate through: four allowed within one period.
"$faultline" limit --policy gcra:rate=2/1s,burst=2 --trace "$tmp/trace" --json >"$tmp/out" ||
  fail "gcra replay exited $?"
want 'map(select(.summary and .key == "alice")) | .[0].max_in_window' '4'

"$faultline" limit --policy fixed-window:limit=3,window=1s --trace "$tmp/trace" >"$tmp/out" ||
  fail "table output exited $?"
grep -qE '^policy fixed-window:limit=3,window=1s' "$tmp/out" || fail "no policy line in the table"

# expect_usage PATTERN ARGS...: exit 2 and PATTERN (extended regex) on stderr.
expect_usage() {
  local pattern=$1
  shift
  "$faultline" limit "$@" >/dev/null 2>"$tmp/err"
  local got=$?
  [[ $got -eq 2 ]] || fail "limit $* exited $got, expected 2"
  grep -qE -- "$pattern" "$tmp/err" || fail "limit $*: no '$pattern' in $(cat "$tmp/err")"
}

printf '%s\n' '0 alice 1' '5 alice' >"$tmp/short"
expect_usage 'line 2: 2 fields in .5 alice.; expected TIME_MS KEY COST' \
  --policy sliding-log:limit=3,window=1s --trace "$tmp/short"
printf '%s\n' '10 alice 1' '5 alice 1' >"$tmp/backwards"
expect_usage 'line 2: TIME_MS 5 is earlier than 10 on line 1' \
  --policy sliding-log:limit=3,window=1s --trace "$tmp/backwards"
expect_usage "missing burst= \(expected gcra:rate=COUNT/PERIOD,burst=B\)" \
  --policy gcra:rate=2/1s --trace "$tmp/trace"
expect_usage 'limit: 0; must be in \[1, 100000\]' \
  --policy fixed-window:limit=0,window=1s --trace "$tmp/trace"

if [[ $failures -gt 0 ]]; then
  echo "$failures case(s) failed"
  exit 1
fi
echo "all cases passed"
