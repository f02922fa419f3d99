// NcclCommunicator under mpirun: every collective on device buffers with data drawn from a
// per-rank seed and the expected result computed (nccl-tests style), host buffers through the
// staging path, the non-blocking mode, and (with 2+ ranks) a peer that never joins a
// collective: the waiting rank must throw an Error naming itself instead of hanging.
// Needs one GPU per rank on the node; otherwise every rank skips (agreed over MPI).
#include <cuda_runtime.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "core/cuda_device.hpp"
#include "core/cuda_error.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "dist/nccl_communicator.hpp"

namespace slatetrain {
namespace {

// A device copy of a host vector, read back with values().
template <typename T>
class DeviceVector {
 public:
  explicit DeviceVector(const std::vector<T>& values) : size_(values.size()) {
    CHECK_CUDA(cudaMalloc(&data_, std::max<size_t>(1, size_) * sizeof(T)));
    if (size_ > 0)
      CHECK_CUDA(cudaMemcpy(data_, values.data(), size_ * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~DeviceVector() { cudaFree(data_); }
  DeviceVector(const DeviceVector&) = delete;
  DeviceVector& operator=(const DeviceVector&) = delete;
  T* data() { return data_; }
  std::vector<T> values() const {
    std::vector<T> values(size_);
    CHECK_CUDA(cudaDeviceSynchronize());
    if (size_ > 0)
      CHECK_CUDA(cudaMemcpy(values.data(), data_, size_ * sizeof(T), cudaMemcpyDeviceToHost));
    return values;
  }

 private:
  T* data_ = nullptr;
  size_t size_;
};

// Values of rank r: deterministic, so every rank can compute every other rank's data.
std::vector<float> rank_floats(int rank, size_t count, uint64_t salt) {
  std::vector<float> values(count);
  for (size_t i = 0; i < count; ++i)
    values[i] = static_cast<float>(hash_mix(salt, rank, i) % 1000) / 8.0f;  // exact in float
  return values;
}

std::vector<int64_t> rank_integers(int rank, size_t count, uint64_t salt) {
  std::vector<int64_t> values(count);
  for (size_t i = 0; i < count; ++i)
    values[i] = static_cast<int64_t>(hash_mix(salt, rank, i) % 100000) - 50000;
  return values;
}

template <typename T>
::testing::AssertionResult same_values(const std::vector<T>& actual,
                                       const std::vector<T>& expected) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure() << "sizes " << actual.size() << " vs " << expected.size();
  for (size_t i = 0; i < actual.size(); ++i)
    if (actual[i] != expected[i])
      return ::testing::AssertionFailure()
             << "first bad index " << i << ": actual " << actual[i] << ", expected " << expected[i];
  return ::testing::AssertionSuccess();
}

class NcclCommunicatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &world_);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
    int ranks_on_node = 1;
    MPI_Comm_size(node, &ranks_on_node);
    MPI_Comm_free(&node);
    int usable = cuda_device_count() >= ranks_on_node ? 1 : 0;
    MPI_Allreduce(MPI_IN_PLACE, &usable, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!usable) {
      skip_reason_ = "needs one CUDA device per rank on the node (" +
                     std::to_string(ranks_on_node) + " ranks, " +
                     std::to_string(cuda_device_count()) + " devices visible on rank " +
                     std::to_string(rank_) + ")";
      return;
    }
    communicator_ = std::make_unique<NcclCommunicator>(MPI_COMM_WORLD);
  }
  static void TearDownTestSuite() { communicator_.reset(); }
  void SetUp() override {
    if (!communicator_) GTEST_SKIP() << skip_reason_ << ": NCCL test skipped, not passed";
  }

