// UniqueFunction<void()>: a move-only, type-erased callable with small-buffer storage.
//
// The simulator stores asio completion handlers (move-only) in its event queue. std::function
// needs copyable callables and std::move_only_function is C++23; asio's any_completion_handler
// misbehaved in an earlier measurement (see ENVIRONMENT.md). Callables up to kInlineBytes live
// inline, which keeps the common event (a resumed coroutine) free of heap allocation.
#pragma once

#include <cassert>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace faultline::sim {

class UniqueFunction {
 public:
  static constexpr std::size_t kInlineBytes = 48;

  UniqueFunction() noexcept = default;

  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, UniqueFunction>>>
  UniqueFunction(F&& f) {  // NOLINT: implicit by design, like std::function
    construct(std::forward<F>(f));
  }

  // Replaces the callable with `f`, built in place: storing a callable this way costs no move
  // of a type-erased object (the World's schedule() stores every event so).
  template <class F>
  void emplace(F&& f) {
    if constexpr (std::is_same_v<std::decay_t<F>, UniqueFunction>) {
      *this = std::forward<F>(f);
    } else {
      reset();
      construct(std::forward<F>(f));
    }
  }

  UniqueFunction(UniqueFunction&& other) noexcept : ops_(other.ops_) {
    if (ops_ != nullptr) {
      ops_->move(other.storage_, storage_);
      other.ops_ = nullptr;
    }
  }
  UniqueFunction& operator=(UniqueFunction&& other) noexcept {
    if (this != &other) {
      reset();
      ops_ = other.ops_;
      if (ops_ != nullptr) {
        ops_->move(other.storage_, storage_);
        other.ops_ = nullptr;
      }
    }
    return *this;
  }
  UniqueFunction(const UniqueFunction&) = delete;
  UniqueFunction& operator=(const UniqueFunction&) = delete;
  ~UniqueFunction() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  void operator()() {
    assert(ops_ != nullptr);
    ops_->call(storage_);
  }

  // Calls the callable once and leaves this empty, with one indirect call: the callable is moved
  // onto the stack first, so it may outlive this object (an event's slot may move or be reused
  // while its event runs).
  void consume() && {
    assert(ops_ != nullptr);
    std::exchange(ops_, nullptr)->consume(storage_);
  }

  void reset() noexcept {
    if (ops_ != nullptr) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

 private:
  template <class F, class D = std::decay_t<F>>
  void construct(F&& f) {
    if constexpr (sizeof(D) <= kInlineBytes && alignof(D) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<D>) {
      ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
      ops_ = &InlineOps<D>::kOps;
    } else {
      *reinterpret_cast<D**>(storage_) = new D(std::forward<F>(f));
      ops_ = &HeapOps<D>::kOps;
    }
  }

  struct Ops {
    void (*call)(void*);
    void (*consume)(void*);  // moves the callable out, destroys the original, calls it
    void (*move)(void* from, void* to) noexcept;
    void (*destroy)(void*) noexcept;
  };
  template <class D>
  struct InlineOps {
    static D* get(void* p) noexcept { return std::launder(reinterpret_cast<D*>(p)); }
    static void call(void* p) { (*get(p))(); }
    static void consume(void* p) {
      D f(std::move(*get(p)));
      get(p)->~D();
      f();
    }
    static void move(void* from, void* to) noexcept {
      ::new (to) D(std::move(*get(from)));
      get(from)->~D();
    }
    static void destroy(void* p) noexcept { get(p)->~D(); }
    static constexpr Ops kOps{&call, &consume, &move, &destroy};
  };
  template <class D>
  struct HeapOps {
    static D*& get(void* p) noexcept { return *reinterpret_cast<D**>(p); }
    static void call(void* p) { (*get(p))(); }
    static void consume(void* p) {
      const std::unique_ptr<D> f(std::exchange(get(p), nullptr));
      (*f)();
    }
    static void move(void* from, void* to) noexcept {
      *reinterpret_cast<D**>(to) = get(from);
      get(from) = nullptr;
    }
    static void destroy(void* p) noexcept { delete get(p); }
    static constexpr Ops kOps{&call, &consume, &move, &destroy};
  };

  alignas(std::max_align_t) unsigned char storage_[kInlineBytes];
  const Ops* ops_ = nullptr;
};

}  // namespace faultline::sim
