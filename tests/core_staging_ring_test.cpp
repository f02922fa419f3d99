// StagingRing: a placement never reuses staging space whose upload is still in flight, waits
// only when it must, and hands back the fences of retired uploads.
#include "core/staging_ring.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "core/error.hpp"

namespace slatetrain {
namespace {

// A stand-in for one CUDA stream: uploads complete in order, some time after they are issued.
struct FakeStream {
  struct Upload {
    size_t offset, bytes;
    intptr_t fence;
  };
  std::vector<Upload> pending;  // oldest first
  int waits = 0;

  void complete_oldest(size_t count) {
    pending.erase(pending.begin(), pending.begin() + std::min(count, pending.size()));
  }
  // wait_for(fence): the stream runs up to and including that upload (at once if it already
  // has, as cudaEventSynchronize on a completed event).
  void wait_for(void* fence) {
    ++waits;
    const auto found = std::find_if(pending.begin(), pending.end(), [&](const Upload& u) {
      return u.fence == reinterpret_cast<intptr_t>(fence);
    });
    if (found != pending.end()) pending.erase(pending.begin(), found + 1);
  }
  bool overlaps_pending(size_t offset, size_t bytes) const {
    for (const Upload& u : pending)
      if (u.offset < offset + bytes && offset < u.offset + u.bytes) return true;
    return false;
  }
};

void* as_fence(intptr_t id) {
  return reinterpret_cast<void*>(id);
}

TEST(StagingRingTest, PlacesConsecutivelyAlignedAndWrapsWithoutWaitingForFinishedWork) {
  StagingRing ring(1024, 64);
  FakeStream stream;
  auto wait = [&](void* fence) { stream.wait_for(fence); };
  EXPECT_EQ(ring.place(100, wait), 0u);
  ring.commit(as_fence(1));
  stream.pending.push_back({0, 100, 1});
  EXPECT_EQ(ring.place(100, wait), 128u);  // aligned to 64
  ring.commit(as_fence(2));
  stream.pending.push_back({128, 100, 2});
  EXPECT_EQ(ring.place(700, wait), 256u);
  ring.commit(as_fence(3));
  stream.pending.push_back({256, 700, 3});
  EXPECT_EQ(stream.waits, 0);
  EXPECT_EQ(ring.in_flight(), 3u);
  // 100 more bytes do not fit after 956: wrap to 0, which upload 1 still holds.
  EXPECT_EQ(ring.place(100, wait), 0u);
  EXPECT_EQ(stream.waits, 1);
  EXPECT_EQ(ring.in_flight(), 2u);
  EXPECT_EQ(ring.take_retired(), std::vector<void*>{as_fence(1)});
  EXPECT_TRUE(ring.take_retired().empty());
  ring.commit(as_fence(4));
}

TEST(StagingRingTest, WaitsForTheNewestOverlappingUploadAndRetiresOlderOnes) {
  StagingRing ring(1000, 1);
  int waited_for = 0;
  auto wait = [&](void* fence) {
    waited_for = static_cast<int>(reinterpret_cast<intptr_t>(fence));
  };
  for (intptr_t id = 1; id <= 4; ++id) {  // [0,200) [200,400) [400,600) [600,800)
    ring.place(200, wait);
    ring.commit(as_fence(id));
  }
  EXPECT_EQ(waited_for, 0);
  // 300 bytes: [800,1000) is free but too short, so [0,300) meets uploads 1 and 2.
  EXPECT_EQ(ring.place(300, wait), 0u);
  EXPECT_EQ(waited_for, 2);
  EXPECT_EQ(ring.take_retired(), (std::vector<void*>{as_fence(1), as_fence(2)}));
  EXPECT_EQ(ring.in_flight(), 2u);
  ring.commit(as_fence(5));
  ring.retire_all();
  EXPECT_EQ(ring.in_flight(), 0u);
  EXPECT_EQ(ring.take_retired().size(), 3u);
}

TEST(StagingRingTest, RandomUploadsNeverOverwriteStagingInFlight) {
  const size_t capacity = 4096;
  StagingRing ring(capacity, 16);
  FakeStream stream;
  std::mt19937_64 random(7);
  intptr_t next_fence = 1;
  for (int i = 0; i < 20000; ++i) {
    const size_t bytes = 1 + random() % (random() % 8 == 0 ? capacity : capacity / 8);
    const size_t offset = ring.place(bytes, [&](void* fence) { stream.wait_for(fence); });
    ASSERT_LE(offset + bytes, capacity);
    ASSERT_EQ(offset % 16, 0u);
    ASSERT_FALSE(stream.overlaps_pending(offset, bytes))
        << "upload " << i << " of " << bytes << " bytes at " << offset
        << " overwrites staging still in flight";
    ring.commit(as_fence(next_fence));
    stream.pending.push_back({offset, bytes, next_fence});
    ++next_fence;
    ring.take_retired();
    stream.complete_oldest(random() % 3);  // the device runs at its own pace
    if (random() % 500 == 0) {             // a synchronising call
      stream.pending.clear();
      ring.retire_all();
    }
  }
  EXPECT_GT(stream.waits, 0);
}

TEST(StagingRingTest, BadUseIsAnError) {
  EXPECT_THROW(StagingRing(0), Error);
  EXPECT_THROW(StagingRing(1024, 48), Error);
  StagingRing ring(1024);
  auto wait = [](void*) {};
  EXPECT_FALSE(ring.fits(0));
  EXPECT_FALSE(ring.fits(1025));
  EXPECT_THROW(ring.place(1025, wait), Error);
  EXPECT_THROW(ring.commit(nullptr), Error);  // no place() before
  EXPECT_EQ(ring.place(1024, wait), 0u);      // the whole ring
  ring.commit(nullptr);
}

}  // namespace
}  // namespace slatetrain
