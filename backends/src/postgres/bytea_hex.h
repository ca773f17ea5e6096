// bytea as text (internal to the PostgreSQL backend): bytes as lowercase hex, for
// decode($n, 'hex') in a statement, and back from encode(column, 'hex') in a result.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "faultline/result.h"

namespace faultline::backends::postgres::detail {

[[nodiscard]] std::string hex(std::string_view bytes);
// The bytes `text` spells in hex (either case), or kProtocol "<column>: odd-length hex" /
// "<column>: not hex".
[[nodiscard]] Result<std::string> unhex(std::string_view text, std::string_view column);

}  // namespace faultline::backends::postgres::detail
