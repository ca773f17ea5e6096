#include "faultline/resilience/sliding_window.h"

#include <algorithm>
#include <limits>
#include <string>
#include "faultline/validate.h"

namespace faultline::resilience {

Result<CountWindow> CountWindow::create(std::uint32_t size) {
  if (auto r = check_range("size", size, 1, kMaxSize); !r) return std::move(r).error();
  return CountWindow(size);
}

void CountWindow::clear() noexcept {
  head_ = 0;
  totals_ = {};
}

Result<TimeWindow> TimeWindow::create(Duration duration, std::uint32_t buckets) {
  if (auto r = check_positive("duration", duration, kMaxDuration); !r) return std::move(r).error();
  const std::int64_t max_buckets = std::min<std::int64_t>(kMaxBuckets, duration.count());
  if (auto r = check_range("buckets", buckets, 1, max_buckets,
                           "at most 1000, and each bucket at least 1ns wide");
      !r) {
    return std::move(r).error();
  }
  // Round the width up so the ring covers at least `duration`.
  const Duration width((duration.count() + buckets - 1) / buckets);
  return TimeWindow(width, buckets);
}

std::int64_t TimeWindow::epoch_of(TimePoint t) const noexcept {
  // Floor division: readings before the clock's epoch (a clock skewed backwards) still map to
  // the slice that contains them.
  const std::int64_t n = t.time_since_epoch().count();
  const std::int64_t w = width_.count();
  std::int64_t q = n / w;
  if (n % w != 0 && n < 0) --q;
  return q;
}

void TimeWindow::advance_slow(TimePoint now) noexcept {
  const std::int64_t epoch = epoch_of(now);
  const std::int64_t w = width_.count();
  const auto slice_end = [w](std::int64_t e) {
    // Saturate rather than overflow at the very end of the clock's range.
    if (e >= std::numeric_limits<std::int64_t>::max() / w - 1) return TimePoint::max();
    return TimePoint(Duration((e + 1) * w));
  };
  if (!started_) {
    started_ = true;
    newest_epoch_ = epoch;
    newest_end_ = slice_end(epoch);
    return;
  }
  if (epoch <= newest_epoch_) return;  // only at the saturated end of the range

  const auto count = static_cast<std::uint32_t>(buckets_.size());
  const auto steps = static_cast<std::uint64_t>(epoch - newest_epoch_);
  if (steps >= count) {
    clear();  // the whole window has passed: O(buckets), however long the jump
  } else {
    for (std::uint64_t i = 0; i < steps; ++i) {
      head_ = head_ + 1 == count ? 0u : head_ + 1;
      Bucket& b = buckets_[head_];
      totals_.calls -= b.calls;
      totals_.failures -= b.failures;
      totals_.slow -= b.slow;
      b = Bucket{};
    }
  }
  newest_epoch_ = epoch;
  newest_end_ = slice_end(epoch);
  assert(totals_.failures <= totals_.calls && totals_.slow <= totals_.calls);
}

WindowTotals TimeWindow::totals_at(TimePoint now) const noexcept {
  if (!started_ || now < newest_end_) return totals_;
  const std::int64_t epoch = epoch_of(now);
  if (epoch <= newest_epoch_) return totals_;
  const auto count = static_cast<std::uint32_t>(buckets_.size());
  const auto steps = static_cast<std::uint64_t>(epoch - newest_epoch_);
  if (steps >= count) return {};
  WindowTotals t = totals_;
  std::uint32_t index = head_;
  for (std::uint64_t i = 0; i < steps; ++i) {
    index = index + 1 == count ? 0u : index + 1;
    t.calls -= buckets_[index].calls;
    t.failures -= buckets_[index].failures;
    t.slow -= buckets_[index].slow;
  }
  return t;
}

void TimeWindow::clear() noexcept {
  std::fill(buckets_.begin(), buckets_.end(), Bucket{});
  totals_ = {};
}

}  // namespace faultline::resilience
