// IndexRanker: the ItemRanker (launch/catalogue_ranker.hpp) that asks an item index
// (launch/item_index.hpp, docs/ITEM_INDEX.md) instead of scoring the whole sharded table:
// `slatetrain recommend --index FILE`. Rank 0 holds the index; every rank's users are gathered
// there, searched in one call (FAISS's threads), and the results shared back.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/communicator.hpp"
#include "dist/checkpoint_file.hpp"
#include "launch/catalogue_ranker.hpp"
#include "launch/item_index_file.hpp"

namespace slatetrain {

class IndexRanker : public ItemRanker {
 public:
  // Collective. Every rank reads the header of `path` and refuses it unless it was built from
  // this checkpoint (run and step) on this dataset with this table shape, so a refusal is the
  // same on every rank; rank 0 then reads the index (its outcome shared: a damaged file is
  // reported once). ef_search / probes > 0 override the file's search knobs.
  IndexRanker(Communicator& host, const std::string& path, const std::string& checkpoint_path,
              const CheckpointHeader& checkpoint, const std::string& dataset_id, int64_t num_items,
              int64_t dim, int ef_search = 0, int64_t probes = 0);
  ~IndexRanker() override;

  // Collective (ItemRanker). The index's candidates are ordered by score; ties as FAISS
  // returns them.
  TopK rank(const std::vector<float>& user_vectors,
            const std::vector<std::vector<int64_t>>& excluded, int k) override;

  const ItemIndexHeader& header() const { return header_; }

 private:
  Communicator& host_;
  int64_t dim_;
  ItemIndexHeader header_;
  std::unique_ptr<ItemIndex> index_;  // rank 0's
};

}  // namespace slatetrain
