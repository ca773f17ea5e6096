// The RateLimit-Policy and RateLimit fields (quota_fields.h) and what a response says about our
// decisions (headers.h): the draft's examples, every error with what and where, round trips, q
// and w per algorithm, Retry-After never earlier than any violated policy's t, the request no
// wait can help, the problem body and the legacy trio.
#include "faultline/ratelimit/headers.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "faultline/ratelimit/structured_fields.h"
#include "tests/ratelimit/ratelimit_support.h"

namespace faultline::ratelimit {
namespace {

using std::chrono::seconds;

std::string error_of(const auto& result) {
  EXPECT_FALSE(result.ok());
  if (result.ok()) return "";
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  return result.error().message;
}

// --- The fields as text ----------------------------------------------------------------------

TEST(QuotaFields, ParsesTheDraftsExamples) {
  auto policies = parse_policy_field(R"("permin";q=50;w=60, "perhr";q=1000;w=3600)");
  ASSERT_TRUE(policies.ok()) << policies.error().message;
  const std::vector<QuotaPolicy> want = {{.name = "permin", .quota = 50, .window = seconds(60)},
                                         {.name = "perhr", .quota = 1000, .window = seconds(3600)}};
  EXPECT_EQ(*policies, want);

  auto peak = parse_policy_field(R"("peak";q=1000;w=3600;qu="content-bytes";pk=:QXBwLTk5OQ==:)");
  ASSERT_TRUE(peak.ok()) << peak.error().message;
  EXPECT_EQ(peak->front().quota_unit, "content-bytes");
  EXPECT_EQ(peak->front().partition_key, "App-999");

  auto status = parse_ratelimit_field(R"("default";r=300000000;t=60;pk=:QXBwLTk5OQ==:)");
  ASSERT_TRUE(status.ok()) << status.error().message;
  const QuotaStatus want_status{
      .name = "default", .remaining = 300000000, .reset = seconds(60), .partition_key = "App-999"};
  EXPECT_EQ(status->front(), want_status);
}

TEST(QuotaFields, TokensUnknownParametersAndDuplicates) {
  // A Token name and a Token unit are accepted; parameters the draft does not define are ignored,
  // whatever their type; a repeated parameter takes its last value.
  auto policies = parse_policy_field(R"(daily;q=1;foo=1.5;bar;zz="x";qu=request;q=5)");
  ASSERT_TRUE(policies.ok()) << policies.error().message;
  const QuotaPolicy want{.name = "daily", .quota = 5, .quota_unit = "request"};
  EXPECT_EQ(policies->front(), want);
  auto status = parse_ratelimit_field(R"("a";r=0;ext=?1)");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->front().reset, std::nullopt);
}

TEST(QuotaFields, ParseErrorsNameTheMemberAndWhere) {
  EXPECT_EQ(error_of(parse_policy_field("")),
            "RateLimit-Policy: empty; the field lists at least one policy at offset 0");
  EXPECT_EQ(error_of(parse_ratelimit_field("  ")),
            "RateLimit: empty; the field lists at least one policy at offset 0");
  EXPECT_EQ(error_of(parse_policy_field(R"("a";q=1, "b";w=60)")),
            R"(RateLimit-Policy: member 1 ("b") at offset 9: q is missing (it is required))");
  EXPECT_EQ(error_of(parse_policy_field(R"("a";q="10")")),
            R"(RateLimit-Policy: member 0 ("a") at offset 0: q must be an Integer)");
  EXPECT_EQ(error_of(parse_policy_field(R"("a";q=-1)")),
            R"(RateLimit-Policy: member 0 ("a") at offset 0: q=-1 must be at least 0)");
  EXPECT_EQ(error_of(parse_policy_field(R"(a;q=1;w=0)")),
            R"(RateLimit-Policy: member 0 (a) at offset 0: w=0 must be at least 1)");
  EXPECT_EQ(error_of(parse_policy_field(R"(a;q=1;qu=5)")),
            R"(RateLimit-Policy: member 0 (a) at offset 0: qu must be a String or a Token)");
  EXPECT_EQ(
      error_of(parse_policy_field(R"(a;q=1, 7;q=1)")),
      R"(RateLimit-Policy: member 1 at offset 7: the policy name must be a String or a Token)");
  EXPECT_EQ(error_of(parse_ratelimit_field(R"("a";r=1;pk="App")")),
            R"(RateLimit: member 0 ("a") at offset 0: pk must be a Byte Sequence)");
  EXPECT_EQ(error_of(parse_ratelimit_field(R"("a";r=1;t=-5)")),
            R"(RateLimit: member 0 ("a") at offset 0: t=-5 must be at least 0)");
  EXPECT_EQ(error_of(parse_ratelimit_field(R"("a";t=1)")),
            R"(RateLimit: member 0 ("a") at offset 0: r is missing (it is required))");
  // Syntax errors come from the Structured Field parser, with the byte offset.
  EXPECT_EQ(error_of(parse_ratelimit_field(R"("a";r=1,)")),
            "RateLimit: a ',' with no member after it at offset 8");
  // A name's unprintable bytes never reach a message raw.
  EXPECT_EQ(error_of(parse_policy_field("\"a\\\\\";w=1")),
            R"(RateLimit-Policy: member 0 ("a\x5C") at offset 0: q is missing (it is required))");
}

TEST(QuotaFields, NamesWithAQuoteAndABackslashRoundTrip) {
  const std::vector<QuotaPolicy> policies = {{.name = R"(say "hi" \o/)", .quota = 3}};
  auto text = render_policy_field(policies);
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text, R"("say \"hi\" \\o/";q=3)");
  auto back = parse_policy_field(*text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, policies);
}

