// Helpers the PostgreSQL stores share (internal): deadlines, one statement on
// a pooled connection, and the transaction steps (BEGIN, COMMIT, ROLLBACK) with their checks.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "faultline/backends/postgres/connection.h"
#include "faultline/backends/postgres/pg_result.h"
#include "faultline/backends/postgres/pool.h"
#include "faultline/clock.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::backends::postgres::detail {

using SteadyClock = std::chrono::steady_clock;

[[nodiscard]] std::string ms_text(Duration d);
[[nodiscard]] Duration remaining_until(SteadyClock::time_point deadline);
// kDeadlineExceeded "<what>: the deadline passed ...".
[[nodiscard]] Error deadline_passed(std::string_view what);

// One statement on a pooled connection; `timeout` bounds the wait for the connection too.
// `params` must stay alive until the task completes.
[[nodiscard]] Task<Result<PgResult>> run_statement(Pool& pool, std::string_view sql,
                                                   std::span<const std::string> params,
                                                   Duration timeout);

// BEGIN on an idle connection (kFailedPrecondition when it is already in a transaction).
[[nodiscard]] Task<Result<void>> begin_transaction(Connection& connection, Duration timeout);
// COMMIT within what is left: Ok when committed; kFailedPrecondition when the transaction had
// failed (COMMIT answered ROLLBACK); kOutcomeUnknown when no answer came (it may have
// committed); kDeadlineExceeded (rolled back) when nothing is left.
[[nodiscard]] Task<Result<void>> commit(Connection& connection,
                                        SteadyClock::time_point deadline);
// ROLLBACK within what is left; failing that, closes the connection (the server then aborts
// the transaction itself).
[[nodiscard]] Task<void> roll_back(Connection& connection, SteadyClock::time_point deadline);

}  // namespace faultline::backends::postgres::detail
