#include "launch/item_index.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <utility>

#include <cblas.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <omp.h>

#include "core/error.hpp"
#include "launch/faiss_error.hpp"

namespace slatetrain {

namespace {

// FAISS's own guideline for the number of IVF cells: about 4 sqrt(n).
int64_t default_ivf_lists(int64_t count) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::lround(4.0 * std::sqrt(double(count)))));
}

// FAISS warns below 39 training points per cell; 64 keeps k-means stable at a bounded cost.
constexpr int64_t kTrainingPerList = 64;

// A seeded sample of `wanted` of the `count` rows (all of them when wanted >= count), in row
// order, copied into one buffer for FAISS's k-means.
std::vector<float> training_sample(const float* vectors, int64_t count, int64_t dim, int64_t wanted,
                                   uint64_t seed) {
  if (wanted >= count) return std::vector<float>(vectors, vectors + count * dim);
  std::vector<int64_t> rows(static_cast<size_t>(count));
  std::iota(rows.begin(), rows.end(), int64_t{0});
  std::mt19937_64 generator(seed);
  for (int64_t i = 0; i < wanted; ++i) {  // partial Fisher-Yates
    std::uniform_int_distribution<int64_t> pick(i, count - 1);
    std::swap(rows[static_cast<size_t>(i)], rows[static_cast<size_t>(pick(generator))]);
  }
  rows.resize(static_cast<size_t>(wanted));
  std::sort(rows.begin(), rows.end());
  std::vector<float> sample(static_cast<size_t>(wanted * dim));
  for (int64_t i = 0; i < wanted; ++i) {
    std::copy_n(vectors + rows[static_cast<size_t>(i)] * dim, dim, sample.begin() + i * dim);
  }
  return sample;
}

// The smallest power of two >= n: users whose k + exclusions fall in one bucket are searched
// in one FAISS call (FAISS parallelises over the queries of a call).
int64_t fetch_bucket(int64_t n) {
  int64_t bucket = 1;
  while (bucket < n) bucket *= 2;
  return bucket;
}

}  // namespace

const char* item_index_kind_name(ItemIndexKind kind) {
  switch (kind) {
    case ItemIndexKind::kFlat:
      return "flat";
    case ItemIndexKind::kHnsw:
      return "hnsw";
    case ItemIndexKind::kIvf:
      return "ivf";
  }
  return "?";
}

ItemIndexKind parse_item_index_kind(const std::string& name) {
  if (name == "flat") return ItemIndexKind::kFlat;
  if (name == "hnsw") return ItemIndexKind::kHnsw;
  if (name == "ivf") return ItemIndexKind::kIvf;
  RAISE("item index kind '" << name << "': expected flat, hnsw or ivf");
}

void set_item_index_threads(int threads) {
  REQUIRE(threads >= 0, "threads " << threads << ": expected >= 0");
  const int count = threads > 0 ? threads : omp_get_num_procs();
  omp_set_num_threads(count);
  // The flat index and IVF's k-means score through BLAS (OpenBLAS's own threads).
  openblas_set_num_threads(count);
}

int item_index_threads() {
  return omp_get_max_threads();
}

