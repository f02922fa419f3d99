// checkpoint_header FILE [--set-step N]: prints a checkpoint's header as JSON; with --set-step,
// first rewrites the root `step` attribute (a damaged header, for the run-directory tests).
// Exit 0 on success, 2 on error.
#include <hdf5.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "dist/checkpoint_file.hpp"

namespace {

bool set_step(const std::string& path, long long step) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (file < 0) return false;
  const hid_t attribute = H5Aopen(file, "step", H5P_DEFAULT);
  const int64_t value = step;
  const bool ok = attribute >= 0 && H5Awrite(attribute, H5T_NATIVE_INT64, &value) >= 0;
  if (attribute >= 0) H5Aclose(attribute);
  return H5Fclose(file) >= 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && !(argc == 4 && std::strcmp(argv[2], "--set-step") == 0)) {
    std::fprintf(stderr, "usage: checkpoint_header FILE [--set-step N]\n");
    return 2;
  }
  try {
    if (argc == 4 && !set_step(argv[1], std::atoll(argv[3]))) {
      std::fprintf(stderr, "%s: cannot rewrite the step attribute\n", argv[1]);
      return 2;
    }
    const slatetrain::CheckpointFileReader reader(argv[1]);
    const auto& header = reader.header();
    const nlohmann::json out = {{"step", header.step},
                                {"epoch", header.epoch},
                                {"batches_into_epoch", header.batches_into_epoch},
                                {"batches_per_epoch", header.batches_per_epoch},
                                {"world_size", header.world_size},
                                {"dense_step", header.dense_step},
                                {"embedding_step", header.embedding_step},
                                {"best_step", header.best_step},
                                {"best_metric", header.best_metric},
                                {"run_id", header.run_id},
                                {"dataset_id", header.dataset_id},
                                {"dataset_path", header.dataset_path}};
    std::printf("%s\n", out.dump().c_str());
    return 0;
  } catch (const std::exception& failure) {
    std::fprintf(stderr, "%s\n", failure.what());
    return 2;
  }
}
