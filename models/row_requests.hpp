// RowRequests: collects the item ids the parts of a model need for one batch (the user model's
// inputs, the objective's slates, positives and negatives) and tells each part where its id's
// row lands in the batch's rows buffer: one sorted, deduplicated id list for the sharded
// embedding to fetch, one row per unique id.
#pragma once

#include <cstdint>
#include <vector>

namespace slatetrain {

class RowRequests {
 public:
  // finish() will write the row of item `id` (>= 0) to *slot; the slot must stay where it is
  // until then (size vectors before asking for their slots).
  void need(int64_t id, int32_t* slot) {
    ids_.push_back(id);
    slots_.push_back(slot);
  }
  // The unique ids, ascending (row r of the rows buffer is item ids[r]); fills every slot.
  // The requests are consumed.
  std::vector<int64_t> finish();

 private:
  std::vector<int64_t> ids_;
  std::vector<int32_t*> slots_;
};

}  // namespace slatetrain
