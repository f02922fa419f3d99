// CatalogueShard: what an objective that scores the whole catalogue sees of the sharded item
// table (implemented by dist/sharded_embedding.hpp): this rank's rows of it, a gradient buffer
// for them, and the communicators to reduce over the ranks. An objective that uses it must make
// the same collective calls on every rank.
#pragma once

#include <cstdint>

#include "core/communicator.hpp"

namespace slatetrain {

class CatalogueShard {
 public:
  virtual ~CatalogueShard() = default;

  virtual int64_t num_items() const = 0;
  virtual int64_t dim() const = 0;
  virtual int64_t local_rows() const = 0;
  // This rank's local rows are items item_of_local_row(r), ascending in r.
  virtual int64_t item_of_local_row(int64_t local_row) const = 0;
  // [local_rows, D] (device): this rank's item vectors as the model sees them, valid until
  // the table is next updated.
  virtual const float* local_vectors() = 0;
  // [local_rows, D] (device), accumulate: the gradient of the step's loss with respect to this
  // rank's rows. The step's row update applies it, with the batch rows' gradients, to every
  // local row. Zero at the start of every step.
  virtual float* local_gradients() = 0;
  // Collectives on the backend's buffers (NCCL on GPUs), and on host buffers.
  virtual Communicator& device_communicator() = 0;
  virtual Communicator& host_communicator() = 0;
};

}  // namespace slatetrain
