#include "core/staging_ring.hpp"

#include "core/error.hpp"

namespace slatetrain {

StagingRing::StagingRing(size_t capacity, size_t alignment)
    : capacity_(capacity), alignment_(alignment) {
  REQUIRE(capacity > 0, "StagingRing: capacity must be positive");
  REQUIRE(alignment > 0 && (alignment & (alignment - 1)) == 0,
          "StagingRing: alignment " << alignment << " is not a power of two");
}

size_t StagingRing::place(size_t bytes, const std::function<void(void* fence)>& wait_for) {
  REQUIRE(fits(bytes), "StagingRing: " << bytes << " bytes do not fit a ring of " << capacity_);
  size_t offset = (head_ + alignment_ - 1) & ~(alignment_ - 1);
  if (offset > capacity_ || bytes > capacity_ - offset) offset = 0;  // wrap
  const size_t end = offset + bytes;
  // The newest upload in flight whose staging space meets [offset, end).
  size_t newest = spans_.size();
  for (size_t i = 0; i < spans_.size(); ++i) {
    const Span& span = spans_[i];
    if (span.offset < end && offset < span.offset + span.bytes) newest = i;
  }
  if (newest < spans_.size()) {
    wait_for(spans_[newest].fence);
    for (size_t i = 0; i <= newest; ++i) {
      retired_.push_back(spans_.front().fence);
      spans_.pop_front();
    }
  }
  head_ = end;
  placed_offset_ = offset;
  placed_bytes_ = bytes;
  placed_ = true;
  return offset;
}

void StagingRing::commit(void* fence) {
  REQUIRE(placed_, "StagingRing::commit without a place()");
  spans_.push_back({placed_offset_, placed_bytes_, fence});
  placed_ = false;
}

std::vector<void*> StagingRing::take_retired() {
  std::vector<void*> out;
  out.swap(retired_);
  return out;
}

void StagingRing::retire_all() {
  for (const Span& span : spans_) retired_.push_back(span.fence);
  spans_.clear();
}

}  // namespace slatetrain
