#include "scenarios/idempotency/payment_invariants.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <utility>

namespace faultline::scenarios {
namespace {

// "\"503 ...\" x40; \"409\" x2": distinct answers in first-seen order, with how often each came.
std::string tally(const std::vector<std::string>& answers) {
  std::vector<std::pair<std::string, int>> counts;
  for (const std::string& a : answers) {
    auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == a; });
    if (it == counts.end()) {
      counts.emplace_back(a, 1);
    } else {
      ++it->second;
    }
  }
  std::vector<std::string> shown;
  for (const auto& [answer, n] : counts) shown.push_back(fmt::format("\"{}\" x{}", answer, n));
  return fmt::format("{}", fmt::join(shown, "; "));
}

}  // namespace

std::optional<PaymentViolation> check_payments(const std::vector<std::string>& requests,
                                               const PaymentRecord& record) {
  std::map<std::string, std::vector<std::string>> made;  // request -> charge ids
  for (const AppliedCharge& c : record.charges) made[c.request].push_back(c.charge_id);
  static const std::vector<std::string> kNone;
  for (const std::string& request : requests) {
    const std::vector<std::string>& charges = made.contains(request) ? made[request] : kNone;
    if (charges.size() > 1) {
      return PaymentViolation{request, "double-charge",
                              fmt::format("{} was charged {} times ({}) for one logical request",
                                          request, charges.size(), fmt::join(charges, ", "))};
    }
    const auto found = record.answers.find(request);
    const std::vector<std::string>& answers = found == record.answers.end() ? kNone : found->second;
    std::vector<std::string> successes;
    std::copy_if(answers.begin(), answers.end(), std::back_inserter(successes),
                 [](const std::string& a) { return a.starts_with("201"); });
    if (const auto kept = record.stored.find(request);
        kept != record.stored.end() && kept->second.starts_with("201")) {
      successes.push_back(kept->second);
    }
    if (successes.empty()) {
      return PaymentViolation{request, "never-succeeded",
                              fmt::format("{} never succeeded: its answers were [{}]", request,
                                          tally(answers))};
    }
    if (charges.empty()) {
      return PaymentViolation{request, "never-charged",
                              fmt::format("{} succeeded (\"{}\") but the processor charged nothing",
                                          request, successes.front())};
    }
    for (const std::string& answer : successes) {
      if (answer != "201 " + charges.front()) {
        return PaymentViolation{request, "wrong-response",
                                fmt::format("{} was answered \"{}\" but the processor charged {}",
                                            request, answer, charges.front())};
      }
    }
  }
  return std::nullopt;
}

}  // namespace faultline::scenarios
