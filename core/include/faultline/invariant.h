// FAULTLINE_INVARIANT(condition, message): an assertion that stays on in every build.
//
// Contract
//   - Evaluates `condition` exactly once, in every build type (Debug, RelWithDebInfo, Release):
//     unlike assert(), NDEBUG does not remove it. The seed sweeps run optimised builds, and they
//     are where a broken invariant of the world, a model or a checker must stop the run.
//   - When the condition is false it writes "invariant failed: <condition>: <message>
//     (<file>:<line>)" to stderr and calls std::abort(): a broken invariant means the state can
//     no longer be trusted, so nothing is unwound or returned.
//   - `message` is a string literal (or any const char*) that says what must hold and why,
//     evaluated only on failure.
//   - For invariants: what the code itself guarantees. Expected failures (bad input from a
//     caller, a server's answer) are returned as a Result, never asserted. In a path so hot that
//     the check would show in a benchmark, keep assert() and say so beside it.
//
// Thread-safety: none needed; the failure path only writes to stderr and aborts.
#pragma once

namespace faultline::detail {

// Out of line and cold, so that a passing check costs one predictable branch and no code bloat.
[[noreturn, gnu::cold, gnu::noinline]] void invariant_failed(const char* condition,
                                                              const char* message,
                                                              const char* file, int line) noexcept;

}  // namespace faultline::detail

#define FAULTLINE_INVARIANT(condition, message)                                              \
  do {                                                                                       \
    if (!(condition)) [[unlikely]] {                                                         \
      ::faultline::detail::invariant_failed(#condition, message, __FILE__, __LINE__);        \
    }                                                                                        \
  } while (false)