  static int rank_, world_;
  static std::string skip_reason_;
  static std::unique_ptr<NcclCommunicator> communicator_;
};
int NcclCommunicatorTest::rank_ = 0;
int NcclCommunicatorTest::world_ = 1;
std::string NcclCommunicatorTest::skip_reason_;
std::unique_ptr<NcclCommunicator> NcclCommunicatorTest::communicator_;

TEST_F(NcclCommunicatorTest, IdentityAndDevice) {
  EXPECT_EQ(communicator_->rank(), rank_);
  EXPECT_EQ(communicator_->world_size(), world_);
  EXPECT_EQ(communicator_->backend_name(), "nccl");
  EXPECT_EQ(communicator_->device(), local_rank_from_environment() % cuda_device_count());
}

TEST_F(NcclCommunicatorTest, AllreduceSumMaxMin) {
  const size_t count = 1000;
  for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMax, ReduceOp::kMin}) {
    std::vector<float> expected = rank_floats(0, count, 1);
    std::vector<int64_t> expected_integers = rank_integers(0, count, 2);
    for (int r = 1; r < world_; ++r) {
      const std::vector<float> other = rank_floats(r, count, 1);
      const std::vector<int64_t> other_integers = rank_integers(r, count, 2);
      for (size_t i = 0; i < count; ++i) {
        if (op == ReduceOp::kSum) {
          expected[i] += other[i];
          expected_integers[i] += other_integers[i];
        } else if (op == ReduceOp::kMax) {
          expected[i] = std::max(expected[i], other[i]);
          expected_integers[i] = std::max(expected_integers[i], other_integers[i]);
        } else {
          expected[i] = std::min(expected[i], other[i]);
          expected_integers[i] = std::min(expected_integers[i], other_integers[i]);
        }
      }
    }
    DeviceVector<float> floats(rank_floats(rank_, count, 1));
    DeviceVector<int64_t> integers(rank_integers(rank_, count, 2));
    communicator_->allreduce(floats.data(), count, op);
    communicator_->allreduce(integers.data(), count, op);
    EXPECT_TRUE(same_values(floats.values(), expected)) << "op " << static_cast<int>(op);
    EXPECT_TRUE(same_values(integers.values(), expected_integers)) << "op " << static_cast<int>(op);
  }
}

TEST_F(NcclCommunicatorTest, HostBuffersAreStaged) {
  EXPECT_EQ(communicator_->allreduce_value<int64_t>(rank_ + 1), int64_t{world_} * (world_ + 1) / 2);
  std::vector<float> host = rank_floats(rank_, 17, 3);
  communicator_->broadcast(host.data(), host.size(), world_ - 1);
  EXPECT_TRUE(same_values(host, rank_floats(world_ - 1, 17, 3)));
}

TEST_F(NcclCommunicatorTest, AllgatherAndAllgatherv) {
  const size_t count = 33;
  DeviceVector<float> send(rank_floats(rank_, count, 4));
  DeviceVector<float> receive(std::vector<float>(count * world_, -1.0f));
  communicator_->allgather(send.data(), count, receive.data(), ElementType::kFloat32);
  std::vector<float> expected;
  for (int r = 0; r < world_; ++r) {
    const std::vector<float> part = rank_floats(r, count, 4);
    expected.insert(expected.end(), part.begin(), part.end());
  }
  EXPECT_TRUE(same_values(receive.values(), expected)) << "allgather";

  // Ragged, with an empty contribution from rank 1 (when there is one).
  std::vector<size_t> counts(world_);
  for (int r = 0; r < world_; ++r) counts[r] = r == 1 ? 0 : 5 + 3 * r;
  const size_t total = std::accumulate(counts.begin(), counts.end(), size_t{0});
  DeviceVector<float> ragged_send(rank_floats(rank_, counts[rank_], 5));
  DeviceVector<float> ragged_receive(std::vector<float>(total, -1.0f));
  communicator_->allgatherv(ragged_send.data(), counts[rank_], ragged_receive.data(), counts,
                            ElementType::kFloat32);
  expected.clear();
  for (int r = 0; r < world_; ++r) {
    const std::vector<float> part = rank_floats(r, counts[r], 5);
    expected.insert(expected.end(), part.begin(), part.end());
  }
  EXPECT_TRUE(same_values(ragged_receive.values(), expected)) << "allgatherv";
}

