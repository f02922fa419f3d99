// Tensor ownership and type checks, the backend factory and the thread pool.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/backend.hpp"
#include "core/cpu_backend.hpp"
#include "core/error.hpp"
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"

namespace slatetrain {
namespace {

TEST(CoreTensor, ShapeNumelAndHostRoundTrip) {
  CpuBackend backend(2);
  Tensor tensor(backend, {2, 3, 4}, DType::kFloat32);
  EXPECT_EQ(tensor.numel(), 24);
  EXPECT_EQ(tensor.bytes(), 96u);
  EXPECT_EQ(tensor.dim(-1), 4);
  EXPECT_EQ(tensor.device(), Device::kCpu);
  std::vector<float> values(24);
  std::iota(values.begin(), values.end(), 0.5f);
  tensor.copy_from_host(values);
  EXPECT_EQ(tensor.to_host<float>(), values);
  tensor.reshape({6, 4});
  EXPECT_EQ(tensor.dim(0), 6);
  EXPECT_THROW(tensor.reshape({5, 5}), Error);
  tensor.zero();
  EXPECT_EQ(tensor.to_host<float>(), std::vector<float>(24, 0.0f));
}

TEST(CoreTensor, WrongDtypeAccessThrows) {
  CpuBackend backend(1);
  Tensor tensor(backend, {3}, DType::kInt32);
  EXPECT_NO_THROW(tensor.data<int32_t>());
  EXPECT_THROW(tensor.data<float>(), Error);
  EXPECT_THROW(tensor.copy_from_host(std::vector<int32_t>(4)), Error);
}

TEST(CoreTensor, MoveTransfersOwnership) {
  CpuBackend backend(1);
  Tensor first(backend, {5}, DType::kUInt8);
  void* storage = first.raw();
  Tensor second = std::move(first);
  EXPECT_EQ(second.raw(), storage);
  EXPECT_EQ(first.raw(), nullptr);
  EXPECT_TRUE(first.empty());
  EXPECT_EQ(second.numel(), 5);
}

TEST(CoreBackendFactory, CpuWorksAndCudaIsRefusedWithoutCuda) {
  auto backend = make_backend(Device::kCpu);
  ASSERT_TRUE(backend);
  EXPECT_EQ(backend->name(), "cpu");
#ifndef SLATETRAIN_HAVE_CUDA
  try {
    make_backend(Device::kCuda);
    FAIL() << "make_backend(kCuda) succeeded in a build without CUDA";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("CUDA"), std::string::npos) << error.what();
  }
#endif
}

TEST(CoreThreadPool, CoversEveryIndexOnceAndRethrows) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> visits(1000);
  pool.parallel_for(0, 1000, 7, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) visits[static_cast<size_t>(i)]++;
  });
  for (size_t i = 0; i < visits.size(); ++i) ASSERT_EQ(visits[i].load(), 1) << "index " << i;
  EXPECT_THROW(pool.parallel_for(0, 100, 1,
                                 [&](int64_t begin, int64_t end) {
                                   if (begin <= 50 && 50 < end)
                                     throw std::runtime_error("chunk 50");
                                 }),
               std::runtime_error);
  // Still usable after an exception.
  std::atomic<int64_t> total{0};
  pool.parallel_for(0, 100, 1, [&](int64_t begin, int64_t end) { total += end - begin; });
  EXPECT_EQ(total.load(), 100);
}

TEST(CoreThreadPool, BackToBackAndSpacedLoopsEachCoverEveryIndex) {
  // Loops in quick succession (workers still watching for the next one) and loops after a
  // pause longer than the watch (workers asleep, to be woken): every index once, every time,
  // and workers take part (on a loaded machine not necessarily all of them).
  ThreadPool pool(3);
  std::vector<int> visits(64);
  std::mutex seen_mutex;
  std::set<std::thread::id> threads_seen;
  for (int round = 0; round < 400; ++round) {
    if (round % 50 == 49) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::fill(visits.begin(), visits.end(), 0);
    pool.parallel_for(0, 64, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) visits[static_cast<size_t>(i)]++;
      std::this_thread::sleep_for(std::chrono::microseconds(20));  // a worker can join in
      std::lock_guard<std::mutex> lock(seen_mutex);
      threads_seen.insert(std::this_thread::get_id());
    });
    for (size_t i = 0; i < visits.size(); ++i) {
      ASSERT_EQ(visits[i], 1) << "round " << round << " index " << i;
    }
  }
  EXPECT_GE(threads_seen.size(), 2u);
}

}  // namespace
}  // namespace slatetrain
