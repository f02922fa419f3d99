// Findings of the fuzz targets (tests/fuzz/, bench/RESULTS.md), replayed in the normal suite: each
// committed input under tests/fuzz/regressions/<target>/ must be refused with slatetrain::Error
// naming the file, where it used to crash, overflow or allocate what a corrupt field said.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/manifest.hpp"
#include "data/npz_reader.hpp"
#include "dist/checkpoint_file.hpp"
#include "launch/run_config.hpp"
#include "tests/fuzz/fuzz_read_rows.hpp"

namespace slatetrain {
namespace {

namespace fs = std::filesystem;

const fs::path kRegressions = fs::path(SLATETRAIN_SOURCE_DIR) / "tests/fuzz/regressions";

// Expects an Error whose message contains `expected`.
template <typename Call>
void expect_error(Call call, const std::string& expected) {
  try {
    call();
    ADD_FAILURE() << "no error; expected one saying '" << expected << "'";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
  }
}

TEST(FuzzRegressions, NpyHeaderLengthIsCheckedBeforeAllocating) {
  // A 153-byte v3 file whose length field says 0x277b0076: the reader allocated 660 MB for it.
  const fs::path input = kRegressions / "npy/header_length_allocates.npy";
  expect_error([&] { open_npy_file(input.string()); }, "corrupt .npy header: its length field");
}

TEST(FuzzRegressions, NpyShapeOverflowIsRefused) {
  // (10**18 - 1, 8) int32: its byte count overflows int64; the reader multiplied it (undefined).
  std::string dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (999999999999999999, 8), }";
  expect_error([&] { parse_npy_header_dict(dict, 1, "x.npy"); }, "overflows 64 bits");
  // 19 digits: std::stoll threw std::out_of_range, an exception that names no file.
  dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (99999999999999999999,), }";
  expect_error([&] { parse_npy_header_dict(dict, 1, "x.npy"); }, "x.npy: malformed .npy header");
  // A zero dimension does not hide an overflowing row size.
  dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (0, 999999999999999999, 4), }";
  expect_error([&] { parse_npy_header_dict(dict, 1, "x.npy"); }, "overflows 64 bits");
}

TEST(FuzzRegressions, Zip64DirectorySizeThatWrapsIsRefused) {
  // A zip64 end record whose directory size is 2**64 - 16: offset + size wrapped below the file
  // size, and the reader allocated 2**64 - 16 bytes (std::length_error).
  const fs::path input = kRegressions / "npz/zip64_directory_size_wraps.npz";
  expect_error([&] { NpzArchive archive(input.string()); }, "the central directory");
}

TEST(FuzzRegressions, ManifestOptionalKeysOfTheWrongTypeAreErrors) {
  // json::value() threw nlohmann's type_error, which names neither manifest.json nor the key.
  for (const auto& [file, key] :
       {std::pair<std::string, std::string>{"item_groups_not_a_list.json", "key 'item_groups'"},
        {"created_by_not_a_string.json", "key 'created_by'"}}) {
    std::ifstream in(kRegressions / "manifest" / file);
    const nlohmann::json json = nlohmann::json::parse(in);
    expect_error([&] { Manifest::from_json(json, "dir/manifest.json"); },
                 "dir/manifest.json: " + key + " has the wrong type");
  }
}

TEST(FuzzRegressions, ManifestIntegerKeyHoldingAHugeNumberIsAnError) {
  // "noclick": 1444...4 (127 digits) parses as the double 1.44e126; get<int64_t>() cast it, which
  // is undefined behaviour (UBSan: outside the range of representable values of type 'long').
  std::ifstream in(kRegressions / "manifest/integer_key_holds_1e126.json");
  const nlohmann::json json = nlohmann::json::parse(in);
  expect_error([&] { Manifest::from_json(json, "dir/manifest.json"); },
               "dir/manifest.json ids: key 'noclick' is 1.44");
  // Doubles and out-of-range integers are refused for integer fields, lists too.
  std::ifstream seed(kRegressions / "../corpus/manifest/users.json");
  nlohmann::json changed = nlohmann::json::parse(seed);
  Manifest::from_json(changed, "m.json");  // loads unchanged
  changed["max_steps"] = 4294967296LL;     // an int field
  expect_error([&] { Manifest::from_json(changed, "m.json"); }, "key 'max_steps' is 4294967296");
  changed["max_steps"] = 20;
  changed["slate_length_histogram"] = {1, 2.5};
  expect_error([&] { Manifest::from_json(changed, "m.json"); }, "key 'slate_length_histogram'");
}

