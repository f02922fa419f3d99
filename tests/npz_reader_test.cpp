// The NPZ/NPY reader against fixtures written by NumPy (tests/fixtures/make_npy_fixtures.py).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/npz_reader.hpp"

namespace slatetrain {
namespace {

const std::string kFixtures = std::string(SLATETRAIN_TEST_DATA) + "/npy/";

// The fixture formula for flat index i (make_npy_fixtures.py values()).
int64_t fixture_value(int64_t i) {
  return (i * 7919 + 13) % 100003 - 50000;
}

double expected_value(int64_t i, const std::string& dtype) {
  const int64_t v = fixture_value(i);
  if (dtype == "float64" || dtype == "float32") return static_cast<double>(v) / 8.0;
  if (dtype == "uint8") return static_cast<double>(((v % 256) + 256) % 256);
  if (dtype == "bool") return v % 2 != 0 ? 1.0 : 0.0;
  if (dtype == "int16") return static_cast<double>(static_cast<int16_t>(v));
  return static_cast<double>(v);
}

// Reads every value of an array in blocks of `rows_per_read` rows, as doubles.
std::vector<double> read_all(NpyRowReader& reader, int64_t rows_per_read) {
  const NpyArrayInfo& info = reader.info();
  std::vector<double> all;
  const bool is_float = info.dtype == NpyDtype::kFloat32 || info.dtype == NpyDtype::kFloat64;
  std::vector<int64_t> ints(static_cast<size_t>(rows_per_read * info.row_elements()));
  std::vector<double> floats(ints.size());
  while (true) {
    const int64_t rows = is_float ? reader.read_float64(rows_per_read, floats.data())
                                  : reader.read_int64(rows_per_read, ints.data());
    if (rows == 0) break;
    for (int64_t i = 0; i < rows * info.row_elements(); ++i)
      all.push_back(is_float ? floats[i] : static_cast<double>(ints[i]));
  }
  return all;
}

::testing::AssertionResult values_match(const std::vector<double>& values, const std::string& dtype,
                                        int64_t count) {
  if (static_cast<int64_t>(values.size()) != count)
    return ::testing::AssertionFailure()
           << "read " << values.size() << " values, expected " << count;
  for (int64_t i = 0; i < count; ++i) {
    const double expected = expected_value(i, dtype);
    if (std::fabs(values[i] - expected) > 1e-6)
      return ::testing::AssertionFailure()
             << "first bad index " << i << ": read " << values[i] << ", expected " << expected;
  }
  return ::testing::AssertionSuccess();
}

nlohmann::json expected_json() {
  std::ifstream in(kFixtures + "expected.json");
  return nlohmann::json::parse(in);
}

TEST(NpzReader, EveryFixtureArrayMatchesNumpy) {
  const auto expected = expected_json();
  for (const auto& [archive_name, arrays] : expected["archives"].items()) {
    NpzArchive archive(kFixtures + archive_name);
    EXPECT_EQ(archive.array_names().size(), arrays.size()) << archive_name;
    for (const auto& array : arrays) {
      const std::string name = array["name"];
      SCOPED_TRACE(archive_name + ":" + name);
      ASSERT_TRUE(archive.has_array(name));
      const NpyArrayInfo info = archive.info(name);
      EXPECT_EQ(npy_dtype_name(info.dtype), array["dtype"].get<std::string>());
      EXPECT_EQ(info.shape, array["shape"].get<std::vector<int64_t>>());
      EXPECT_EQ(info.format_version, array["version"].get<int>());
      EXPECT_EQ(archive.compressed(name), archive_name.find("stored") == std::string::npos);
      int64_t count = 1;
      for (int64_t d : info.shape) count *= d;
      if (name == "scalar") {
        auto reader = archive.open(name);
        int64_t value = 0;
        EXPECT_EQ(reader->read_int64(5, &value), 1);
        EXPECT_EQ(value, 42);
        continue;
      }
      // Odd block sizes cross member buffer boundaries.
      for (int64_t rows_per_read : {1, 3, 1000}) {
        auto reader = archive.open(name);
        EXPECT_TRUE(values_match(read_all(*reader, rows_per_read), array["dtype"], count))
            << "rows per read " << rows_per_read;
        EXPECT_EQ(reader->rows_read(), info.rows());
      }
    }
  }
}

TEST(NpzReader, Int32ReadsAndManyOpenReaders) {
  NpzArchive archive(kFixtures + "compressed.npz");
  auto slate = archive.open("slate");
  auto slate64 = archive.open("slate64");
  auto click = archive.open("click");
  ASSERT_EQ(slate->info().row_elements(), 500);
  std::vector<int32_t> a(2 * 500), b(2 * 500), c(2 * 20);
  int64_t row = 0;
  while (true) {
    const int64_t got_a = slate->read_int32(2, a.data());
    const int64_t got_b = slate64->read_int32(2, b.data());
    click->read_int32(2, c.data());
    if (got_a == 0) break;
    for (int64_t i = 0; i < got_a * 500; ++i) {
      ASSERT_EQ(a[i], fixture_value(row * 500 + i)) << "slate flat index " << row * 500 + i;
      if (row + got_a <= 5 && i < got_b * 500) {
        ASSERT_EQ(b[i], fixture_value(row * 500 + i)) << "slate64 flat index " << row * 500 + i;
      }
    }
    row += got_a;
  }
  EXPECT_EQ(row, 7);
}

TEST(NpzReader, SingleNpyFiles) {
  auto click = open_npy_file(kFixtures + "click.npy");
  EXPECT_EQ(click->info().name, "click");
  EXPECT_TRUE(values_match(read_all(*click, 4), "int32", 140));
  auto category = open_npy_file(kFixtures + "category.npy");
  EXPECT_TRUE(values_match(read_all(*category, 4), "float64", 11));
  auto scalar = open_npy_file(kFixtures + "scalar.npy");
  EXPECT_TRUE(scalar->info().shape.empty());
  EXPECT_EQ(scalar->info().rows(), 1);
}

// Expects an Error whose message contains every piece.
void expect_error(const std::function<void()>& action, const std::vector<std::string>& pieces) {
  try {
    action();
    ADD_FAILURE() << "no error thrown, expected one mentioning " << pieces[0];
  } catch (const Error& error) {
    const std::string message = error.what();
    for (const auto& piece : pieces)
      EXPECT_NE(message.find(piece), std::string::npos)
          << "message lacks '" << piece << "': " << message;
  }
}

void read_everything(const std::string& path, const std::string& name) {
  NpzArchive archive(path);
  auto reader = archive.open(name);
  std::vector<int64_t> rows(static_cast<size_t>(reader->info().row_elements()));
  while (reader->read_int64(1, rows.data()) > 0) {
  }
}

TEST(NpzReader, ErrorsNameFileMemberAndArray) {
  expect_error([] { NpzArchive(kFixtures + "fortran.npz").open("fortran"); },
               {"fortran.npz", "fortran", "Fortran order"});
  expect_error([] { NpzArchive(kFixtures + "truncated.npz"); }, {"truncated.npz", "truncated"});
  expect_error([] { read_everything(kFixtures + "corrupted.npz", "slate"); },
               {"corrupted.npz", "slate.npy", "corrupt"});
  expect_error([] { read_everything(kFixtures + "bad_crc.npz", "click"); },
               {"bad_crc.npz", "click.npy", "CRC-32"});
  expect_error([] { NpzArchive(kFixtures + "stored.npz").open("missing"); },
               {"stored.npz", "no array 'missing'"});
  expect_error([] { NpzArchive(kFixtures + "no_such_file.npz"); }, {"no_such_file.npz"});
  expect_error([] { NpzArchive(kFixtures + "click.npy"); }, {"click.npy", "not a zip"});
  expect_error(
      [] {
        auto reader = NpzArchive(kFixtures + "stored.npz").open("category");
        int64_t out[11];
        reader->read_int64(11, out);
      },
      {"category", "float64", "int64"});
}

}  // namespace
}  // namespace slatetrain
