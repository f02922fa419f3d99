// Findings of the fuzz targets (tests/fuzz/, bench/RESULTS.md), replayed in the normal suite: each
// committed input under tests/fuzz/regressions/<target>/ must be refused with slatetrain::Error
// naming the file, where it used to crash, overflow or allocate what a corrupt field said.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/npz_reader.hpp"
#include "tests/fuzz/fuzz_read_rows.hpp"

namespace slatetrain {
namespace {

namespace fs = std::filesystem;

const fs::path kRegressions = fs::path(SLATETRAIN_SOURCE_DIR) / "tests/fuzz/regressions";

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

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

}  // namespace
}  // namespace slatetrain