TEST(QuotaFields, RenderRefusesWhatCannotBeSaid) {
  const auto policy = [](std::string name) { return QuotaPolicy{.name = std::move(name)}; };
  std::vector<QuotaPolicy> p = {policy("ok"), policy("bell\x07")};
  EXPECT_EQ(error_of(render_policy_field(p)),
            R"(RateLimit-Policy: policies[1].name: "bell\x07"; byte 4 is 0x07; must be printable )"
            R"(ASCII (0x20-0x7E), all an sf-string carries)");
  p = {policy("caf\xC3\xA9")};
  EXPECT_EQ(error_of(render_policy_field(p)),
            R"(RateLimit-Policy: policies[0].name: "caf\xC3\xA9"; byte 3 is 0xC3; must be )"
            R"(printable ASCII (0x20-0x7E), all an sf-string carries)");
  p = {policy("")};
  EXPECT_EQ(error_of(render_policy_field(p)),
            "RateLimit-Policy: policies[0].name: empty; a policy needs a name");
  p = {policy("a"), policy("b"), policy("a")};
  EXPECT_EQ(
      error_of(render_policy_field(p)),
      R"(RateLimit-Policy: policies[2].name: "a"; also the name of member 0; must be unique)");
  p = {};
  EXPECT_EQ(error_of(render_policy_field(p)),
            "RateLimit-Policy: policies: 0 members; must be in [1, 16]");
  for (int i = 0; i < 17; ++i) p.push_back(policy("p" + std::to_string(i)));
  EXPECT_EQ(error_of(render_policy_field(p)),
            "RateLimit-Policy: policies: 17 members; must be in [1, 16]");
  p = {{.name = "a", .quota = -1}};
  EXPECT_EQ(error_of(render_policy_field(p)),
            "RateLimit-Policy: policies[0].quota: -1; must be in [0, 999999999999999]");
  p = {{.name = "a", .quota = 1, .window = seconds(0)}};
  EXPECT_EQ(error_of(render_policy_field(p)),
            "RateLimit-Policy: policies[0].window_s: 0; must be in [1, 999999999999999]");
  p = {{.name = "a", .quota = 1, .quota_unit = "\t"}};
  EXPECT_EQ(error_of(render_policy_field(p)),
            R"(RateLimit-Policy: member 0: parameter qu: string "\x09": byte 0 is 0x09, not )"
            R"(printable ASCII (0x20-0x7E))");
  p = {policy(std::string(3000, 'x')), policy(std::string(3000, 'y'))};
  EXPECT_EQ(error_of(render_policy_field(p)),
            "RateLimit-Policy: 6014 bytes; must be at most 4096 (what the parsers accept)");
  const std::vector<QuotaStatus> s = {{.name = "a", .remaining = -3}};
  EXPECT_EQ(error_of(render_ratelimit_field(s)),
            "RateLimit: statuses[0].remaining: -3; must be in [0, 999999999999999]");
}

