#include "dist/gradient_buckets.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace slatetrain {

GradientBuckets::GradientBuckets(Communicator& communicator, Backend& backend,
                                 std::vector<GradientSpan> spans, size_t bucket_bytes)
    : communicator_(communicator), backend_(backend) {
  const int64_t bucket_elements = static_cast<int64_t>(bucket_bytes / sizeof(float));
  REQUIRE(bucket_elements > 0,
          "gradient buckets: bucket of " << bucket_bytes << " bytes holds no float");
  // Cut the spans into pieces of at most one bucket, then fill buckets greedily in order.
  Bucket current;
  auto close_bucket = [&] {
    if (current.count > 0) buckets_.push_back(current);
    current = Bucket{};
  };
  for (size_t s = 0; s < spans.size(); ++s) {
    REQUIRE(spans[s].count >= 0 && (spans[s].count == 0 || spans[s].data != nullptr),
            "gradient buckets: span " << s << " has count " << spans[s].count << " and data "
                                      << spans[s].data);
    for (int64_t done = 0; done < spans[s].count;) {
      if (current.count == bucket_elements) close_bucket();
      const int64_t piece = std::min(spans[s].count - done, bucket_elements - current.count);
      float* data = spans[s].data + done;
      if (!current.pieces.empty()) {
        const Piece& last = current.pieces.back();
        current.contiguous = current.contiguous && last.data + last.count == data;
      }
      current.pieces.push_back({data, piece});
      current.count += piece;
      done += piece;
    }
  }
  close_bucket();
  int64_t largest_packed = 0;
  for (const Bucket& bucket : buckets_)
    if (!bucket.contiguous) largest_packed = std::max(largest_packed, bucket.count);
  staging_ = Tensor(backend_, {largest_packed}, DType::kFloat32);
}

size_t GradientBuckets::packed_bucket_count() const {
  return static_cast<size_t>(std::count_if(
      buckets_.begin(), buckets_.end(), [](const Bucket& bucket) { return !bucket.contiguous; }));
}

void GradientBuckets::allreduce_sum() {
  for (const Bucket& bucket : buckets_) {
    if (bucket.contiguous) {
      communicator_.allreduce(bucket.pieces.front().data, static_cast<size_t>(bucket.count),
                              ElementType::kFloat32, ReduceOp::kSum);
      continue;
    }
    float* staging = staging_.data<float>();
    int64_t offset = 0;
    for (const Piece& piece : bucket.pieces) {
      backend_.copy_on_device(staging + offset, piece.data, piece.count * sizeof(float));
      offset += piece.count;
    }
    communicator_.allreduce(staging, static_cast<size_t>(bucket.count), ElementType::kFloat32,
                            ReduceOp::kSum);
    offset = 0;
    for (const Piece& piece : bucket.pieces) {
      backend_.copy_on_device(piece.data, staging + offset, piece.count * sizeof(float));
      offset += piece.count;
    }
  }
}

}  // namespace slatetrain
