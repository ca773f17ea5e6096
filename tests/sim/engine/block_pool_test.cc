// BlockPool: a freed block is the next one of its size class handed out, and blocks beyond the
// largest class are not kept. (Under AddressSanitizer the pool hands every block to operator new,
// so that a use after free is still caught; there is nothing to observe then.)
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "faultline/sim/block_pool.h"

namespace faultline::sim::detail {
namespace {

TEST(BlockPool, AFreedBlockIsTheNextOfItsSizeClass) {
  if (!kPoolBlocks) GTEST_SKIP() << "blocks go to operator new under AddressSanitizer";
  BlockPool pool;
  void* a = pool.allocate(100);  // the class of 65-128 bytes
  pool.deallocate(a, 100);
  // Had the pool given `a` back to malloc, malloc would hand it out again here.
  void* elsewhere = ::operator new(128);
  void* b = pool.allocate(120);
  EXPECT_EQ(b, a) << "the freed block of the same class comes back";
  EXPECT_NE(elsewhere, a) << "the pool kept its freed block";
  void* c = pool.allocate(40);  // another class: a block of its own
  EXPECT_NE(c, a);
  ::operator delete(elsewhere);
  pool.deallocate(b, 120);
  pool.deallocate(c, 40);
}

TEST(BlockPool, FreedBlocksAreReusedBeforeNewOnes) {
  if (!kPoolBlocks) GTEST_SKIP() << "blocks go to operator new under AddressSanitizer";
  BlockPool pool;
  std::vector<void*> first;
  for (int i = 0; i < 8; ++i) first.push_back(pool.allocate(64));
  for (void* block : first) pool.deallocate(block, 64);
  // malloc's own blocks of that size, which would be the freed ones had the pool not kept them.
  std::vector<void*> elsewhere;
  for (int i = 0; i < 8; ++i) elsewhere.push_back(::operator new(64));
  // Eight more at once: the eight freed ones, and nothing else, come back.
  std::set<void*> again;
  for (int i = 0; i < 8; ++i) again.insert(pool.allocate(64));
  EXPECT_EQ(again, std::set<void*>(first.begin(), first.end()));
  for (void* block : elsewhere) ::operator delete(block);
  for (void* block : again) pool.deallocate(block, 64);
}

TEST(BlockPool, BlocksBeyondTheLargestClassAreNotKept) {
  BlockPool pool;
  // Allocated and freed through operator new: usable at their full size. (ASan or valgrind would
  // report a block smaller than asked.)
  auto* big = static_cast<unsigned char*>(pool.allocate(BlockPool::kLargest + 1));
  big[BlockPool::kLargest] = 1;
  pool.deallocate(big, BlockPool::kLargest + 1);
  auto* largest = static_cast<unsigned char*>(pool.allocate(BlockPool::kLargest));
  largest[BlockPool::kLargest - 1] = 1;
  pool.deallocate(largest, BlockPool::kLargest);
}

}  // namespace
}  // namespace faultline::sim::detail
