// MpiCommunicator collectives, nccl-tests style: each rank's data comes from a formula of
// (rank, index), so every rank can compute what it must receive. Run at 2 and 4 ranks, with
// the native MPI calls and with the chunked paths (max count per call lowered to 3).
#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "core/error.hpp"
#include "core/random.hpp"
#include "dist/mpi_communicator.hpp"

namespace slatetrain {
namespace {

// A small integer-valued number per (rank, index): sums stay exact in float.
template <typename T>
T value_of(int rank, size_t index) {
  return static_cast<T>(static_cast<int64_t>(hash_mix(1234, rank, index) % 2001) - 1000);
}

template <typename T>
::testing::AssertionResult same_values(const std::vector<T>& expected,
                                       const std::vector<T>& actual) {
  if (expected.size() != actual.size()) {
    return ::testing::AssertionFailure()
           << "sizes differ: expected " << expected.size() << ", actual " << actual.size();
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] != actual[i]) {
      return ::testing::AssertionFailure() << "first difference at index " << i << ": expected "
                                           << expected[i] << ", actual " << actual[i];
    }
  }
  return ::testing::AssertionSuccess();
}

class CommunicatorTest : public ::testing::TestWithParam<size_t> {
 protected:
  void SetUp() override {
    if (GetParam() != 0) communicator_.set_max_count_per_call(GetParam());
    rank_ = communicator_.rank();
    world_ = communicator_.world_size();
  }
  MpiCommunicator communicator_;
  int rank_ = 0;
  int world_ = 1;
};

template <typename T>
void check_allreduce(MpiCommunicator& communicator, size_t count) {
  const int rank = communicator.rank();
  const int world = communicator.world_size();
  for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMax, ReduceOp::kMin}) {
    std::vector<T> buffer(count);
    for (size_t i = 0; i < count; ++i) buffer[i] = value_of<T>(rank, i);
    std::vector<T> expected(count);
    for (size_t i = 0; i < count; ++i) {
      T result = value_of<T>(0, i);
      for (int r = 1; r < world; ++r) {
        const T v = value_of<T>(r, i);
        result = op == ReduceOp::kSum   ? result + v
                 : op == ReduceOp::kMax ? std::max(result, v)
                                        : std::min(result, v);
      }
      expected[i] = result;
    }
    communicator.allreduce(buffer.data(), count, op);
    EXPECT_TRUE(same_values(expected, buffer)) << "op " << static_cast<int>(op);
  }
}

TEST_P(CommunicatorTest, AllreduceEveryTypeAndOp) {
  check_allreduce<float>(communicator_, 1000);
  check_allreduce<double>(communicator_, 17);
  check_allreduce<int32_t>(communicator_, 10);
  check_allreduce<int64_t>(communicator_, 7);
  EXPECT_EQ(communicator_.allreduce_value<int64_t>(rank_ + 1),
            static_cast<int64_t>(world_) * (world_ + 1) / 2);
  EXPECT_EQ(communicator_.allreduce_value<int32_t>(rank_, ReduceOp::kMax), world_ - 1);
}

TEST_P(CommunicatorTest, AllgatherPutsBlocksInRankOrder) {
  const size_t count = 11;
  std::vector<int32_t> send(count);
  for (size_t i = 0; i < count; ++i) send[i] = value_of<int32_t>(rank_, i);
  std::vector<int32_t> received(world_ * count, -7);
  communicator_.allgather(send.data(), count, received.data(), ElementType::kInt32);
  std::vector<int32_t> expected;
  for (int r = 0; r < world_; ++r)
    for (size_t i = 0; i < count; ++i) expected.push_back(value_of<int32_t>(r, i));
  EXPECT_TRUE(same_values(expected, received));
}

TEST_P(CommunicatorTest, AllgathervRaggedWithEmptyBlocks) {
  // Rank r sends (r * 5) % 7 elements: rank 0 sends none.
  std::vector<size_t> counts(world_);
  for (int r = 0; r < world_; ++r) counts[r] = (r * 5) % 7;
  std::vector<double> send(counts[rank_]);
  for (size_t i = 0; i < send.size(); ++i) send[i] = value_of<double>(rank_, i);
  std::vector<double> received(std::accumulate(counts.begin(), counts.end(), size_t{0}), -1.0);
  communicator_.allgatherv(send.data(), send.size(), received.data(), counts,
                           ElementType::kFloat64);
  std::vector<double> expected;
  for (int r = 0; r < world_; ++r)
    for (size_t i = 0; i < counts[r]; ++i) expected.push_back(value_of<double>(r, i));
  EXPECT_TRUE(same_values(expected, received));
}

