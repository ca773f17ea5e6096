// HttpServer: HTTP/1.1 on Boost.Beast, one coroutine per connection on one io_context, every
// bound explicit (HttpLimits):
//   - at most max_connections connections are served at once; one past it is answered 503
//     problem+json (Retry-After: 1) and closed, never queued without bound;
//   - a request's header block is at most max_header_bytes (else 431) and its body at most
//     max_body_bytes (else 413, decided from Content-Length before the body is read); the
//     connection closes after either, since the rest of the stream cannot be trusted;
//   - each request must arrive whole within read_timeout of the wait starting (a slow or idle
//     client, keep-alive included, is disconnected), and each response be written within
//     write_timeout.
//   - a request that does not parse as HTTP gets 400 and the connection closes.
// The handler sees an HttpRequest (http_message.h) and answers an HttpResponse; it must not
// throw (an exception closes that connection, logged).
//
// Ownership: create() returns the server; connections in progress share its state, so stop()
// or destruction is safe while they run (they end at their next read). The io_context must
// outlive it. Thread-safety: one single-threaded io_context.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "examples/payments_service/http_message.h"
#include "faultline/clock.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::payments {

struct HttpLimits {
  std::size_t max_body_bytes = 16 * 1024;   // a payment is ~100 bytes; in [1, 16 MiB]
  std::size_t max_header_bytes = 8 * 1024;  // the usual server default; in [1 KiB, 1 MiB]
  std::size_t max_connections = 256;        // in [1, 65536]
  Duration read_timeout = std::chrono::seconds(10);
  Duration write_timeout = std::chrono::seconds(10);

  [[nodiscard]] Result<void> validate() const;
};

using Handler = std::function<Task<HttpResponse>(const HttpRequest&)>;

class HttpServer {
 public:
  // Binds and listens on `listen` ("HOST:PORT", an IP literal; port 0 picks a free one):
  // kInvalidArgument naming a bad limit or address, kUnavailable when the bind fails.
  [[nodiscard]] static Result<std::unique_ptr<HttpServer>> create(boost::asio::io_context& io,
                                                                  std::string_view listen,
                                                                  HttpLimits limits,
                                                                  Handler handler);
  ~HttpServer();

  // Accepts connections until stop(); spawn it on the io_context.
  Task<void> run();
  // Closes the listening socket: run() returns, connections in progress finish.
  void stop();
  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;

  struct State;

 private:
  explicit HttpServer(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace faultline::payments
