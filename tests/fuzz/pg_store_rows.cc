// Fuzzes the PostgreSQL idempotency stores' result decoders (idempotency_rows.h) on whatever
// result a server could send. The input's first byte picks the decoder and its options (an error
// result instead of rows; the caller's fingerprint and owner taken from the row, to reach the
// branches past them; a page's limit), the second the number of columns; the rest are the cells,
// row by row, separated by 0x1f, a cell that starts with 0x00 being NULL. Each decoder gives a
// value that keeps its contract, the error result's own error, or kProtocol naming the
// operation, never an assertion, an overflow or another code.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "faultline/backends/postgres/idempotency_rows.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace faultline::fuzz {
namespace {

using backends::postgres::PgResult;

struct Shaped {
  PgResult result;
  std::vector<PgResult::Cell> cells;  // row-major, as many as the rows hold
};

std::vector<PgResult::Cell> split_cells(std::string_view text) {
  std::vector<PgResult::Cell> cells;
  for (;;) {
    const std::size_t end = text.find('\x1f');
    const std::string_view cell = text.substr(0, end);
    if (!cell.empty() && cell.front() == '\0') {
      cells.emplace_back(std::nullopt);
    } else {
      cells.emplace_back(std::string(cell));
    }
    if (end == std::string_view::npos) return cells;
    text.remove_prefix(end + 1);
  }
}

// A success of `columns` columns holding the whole rows `text` spells (or no rows), or a
// server error whose message is `text`.
Shaped shape(bool error, std::size_t columns, std::string_view text) {
  if (error) return {PgResult::server_error("40001", std::string(text)), {}};
  std::vector<PgResult::Cell> cells = columns == 0 ? std::vector<PgResult::Cell>{}
                                                   : split_cells(text);
  cells.resize(cells.size() - cells.size() % (columns == 0 ? 1 : columns));
  std::vector<PgResult::Row> rows;
  for (std::size_t at = 0; at < cells.size(); at += columns) {
    rows.emplace_back(cells.begin() + static_cast<std::ptrdiff_t>(at),
                      cells.begin() + static_cast<std::ptrdiff_t>(at + columns));
  }
  std::vector<std::string> names(columns, "c");
  return {PgResult::success("INSERT 0 1", std::move(names), std::move(rows)), std::move(cells)};
}

// An error result's own error, or kProtocol starting with `operation`.
void check_error(const Error& error, const PgResult& result, std::string_view operation) {
  if (result.is_error()) {
    require_error(error, ErrorCode::kUnavailable, "postgres error 40001:", "to_error");
  } else {
    require_error(error, ErrorCode::kProtocol, std::string(operation) + ": ", operation);
  }
}

std::string cell_text(const Shaped& s, std::size_t i) {
  return i < s.cells.size() && s.cells[i] ? *s.cells[i] : std::string();
}

bool is_bigint(std::string_view text) {
  if (text.starts_with('-')) text.remove_prefix(1);
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

void begin(const Shaped& s, bool from_row) {
  const std::string fingerprint = from_row ? cell_text(s, 0) : "fp";
  const std::string owner = from_row ? cell_text(s, 2) : "00";
  const auto got = backends::postgres::decode_begin_row(s.result, fingerprint, owner);
  if (!got.ok()) return check_error(got.error(), s.result, "begin");
  using idempotency::BeginOutcome;
  require(s.result.rows().size() == 1, "decode_begin_row: a reply from other than one row");
  switch (got->outcome) {
    case BeginOutcome::kMismatch:
      require(cell_text(s, 0) != fingerprint, "decode_begin_row: a mismatch of equal prints");
      break;
    case BeginOutcome::kInFlight:
      require(got->lease_left >= std::chrono::milliseconds(1) &&
                  got->lease_left <= idempotency::kMaxLease,
              "decode_begin_row: in flight with a lease left outside [1 ms, kMaxLease]");
      require(is_bigint(cell_text(s, 7)), "decode_begin_row: a lease left read from non-digits");
      break;
    case BeginOutcome::kCompleted:
      require(got->response.size() * 2 == cell_text(s, 6).size(),
              "decode_begin_row: a response not the hex column's bytes");
      break;
    case BeginOutcome::kStarted:
      require(got->point == idempotency::kStartedPoint, "decode_begin_row: started elsewhere");
      break;
    case BeginOutcome::kResumed:
      require(got->data.size() * 2 == cell_text(s, 5).size(),
              "decode_begin_row: data not the hex column's bytes");
      break;
  }
}

void abandoned(const Shaped& s, std::size_t limit) {
  const auto got = backends::postgres::decode_abandoned_page(s.result, limit);
  if (!got.ok()) return check_error(got.error(), s.result, "abandoned");
  require(got->requests.size() == s.result.rows().size() && got->requests.size() <= limit,
          "decode_abandoned_page: not one request per row, within the limit");
  require(got->next_cursor.empty() == (limit == 0 || got->requests.size() < limit),
          "decode_abandoned_page: a cursor on a page that is not full, or none on a full one");
}

void insert(const Shaped& s) {
  const std::string payload = "ab";
  const auto got = backends::postgres::decode_insert_row(s.result, payload, "t");
  if (!got.ok()) return check_error(got.error(), s.result, "insert_once into t");
  using backends::postgres::InsertOutcome;
  require(cell_text(s, 0) == "t" || cell_text(s, 0) == "f",
          "decode_insert_row: read a row whose inserted flag is neither t nor f");
  require((got->outcome == InsertOutcome::kInserted) == (cell_text(s, 0) == "t"),
          "decode_insert_row: inserted disagrees with the row");
  if (got->outcome != InsertOutcome::kInserted) {
    require((got->outcome == InsertOutcome::kExisting) == (got->payload == payload),
            "decode_insert_row: existing and conflict confused");
  }
}

void deleted(std::string_view status) {
  const PgResult result = PgResult::success(std::string(status), {}, {});
  const auto got = backends::postgres::decode_deleted_count(result);
  if (!got.ok()) return check_error(got.error(), result, "reap");
  const std::string_view digits = status.substr(std::min<std::size_t>(7, status.size()));
  require(status.starts_with("DELETE ") && !digits.empty() &&
              digits.find_first_not_of("0123456789") == std::string_view::npos,
          "decode_deleted_count: read a count from '" + std::string(status) + "'");
}

}  // namespace

int fuzz_pg_store_rows(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t pick = data[0];
  const std::string_view text = as_text(data + 2, size - 2);
  const bool error = (pick & 0x80) != 0;
  switch (pick % 4) {
    case 0: begin(shape(error, data[1] % 10, text), (pick & 0x40) != 0); break;
    case 1: abandoned(shape(error, data[1] % 7, text), (pick >> 2) % 4); break;
    case 2: insert(shape(error, data[1] % 4, text)); break;
    default: deleted(text); break;
  }
  return 0;
}

}  // namespace faultline::fuzz
