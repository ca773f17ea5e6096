// Sliding windows of call outcomes: the health record a circuit breaker judges a dependency by.
//
// Each recorded call is two bits, {failed, slow}. A window keeps running totals (calls, failures,
// slow calls) so reading them is O(1) and recording is O(1) (amortised O(1) for the time-based
// window, see below). Neither window allocates after construction.
//
//   CountWindow  the last `size` calls: a ring of 2-bit entries; recording into a full ring
//                evicts the oldest entry from the totals.
//   TimeWindow   the calls of the last `duration`: a ring of `buckets` buckets, each covering
//                width = ceil(duration / buckets) of the clock passed in. It advances lazily,
//                only when told the time (record() or advance()): moving k buckets costs O(k),
//                and a jump of a whole window or more clears it in O(buckets). A call stops
//                counting once its bucket leaves the ring: between (buckets - 1) * width and
//                buckets * width after it was recorded. Buckets are aligned on multiples of the
//                width since the clock's epoch, so the same readings give the same window.
//                Time that goes backwards (a stepped simulator clock) is treated as "still the
//                newest bucket": a call is never recorded into an expired bucket.
//
// Units: durations and time points are faultline::Duration / TimePoint (nanoseconds) of one
// process's clock; counts are plain integers.
// Errors: create() returns kInvalidArgument naming the field and its allowed range.
// Ownership: a value type; owns its ring. Thread-safety: none (one executor).
#pragma once

#include <cassert>
#include <cstdint>
#include <vector>

#include "faultline/clock.h"
#include "faultline/result.h"

namespace faultline::resilience {

struct WindowTotals {
  std::uint64_t calls = 0;
  std::uint64_t failures = 0;
  std::uint64_t slow = 0;

  friend bool operator==(const WindowTotals&, const WindowTotals&) = default;
};

class CountWindow {
 public:
  static constexpr std::uint32_t kMaxSize = 1u << 20;

  // size in [1, kMaxSize].
  [[nodiscard]] static Result<CountWindow> create(std::uint32_t size);

  void record(bool failed, bool slow) noexcept {
    // Entry bits: 1 = failed, 2 = slow.
    if (totals_.calls == size_) {
      const std::uint8_t old = ring_[head_];
      totals_.failures -= old & 1u;
      totals_.slow -= (old >> 1) & 1u;
    } else {
      ++totals_.calls;
    }
    ring_[head_] = static_cast<std::uint8_t>(static_cast<unsigned>(failed) |
                                             (static_cast<unsigned>(slow) << 1));
    head_ = head_ + 1 == size_ ? 0 : head_ + 1;
    totals_.failures += failed ? 1u : 0u;
    totals_.slow += slow ? 1u : 0u;
  }

  // O(1).
  void clear() noexcept;

  [[nodiscard]] const WindowTotals& totals() const noexcept { return totals_; }
  [[nodiscard]] std::uint32_t size() const noexcept { return size_; }

 private:
  explicit CountWindow(std::uint32_t size) : ring_(size, 0), size_(size) {}

  // Allocated once. Entries are read (evicted) only once the ring is full, and by then every
  // one was written since the last clear(): so clear() need not zero them.
  std::vector<std::uint8_t> ring_;
  std::uint32_t size_;
  std::uint32_t head_ = 0;  // where the next call goes (the oldest entry once full)
  WindowTotals totals_;
};

class TimeWindow {
 public:
  static constexpr std::uint32_t kMaxBuckets = 1000;
  static constexpr Duration kMaxDuration = std::chrono::hours(24);

  // duration in (0, kMaxDuration]; buckets in [1, min(kMaxBuckets, duration in ns)].
  [[nodiscard]] static Result<TimeWindow> create(Duration duration, std::uint32_t buckets);

  // Moves the window to `now` (expiring old buckets), then counts one call in the newest bucket.
  void record(TimePoint now, bool failed, bool slow) noexcept {
    advance(now);
    Bucket& b = buckets_[head_];
    ++b.calls;
    ++totals_.calls;
    if (failed) {
      ++b.failures;
      ++totals_.failures;
    }
    if (slow) {
      ++b.slow;
      ++totals_.slow;
    }
  }

  // Expires the buckets that have left the window by `now`. Cheap when `now` is still in the
  // newest bucket (one comparison).
  void advance(TimePoint now) noexcept {
    if (started_ && now < newest_end_) return;
    advance_slow(now);
  }

  // The totals as they would be after advance(now), without changing the window.
  [[nodiscard]] WindowTotals totals_at(TimePoint now) const noexcept;
  // The totals as of the last advance.
  [[nodiscard]] const WindowTotals& totals() const noexcept { return totals_; }

  // O(buckets).
  void clear() noexcept;

  [[nodiscard]] Duration bucket_width() const noexcept { return width_; }
  [[nodiscard]] std::uint32_t bucket_count() const noexcept {
    return static_cast<std::uint32_t>(buckets_.size());
  }

 private:
  struct Bucket {
    std::uint64_t calls = 0;
    std::uint64_t failures = 0;
    std::uint64_t slow = 0;
  };

  TimeWindow(Duration width, std::uint32_t buckets) : buckets_(buckets), width_(width) {}

  void advance_slow(TimePoint now) noexcept;
  [[nodiscard]] std::int64_t epoch_of(TimePoint t) const noexcept;

  std::vector<Bucket> buckets_;  // allocated once
  Duration width_;
  std::uint32_t head_ = 0;        // the newest bucket
  std::int64_t newest_epoch_ = 0;  // which width-long slice of time the newest bucket covers
  TimePoint newest_end_{};         // where that slice ends
  bool started_ = false;           // false until the first advance fixes newest_epoch_
  WindowTotals totals_;
};

}  // namespace faultline::resilience
