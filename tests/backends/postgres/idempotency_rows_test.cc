// The PostgreSQL idempotency stores' result decoders (idempotency_rows.h), without a server: each
// outcome read from the row the statement returns, and every malformed result refused with
// kProtocol naming what was wrong (the fuzz target tests/fuzz/pg_store_rows.cc tries the rest).
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "faultline/backends/postgres/idempotency_rows.h"

namespace faultline::backends::postgres {
namespace {

using namespace std::chrono_literals;
using idempotency::BeginOutcome;
using idempotency::BeginReply;

// kBeginSql's row: fingerprint, state, owner, point, created here, data, response, lease ms.
PgResult begin_row(std::string state, std::string owner, PgResult::Cell data,
                   PgResult::Cell response, std::string lease_ms, std::string created = "f") {
  const std::vector<std::string> columns(8, "c");
  return PgResult::success("INSERT 0 1", columns,
                           {{"fp", std::move(state), std::move(owner), "charged",
                             std::move(created), std::move(data), std::move(response),
                             std::move(lease_ms)}});
}

void expect_protocol(const Result<BeginReply>& got, const std::string& what) {
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(got.error().message.rfind("begin: ", 0), 0u) << got.error().message;
  EXPECT_NE(got.error().message.find(what), std::string::npos) << got.error().message;
}

TEST(PgIdempotencyRows, ABeginRowReadsAsEachOutcome) {
  const auto row = [](PgResult r) { return decode_begin_row(r, "fp", "00"); };
  EXPECT_EQ(decode_begin_row(begin_row("in_progress", "00", {}, {}, "5"), "other", "00")->outcome,
            BeginOutcome::kMismatch);
  const Result<BeginReply> started = row(begin_row("in_progress", "00", {}, {}, "5", "t"));
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  EXPECT_EQ(started->outcome, BeginOutcome::kStarted);
  const Result<BeginReply> resumed = row(begin_row("in_progress", "00", "6368", {}, "5"));
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->outcome, BeginOutcome::kResumed);
  EXPECT_EQ(resumed->point, "charged");
  EXPECT_EQ(resumed->data, "ch");
  const Result<BeginReply> completed = row(begin_row("completed", "ff", {}, "6f6b", "0"));
  ASSERT_TRUE(completed.ok());
  EXPECT_EQ(completed->outcome, BeginOutcome::kCompleted);
  EXPECT_EQ(completed->response, "ok");
  const Result<BeginReply> in_flight = row(begin_row("in_progress", "ff", {}, {}, "1500"));
  ASSERT_TRUE(in_flight.ok());
  EXPECT_EQ(in_flight->outcome, BeginOutcome::kInFlight);
  EXPECT_EQ(in_flight->lease_left, 1500ms);
  // Rounded up by the statement, so 0 means "lapsing now": the caller waits a millisecond.
  EXPECT_EQ(row(begin_row("in_progress", "ff", {}, {}, "0"))->lease_left, 1ms);
  // More than any lease (the server's clock stepped back) reads as the longest lease; before
  // the clamp, the second overflowed when converted to nanoseconds.
  EXPECT_EQ(row(begin_row("in_progress", "ff", {}, {}, "3600001"))->lease_left,
            idempotency::kMaxLease);
  EXPECT_EQ(row(begin_row("in_progress", "ff", {}, {}, "99999999999999999"))->lease_left,
            idempotency::kMaxLease);
}

TEST(PgIdempotencyRows, AMalformedBeginRowIsAProtocolErrorNamingWhatWasWrong) {
  const auto row = [](PgResult r) { return decode_begin_row(r, "fp", "00"); };
  expect_protocol(row(PgResult::success("INSERT 0 0", std::vector<std::string>(8, "c"), {})),
                  "expected one row of 8 columns, got 0 rows");
  expect_protocol(row(PgResult::success("INSERT 0 1", {"c"}, {{"fp"}})), "rows of 1");
  expect_protocol(row(begin_row("in_progress", "ff", {}, {}, "")), "is not a bigint");
  expect_protocol(row(begin_row("in_progress", "ff", {}, {}, "12ms")), "is not a bigint");
  expect_protocol(row(begin_row("in_progress", "ff", {}, {}, "99999999999999999999")),
                  "is not a bigint");
  expect_protocol(row(begin_row("completed", "ff", {}, "6f6", "0")), "odd-length hex");
  expect_protocol(row(begin_row("in_progress", "00", "zz", {}, "5")), "not hex");
  const Result<BeginReply> failed = row(PgResult::server_error("40001", "could not serialize"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
}

TEST(PgIdempotencyRows, AnAbandonedPageHoldsItsRowsAndACursorWhenFull) {
  const std::vector<std::string> columns(5, "c");
  const PgResult two = PgResult::success(
      "SELECT 2", columns, {{"s", "a", "fp", "p", "6162"}, {"s", "b", "fp", "p", ""}});
  const Result<idempotency::AbandonedPage> full = decode_abandoned_page(two, 2);
  ASSERT_TRUE(full.ok()) << full.error().to_string();
  ASSERT_EQ(full->requests.size(), 2u);
  EXPECT_EQ(full->requests[0].data, "ab");
  EXPECT_EQ(full->next_cursor, idempotency::record_key({"s", "b"}));
  EXPECT_TRUE(decode_abandoned_page(two, 3)->next_cursor.empty());
  EXPECT_EQ(decode_abandoned_page(two, 1).error().code, ErrorCode::kProtocol);
  const PgResult null_cell =
      PgResult::success("SELECT 1", columns, {{"s", std::nullopt, "fp", "p", ""}});
  EXPECT_NE(decode_abandoned_page(null_cell, 2).error().message.find("a NULL cell"),
            std::string::npos);
}

TEST(PgIdempotencyRows, AnInsertRowTellsInsertedExistingAndConflict) {
  const auto row = [](std::string inserted, std::string stored) {
    return PgResult::success("INSERT 0 1", {"inserted", "payload"},
                             {{std::move(inserted), std::move(stored)}});
  };
  EXPECT_EQ(decode_insert_row(row("t", "6162"), "ab", "t")->outcome, InsertOutcome::kInserted);
  EXPECT_EQ(decode_insert_row(row("f", "6162"), "ab", "t")->outcome, InsertOutcome::kExisting);
  const Result<InsertOnce> conflict = decode_insert_row(row("f", "6364"), "ab", "t");
  ASSERT_TRUE(conflict.ok());
  EXPECT_EQ(conflict->outcome, InsertOutcome::kConflict);
  EXPECT_EQ(conflict->payload, "cd");
  const Result<InsertOnce> neither = decode_insert_row(row("yes", "6162"), "ab", "orders");
  ASSERT_FALSE(neither.ok());
  EXPECT_EQ(neither.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(neither.error().message, "insert_once into orders: inserted is 'yes', not t or f");
}

TEST(PgIdempotencyRows, ADeleteStatusGivesItsCount) {
  const auto status = [](std::string s) {
    return decode_deleted_count(PgResult::success(std::move(s), {}, {}));
  };
  EXPECT_EQ(*status("DELETE 12"), 12u);
  EXPECT_EQ(*status("DELETE 0"), 0u);
  for (const char* bad : {"", "DELETE", "DELETE ", "DELETE -1", "DELETE 1 2", "UPDATE 3",
                          "DELETE 99999999999999999999999"}) {
    const Result<std::size_t> got = status(bad);
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_EQ(got.error().code, ErrorCode::kProtocol) << bad;
    EXPECT_EQ(got.error().message.rfind("reap: unexpected command status", 0), 0u) << bad;
  }
}

}  // namespace
}  // namespace faultline::backends::postgres
