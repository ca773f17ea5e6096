// The SQL behind PgIdempotencyStore (idempotency_store.h says what each operation does and why
// it is one statement). Public so that a benchmark can run exactly these statements through
// pgbench (bench/postgres_idempotency_bench.cc); the store is the only other user. Parameters
// are sent as text ($n, extended protocol); owners, data and responses travel hex-encoded.
#pragma once

#include <string_view>

namespace faultline::backends::postgres::idempotency_sql {

inline constexpr std::string_view kCreateTableSql =
    "CREATE TABLE IF NOT EXISTS faultline_idempotency (scope text NOT NULL, key text NOT NULL, "
    "fingerprint text NOT NULL, state text NOT NULL, point text NOT NULL, data bytea, owner text, "
    "lease_until timestamptz NOT NULL, created timestamptz NOT NULL, "
    "expires timestamptz NOT NULL, response bytea, PRIMARY KEY (scope, key))";
inline constexpr std::string_view kCreateIndexSql =
    "CREATE INDEX IF NOT EXISTS faultline_idempotency_expires ON faultline_idempotency (expires)";
// For kAbandonedSql: the requests in progress alone, in key order, so that listing them costs
// what is in progress, not the whole table of completed records.
inline constexpr std::string_view kCreateInProgressIndexSql =
    "CREATE INDEX IF NOT EXISTS faultline_idempotency_in_progress ON faultline_idempotency "
    "(scope, key) WHERE state = 'in_progress'";

// $1 scope, $2 key, $3 fingerprint, $4 owner (hex), $5 lease ms, $6 retention ms, $7 the
// started point. In SET, r.* is the row as it was; `expired` replaces it wholesale, `take`
// (same fingerprint, in progress, held by $4 or its lease lapsed) leases it to $4; anything
// else writes it back unchanged. data is NULL exactly on a row this statement created.
inline constexpr std::string_view kBeginSql =
    "INSERT INTO faultline_idempotency AS r (scope, key, fingerprint, state, point, data, owner, "
    "lease_until, created, expires, response) "
    "VALUES ($1, $2, $3, 'in_progress', $7, NULL, $4, "
    "now() + $5::bigint * interval '1 millisecond', now(), "
    "now() + $6::bigint * interval '1 millisecond', NULL) "
    "ON CONFLICT (scope, key) DO UPDATE SET "
    "fingerprint = CASE WHEN r.expires <= now() THEN excluded.fingerprint ELSE r.fingerprint END, "
    "state = CASE WHEN r.expires <= now() THEN excluded.state ELSE r.state END, "
    "point = CASE WHEN r.expires <= now() THEN excluded.point ELSE r.point END, "
    "data = CASE WHEN r.expires <= now() THEN NULL "
    "  WHEN r.fingerprint = excluded.fingerprint AND r.state = 'in_progress' "
    "   AND (r.owner = excluded.owner OR r.lease_until <= now()) "
    "  THEN COALESCE(r.data, ''::bytea) ELSE r.data END, "
    "owner = CASE WHEN r.expires <= now() OR (r.fingerprint = excluded.fingerprint "
    "   AND r.state = 'in_progress' AND (r.owner = excluded.owner OR r.lease_until <= now())) "
    "  THEN excluded.owner ELSE r.owner END, "
    "lease_until = CASE WHEN r.expires <= now() OR (r.fingerprint = excluded.fingerprint "
    "   AND r.state = 'in_progress' AND (r.owner = excluded.owner OR r.lease_until <= now())) "
    "  THEN excluded.lease_until ELSE r.lease_until END, "
    "created = CASE WHEN r.expires <= now() THEN excluded.created ELSE r.created END, "
    "expires = CASE WHEN r.expires <= now() THEN excluded.expires ELSE r.expires END, "
    "response = CASE WHEN r.expires <= now() THEN NULL ELSE r.response END "
    "RETURNING r.fingerprint, r.state, r.owner, r.point, r.data IS NULL, encode(r.data, 'hex'), "
    "CASE WHEN r.state = 'completed' AND r.fingerprint = $3 THEN encode(r.response, 'hex') END, "
    "ceil(extract(epoch FROM r.lease_until - now()) * 1000)::bigint";

// Every holder's operation acts only on a row in progress, leased to $3, within retention.
// $1 scope, $2 key, $3 owner (hex), $4 point, $5 data (hex), $6 lease ms.
inline constexpr std::string_view kCheckpointSql =
    "UPDATE faultline_idempotency SET point = $4, data = decode($5, 'hex'), "
    "lease_until = now() + $6::bigint * interval '1 millisecond' "
    "WHERE scope = $1 AND key = $2 AND state = 'in_progress' AND owner = $3 AND expires > now() "
    "RETURNING 1";
// $1 scope, $2 key, $3 owner (hex), $4 response (hex).
inline constexpr std::string_view kCompleteSql =
    "UPDATE faultline_idempotency SET state = 'completed', response = decode($4, 'hex'), "
    "owner = NULL "
    "WHERE scope = $1 AND key = $2 AND state = 'in_progress' AND owner = $3 AND expires > now() "
    "RETURNING 1";
// $1 scope, $2 key, $3 owner (hex).
inline constexpr std::string_view kReleaseSql =
    "DELETE FROM faultline_idempotency "
    "WHERE scope = $1 AND key = $2 AND state = 'in_progress' AND owner = $3 AND expires > now() "
    "RETURNING 1";

// $1 limit. SKIP LOCKED: a row a concurrent begin is replacing is left to it; the outer
// condition is checked again on the row as it is when deleted. The batch is chosen once, in a
// CTE: as `ctid IN (subquery)` the planner may rescan LIMIT ... SKIP LOCKED, pick other rows
// and delete more than $1 (seen under load in the conformance suite).
inline constexpr std::string_view kReapSql =
    "WITH batch AS (SELECT ctid FROM faultline_idempotency WHERE expires <= now() "
    "LIMIT $1::bigint FOR UPDATE SKIP LOCKED) DELETE FROM faultline_idempotency r USING batch "
    "WHERE r.ctid = batch.ctid AND r.expires <= now()";

// $1 scope, $2 key of the cursor (both '' to begin: no scope is empty), $3 the page's size.
// Keyset pagination over the partial index of requests in progress: a page costs the requests
// in progress it walks past (those whose lease is live are skipped), never the completed ones.
inline constexpr std::string_view kAbandonedSql =
    "SELECT scope, key, fingerprint, point, encode(coalesce(data, ''::bytea), 'hex') "
    "FROM faultline_idempotency WHERE (scope, key) > ($1, $2) AND state = 'in_progress' "
    "AND lease_until <= now() AND expires > now() ORDER BY scope, key LIMIT $3::bigint";

}  // namespace faultline::backends::postgres::idempotency_sql
