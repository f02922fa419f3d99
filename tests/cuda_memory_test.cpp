// The device memory pool (reuse, statistics, size classes) and the pinned-memory copy path.
#include <algorithm>
#include <numeric>
#include <random>

#include "tests/cuda_test_support.hpp"

#include "core/cuda_memory_pool.hpp"

namespace slatetrain {
namespace {

using testing_cuda::arrays_near;
using testing_cuda::CudaBackendTest;

TEST(CudaMemoryPoolSizes, RoundingClasses) {
  // No device needed: the size classes are plain arithmetic.
  EXPECT_EQ(CudaMemoryPool::rounded_size(1), 512u);
  EXPECT_EQ(CudaMemoryPool::rounded_size(512), 512u);
  EXPECT_EQ(CudaMemoryPool::rounded_size(513), 1024u);
  EXPECT_EQ(CudaMemoryPool::rounded_size((1u << 20) + 1), 2u << 20);
  EXPECT_EQ(CudaMemoryPool::rounded_size(5u << 20), 6u << 20);
}

using CudaMemoryTest = CudaBackendTest;

TEST_F(CudaMemoryTest, PoolReusesFreedBlocks) {
  CudaMemoryPool& pool = gpu->memory_pool();
  const auto before = pool.statistics();
  void* first = gpu->allocate(10000);
  gpu->deallocate(first);
  void* second = gpu->allocate(9000);  // same 512-byte class range: served from the cache
  EXPECT_EQ(second, first);
  const auto after = pool.statistics();
  EXPECT_EQ(after.reuses, before.reuses + 1);
  EXPECT_EQ(after.bytes_in_use, before.bytes_in_use + CudaMemoryPool::rounded_size(10000));
  // A much smaller request must not take the large block.
  gpu->deallocate(second);
  void* small = gpu->allocate(100);
  EXPECT_NE(small, first);
  gpu->deallocate(small);
  EXPECT_EQ(pool.statistics().bytes_in_use, before.bytes_in_use);
  pool.release_cached();
  EXPECT_EQ(pool.statistics().bytes_cached, 0u);
}

TEST_F(CudaMemoryTest, PinnedAsynchronousCopyIsOrderedBeforeLaterOps) {
  const int64_t n = 1 << 16;
  float* pinned = static_cast<float*>(gpu->allocate_pinned_host(n * sizeof(float)));
  std::iota(pinned, pinned + n, 0.0f);
  Tensor device(*gpu, {n}, DType::kFloat32);
  gpu->copy_to_device_async(device.data<float>(), pinned, n * sizeof(float));
  gpu->scale(device.data<float>(), n, 2.0f);  // on the compute stream: must see the copy
  const std::vector<float> result = device.to_host<float>();
  gpu->wait_for_copies();
  std::vector<float> expected(n);
  for (int64_t i = 0; i < n; ++i) expected[i] = 2.0f * pinned[i];
  gpu->deallocate_pinned_host(pinned);
  EXPECT_TRUE(arrays_near(result, expected, 0.0));
}

TEST_F(CudaMemoryTest, StagedUploadsSurviveReuseOfTheSourceAndRingWraps) {
  // Uploads of many sizes (1 byte to past the staging limit), several times the ring's 32 MiB
  // in all, each from a host buffer overwritten right after the call: every device copy must
  // hold what the buffer held at the call.
  std::mt19937_64 random(3);
  std::vector<size_t> sizes;
  size_t total = 0;
  while (total < (size_t{160} << 20)) {
    const size_t bytes = random() % 4 == 0 ? 1 + random() % 64 : 1 + random() % (12 << 20);
    sizes.push_back(bytes);
    total += bytes;
  }
  std::vector<Tensor> device;
  std::vector<uint8_t> source;
  for (size_t i = 0; i < sizes.size(); ++i) {
    device.emplace_back(*gpu, std::vector<int64_t>{static_cast<int64_t>(sizes[i])}, DType::kUInt8);
    source.assign(sizes[i], static_cast<uint8_t>(i * 37 + 11));
    gpu->copy_to_device(device.back().raw(), source.data(), sizes[i]);
    std::fill(source.begin(), source.end(), uint8_t{0});  // the caller reuses its buffer at once
  }
  for (size_t i = 0; i < sizes.size(); ++i) {
    const std::vector<uint8_t> back = device[i].to_host<uint8_t>();
    const uint8_t expected = static_cast<uint8_t>(i * 37 + 11);
    ASSERT_EQ(back.size(), sizes[i]);
    ASSERT_TRUE(std::all_of(back.begin(), back.end(), [&](uint8_t v) { return v == expected; }))
        << "upload " << i << " of " << sizes[i] << " bytes came out wrong";
  }
}

TEST_F(CudaMemoryTest, MakeBackendGivesTheCudaBackend) {
  std::unique_ptr<Backend> backend = make_backend(Device::kCuda);
  EXPECT_EQ(backend->device(), Device::kCuda);
  EXPECT_EQ(backend->name(), "cuda");
  Tensor values(*backend, {3}, DType::kFloat32);
  values.copy_from_host(std::vector<float>{1.0f, 2.0f, 3.0f});
  backend->scale(values.data<float>(), 3, -1.0f);
  EXPECT_TRUE(arrays_near(values.to_host<float>(), {-1.0f, -2.0f, -3.0f}, 0.0));
}

}  // namespace
}  // namespace slatetrain
