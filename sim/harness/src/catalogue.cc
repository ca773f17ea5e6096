#include "faultline/harness/catalogue.h"

#include <fnmatch.h>

#include <stdexcept>

namespace faultline::harness {

Catalogue::Catalogue(Entries scenarios) {
  for (auto& scenario : scenarios) add(std::move(scenario));
}

Catalogue& Catalogue::add(std::unique_ptr<Scenario> scenario) {
  if (!scenario) throw std::invalid_argument("Catalogue::add: a null scenario");
  if (find(scenario->name()) != nullptr) {
    throw std::invalid_argument("Catalogue::add: two scenarios are called '" + scenario->name() +
                                "'");
  }
  scenarios_.push_back(std::move(scenario));
  return *this;
}

const Scenario* Catalogue::find(std::string_view name) const {
  for (const auto& scenario : scenarios_) {
    if (scenario->name() == name) return scenario.get();
  }
  return nullptr;
}

std::vector<const Scenario*> Catalogue::select(std::string_view pattern) const {
  std::vector<const Scenario*> chosen;
  for (const auto& scenario : scenarios_) {
    if (matches(pattern, scenario->name())) chosen.push_back(scenario.get());
  }
  return chosen;
}

std::unique_ptr<Scenario> Catalogue::release(std::string_view name) {
  for (auto it = scenarios_.begin(); it != scenarios_.end(); ++it) {
    if ((*it)->name() != name) continue;
    std::unique_ptr<Scenario> scenario = std::move(*it);
    scenarios_.erase(it);
    return scenario;
  }
  return nullptr;
}

bool matches(std::string_view pattern, std::string_view name) {
  if (pattern == "all") return true;
  // No FNM_PATHNAME: "locks/*" and "*" both reach across the family's slash, as users expect.
  return fnmatch(std::string(pattern).c_str(), std::string(name).c_str(), 0) == 0;
}

}  // namespace faultline::harness
