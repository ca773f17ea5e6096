// Durations as text for messages: the one formatter every pattern and backend uses, so that an
// error reads "250ms" wherever it comes from.
#pragma once

#include <string>

#include "faultline/clock.h"

namespace faultline {

// The largest unit that states `d` exactly: "60s", "2min", "250ms", "1500us", "7ns"; zero is "0";
// Duration::max() (the library's "no limit") is "max". Negative values keep their sign
// ("-5ms"). Never throws except std::bad_alloc.
[[nodiscard]] std::string duration_text(Duration d);

}  // namespace faultline
