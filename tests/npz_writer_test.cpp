// The NPZ writer: headers byte-identical to numpy's, writer -> reader round trips (stored,
// deflated, forced zip64), and files that numpy.load reads back (when the Debian python has
// numpy).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/npz_reader.hpp"
#include "data/npz_writer.hpp"

namespace slatetrain {
namespace {

const std::string kFixtures = std::string(SLATETRAIN_TEST_DATA) + "/npy/";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string temp_path(const std::string& name) {
  return std::string(SLATETRAIN_BINARY_DIR) + "/npz_writer_test_" + std::to_string(getpid()) + "_" +
         name;
}

// The same header numpy.save wrote for these arrays (fixtures from make_npy_fixtures.py).
TEST(NpyHeader, MatchesNumpyByteForByte) {
  struct Case {
    const char* file;
    NpyDtype dtype;
    std::vector<int64_t> shape;
  };
  const Case cases[] = {{"click.npy", NpyDtype::kInt32, {7, 20}},
                        {"scalar.npy", NpyDtype::kInt64, {}},
                        {"category.npy", NpyDtype::kFloat64, {11}},
                        {"slate_full_header.npy", NpyDtype::kInt32, {2277645, 20, 25}}};
  for (const Case& c : cases) {
    const std::string header = make_npy_header(c.dtype, c.shape);
    const std::string numpy_file = read_file(kFixtures + c.file);
    ASSERT_GE(numpy_file.size(), header.size()) << c.file;
    EXPECT_EQ(header, numpy_file.substr(0, header.size())) << c.file;
    EXPECT_EQ(header.size() % 64, 0u) << c.file;
  }
}

struct TestArrays {
  std::vector<int32_t> slate;    // [9, 20, 25]
  std::vector<int64_t> click;    // [9, 20]
  std::vector<double> category;  // [13]
};

TestArrays make_arrays() {
  TestArrays arrays;
  for (int i = 0; i < 9 * 20 * 25; ++i) arrays.slate.push_back((i * 37) % 1001 - 17);
  for (int i = 0; i < 9 * 20; ++i) arrays.click.push_back(int64_t(i) * 3000000019LL - 7);
  for (int i = 0; i < 13; ++i) arrays.category.push_back(i * 0.25 - 1.0);
  return arrays;
}

// Writes the arrays, the slate in uneven pieces.
void write_arrays(const std::string& path, bool compress, bool force_zip64) {
  const TestArrays arrays = make_arrays();
  NpzWriter writer(path, compress);
  writer.set_force_zip64(force_zip64);
  writer.begin_array("slate", NpyDtype::kInt32, {9, 20, 25});
  size_t done = 0;
  for (size_t piece : {size_t(1), size_t(777), size_t(3000)}) {
    writer.write(arrays.slate.data() + done, piece * sizeof(int32_t));
    done += piece;
  }
  writer.write(arrays.slate.data() + done, (arrays.slate.size() - done) * sizeof(int32_t));
  writer.end_array();
  writer.begin_array("click", NpyDtype::kInt64, {9, 20});
  writer.write(arrays.click.data(), arrays.click.size() * sizeof(int64_t));
  writer.end_array();
  writer.begin_array("category", NpyDtype::kFloat64, {13});
  writer.write(arrays.category.data(), arrays.category.size() * sizeof(double));
  writer.end_array();
  writer.begin_array("empty", NpyDtype::kInt32, {0, 20});
  writer.end_array();
  writer.close();
}

template <typename T>
::testing::AssertionResult same_values(const std::vector<T>& read, const std::vector<T>& written) {
  if (read.size() != written.size())
    return ::testing::AssertionFailure() << "size " << read.size() << " != " << written.size();
  for (size_t i = 0; i < read.size(); ++i)
    if (read[i] != written[i])
      return ::testing::AssertionFailure()
             << "first bad index " << i << ": read " << read[i] << ", wrote " << written[i];
  return ::testing::AssertionSuccess();
}

void check_round_trip(const std::string& path, bool compressed) {
  const TestArrays arrays = make_arrays();
  NpzArchive archive(path);
  EXPECT_EQ(archive.array_names(),
            (std::vector<std::string>{"slate", "click", "category", "empty"}));
  EXPECT_EQ(archive.compressed("slate"), compressed);
  auto slate = archive.open("slate");
  std::vector<int32_t> slate_read(arrays.slate.size());
  EXPECT_EQ(slate->read_int32(4, slate_read.data()), 4);
  EXPECT_EQ(slate->read_int32(100, slate_read.data() + 4 * 500), 5);
  EXPECT_TRUE(same_values(slate_read, arrays.slate));
  auto click = archive.open("click");
  std::vector<int64_t> click_read(arrays.click.size());
  EXPECT_EQ(click->read_int64(9, click_read.data()), 9);
  EXPECT_TRUE(same_values(click_read, arrays.click));
  auto category = archive.open("category");
  std::vector<double> category_read(13);
  EXPECT_EQ(category->read_float64(13, category_read.data()), 13);
  EXPECT_TRUE(same_values(category_read, arrays.category));
  EXPECT_EQ(archive.info("empty").shape, (std::vector<int64_t>{0, 20}));
}

TEST(NpzWriter, RoundTripStoredDeflatedAndZip64) {
  for (bool compress : {false, true}) {
    for (bool zip64 : {false, true}) {
      SCOPED_TRACE(std::string(compress ? "deflated" : "stored") + (zip64 ? " zip64" : ""));
      const std::string path = temp_path(std::to_string(compress) + std::to_string(zip64) + ".npz");
      write_arrays(path, compress, zip64);
      check_round_trip(path, compress);
      const std::string bytes = read_file(path);
      // The zip64 end record signature appears only when forced.
      const bool has_zip64_end = bytes.find(std::string("PK\x06\x06", 4)) != std::string::npos;
      EXPECT_EQ(has_zip64_end, zip64);
      std::remove(path.c_str());
    }
  }
}

TEST(NpzWriter, Int32ReadOfLargeInt64ValuesIsAnError) {
  const std::string path = temp_path("wide.npz");
  write_arrays(path, true, false);
  auto click = NpzArchive(path).open("click");
  std::vector<int32_t> out(9 * 20);
  try {
    click->read_int32(9, out.data());
    ADD_FAILURE() << "no error for values beyond int32";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("does not fit in int32"), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("click"), std::string::npos) << error.what();
  }
  std::remove(path.c_str());
}

TEST(NpzWriter, WrongByteCountsAreErrors) {
  const std::string path = temp_path("short.npz");
  NpzWriter writer(path, false);
  writer.begin_array("a", NpyDtype::kInt32, {2, 3});
  const int32_t values[7] = {};
  writer.write(values, 5 * sizeof(int32_t));
  EXPECT_THROW(writer.end_array(), Error);
  EXPECT_THROW(writer.write(values, 2 * sizeof(int32_t)), Error);
  std::remove(path.c_str());
}

TEST(NpzWriter, TruncatedMemberDataIsReported) {
  // Cut the stored archive inside the slate data but keep the directory: the member runs
  // past the file's end.
  const std::string path = temp_path("cut.npz");
  write_arrays(path, false, false);
  std::string bytes = read_file(path);
  NpzArchive intact(path);
  const size_t cut_from = 2000, cut_bytes = 3000;
  bytes.erase(cut_from, cut_bytes);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  try {
    NpzArchive archive(path);
    auto slate = archive.open("slate");
    std::vector<int32_t> out(9 * 500);
    slate->read_int32(9, out.data());
    ADD_FAILURE() << "no error for a cut archive";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
  std::remove(path.c_str());
}

bool debian_python_has_numpy() {
  return std::system("/usr/bin/python3 -c 'import numpy' > /dev/null 2>&1") == 0;
}

TEST(NpzWriter, NumpyLoadsWhatWeWrite) {
  if (!debian_python_has_numpy()) GTEST_SKIP() << "/usr/bin/python3 with numpy is not available";
  for (bool compress : {false, true}) {
    for (bool zip64 : {false, true}) {
      const std::string path =
          temp_path("numpy" + std::to_string(compress) + std::to_string(zip64) + ".npz");
      write_arrays(path, compress, zip64);
      // Recomputes the arrays with the formulas of make_arrays().
      const std::string script =
          "import numpy as np, sys\n"
          "d = np.load(sys.argv[1])\n"
          "i = np.arange(9*20*25)\n"
          "assert d['slate'].dtype == np.int32 and d['slate'].shape == (9, 20, 25)\n"
          "assert (d['slate'].ravel() == (i * 37) % 1001 - 17).all()\n"
          "j = np.arange(9*20, dtype=np.int64)\n"
          "assert d['click'].dtype == np.int64 and (d['click'].ravel() == j * 3000000019 - "
          "7).all()\n"
          "assert (d['category'] == np.arange(13) * 0.25 - 1.0).all()\n"
          "assert d['empty'].shape == (0, 20)\n";
      const std::string script_path = temp_path("check.py");
      std::ofstream(script_path) << script;
      const int status = std::system(("/usr/bin/python3 " + script_path + " " + path).c_str());
      EXPECT_EQ(status, 0) << "numpy.load rejected " << path << " (compress " << compress
                           << ", zip64 " << zip64 << ")";
      std::remove(script_path.c_str());
      std::remove(path.c_str());
    }
  }
}

}  // namespace
}  // namespace slatetrain
