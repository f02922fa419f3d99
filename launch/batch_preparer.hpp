// Builds the next training step's ModelBatch on a worker thread while the current step runs,
// so the host work of a step (negatives, id dedup, index arrays) overlaps the device's. The
// result is the same as building it in line: the preparation is a pure function of the
// loader's batch and the step number.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "data/sequence_batch.hpp"
#include "models/model_batch.hpp"

namespace slatetrain {

struct PreparedBatch {
  SequenceBatch batch;  // the loader's batch, to hand back to SlateLoader::next for reuse
  ModelBatch model_batch;
  int64_t step = 0;
};

class BatchPreparer {
 public:
  using Prepare = std::function<ModelBatch(const SequenceBatch& batch, int64_t step)>;

  explicit BatchPreparer(Prepare prepare);
  ~BatchPreparer();  // lets the batch in hand finish, then joins the worker
  BatchPreparer(const BatchPreparer&) = delete;
  BatchPreparer& operator=(const BatchPreparer&) = delete;

  // Hands `batch`, the input of training step `step`, to the worker. One batch at a time:
  // take() the previous one first.
  void submit(SequenceBatch&& batch, int64_t step);
  // Whether a batch was submitted and not yet taken.
  bool pending() const;
  // Waits for the submitted batch and returns it; re-throws the preparation's exception.
  PreparedBatch take();
  // Drops the batch in hand, if any (waits for it; its failure is discarded too).
  void discard();

  double busy_seconds() const;  // worker time spent preparing, since construction

 private:
  void run();

  Prepare prepare_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool has_input_ = false, has_output_ = false, stopping_ = false;
  PreparedBatch work_;
  std::exception_ptr error_;
  double busy_seconds_ = 0;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace slatetrain
