// launch/item_index and launch/item_index_file: the flat index is the exact top-k by inner
// product (with exclusions), ivf probing every cell is exact too, hnsw's recall on clustered
// vectors, and the file: round trip, damage found, nothing foreign overwritten.
#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "launch/item_index.hpp"
#include "launch/item_index_file.hpp"

namespace slatetrain {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kFirstItem = 3;  // as FINN's ids: 0-2 are not items

// Vectors shaped like trained item tables: a mixture of Gaussian clusters, norms spread.
std::vector<float> clustered_vectors(int64_t count, int64_t dim, int clusters, uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> centres(static_cast<size_t>(clusters * dim));
  for (float& value : centres) value = normal(generator);
  std::uniform_int_distribution<int> pick(0, clusters - 1);
  std::lognormal_distribution<float> norm(0.0f, 0.5f);
  std::vector<float> vectors(static_cast<size_t>(count * dim));
  for (int64_t i = 0; i < count; ++i) {
    const int c = pick(generator);
    const float scale = norm(generator);
    for (int64_t j = 0; j < dim; ++j) {
      vectors[i * dim + j] = scale * (centres[c * dim + j] + 0.5f * normal(generator));
    }
  }
  return vectors;
}

// The exact top-k by brute force: ids (first_item + row), best first; ties by lower id.
std::vector<int64_t> exact_top_k(const std::vector<float>& items, int64_t dim, const float* user,
                                 int64_t k, const std::set<int64_t>& excluded = {}) {
  const int64_t count = static_cast<int64_t>(items.size()) / dim;
  std::vector<std::pair<float, int64_t>> scored;
  for (int64_t r = 0; r < count; ++r) {
    if (excluded.count(r + kFirstItem)) continue;
    float score = 0;
    for (int64_t j = 0; j < dim; ++j) score += user[j] * items[r * dim + j];
    scored.push_back({-score, r + kFirstItem});
  }
  std::partial_sort(scored.begin(), scored.begin() + std::min<int64_t>(k, scored.size()),
                    scored.end());
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < k && i < static_cast<int64_t>(scored.size()); ++i)
    ids.push_back(scored[i].second);
  return ids;
}

double recall(const ItemRanking& ranking, const std::vector<std::vector<int64_t>>& exact) {
  int64_t found = 0, total = 0;
  for (int64_t u = 0; u < ranking.users; ++u) {
    const std::set<int64_t> truth(exact[u].begin(), exact[u].end());
    for (int64_t j = 0; j < ranking.k; ++j) found += truth.count(ranking.items[u * ranking.k + j]);
    total += static_cast<int64_t>(truth.size());
  }
  return double(found) / double(total);
}

struct Catalogue {
  int64_t count = 4000, dim = 32, users = 200;
  std::vector<float> items = clustered_vectors(count, dim, 40, 11);
  std::vector<float> queries = clustered_vectors(users, dim, 40, 12);
  std::vector<std::vector<int64_t>> exact(int64_t k) const {
    std::vector<std::vector<int64_t>> result;
    for (int64_t u = 0; u < users; ++u)
      result.push_back(exact_top_k(items, dim, queries.data() + u * dim, k));
    return result;
  }
};

TEST(ItemIndex, FlatIsTheExactTopKWithScores) {
  const Catalogue c;
  ItemIndexParameters parameters;
  parameters.kind = ItemIndexKind::kFlat;
  const ItemIndex index = ItemIndex::build(c.items.data(), c.count, c.dim, kFirstItem, parameters);
  EXPECT_EQ(index.count(), c.count);
  EXPECT_EQ(index.first_item(), kFirstItem);
  const int64_t k = 10;
  const ItemRanking ranking = index.search(c.queries.data(), c.users, k);
  const auto exact = c.exact(k);
  for (int64_t u = 0; u < c.users; ++u) {
    for (int64_t j = 0; j < k; ++j) {
      const int64_t item = ranking.items[u * k + j];
      ASSERT_EQ(item, exact[u][j]) << "user " << u << " rank " << j;
      float score = 0;
      for (int64_t d = 0; d < c.dim; ++d)
        score += c.queries[u * c.dim + d] * c.items[(item - kFirstItem) * c.dim + d];
      EXPECT_NEAR(ranking.scores[u * k + j], score, 1e-4f * std::max(1.0f, std::fabs(score)));
    }
  }
}

