#!/usr/bin/env bash
# payments_service_test.sh BINARY: drives the real service with curl (a real HTTP client) on a
# loopback port the service picks, against the Redis and PostgreSQL that scripts/test-all.sh
# starts (FAULTLINE_REDIS_PORTS, FAULTLINE_PG_*). Judges from the outside: HTTP answers, rows in
# PostgreSQL (psql), and the processor's log lines. Skips (77) without the servers.
set -euo pipefail
binary=$1
if [[ -z "${FAULTLINE_REDIS_PORTS:-}" || -z "${FAULTLINE_PG_PORT:-}" ]]; then
  echo "SKIP: run via scripts/postgres-server.sh run -- scripts/redis-servers.sh run -- ..."
  exit 77
fi
redis_port=${FAULTLINE_REDIS_PORTS%%,*}
export PGPASSWORD=$FAULTLINE_PG_PASSWORD
conninfo="host=$FAULTLINE_PG_HOST port=$FAULTLINE_PG_PORT dbname=$FAULTLINE_PG_DB user=$FAULTLINE_PG_USER password=$FAULTLINE_PG_PASSWORD sslmode=disable"
work=$(mktemp -d)
pid=""
stop_service() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" || true; fi
  pid=""
}
trap 'stop_service; rm -rf "$work"' EXIT
run=$RANDOM$RANDOM  # keys and callers unique to this run: the servers are shared
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

sql() { psql -X -q -t -A -h "$FAULTLINE_PG_HOST" -p "$FAULTLINE_PG_PORT" -U "$FAULTLINE_PG_USER" -d "$FAULTLINE_PG_DB" -c "$1"; }

