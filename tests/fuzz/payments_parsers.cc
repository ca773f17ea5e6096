// Fuzzes what the payments example (examples/payments_service/) parses from its clients and its
// own flags: the POST body (parse_payment_request), the Authorization header (caller_of), a
// payment's id in a path (parse_payment_ref), a stored response (unframe) and --listen/--redis
// (parse_host_port). The input's first byte picks the parser, the rest is its text. Each gives a
// value that keeps its contract, or its documented error naming what was wrong.
#include <algorithm>
#include <cstring>
#include <string>

#include "examples/payments_service/caller.h"
#include "examples/payments_service/conninfo.h"
#include "examples/payments_service/host_port.h"
#include "examples/payments_service/http_message.h"
#include "examples/payments_service/payment_ref.h"
#include "examples/payments_service/payment_request.h"
#include "faultline/idempotency/idempotency_store.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace faultline::fuzz {
namespace {

// A valid request reads back from its canonical form as itself.
void payment_request(std::string_view body) {
  const auto got = payments::parse_payment_request(body);
  if (!got.ok()) {
    require(got.error().code == ErrorCode::kInvalidArgument,
            "parse_payment_request: not kInvalidArgument: " + got.error().message);
    const std::string_view field = payments::error_field(got.error());
    require(!field.empty() && got.error().message.size() > field.size() + 1,
            "parse_payment_request: an error naming no field: " + got.error().message);
    return;
  }
  require(got->amount >= 1 && got->amount <= payments::kMaxAmount,
          "parse_payment_request: an amount out of range");
  require(got->currency.size() == 3 &&
              std::all_of(got->currency.begin(), got->currency.end(),
                          [](char c) { return c >= 'A' && c <= 'Z'; }),
          "parse_payment_request: a currency not three uppercase letters");
  require(!got->customer.empty() && got->customer.size() <= payments::kMaxCustomerBytes,
          "parse_payment_request: a customer out of bounds");
  const auto again = payments::parse_payment_request(got->canonical);
  require(again.ok() && again->canonical == got->canonical && again->amount == got->amount &&
              again->currency == got->currency && again->customer == got->customer,
          "parse_payment_request: the canonical form reads back differently");
}

// Empty input stands for a missing header.
void caller(std::string_view header) {
  const std::optional<std::string> sent =
      header.empty() ? std::nullopt : std::optional<std::string>(header);
  const auto got = payments::caller_of(sent);
  if (!got.ok()) {
    require_error(got.error(), sent ? ErrorCode::kInvalidArgument : ErrorCode::kNotFound,
                  "Authorization: ", "caller_of");
    return;
  }
  require(!got->empty() && got->size() <= idempotency::kMaxScopeBytes,
          "caller_of: a caller out of bounds");
  require(got->find_first_of(" \t\r\n") == std::string::npos, "caller_of: a caller with space");
  const auto again = payments::caller_of("Bearer " + *got);
  require(again.ok() && *again == *got, "caller_of: 'Bearer <caller>' reads back differently");
}

void payment_ref(std::string_view ref) {
  const std::optional<std::int64_t> id = payments::parse_payment_ref(ref);
  if (id) {
    require(*id >= 1 && payments::payment_ref(*id) == ref,
            "parse_payment_ref: an id that does not print back as the ref");
  }
  // And every positive bigint (the input's first eight bytes, as one) reads back from its ref.
  if (ref.size() < sizeof(std::uint64_t)) return;
  std::uint64_t bits = 0;
  std::memcpy(&bits, ref.data(), sizeof bits);
  const auto n = static_cast<std::int64_t>(bits >> 1);
  if (n < 1) return;
  require(payments::parse_payment_ref(payments::payment_ref(n)) == n,
          "parse_payment_ref: the ref of " + std::to_string(n) + " does not read back");
}

void stored_response(std::string_view stored) {
  const auto got = payments::unframe(stored);
  if (!got.ok()) {
    require_error(got.error(), ErrorCode::kProtocol, "stored response: ", "unframe");
    return;
  }
  require(got->status >= 100 && got->status <= 599, "unframe: a status out of range");
  require(payments::frame(*got) == stored, "unframe: the response frames back differently");
}

void host_port(std::string_view text) {
  const auto got = payments::parse_host_port("--listen", text);
  if (!got.ok()) {
    require_error(got.error(), ErrorCode::kInvalidArgument, "--listen: '", "parse_host_port");
    return;
  }
  require(!got->first.empty(), "parse_host_port: an empty host");
  require(got->second >= 0 && got->second <= 65535, "parse_host_port: a port out of range");
  const std::string_view port = text.substr(text.rfind(':') + 1);
  require(port.find_first_not_of("0123456789") == std::string_view::npos,
          "parse_host_port: a port read from other than digits");
}

// Whatever precedes it, a password in --postgres never reaches a message, describe() or an
// option other than the password.
void conninfo(std::string_view text) {
  constexpr std::string_view kSecret = "Zq7-s3cr3t-Pa55w0rd";
  if (text.find(kSecret) != std::string_view::npos) return;
  const std::string info = std::string(text) + " password=" + std::string(kSecret);
  const auto got = payments::parse_conninfo(info);
  if (!got.ok()) {
    require_error(got.error(), ErrorCode::kInvalidArgument, "--postgres: ", "parse_conninfo");
    require(got.error().message.find(kSecret) == std::string::npos,
            "parse_conninfo: the password in an error: " + got.error().message);
    return;
  }
  require(payments::describe(*got).find(kSecret) == std::string::npos,
          "parse_conninfo: the password in describe()");
  // Connect errors print the host, database and user; the server sees the application name.
  for (const std::string* value :
       {&got->host, &got->dbname, &got->user, &got->application_name, &got->sslmode}) {
    require(value->find(kSecret) == std::string::npos,
            "parse_conninfo: the password in another option: " + *value);
  }
}

}  // namespace

int fuzz_payments_parsers(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text = as_text(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0: payment_request(text); break;
    case 1: caller(text); break;
    case 2: payment_ref(text); break;
    case 3: stored_response(text); break;
    case 4: host_port(text); break;
    default: conninfo(text); break;
  }
  return 0;
}

}  // namespace faultline::fuzz
