// The fixture shared by the PostgreSQL tests: a single-threaded io_context, the connection
// options from FAULTLINE_PG_* (every test skips without them), and synchronous helpers to drive
// coroutines against the real server.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "faultline/backends/block_on.h"
#include "faultline/backends/postgres/connection.h"
#include "faultline/backends/postgres/connection_options.h"
#include "faultline/backends/postgres/pg_result.h"
#include "faultline/clock.h"
#include "faultline/result.h"
#include "faultline/task.h"
#include "tests/support/postgres_env.h"

namespace faultline::testing {

class PostgresTest : public ::testing::Test {
 protected:
  // Skips the test when FAULTLINE_PG_* is unset. A derived SetUp() calls this first and returns
  // if IsSkipped().
  void SetUp() override {
    std::optional<backends::postgres::ConnectionOptions> options = options_from_env();
    if (!options) GTEST_SKIP() << kPgEnvMissing;
    options_ = std::move(*options);
  }

  // Runs `task` to completion on io_.
  template <class T>
  T run(Task<T> task) {
    return backends::block_on(io_, std::move(task));
  }

  backends::postgres::Connection connect() {
    using namespace std::chrono_literals;
    Result<backends::postgres::Connection> connection =
        run(backends::postgres::Connection::connect(io_, options_, 5s));
    EXPECT_TRUE(connection.ok()) << connection.error().to_string();
    return std::move(connection).value();
  }

  // Starts `task` now; its result appears in the returned slot when it finishes.
  template <class T>
  std::shared_ptr<std::optional<T>> spawn(Task<T> task) {
    auto slot = std::make_shared<std::optional<T>>();
    boost::asio::co_spawn(
        io_,
        [](Task<T> t, std::shared_ptr<std::optional<T>> out) -> Task<void> {
          out->emplace(co_await std::move(t));
        }(std::move(task), slot),
        boost::asio::detached);
    return slot;
  }

  // Runs the io_context until `done` or `limit` passes.
  template <class T>
  void run_until(const std::shared_ptr<std::optional<T>>& done, Duration limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done->has_value() && std::chrono::steady_clock::now() < until) step();
  }
  // Runs the io_context for `limit` of wall time (the backends keep no background work, so the
  // io_context stops whenever it runs dry; restart it).
  void pump_for(Duration limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) step();
  }
  // Runs whatever is ready now, without waiting.
  void poll() {
    io_.restart();
    io_.poll();
  }
  // Runs one handler, waiting at most 10ms for one.
  void step() {
    using namespace std::chrono_literals;
    io_.restart();
    if (io_.run_one_for(10ms) == 0) std::this_thread::sleep_for(1ms);
  }

  Result<backends::postgres::PgResult> query(backends::postgres::Connection& connection,
                                             std::string_view sql,
                                             const std::vector<std::string>& params = {},
                                             Duration timeout = std::chrono::seconds(5)) {
    return run(connection.query(sql, params, timeout));
  }

  boost::asio::io_context io_{1};
  backends::postgres::ConnectionOptions options_;
};

}  // namespace faultline::testing
