#include "faultline/backends/postgres/idempotency_rows.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <utility>

#include "bytea_hex.h"

namespace faultline::backends::postgres {
namespace {

using idempotency::BeginOutcome;
using idempotency::BeginReply;
using detail::unhex;

// Columns of kBeginSql's RETURNING.
enum BeginColumn : std::size_t {
  kFingerprint,
  kState,
  kOwner,
  kPoint,
  kCreatedHere,
  kData,
  kResponse,
  kLeaseLeftMs,
  kBeginColumns
};

// No client sets a lease longer than kMaxLease. The server's clock may step back and report
// more left; that is read as kMaxLease.
constexpr std::int64_t kMaxLeaseMs =
    std::chrono::duration_cast<std::chrono::milliseconds>(idempotency::kMaxLease).count();

Error malformed(std::string_view operation, std::string what) {
  return Error{ErrorCode::kProtocol, std::string(operation) + ": " + std::move(what)};
}

// A NULL cell reads as "": the columns that may be NULL (data, response) mean "none" by it.
const std::string& text_cell(const PgResult& result, BeginColumn column) {
  static const std::string kNull;
  const PgResult::Cell& cell = result.cell(0, column);
  return cell ? *cell : kNull;
}

// The holder's lease left, in whole milliseconds, or kProtocol unless the text is a bigint. The
// statement rounds up, so a live lease reads at least 1 (0 or less is read as 1: it lapses now,
// and the caller retries after it); more than kMaxLease is read as kMaxLease.
Result<Duration> lease_left(const std::string& text) {
  std::int64_t ms = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return malformed("begin", "lease left '" + text.substr(0, 32) + "' is not a bigint");
  }
  return Duration(std::chrono::milliseconds(std::clamp<std::int64_t>(ms, 1, kMaxLeaseMs)));
}

}  // namespace

Result<BeginReply> decode_begin_row(const PgResult& result, std::string_view fingerprint,
                                    std::string_view owner_hex) {
  if (result.is_error()) return result.to_error();
  if (result.rows().size() != 1 || result.columns().size() != kBeginColumns) {
    return malformed("begin", "expected one row of " + std::to_string(kBeginColumns) +
                                  " columns, got " + std::to_string(result.rows().size()) +
                                  " rows of " + std::to_string(result.columns().size()));
  }
  if (text_cell(result, kFingerprint) != fingerprint) return BeginReply{BeginOutcome::kMismatch};
  if (text_cell(result, kState) == "completed") {
    Result<std::string> response = unhex(text_cell(result, kResponse), "begin: response");
    if (!response.ok()) return std::move(response).error();
    return BeginReply{.outcome = BeginOutcome::kCompleted, .response = std::move(*response)};
  }
  if (text_cell(result, kOwner) != owner_hex) {
    Result<Duration> left = lease_left(text_cell(result, kLeaseLeftMs));
    if (!left.ok()) return std::move(left).error();
    return BeginReply{.outcome = BeginOutcome::kInFlight, .lease_left = *left};
  }
  if (text_cell(result, kCreatedHere) == "t") {
    return BeginReply{.outcome = BeginOutcome::kStarted,
                      .point = std::string(idempotency::kStartedPoint)};
  }
  Result<std::string> data = unhex(text_cell(result, kData), "begin: data");
  if (!data.ok()) return std::move(data).error();
  return BeginReply{.outcome = BeginOutcome::kResumed,
                    .point = text_cell(result, kPoint),
                    .data = std::move(*data)};
}

Result<idempotency::AbandonedPage> decode_abandoned_page(const PgResult& result,
                                                         std::size_t limit) {
  if (result.is_error()) return result.to_error();
  if (result.columns().size() != 5 || result.rows().size() > limit) {
    return malformed("abandoned", "expected at most " + std::to_string(limit) +
                                      " rows of 5 columns, got " +
                                      std::to_string(result.rows().size()) + " rows of " +
                                      std::to_string(result.columns().size()));
  }
  idempotency::AbandonedPage page;
  for (const PgResult::Row& row : result.rows()) {
    for (const PgResult::Cell& cell : row) {
      if (!cell) return malformed("abandoned", "a NULL cell");
    }
    Result<std::string> data = unhex(*row[4], "abandoned: data");
    if (!data.ok()) return std::move(data).error();
    page.requests.push_back({*row[0], *row[1], *row[2], *row[3], std::move(data).value()});
  }
  if (limit > 0 && page.requests.size() == limit) {
    const idempotency::AbandonedRequest& last = page.requests.back();
    page.next_cursor = idempotency::record_key({last.scope, last.key});
  }
  return page;
}

Result<InsertOnce> decode_insert_row(const PgResult& result, std::string_view payload,
                                     std::string_view table) {
  if (result.is_error()) return result.to_error();
  const std::string operation = "insert_once into " + std::string(table);
  if (result.rows().size() != 1 || result.columns().size() != 2 || !result.cell(0, 0) ||
      !result.cell(0, 1)) {
    return malformed(operation, "expected one row of two values, got " +
                                    std::to_string(result.rows().size()) + " rows");
  }
  const std::string& inserted = *result.cell(0, 0);
  if (inserted != "t" && inserted != "f") {
    return malformed(operation, "inserted is '" + inserted.substr(0, 32) + "', not t or f");
  }
  Result<std::string> stored = unhex(*result.cell(0, 1), operation + ": payload");
  if (!stored.ok()) return std::move(stored).error();
  if (inserted == "t") return InsertOnce{InsertOutcome::kInserted, std::move(*stored)};
  const InsertOutcome outcome =
      *stored == payload ? InsertOutcome::kExisting : InsertOutcome::kConflict;
  return InsertOnce{outcome, std::move(*stored)};
}

Result<std::size_t> decode_deleted_count(const PgResult& result) {
  if (result.is_error()) return result.to_error();
  const std::string& status = result.command_status();
  constexpr std::string_view kTag = "DELETE ";
  std::size_t count = 0;
  std::from_chars_result read{status.data(), std::errc::invalid_argument};
  if (status.starts_with(kTag)) {
    read = std::from_chars(status.data() + kTag.size(), status.data() + status.size(), count);
  }
  const auto [end, ec] = read;
  if (ec != std::errc() || end != status.data() + status.size()) {
    return malformed("reap", "unexpected command status '" + status.substr(0, 64) + "'");
  }
  return count;
}

}  // namespace faultline::backends::postgres
