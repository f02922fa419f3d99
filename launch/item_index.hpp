// ItemIndex: a FAISS index over a model's item vectors, searched by inner product as the model
// scores items (user vector . item row), for serving top-k without scoring the whole catalogue
// (docs/ITEM_INDEX.md). Three kinds:
//   flat  IndexFlatIP: every item scored, the exact top-k (the reference and the fallback);
//   hnsw  IndexHNSWFlat (inner product): a proximity graph, M links per node, built with
//         efConstruction candidates, searched with efSearch;
//   ivf   IndexIVFFlat (inner product): k-means into `lists` cells, a query scans `probes`.
// Index position p holds item id first_item + p: the ids below first_item (pad, no-click,
// unknown) are not items and never recommended, as in evaluation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace faiss {
struct Index;
}

namespace slatetrain {

enum class ItemIndexKind { kFlat, kHnsw, kIvf };

// "flat", "hnsw", "ivf"; parse_item_index_kind throws Error for another name.
const char* item_index_kind_name(ItemIndexKind kind);
ItemIndexKind parse_item_index_kind(const std::string& name);

// The threads FAISS builds and searches with in this process, its OpenMP threads and
// OpenBLAS's (0: every core), and how many that is now.
void set_item_index_threads(int threads);
int item_index_threads();

struct ItemIndexParameters {
  ItemIndexKind kind = ItemIndexKind::kFlat;
  // hnsw
  int hnsw_m = 32;                 // graph links per node (memory: 2 * M int32 per item)
  int hnsw_ef_construction = 200;  // candidates while inserting: build time vs graph quality
  int hnsw_ef_search = 128;        // candidates while searching (raised to k when smaller)
  // ivf
  int64_t ivf_lists = 0;     // k-means cells; 0: 4 * sqrt(items), rounded
  int64_t ivf_probes = 32;   // cells scanned per query
  int64_t ivf_training = 0;  // items k-means trains on (a seeded sample); 0: 64 per cell
  uint64_t seed = 1;         // the training sample's and k-means' seed
};

// The best k items of each user, best first: ids and inner products. A user with fewer
// than k candidate items (after exclusions) has id -1 and score -infinity in the tail.
struct ItemRanking {
  int64_t users = 0;
  int64_t k = 0;
  std::vector<int64_t> items;  // [users, k] item ids
  std::vector<float> scores;   // [users, k]
};

class ItemIndex {
 public:
  // Builds from vectors [count, dim] (row r: item first_item + r). Uses FAISS's OpenMP
  // threads (omp_set_num_threads). Errors (a FAISS failure, bad parameters) name what failed.
  static ItemIndex build(const float* vectors, int64_t count, int64_t dim, int64_t first_item,
                         const ItemIndexParameters& parameters);
  // Wraps an index read from a file (launch/item_index_file.hpp).
  ItemIndex(std::unique_ptr<faiss::Index> index, const ItemIndexParameters& parameters,
            int64_t first_item);
  ItemIndex(ItemIndex&&) noexcept;
  ItemIndex& operator=(ItemIndex&&) noexcept;
  ~ItemIndex();

  const ItemIndexParameters& parameters() const { return parameters_; }
  int64_t first_item() const { return first_item_; }
  int64_t count() const;  // items in the index
  int64_t dim() const;
  const faiss::Index& faiss_index() const { return *index_; }

  // The search-time knobs (hnsw_ef_search, ivf_probes), e.g. from recommend's options. Not
  // thread-safe: set them before searching.
  void set_ef_search(int ef_search);
  void set_probes(int64_t probes);

  // users [user_count, dim]; excluded: empty or one list of item ids per user, never returned
  // for that user (ids outside the index are ignored). Asks FAISS for k plus the user's
  // exclusion count, so the k best non-excluded candidates are returned whenever the index
  // finds that many. Thread-safe (const; FAISS parallelises over the users itself).
  ItemRanking search(const float* users, int64_t user_count, int64_t k,
                     const std::vector<std::vector<int64_t>>& excluded = {}) const;

 private:
  // Sets the FAISS index's own efSearch / nprobe from parameters_.
  void apply_search_parameters();

  std::unique_ptr<faiss::Index> index_;
  ItemIndexParameters parameters_;
  int64_t first_item_ = 0;
};

}  // namespace slatetrain