TEST(FuzzRegressions, OverrideValueThatIsNotYamlIsAnError) {
  // --set schedule.epochs=<not YAML>: yaml-cpp's ParserException escaped parse_run_config.
  std::ifstream in(kRegressions / "run_config/override_value_not_yaml", std::ios::binary);
  const std::string input((std::istreambuf_iterator<char>(in)), {});
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t end = input.find('\0', start);
    parts.push_back(input.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  const std::vector<std::string> overrides(parts.begin() + 1, parts.end());
  expect_error([&] { parse_run_config(parts[0], "fuzz.yaml", overrides); },
               "--set schedule.epochs=:");
  expect_error([&] { parse_run_config("", "x.yaml", {"model.dim=[1, 2"}); },
               "--set model.dim=[1, 2: the value is not valid YAML");
}

TEST(FuzzRegressions, StringValuesHoldingYamlSurviveTheEffectiveConfiguration) {
  // A string value was written into the effective YAML by parsing it as YAML: a data.path like
  // "x: y: z" threw yaml-cpp's exception, "[a]" or "a: b" would have become a list or a map.
  for (const std::string path : {"x: y: z", "runs/[a]", "a: b", "- c", "'q'"}) {
    const std::string yaml = "data:\n  path: " + nlohmann::json(path).dump() + "\n";
    const RunConfig config = parse_run_config(yaml, "x.yaml", {});
    EXPECT_EQ(config.data.path, path);
    const RunConfig again = parse_run_config(config.yaml, "effective", {});
    EXPECT_EQ(again.data.path, path);
    EXPECT_EQ(again.yaml, config.yaml);
  }
  std::ifstream in(kRegressions / "run_config/string_value_holding_yaml", std::ios::binary);
  const std::string input((std::istreambuf_iterator<char>(in)), {});
  const RunConfig config = parse_run_config(input, "fuzz.yaml", {});
  EXPECT_EQ(parse_run_config(config.yaml, "effective", {}).yaml, config.yaml);
}

// A valid checkpoint (4 x 2 table) in memory, changed by `edit` before it is read.
class CheckpointFieldsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() /
            ("fuzz_regressions_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".h5");
    CheckpointFileWriter writer(path_.string(), 4, 2, {"first_moment"});
    writer.write_dense("parameters", {1, 2, 3});
    const std::vector<float> rows(8, 0.5f);
    writer.write_embedding_rows("rows", 0, 4, rows.data());
    writer.write_embedding_rows("first_moment", 0, 4, rows.data());
    writer.finish(CheckpointHeader{});
  }
  void TearDown() override { fs::remove(path_); }

  // Opens the file read-write for an edit with the HDF5 API.
  template <typename Edit>
  void edit(Edit change) {
    const hid_t file = H5Fopen(path_.string().c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    change(file);
    ASSERT_GE(H5Fclose(file), 0);
  }
  // Replaces attribute `name` of `object` by one of `count` int64 values (a 1-D list).
  static void replace_attribute(hid_t file, const char* object, const char* name, hsize_t count) {
    ASSERT_GE(H5Adelete_by_name(file, object, name, H5P_DEFAULT), 0);
    const hid_t space = H5Screate_simple(1, &count, nullptr);
    const hid_t attribute = H5Acreate_by_name(file, object, name, H5T_STD_I64LE, space, H5P_DEFAULT,
                                              H5P_DEFAULT, H5P_DEFAULT);
    const std::vector<int64_t> values(count, 7);
    EXPECT_GE(H5Awrite(attribute, H5T_NATIVE_INT64, values.data()), 0);
    H5Aclose(attribute);
    H5Sclose(space);
  }
  fs::path path_;
};

TEST_F(CheckpointFieldsTest, UnchangedReads) {
  CheckpointFileReader reader(path_.string());
  EXPECT_EQ(reader.read_dense("parameters"), (std::vector<float>{1, 2, 3}));
  std::vector<float> rows(8);
  reader.read_embedding_rows("first_moment", 0, 4, rows.data());
  EXPECT_EQ(rows[7], 0.5f);
}

TEST_F(CheckpointFieldsTest, AttributeWithSeveralValuesIsRefused) {
  // fuzz_checkpoint_fields: "step" with several values was read into one int64 on the stack
  // (stack-buffer-overflow; tests/fuzz/regressions/checkpoint_fields/).
  edit([](hid_t file) { replace_attribute(file, "/", "step", 5); });
  expect_error([&] { CheckpointFileReader reader(path_.string()); },
               "attribute 'step' holds 5 value(s)");
}

TEST_F(CheckpointFieldsTest, RngStateOfAnotherLengthIsRefused) {
  edit([](hid_t file) { replace_attribute(file, "/", "rng_state", 9); });
  expect_error([&] { CheckpointFileReader reader(path_.string()); },
               "attribute 'rng_state' holds 9 value(s)");
}

TEST_F(CheckpointFieldsTest, DenseSizeThatDisagreesWithTheDatasetIsRefused) {
  // "size" 1 for a 3-value dataset: H5Dread wrote 3 floats into a vector of 1.
  edit([](hid_t file) {
    const hid_t dataset = H5Dopen2(file, "/dense/parameters", H5P_DEFAULT);
    const hid_t attribute = H5Aopen(dataset, "size", H5P_DEFAULT);
    const int64_t one = 1;
    EXPECT_GE(H5Awrite(attribute, H5T_NATIVE_INT64, &one), 0);
    H5Aclose(attribute);
    H5Dclose(dataset);
  });
  CheckpointFileReader reader(path_.string());
  expect_error([&] { reader.read_dense("parameters"); },
               "dense/parameters has 3 values but its size attribute says 1");
}

TEST_F(CheckpointFieldsTest, TableShapeThatDisagreesWithTheDatasetIsRefused) {
  // dim 3 for a 4 x 2 table: rows were selected outside what the caller's buffer describes.
  edit([](hid_t file) {
    const hid_t group = H5Gopen2(file, "/embedding", H5P_DEFAULT);
    const hid_t attribute = H5Aopen(group, "dim", H5P_DEFAULT);
    const int64_t three = 3;
    EXPECT_GE(H5Awrite(attribute, H5T_NATIVE_INT64, &three), 0);
    H5Aclose(attribute);
    H5Gclose(group);
  });
  CheckpointFileReader reader(path_.string());
  std::vector<float> rows(12);
  expect_error([&] { reader.read_embedding_rows("rows", 0, 4, rows.data()); },
               "embedding/rows is 4 x 2 but num_items and dim say 4 x 3");
}

}  // namespace
}  // namespace slatetrain