ItemIndex ItemIndex::build(const float* vectors, int64_t count, int64_t dim, int64_t first_item,
                           const ItemIndexParameters& parameters) {
  REQUIRE(count > 0 && dim > 0, "an item index needs items: " << count << " x " << dim);
  REQUIRE(count <= std::numeric_limits<faiss::Index::idx_t>::max(), "too many items: " << count);
  ItemIndexParameters used = parameters;
  std::unique_ptr<faiss::Index> index;
  const char* kind = item_index_kind_name(parameters.kind);
  switch (parameters.kind) {
    case ItemIndexKind::kFlat: {
      CHECK_FAISS(index = std::make_unique<faiss::IndexFlatIP>(dim), "building a flat index");
      break;
    }
    case ItemIndexKind::kHnsw: {
      REQUIRE(used.hnsw_m >= 2, "hnsw M " << used.hnsw_m << ": expected >= 2");
      REQUIRE(used.hnsw_ef_construction >= 1 && used.hnsw_ef_search >= 1,
              "hnsw efConstruction and efSearch must be >= 1");
      std::unique_ptr<faiss::IndexHNSWFlat> hnsw;
      CHECK_FAISS(hnsw = std::make_unique<faiss::IndexHNSWFlat>(dim, used.hnsw_m,
                                                                faiss::METRIC_INNER_PRODUCT),
                  "building an hnsw index");
      hnsw->hnsw.efConstruction = used.hnsw_ef_construction;
      hnsw->hnsw.efSearch = used.hnsw_ef_search;
      index = std::move(hnsw);
      break;
    }
    case ItemIndexKind::kIvf: {
      if (used.ivf_lists == 0) used.ivf_lists = default_ivf_lists(count);
      REQUIRE(used.ivf_lists >= 1 && used.ivf_lists <= count,
              "ivf lists " << used.ivf_lists << ": expected 1 .. the item count " << count);
      REQUIRE(used.ivf_probes >= 1, "ivf probes " << used.ivf_probes << ": expected >= 1");
      if (used.ivf_training == 0) used.ivf_training = kTrainingPerList * used.ivf_lists;
      used.ivf_training = std::min(used.ivf_training, count);
      REQUIRE(used.ivf_training >= used.ivf_lists, "ivf training vectors "
                                                       << used.ivf_training << ": fewer than the "
                                                       << used.ivf_lists << " lists");
      std::unique_ptr<faiss::IndexIVFFlat> ivf;
      CHECK_FAISS(
          {
            auto quantizer = std::make_unique<faiss::IndexFlatIP>(dim);
            ivf = std::make_unique<faiss::IndexIVFFlat>(quantizer.get(), dim, used.ivf_lists,
                                                        faiss::METRIC_INNER_PRODUCT);
            quantizer.release();  // owned by the IVF index from here
            ivf->own_fields = true;
          },
          "building an ivf index");
      ivf->cp.seed = static_cast<int>(used.seed & 0x7fffffff);
      ivf->nprobe = static_cast<size_t>(used.ivf_probes);
      const std::vector<float> sample =
          training_sample(vectors, count, dim, used.ivf_training, used.seed);
      CHECK_FAISS(ivf->train(used.ivf_training, sample.data()),
                  "training the ivf index's k-means (" << used.ivf_lists << " lists on "
                                                       << used.ivf_training << " items)");
      index = std::move(ivf);
      break;
    }
  }
  CHECK_FAISS(index->add(count, vectors), "adding " << count << " items of dimension " << dim
                                                    << " to the " << kind << " index");
  return ItemIndex(std::move(index), used, first_item);
}

ItemIndex::ItemIndex(std::unique_ptr<faiss::Index> index, const ItemIndexParameters& parameters,
                     int64_t first_item)
    : index_(std::move(index)), parameters_(parameters), first_item_(first_item) {
  REQUIRE(index_ != nullptr, "no FAISS index");
  apply_search_parameters();
}

// FAISS 1.7.3's HNSW sizes its candidate queue from the index's own efSearch and takes only the
// stopping rule from SearchParametersHNSW, so a per-call efSearch above the stored one has no
// effect: the stored values are kept equal to the knobs, and the calls pass them too.
void ItemIndex::apply_search_parameters() {
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index_.get())) {
    hnsw->hnsw.efSearch = parameters_.hnsw_ef_search;
  }
  if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(index_.get())) {
    ivf->nprobe = static_cast<size_t>(parameters_.ivf_probes);
  }
}

ItemIndex::ItemIndex(ItemIndex&&) noexcept = default;
ItemIndex& ItemIndex::operator=(ItemIndex&&) noexcept = default;
ItemIndex::~ItemIndex() = default;

int64_t ItemIndex::count() const {
  return index_->ntotal;
}
int64_t ItemIndex::dim() const {
  return index_->d;
}

void ItemIndex::set_ef_search(int ef_search) {
  REQUIRE(ef_search >= 1, "hnsw efSearch " << ef_search << ": expected >= 1");
  parameters_.hnsw_ef_search = ef_search;
  apply_search_parameters();
}

void ItemIndex::set_probes(int64_t probes) {
  REQUIRE(probes >= 1, "ivf probes " << probes << ": expected >= 1");
  parameters_.ivf_probes = probes;
  apply_search_parameters();
}

