#include "faultline/backends/postgres/pg_result.h"

#include <charconv>
#include <utility>

namespace faultline::backends::postgres {
namespace {

constexpr std::size_t kMaxMessageBytes = 512;

// The one cell of a 1x1 result, or the Error explaining why there is none.
Result<std::string_view> single_cell(const PgResult& result) {
  if (result.is_error()) return result.to_error();
  if (result.rows().size() != 1 || result.columns().size() != 1) {
    return Error{ErrorCode::kProtocol,
                 "expected one row of one column, got " + std::to_string(result.rows().size()) +
                     " rows of " + std::to_string(result.columns().size()) + " columns"};
  }
  const PgResult::Cell& cell = result.cell(0, 0);
  if (!cell) return Error{ErrorCode::kProtocol, "expected a value, got NULL"};
  return std::string_view(*cell);
}

}  // namespace

PgResult PgResult::success(std::string command_status, std::vector<std::string> columns,
                           std::vector<Row> rows) {
  PgResult result;
  result.command_status_ = std::move(command_status);
  result.columns_ = std::move(columns);
  result.rows_ = std::move(rows);
#ifndef NDEBUG
  for (const Row& row : result.rows_) assert(row.size() == result.columns_.size());
#endif
  return result;
}

PgResult PgResult::server_error(std::string sqlstate, std::string message) {
  assert(!sqlstate.empty());
  PgResult result;
  result.sqlstate_ = std::move(sqlstate);
  result.message_ = std::move(message);
  return result;
}

Error PgResult::to_error() const {
  assert(is_error());
  std::string text = "postgres error " + sqlstate_ + ": " + message_;
  if (text.size() > kMaxMessageBytes) {
    text.resize(kMaxMessageBytes);
    text += "...";
  }
  return unavailable(std::move(text));
}

Result<bool> scalar_bool(const PgResult& result) {
  Result<std::string_view> cell = single_cell(result);
  if (!cell.ok()) return std::move(cell).error();
  if (*cell == "t") return true;
  if (*cell == "f") return false;
  return Error{ErrorCode::kProtocol, "expected a boolean, got '" + std::string(*cell) + "'"};
}

Result<std::int64_t> scalar_int64(const PgResult& result) {
  Result<std::string_view> cell = single_cell(result);
  if (!cell.ok()) return std::move(cell).error();
  std::int64_t value = 0;
  const char* const end = cell->data() + cell->size();
  const auto [ptr, ec] = std::from_chars(cell->data(), end, value);
  if (ec != std::errc() || ptr != end) {
    return Error{ErrorCode::kProtocol, "expected a bigint, got '" + std::string(*cell) + "'"};
  }
  return value;
}

}  // namespace faultline::backends::postgres
