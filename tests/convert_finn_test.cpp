// The converter, verify and inspect on tiny FINN-format inputs written with NpzWriter:
// round trips at several shard counts and source variants, the split in the manifest,
// anomalies counted and kept (or refused under strict), and bad input refused with a clear
// message, leaving neither an output nor a temporary directory behind.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/random.hpp"
#include "data/converter.hpp"
#include "data/finn_checks.hpp"
#include "data/inspect.hpp"
#include "data/manifest.hpp"
#include "data/npz_writer.hpp"
#include "data/shard_reader.hpp"
#include "data/verify.hpp"

namespace slatetrain {
namespace {

namespace fs = std::filesystem;

constexpr int T = 20, S = 25;

// A FINN dataset in memory, in the published layout.
struct FinnArrays {
  int64_t users = 0, items = 0;
  std::vector<int64_t> user_id, click, click_idx, slate_lengths, interaction_type, slate;
  std::vector<double> category;
  nlohmann::json ind2val;
  int64_t step(int64_t user, int t) const { return user * T + t; }
};

// Consistent data: slate[0] = 1, click = slate[click_idx], slate_lengths = width, padding
// steps all zero at the end of each row.
FinnArrays make_arrays(int64_t users, int64_t items, uint64_t seed) {
  Random random(seed);
  FinnArrays a;
  a.users = users;
  a.items = items;
  a.user_id.resize(users);
  a.click.assign(users * T, 0);
  a.click_idx.assign(users * T, 0);
  a.slate_lengths.assign(users * T, 0);
  a.interaction_type.assign(users * T, 0);
  a.slate.assign(users * T * S, 0);
  for (int64_t u = 0; u < users; ++u) {
    a.user_id[u] = 10 * u + 7;
    const int steps = 1 + static_cast<int>(random.below(T));
    for (int t = 0; t < steps; ++t) {
      const int64_t step = a.step(u, t);
      const int width = 2 + static_cast<int>(random.below(S - 1));
      a.slate[step * S] = 1;
      for (int j = 1; j < width; ++j)
        a.slate[step * S + j] = 3 + static_cast<int64_t>(random.below(items - 3));
      const bool no_click = random.below(4) == 0;
      a.click_idx[step] = no_click ? 0 : 1 + static_cast<int64_t>(random.below(width - 1));
      a.click[step] = a.slate[step * S + a.click_idx[step]];
      a.slate_lengths[step] = width;
      a.interaction_type[step] = 1 + static_cast<int64_t>(random.below(2));
    }
  }
  const int groups = 6;
  a.category.resize(items);
  for (int64_t i = 0; i < items; ++i) a.category[i] = i < 3 ? i : 3 + i % (groups - 3);
  a.ind2val = {{"category", {{"0", "PAD"}, {"1", "noClick"}, {"2", "<UNK>"}}},
               {"interaction_type", {{"0", "<UNK>"}, {"1", "search"}, {"2", "rec"}}}};
  for (int g = 3; g < groups; ++g)
    a.ind2val["category"][std::to_string(g)] = "group" + std::to_string(g);
  return a;
}

struct WriteOptions {
  NpyDtype int_dtype = NpyDtype::kInt32;
  bool compress = true;
  std::string skip_array;   // leave this data.npz member out
  std::string short_array;  // write this [U, T] array as [U, T - 1]
};

void write_array(NpzWriter& writer, const std::string& name, const std::vector<int64_t>& values,
                 std::vector<int64_t> shape, NpyDtype dtype) {
  writer.begin_array(name, dtype, shape);
  if (dtype == NpyDtype::kInt64) {
    writer.write(values.data(), values.size() * sizeof(int64_t));
  } else {
    std::vector<int32_t> narrow(values.begin(), values.end());
    writer.write(narrow.data(), narrow.size() * sizeof(int32_t));
  }
  writer.end_array();
}

void write_finn(const fs::path& directory, const FinnArrays& a, const WriteOptions& options = {}) {
  fs::create_directories(directory);
  {
    NpzWriter writer((directory / "data.npz").string(), options.compress);
    auto put = [&](const std::string& name, const std::vector<int64_t>& values,
                   std::vector<int64_t> shape) {
      if (name == options.skip_array) return;
      if (name == options.short_array) {
        std::vector<int64_t> cut;
        for (int64_t u = 0; u < a.users; ++u)
          cut.insert(cut.end(), values.begin() + u * T, values.begin() + u * T + T - 1);
        return write_array(writer, name, cut, {a.users, T - 1}, options.int_dtype);
      }
      write_array(writer, name, values, shape, options.int_dtype);
    };
    put("userId", a.user_id, {a.users});
    put("click", a.click, {a.users, T});
    put("click_idx", a.click_idx, {a.users, T});
    put("slate_lengths", a.slate_lengths, {a.users, T});
    put("slate", a.slate, {a.users, T, S});
    put("interaction_type", a.interaction_type, {a.users, T});
    writer.close();
  }
  {
    NpzWriter writer((directory / "itemattr.npz").string(), true);
    writer.begin_array("category", NpyDtype::kFloat64, {a.items});
    writer.write(a.category.data(), a.category.size() * sizeof(double));
    writer.end_array();
    writer.close();
  }
  std::ofstream(directory / "ind2val.json") << a.ind2val.dump();
}

class ConvertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("slatetrain-convert-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    input_ = root_ / "finn";
    output_ = root_ / "converted";
  }
  void TearDown() override { fs::remove_all(root_); }

