// The Lua scripts on a real Redis (FAULTLINE_REDIS_PORTS; skipped without it) against the pure
// model at instants the test chooses, including instants that go back in time (a server clock
// stepped back, a failover to a replica behind): each script is run with `now` taken from
// ARGV[5] instead of TIME, so the transcription is checked on paths the conformance suite,
// bound to the server's clock, never reaches. (The TTLs, which count in the server's own
// milliseconds, are never set here: the conformance suite checks them.)
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <boost/asio/io_context.hpp>

#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/limit_scripts.h"
#include "faultline/backends/redis/limit_store.h"
#include "faultline/backends/system_random.h"
#include "faultline/random.h"
#include "tests/ratelimit/ratelimit_support.h"
#include "tests/support/redis_env.h"

namespace faultline::ratelimit {
namespace {

using backends::redis::Connection;
using backends::redis::ConnectionOptions;
using backends::redis::Script;

// The store's script for `policy`, its clock replaced by ARGV[5] (the prelude's `now` is a
// local the functions capture, so assigning it after the prelude moves their clock), and no TTL
// ever set: PEXPIRE is a no-op and GCRA's `SET key tat PX ttl` loses its PX. A TTL counts in the
// server's real milliseconds, not in these chosen instants, so a short one (GCRA's reset_after
// can be a few hundred ms) could expire the state before the next request on a slow (sanitized)
// client, and the script would answer as for a fresh key. The functions after the prelude see
// the local `redis` below instead of the global one.
std::string script_at_given_now(const Policy& policy) {
  namespace scripts = backends::redis::limit_scripts;
  std::string script = scripts::single_script(algorithm_name(policy));
  const std::size_t after_prelude = scripts::kPrelude.size();
  script.insert(after_prelude,
                "\nnow = tonumber(ARGV[5])\n"
                "local server = redis\n"
                "local redis = setmetatable({call = function(command, ...)\n"
                "  if command == 'PEXPIRE' then return 1 end\n"
                "  if command == 'SET' then return server.call('SET', (select(1, ...)), (select(2, ...))) end\n"
                "  return server.call(command, ...)\n"
                "end}, {__index = server})\n");
  return script;
}

// Steps of -200ms .. +300ms from a realistic instant (2026), costs 0..4.
rc::Gen<std::vector<Request>> gen_wandering_trace() {
  using Step = std::pair<std::int64_t, std::int64_t>;
  return rc::gen::map(
      rc::gen::container<std::vector<Step>>(
          rc::gen::pair(rc::gen::inRange<std::int64_t>(-200'000, 300'001),
                        rc::gen::inRange<std::int64_t>(0, 5))),
      [](const std::vector<Step>& steps) {
        std::vector<Request> trace;
        Instant t(Micros(1'800'000'000'000'000));
        for (const auto& [gap, cost] : steps) {
          t += Micros(gap);
          trace.push_back({.at = t, .cost = cost});
        }
        return trace;
      });
}

TEST(LimitScriptsOnRedis, AgreeWithTheModelAtAnyInstantsIncludingTimeReadBack) {
  const std::optional<int> port = testing::first_redis_port();
  if (!port) GTEST_SKIP() << "FAULTLINE_REDIS_PORTS is not set; run via scripts/redis-servers.sh";
  boost::asio::io_context io;
  ConnectionOptions options;
  options.port = *port;
  Result<Connection> connection = Connection::create(io, options);
  ASSERT_TRUE(connection.ok()) << connection.error().to_string();
  backends::SystemRandom random;
  const std::string run = "scripts-" + random_token(random).substr(0, 12);
  int case_number = 0;
  const bool ok = rc::check("the script decides as the model", [&] {
    const Policy policy = *gen_policy(300);
    const std::string key = fmt::format("{}:{}", run, case_number++);
    Script script(script_at_given_now(policy));
    State model = initial_state(policy);
    const auto params = backends::redis::script_params(policy);
    for (const Request& r : *gen_wandering_trace()) {
      const std::string cost = std::to_string(r.cost);
      const std::string now = std::to_string(r.at.time_since_epoch().count());
      const std::vector<std::string_view> keys{key};
      const std::vector<std::string_view> args{params[0], params[1], params[2], cost, now};
      Result<backends::redis::RedisReply> reply =
          backends::block_on(io, script.run(*connection, keys, args, std::chrono::seconds(2)));
      if (!reply.ok()) RC_FAIL(reply.error().to_string());
      Result<backends::redis::TimedDecision> got = backends::redis::decode_decision_reply(*reply);
      if (!got.ok()) {
        RC_FAIL(fmt::format("{} at {} cost {}: {} ({})", algorithm_name(policy), now, r.cost,
                            got.error().to_string(), reply->is_error() ? reply->as_text() : std::string()));
      }
      const Decision want = decide(model, policy, r.at, r.cost);
      const Decision& d = got->decision;
      if (d.allowed != want.allowed || d.remaining != want.remaining ||
          d.retry_after != want.retry_after || d.reset_after != want.reset_after) {
        RC_FAIL(fmt::format("{} at {} cost {}: script {}/{}/{}/{}, model {}/{}/{}/{}",
                            algorithm_name(policy), now, r.cost, d.allowed, d.remaining,
                            d.retry_after ? d.retry_after->count() : -1, d.reset_after.count(),
                            want.allowed, want.remaining,
                            want.retry_after ? want.retry_after->count() : -1,
                            want.reset_after.count()));
      }
    }
  });
  EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace faultline::ratelimit
