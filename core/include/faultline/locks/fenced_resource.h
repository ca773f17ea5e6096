// FencedResource: the storage-side guard that makes a lease lock safe.
//
// A lease can expire while its holder is paused; the holder then resumes and writes, believing it
// still holds the lock (Kleppmann, "How to do distributed locking", 2016). The storage therefore
// remembers the highest fencing token it has seen and refuses any operation carrying a smaller
// one. Reads are fenced too: a read-modify-write whose read was overtaken by a newer holder must
// not be allowed to write, or the newer holder's update is lost.
//
// Contract
//   - admit(token) succeeds iff token >= the highest token admitted so far, and then raises the
//     high-water mark to token. Equal tokens are admitted: one holder makes many calls.
//   - A refusal is kFailedPrecondition naming both tokens, and changes nothing.
//
// Thread-safety: none; the owner (a storage server, a simulated node) serialises calls.
#pragma once

#include <cstdint>

#include "faultline/locks/lock_store.h"
#include "faultline/result.h"

namespace faultline::locks {

class FencedResource {
 public:
  [[nodiscard]] Result<void> admit(FencingToken token);
  [[nodiscard]] FencingToken high_water_mark() const noexcept { return highest_; }
  [[nodiscard]] std::uint64_t refused() const noexcept { return refused_; }

 private:
  FencingToken highest_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace faultline::locks
