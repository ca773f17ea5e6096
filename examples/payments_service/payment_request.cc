#include "examples/payments_service/payment_request.h"

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

namespace faultline::payments {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 3> kFields = {"amount", "currency", "customer"};

// A short, printable rendering of a JSON value for a message (never the whole of a huge one).
std::string shown(const json& value) {
  std::string text = value.dump(-1, ' ', true, json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

Result<std::int64_t> parse_amount(const json& value) {
  if (!value.is_number_integer()) {
    return invalid_argument("amount: must be an integer in minor units (e.g. 1050 for 10.50), got " +
                            shown(value));
  }
  // is_number_integer covers both signed and unsigned; an unsigned past int64 is out of range.
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > std::uint64_t(kMaxAmount)) {
    return invalid_argument("amount: must be in [1, " + std::to_string(kMaxAmount) + "], got " +
                            shown(value));
  }
  const auto amount = value.get<std::int64_t>();
  if (amount < 1 || amount > kMaxAmount) {
    return invalid_argument("amount: must be in [1, " + std::to_string(kMaxAmount) + "], got " +
                            shown(value));
  }
  return amount;
}

Result<std::string> parse_currency(const json& value) {
  const auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  if (!value.is_string() || value.get_ref<const std::string&>().size() != 3 ||
      !std::all_of(value.get_ref<const std::string&>().begin(),
                   value.get_ref<const std::string&>().end(), is_upper)) {
    return invalid_argument("currency: must be three uppercase letters (e.g. \"EUR\"), got " +
                            shown(value));
  }
  return value.get<std::string>();
}

Result<std::string> parse_customer(const json& value) {
  if (!value.is_string()) {
    return invalid_argument("customer: must be a string, got " + shown(value));
  }
  const auto& customer = value.get_ref<const std::string&>();
  if (customer.empty() || customer.size() > kMaxCustomerBytes) {
    return invalid_argument("customer: must be 1 to " + std::to_string(kMaxCustomerBytes) +
                            " bytes, got " + std::to_string(customer.size()));
  }
  return customer;
}

// A field name a message can start with: 1..64 letters, digits, '_' or '-' (no ':' that
// error_field would cut at, nothing to escape).
bool plain_name(std::string_view name) {
  const auto plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  };
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), plain);
}

// The body as a JSON object with only known fields, or why not.
Result<json> parse_object(std::string_view body) {
  if (body.empty()) return invalid_argument("body: empty; expected a JSON object");
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return invalid_argument("body: not valid JSON");
  if (!parsed.is_object()) return invalid_argument("body: must be a JSON object");
  for (const auto& [name, value] : parsed.items()) {
    if (std::find(kFields.begin(), kFields.end(), name) == kFields.end()) {
      // The message starts with the field it names (error_field): only a plain name can.
      const std::string field = plain_name(name) ? name : "body";
      return invalid_argument(field + ": unknown field (allowed: amount, currency, customer)");
    }
  }
  for (std::string_view name : kFields) {
    if (!parsed.contains(name)) return invalid_argument(std::string(name) + ": missing");
  }
  return parsed;
}

}  // namespace

Result<PaymentRequest> parse_payment_request(std::string_view body) {
  Result<json> object = parse_object(body);
  if (!object.ok()) return std::move(object).error();
  Result<std::int64_t> amount = parse_amount(object->at("amount"));
  if (!amount.ok()) return std::move(amount).error();
  Result<std::string> currency = parse_currency(object->at("currency"));
  if (!currency.ok()) return std::move(currency).error();
  Result<std::string> customer = parse_customer(object->at("customer"));
  if (!customer.ok()) return std::move(customer).error();
  PaymentRequest request{*amount, std::move(*currency), std::move(*customer), {}};
  // json's object is a std::map: dump() writes the keys sorted, compact.
  const json canonical = {{"amount", request.amount},
                          {"currency", request.currency},
                          {"customer", request.customer}};
  request.canonical = canonical.dump();
  return request;
}

std::string_view error_field(const Error& error) {
  const std::string_view message = error.message;
  const std::size_t colon = message.find(':');
  return colon == std::string_view::npos ? std::string_view("body") : message.substr(0, colon);
}

}  // namespace faultline::payments
