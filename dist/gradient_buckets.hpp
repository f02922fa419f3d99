// Dense gradients summed over ranks in fused buckets (docs/DISTRIBUTION.md): the replicated
// parameters' gradients go out in a few collectives of about `bucket_bytes` each instead of
// one per parameter tensor. Pieces that lie next to each other in memory (the usual case: one
// flat gradient buffer) are reduced in place; scattered pieces are packed into a staging
// buffer, reduced and unpacked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/backend.hpp"
#include "core/tensor.hpp"
#include "core/communicator.hpp"
#include "models/gradient_clipping.hpp"

namespace slatetrain {

class GradientBuckets {
 public:
  // spans: the gradients (backend memory), in the same order and sizes on every rank.
  // The plan is made once here; the spans must stay where they are.
  GradientBuckets(Communicator& communicator, Backend& backend, std::vector<GradientSpan> spans,
                  size_t bucket_bytes = size_t{4} << 20);

  // Collective: every span becomes the sum of that span over ranks. Losses are normalised by
  // the global step count, so a sum (not a mean) is the global gradient.
  void allreduce_sum();

  size_t bucket_count() const { return buckets_.size(); }
  // Buckets that need packing (pieces not adjacent in memory).
  size_t packed_bucket_count() const;

 private:
  struct Piece {
    float* data;
    int64_t count;
  };
  struct Bucket {
    std::vector<Piece> pieces;
    int64_t count = 0;
    bool contiguous = true;  // pieces follow each other in memory: reduce in place
  };

  Communicator& communicator_;
  Backend& backend_;
  std::vector<Bucket> buckets_;
  Tensor staging_;  // [largest packed bucket]
};

}  // namespace slatetrain
