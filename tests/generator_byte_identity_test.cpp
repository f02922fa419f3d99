// The written data of a seed is pinned: SHA-256 checksums of the files the generator wrote
// before its step simulation was shared with the oracle's rollouts (data/generator_step.hpp).
// A change to any draw, its order or the file layout shows up here. Members are stored (not
// deflated) so that the checksums do not depend on the zlib version.
#include <gtest/gtest.h>

#include "data/checksum.hpp"
#include "tests/generator_test_support.hpp"

namespace slatetrain {
namespace {

struct PinnedFile {
  const char* name;
  const char* sha256;
};

void expect_checksums(const GeneratedDataset& dataset, const std::vector<PinnedFile>& files) {
  for (const PinnedFile& file : files)
    EXPECT_EQ(sha256_file((dataset.directory / file.name).string()), file.sha256) << file.name;
}

TEST(GeneratorByteIdentity, ManyAnomaliesInt32MatchesThePinnedChecksums) {
  // Every anomaly kind often (2% each), so their draws are covered too.
  GeneratorOptions options = small_options(3000, 800, /*seed=*/5);
  options.anomaly_rate = 0.02;
  options.compress = false;
  options.write_truth = false;
  const GeneratedDataset dataset(options, "pinned-int32");
  expect_checksums(
      dataset,
      {{"data.npz", "2dacde3c143e3341e9e1e873ddeace672cb27a8c8b8d2d5a959df951750bf66d"},
       {"itemattr.npz", "614c23029df6f3017978cb867b5560360d77db4add55b308a6811215ee1babaa"},
       {"ind2val.json", "915e35e966f274cb55d6b790ff0a03c202d0939e2db4f2bcb9816d78b405612b"},
       {"generator.json", "90546d7f4adcc93c895c61b190933102f1939d8e30d0c08e022e2f463c012a39"}});
}

TEST(GeneratorByteIdentity, FewGroupsInt64MatchesThePinnedChecksums) {
  // Three groups: query groups and recent groups collide often; the default anomaly rate.
  GeneratorOptions options = small_options(1500, 400, /*seed=*/9);
  options.num_groups = 3;
  options.int64 = true;
  options.compress = false;
  options.write_truth = false;
  const GeneratedDataset dataset(options, "pinned-int64");
  expect_checksums(
      dataset,
      {{"data.npz", "3fad19d8eaa5c22c9d8ce90a9a41ffbe8f3a59b6b13c800b3c14a8cd6ad91b8d"},
       {"itemattr.npz", "50b7e62f231af130acfcdb3f0216570cedc45f4e5b70998f2fa9c1a2b45182eb"},
       {"ind2val.json", "7500d7408b3db5ef5ed846652451d1741039ce143c3ccb79c73dd69d0165137d"},
       {"generator.json", "893d3831e60bf49ad25f195f436ee794687e8ea87e72edbb175c2770e987b096"}});
}

}  // namespace
}  // namespace slatetrain
