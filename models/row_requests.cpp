#include "models/row_requests.hpp"

#include <cstddef>

#include "models/batch_ids.hpp"

namespace slatetrain {

std::vector<int64_t> RowRequests::finish() {
  UniqueIds unique = unique_ids(ids_);
  for (size_t i = 0; i < ids_.size(); ++i) *slots_[i] = unique.index[i];
  ids_.clear();
  slots_.clear();
  return std::move(unique.ids);
}

}  // namespace slatetrain