TEST_P(CommunicatorTest, AlltoallSendsBlockRToRankR) {
  const size_t count = 4;
  // Element i of the block for rank d encodes (sender, destination, i).
  std::vector<int64_t> send(world_ * count);
  for (int d = 0; d < world_; ++d)
    for (size_t i = 0; i < count; ++i) send[d * count + i] = rank_ * 10000 + d * 100 + i;
  std::vector<int64_t> received(world_ * count, -1);
  communicator_.alltoall(send.data(), count, received.data(), ElementType::kInt64);
  std::vector<int64_t> expected;
  for (int s = 0; s < world_; ++s)
    for (size_t i = 0; i < count; ++i) expected.push_back(s * 10000 + rank_ * 100 + i);
  EXPECT_TRUE(same_values(expected, received));
}

// Rank s sends count_between(s, d) elements to rank d; some pairs send nothing.
size_t count_between(int sender, int destination) {
  return static_cast<size_t>((sender * 3 + destination * 7) % 6);
}

TEST_P(CommunicatorTest, AlltoallvRaggedWithEmptyBlocks) {
  std::vector<size_t> send_counts(world_), recv_counts(world_);
  std::vector<float> send;
  for (int d = 0; d < world_; ++d) {
    send_counts[d] = count_between(rank_, d);
    recv_counts[d] = count_between(d, rank_);
    for (size_t i = 0; i < send_counts[d]; ++i) send.push_back(rank_ * 100.0f + d * 10.0f + i);
  }
  std::vector<float> received(std::accumulate(recv_counts.begin(), recv_counts.end(), size_t{0}),
                              -1.0f);
  communicator_.alltoallv(send.data(), send_counts, received.data(), recv_counts,
                          ElementType::kFloat32);
  std::vector<float> expected;
  for (int s = 0; s < world_; ++s)
    for (size_t i = 0; i < recv_counts[s]; ++i) expected.push_back(s * 100.0f + rank_ * 10.0f + i);
  EXPECT_TRUE(same_values(expected, received));
}

TEST_P(CommunicatorTest, AlltoallvWhereOnlyOneRankHasMuchToSend) {
  // Only rank 0's blocks are large: with a lowered limit, only rank 0 alone would pick the
  // chunked path, so the ranks must agree on it (or this hangs).
  std::vector<size_t> send_counts(world_, rank_ == 0 ? 5 : 1);
  std::vector<size_t> recv_counts(world_, 1);
  recv_counts[0] = 5;
  std::vector<uint8_t> send;
  for (int d = 0; d < world_; ++d)
    for (size_t i = 0; i < send_counts[d]; ++i)
      send.push_back(static_cast<uint8_t>(rank_ * 16 + i));
  std::vector<uint8_t> received(world_ + 4, 0);
  communicator_.alltoallv(send.data(), send_counts, received.data(), recv_counts,
                          ElementType::kUInt8);
  std::vector<uint8_t> expected = {0, 1, 2, 3, 4};
  for (int s = 1; s < world_; ++s) expected.push_back(static_cast<uint8_t>(s * 16));
  EXPECT_TRUE(same_values(expected, received));
}

TEST_P(CommunicatorTest, BroadcastFromEveryRoot) {
  for (int root = 0; root < world_; ++root) {
    std::vector<int32_t> buffer(9, -1);
    if (rank_ == root)
      for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = value_of<int32_t>(root, i);
    communicator_.broadcast(buffer.data(), buffer.size(), root);
    std::vector<int32_t> expected(9);
    for (size_t i = 0; i < expected.size(); ++i) expected[i] = value_of<int32_t>(root, i);
    EXPECT_TRUE(same_values(expected, buffer)) << "root " << root;
  }
  communicator_.barrier();
}

TEST_P(CommunicatorTest, WrongCountListIsAnErrorNamingTheRank) {
  std::vector<size_t> too_few(world_ + 1, 0);
  try {
    communicator_.alltoallv(nullptr, too_few, nullptr, too_few, ElementType::kInt32);
    FAIL() << "expected an Error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("rank " + std::to_string(rank_)), std::string::npos)
        << error.what();
  }
}

// 0: the native MPI calls; 3: every path split into pieces of at most 3 elements.
INSTANTIATE_TEST_SUITE_P(NativeAndChunked, CommunicatorTest, ::testing::Values(0, 3));

TEST(MpiCommunicator, SubCommunicatorOfOneRank) {
  MpiCommunicator self(MPI_COMM_SELF);
  EXPECT_EQ(self.world_size(), 1);
  EXPECT_EQ(self.rank(), 0);
  EXPECT_EQ(self.backend_name(), "mpi");
  std::vector<float> values = {1.5f, -2.0f};
  self.allreduce(values.data(), values.size());
  EXPECT_EQ(values[0], 1.5f);
  EXPECT_EQ(values[1], -2.0f);
}

}  // namespace
}  // namespace slatetrain
