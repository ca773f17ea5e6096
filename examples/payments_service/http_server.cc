#include "examples/payments_service/http_server.h"

#include <cstdio>
#include <exception>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "examples/payments_service/host_port.h"
#include "examples/payments_service/problem.h"
#include "faultline/validate.h"

namespace faultline::payments {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::State {
  asio::io_context& io;
  tcp::acceptor acceptor;
  HttpLimits limits;
  Handler handler;
  std::size_t open = 0;      // connections being served
  std::size_t refusing = 0;  // connections being answered 503 (bounded as well)
};

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// After an error response the client may still be sending: read (and drop) this much for at most
// kLingerTime before closing, so that the close does not reset the connection under the answer.
constexpr std::size_t kLingerBytes = std::size_t{1} << 20;
constexpr auto kLingerTime = std::chrono::seconds(1);

// Counts a connection for as long as its coroutine lives.
class Counted {
 public:
  Counted(std::shared_ptr<HttpServer::State> state, std::size_t HttpServer::State::*counter)
      : state_(std::move(state)), counter_(counter) { ++((*state_).*counter_); }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;
  ~Counted() { --((*state_).*counter_); }

 private:
  std::shared_ptr<HttpServer::State> state_;
  std::size_t HttpServer::State::*counter_;
};

HttpRequest from_beast(const http::request<http::string_body>& in) {
  HttpRequest request;
  request.method = std::string(in.method_string());
  request.target = std::string(in.target());
  if (auto found = in.find(http::field::authorization); found != in.end()) {
    request.authorization = std::string(found->value());
  }
  const auto [first, last] = in.equal_range("Idempotency-Key");
  for (auto it = first; it != last; ++it) {
    if (!request.idempotency_key) request.idempotency_key = std::string(it->value());
    ++request.idempotency_key_headers;
  }
  request.body = in.body();
  return request;
}

http::response<http::string_body> to_beast(const HttpResponse& response, unsigned version,
                                           bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(response.status), version};
  out.set(http::field::server, "faultline-payments");
  out.set(http::field::content_type, response.content_type);
  if (response.retry_after) {
    out.set(http::field::retry_after, std::to_string(response.retry_after->count()));
  }
  if (response.replayed) out.set("Idempotent-Replayed", "true");
  if (!response.www_authenticate.empty()) {
    out.set(http::field::www_authenticate, response.www_authenticate);
  }
  for (const auto& [name, value] : response.fields) out.set(name, value);
  out.body() = response.body;
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

// The answer to a read that failed, or nothing when the connection just ended (closed, reset,
// idle past the read timeout, cut off half way through a request).
std::optional<HttpResponse> read_failure(const beast::error_code& error, const HttpLimits& limits) {
  if (error == http::error::body_limit) {
    return problem_response({.status = 413,
                             .type = "body-too-large",
                             .title = "The body is too large",
                             .detail = "body: longer than " +
                                       std::to_string(limits.max_body_bytes) + " bytes",
                             .field = "body"});
  }
  if (error == http::error::header_limit) {
    return problem_response({.status = 431,
                             .type = "headers-too-large",
                             .title = "The header block is too large",
                             .detail = "headers: longer than " +
                                       std::to_string(limits.max_header_bytes) + " bytes"});
  }
  const bool ended = error == http::error::end_of_stream || error == http::error::partial_message;
  if (ended || error.category() != http::make_error_code(http::error::bad_method).category()) {
    return std::nullopt;
  }
  return problem_response({.status = 400,
                           .type = "malformed-http",
                           .title = "The request is not valid HTTP/1.1",
                           .detail = "http: " + error.message()});
}

// Half-closes and reads what the client still sends (bounded), then the socket closes.
Task<void> linger(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(kLingerTime);
  std::array<char, 16 * 1024> sink{};
  for (std::size_t drained = 0; drained < kLingerBytes;) {
    auto [error, bytes] = co_await stream.async_read_some(asio::buffer(sink), kNoThrow);
    if (error) break;
    drained += bytes;
  }
}

Task<void> serve(std::shared_ptr<HttpServer::State> state, tcp::socket socket) {
  const Counted counted(state, &HttpServer::State::open);
  const HttpLimits& limits = state->limits;
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (bool keep_alive = true; keep_alive;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    stream.expires_after(limits.read_timeout);
    auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    HttpResponse response;
    unsigned version = 11;
    if (read_error) {
      std::optional<HttpResponse> failure = read_failure(read_error, limits);
      if (!failure) co_return;
      response = std::move(*failure);
      keep_alive = false;
    } else {
      const HttpRequest request = from_beast(parser.get());
      response = co_await state->handler(request);
      version = parser.get().version();
      keep_alive = parser.get().keep_alive() && !response.close;
    }
    http::response<http::string_body> out = to_beast(response, version, keep_alive);
    stream.expires_after(limits.write_timeout);
    auto [write_error, written] = co_await http::async_write(stream, out, kNoThrow);
    if (write_error) co_return;
  }
  co_await linger(stream);
}

// One connection past the limit: a 503 and close (itself bounded by the write timeout).
Task<void> refuse(std::shared_ptr<HttpServer::State> state, tcp::socket socket) {
  const Counted counted(state, &HttpServer::State::refusing);
  beast::tcp_stream stream(std::move(socket));
  HttpResponse busy = problem_response(
      {.status = 503,
       .type = "too-many-connections",
       .title = "Too many connections",
       .detail = "connections: " + std::to_string(state->limits.max_connections) +
                 " are open, the most this server serves at once"});
  busy.retry_after = std::chrono::seconds(1);
  http::response<http::string_body> out = to_beast(busy, 11, false);
  stream.expires_after(state->limits.write_timeout);
  co_await http::async_write(stream, out, kNoThrow);
  co_await linger(stream);
}

void log_exception(std::exception_ptr thrown) {
  if (!thrown) return;
  try {
    std::rethrow_exception(thrown);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http: a connection ended with an exception: %s\n", e.what());
  }
}

}  // namespace