# start_service LOG [FLAGS...]: starts it on a free port (it prints the one it picked); sets url.
# Its Redis: $service_redis_port, else the test's.
start_service() {
  local log=$1; shift
  "$binary" --listen 127.0.0.1:0 --redis "127.0.0.1:${service_redis_port:-$redis_port}" \
    --postgres "$conninfo" \
    --processor-latency 300ms "$@" 2>"$log" &
  pid=$!
  for _ in $(seq 100); do
    if grep -q "listening on" "$log"; then break; fi
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "FAIL: the service did not start" >&2; exit 1; }
    sleep 0.1
  done
  url="http://$(grep -o 'listening on [0-9.]*:[0-9]*' "$log" | head -1 | cut -d' ' -f3)"
  if grep -q "$FAULTLINE_PG_PASSWORD " "$log" 2>/dev/null && [[ ${#FAULTLINE_PG_PASSWORD} -ge 6 ]]; then
    fail "the log holds the password"
  fi
  grep -q "password=<redacted>" "$log" || fail "the log does not show the conninfo redacted"
}

# post NAME CALLER KEY BODY: POSTs; leaves NAME.status, NAME.headers, NAME.body in $work.
# CALLER or KEY "-" leaves that header out.
post() {
  local name=$1 caller=$2 key=$3 body=$4 args=()
  [[ "$caller" != "-" ]] && args+=(-H "Authorization: Bearer $caller")
  [[ "$key" != "-" ]] && args+=(-H "Idempotency-Key: $key")
  curl -sS -o "$work/$name.body" -D "$work/$name.headers" -w '%{http_code}' \
    -H 'Content-Type: application/json' "${args[@]}" --data-binary "$body" \
    "$url/payments" >"$work/$name.status"
}
# get NAME CALLER ID: GETs /payments/ID; leaves NAME.status, NAME.headers, NAME.body in $work.
get() {
  curl -sS -o "$work/$1.body" -D "$work/$1.headers" -w '%{http_code}' \
    -H "Authorization: Bearer $2" "$url/payments/$3" >"$work/$1.status"
}
status() { cat "$work/$1.status"; }
header() { grep -i "^$2:" "$work/$1.headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
json_field() { sed -n "s/.*\"$2\":\"\\{0,1\\}\\([^\",]*\\).*/\\1/p" "$work/$1.body"; }
expect_status() {  # NAME WANT WHAT
  local got; got=$(status "$1")
  [[ "$got" == "$2" ]] || fail "$3: status $got, expected $2; body: $(cat "$work/$1.body")"
}
expect_problem() {  # NAME STATUS FIELD-TEXT WHAT: a problem+json whose detail names FIELD-TEXT
  expect_status "$1" "$2" "$4"
  [[ "$(header "$1" Content-Type)" == application/problem+json* ]] ||
    fail "$4: content type $(header "$1" Content-Type)"
  grep -q "\"detail\":\"[^\"]*$3" "$work/$1.body" || fail "$4: detail does not name '$3': $(cat "$work/$1.body")"
}
payments_of() { sql "SELECT count(*) FROM payments WHERE caller = '$1'"; }

body='{"amount":1050,"currency":"EUR","customer":"cus_1"}'
same_body=' { "customer" : "cus_1", "currency":"EUR",  "amount": 1050 } '
a="alice$run" b="bob$run"

# --- one service: fresh, replay, mismatch, bad input, scoping, GET --------------------------
start_service "$work/service1.log"
post fresh "$a" "key-$run-1" "$body"
expect_status fresh 201 "a new payment"
id=$(json_field fresh id)
[[ "$id" == pay_* ]] || fail "201 without a payment id: $(cat "$work/fresh.body")"
[[ -z "$(header fresh Idempotent-Replayed)" ]] || fail "a fresh answer says it is replayed"
# The default limit per caller, gcra:rate=100/1s,burst=50: 51 at once, w = 51 / 100 per s.
[[ "$(header fresh RateLimit-Policy)" == '"caller";q=51;w=1' ]] || fail "the default RateLimit-Policy: '$(header fresh RateLimit-Policy)'"
[[ "$(header fresh RateLimit)" == '"caller";r=50;t=1' ]] || fail "the default RateLimit: '$(header fresh RateLimit)'"

post replay "$a" "key-$run-1" "$same_body"  # the same request, differently spelled
expect_status replay 201 "the retry"
cmp -s "$work/fresh.body" "$work/replay.body" || fail "the replay's body differs from the first"
[[ "$(header replay Idempotent-Replayed)" == true ]] || fail "the replay lacks Idempotent-Replayed: true"

post other "$a" "key-$run-1" '{"amount":999,"currency":"EUR","customer":"cus_1"}'
expect_problem other 422 "Idempotency-Key" "a different body under the same key"

post nokey "$a" - "$body";                        expect_problem nokey 400 "Idempotency-Key" "no key"
post emptykey "$a" '""' "$body";                  expect_problem emptykey 400 "Idempotency-Key" "an empty key"
post longkey "$a" "$(head -c 300 /dev/zero | tr '\0' k)" "$body"
expect_problem longkey 400 "Idempotency-Key" "a 300-byte key"
post badkey "$a" '"unterminated' "$body";         expect_problem badkey 400 "Idempotency-Key" "a malformed key"
post notjson "$a" "key-$run-2" 'amount=1';        expect_problem notjson 400 "body" "a body that is not JSON"
post unknown "$a" "key-$run-3" '{"amount":1,"currency":"EUR","customer":"c","tip":5}'
expect_problem unknown 400 "tip" "an unknown field"
post badamount "$a" "key-$run-4" '{"amount":10.5,"currency":"EUR","customer":"c"}'
expect_problem badamount 400 "amount" "a fractional amount"
post badcur "$a" "key-$run-5" '{"amount":1,"currency":"eur","customer":"c"}'
expect_problem badcur 400 "currency" "a lowercase currency"
post nocaller - "key-$run-6" "$body";             expect_problem nocaller 401 "Authorization" "no Authorization"
post badcaller 'a b' "key-$run-7" "$body";        expect_problem badcaller 400 "Authorization" "a malformed caller"
post huge "$a" "key-$run-8" "{\"customer\":\"$(head -c 20000 /dev/zero | tr '\0' c)\"}"
expect_problem huge 413 "body" "a body over --max-body-bytes"
[[ "$(payments_of "$a")" == 1 ]] || fail "caller A has $(payments_of "$a") payments, expected 1 (bad input must store nothing)"

post scoped "$b" "key-$run-1" "$body"  # B reuses A's key: B's own payment, never A's answer
expect_status scoped 201 "caller B with caller A's key"
[[ "$(json_field scoped id)" != "$id" ]] || fail "caller B got caller A's payment"
[[ -z "$(header scoped Idempotent-Replayed)" ]] || fail "caller B got a replay of caller A's answer"

got=$(curl -sS -w ' %{http_code}' -H "Authorization: Bearer $a" "$url/payments/$id")
[[ "$got" == *'"id":"'"$id"'"'*' 200' && "$got" == *'"status":"succeeded"'* ]] || fail "GET $id: $got"
got=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $b" "$url/payments/$id")
[[ "$got" == 404 ]] || fail "caller B can read caller A's payment (status $got)"
[[ "$(grep -c 'new charge' "$work/service1.log")" == 2 ]] || fail "expected 2 charges (A and B)"

# --- 20 concurrent duplicates: one payment, one charge ---------------------------------------
key="key-$run-concurrent"
curls=()
for i in $(seq 20); do
  post "dup$i" "$a" "$key" '{"amount":77,"currency":"USD","customer":"cus_2"}' &
  curls+=($!)
done
wait "${curls[@]}"  # not a bare `wait`: that would wait for the service too
fresh_count=0
for i in $(seq 20); do
  s=$(status "dup$i")
  if [[ "$s" == 201 && -z "$(header "dup$i" Idempotent-Replayed)" ]]; then fresh_count=$((fresh_count + 1))
  elif [[ "$s" == 409 ]]; then [[ -n "$(header "dup$i" Retry-After)" ]] || fail "a 409 without Retry-After"
  elif [[ "$s" != 201 ]]; then fail "duplicate $i answered $s: $(cat "$work/dup$i.body")"; fi
done
[[ $fresh_count -le 1 ]] || fail "$fresh_count duplicates were executed, expected at most 1"
post dupafter "$a" "$key" '{"amount":77,"currency":"USD","customer":"cus_2"}'
expect_status dupafter 201 "the retry after the duplicates"
rows=$(sql "SELECT count(*) FROM payments WHERE caller = '$a' AND idem_key = '$key'")
[[ "$rows" == 1 ]] || fail "20 concurrent duplicates made $rows payments"
[[ "$(grep -c 'new charge' "$work/service1.log")" == 3 ]] || fail "the duplicates charged more than once"
stop_service

# --- the processor fails its first 2 calls (more than the retry's 2 attempts... exactly 2) ---
start_service "$work/service2.log" --fail-first 2
key="key-$run-flaky"
post flaky1 "$a" "$key" "$body"
expect_problem flaky1 503 "nothing was stored" "the processor's 503s reach the client"
[[ -n "$(header flaky1 Retry-After)" ]] || fail "the 503 lacks Retry-After"
post flaky2 "$a" "$key" "$body"
expect_status flaky2 201 "the client's retry with the same key"
[[ -z "$(header flaky2 Idempotent-Replayed)" ]] || fail "the 503 was stored and replayed"
rows=$(sql "SELECT count(*) FROM payments WHERE caller = '$a' AND idem_key = '$key' AND charge_id IS NOT NULL")
[[ "$rows" == 1 ]] || fail "after a 503 and a retry: $rows charged payments, expected 1"
[[ "$(grep -c 'new charge' "$work/service2.log")" == 1 ]] || fail "after a 503 and a retry: not exactly one charge"
stop_service

# --- rate limits: a tight limit per caller; 429 with the fields; a refusal stores nothing -----
# rl_param NAME POLICY PARAM: PARAM (r, t) of POLICY's member in NAME's RateLimit field.
rl_param() { header "$1" RateLimit | tr ',' '\n' | grep "\"$2\"" | grep -o ";$3=[0-9]*" | cut -d= -f2; }
record_of() { redis-cli -p "$redis_port" exists "idem:${#1}:$1:$2"; }  # CALLER KEY: 1 or 0
c="carol$run" d="dave$run"
start_service "$work/service3.log" --rate-limit sliding-log:limit=3,window=2s --rate-limit-headers both
post rl1 "$c" "key-$run-rl1" "$body";  expect_status rl1 201 "caller C's 1st request"
get rl2 "$c" "$(json_field rl1 id)";   expect_status rl2 200 "caller C's 2nd request (a GET)"
post rl3 "$c" "key-$run-rl3" "$body";  expect_status rl3 201 "caller C's 3rd request"
[[ "$(rl_param rl1 caller r),$(rl_param rl2 caller r),$(rl_param rl3 caller r)" == 2,1,0 ]] ||
  fail "RateLimit over 3 requests: $(header rl1 RateLimit) / $(header rl2 RateLimit) / $(header rl3 RateLimit)"
[[ "$(header rl1 RateLimit-Policy)" == '"caller";q=3;w=2' ]] || fail "RateLimit-Policy: $(header rl1 RateLimit-Policy)"
[[ "$(header rl3 RateLimit-Remaining)" == 0 ]] || fail "--rate-limit-headers both: RateLimit-Remaining '$(header rl3 RateLimit-Remaining)'"
post rl4 "$c" "key-$run-rl4" "$body"
expect_status rl4 429 "caller C's 4th request within the window"
[[ "$(header rl4 Content-Type)" == application/problem+json* ]] || fail "the 429's content type: $(header rl4 Content-Type)"
grep -q '"violated-policies":\["caller"\]' "$work/rl4.body" || fail "the 429 does not name the caller policy: $(cat "$work/rl4.body")"
retry=$(header rl4 Retry-After) t=$(rl_param rl4 caller t)
[[ "$retry" =~ ^[0-9]+$ && "$t" =~ ^[0-9]+$ && $retry -ge $t && $retry -ge 1 ]] ||
  fail "Retry-After '$retry' is before t '$t' of the violated policy ($(header rl4 RateLimit))"
[[ "$(sql "SELECT count(*) FROM payments WHERE caller = '$c' AND idem_key = 'key-$run-rl4'")" == 0 ]] ||
  fail "the refused request made a payment"
[[ "$(record_of "$c" "key-$run-rl4")" == 0 ]] || fail "the refused request left an idempotency record"
[[ "$(record_of "$c" "key-$run-rl3")" == 1 ]] || fail "an allowed request left no idempotency record (the key's form?)"
post rl_d "$d" "key-$run-rl4" "$body"
expect_status rl_d 201 "caller D meanwhile (a budget of its own)"
[[ "$(rl_param rl_d caller r)" == 2 ]] || fail "caller D's RateLimit: $(header rl_d RateLimit)"
sleep "${retry:-2}"
post rl5 "$c" "key-$run-rl4" "$body"
expect_status rl5 201 "caller C after waiting Retry-After"
[[ "$(grep -c 'new charge' "$work/service3.log")" == 4 ]] || fail "expected 4 charges (C's 3 POSTs allowed, D's)"
long_caller="$(head -c 150 /dev/zero | tr '\0' L)$run"  # past 64 bytes: its limiter key is a hash
get rl_long "$long_caller" pay_1
expect_status rl_long 404 "a long caller's GET"
[[ "$(rl_param rl_long caller r)" == 2 ]] || fail "a long caller's RateLimit: $(header rl_long RateLimit)"
! grep -q "$c" "$work/service3.log" || fail "the log holds a caller's bearer token"
stop_service

# --- the limits while Redis is away: closed is 503 (never 429), open allows, fallback decides ---
service_redis_port=1  # nothing listens there
start_service "$work/service4.log" --rate-limit-outage closed
get closed "$c" pay_1
expect_problem closed 503 "limits" "fail-closed while Redis is away"
grep -q "rate-limit store lost" "$work/service4.log" || fail "the limiter's outage is not in the log"
stop_service
start_service "$work/service5.log" --rate-limit-outage open
get open "$c" pay_1
expect_status open 404 "fail-open while Redis is away (a GET needs PostgreSQL only)"
[[ -z "$(header open RateLimit)" ]] || fail "fail-open decided nothing but sent RateLimit: $(header open RateLimit)"
stop_service
# fallback (the default), with a global limit too: both tiers decided in this process.
start_service "$work/service6.log" --rate-limit sliding-log:limit=1,window=1m \
  --rate-limit-global sliding-log:limit=2,window=1m
get local1 "$c" pay_1
expect_status local1 404 "the fallback's first request"
[[ "$(header local1 RateLimit)" == '"caller";r=0;t=60, "global";r=1;t=60' ]] ||
  fail "the fallback's RateLimit: $(header local1 RateLimit)"
get local2 "$c" pay_1
expect_status local2 429 "the fallback's second request from one caller"
grep -q '"violated-policies":\["caller"\]' "$work/local2.body" || fail "local2: $(cat "$work/local2.body")"
get local3 "$d" pay_1
expect_status local3 404 "another caller, within the global limit (the refusal charged nothing)"
get local4 "long$run" pay_1
expect_status local4 429 "a third caller, past the global limit"
grep -q '"violated-policies":\["global"\]' "$work/local4.body" || fail "local4: $(cat "$work/local4.body")"
stop_service
unset service_redis_port

# --- bad rate-limit flags: exit 2, naming the flag and what was wrong -------------------------
bad_flag() {  # WANT-IN-MESSAGE FLAGS...
  local want=$1 out rc=0; shift
  out=$("$binary" --postgres "$conninfo" "$@" 2>&1) || rc=$?
  [[ $rc == 2 && "$out" == *"$want"* ]] || fail "$*: exit $rc, '$out' (expected 2 and '$want')"
}
bad_flag "--rate-limit: policy 'gcra:rate=10/1s': missing burst=" --rate-limit gcra:rate=10/1s
bad_flag "--rate-limit-global: policy 'sliding-log:limit=0,window=1s': limit: 0" --rate-limit-global sliding-log:limit=0,window=1s
bad_flag "--rate-limit: policy 'leaky': expected ALGORITHM:FIELDS" --rate-limit leaky
bad_flag "--rate-limit-outage: 'maybe' is not one of" --rate-limit-outage maybe
bad_flag "--rate-limit-headers: 'new' is not one of" --rate-limit-headers new

if ((failures > 0)); then
  echo "$failures check(s) failed; service logs:" >&2
  tail -n 40 "$work"/service*.log >&2
  exit 1
fi
echo "payments_service: all checks passed"
