#include "statement_support.h"

#include <charconv>
#include <utility>

#include "faultline/duration_text.h"

namespace faultline::backends::postgres::detail {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 15]);
  }
  return out;
}

Result<std::string> unhex(std::string_view text, std::string_view column) {
  if (text.size() % 2 != 0) {
    return Error{ErrorCode::kProtocol, std::string(column) + ": odd-length hex"};
  }
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = hex_digit(text[i]);
    const int low = hex_digit(text[i + 1]);
    if (high < 0 || low < 0) {
      return Error{ErrorCode::kProtocol, std::string(column) + ": not hex"};
    }
    out.push_back(static_cast<char>((high << 4) | low));
  }
  return out;
}

std::string ms_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

Duration remaining_until(SteadyClock::time_point deadline) {
  return std::chrono::duration_cast<Duration>(deadline - SteadyClock::now());
}

Error deadline_passed(std::string_view what) {
  return Error{ErrorCode::kDeadlineExceeded,
               std::string(what) + ": the deadline passed before the statement was sent"};
}

Task<Result<PgResult>> run_statement(Pool& pool, std::string_view sql,
                                     std::span<const std::string> params, Duration timeout) {
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  Result<PooledConnection> lease = co_await pool.acquire(timeout);
  if (!lease.ok()) co_return std::move(lease).error();
  const Duration remaining = remaining_until(deadline);
  if (remaining <= Duration::zero()) {
    co_return Error{ErrorCode::kDeadlineExceeded, "the deadline of " + duration_text(timeout) +
                                                      " passed before the statement was sent"};
  }
  co_return co_await (*lease)->query(sql, params, remaining);
}

Result<std::size_t> deleted_count(const PgResult& result) {
  if (result.is_error()) return result.to_error();
  const std::string& status = result.command_status();
  const std::size_t space = status.rfind(' ');
  std::size_t count = 0;
  const char* first = status.data() + (space == std::string::npos ? 0 : space + 1);
  const auto [end, ec] = std::from_chars(first, status.data() + status.size(), count);
  if (status.rfind("DELETE ", 0) != 0 || ec != std::errc() ||
      end != status.data() + status.size()) {
    return Error{ErrorCode::kProtocol, "reap: unexpected command status '" + status + "'"};
  }
  return count;
}

Task<Result<void>> begin_transaction(Connection& connection, Duration timeout) {
  if (connection.in_transaction()) {
    co_return failed_precondition("the connection is already in a transaction; nothing sent");
  }
  Result<PgResult> begun = co_await connection.query("BEGIN", timeout);
  if (!begun.ok()) co_return std::move(begun).error();
  if (begun->is_error()) co_return begun->to_error();
  co_return Ok{};
}

Task<Result<void>> commit(Connection& connection, SteadyClock::time_point deadline) {
  const Duration remaining = remaining_until(deadline);
  if (remaining <= Duration::zero()) {
    co_await roll_back(connection, deadline);
    co_return Error{ErrorCode::kDeadlineExceeded,
                    "the deadline passed inside the transaction; rolled back"};
  }
  Result<PgResult> committed = co_await connection.query("COMMIT", remaining);
  if (!committed.ok()) co_return std::move(committed).error();
  if (committed->is_error()) co_return committed->to_error();
  // COMMIT of a failed transaction succeeds as a statement but reports ROLLBACK.
  if (committed->command_status() != "COMMIT") {
    co_return failed_precondition("the transaction had failed and was rolled back (" +
                                  committed->command_status() + ")");
  }
  co_return Ok{};
}

Task<void> roll_back(Connection& connection, SteadyClock::time_point deadline) {
  const Duration remaining = remaining_until(deadline);
  if (remaining <= Duration::zero()) {
    connection.close();
    co_return;
  }
  Result<PgResult> rolled_back = co_await connection.query("ROLLBACK", remaining);
  if (!rolled_back.ok() || rolled_back->is_error()) connection.close();
}

}  // namespace faultline::backends::postgres::detail