template <class T>
rc::Gen<std::optional<T>> gen_maybe(rc::Gen<T> gen) {
  return rc::gen::oneOf(rc::gen::just(std::optional<T>()),
                        rc::gen::map(std::move(gen), [](T v) { return std::optional<T>(v); }));
}

rc::Gen<std::string> gen_name() {
  return rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::inRange<char>(0x20, 0x7f)));
}

// Distinct names: the renderers refuse a name twice.
template <class T>
std::vector<T> unique_names(std::vector<T> members) {
  std::vector<T> out;
  for (T& m : members) {
    const bool seen =
        std::any_of(out.begin(), out.end(), [&](const T& o) { return o.name == m.name; });
    if (!seen && out.size() < sf::kMaxListMembers) out.push_back(std::move(m));
  }
  return out;
}

RC_GTEST_PROP(QuotaFields, RenderThenParseIsIdentity, ()) {
  const auto count = rc::gen::inRange<std::int64_t>(0, sf::kMaxInteger + 1);
  const auto secs = [](std::int64_t lo) {
    return rc::gen::map(rc::gen::inRange<std::int64_t>(lo, sf::kMaxInteger + 1),
                        [](std::int64_t s) { return seconds(s); });
  };
  const auto bytes = gen_maybe(rc::gen::arbitrary<std::string>());
  const auto policies = unique_names(*rc::gen::nonEmpty(
      rc::gen::container<std::vector<QuotaPolicy>>(rc::gen::construct<QuotaPolicy>(
          gen_name(), count, gen_maybe(secs(1)), gen_maybe(gen_name()), bytes))));
  const auto statuses =
      unique_names(*rc::gen::nonEmpty(rc::gen::container<std::vector<QuotaStatus>>(
          rc::gen::construct<QuotaStatus>(gen_name(), count, gen_maybe(secs(0)), bytes))));
  const auto policy_text = render_policy_field(policies);
  const auto status_text = render_ratelimit_field(statuses);
  RC_PRE(policy_text.ok() && status_text.ok());  // only a text over 4096 bytes is refused
  RC_ASSERT(*parse_policy_field(*policy_text) == policies);
  RC_ASSERT(*parse_ratelimit_field(*status_text) == statuses);
}

// --- From decisions --------------------------------------------------------------------------

TEST(ResponseHeaders, QuotaAndWindowPerAlgorithm) {
  using std::chrono::milliseconds;
  const auto qw = [](const Policy& p) {
    const QuotaPolicy q = quota_policy("p", p);
    return std::make_pair(q.quota, q.window.value().count());
  };
  // GCRA 100/min with bursts of 20: q = 20, regained from nothing in 20 * 0.6 s.
  EXPECT_EQ(qw(GcraPolicy{.count = 100, .period = seconds(60), .max_burst = 19}),
            std::make_pair(std::int64_t{20}, std::int64_t{12}));
  // A bucket of 100 refilled at 10/s: 100 back in 10 s (not "100 per second").
  EXPECT_EQ(qw(TokenBucketPolicy{.capacity = 100, .count = 10, .period = seconds(1)}),
            std::make_pair(std::int64_t{100}, std::int64_t{10}));
  // Rounded up: 3 tokens at 2 per second are back in 1.5 s, said as 2.
  EXPECT_EQ(qw(TokenBucketPolicy{.capacity = 3, .count = 2, .period = seconds(1)}),
            std::make_pair(std::int64_t{3}, std::int64_t{2}));
  EXPECT_EQ(qw(SlidingLogPolicy{.limit = 10, .window = milliseconds(100)}),
            std::make_pair(std::int64_t{10}, std::int64_t{1}));
  EXPECT_EQ(qw(SlidingCounterPolicy{.limit = 7, .window = seconds(90)}),
            std::make_pair(std::int64_t{7}, std::int64_t{90}));
  EXPECT_EQ(qw(FixedWindowPolicy{.limit = 1000, .window = std::chrono::hours(1)}),
            std::make_pair(std::int64_t{1000}, std::int64_t{3600}));
}