TEST(ItemIndex, ExcludedItemsAreNeverReturnedAndTheNextBestTakeTheirPlace) {
  const Catalogue c;
  ItemIndexParameters parameters;
  parameters.kind = ItemIndexKind::kFlat;
  const ItemIndex index = ItemIndex::build(c.items.data(), c.count, c.dim, kFirstItem, parameters);
  const int64_t k = 10;
  const auto exact = c.exact(k);
  // User u excludes its own best u % 12 items (0 .. 11: up to more than k) and ids that are
  // not in the index (0-2, beyond the catalogue), which must be ignored.
  std::vector<std::vector<int64_t>> excluded(c.users);
  for (int64_t u = 0; u < c.users; ++u) {
    const auto top = exact_top_k(c.items, c.dim, c.queries.data() + u * c.dim, 12);
    excluded[u].assign(top.begin(), top.begin() + u % 12);
    excluded[u].push_back(1);
    excluded[u].push_back(kFirstItem + c.count + 5);
  }
  const ItemRanking ranking = index.search(c.queries.data(), c.users, k, excluded);
  for (int64_t u = 0; u < c.users; ++u) {
    const std::set<int64_t> skip(excluded[u].begin(), excluded[u].end());
    const auto expected = exact_top_k(c.items, c.dim, c.queries.data() + u * c.dim, k, skip);
    const std::vector<int64_t> got(ranking.items.begin() + u * k,
                                   ranking.items.begin() + (u + 1) * k);
    ASSERT_EQ(got, expected) << "user " << u << " excluding " << excluded[u].size();
  }
}

TEST(ItemIndex, FewerItemsThanKLeaveMinusOneInTheTail) {
  const std::vector<float> items = clustered_vectors(5, 4, 2, 3);
  const std::vector<float> user = clustered_vectors(1, 4, 2, 4);
  const ItemIndex index = ItemIndex::build(items.data(), 5, 4, kFirstItem, {});
  const ItemRanking ranking = index.search(user.data(), 1, 8, {{kFirstItem + 2}});
  for (int j = 0; j < 4; ++j) EXPECT_GE(ranking.items[j], kFirstItem);
  for (int j = 4; j < 8; ++j) {
    EXPECT_EQ(ranking.items[j], -1);
    EXPECT_TRUE(std::isinf(ranking.scores[j]));
  }
}

TEST(ItemIndex, IvfProbingEveryListIsExact) {
  const Catalogue c;
  ItemIndexParameters parameters;
  parameters.kind = ItemIndexKind::kIvf;
  parameters.ivf_lists = 32;
  ItemIndex index = ItemIndex::build(c.items.data(), c.count, c.dim, kFirstItem, parameters);
  EXPECT_EQ(index.parameters().ivf_training, std::min<int64_t>(c.count, 64 * 32));
  index.set_probes(32);
  const auto exact = c.exact(10);
  EXPECT_EQ(recall(index.search(c.queries.data(), c.users, 10), exact), 1.0);
  index.set_probes(1);
  const double one_probe = recall(index.search(c.queries.data(), c.users, 10), exact);
  std::printf("ivf 32 lists, 1 probe: recall@10 %.4f\n", one_probe);
  EXPECT_LT(one_probe, 1.0);  // approximate: one cell misses some of the best
}

