// The same seed gives byte-identical files whatever the thread count and user block size (each
// user draws from its own counter-based stream); another seed gives other data.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/generator_test_support.hpp"

namespace slatetrain {
namespace {

const char* const kOutputFiles[] = {"data.npz", "itemattr.npz", "ind2val.json", "truth.json",
                                    "generator.json"};

TEST(GeneratorDeterminism, SameSeedGivesIdenticalFilesWhateverTheThreads) {
  GeneratorOptions options = small_options(700, 1500, /*seed=*/11);
  options.threads = 1;
  options.users_per_block = 64;  // many blocks, the last one partial
  const GeneratedDataset first(options, "same-seed-1");
  options.threads = 3;
  options.users_per_block = 1000;  // one block
  const GeneratedDataset second(options, "same-seed-2");
  for (const char* file : kOutputFiles) {
    const std::string a = read_bytes(first.directory / file);
    const std::string b = read_bytes(second.directory / file);
    ASSERT_EQ(a.size(), b.size()) << file;
    size_t first_difference = 0;
    while (first_difference < a.size() && a[first_difference] == b[first_difference])
      ++first_difference;
    EXPECT_EQ(first_difference, a.size()) << file << " differs at byte " << first_difference;
  }
}

TEST(GeneratorDeterminism, OtherSeedGivesOtherData) {
  const GeneratedDataset first(small_options(300, 1500, /*seed=*/11), "seed-11");
  const GeneratedDataset second(small_options(300, 1500, /*seed=*/12), "seed-12");
  EXPECT_NE(read_bytes(first.directory / "data.npz"), read_bytes(second.directory / "data.npz"));
  EXPECT_NE(read_bytes(first.directory / "itemattr.npz"),
            read_bytes(second.directory / "itemattr.npz"));
  // Not a small change: most users' first slates differ.
  const FinnArrays a = read_finn_arrays(first.directory);
  const FinnArrays b = read_finn_arrays(second.directory);
  int64_t different = 0;
  for (int64_t u = 0; u < a.users; ++u)
    different += !std::equal(a.slate_row(u, 0), a.slate_row(u, 0) + kSlots, b.slate_row(u, 0));
  EXPECT_GT(different, a.users * 9 / 10);
}

TEST(GeneratorDeterminism, UsersDoNotDependOnTheDatasetSize) {
  // Each user's rows come from (seed, user): the first 200 users of a 500-user dataset are the
  // 200 users of a 200-user dataset.
  const GeneratedDataset small(small_options(200, 1500, /*seed=*/5), "prefix-200");
  const GeneratedDataset large(small_options(500, 1500, /*seed=*/5), "prefix-500");
  const FinnArrays a = read_finn_arrays(small.directory);
  const FinnArrays b = read_finn_arrays(large.directory);
  EXPECT_TRUE(std::equal(a.slate.begin(), a.slate.end(), b.slate.begin()));
  EXPECT_TRUE(std::equal(a.click.begin(), a.click.end(), b.click.begin()));
  EXPECT_TRUE(std::equal(a.click_idx.begin(), a.click_idx.end(), b.click_idx.begin()));
}

}  // namespace
}  // namespace slatetrain
