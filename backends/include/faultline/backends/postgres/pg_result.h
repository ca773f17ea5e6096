// PgResult: the outcome of one statement as an owning value (no libpq types leak out).
//
// Contract
//   - A PgResult is either a success (a command status such as "SELECT 1" or "SET", and for
//     row-returning statements the column names and rows) or a server error (the SQLSTATE and
//     the server's primary message). Connection::query() returns both kinds as values, so that
//     callers can act on a SQLSTATE (55P03 lock_not_available, 40001 serialization_failure, ...);
//     it returns an Error only when the statement's fate is unclear or it was never run
//     (see connection.h).
//   - Values are text (the text result format). SQL NULL is std::nullopt.
//   - Accessing rows of an error result, or a cell out of range, is a programming error
//     (asserted): check is_error() first, or use the scalar helpers below, which check for you.
//
// Thread-safety: a value type.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/result.h"

namespace faultline::backends::postgres {

class PgResult {
 public:
  using Cell = std::optional<std::string>;
  using Row = std::vector<Cell>;

  // A successful statement. Every row has exactly columns.size() cells (asserted).
  [[nodiscard]] static PgResult success(std::string command_status,
                                        std::vector<std::string> columns, std::vector<Row> rows);
  // A statement the server rejected or aborted. `sqlstate` is the five-character code.
  [[nodiscard]] static PgResult server_error(std::string sqlstate, std::string message);

  [[nodiscard]] bool is_error() const noexcept { return !sqlstate_.empty(); }
  // The SQLSTATE of an error result ("55P03"); empty for a success.
  [[nodiscard]] const std::string& sqlstate() const noexcept { return sqlstate_; }
  // The server's primary message of an error result; empty for a success.
  [[nodiscard]] const std::string& error_message() const noexcept { return message_; }
  // The command tag of a success ("SELECT 2", "INSERT 0 1", "BEGIN").
  [[nodiscard]] const std::string& command_status() const noexcept { return command_status_; }

  [[nodiscard]] const std::vector<std::string>& columns() const {
    assert(!is_error());
    return columns_;
  }
  [[nodiscard]] const std::vector<Row>& rows() const {
    assert(!is_error());
    return rows_;
  }
  [[nodiscard]] const Cell& cell(std::size_t row, std::size_t column) const {
    assert(!is_error() && row < rows_.size() && column < rows_[row].size());
    return rows_[row][column];
  }

  // The Error for an error result: kUnavailable (a failed statement is rolled back; in an
  // explicit transaction the whole transaction is then aborted), message
  // "postgres error SQLSTATE: message" cut to a bounded length.
  [[nodiscard]] Error to_error() const;

  friend bool operator==(const PgResult&, const PgResult&) = default;

 private:
  std::string command_status_;
  std::vector<std::string> columns_;
  std::vector<Row> rows_;
  std::string sqlstate_;
  std::string message_;
};

// The one value of a one-row, one-column result, parsed: a boolean ("t"/"f") or a bigint.
// An error result gives its to_error(); any other shape (no row, NULL, not a number) kProtocol.
[[nodiscard]] Result<bool> scalar_bool(const PgResult& result);
[[nodiscard]] Result<std::int64_t> scalar_int64(const PgResult& result);

// Well-known SQLSTATEs this backend acts on.
inline constexpr std::string_view kSqlStateLockNotAvailable = "55P03";
inline constexpr std::string_view kSqlStateUndefinedTable = "42P01";
inline constexpr std::string_view kSqlStateDuplicateTable = "42P07";
inline constexpr std::string_view kSqlStateUniqueViolation = "23505";
inline constexpr std::string_view kSqlStateQueryCanceled = "57014";

}  // namespace faultline::backends::postgres