  ConvertOptions options(int shards = 1) const {
    ConvertOptions o;
    o.input = input_.string();
    o.output = output_.string();
    o.shards = shards;
    o.block_users = 17;  // several blocks per shard, ending mid-shard
    o.show_progress = false;
    return o;
  }
  VerifyReport verify() const {
    VerifyOptions o;
    o.input = input_.string();
    o.output = output_.string();
    o.block_users = 13;
    o.show_progress = false;
    return verify_conversion(o);
  }
  // Names of everything left in the scratch root besides the input.
  std::vector<std::string> leftovers() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(root_))
      if (entry.path() != input_) names.push_back(entry.path().filename().string());
    return names;
  }
  // Converting must fail with a message holding every `parts`, and leave nothing behind.
  void expect_refused(const ConvertOptions& o, const std::vector<std::string>& parts) {
    try {
      convert_finn(o);
      ADD_FAILURE() << "conversion succeeded";
    } catch (const Error& error) {
      for (const std::string& part : parts)
        EXPECT_NE(std::string(error.what()).find(part), std::string::npos)
            << "'" << part << "' missing from: " << error.what();
    }
    EXPECT_TRUE(leftovers().empty()) << "left behind: " << leftovers().front();
  }

  fs::path root_, input_, output_;
};

std::string join(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

struct RoundTripCase {
  int shards;
  NpyDtype int_dtype;
  bool compress;
  int gzip;
};

class ConvertRoundTrip : public ConvertTest, public ::testing::WithParamInterface<RoundTripCase> {};

TEST_P(ConvertRoundTrip, VerifyProvesEveryValueAndShardsHoldTheUsers) {
  const RoundTripCase c = GetParam();
  const FinnArrays a = make_arrays(101, 60, 5);
  WriteOptions write;
  write.int_dtype = c.int_dtype;
  write.compress = c.compress;
  write_finn(input_, a, write);
  ConvertOptions o = options(c.shards);
  o.gzip_level = c.gzip;
  const Manifest manifest = convert_finn(o);

  const VerifyReport report = verify();
  EXPECT_TRUE(report.ok()) << join(report.problems);
  EXPECT_EQ(report.users_compared, 101);
  EXPECT_TRUE(leftovers() == std::vector<std::string>{"converted"});

  const Manifest loaded = Manifest::load(output_.string());
  EXPECT_EQ(loaded.to_json(), manifest.to_json());
  EXPECT_EQ(loaded.num_users, 101);
  EXPECT_EQ(loaded.num_items, 60);
  EXPECT_EQ(loaded.num_item_groups, 6);
  EXPECT_EQ(loaded.source.int_dtype, c.int_dtype == NpyDtype::kInt64 ? "int64" : "int32");
  EXPECT_EQ(loaded.source.compressed, c.compress);
  EXPECT_EQ(loaded.anomalies.total(), 0);
  ASSERT_EQ(loaded.shards.size(), static_cast<size_t>(c.shards));

  // The shards hold contiguous, balanced user ranges and the steps the source has.
  int64_t real_steps = 0, slate_items = 0;
  for (size_t i = 0; i < a.click.size(); ++i) {
    real_steps += a.click[i] != 0;
    slate_items += a.click[i] != 0 ? a.slate_lengths[i] : 0;
  }
  EXPECT_EQ(loaded.num_interactions, real_steps);
  EXPECT_EQ(loaded.num_stored_steps, real_steps);
  EXPECT_EQ(loaded.num_slate_items, slate_items);
  int64_t next_row = 0;
  for (size_t s = 0; s < loaded.shards.size(); ++s) {
    ShardReader reader(loaded.shard_path(output_.string(), s));
    EXPECT_EQ(reader.first_row(), next_row);
    EXPECT_NEAR(static_cast<double>(reader.num_users()), 101.0 / c.shards, 1.0);
    next_row += reader.num_users();
    const UserBlock users = reader.read_users(0, reader.num_users());
    for (int64_t u = 0; u < users.num_users(); ++u) {
      const int64_t row = users.row[u];
      ASSERT_EQ(users.user_id[u], a.user_id[row]) << "row " << row;
      for (int64_t i = users.step_offsets[u]; i < users.step_offsets[u + 1]; ++i) {
        const int64_t step = a.step(row, users.t[i]);
        ASSERT_EQ(users.click[i], a.click[step]) << "row " << row << " t " << +users.t[i];
        ASSERT_EQ(users.slate_offsets[i + 1] - users.slate_offsets[i], a.slate_lengths[step]);
      }
    }
  }
  EXPECT_EQ(next_row, 101);

  std::ostringstream summary;
  inspect_directory(output_.string(), summary);
  EXPECT_NE(summary.str().find("users         101"), std::string::npos) << summary.str();
  EXPECT_NE(summary.str().find(shard_file_name(c.shards - 1, c.shards)), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Sources, ConvertRoundTrip,
                         ::testing::Values(RoundTripCase{1, NpyDtype::kInt32, true, 0},
                                           RoundTripCase{3, NpyDtype::kInt32, true, 1},
                                           RoundTripCase{3, NpyDtype::kInt64, false, 0}),
                         [](const ::testing::TestParamInfo<RoundTripCase>& info) {
                           return std::to_string(info.param.shards) + "shards_" +
                                  (info.param.int_dtype == NpyDtype::kInt64 ? "int64" : "int32") +
                                  "_" + (info.param.compress ? "compressed" : "stored") + "_gzip" +
                                  std::to_string(info.param.gzip);
                         });

TEST_F(ConvertTest, ManifestCarriesThePublishedSplit) {
  write_finn(input_, make_arrays(400, 50, 6));
  ConvertOptions o = options(2);
  o.split.seed = 11;
  o.split.valid_fraction = 0.10;
  o.split.test_fraction = 0.05;
  o.split.t_testsplit = 3;
  convert_finn(o);
  const Manifest m = Manifest::load(output_.string());
  EXPECT_EQ(m.split.seed, 11u);
  EXPECT_EQ(m.split.t_testsplit, 3);
  EXPECT_EQ(m.split.valid_users, 40);
  EXPECT_EQ(m.split.test_users, 20);
  EXPECT_EQ(m.split.train_users, 340);
  // The per-user split in the shards is data/split.hpp's, so the loader and the generator's
  // truth agree with it; with t_testsplit 3 a valid user's steps 0..2 train, 3.. are held out.
  const std::vector<Split> expected = assign_split(400, m.split);
  for (size_t s = 0; s < m.shards.size(); ++s) {
    ShardReader reader(m.shard_path(output_.string(), s));
    const std::vector<uint8_t> split = reader.read_splits();
    for (size_t u = 0; u < split.size(); ++u)
      ASSERT_EQ(split[u], static_cast<uint8_t>(expected[reader.first_row() + u])) << "user " << u;
  }
  EXPECT_TRUE(is_training_step(Split::kValid, 2, m.split.t_testsplit));
  EXPECT_TRUE(is_held_out_step(Split::kValid, 3, m.split.t_testsplit));
  EXPECT_TRUE(verify().ok());
}

// The published anomalies, planted at known places.
FinnArrays arrays_with_anomalies() {
  FinnArrays a = make_arrays(60, 40, 8);
  // Users 0..9 have at least one step (make_arrays gives every user one).
  a.slate_lengths[a.step(3, 0)] = 26;
  const int64_t step = a.step(5, 0);
  a.click_idx[step] = 0;  // click_idx 0 with a real item clicked (dataset issue #25)
  a.click[step] = 7;
  a.slate[a.step(9, 0) * S + 1] = 2;  // UNK inside the slate
  return a;
}

TEST_F(ConvertTest, AnomaliesAreCountedWithExamplesAndKeptExactly) {
  write_finn(input_, arrays_with_anomalies());
  const Manifest m = convert_finn(options(2));
  EXPECT_EQ(m.anomalies.counts.at(anomaly::kSlateLengthOverSlots), 1);
  EXPECT_EQ(m.anomalies.counts.at(anomaly::kClickNotInSlate), 1);
  EXPECT_EQ(m.anomalies.counts.at(anomaly::kUnknownInSlate), 1);
  EXPECT_EQ(m.anomalies.total(), 3);
  bool found_example = false;
  for (const auto& example : m.anomalies.examples) {
    if (example.at("kind") == anomaly::kClickNotInSlate) {
      EXPECT_EQ(example.at("row"), 5);
      EXPECT_EQ(example.at("t"), 0);
      EXPECT_EQ(example.at("click"), 7);
      found_example = true;
    }
  }
  EXPECT_TRUE(found_example) << m.anomalies.examples.dump();
  const VerifyReport report = verify();
  EXPECT_TRUE(report.ok()) << join(report.problems);
}

TEST_F(ConvertTest, StrictRefusesAClickNotInItsSlate) {
  FinnArrays a = make_arrays(30, 40, 9);
  const int64_t step = a.step(4, 0);
  a.click_idx[step] = 0;
  a.click[step] = 9;
  write_finn(input_, a);
  ConvertOptions o = options();
  o.strict = true;
  expect_refused(o, {"data.npz", "user row 4 step 0", anomaly::kClickNotInSlate});
}

TEST_F(ConvertTest, RefusesATruncatedZip) {
  write_finn(input_, make_arrays(40, 40, 10));
  const fs::path data = input_ / "data.npz";
  fs::resize_file(data, fs::file_size(data) / 2);
  expect_refused(options(), {"data.npz"});
}

TEST_F(ConvertTest, RefusesAMissingMember) {
  WriteOptions write;
  write.skip_array = "slate";
  write_finn(input_, make_arrays(20, 40, 11), write);
  expect_refused(options(), {"data.npz", "'slate'", "missing"});
}

TEST_F(ConvertTest, RefusesWrongShapes) {
  WriteOptions write;
  write.short_array = "click_idx";
  write_finn(input_, make_arrays(20, 40, 12), write);
  expect_refused(options(), {"data.npz", "'click_idx'", "(20, 19)", "(20, 20)"});
}

TEST_F(ConvertTest, RefusesIdsOutsideTheCatalogue) {
  FinnArrays a = make_arrays(20, 40, 13);
  a.slate[a.step(6, 0) * S + 1] = 40;  // num_items is 40: ids are 0..39
  write_finn(input_, a);
  expect_refused(options(), {"data.npz", "'slate'", "user row 6 step 0 position 1", "40"});
  a = make_arrays(20, 40, 13);
  a.click[a.step(2, 0)] = -1;
  write_finn(input_, a);
  expect_refused(options(), {"'click'", "user row 2 step 0"});
}

TEST_F(ConvertTest, RefusesAMissingFile) {
  write_finn(input_, make_arrays(20, 40, 14));
  fs::remove(input_ / "itemattr.npz");
  expect_refused(options(), {"itemattr.npz", "missing"});
}

TEST_F(ConvertTest, ExistingOutputNeedsForceAndIsReplacedOnlyOnSuccess) {
  write_finn(input_, make_arrays(20, 40, 15));
  // A user's directory is never replaced, not even with --force (docs/DATA_SAFETY.md).
  fs::create_directories(output_);
  std::ofstream(output_ / "keep.txt") << "old";
  ConvertOptions forced = options();
  forced.force = true;
  for (const ConvertOptions& attempt : {options(), forced}) {
    try {
      convert_finn(attempt);
      ADD_FAILURE() << "overwrote a user's directory";
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("--force"), std::string::npos) << error.what();
    }
    EXPECT_TRUE(fs::exists(output_ / "keep.txt"));
  }
  fs::remove_all(output_);

  // An earlier conversion needs --force.
  convert_finn(options());
  const auto manifest_time = fs::last_write_time(output_ / kManifestFile);
  try {
    convert_finn(options());
    ADD_FAILURE() << "overwrote an existing output without force";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("--force"), std::string::npos) << error.what();
  }

  // A failing forced run keeps the old output.
  fs::remove(input_ / "ind2val.json");
  EXPECT_THROW(convert_finn(forced), Error);
  EXPECT_TRUE(fs::exists(output_ / kManifestFile));
  EXPECT_EQ(fs::last_write_time(output_ / kManifestFile), manifest_time);

  write_finn(input_, make_arrays(20, 40, 15));
  convert_finn(forced);
  EXPECT_TRUE(fs::exists(output_ / kManifestFile));
  EXPECT_TRUE(leftovers() == std::vector<std::string>{"converted"});
}

