// What every fuzz target (tests/fuzz/*.cc) uses to state its properties. A property that fails
// throws PropertyFailed: libFuzzer's entry (libfuzzer_entry.cc) reports it and aborts, so the
// input is saved as a crash; the corpus replay test (corpus_test.cc) reports it as a failure
// naming the input file. Anything else a parser throws escapes the target the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "faultline/result.h"

namespace faultline::fuzz {

class PropertyFailed : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Throws PropertyFailed("<what>") unless `holds`.
inline void require(bool holds, std::string_view what) {
  if (!holds) throw PropertyFailed(std::string(what));
}

// The fuzzer's bytes as the text a parser reads (any bytes, NULs included).
[[nodiscard]] inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return size == 0 ? std::string_view()
                   : std::string_view(reinterpret_cast<const char*>(data), size);
}

// A parser's documented refusal: `code`, and a message that starts with `prefix` and says
// something after it (an error names what was wrong).
inline void require_error(const Error& error, ErrorCode code, std::string_view prefix,
                          std::string_view parser) {
  const std::string where = std::string(parser) + ": ";
  require(error.code == code, where + "unexpected error code, message: " + error.message);
  require(error.message.starts_with(prefix) && error.message.size() > prefix.size(),
          where + "message does not start with '" + std::string(prefix) + "': " + error.message);
}

}  // namespace faultline::fuzz
