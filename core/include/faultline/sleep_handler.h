// SleepHandler: the completion of one Clock::sleep_for, type-erased so that a Clock (a virtual
// interface) can hold it.
//
// Contract
//   - Wraps an Asio completion handler of signature void() whose associated executor converts
//     to boost::asio::any_io_executor: a coroutine's on an io_context or a strand, which is
//     every Task's.
//   - Call it at most once. operator() completes the sleep and resumes the sleeping coroutine
//     inline, so call it from the executor that coroutine runs on (a timer bound to
//     executor() does). post() queues it on that executor instead: for a sleep that ends at
//     once, without resuming the coroutine from inside its own co_await.
//   - Destroyed uncalled, the sleep is abandoned: Asio destroys the coroutine's frames through
//     its executor; they are never resumed.
//   - executor() and cancellation_slot() are the wrapped handler's associated ones: a timer
//     that serves the sleep is built on the first and cancelled through the second.
//
// Ownership: move-only; owns the wrapped handler. A coroutine's handler (one pointer) is stored
// inline, so a sleep allocates nothing here.
// Thread-safety: none of its own; a sleep's handler belongs to one thread at a time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>

#include <cassert>
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace faultline {

class SleepHandler {
 public:
  static constexpr std::size_t kInlineBytes = 24;

  template <class Handler, class H = std::decay_t<Handler>,
            class = std::enable_if_t<!std::is_same_v<H, SleepHandler>>>
  explicit SleepHandler(Handler&& handler) {
    static_assert(
        std::is_convertible_v<boost::asio::associated_executor_t<H>, boost::asio::any_io_executor>,
        "a sleep completes on an I/O executor: co_await it in a Task");
    if constexpr (fits_inline<H>()) {
      ::new (static_cast<void*>(storage_)) H(std::forward<Handler>(handler));
      ops_ = &InlineOps<H>::kOps;
    } else {
      *reinterpret_cast<H**>(storage_) = new H(std::forward<Handler>(handler));
      ops_ = &HeapOps<H>::kOps;
    }
  }

  SleepHandler(SleepHandler&& other) noexcept : ops_(std::exchange(other.ops_, nullptr)) {
    if (ops_ != nullptr) ops_->move(other.storage_, storage_);
  }
  SleepHandler& operator=(SleepHandler&& other) noexcept {
    if (this != &other) {
      reset();
      ops_ = std::exchange(other.ops_, nullptr);
      if (ops_ != nullptr) ops_->move(other.storage_, storage_);
    }
    return *this;
  }
  SleepHandler(const SleepHandler&) = delete;
  SleepHandler& operator=(const SleepHandler&) = delete;
  ~SleepHandler() { reset(); }

  // Completes the sleep: the wrapped handler is called and this becomes empty.
  void operator()() {
    assert(ops_ != nullptr && "a sleep completes once");
    std::exchange(ops_, nullptr)->call(storage_);
  }

  // Completes the sleep later, through executor().
  void post() && {
    boost::asio::any_io_executor executor = this->executor();
    boost::asio::post(executor, std::move(*this));
  }

  [[nodiscard]] boost::asio::any_io_executor executor() const {
    assert(ops_ != nullptr);
    return ops_->executor(storage_);
  }
  [[nodiscard]] boost::asio::cancellation_slot cancellation_slot() const {
    assert(ops_ != nullptr);
    return ops_->slot(storage_);
  }

 private:
  template <class H>
  static constexpr bool fits_inline() {
    return sizeof(H) <= kInlineBytes && alignof(H) <= alignof(std::max_align_t) &&
           std::is_nothrow_move_constructible_v<H>;
  }

  void reset() noexcept {
    if (ops_ != nullptr) std::exchange(ops_, nullptr)->destroy(storage_);
  }

  struct Ops {
    void (*call)(void*);  // calls the handler and destroys it
    void (*move)(void* from, void* to) noexcept;
    void (*destroy)(void*) noexcept;
    boost::asio::any_io_executor (*executor)(const void*);
    boost::asio::cancellation_slot (*slot)(const void*);
  };
  template <class H>
  struct InlineOps {
    static H* get(void* p) noexcept { return std::launder(reinterpret_cast<H*>(p)); }
    static const H* get(const void* p) noexcept {
      return std::launder(reinterpret_cast<const H*>(p));
    }
    static void call(void* p) {
      H handler(std::move(*get(p)));  // the storage is free before the coroutine resumes
      get(p)->~H();
      std::move(handler)();
    }
    static void move(void* from, void* to) noexcept {
      ::new (to) H(std::move(*get(from)));
      get(from)->~H();
    }
    static void destroy(void* p) noexcept { get(p)->~H(); }
    static boost::asio::any_io_executor executor(const void* p) {
      return boost::asio::get_associated_executor(*get(p));
    }
    static boost::asio::cancellation_slot slot(const void* p) {
      return boost::asio::get_associated_cancellation_slot(*get(p));
    }
    static constexpr Ops kOps{&call, &move, &destroy, &executor, &slot};
  };
  template <class H>
  struct HeapOps {
    static H*& get(void* p) noexcept { return *reinterpret_cast<H**>(p); }
    static const H* get(const void* p) noexcept { return *reinterpret_cast<H* const*>(p); }
    static void call(void* p) {
      H handler(std::move(*get(p)));
      delete std::exchange(get(p), nullptr);
      std::move(handler)();
    }
    static void move(void* from, void* to) noexcept {
      *reinterpret_cast<H**>(to) = std::exchange(get(from), nullptr);
    }
    static void destroy(void* p) noexcept { delete get(p); }
    static boost::asio::any_io_executor executor(const void* p) {
      return boost::asio::get_associated_executor(*get(p));
    }
    static boost::asio::cancellation_slot slot(const void* p) {
      return boost::asio::get_associated_cancellation_slot(*get(p));
    }
    static constexpr Ops kOps{&call, &move, &destroy, &executor, &slot};
  };

  alignas(std::max_align_t) unsigned char storage_[kInlineBytes];
  const Ops* ops_ = nullptr;
};

}  // namespace faultline
