// Writes the small seed corpora committed under tests/fuzz/corpus/ (a few KB each): archives
// and checkpoints written by our own writers, manifests of both protocols, ind2val maps and
// run configurations. Usage: fuzz_make_seeds CORPUS_DIR   (run by hand when formats change).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "data/manifest.hpp"
#include "data/npz_writer.hpp"
#include "dist/checkpoint_file.hpp"

namespace fs = std::filesystem;
using namespace slatetrain;

namespace {

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

template <typename T>
void add_array(NpzWriter& writer, const std::string& name, NpyDtype dtype,
               const std::vector<int64_t>& shape, const std::vector<T>& values) {
  writer.begin_array(name, dtype, shape);
  writer.write(values.data(), values.size() * sizeof(T));
  writer.end_array();
}

void write_npz_seeds(const fs::path& directory) {
  fs::create_directories(directory);
  for (const bool compress : {false, true}) {
    for (const bool zip64 : {false, true}) {
      const std::string name =
          std::string(compress ? "deflated" : "stored") + (zip64 ? "_zip64" : "") + ".npz";
      NpzWriter writer((directory / name).string(), compress);
      writer.set_force_zip64(zip64);
      add_array<int32_t>(writer, "slate", NpyDtype::kInt32, {2, 2, 3},
                         {0, 1, 5, 1, 7, 0, 3, 4, 5, 1, 0, 0});
      add_array<double>(writer, "category", NpyDtype::kFloat64, {3}, {1.0, 2.0, -0.5});
      if (!zip64) add_array<int64_t>(writer, "userId", NpyDtype::kInt64, {2}, {7, 1LL << 40});
      if (compress) add_array<uint8_t>(writer, "flag", NpyDtype::kBool, {}, {1});
      if (zip64) add_array<int16_t>(writer, "t", NpyDtype::kInt16, {2, 0}, {});
      writer.close();
    }
  }
}

Manifest example_manifest(Protocol protocol) {
  Manifest manifest;
  manifest.protocol = protocol;
  manifest.dataset = protocol == Protocol::kUsers ? "finn" : "movielens";
  manifest.num_users = 5;
  manifest.num_items = 10;
  manifest.num_item_groups = 2;
  manifest.num_stored_steps = 9;
  manifest.num_interactions = 6;
  manifest.num_slate_items = 20;
  manifest.slate_length_histogram = {3, 0, 6};
  manifest.ind2val = {{"category", {{"0", "a"}, {"1", "b"}}}, {"interaction_type", {{"0", "x"}}}};
  manifest.source.int_dtype = "int32";
  manifest.source.files = {{"data.npz", 100, "ab"}};
  manifest.anomalies.counts["click_not_in_slate"] = 1;
  manifest.items_file = {"items.h5", 10, "0000abcd"};
  manifest.shards = {{"shard-00000-of-00002.h5", 0, 3, 5, 10, 99, "01234567"},
                     {"shard-00001-of-00002.h5", 3, 2, 4, 10, 98, "89abcdef"}};
  if (protocol == Protocol::kUsers) {
    manifest.split.train_users = 3;
    manifest.split.valid_users = 1;
    manifest.split.test_users = 1;
  } else {
    manifest.leave_one_out = {4, 1};
    manifest.step_datasets = {"timestamp"};
    manifest.item_groups = {"(none)", "Drama"};
    manifest.interaction_types = {"(none)", "rating"};
    manifest.conversion = {{"format", "movielens"}};
  }
  manifest.created_by = "fuzz seeds";
  return manifest;
}

void write_checkpoint_seed(const fs::path& path) {
  fs::create_directories(path.parent_path());
  CheckpointFileWriter writer(path.string(), 4, 2, {"first_moment"});
  writer.write_dense("parameters", {0.5f, -1.0f, 2.0f});
  writer.write_dense("first_moment", {});
  const std::vector<float> rows = {1, 2, 3, 4, 5, 6, 7, 8};
  writer.write_embedding_rows("rows", 0, 4, rows.data());
  writer.write_embedding_rows("first_moment", 0, 4, rows.data());
  CheckpointHeader header;
  header.step = 12;
  header.world_size = 2;
  header.seed = 3;
  header.config_yaml = "model:\n  dim: 2\n";
  header.best_step = 10;
  writer.finish(header);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds CORPUS_DIR\n";
    return 2;
  }
  const fs::path corpus = argv[1];
  write_npz_seeds(corpus / "npz");
  write_text(corpus / "manifest" / "users.json",
             example_manifest(Protocol::kUsers).to_json().dump(1));
  write_text(corpus / "manifest" / "leave_one_out.json",
             example_manifest(Protocol::kLeaveOneOut).to_json().dump(1));
  write_text(corpus / "ind2val" / "finn.json",
             R"({"category": {"0": "PAD", "1": "cars", "2": "jobs"},)"
             R"( "interaction_type": {"0": "<UNK>", "1": "search", "2": "rec"}})");
  write_text(corpus / "ind2val" / "odd_keys.json",
             R"({"category": {"-1": "x", "1e3": "y"}, "interaction_type": {"255": "z"}})");
  write_checkpoint_seed(corpus / "checkpoint" / "small.h5");
  return 0;
}