// Measured before the bound was set: recall@10 0.987 - 0.992 over six runs (one and two
// threads: a parallel build inserts in varying order) with M 16, efConstruction 100,
// efSearch 64 on these 4000 clustered vectors; 0.97 leaves room for that spread and nothing
// for a broken graph (one ivf probe gets 0.35).
TEST(ItemIndex, HnswRecallAtTenOnClusteredVectors) {
  const Catalogue c;
  ItemIndexParameters parameters;
  parameters.kind = ItemIndexKind::kHnsw;
  parameters.hnsw_m = 16;
  parameters.hnsw_ef_construction = 100;
  parameters.hnsw_ef_search = 64;
  const ItemIndex index = ItemIndex::build(c.items.data(), c.count, c.dim, kFirstItem, parameters);
  const double measured = recall(index.search(c.queries.data(), c.users, 10), c.exact(10));
  std::printf("hnsw M 16 efSearch 64: recall@10 %.4f\n", measured);
  EXPECT_GE(measured, 0.97);
}

// FAISS 1.7.3 takes HNSW's queue size from the index, not from the per-call parameters: an
// efSearch raised after the build must still search wider (it did not, before the index's own
// value was kept equal to the knob: recall stayed at the built efSearch's).
TEST(ItemIndex, HnswEfSearchRaisedAfterTheBuildSearchesWider) {
  const Catalogue c;
  ItemIndexParameters parameters;
  parameters.kind = ItemIndexKind::kHnsw;
  parameters.hnsw_m = 4;
  parameters.hnsw_ef_construction = 8;
  parameters.hnsw_ef_search = 16;
  ItemIndex index = ItemIndex::build(c.items.data(), c.count, c.dim, kFirstItem, parameters);
  const auto exact = c.exact(10);
  const double narrow = recall(index.search(c.queries.data(), c.users, 10), exact);
  index.set_ef_search(512);
  const double wide = recall(index.search(c.queries.data(), c.users, 10), exact);
  std::printf("hnsw M 4: recall@10 %.4f with efSearch 16, %.4f with 512\n", narrow, wide);
  EXPECT_GT(wide, narrow + 0.02);
}

TEST(ItemIndex, UnknownKindAndBadParametersAreErrors) {
  EXPECT_THROW(parse_item_index_kind("pq"), Error);
  const std::vector<float> items = clustered_vectors(10, 4, 2, 3);
  ItemIndexParameters parameters;
  parameters.kind = ItemIndexKind::kIvf;
  parameters.ivf_lists = 11;  // more cells than items
  EXPECT_THROW(ItemIndex::build(items.data(), 10, 4, 0, parameters), Error);
}

class ItemIndexFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() /
                 ("item_index_test-" + std::to_string(getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    source_.num_items = c_.count + kFirstItem;
    source_.dim = c_.dim;
    source_.dataset_id = "0123456789abcdef";
    source_.dataset_path = "/data/converted";
    source_.checkpoint = "run/checkpoints/best.h5";
    source_.run_id = "run-1";
    source_.step = 42;
    source_.rows_crc32 = "deadbeef";
  }
  void TearDown() override { fs::remove_all(directory_); }
  std::string path(const std::string& name) const { return (directory_ / name).string(); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(directory_))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  ItemIndex hnsw() const {
    ItemIndexParameters parameters;
    parameters.kind = ItemIndexKind::kHnsw;
    parameters.hnsw_m = 8;
    parameters.hnsw_ef_construction = 40;
    parameters.hnsw_ef_search = 24;
    return ItemIndex::build(c_.items.data(), c_.count, c_.dim, kFirstItem, parameters);
  }

  Catalogue c_;
  fs::path directory_;
  ItemIndexSource source_;
};

TEST_F(ItemIndexFileTest, RoundTripKeepsTheHeaderAndTheResults) {
  const ItemIndex index = hnsw();
  write_item_index_file(path("items.index"), index, source_, 1.5, false);
  EXPECT_EQ(entries(), std::vector<std::string>{"items.index"});  // no temporary left
  const ItemIndexFile file = read_item_index_file(path("items.index"));
  const ItemIndexHeader& header = file.header;
  EXPECT_EQ(header.parameters.kind, ItemIndexKind::kHnsw);
  EXPECT_EQ(header.parameters.hnsw_m, 8);
  EXPECT_EQ(header.parameters.hnsw_ef_search, 24);
  EXPECT_EQ(header.first_item, kFirstItem);
  EXPECT_EQ(header.count, c_.count);
  EXPECT_EQ(header.source.num_items, source_.num_items);
  EXPECT_EQ(header.source.run_id, "run-1");
  EXPECT_EQ(header.source.step, 42);
  EXPECT_EQ(header.source.rows_crc32, "deadbeef");
  EXPECT_EQ(header.build_seconds, 1.5);
  const ItemRanking before = index.search(c_.queries.data(), c_.users, 10);
  const ItemRanking after = file.index.search(c_.queries.data(), c_.users, 10);
  EXPECT_EQ(before.items, after.items);
  EXPECT_EQ(before.scores, after.scores);
  EXPECT_EQ(read_item_index_header(path("items.index")).faiss_crc32, header.faiss_crc32);
}