TEST_F(ConvertTest, VerifyFindsAChangedSourceValueNamingArrayUserAndStep) {
  FinnArrays a = make_arrays(50, 40, 16);
  write_finn(input_, a);
  convert_finn(options(3));
  a.slate[a.step(37, 0) * S + 1] = a.slate[a.step(37, 0) * S + 1] == 3 ? 4 : 3;
  write_finn(input_, a);
  const VerifyReport report = verify();
  ASSERT_FALSE(report.ok());
  const std::string problems = join(report.problems);
  EXPECT_NE(problems.find("the converted source"), std::string::npos) << problems;
  EXPECT_NE(problems.find("array 'slate' user row 37 step 0 position 1"), std::string::npos)
      << problems;
}

TEST_F(ConvertTest, VerifyFindsADamagedShardFile) {
  write_finn(input_, make_arrays(50, 40, 17));
  const Manifest m = convert_finn(options(2));
  const fs::path shard = output_ / m.shards[1].file;
  {
    std::fstream file(shard, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(fs::file_size(shard) - 8));
    file.put('\x5a');
  }
  const VerifyReport report = verify();
  ASSERT_FALSE(report.ok());
  EXPECT_NE(join(report.problems).find(m.shards[1].file + ": CRC-32"), std::string::npos)
      << join(report.problems);
}

}  // namespace
}  // namespace slatetrain
