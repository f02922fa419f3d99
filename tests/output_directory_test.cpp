// OutputDirectory's rules in-process (docs/DATA_SAFETY.md): names of its own that never reuse
// an existing entry, the ownership check repeated at commit(), and inputs resolved through
// symbolic links and `..`. The command-line cases are in tests/output_safety_test.sh.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "data/output_directory.hpp"
#include "data/output_file.hpp"

namespace slatetrain {
namespace {

namespace fs = std::filesystem;

class OutputDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("slatetrain-output-directory-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  static void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  static std::string read(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path root_;
};

TEST_F(OutputDirectoryTest, NeverReusesAnExistingTemporaryName) {
  const fs::path target = root_ / "converted";
  const fs::path taken = target.string() + ".tmp-" + std::to_string(getpid());
  write(taken / "someone-else.txt", "theirs");
  {
    OutputDirectory output(target.string(), false, OutputKind::kConvertedDataset);
    EXPECT_NE(fs::path(output.temporary_path()), taken);
    EXPECT_TRUE(fs::is_directory(output.temporary_path()));
  }  // destroyed without commit: removes only its own temporary directory
  EXPECT_EQ(read(taken / "someone-else.txt"), "theirs");
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(OutputDirectoryTest, ATargetThatAppearsWhileWritingIsReplacedOnlyIfOurs) {
  const fs::path target = root_ / "converted";
  OutputDirectory output(target.string(), /*force=*/true, OutputKind::kConvertedDataset);
  write(fs::path(output.temporary_path()) / "manifest.json", "{}");
  write(target / "results.txt", "mine");  // a user's directory appears meanwhile
  try {
    output.commit();
    FAIL() << "replaced a directory that appeared while converting";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("appeared while converting"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(read(target / "results.txt"), "mine");
}

TEST_F(OutputDirectoryTest, ReplacesAnEarlierConversionOnlyWhenNothingForeignIsInIt) {
  const fs::path target = root_ / "converted";
  const auto convert = [&](const std::string& shard) {
    OutputDirectory output(target.string(), /*force=*/true, OutputKind::kConvertedDataset);
    const fs::path directory = output.temporary_path();
    write(directory / "manifest.json",
          R"({"format": "slatetrain-ragged-slates", "created_by": "slateconvert 0.1.0",
              "items_file": {"file": "items.h5"}, "shards": [{"file": ")" +
              shard + R"("}]})");
    write(directory / "items.h5", "items");
    write(directory / shard, "shard");
    output.commit();
  };
  convert("shard-00000-of-00001.h5");
  convert("shard-00000-of-00002.h5");  // replaces the first
  EXPECT_FALSE(fs::exists(target / "shard-00000-of-00001.h5"));
  EXPECT_TRUE(fs::exists(target / "shard-00000-of-00002.h5"));
  write(target / "notes.txt", "mine");
  EXPECT_THROW(convert("shard-00000-of-00003.h5"), Error);
  EXPECT_EQ(read(target / "notes.txt"), "mine");
  EXPECT_EQ(std::distance(fs::directory_iterator(root_), {}), 1) << "leftovers beside it";
}

// slatetrain export's directory: model.json (format slatetrain-model-export) names its files.
TEST_F(OutputDirectoryTest, ReplacesAnEarlierModelExportOnlyWhenNothingForeignIsInIt) {
  const fs::path target = root_ / "export";
  const auto export_model = [&](bool force) {
    require_usable_output(target.string(), force, OutputKind::kModelExport);
    OutputDirectory output(target.string(), force, OutputKind::kModelExport);
    const fs::path directory = output.temporary_path();
    write(directory / "model.json",
          R"({"format": "slatetrain-model-export", "files": ["items.npy", "model.json"]})");
    write(directory / "items.npy", "items");
    output.commit();
  };
  export_model(false);
  EXPECT_THROW(export_model(false), Error) << "an existing export needs force";
  export_model(true);
  write(target / "notes.txt", "mine");
  EXPECT_THROW(require_usable_output(target.string(), true, OutputKind::kModelExport), Error);
  EXPECT_THROW(export_model(true), Error);
  EXPECT_EQ(read(target / "notes.txt"), "mine");
  // A converted dataset is not an export, nor the other way round.
  fs::remove(target / "notes.txt");
  EXPECT_THROW(require_usable_output(target.string(), true, OutputKind::kConvertedDataset), Error);
  write(root_ / "converted" / "manifest.json",
        R"({"format": "slatetrain-ragged-slates", "created_by": "slateconvert 0.1.0"})");
  EXPECT_THROW(
      require_usable_output((root_ / "converted").string(), true, OutputKind::kModelExport), Error);
  EXPECT_EQ(std::distance(fs::directory_iterator(root_), {}), 2) << "leftovers beside them";
}

TEST_F(OutputDirectoryTest, InputsAreComparedResolved) {
  write(root_ / "data" / "finn" / "data.npz", "source");
  fs::create_directory_symlink(root_ / "data" / "finn", root_ / "alias");
  const std::vector<std::string> inputs{(root_ / "alias").string()};
  for (const fs::path& target : {root_ / "data" / "finn", root_ / "data",
                                 root_ / "data" / "finn" / ".." / "finn", root_, root_ / "alias"}) {
    EXPECT_THROW(require_apart_from_inputs(target.string(), inputs), Error) << target;
  }
  EXPECT_NO_THROW(require_apart_from_inputs((root_ / "data" / "converted").string(), inputs));
  EXPECT_NO_THROW(require_apart_from_inputs((root_ / "data" / "finn-2").string(), inputs));
  EXPECT_EQ(read(root_ / "data" / "finn" / "data.npz"), "source");
}

// A single output file never opens, truncates or removes anything that existed: a file already
// at its first temporary name is left as it was, an abandoned write leaves nothing, and the
// rename does not replace a target that appeared meanwhile unless asked to.
TEST_F(OutputDirectoryTest, OutputFileTouchesNothingThatExisted) {
  const fs::path target = root_ / "top10.jsonl";
  const fs::path taken = root_ / ("top10.jsonl.tmp-" + std::to_string(getpid()));
  write(taken, "a user's file");
  {
    OutputFile abandoned(target.string());
    EXPECT_NE(abandoned.temporary(), taken.string());
    abandoned.write("half");
  }
  EXPECT_EQ(read(taken), "a user's file");
  EXPECT_FALSE(fs::exists(target));
  EXPECT_EQ(std::distance(fs::directory_iterator(root_), fs::directory_iterator()), 1);

  OutputFile late(target.string());
  late.write("ours\n");
  write(target, "appeared meanwhile");
  EXPECT_THROW(late.commit(), Error);
  EXPECT_EQ(read(target), "appeared meanwhile");

  OutputFile replacing(target.string());
  replacing.write("ours\n");
  replacing.commit(/*replace=*/true);
  EXPECT_EQ(read(target), "ours\n");
  EXPECT_EQ(read(taken), "a user's file");
}

// Small pieces are buffered, a block of the buffer's size or more is written from where it is:
// the file holds every byte in order either way.
TEST_F(OutputDirectoryTest, OutputFileKeepsTheOrderOfSmallAndLargeWrites) {
  const fs::path target = root_ / "items.bin";
  std::string expected = "head;";
  std::string large(3u << 20, '\0');
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>('a' + i % 26);
  OutputFile file(target.string());
  file.write("head;");
  file.write(large);
  expected += large;
  file.write(";tail");
  expected += ";tail";
  file.commit();
  EXPECT_EQ(read(target), expected);
}

}  // namespace
}  // namespace slatetrain
