// Catalogue: the scenarios one program knows, in the order they were added, found by name or
// selected by a glob ("locks/*", "*/fenced", "all").
//
// A program builds its catalogue once (the built-in one is scenarios/framework/catalogue.h; a
// user's is whatever their main adds) and hands it to the command line (cli.h) or a test.
// Names are unique: adding a second scenario of the same name throws std::invalid_argument
// naming it. The catalogue owns its scenarios; pointers it hands out live as long as it does.
// Thread-safety: const access from any number of threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/harness/scenario.h"

namespace faultline::harness {

class Catalogue {
 public:
  using Entries = std::vector<std::unique_ptr<Scenario>>;

  Catalogue() = default;
  explicit Catalogue(Entries scenarios);

  // Adds `scenario` at the end. Throws std::invalid_argument on a name already present.
  Catalogue& add(std::unique_ptr<Scenario> scenario);

  // The scenario called `name`, or null.
  [[nodiscard]] const Scenario* find(std::string_view name) const;
  // Every scenario whose name matches `pattern` (shell glob: * ? [...]; "all" is "*"), in
  // catalogue order. Empty when none does.
  [[nodiscard]] std::vector<const Scenario*> select(std::string_view pattern) const;
  // Takes the scenario called `name` out of the catalogue (null if there is none).
  [[nodiscard]] std::unique_ptr<Scenario> release(std::string_view name);

  [[nodiscard]] std::size_t size() const noexcept { return scenarios_.size(); }
  [[nodiscard]] Entries::const_iterator begin() const noexcept { return scenarios_.begin(); }
  [[nodiscard]] Entries::const_iterator end() const noexcept { return scenarios_.end(); }

 private:
  Entries scenarios_;
};

// Does `name` match the glob `pattern` ("all" matches everything)?
[[nodiscard]] bool matches(std::string_view pattern, std::string_view name);

}  // namespace faultline::harness
