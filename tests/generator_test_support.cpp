#include "tests/generator_test_support.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "data/npz_reader.hpp"

namespace slatetrain {

ScratchDirectory::ScratchDirectory(const std::string& label) {
  path_ = fs::path(::testing::TempDir()) /
          ("slatetrain-generator-" + label + "-" + std::to_string(::getpid()));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

ScratchDirectory::~ScratchDirectory() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

GeneratorOptions small_options(int64_t users, int64_t items, uint64_t seed) {
  GeneratorOptions options;
  options.num_users = users;
  options.num_items = items;
  options.seed = seed;
  options.threads = 2;
  options.oracle_rollouts = 64;  // truth.json's oracle, cheaply (its own tests set their own)
  return options;
}

GeneratedDataset::GeneratedDataset(const GeneratorOptions& options_in, const std::string& label)
    : options(options_in), scratch(label), directory(scratch.path() / "finn") {
  report = generate_finn_dataset(options, directory.string(), /*force=*/false);
}

namespace {

std::vector<int64_t> read_int_array(const NpzArchive& archive, const std::string& name) {
  auto reader = archive.open(name);
  const NpyArrayInfo& info = reader->info();
  std::vector<int64_t> values(size_t(info.rows() * info.row_elements()));
  const int64_t rows = reader->read_int64(info.rows(), values.data());
  REQUIRE(rows == info.rows(),
          archive.path() << ": " << name << " gave " << rows << " of " << info.rows() << " rows");
  return values;
}

}  // namespace

FinnArrays read_finn_arrays(const fs::path& directory) {
  const NpzArchive archive((directory / "data.npz").string());
  FinnArrays a;
  a.user_id = read_int_array(archive, "userId");
  a.users = static_cast<int64_t>(a.user_id.size());
  a.click = read_int_array(archive, "click");
  a.click_idx = read_int_array(archive, "click_idx");
  a.slate_lengths = read_int_array(archive, "slate_lengths");
  a.interaction_type = read_int_array(archive, "interaction_type");
  a.slate = read_int_array(archive, "slate");
  return a;
}

std::vector<double> read_categories(const fs::path& directory) {
  const NpzArchive archive((directory / "itemattr.npz").string());
  auto reader = archive.open("category");
  std::vector<double> values(size_t(reader->info().rows()));
  reader->read_float64(reader->info().rows(), values.data());
  return values;
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE(in.good(), path.string() << ": cannot open");
  return nlohmann::json::parse(in);
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good(), path.string() << ": cannot open");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

int real_step_count(const FinnArrays& a, int64_t user) {
  int count = 0;
  while (count < kSteps && a.click[a.step(user, count)] != 0) ++count;
  return count;
}

}  // namespace slatetrain
