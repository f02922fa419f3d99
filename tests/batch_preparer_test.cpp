// BatchPreparer: batches come back in order with their step, the work runs beside the caller,
// failures reach take() with their message, and discard/destruction never hang.
#include "launch/batch_preparer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include "core/error.hpp"

namespace slatetrain {
namespace {

SequenceBatch batch_of(int64_t users) {
  SequenceBatch batch;
  batch.batch_users = users;
  batch.real_steps = 10 * users;
  return batch;
}

// A ModelBatch that records what it was built from.
ModelBatch record(const SequenceBatch& batch, int64_t step) {
  ModelBatch out;
  out.batch_users = static_cast<int>(batch.batch_users);
  out.max_steps = static_cast<int>(step);
  return out;
}

TEST(BatchPreparerTest, ReturnsEachBatchWithItsStepInOrder) {
  BatchPreparer preparer(record);
  for (int64_t step = 0; step < 20; ++step) {
    EXPECT_FALSE(preparer.pending());
    preparer.submit(batch_of(step + 1), step);
    EXPECT_TRUE(preparer.pending());
    PreparedBatch prepared = preparer.take();
    EXPECT_EQ(prepared.step, step);
    EXPECT_EQ(prepared.batch.batch_users, step + 1);  // the loader's batch comes back too
    EXPECT_EQ(prepared.batch.real_steps, 10 * (step + 1));
    EXPECT_EQ(prepared.model_batch.batch_users, step + 1);
    EXPECT_EQ(prepared.model_batch.max_steps, step);
  }
  EXPECT_GT(preparer.busy_seconds(), 0.0);
}

TEST(BatchPreparerTest, PreparesWhileTheCallerWorks) {
  // The preparation waits for a signal that the caller gives only after submit returned: it
  // can finish only if it runs on another thread.
  std::promise<void> caller_working;
  std::shared_future<void> signal = caller_working.get_future().share();
  BatchPreparer preparer([signal](const SequenceBatch& batch, int64_t step) {
    signal.wait();
    return record(batch, step);
  });
  preparer.submit(batch_of(3), 7);
  caller_working.set_value();
  EXPECT_EQ(preparer.take().step, 7);
}

TEST(BatchPreparerTest, AFailureReachesTakeWithItsMessage) {
  BatchPreparer preparer([](const SequenceBatch& batch, int64_t step) {
    if (step == 1) RAISE("build_model_batch: negative id 2 at user 0 step 4 is not an item");
    return record(batch, step);
  });
  preparer.submit(batch_of(1), 0);
  EXPECT_EQ(preparer.take().step, 0);
  preparer.submit(batch_of(1), 1);
  try {
    preparer.take();
    FAIL() << "take() did not throw";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("negative id 2 at user 0 step 4"), std::string::npos)
        << error.what();
  }
  // The preparer is usable again.
  EXPECT_FALSE(preparer.pending());
  preparer.submit(batch_of(1), 2);
  EXPECT_EQ(preparer.take().step, 2);
}

TEST(BatchPreparerTest, MisuseIsAnError) {
  BatchPreparer preparer(record);
  EXPECT_THROW(preparer.take(), Error);  // nothing submitted
  preparer.submit(batch_of(1), 0);
  EXPECT_THROW(preparer.submit(batch_of(1), 1), Error);  // the first was not taken
  EXPECT_EQ(preparer.take().step, 0);
}

TEST(BatchPreparerTest, DiscardDropsTheBatchInHand) {
  BatchPreparer preparer(record);
  preparer.discard();  // nothing in hand: a no-op
  preparer.submit(batch_of(1), 0);
  preparer.discard();
  EXPECT_FALSE(preparer.pending());
  preparer.submit(batch_of(2), 1);
  EXPECT_EQ(preparer.take().batch.batch_users, 2);
}

TEST(BatchPreparerTest, DestructionWithWorkInHandDoesNotHang) {
  std::atomic<bool> finished{false};
  {
    BatchPreparer preparer([&](const SequenceBatch& batch, int64_t step) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      finished = true;
      return record(batch, step);
    });
    preparer.submit(batch_of(1), 0);
  }
  EXPECT_TRUE(finished);  // the batch in hand was finished, then the worker joined
}

}  // namespace
}  // namespace slatetrain
