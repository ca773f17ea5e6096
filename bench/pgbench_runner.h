// Running pgbench beside our own benchmarks, in the same run, on the same cluster. Shared by
// postgres_lock_bench and postgres_idempotency_bench.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "faultline/backends/postgres/connection_options.h"

namespace faultline::bench {

inline constexpr const char* kPgbench = "/usr/lib/postgresql/15/bin/pgbench";

struct PgbenchRun {
  double tps = 0;           // script runs (pgbench's transactions) per second
  double transactions = 0;  // script runs processed
};

// Runs `pgbench -n -M extended -c clients -j threads -T duration -f <script> <arguments>` against
// the server `options` names and returns its rate, or nothing if it could not run (its output
// then goes to stderr). -M extended: pgbench sends each statement as we do, unnamed with its
// :variables as text parameters. `arguments` go before the connection options (e.g. -D name=v);
// they are passed to a shell, so they must need no quoting. The password travels in the
// environment (PGPASSWORD), not on the command line.
inline std::optional<PgbenchRun> pgbench(const backends::postgres::ConnectionOptions& options,
                                         std::string_view script, int clients, int threads,
                                         std::chrono::seconds duration,
                                         const std::string& arguments = "") {
  char script_path[] = "/tmp/faultline-pgbench-XXXXXX";
  const int fd = ::mkstemp(script_path);
  if (fd < 0) return std::nullopt;
  const bool written =
      ::write(fd, script.data(), script.size()) == static_cast<ssize_t>(script.size());
  ::close(fd);
  if (!written) return std::nullopt;
  ::setenv("PGPASSWORD", options.password.c_str(), 1);
  const std::string command = std::string(kPgbench) + " -n -M extended -c " +
                              std::to_string(clients) + " -j " + std::to_string(threads) +
                              " -T " + std::to_string(duration.count()) + " -f " + script_path +
                              " " + arguments + " -h " + options.host + " -p " +
                              std::to_string(options.port) + " -U " + options.user + " " +
                              options.dbname + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string output;
  if (pipe != nullptr) {
    char chunk[4096];
    for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) {
      output.append(chunk, n);
    }
  }
  const int status = pipe != nullptr ? ::pclose(pipe) : -1;
  ::unsetenv("PGPASSWORD");
  ::unlink(script_path);
  if (status != 0) {
    std::fprintf(stderr, "pgbench failed:\n%s\n", output.c_str());
    return std::nullopt;
  }
  // "number of transactions actually processed: 93583"
  // "tps = 9012.345678 (without initial connection time)"
  const std::string processed_label = "actually processed: ";
  const std::size_t processed = output.find(processed_label);
  const std::size_t at = output.find("tps = ");
  if (processed == std::string::npos || at == std::string::npos) return std::nullopt;
  PgbenchRun run;
  run.transactions = std::strtod(output.c_str() + processed + processed_label.size(), nullptr);
  run.tps = std::strtod(output.c_str() + at + 6, nullptr);
  return run;
}

}  // namespace faultline::bench
