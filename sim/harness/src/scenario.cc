#include "faultline/harness/scenario.h"

#include <cctype>

namespace faultline::harness {
namespace {

constexpr std::size_t kMaxLabel = 40;  // "mutual exclusion", "liveness"
constexpr std::size_t kMaxKind = 80;

}  // namespace

std::string kind_of(const Violation& violation) {
  if (!violation.kind.empty()) return violation.kind;
  // Messages of the form "what: details" are kinds by their first words.
  const std::size_t colon = violation.message.find(':');
  if (colon != std::string::npos && colon > 0 && colon <= kMaxLabel) {
    return violation.message.substr(0, colon);
  }
  std::string kind;
  bool in_number = false;
  for (char c : violation.message) {
    const bool digit = std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (digit && !in_number) kind += '#';
    if (!digit) kind += c;
    in_number = digit || (in_number && (c == '.' || c == 'x'));
  }
  return kind.size() > kMaxKind ? kind.substr(0, kMaxKind) : kind;
}

}  // namespace faultline::harness
