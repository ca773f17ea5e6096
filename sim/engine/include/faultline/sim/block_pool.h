// BlockPool: recycles the World's small, short-lived blocks (a call's shared state, rpc.h).
//
// A lock seed makes a few hundred calls, each one block that lives for a round trip. malloc and
// free took about 160 instructions a call between them (callgrind); a free list per size class
// takes a few. Blocks of up to kLargest bytes are rounded up to a multiple of kGranule and, once
// freed, kept for the next block of their class; larger ones go straight to operator new.
//
// Bound: a class's list never holds more blocks than were live at once, so the pool's memory is
// the peak of the World's live blocks, returned when the pool is destroyed.
// Preconditions: a block needs no more than operator new's default alignment
// (__STDCPP_DEFAULT_NEW_ALIGNMENT__; rpc.h's caller checks at compile time), and every block is
// handed back before the pool is destroyed (the World declares its pool first for that).
// Under AddressSanitizer every block goes to operator new and back, so that a use after free of
// one is still reported.
// Thread-safety: none (as the World's).
#pragma once

#include <array>
#include <cstddef>
#include <new>

namespace faultline::sim::detail {

// g++ says AddressSanitizer is on with __SANITIZE_ADDRESS__, clang with __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define FAULTLINE_POOL_BLOCKS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAULTLINE_POOL_BLOCKS 0
#endif
#endif
#ifndef FAULTLINE_POOL_BLOCKS
#define FAULTLINE_POOL_BLOCKS 1
#endif
inline constexpr bool kPoolBlocks = FAULTLINE_POOL_BLOCKS != 0;
#undef FAULTLINE_POOL_BLOCKS

class BlockPool {
 public:
  static constexpr std::size_t kGranule = 64;
  static constexpr std::size_t kLargest = 512;

  BlockPool() = default;
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;
  ~BlockPool() {
    for (std::size_t c = 0; c < kClasses; ++c) {
      while (Free* block = free_[c]) {
        free_[c] = block->next;
        ::operator delete(block);
      }
    }
  }

  // A block of at least `size` bytes (> 0).
  [[nodiscard]] void* allocate(std::size_t size) {
    if (!kPoolBlocks || size > kLargest) return ::operator new(size);
    const std::size_t c = class_of(size);
    if (Free* block = free_[c]) {
      free_[c] = block->next;
      return block;
    }
    return ::operator new(bytes_of(c));
  }

  // Takes back a block from allocate(`size`), with the same `size`.
  void deallocate(void* block, std::size_t size) noexcept {
    if (!kPoolBlocks || size > kLargest) {
      ::operator delete(block);
      return;
    }
    const std::size_t c = class_of(size);
    free_[c] = ::new (block) Free{free_[c]};
  }

 private:
  struct Free {
    Free* next;
  };
  static constexpr std::size_t kClasses = kLargest / kGranule;
  static constexpr std::size_t class_of(std::size_t size) noexcept { return (size - 1) / kGranule; }
  static constexpr std::size_t bytes_of(std::size_t c) noexcept { return (c + 1) * kGranule; }

  std::array<Free*, kClasses> free_{};
};

}  // namespace faultline::sim::detail