TEST(ResponseHeaders, RemainingAndResetFromADecision) {
  using std::chrono::milliseconds;
  const auto t = [](const Decision& d) { return quota_status("p", d).reset; };
  EXPECT_EQ(t({.allowed = true, .limit = 5, .remaining = 4, .reset_after = Micros(1)}), seconds(1));
  EXPECT_EQ(t({.allowed = true, .limit = 5, .remaining = 5}), std::nullopt);  // at rest
  EXPECT_EQ(t({.allowed = false,
               .limit = 5,
               .retry_after = milliseconds(1200),
               .reset_after = seconds(9)}),
            seconds(2));
  EXPECT_EQ(t({.allowed = false,
               .limit = 5,
               .retry_after = std::nullopt,
               .reset_after = milliseconds(4001)}),
            seconds(5));
  EXPECT_EQ(quota_status("p", {.allowed = true, .limit = 5, .remaining = 3}).remaining, 3);
}

NamedLimit limit(std::string name, Policy policy, Decision decision) {
  return NamedLimit{.name = std::move(name), .policy = policy, .decision = decision};
}

TEST(ResponseHeaders, AllowedRequest) {
  const std::vector<NamedLimit> limits = {
      limit("burst", SlidingLogPolicy{.limit = 100, .window = seconds(60)},
            {.allowed = true, .limit = 100, .remaining = 50, .reset_after = Micros(29'500'000)}),
      limit("daily", FixedWindowPolicy{.limit = 1000, .window = std::chrono::hours(24)},
            {.allowed = true, .limit = 1000, .remaining = 990, .reset_after = seconds(100)})};
  auto h = response_headers(limits, {.legacy = true});
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_FALSE(h->refused);
  EXPECT_EQ(h->policy, R"("burst";q=100;w=60, "daily";q=1000;w=86400)");
  EXPECT_EQ(h->ratelimit, R"("burst";r=50;t=30, "daily";r=990;t=100)");
  EXPECT_EQ(h->retry_after, std::nullopt);
  EXPECT_EQ(h->problem, std::nullopt);
  EXPECT_EQ(h->legacy, (LegacyFields{.limit = 100, .remaining = 50, .reset = seconds(30)}));
  const std::vector<std::pair<std::string, std::string>> fields = {{"RateLimit-Policy", h->policy},
                                                                   {"RateLimit", h->ratelimit},
                                                                   {"RateLimit-Limit", "100"},
                                                                   {"RateLimit-Remaining", "50"},
                                                                   {"RateLimit-Reset", "30"}};
  EXPECT_EQ(h->fields(), fields);
}

