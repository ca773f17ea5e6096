// A suspended caller's completion handler, kept until something resumes it: the one
// type-erased handler slot behind every hand-written asynchronous operation in the library
// (the bulkhead's queue, the Redis connection's calls, the PostgreSQL socket waits).
//
// Why not boost::asio::any_completion_handler: in Boost 1.81 it wraps itself recursively when
// moved through a lambda capture, so we erase the type ourselves.
//
// Single-threaded like the code that owns it: not safe for concurrent use.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/post.hpp>

#include <cassert>
#include <memory>
#include <utility>

namespace faultline::detail {

template <class... Args>
class ParkedHandler {
 public:
  // Empty: nothing is parked.
  ParkedHandler() = default;
  template <class Handler>
  explicit ParkedHandler(Handler handler)
      : parked_(std::make_unique<Holder<Handler>>(std::move(handler))) {}

  ParkedHandler(ParkedHandler&&) noexcept = default;
  ParkedHandler& operator=(ParkedHandler&&) noexcept = default;

  // Whether a handler is parked.
  explicit operator bool() const noexcept { return parked_ != nullptr; }

  // Runs the handler now, inside the caller, with `args`. Empties this first, so the handler
  // runs at most once even if it re-enters its owner. Precondition: not empty.
  void resume(Args... args) {
    assert(parked_ && "resume of an empty ParkedHandler");
    const std::unique_ptr<Base> parked = std::move(parked_);
    parked->invoke(std::move(args)...);
  }

  // Posts the handler with `args` to the handler's own executor, so the caller never runs
  // inside the code that resumes it. Empties this. Precondition: not empty.
  void post(Args... args) {
    assert(parked_ && "post of an empty ParkedHandler");
    const std::unique_ptr<Base> parked = std::move(parked_);
    parked->post(std::move(args)...);
  }

  // Destroys the handler without running it: its coroutine frames are handed to their executor
  // to unwind and are never resumed.
  void reset() noexcept { parked_.reset(); }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void invoke(Args&&... args) = 0;
    virtual void post(Args&&... args) = 0;
  };
  template <class Handler>
  struct Holder final : Base {
    explicit Holder(Handler h) : handler(std::move(h)) {}
    void invoke(Args&&... args) override { std::move(handler)(std::move(args)...); }
    void post(Args&&... args) override {
      auto executor = boost::asio::get_associated_executor(handler);
      boost::asio::post(executor, [h = std::move(handler), ... a = std::move(args)]() mutable {
        std::move(h)(std::move(a)...);
      });
    }
    Handler handler;
  };

  std::unique_ptr<Base> parked_;
};

}  // namespace faultline::detail
