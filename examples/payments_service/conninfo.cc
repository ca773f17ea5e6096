#include "examples/payments_service/conninfo.h"

#include <algorithm>
#include <charconv>
#include <memory>

#include <libpq-fe.h>

namespace faultline::payments {
namespace {

using backends::postgres::ConnectionOptions;

Result<int> to_int(std::string_view keyword, std::string_view value) {
  int number = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec != std::errc{} || end != value.data() + value.size()) {
    return invalid_argument("--postgres: " + std::string(keyword) + " is not an integer");
  }
  return number;
}

// A value that holds a space, '=' or a control byte may have swallowed a misplaced
// "password=..." (an empty "dbname=" before it, a URI followed by keyword pairs). Such a value
// would be printed (the start-up line, a connect error) or sent (application_name), so it is
// refused, naming the keyword only.
Result<void> check_plain(std::string_view keyword, std::string_view value) {
  const bool plain = std::none_of(value.begin(), value.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == '=' || c == 0x7f;
  });
  if (plain) return {};
  return invalid_argument("--postgres: " + std::string(keyword) +
                          " holds a space, '=' or a control byte (a misplaced password?); "
                          "the value is not shown");
}

// Sets the option `keyword` names, or says it is not supported.
Result<void> apply(ConnectionOptions& options, std::string_view keyword, std::string value) {
  if (keyword != "password") {
    if (Result<void> plain = check_plain(keyword, value); !plain.ok()) return plain;
  }
  if (keyword == "host" || keyword == "hostaddr") {
    options.host = std::move(value);
  } else if (keyword == "port" || keyword == "connect_timeout") {
    Result<int> number = to_int(keyword, value);
    if (!number.ok()) return std::move(number).error();
    if (keyword == "port") options.port = *number;
    else options.connect_timeout = std::chrono::seconds(*number);
  } else if (keyword == "dbname") {
    options.dbname = std::move(value);
  } else if (keyword == "user") {
    options.user = std::move(value);
  } else if (keyword == "password") {
    options.password = std::move(value);
  } else if (keyword == "sslmode") {
    options.sslmode = std::move(value);
  } else if (keyword == "application_name") {
    options.application_name = std::move(value);
  } else {
    return invalid_argument("--postgres: keyword '" + std::string(keyword) +
                            "' is not supported (host, hostaddr, port, dbname, user, password, "
                            "sslmode, application_name, connect_timeout)");
  }
  return {};
}

}  // namespace

Result<ConnectionOptions> parse_conninfo(const std::string& conninfo) {
  char* message = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> parsed(
      PQconninfoParse(conninfo.c_str(), &message), &PQconninfoFree);
  if (message != nullptr) PQfreemem(message);  // quotes the string, which may hold a password
  if (!parsed) {
    return invalid_argument(
        "--postgres: not a connection string (keyword=value pairs or a postgresql:// URI)");
  }
  ConnectionOptions options;
  options.application_name = "faultline-payments";
  for (const PQconninfoOption* option = parsed.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    if (Result<void> applied = apply(options, option->keyword, option->val); !applied.ok()) {
      return std::move(applied).error();
    }
  }
  if (Result<void> valid = options.validate(); !valid.ok()) {
    return invalid_argument("--postgres: " + valid.error().message);
  }
  return options;
}

std::string describe(const ConnectionOptions& options) {
  std::string text = "host=" + options.host + " port=" + std::to_string(options.port) +
                     " dbname=" + options.dbname + " user=" + options.user;
  if (!options.password.empty()) text += " password=<redacted>";
  return text;
}

}  // namespace faultline::payments
