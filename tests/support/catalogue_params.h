// Parameterising a test over the whole scenario catalogue: every scenario registered, by name,
// so that a new scenario is covered without editing the test.
//
//   INSTANTIATE_TEST_SUITE_P(AllScenarios, MyTest, ::testing::ValuesIn(catalogue_names()),
//                            catalogue_test_name);
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <stdexcept>
#include <string>
#include <vector>

#include "scenarios/framework/catalogue.h"

namespace faultline::scenarios {

// Every scenario's name, in the catalogue's order.
inline std::vector<std::string> catalogue_names() {
  std::vector<std::string> all;
  for (const auto& s : catalogue()) all.push_back(s->name());
  return all;
}

// A scenario's name as a test name: GoogleTest allows letters, digits and '_' only.
inline std::string catalogue_test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return name;
}

// The catalogue's scenario `name`, from one catalogue kept for the test program's life (for
// properties that run a scenario many times); throws std::runtime_error when there is none.
inline const Scenario& catalogue_scenario(const std::string& name) {
  static const harness::Catalogue all = catalogue();
  const Scenario* scenario = all.find(name);
  if (scenario == nullptr) throw std::runtime_error("no scenario " + name);
  return *scenario;
}

}  // namespace faultline::scenarios
