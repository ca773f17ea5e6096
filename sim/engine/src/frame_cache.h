// FrameCache: Asio's per-thread recycling allocator, switched on while a World runs events.
//
// Every co_await of an asynchronous operation allocates a small coroutine frame (Asio's
// initiation), and every post() a small function object. Asio recycles those blocks through the
// thread_info of the io_context::run() that is running on the thread; a World runs events
// outside any run(), so each block went to malloc and back, about a sixth of an event's cost.
// A Scope makes a FrameCache the thread's current one for its lifetime, so those blocks are
// reused instead. Scopes nest (run_until() holds one, step() another); a block allocated under one
// Scope and freed outside every Scope goes back to the heap, as Asio does itself.
//
// It leans on Asio's detail namespace (thread_context, thread_info_base): correct for the Boost
// this project builds with (1.81, Debian's); with another Boost it does nothing, and everything
// still runs, a little slower (the top-level CMakeLists.txt says so when it configures).
#pragma once

#include <boost/version.hpp>

#if BOOST_VERSION == 108100
#include <boost/asio/detail/thread_context.hpp>
#include <boost/asio/detail/thread_info_base.hpp>
#define FAULTLINE_SIM_FRAME_CACHE 1
#endif

namespace faultline::sim::detail {

#if defined(FAULTLINE_SIM_FRAME_CACHE)
class FrameCache : private boost::asio::detail::thread_context {
 public:
  class Scope {
   public:
    explicit Scope(FrameCache& cache) : context_(&cache, cache.info_) {}
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    thread_call_stack::context context_;
  };

 private:
  boost::asio::detail::thread_info_base info_;
};
#else
class FrameCache {
 public:
  class Scope {
   public:
    explicit Scope(FrameCache&) {}
  };
};
#endif

}  // namespace faultline::sim::detail
