// Running redis-benchmark beside our own benchmarks, in the same run, on the same servers.
// Shared by redis_lock_bench, redlock_bench, redis_idempotency_bench and redis_limit_bench.
#pragma once

#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/connection.h"
#include "faultline/backends/redis/script.h"
#include "tests/support/redis_env.h"

namespace faultline::bench {

// The first server's port, or nothing with the benchmark skipped (FAULTLINE_REDIS_PORTS unset).
inline std::optional<int> redis_port_or_skip(benchmark::State& state) {
  const std::optional<int> port = testing::first_redis_port();
  if (!port) {
    state.SkipWithError("FAULTLINE_REDIS_PORTS is not set; run via scripts/redis-servers.sh");
  }
  return port;
}

// `count` stores, each made by Store::create(io, options) with a Connection of its own to the
// server on `port`; empty, with the benchmark skipped naming the error, if one fails.
template <class Store>
std::vector<std::unique_ptr<Store>> make_stores(benchmark::State& state,
                                                boost::asio::io_context& io, int port, int count) {
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < count; ++i) {
    backends::redis::ConnectionOptions options;
    options.port = port;
    Result<std::unique_ptr<Store>> store = Store::create(io, options);
    if (!store.ok()) {
      state.SkipWithError(store.error().to_string().c_str());
      return {};
    }
    stores.push_back(std::move(store).value());
  }
  return stores;
}

// n as redis-benchmark writes __rand_int__: twelve digits, zero-padded.
inline std::string twelve_digits(long n) {
  char text[24];
  std::snprintf(text, sizeof text, "%012ld", n);
  return text;
}

// The SHA1 the server on `port` gives the Lua script `body` (loads it, so EVALSHA finds it), or
// nothing if it could not be loaded.
inline std::optional<std::string> load_script(boost::asio::io_context& io, int port,
                                              std::string_view body) {
  backends::redis::ConnectionOptions options;
  options.port = port;
  Result<backends::redis::Connection> connection =
      backends::redis::Connection::create(io, options);
  if (!connection.ok()) return std::nullopt;
  backends::redis::Script script{std::string(body)};
  Result<void> loaded =
      backends::block_on(io, script.load(*connection, std::chrono::seconds(2)));
  if (!loaded.ok()) return std::nullopt;
  return script.sha1();
}

// Runs `redis-benchmark -c clients -P pipeline -n requests -r keyspace -q EVALSHA shas[i]
// arguments` against every port at once (one process each, started together) and returns each
// one's requests per second, or nothing for a run that failed. Each of the `clients` connections
// keeps `pipeline` requests outstanding; each __rand_int__ in `arguments` becomes a random
// integer in [0, keyspace), zero-padded to 12 digits.
inline std::vector<std::optional<double>> redis_benchmark(const std::vector<int>& ports,
                                                          int clients, int requests,
                                                          const std::vector<std::string>& shas,
                                                          const std::string& arguments,
                                                          int pipeline = 1,
                                                          long keyspace = 1'000'000) {
  std::vector<FILE*> pipes;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const std::string command = "redis-benchmark -h 127.0.0.1 -p " + std::to_string(ports[i]) +
                                " -c " + std::to_string(clients) + " -P " +
                                std::to_string(pipeline) + " -n " +
                                std::to_string(requests) + " -r " + std::to_string(keyspace) +
                                " -q EVALSHA " + shas[i] +
                                " " + arguments + " 2>&1";
    pipes.push_back(::popen(command.c_str(), "r"));
  }
  std::vector<std::optional<double>> rates;
  for (FILE* pipe : pipes) {
    if (pipe == nullptr) {
      rates.emplace_back();
      continue;
    }
    std::string output;
    char chunk[4096];
    for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) {
      output.append(chunk, n);
    }
    const int status = ::pclose(pipe);
    // "-q" prints "<command>: 27000.00 requests per second, p50=..." (after \r progress lines).
    const std::size_t label = output.rfind(" requests per second");
    if (status != 0 || label == std::string::npos) {
      rates.emplace_back();
      continue;
    }
    const std::size_t start = output.rfind(' ', label - 1);
    rates.emplace_back(
        std::strtod(output.c_str() + (start == std::string::npos ? 0 : start + 1), nullptr));
  }
  return rates;
}

}  // namespace faultline::bench