TEST_F(ItemIndexFileTest, DamageIsFoundBeforeFaissReadsIt) {
  write_item_index_file(path("items.index"), hnsw(), source_, 0, false);
  const auto size = fs::file_size(path("items.index"));
  {
    std::fstream file(path("items.index"), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size - 100));
    file.put('\x5a');
  }
  try {
    read_item_index_file(path("items.index"));
    FAIL() << "a flipped byte was not found";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("CRC-32"), std::string::npos) << error.what();
  }
  fs::resize_file(path("items.index"), size - 1000);
  try {
    read_item_index_file(path("items.index"));
    FAIL() << "a truncated file was read";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("truncated"), std::string::npos) << error.what();
  }
  std::ofstream(path("other")) << "not an index\n";
  EXPECT_THROW(read_item_index_header(path("other")), Error);
}

TEST_F(ItemIndexFileTest, NothingButAnItemIndexIsReplacedAndOnlyWithForce) {
  const ItemIndex index = hnsw();
  std::ofstream(path("precious")) << "the user's file\n";
  EXPECT_THROW(write_item_index_file(path("precious"), index, source_, 0, true), Error);
  std::ifstream kept(path("precious"));
  std::string line;
  std::getline(kept, line);
  EXPECT_EQ(line, "the user's file");
  fs::create_symlink(path("precious"), path("link"));
  EXPECT_THROW(write_item_index_file(path("link"), index, source_, 0, true), Error);
  fs::create_directory(path("directory"));
  EXPECT_THROW(write_item_index_file(path("directory"), index, source_, 0, true), Error);

  write_item_index_file(path("items.index"), index, source_, 0, false);
  EXPECT_THROW(write_item_index_file(path("items.index"), index, source_, 0, false), Error);
  source_.step = 43;
  write_item_index_file(path("items.index"), index, source_, 0, true);
  EXPECT_EQ(read_item_index_header(path("items.index")).source.step, 43);
  EXPECT_EQ(entries(), (std::vector<std::string>{"directory", "items.index", "link", "precious"}));
}

TEST_F(ItemIndexFileTest, AnIndexOfAnotherCheckpointOrDatasetIsRefused) {
  write_item_index_file(path("items.index"), hnsw(), source_, 0, false);
  const ItemIndexHeader header = read_item_index_header(path("items.index"));
  const auto refusal = [&](const std::string& run_id, int64_t step, const std::string& dataset,
                           int64_t num_items) {
    try {
      require_index_of_checkpoint(header, "items.index", "other.h5", run_id, step, dataset,
                                  num_items, c_.dim);
    } catch (const Error& error) {
      return std::string(error.what());
    }
    return std::string();
  };
  EXPECT_EQ(refusal("run-1", 42, "0123456789abcdef", source_.num_items), "");
  EXPECT_NE(refusal("run-1", 43, "0123456789abcdef", source_.num_items).find("step 42"),
            std::string::npos);
  EXPECT_NE(refusal("run-2", 42, "0123456789abcdef", source_.num_items).find("run run-2"),
            std::string::npos);
  EXPECT_NE(refusal("run-1", 42, "fedcba9876543210", source_.num_items).find("dataset"),
            std::string::npos);
  EXPECT_NE(refusal("run-1", 42, "0123456789abcdef", 7).find("covers"), std::string::npos);
}

}  // namespace
}  // namespace slatetrain