TEST(ResponseHeaders, RefusedRequestWaitsForTheSlowestViolatedPolicy) {
  using std::chrono::milliseconds;
  const std::vector<NamedLimit> limits = {
      limit("fast", GcraPolicy{.count = 10, .period = seconds(1), .max_burst = 9},
            {.allowed = false,
             .limit = 10,
             .retry_after = milliseconds(100),
             .reset_after = seconds(1)}),
      limit("ok", SlidingLogPolicy{.limit = 5, .window = seconds(10)},
            {.allowed = true, .limit = 5, .remaining = 0, .reset_after = seconds(10)}),
      limit("slow", FixedWindowPolicy{.limit = 3, .window = seconds(60)},
            {.allowed = false,
             .limit = 3,
             .remaining = 1,
             .retry_after = milliseconds(41'001),
             .reset_after = milliseconds(41'001)})};
  auto h = response_headers(limits, {.legacy = true});
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_TRUE(h->refused);
  EXPECT_EQ(h->ratelimit, R"("fast";r=0;t=1, "ok";r=0;t=10, "slow";r=1;t=42)");
  EXPECT_EQ(h->retry_after, seconds(42));
  // The legacy trio describes a violated policy, the one with the least remaining.
  EXPECT_EQ(h->legacy, (LegacyFields{.limit = 10, .remaining = 0, .reset = seconds(1)}));
  ASSERT_TRUE(h->problem.has_value());
  const nlohmann::json body = nlohmann::json::parse(*h->problem);
  EXPECT_EQ(body["type"], "https://iana.org/assignments/http-problem-types#quota-exceeded");
  EXPECT_EQ(body["status"], 429);
  EXPECT_TRUE(body["title"].is_string());
  EXPECT_EQ(body["violated-policies"], nlohmann::json::array({"fast", "slow"}));
  EXPECT_EQ(body["detail"], R"(Quota exceeded for policy "fast", "slow". Retry after 42 seconds.)");
}

TEST(ResponseHeaders, NoWaitHelpsARequestAboveALimit) {
  const std::vector<NamedLimit> limits = {
      limit("small", TokenBucketPolicy{.capacity = 5, .count = 1, .period = seconds(1)},
            {.allowed = false, .limit = 5, .remaining = 5, .retry_after = std::nullopt}),
      limit("other", FixedWindowPolicy{.limit = 10, .window = seconds(1)},
            {.allowed = false,
             .limit = 10,
             .retry_after = std::chrono::milliseconds(300),
             .reset_after = std::chrono::milliseconds(300)})};
  auto h = response_headers(limits);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_TRUE(h->refused);
  EXPECT_EQ(h->retry_after, std::nullopt);
  EXPECT_EQ(h->ratelimit, R"("small";r=5, "other";r=0;t=1)");
  const nlohmann::json body = nlohmann::json::parse(h->problem.value());
  EXPECT_EQ(body["violated-policies"], nlohmann::json::array({"small", "other"}));
  const std::string detail = body["detail"];
  EXPECT_NE(detail.find(R"(policy "small" ever allows)"), std::string::npos) << detail;
  EXPECT_NE(detail.find("no Retry-After"), std::string::npos) << detail;
  EXPECT_NE(detail.find("must change"), std::string::npos) << detail;
  for (const auto& [name, value] : h->fields()) EXPECT_NE(name, "Retry-After");
}

TEST(ResponseHeaders, ArgumentErrors) {
  const Decision d{.allowed = true, .limit = 3, .remaining = 3};
  std::vector<NamedLimit> limits = {limit("a", SlidingLogPolicy{.limit = 3}, d),
                                    limit("b", SlidingLogPolicy{.limit = 4}, d)};
  EXPECT_EQ(error_of(response_headers(limits)),
            "limits[1].decision.limit: 3; must be the policy's quota, 4 (a decision of another "
            "policy?)");
  limits = {limit("a", SlidingLogPolicy{.limit = 3}, {.limit = 3, .remaining = 4})};
  EXPECT_EQ(error_of(response_headers(limits)),
            "limits[0].decision.remaining: 4; must be in [0, 3]");
  limits = {limit("a", SlidingLogPolicy{.limit = 3}, {.limit = 3, .reset_after = Micros(-1)})};
  EXPECT_EQ(error_of(response_headers(limits)),
            "limits[0].decision.reset_after_us: -1; must be in [0, 9007199254740992]");
  limits = {limit("a", SlidingLogPolicy{.limit = 3}, {.limit = 3, .retry_after = Micros::max()})};
  EXPECT_EQ(error_of(response_headers(limits)),
            "limits[0].decision.retry_after_us: 9223372036854775807; must be in [0, "
            "9007199254740992]");
  limits = {limit("a", SlidingLogPolicy{.limit = 0}, d)};
  EXPECT_EQ(error_of(response_headers(limits)).substr(0, 26), "limits[0].policy: limit: 0");
  limits = {limit("a\x7f", SlidingLogPolicy{.limit = 3}, d)};
  EXPECT_EQ(error_of(response_headers(limits)),
            R"(RateLimit-Policy: policies[0].name: "a\x7F"; byte 1 is 0x7F; must be printable )"
            R"(ASCII (0x20-0x7E), all an sf-string carries)");
  limits.clear();
  EXPECT_EQ(error_of(response_headers(limits)),
            "RateLimit-Policy: policies: 0 members; must be in [1, 16]");
}

TEST(ResponseHeaders, PartitionKeyAndUnitInBothFields) {
  NamedLimit l =
      limit("bytes", FixedWindowPolicy{.limit = 1000, .window = seconds(60)},
            {.allowed = true, .limit = 1000, .remaining = 10, .reset_after = seconds(5)});
  l.quota_unit = "content-bytes";
  l.partition_key = "App-999";
  auto h = response_headers(std::span(&l, 1));
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->policy, R"("bytes";q=1000;w=60;qu="content-bytes";pk=:QXBwLTk5OQ==:)");
  EXPECT_EQ(h->ratelimit, R"("bytes";r=10;t=5;pk=:QXBwLTk5OQ==:)");
}

// Over real decisions of generated policies (windows up to 5 s, so rounding to seconds matters):
// Retry-After is at least every violated policy's t and at least 1 s, a request retried after
// it is allowed by each violated policy, r <= q, and the fields parse back to what quota_policy
// and quota_status give.
RC_GTEST_PROP(ResponseHeaders, RetryAfterIsNeverEarlierThanAViolatedPolicy, ()) {
  const auto count = *rc::gen::inRange<std::size_t>(2, 4);
  const auto policies = *rc::gen::container<std::vector<Policy>>(count, gen_policy(5000));
  std::vector<State> states;
  for (const Policy& p : policies) states.push_back(initial_state(p));
  std::set<std::int64_t> waits;  // distinct t among violated policies, for the tags
  for (const Request& r : *gen_trace(500'000, 9)) {
    std::vector<NamedLimit> limits;
    for (std::size_t i = 0; i < policies.size(); ++i) {
      limits.push_back(limit("p" + std::to_string(i), policies[i],
                             decide(states[i], policies[i], r.at, r.cost)));
    }
    auto h = response_headers(limits);
    RC_ASSERT(h.ok());
    const auto statuses = parse_ratelimit_field(h->ratelimit);
    const auto quotas = parse_policy_field(h->policy);
    RC_ASSERT(statuses.ok() && quotas.ok());
    bool never = false;
    for (std::size_t i = 0; i < limits.size(); ++i) {
      RC_ASSERT((*statuses)[i] == quota_status(limits[i].name, limits[i].decision));
      RC_ASSERT((*quotas)[i] == quota_policy(limits[i].name, limits[i].policy));
      RC_ASSERT((*statuses)[i].remaining <= (*quotas)[i].quota);
      if (limits[i].decision.allowed) continue;
      RC_ASSERT(h->refused);
      if (!limits[i].decision.retry_after) {
        never = true;
        continue;
      }
      RC_ASSERT((*statuses)[i].reset.has_value());
      waits.insert((*statuses)[i].reset->count());
      if (!h->retry_after) continue;  // another policy is never satisfiable
      RC_ASSERT(*h->retry_after >= *(*statuses)[i].reset);
      State later = states[i];
      RC_ASSERT(decide(later, policies[i], r.at + *h->retry_after, r.cost).allowed);
    }
    RC_ASSERT(h->refused == h->problem.has_value());
    if (h->refused) {
      RC_ASSERT(h->retry_after.has_value() == !never);
      if (h->retry_after) RC_ASSERT(*h->retry_after >= seconds(1));
    } else {
      RC_ASSERT(!h->retry_after.has_value());
    }
  }
  RC_TAG(waits.size() > 1 ? "violated policies with different t" : "one t at most");
}

}  // namespace
}  // namespace faultline::ratelimit
