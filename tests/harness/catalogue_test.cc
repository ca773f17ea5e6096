// Catalogue: names unique, globs select in catalogue order, release takes a scenario out.
#include "faultline/harness/catalogue.h"

#include <gtest/gtest.h>

#include "tests/harness/counter_scenario.h"

namespace faultline::harness {
namespace {

Catalogue two() {
  Catalogue c;
  c.add(testing::counter_scenario(false)).add(testing::counter_scenario(true));
  return c;
}

std::vector<std::string> names(const std::vector<const Scenario*>& chosen) {
  std::vector<std::string> out;
  for (const Scenario* s : chosen) out.push_back(s->name());
  return out;
}

TEST(Catalogue, GlobsSelectInCatalogueOrder) {
  const Catalogue c = two();
  EXPECT_EQ(names(c.select("counter/*")),
            (std::vector<std::string>{"counter/incr", "counter/retried-incr"}));
  EXPECT_EQ(names(c.select("all")), names(c.select("*")));
  EXPECT_EQ(names(c.select("*retried*")), std::vector<std::string>{"counter/retried-incr"});
  EXPECT_EQ(names(c.select("counter/incr")), std::vector<std::string>{"counter/incr"});
  EXPECT_TRUE(c.select("locks/*").empty());
  EXPECT_TRUE(c.select("counter").empty());  // a glob matches whole names
}

TEST(Catalogue, RefusesTwoScenariosOfOneName) {
  Catalogue c = two();
  try {
    c.add(testing::counter_scenario(false));
    FAIL() << "a second counter/incr was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("counter/incr"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c.size(), 2U);
}

TEST(Catalogue, FindsAndReleases) {
  Catalogue c = two();
  ASSERT_NE(c.find("counter/incr"), nullptr);
  EXPECT_EQ(c.find("nope"), nullptr);
  std::unique_ptr<Scenario> taken = c.release("counter/incr");
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(taken->name(), "counter/incr");
  EXPECT_EQ(c.find("counter/incr"), nullptr);
  EXPECT_EQ(c.size(), 1U);
}

}  // namespace
}  // namespace faultline::harness
