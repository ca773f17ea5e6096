// The fuzz targets: one function per parser, each `int fuzz_<name>(data, size)` in its own
// tests/fuzz/<name>.cc. libFuzzer calls one through libfuzzer_entry.cc; the corpus replay test
// runs every committed input through all of them (kFuzzTargets). Each returns 0, or throws
// (fuzz_check.h) when a property fails.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace faultline::fuzz {

int fuzz_history_formats(const std::uint8_t* data, std::size_t size);    // Jepsen, EDN, JSON lines
int fuzz_fault_plan(const std::uint8_t* data, std::size_t size);         // parse_plan
int fuzz_policy_spec(const std::uint8_t* data, std::size_t size);        // --policy, durations
int fuzz_cli_values(const std::uint8_t* data, std::size_t size);         // seeds, --for, --clients
int fuzz_redis_reply(const std::uint8_t* data, std::size_t size);        // RESP via ReplyReader
int fuzz_pg_result(const std::uint8_t* data, std::size_t size);          // scalar_bool/int64
int fuzz_redis_store_replies(const std::uint8_t* data, std::size_t size);  // scripts' replies
int fuzz_pg_store_rows(const std::uint8_t* data, std::size_t size);        // statements' rows
int fuzz_request_key(const std::uint8_t* data, std::size_t size);        // Idempotency-Key
int fuzz_structured_fields(const std::uint8_t* data, std::size_t size);  // RFC 8941 Lists
int fuzz_quota_fields(const std::uint8_t* data, std::size_t size);       // RateLimit(-Policy)
int fuzz_json_fingerprint(const std::uint8_t* data, std::size_t size);   // canonical_json
int fuzz_payments_parsers(const std::uint8_t* data, std::size_t size);   // the example's inputs

using FuzzFunction = int (*)(const std::uint8_t*, std::size_t);
struct FuzzTarget {
  std::string_view name;  // as scripts/fuzz.sh and the corpus folders name it
  FuzzFunction run;
};

inline constexpr std::array kFuzzTargets = {
    FuzzTarget{"history_formats", fuzz_history_formats},
    FuzzTarget{"fault_plan", fuzz_fault_plan},
    FuzzTarget{"policy_spec", fuzz_policy_spec},
    FuzzTarget{"cli_values", fuzz_cli_values},
    FuzzTarget{"redis_reply", fuzz_redis_reply},
    FuzzTarget{"pg_result", fuzz_pg_result},
    FuzzTarget{"redis_store_replies", fuzz_redis_store_replies},
    FuzzTarget{"pg_store_rows", fuzz_pg_store_rows},
    FuzzTarget{"request_key", fuzz_request_key},
    FuzzTarget{"structured_fields", fuzz_structured_fields},
    FuzzTarget{"quota_fields", fuzz_quota_fields},
    FuzzTarget{"json_fingerprint", fuzz_json_fingerprint},
    FuzzTarget{"payments_parsers", fuzz_payments_parsers},
};

}  // namespace faultline::fuzz
