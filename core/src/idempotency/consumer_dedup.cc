#include "faultline/idempotency/consumer_dedup.h"

#include <string>

#include "faultline/idempotency/idempotency_store.h"
#include "faultline/validate.h"

namespace faultline::idempotency {

Result<void> ConsumerDedupOptions::validate() const {
  if (auto r = check_range("window", window, Duration(kMinDedupWindow),
                           Duration(kMaxDedupWindow),
                           "a marker must outlive the broker's redelivery");
      !r) {
    return r;
  }
  if (window % std::chrono::milliseconds(1) != Duration::zero()) {
    return invalid_argument("window: must be whole milliseconds (PX keeps ms)");
  }
  return check_positive("cache_timeout", cache_timeout, std::chrono::seconds(10));
}

Result<void> validate_message(MessageId id) {
  if (auto r = validate_text("consumer", id.consumer, kMaxConsumerBytes); !r) return r;
  return validate_text("message_id", id.message_id, kMaxMessageIdBytes);
}

std::string dedup_key(MessageId id) {
  std::string key = "dedup:" + std::to_string(id.consumer.size()) + ":";
  key.append(id.consumer).append(":").append(id.message_id);
  return key;
}

}  // namespace faultline::idempotency