ItemRanking ItemIndex::search(const float* users, int64_t user_count, int64_t k,
                              const std::vector<std::vector<int64_t>>& excluded) const {
  REQUIRE(k >= 1, "top-k with k = " << k);
  REQUIRE(excluded.empty() || static_cast<int64_t>(excluded.size()) == user_count,
          "exclusions for " << excluded.size() << " users, " << user_count << " users asked");
  const int64_t dim = index_->d;
  const int64_t count = index_->ntotal;
  ItemRanking ranking;
  ranking.users = user_count;
  ranking.k = k;
  ranking.items.assign(static_cast<size_t>(user_count * k), -1);
  ranking.scores.assign(static_cast<size_t>(user_count * k),
                        -std::numeric_limits<float>::infinity());

  // Each user's exclusions as sorted index positions (ids outside the index dropped), and the
  // users grouped by how many candidates they need: k plus their exclusions.
  std::vector<std::vector<int64_t>> excluded_positions(excluded.size());
  std::map<int64_t, std::vector<int64_t>> users_by_fetch;
  for (int64_t u = 0; u < user_count; ++u) {
    int64_t excluded_count = 0;
    if (!excluded.empty()) {
      auto& positions = excluded_positions[static_cast<size_t>(u)];
      for (const int64_t item : excluded[static_cast<size_t>(u)]) {
        const int64_t position = item - first_item_;
        if (position >= 0 && position < count) positions.push_back(position);
      }
      std::sort(positions.begin(), positions.end());
      positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
      excluded_count = static_cast<int64_t>(positions.size());
    }
    const int64_t fetch = std::min(count, fetch_bucket(k + excluded_count));
    users_by_fetch[fetch].push_back(u);
  }

  std::vector<float> queries;
  std::vector<float> distances;
  std::vector<faiss::Index::idx_t> labels;
  for (const auto& [fetch, group] : users_by_fetch) {
    const int64_t n = static_cast<int64_t>(group.size());
    queries.resize(static_cast<size_t>(n * dim));
    for (int64_t i = 0; i < n; ++i) {
      std::copy_n(users + group[static_cast<size_t>(i)] * dim, dim, queries.begin() + i * dim);
    }
    distances.resize(static_cast<size_t>(n * fetch));
    labels.resize(static_cast<size_t>(n * fetch));
    faiss::SearchParametersHNSW hnsw;
    faiss::SearchParametersIVF ivf;
    faiss::SearchParameters* search_parameters = nullptr;
    if (parameters_.kind == ItemIndexKind::kHnsw) {
      // HNSW returns at most efSearch candidates: never fewer than asked for.
      hnsw.efSearch = std::max<int>(parameters_.hnsw_ef_search, static_cast<int>(fetch));
      search_parameters = &hnsw;
    } else if (parameters_.kind == ItemIndexKind::kIvf) {
      ivf.nprobe = static_cast<size_t>(parameters_.ivf_probes);
      search_parameters = &ivf;
    }
    CHECK_FAISS(index_->search(n, queries.data(), fetch, distances.data(), labels.data(),
                               search_parameters),
                "searching the " << item_index_kind_name(parameters_.kind) << " index for " << n
                                 << " users, " << fetch << " items each");
    for (int64_t i = 0; i < n; ++i) {
      const int64_t u = group[static_cast<size_t>(i)];
      const std::vector<int64_t>* skip =
          excluded.empty() ? nullptr : &excluded_positions[static_cast<size_t>(u)];
      int64_t kept = 0;
      for (int64_t j = 0; j < fetch && kept < k; ++j) {
        const int64_t position = labels[static_cast<size_t>(i * fetch + j)];
        if (position < 0) break;  // the index found no more
        if (skip && std::binary_search(skip->begin(), skip->end(), position)) continue;
        ranking.items[static_cast<size_t>(u * k + kept)] = position + first_item_;
        ranking.scores[static_cast<size_t>(u * k + kept)] =
            distances[static_cast<size_t>(i * fetch + j)];
        ++kept;
      }
    }
  }
  return ranking;
}

}  // namespace slatetrain