Result<void> HttpLimits::validate() const {
  for (Result<void> checked : {check_size("max_body_bytes", max_body_bytes, 1, 16 << 20, "B"),
                               check_size("max_header_bytes", max_header_bytes, 1024, 1 << 20,
                                          "B"),
                               check_size("max_connections", max_connections, 1, 65536),
                               check_positive("read_timeout", read_timeout, std::chrono::hours(1)),
                               check_positive("write_timeout", write_timeout,
                                              std::chrono::hours(1))}) {
    if (!checked.ok()) return checked;
  }
  return {};
}

Result<std::unique_ptr<HttpServer>> HttpServer::create(asio::io_context& io,
                                                       std::string_view listen,
                                                       HttpLimits limits, Handler handler) {
  if (Result<void> valid = limits.validate(); !valid.ok()) return std::move(valid).error();
  Result<std::pair<std::string, int>> address = parse_host_port("--listen", listen);
  if (!address.ok()) return std::move(address).error();
  boost::system::error_code error;
  const asio::ip::address ip = asio::ip::make_address(address->first, error);
  if (error) return invalid_argument("--listen: the host must be an IP literal");
  const tcp::endpoint endpoint(ip, static_cast<std::uint16_t>(address->second));
  tcp::acceptor acceptor(io);
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (!error) {
    auto state = std::make_shared<State>(State{io, std::move(acceptor), limits,
                                               std::move(handler)});
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(state)));
  }
  return unavailable("--listen: cannot listen on " + std::string(listen) + ": " + error.message());
}

HttpServer::~HttpServer() { stop(); }

Task<void> HttpServer::run() {
  const std::shared_ptr<State> state = state_;
  asio::steady_timer pause(state->io);
  while (state->acceptor.is_open()) {
    auto [error, socket] = co_await state->acceptor.async_accept(kNoThrow);
    if (error == asio::error::operation_aborted || !state->acceptor.is_open()) co_return;
    if (error) {  // out of descriptors, say: wait a little rather than spin
      std::fprintf(stderr, "http: accept failed: %s\n", error.message().c_str());
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    const std::size_t limit = state->limits.max_connections;
    if (state->open < limit) {
      asio::co_spawn(state->io, serve(state, std::move(socket)), log_exception);
    } else if (state->refusing < limit) {
      asio::co_spawn(state->io, refuse(state, std::move(socket)), log_exception);
    }  // else the socket closes here: even refusals are bounded
  }
}

void HttpServer::stop() {
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
}

tcp::endpoint HttpServer::local_endpoint() const {
  boost::system::error_code ignored;
  return state_->acceptor.local_endpoint(ignored);
}

}  // namespace faultline::payments
