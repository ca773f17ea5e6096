#include "examples/payments_service/service_flags.h"

#include <charconv>
#include <cstdio>
#include <map>

#include <CLI/CLI.hpp>

#include "examples/payments_service/conninfo.h"
#include "examples/payments_service/host_port.h"
#include "faultline/ratelimit/policy_spec.h"

namespace faultline::payments {
namespace {

struct Texts {
  std::string redis = "127.0.0.1:6379";
  std::string postgres;
  std::map<std::string, std::string> durations;  // flag -> as typed
  RateLimitTexts rate_limit;
};

// The flags that are not durations or connections go straight into `flags`.
void declare(CLI::App& app, ServiceFlags& flags, Texts& texts) {
  app.add_option("--listen", flags.listen, "HOST:PORT to serve HTTP on (port 0: any free one)")
      ->capture_default_str();
  app.add_option("--redis", texts.redis, "HOST:PORT of Redis (idempotency records)")
      ->capture_default_str();
  app.add_option("--postgres", texts.postgres, "libpq connection string (payments)")
      ->required();
  app.add_option("--fail-first", flags.fail_first,
                 "the processor's first N calls fail with 503")->capture_default_str();
  app.add_option("--max-body-bytes", flags.limits.max_body_bytes)->capture_default_str();
  app.add_option("--max-header-bytes", flags.limits.max_header_bytes)->capture_default_str();
  app.add_option("--max-connections", flags.limits.max_connections)->capture_default_str();
  app.add_option("--pg-connections", flags.pg_connections, "PostgreSQL pool size")
      ->capture_default_str();
  app.add_option("--rate-limit", texts.rate_limit.caller,
                 "each caller's limit: a policy (gcra:rate=100/1s,burst=50, the default; "
                 "sliding-log:limit=N,window=W; ...) or off");
  app.add_option("--rate-limit-global", texts.rate_limit.global,
                 "all callers' limit together: a policy, or off (the default)");
  app.add_option("--rate-limit-outage", texts.rate_limit.outage,
                 "while Redis cannot decide: fallback (the default), open or closed");
  app.add_option("--rate-limit-headers", texts.rate_limit.headers,
                 "the rate-limit fields sent: draft (the default), legacy or both");
  for (const char* name : {"--processor-latency", "--processor-timeout", "--max-wait",
                           "--read-timeout"}) {
    app.add_option(name, texts.durations[name], "a duration: 250ms, 2s, 1m, 0");
  }
}

// Applies the duration and connection flags; kInvalidArgument naming the first bad one.
Result<void> resolve(ServiceFlags& flags, const Texts& texts) {
  const std::map<std::string, Duration*> targets = {
      {"--processor-latency", &flags.processor_latency},
      {"--processor-timeout", &flags.processor_timeout},
      {"--max-wait", &flags.max_wait},
      {"--read-timeout", &flags.limits.read_timeout}};
  for (const auto& [name, text] : texts.durations) {
    if (text.empty()) continue;
    Result<Duration> duration = parse_duration(name, text);
    if (!duration.ok()) return std::move(duration).error();
    *targets.at(name) = *duration;
  }
  Result<std::pair<std::string, int>> redis = parse_host_port("--redis", texts.redis);
  if (!redis.ok()) return std::move(redis).error();
  flags.redis.host = redis->first;
  flags.redis.port = redis->second;
  Result<backends::postgres::ConnectionOptions> postgres = parse_conninfo(texts.postgres);
  if (!postgres.ok()) return std::move(postgres).error();
  flags.postgres = std::move(postgres).value();
  if (Result<void> limits = resolve_rate_limit(flags.rate_limit, texts.rate_limit); !limits.ok()) {
    return limits;
  }
  return flags.limits.validate();
}

// A policy flag's text: the policy, nullopt for "off", or kInvalidArgument naming `flag`.
Result<std::optional<ratelimit::Policy>> parse_limit_flag(std::string_view flag,
                                                          std::string_view text) {
  if (text == "off") return std::optional<ratelimit::Policy>{};
  Result<ratelimit::Policy> policy = ratelimit::parse_policy_spec(text);
  if (!policy.ok()) {
    return invalid_argument(std::string(flag) + ": " + policy.error().message + "; or off");
  }
  return std::optional<ratelimit::Policy>(std::move(policy).value());
}

// One of `names` (a value of type T each), or kInvalidArgument naming `flag` and the choices.
template <typename T>
Result<T> parse_choice(std::string_view flag, std::string_view text,
                       const std::map<std::string_view, T>& names) {
  if (const auto found = names.find(text); found != names.end()) return found->second;
  std::string choices;
  for (const auto& [name, value] : names)
    choices += (choices.empty() ? "" : ", ") + std::string(name);
  return invalid_argument(std::string(flag) + ": '" + std::string(text.substr(0, 32)) +
                          "' is not one of " + choices);
}

}  // namespace

Result<void> resolve_rate_limit(RateLimitFlags& flags, const RateLimitTexts& texts) {
  using ratelimit::OutagePolicy;
  const std::pair<const char*, const std::string*> policies[] = {
      {"--rate-limit", &texts.caller}, {"--rate-limit-global", &texts.global}};
  for (const auto& [flag, text] : policies) {
    if (text->empty()) continue;
    Result<std::optional<ratelimit::Policy>> policy = parse_limit_flag(flag, *text);
    if (!policy.ok()) return std::move(policy).error();
    (text == &texts.caller ? flags.caller : flags.global) = std::move(policy).value();
  }
  if (!texts.outage.empty()) {
    Result<OutagePolicy> outage =
        parse_choice<OutagePolicy>("--rate-limit-outage", texts.outage,
                                   {{"fallback", OutagePolicy::kFallback},
                                    {"open", OutagePolicy::kFailOpen},
                                    {"closed", OutagePolicy::kFailClosed}});
    if (!outage.ok()) return std::move(outage).error();
    flags.on_outage = *outage;
  }
  if (!texts.headers.empty()) {
    Result<HeaderStyle> style = parse_choice<HeaderStyle>("--rate-limit-headers", texts.headers,
                                                          {{"draft", HeaderStyle::kDraft},
                                                           {"legacy", HeaderStyle::kLegacy},
                                                           {"both", HeaderStyle::kBoth}});
    if (!style.ok()) return std::move(style).error();
    flags.headers = *style;
  }
  return {};
}

Result<Duration> parse_duration(std::string_view flag, std::string_view text) {
  std::int64_t count = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
  const std::string_view unit(end, text.data() + text.size() - end);
  const auto wrong = [&] {
    return invalid_argument(std::string(flag) + ": '" + std::string(text.substr(0, 32)) +
                            "' is not a duration (a number and ms, s, m or h; or 0)");
  };
  if (ec != std::errc{} || count < 0 || count > 1'000'000) return wrong();
  const std::map<std::string_view, std::int64_t> ms_per_unit = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
  if (unit.empty() && count == 0) return Duration::zero();
  const auto found = ms_per_unit.find(unit);
  // At most 10^6 h = 3.6e12 ms = 3.6e18 ns, inside Duration's range (2^63 ns: 292 years).
  if (found == ms_per_unit.end() || count * found->second > 3'600'000'000'000) return wrong();
  return Duration(std::chrono::milliseconds(count * found->second));
}

std::variant<ServiceFlags, int> parse_service_flags(int argc, char** argv) {
  CLI::App app{"payments_service: POST /payments, idempotent, over Redis and PostgreSQL"};
  ServiceFlags flags;
  Texts texts;
  declare(app, flags, texts);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  if (Result<void> resolved = resolve(flags, texts); !resolved.ok()) {
    std::fprintf(stderr, "error: %s\n", resolved.error().message.c_str());
    return 2;
  }
  return flags;
}

}  // namespace faultline::payments
