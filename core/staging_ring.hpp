// Where host-to-device uploads are staged in a fixed ring of page-locked memory, so that a
// copy from the caller's ordinary (pageable) memory becomes a host memcpy plus a truly
// asynchronous device copy: the host never waits for the device to catch up, except when the
// ring wraps onto staging space whose copy has not run yet.
//
// Pure bookkeeping, no CUDA: the caller gives each upload a fence (a CUDA event recorded after
// its copy) and a way to wait for one. All uploads go through one stream, so a fence that has
// completed means every older one has too; place() relies on that.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

namespace slatetrain {

class StagingRing {
 public:
  // capacity: bytes in the ring; alignment: of every placement (a power of two).
  explicit StagingRing(size_t capacity, size_t alignment = 256);

  size_t capacity() const { return capacity_; }
  // Whether an upload of `bytes` can be staged at all (otherwise copy without the ring).
  bool fits(size_t bytes) const { return bytes > 0 && bytes <= capacity_; }

  // The offset where the next upload of `bytes` goes. If that space still belongs to uploads
  // in flight, wait_for(fence) is called once, with the newest such upload's fence, before
  // returning; that upload and all older ones are then retired. Follow with commit().
  size_t place(size_t bytes, const std::function<void(void* fence)>& wait_for);
  // The upload at the last place() is in flight until `fence` completes.
  void commit(void* fence);
  // Fences of retired uploads, for the caller to reuse (emptied by the call).
  std::vector<void*> take_retired();
  // Every upload is known to have completed (the caller synchronised the stream).
  void retire_all();

  size_t in_flight() const { return spans_.size(); }

 private:
  struct Span {
    size_t offset, bytes;
    void* fence;
  };
  size_t capacity_, alignment_;
  size_t head_ = 0;  // where the next placement starts looking
  size_t placed_offset_ = 0, placed_bytes_ = 0;
  bool placed_ = false;     // a place() waits for its commit()
  std::deque<Span> spans_;  // in flight, oldest first
  std::vector<void*> retired_;
};

}  // namespace slatetrain
