// Fuzzes the PostgreSQL text-value conversions (pg_result.h): a result shaped by the input's
// first byte (rows, columns, a NULL, or a server error) holding the rest as its text. scalar_bool
// and scalar_int64 give a value or an Error (kProtocol naming what was expected, or the error
// result's kUnavailable with a bounded message); a bigint read prints back as itself.
#include <string>

#include "faultline/backends/postgres/pg_result.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace faultline::fuzz {
namespace {

using backends::postgres::PgResult;

PgResult shaped(std::uint8_t shape, const std::string& text) {
  switch (shape % 5) {
    case 0: return PgResult::server_error("55P03", text);
    case 1: return PgResult::success("SELECT 0", {"v"}, {});
    case 2: return PgResult::success("SELECT 1", {"v"}, {{std::nullopt}});
    case 3: return PgResult::success("SELECT 1", {"v", "w"}, {{text, text}});
    default: return PgResult::success("SELECT 1", {"v"}, {{text}});
  }
}

void check_error(const Error& error, bool server_error) {
  if (server_error) {
    require_error(error, ErrorCode::kUnavailable, "postgres error 55P03:", "to_error");
    require(error.message.size() <= 512 + 3, "to_error: message not bounded");
  } else {
    require_error(error, ErrorCode::kProtocol, "expected ", "scalar conversion");
  }
}

}  // namespace

int fuzz_pg_result(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(as_text(data + 1, size - 1));
  const PgResult result = shaped(data[0], text);
  const Result<bool> flag = backends::postgres::scalar_bool(result);
  if (flag.ok()) {
    require(text == (*flag ? "t" : "f"), "scalar_bool: read something but t or f");
  } else {
    check_error(flag.error(), result.is_error());
  }
  const Result<std::int64_t> number = backends::postgres::scalar_int64(result);
  if (number.ok()) {
    PgResult printed = PgResult::success("SELECT 1", {"v"}, {{std::to_string(*number)}});
    const Result<std::int64_t> again = backends::postgres::scalar_int64(printed);
    require(again.ok() && *again == *number, "scalar_int64: round trip differs: " + text);
  } else {
    check_error(number.error(), result.is_error());
  }
  return 0;
}

}  // namespace faultline::fuzz
