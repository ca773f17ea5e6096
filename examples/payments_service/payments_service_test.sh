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
start_service() {
  local log=$1; shift
  "$binary" --listen 127.0.0.1:0 --redis "127.0.0.1:$redis_port" --postgres "$conninfo" \
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

if ((failures > 0)); then
  echo "$failures check(s) failed; service logs:" >&2
  tail -n 40 "$work"/service*.log >&2
  exit 1
fi
echo "payments_service: all checks passed"