// Rank s sends (s + d) % 3 * 2 values to rank d (some blocks empty); block values are
// hash_mix(s, d, i), so the receiver knows what each block must hold.
TEST_F(NcclCommunicatorTest, AlltoallvRaggedAndAlltoall) {
  auto block_size = [](int source, int destination) {
    return static_cast<size_t>((source + destination) % 3 * 2);
  };
  auto block_values = [](int source, int destination, size_t size) {
    std::vector<int64_t> values(size);
    for (size_t i = 0; i < size; ++i)
      values[i] = static_cast<int64_t>(hash_mix(source, destination, i) >> 1);
    return values;
  };
  std::vector<size_t> send_counts(world_), recv_counts(world_);
  std::vector<int64_t> send_values, expected;
  for (int peer = 0; peer < world_; ++peer) {
    send_counts[peer] = block_size(rank_, peer);
    recv_counts[peer] = block_size(peer, rank_);
    const std::vector<int64_t> out = block_values(rank_, peer, send_counts[peer]);
    const std::vector<int64_t> in = block_values(peer, rank_, recv_counts[peer]);
    send_values.insert(send_values.end(), out.begin(), out.end());
    expected.insert(expected.end(), in.begin(), in.end());
  }
  DeviceVector<int64_t> send(send_values);
  DeviceVector<int64_t> receive(std::vector<int64_t>(expected.size(), -1));
  communicator_->alltoallv(send.data(), send_counts, receive.data(), recv_counts,
                           ElementType::kInt64);
  EXPECT_TRUE(same_values(receive.values(), expected)) << "alltoallv";

  const size_t count = 4;
  std::vector<float> uniform_send(count * world_), uniform_expected(count * world_);
  for (int peer = 0; peer < world_; ++peer)
    for (size_t i = 0; i < count; ++i) {
      uniform_send[peer * count + i] = static_cast<float>(rank_ * 100 + peer * 10 + i);
      uniform_expected[peer * count + i] = static_cast<float>(peer * 100 + rank_ * 10 + i);
    }
  DeviceVector<float> all_send(uniform_send);
  DeviceVector<float> all_receive(std::vector<float>(count * world_, -1.0f));
  communicator_->alltoall(all_send.data(), count, all_receive.data(), ElementType::kFloat32);
  EXPECT_TRUE(same_values(all_receive.values(), uniform_expected)) << "alltoall";
}

TEST_F(NcclCommunicatorTest, NonBlockingModeCompletesOnWait) {
  const size_t count = 1 << 20;
  DeviceVector<float> buffer(std::vector<float>(count, static_cast<float>(rank_ + 1)));
  communicator_->set_blocking(false);
  communicator_->allreduce(buffer.data(), count, ElementType::kFloat32, ReduceOp::kSum);
  communicator_->wait();
  communicator_->set_blocking(true);
  const std::vector<float> result = buffer.values();
  const float expected = static_cast<float>(world_ * (world_ + 1) / 2);
  EXPECT_TRUE(same_values(result, std::vector<float>(count, expected)));
  communicator_->barrier();
}

// Runs last (a fresh communicator, so the shared one stays intact): rank 1 never joins
// the allreduce; rank 0 must give up after its timeout with an Error that names rank 0.
TEST_F(NcclCommunicatorTest, ZzMissingPeerEndsInAnErrorNotAHang) {
  if (world_ < 2) GTEST_SKIP() << "needs two ranks: with one there is no peer to lose";
  NcclCommunicator::Options options;
  options.timeout = std::chrono::seconds(3);
  NcclCommunicator lonely(MPI_COMM_WORLD, options);
  DeviceVector<float> buffer(std::vector<float>(16, 1.0f));
  if (rank_ == 0) {
    try {
      lonely.allreduce(buffer.data(), 16, ElementType::kFloat32, ReduceOp::kSum);
      ADD_FAILURE() << "an allreduce without its peers completed";
    } catch (const Error& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("rank 0 of"), std::string::npos) << message;
      EXPECT_NE(message.find("allreduce"), std::string::npos) << message;
    }
  }
  lonely.abort();  // every rank: the communicator is unusable now, never wait on it
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace
}  // namespace slatetrain
